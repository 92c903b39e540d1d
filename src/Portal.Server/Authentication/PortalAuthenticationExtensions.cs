using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Authorization;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.Authorization;
using Precision.Portal.DevIdentity;
using Precision.Portal.Server.Audit;

namespace Precision.Portal.Server.Authentication;

public static class PortalAuthenticationExtensions
{
    public const string CookieScheme = CookieAuthenticationDefaults.AuthenticationScheme;
    public const string OidcScheme = OpenIdConnectDefaults.AuthenticationScheme;
    internal const string DevelopmentClientId = "precision-portal-dev";

    /// <summary>
    /// OpenID Connect sign-in (authorization code + PKCE) into a portal cookie session, role policies, and the
    /// embedded development identity provider when Development has no authority configured.
    /// </summary>
    public static WebApplicationBuilder AddPortalAuthentication(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var settings = builder.Configuration.GetSection(OidcSettings.SectionName).Get<OidcSettings>() ?? new OidcSettings();
        var usesDevelopmentProvider = string.IsNullOrWhiteSpace(settings.Authority);
        if (usesDevelopmentProvider)
        {
            settings = AddDevelopmentIdentityProvider(builder);
        }

        ValidateSettings(settings);
        var authority = new Uri(settings.Authority!);
        builder.Services.AddSingleton(new PortalIdentityProvider(authority, usesDevelopmentProvider));
        builder.Services.AddSingleton(sp => new SignInFailureThrottle(sp.GetService<TimeProvider>() ?? TimeProvider.System));

        builder.Services.AddAuthentication(options =>
            {
                options.DefaultScheme = CookieScheme;
                options.DefaultChallengeScheme = OidcScheme;
            })
            .AddCookie(CookieScheme, cookie =>
            {
                cookie.Cookie.Name = "precision-portal";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.AccessDeniedPath = "/access-denied";
                cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
                cookie.SlidingExpiration = true;
                cookie.Events.OnRedirectToAccessDenied = SignInEvents.OnAccessDeniedAsync;
            })
            .AddOpenIdConnect(OidcScheme, oidc =>
            {
                oidc.Authority = authority.ToString();
                oidc.ClientId = settings.ClientId;
                oidc.ClientSecret = settings.ClientSecret;
                oidc.ResponseType = OpenIdConnectResponseType.Code;
                oidc.UsePkce = true;
                // The code comes back on a top-level GET, so SameSite=Lax cookies carry the correlation and nonce.
                oidc.ResponseMode = OpenIdConnectResponseMode.Query;
                oidc.SaveTokens = true; // the id_token is the hint that ends the provider session at sign-out
                oidc.MapInboundClaims = false;
                oidc.GetClaimsFromUserInfoEndpoint = false;
                oidc.Scope.Clear();
                oidc.Scope.Add("openid");
                oidc.Scope.Add("profile");
                oidc.Scope.Add("roles");
                oidc.TokenValidationParameters.NameClaimType = "name";
                oidc.TokenValidationParameters.RoleClaimType = PortalRoles.ClaimType;
                oidc.RequireHttpsMetadata = settings.RequireHttpsMetadata ?? !IsLoopbackHttp(authority);
                // Plain http is only accepted on loopback (development and tests); elsewhere these cookies are Secure.
                oidc.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                oidc.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                oidc.CorrelationCookie.SameSite = SameSiteMode.Lax;
                oidc.NonceCookie.SameSite = SameSiteMode.Lax;
                oidc.SignedOutRedirectUri = "/";
                oidc.Events.OnRedirectToIdentityProvider = SignInEvents.OnRedirectToIdentityProviderAsync;
                oidc.Events.OnTokenValidated = SignInEvents.OnTokenValidatedAsync;
                oidc.Events.OnRemoteFailure = SignInEvents.OnRemoteFailureAsync;
            });

        builder.Services.AddAuthorizationBuilder()
            .SetDefaultPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            // Every endpoint without its own rule needs a signed-in user holding a known portal role.
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().RequireRole(PortalRoles.All).Build());
        builder.Services.Configure<AuthorizationOptions>(options =>
        {
            foreach (var section in PortalSections.All)
            {
                options.AddPolicy(section.Policy, p => p.RequireAuthenticatedUser().RequireRole(section.Roles));
            }
        });
        builder.Services.AddCascadingAuthenticationState();
        return builder;
    }

    /// <summary>
    /// Sign-out: recorded, then ends the portal session and the identity provider's session. Only from the portal's own
    /// page: the form's antiforgery token is required, so another site cannot sign a user out with a cross-site POST.
    /// </summary>
    public static IEndpointRouteBuilder MapPortalAccountEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/account/sign-out", async (HttpContext context, IAuditTrail auditTrail, IAntiforgery antiforgery) =>
        {
            if (!await antiforgery.IsRequestValidAsync(context))
            {
                return Results.Problem(
                    "Sign-out was refused: the request did not come from the portal's own page (its antiforgery token is missing or invalid). Use the Sign out button in the portal.",
                    statusCode: StatusCodes.Status400BadRequest);
            }

            try
            {
                await auditTrail.RecordAsync(new AuditEntry(AuditActions.SignOut, AuditOutcome.Success, Target: "portal-session"));
            }
            catch (AuditWriteException)
            {
                // Signing out must always work; the failure is already logged by the audit trail.
            }

            return Results.SignOut(new AuthenticationProperties { RedirectUri = "/" }, [CookieScheme, OidcScheme]);
        }).RequireAuthorization();
        return endpoints;
    }

    private static OidcSettings AddDevelopmentIdentityProvider(WebApplicationBuilder builder)
    {
        if (!builder.Environment.IsDevelopment())
        {
            throw new PortalConfigurationException(
                $"Oidc:Authority is not configured and the environment is '{builder.Environment.EnvironmentName}'. " +
                "Set Oidc:Authority, Oidc:ClientId and Oidc:ClientSecret to your identity provider, " +
                "or run with ASPNETCORE_ENVIRONMENT=Development to use the embedded development identity provider.");
        }

        var idpUrl = new Uri(builder.Configuration["DevIdentity:Url"] ?? "http://localhost:5081");
        // A fresh secret per run: both ends live in this process, nothing to configure or leak.
        var secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        var portalUrls = (builder.Configuration["urls"] ?? "http://localhost:5080")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(u => new Uri(u.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal)))
            .ToList();
        var options = new DevIdentityOptions { Url = idpUrl };
        options.Clients.Add(new DevIdentityClient(
            DevelopmentClientId,
            secret,
            [.. portalUrls.Select(u => new Uri(u, "/signin-oidc"))],
            [.. portalUrls.Select(u => new Uri(u, "/signout-callback-oidc"))]));
        builder.Services.AddSingleton(options);
        builder.Services.AddHostedService<DevelopmentIdentityProviderHost>();
        return new OidcSettings { Authority = idpUrl.ToString(), ClientId = DevelopmentClientId, ClientSecret = secret };
    }

    private static void ValidateSettings(OidcSettings settings)
    {
        if (!Uri.TryCreate(settings.Authority, UriKind.Absolute, out var authority) || (authority.Scheme != Uri.UriSchemeHttps && authority.Scheme != Uri.UriSchemeHttp))
        {
            throw new PortalConfigurationException($"Oidc:Authority '{settings.Authority}' is not an absolute http(s) URL. Set it to your identity provider's issuer URL.");
        }

        if (string.IsNullOrWhiteSpace(settings.ClientId))
        {
            throw new PortalConfigurationException("Oidc:ClientId is not configured. Set it to the client id registered for the portal at your identity provider.");
        }

        if (string.IsNullOrWhiteSpace(settings.ClientSecret))
        {
            throw new PortalConfigurationException("Oidc:ClientSecret is not configured. Set it (through a secret store or environment variable, never in appsettings.json).");
        }

        if (authority.Scheme == Uri.UriSchemeHttp && !IsLoopbackHttp(authority) && settings.RequireHttpsMetadata != false)
        {
            throw new PortalConfigurationException($"Oidc:Authority '{authority}' uses plain http on a non-loopback host. Use https.");
        }
    }

    private static bool IsLoopbackHttp(Uri uri) =>
        uri.Scheme == Uri.UriSchemeHttp && (uri.IsLoopback || (IPAddress.TryParse(uri.Host, out var ip) && IPAddress.IsLoopback(ip)));
}

/// <summary>Which identity provider this portal signs in against.</summary>
public sealed record PortalIdentityProvider(Uri Authority, bool IsDevelopmentProvider);
