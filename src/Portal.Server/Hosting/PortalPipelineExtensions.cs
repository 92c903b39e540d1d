using System.Net;
using Microsoft.AspNetCore.Diagnostics;
using MudBlazor.Services;
using Precision.Portal.Client;
using Precision.Portal.Client.Status;
using Precision.Portal.Server.Authentication;
using Precision.Portal.Server.Components;
using Precision.Portal.Server.Health;

namespace Precision.Portal.Server.Hosting;

public static class PortalPipelineExtensions
{
    /// <summary>Blazor interactive server rendering (no prerendering), MudBlazor, and the services pages call.</summary>
    public static WebApplicationBuilder AddPortalUserInterface(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // Serve MudBlazor's and Plotly's assets from a build output in every environment (tests run as "Testing");
        // a published app has them in wwwroot and this does nothing.
        builder.WebHost.UseStaticWebAssets();
        builder.Services.AddRazorComponents()
            .AddInteractiveServerComponents(o => o.DetailedErrors = builder.Environment.IsDevelopment());
        builder.Services.AddMudServices();
        builder.Services.AddSingleton<ISystemStatus, SystemStatusService>();
        return builder;
    }

    /// <summary>Middleware in order: errors, correlation and request logs, security headers, authentication, authorization, antiforgery.</summary>
    public static WebApplication UsePortalPipeline(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = WriteErrorPageAsync });
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }

        app.UseCorrelationAndRequestLogging();
        app.UsePortalSecurityHeaders(app.Services.GetRequiredService<PortalIdentityProvider>().Authority);
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseAuthentication();
        app.UseAuditCallUser();
        app.UseAuthorization();
        app.UseAntiforgery();
        return app;
    }

    public static WebApplication MapPortalUserInterface(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapStaticAssets();
        app.MapRazorComponents<App>()
            .AddInteractiveServerRenderMode()
            .AddAdditionalAssemblies(typeof(Routes).Assembly);
        return app;
    }

    private static async Task WriteErrorPageAsync(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        var correlationId = context.Response.Headers[ObservabilityExtensions.CorrelationHeader].ToString();
        // IDX20803: the OIDC handler could not fetch the provider's discovery document.
        var identityProviderDown = error is InvalidOperationException && error.Message.Contains("IDX20803", StringComparison.Ordinal);
        var (status, title, message) = identityProviderDown
            ? (StatusCodes.Status503ServiceUnavailable, "Sign-in is unavailable",
                "The identity provider did not answer, so the portal cannot sign you in right now. Try again in a minute; if it persists, tell your administrator.")
            : (StatusCodes.Status500InternalServerError, "Something went wrong",
                "The portal could not complete this request. Try again; if it happens again, tell your administrator and quote the reference below.");
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        await context.Response.WriteAsync(
            $"""
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} — Precision Portal</title></head>
            <body style="font-family: system-ui, sans-serif"><main style="max-width: 44rem; margin: 3rem auto">
            <h1>{title}</h1><p id="error-message">{WebUtility.HtmlEncode(message)}</p>
            <p>Reference: <code>{WebUtility.HtmlEncode(correlationId)}</code></p><p><a href="/">Back to the start page</a></p></main></body></html>
            """);
    }
}
