namespace Precision.Portal.Server.Hosting;

/// <summary>Response headers that keep the portal out of frames, stop content sniffing and restrict what pages may load.</summary>
internal static class SecurityHeaders
{
    public static IApplicationBuilder UsePortalSecurityHeaders(this IApplicationBuilder app, Uri identityProvider)
    {
        var idpOrigin = identityProvider.GetLeftPart(UriPartial.Authority);
        // Blazor Server and MudBlazor need no inline or eval'd script; MudBlazor and Plotly set inline styles.
        // form-action includes the identity provider: the sign-out form's redirect goes there.
        var csp = string.Join("; ",
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            $"form-action 'self' {idpOrigin}",
            "frame-ancestors 'none'");
        return app.Use(async (context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = csp;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                return Task.CompletedTask;
            });
            await next(context);
        });
    }
}
