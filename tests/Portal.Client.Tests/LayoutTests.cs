using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Precision.Portal.Client.Layout;
using Precision.Portal.Client.Predictions;
using Precision.Portal.Client.Status;

namespace Precision.Portal.Client.Tests;

/// <remarks>MudBlazor's services are async-disposable only, so the context is disposed asynchronously.</remarks>
public sealed class LayoutTests : BunitContext, IAsyncLifetime
{
    public LayoutTests()
    {
        Services.AddMudServices();
        Services.AddSingleton<ISystemStatus>(new FixedSystemStatus());
        Services.AddSingleton<IEfficacyModelStatus>(new FixedModelStatus());
        JSInterop.Mode = JSRuntimeMode.Loose;
        AddAuthorization().SetAuthorized("Dr. Clara Imhof").SetRoles("clinician");
        Renderer.SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    [Fact]
    public void A_failing_page_is_contained_by_the_error_boundary_and_the_shell_keeps_working()
    {
        var layout = Render<MainLayout>(p => p.Add(l => l.Body, (RenderFragment)(b =>
        {
            b.OpenComponent<FailingPage>(0);
            b.CloseComponent();
        })));

        Assert.NotNull(layout.Find("[data-testid=error-boundary]"));
        Assert.Contains("The rest of the portal keeps working", layout.Markup, StringComparison.Ordinal);
        Assert.NotNull(layout.Find("[data-testid=research-use-notice]"));
        Assert.NotNull(layout.Find("[data-testid=nav-patients]"));
        Assert.DoesNotContain("secret stack detail", layout.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void The_shell_shows_the_user_the_role_the_notice_and_the_footer()
    {
        var layout = Render<MainLayout>(p => p.Add(l => l.Body, (RenderFragment)(b => b.AddMarkupContent(0, "<h1>Page</h1>"))));

        Assert.Equal("Clinician", layout.Find("[data-testid=signed-in-role]").TextContent.Trim());
        Assert.Contains("Dr. Clara Imhof", layout.Find("[data-testid=signed-in-user]").TextContent, StringComparison.Ordinal);
        Assert.Contains("research use only", layout.Find("[data-testid=footer]").TextContent, StringComparison.OrdinalIgnoreCase);
        Assert.NotNull(layout.Find("[data-testid=sign-out]"));
        Assert.Equal("Model 1.0.0 · CPU", layout.Find("[data-testid=model-status]").TextContent.Trim());
    }

    private sealed class FailingPage : ComponentBase
    {
        protected override void OnInitialized() => throw new InvalidOperationException("secret stack detail");
    }

    private sealed class FixedModelStatus : IEfficacyModelStatus
    {
        public EfficacyModelInfo Current { get; } = new(true, "1.0.0", new string('3', 64), "CPU", null, false, DateTimeOffset.UnixEpoch, TimeSpan.FromMilliseconds(80), "/models", null);
    }

    private sealed class FixedSystemStatus : ISystemStatus
    {
        public PortalInstanceInfo Instance { get; } = new("1.0.0", "Testing", "http://127.0.0.1:1/", false, "/tmp/portal");

        public Task<IReadOnlyList<ComponentStatus>> CheckAsync(CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<ComponentStatus>>([]);
    }
}
