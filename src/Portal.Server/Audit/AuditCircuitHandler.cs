using Microsoft.AspNetCore.Components.Server.Circuits;

namespace Precision.Portal.Server.Audit;

/// <summary>Gives each Blazor circuit its client address and a correlation id for its audit events.</summary>
internal sealed class AuditCircuitHandler(AuditCallContext call, IHttpContextAccessor httpContextAccessor) : CircuitHandler
{
    public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        // The circuit opens inside the SignalR connection's request: its remote address is the browser's.
        call.ClientAddress ??= httpContextAccessor.HttpContext?.Connection.RemoteIpAddress?.ToString();
        call.CorrelationId ??= "circuit-" + circuit.Id;
        return Task.CompletedTask;
    }
}
