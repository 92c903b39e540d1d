using Bunit;
using MudBlazor.Services;

namespace Precision.Portal.Client.Tests.Patients;

/// <summary>A bUnit context with MudBlazor's services, disposed asynchronously (some of them are only IAsyncDisposable).</summary>
public abstract class MudTestContext : BunitContext, IAsyncLifetime
{
    protected MudTestContext()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();
}
