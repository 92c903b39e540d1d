using Microsoft.AspNetCore.Components.Server.Circuits;
using Precision.Portal.Client.TumorBoards;

namespace Precision.Portal.Server.TumorBoards;

/// <summary>The live-session handles of one Blazor circuit (scoped), so presence follows the circuit's connection.</summary>
public sealed class BoardCircuitPresence : IDisposable
{
    private readonly Lock _lock = new();
    private readonly List<IBoardSessionHandle> _handles = [];

    public void Add(IBoardSessionHandle handle)
    {
        lock (_lock)
        {
            _handles.Add(handle);
        }
    }

    public void Remove(IBoardSessionHandle handle)
    {
        lock (_lock)
        {
            _handles.Remove(handle);
        }
    }

    public void SetConnected(bool connected)
    {
        IBoardSessionHandle[] handles;
        lock (_lock)
        {
            handles = [.. _handles];
        }

        foreach (var handle in handles)
        {
            handle.SetConnected(connected);
        }
    }

    /// <summary>The circuit is gone (closed tab, expired): leave every session it had joined.</summary>
    public void Dispose()
    {
        IBoardSessionHandle[] handles;
        lock (_lock)
        {
            handles = [.. _handles];
            _handles.Clear();
        }

        foreach (var handle in handles)
        {
            handle.Dispose();
        }
    }
}

/// <summary>
/// Hides a participant from the presence list as soon as their browser's connection drops, shows them again when it
/// comes back, and removes them when the circuit closes.
/// </summary>
internal sealed class BoardPresenceCircuitHandler(BoardCircuitPresence presence) : CircuitHandler
{
    public override Task OnConnectionDownAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        presence.SetConnected(false);
        return Task.CompletedTask;
    }

    public override Task OnConnectionUpAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        presence.SetConnected(true);
        return Task.CompletedTask;
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        presence.Dispose();
        return Task.CompletedTask;
    }
}
