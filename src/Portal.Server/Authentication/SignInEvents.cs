using System.Net;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Precision.Portal.Client.Audit;
using Precision.Portal.Server.Audit;

namespace Precision.Portal.Server.Authentication;

/// <summary>Sign-in, sign-in failure and refused access: each recorded in the audit trail.</summary>
internal static class SignInEvents
{
    public static async Task OnTokenValidatedAsync(TokenValidatedContext context)
    {
        var trail = context.HttpContext.RequestServices.GetRequiredService<AuditTrail>();
        try
        {
            await trail.RecordAsync(new AuditEntry(AuditActions.SignIn, AuditOutcome.Success, Target: "portal-session"), context.Principal!);
        }
        catch (AuditWriteException ex)
        {
            // Fail closed: no session without its audit event.
            context.Fail(ex);
        }
    }

    public static async Task OnRemoteFailureAsync(RemoteFailureContext context)
    {
        var reason = context.Failure?.Message ?? "unknown";
        var trail = context.HttpContext.RequestServices.GetRequiredService<AuditTrail>();
        // Anyone can provoke a failure: a few per client address and minute are recorded, the rest counted into the next one.
        var (record, unrecorded) = context.HttpContext.RequestServices.GetRequiredService<SignInFailureThrottle>()
            .Admit(context.HttpContext.Connection.RemoteIpAddress?.ToString());
        try
        {
            if (record)
            {
                var details = new System.Text.Json.Nodes.JsonObject { ["reason"] = Truncate(reason, 500) };
                if (unrecorded > 0)
                {
                    details["unrecordedFailuresBefore"] = unrecorded;
                }

                await trail.RecordAsync(
                    new AuditEntry(AuditActions.SignInFailed, AuditOutcome.Failure, Target: "portal-session", Details: details),
                    new System.Security.Claims.ClaimsPrincipal());
            }
        }
        catch (AuditWriteException)
        {
            // The refusal below stands either way.
        }

        var message = context.Failure is AuditWriteException
            ? "Sign-in was refused because the audit trail could not record it. Tell your administrator."
            : "Sign-in failed: the identity provider's answer could not be accepted (" + Truncate(reason, 300) + ").";
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.ContentType = "text/html; charset=utf-8";
        await context.Response.WriteAsync(
            $"""
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Sign-in failed — Precision Portal</title></head>
            <body style="font-family: system-ui, sans-serif"><main style="max-width: 44rem; margin: 3rem auto">
            <h1>Sign-in failed</h1><p id="sign-in-error">{WebUtility.HtmlEncode(message)}</p>
            <p><a href="/">Try signing in again</a></p></main></body></html>
            """);
        context.HandleResponse();
    }

    /// <summary>
    /// Only page navigations are sent to the identity provider; scripts and APIs get a plain 401. The address to return to
    /// after sign-in is the requested path only when it stays in the portal: "//host/…" or "/\host/…" (which browsers read as
    /// another site) and anything not starting with one "/" become the start page.
    /// </summary>
    public static Task OnRedirectToIdentityProviderAsync(RedirectContext context)
    {
        context.Properties.RedirectUri = LocalReturnPath(context.Properties.RedirectUri);
        if (!IsPageNavigation(context.Request))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.HandleResponse();
        }

        return Task.CompletedTask;
    }

    public static async Task OnAccessDeniedAsync(RedirectContext<CookieAuthenticationOptions> context)
    {
        var trail = context.HttpContext.RequestServices.GetRequiredService<AuditTrail>();
        try
        {
            await trail.RecordAsync(new AuditEntry(AuditActions.AccessDenied, AuditOutcome.Denied, Target: context.Request.Path.Value), context.HttpContext.User);
        }
        catch (AuditWriteException)
        {
            // Access is refused whether or not the refusal could be recorded.
        }

        if (IsPageNavigation(context.Request))
        {
            context.Response.Redirect(context.RedirectUri);
        }
        else
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
        }
    }

    private static bool IsPageNavigation(HttpRequest request) =>
        HttpMethods.IsGet(request.Method)
        && !request.Path.StartsWithSegments("/_blazor", StringComparison.OrdinalIgnoreCase)
        && !request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)
        && (request.Headers.Accept.Count == 0 || request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase) || request.Headers.Accept.ToString().Contains("*/*", StringComparison.Ordinal));

    /// <summary>
    /// <paramref name="returnPath"/> when it is a path inside the portal ("/", "/patients/p-1?tab=x"), else "/". Refused:
    /// absolute URLs, protocol-relative "//host", "/\host" (browsers treat the backslash as a slash) and control characters.
    /// </summary>
    internal static string LocalReturnPath(string? returnPath) =>
        returnPath is { Length: > 0 } path
        && path[0] == '/'
        && (path.Length == 1 || (path[1] != '/' && path[1] != '\\'))
        && !path.Any(char.IsControl)
            ? path
            : "/";

    private static string Truncate(string value, int max) => value.Length <= max ? value : value[..max] + "…";
}
