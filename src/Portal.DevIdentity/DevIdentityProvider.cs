using System.Collections.Immutable;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Precision.Portal.DevIdentity;

/// <summary>
/// A real OpenID Connect provider (OpenIddict) for development and tests: authorization code + PKCE,
/// a login page with a real password check, end-session. It runs as its own web host on its own port
/// so the portal talks to it exactly as it would to a production provider.
/// </summary>
public sealed class DevIdentityProvider : IAsyncDisposable
{
    private const string SessionScheme = "DevIdentitySession";

    private readonly WebApplication _app;

    private DevIdentityProvider(WebApplication app, Uri authority)
    {
        _app = app;
        Authority = authority;
    }

    /// <summary>The issuer; its discovery document is at <c>.well-known/openid-configuration</c>.</summary>
    public Uri Authority { get; }

    public static async Task<DevIdentityProvider> StartAsync(DevIdentityOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Clients.Count == 0)
        {
            throw new InvalidOperationException("The development identity provider needs at least one registered client.");
        }

        var authority = new Uri(options.Url.GetLeftPart(UriPartial.Authority) + "/");
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(DevIdentityProvider).Assembly.GetName().Name,
            EnvironmentName = Environments.Development,
            ContentRootPath = AppContext.BaseDirectory,
        });

        // The provider must not pick up the host application's settings (URLs, logging, secrets).
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection();
        builder.Logging.ClearProviders();
        if (loggerFactory is not null)
        {
            builder.Services.AddSingleton<ILoggerFactory>(new ProviderLoggerFactory(loggerFactory));
        }

        builder.WebHost.UseKestrel().UseUrls(authority.GetLeftPart(UriPartial.Authority));
        ConfigureServices(builder.Services, options, authority);

        var app = builder.Build();
        MapEndpoints(app, options);
        await RegisterClientsAsync(app.Services, options, cancellationToken).ConfigureAwait(false);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        return new DevIdentityProvider(app, authority);
    }

    public async Task StopAsync(CancellationToken cancellationToken = default) =>
        await _app.StopAsync(cancellationToken).ConfigureAwait(false);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync().ConfigureAwait(false);

    private static void ConfigureServices(IServiceCollection services, DevIdentityOptions options, Uri authority)
    {
        services.AddSingleton(options);
        services.AddAntiforgery(o => o.Cookie.Name = "dev-idp-antiforgery");
        // One database per provider instance; the options lambda runs for every context, so name it once.
        var databaseName = "dev-identity-" + Guid.NewGuid().ToString("N");
        services.AddDbContext<DevIdentityDbContext>(db =>
        {
            db.UseInMemoryDatabase(databaseName);
            db.UseOpenIddict();
        });

        services.AddAuthentication(SessionScheme)
            .AddCookie(SessionScheme, cookie =>
            {
                cookie.Cookie.Name = "dev-idp-session";
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.LoginPath = "/account/login";
                cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
            });
        services.AddAuthorization();

        services.AddOpenIddict()
            .AddCore(core => core.UseEntityFrameworkCore().UseDbContext<DevIdentityDbContext>())
            .AddServer(server =>
            {
                server.SetIssuer(authority);
                server.SetAuthorizationEndpointUris("connect/authorize")
                    .SetTokenEndpointUris("connect/token")
                    .SetEndSessionEndpointUris("connect/endsession");
                server.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange();
                server.RegisterScopes(Scopes.OpenId, Scopes.Profile, Scopes.Roles);
                server.SetIdentityTokenLifetime(options.IdentityTokenLifetime);
                server.AddSigningKey(options.SigningKey ?? new RsaSecurityKey(RSA.Create(2048)));
                server.AddEphemeralEncryptionKey();
                server.DisableAccessTokenEncryption();
                server.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableEndSessionEndpointPassthrough()
                    // Development runs on plain http over loopback.
                    .DisableTransportSecurityRequirement();
            });
    }

    private static async Task RegisterClientsAsync(IServiceProvider services, DevIdentityOptions options, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var manager = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        foreach (var client in options.Clients)
        {
            var descriptor = new OpenIddictApplicationDescriptor
            {
                ClientId = client.ClientId,
                ClientSecret = client.ClientSecret,
                ClientType = ClientTypes.Confidential,
                ConsentType = ConsentTypes.Implicit,
                DisplayName = client.ClientId,
                Permissions =
                {
                    Permissions.Endpoints.Authorization,
                    Permissions.Endpoints.Token,
                    Permissions.Endpoints.EndSession,
                    Permissions.GrantTypes.AuthorizationCode,
                    Permissions.ResponseTypes.Code,
                    Permissions.Scopes.Profile,
                    Permissions.Scopes.Roles,
                },
                Requirements = { Requirements.Features.ProofKeyForCodeExchange },
            };
            foreach (var uri in client.RedirectUris)
            {
                descriptor.RedirectUris.Add(uri);
            }

            foreach (var uri in client.PostLogoutRedirectUris)
            {
                descriptor.PostLogoutRedirectUris.Add(uri);
            }

            await manager.CreateAsync(descriptor, cancellationToken).ConfigureAwait(false);
        }
    }

    private static void MapEndpoints(WebApplication app, DevIdentityOptions options)
    {
        app.Use(async (context, next) =>
        {
            context.Response.Headers.XContentTypeOptions = "nosniff";
            context.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; frame-ancestors 'none'";
            context.Response.Headers["Referrer-Policy"] = "no-referrer";
            await next(context).ConfigureAwait(false);
        });
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();

        app.MapGet("/", () => Results.Redirect("/.well-known/openid-configuration"));

        app.MapGet("/account/login", (HttpContext context, IAntiforgery antiforgery, [FromQuery] string? returnUrl) =>
            LoginResponse(context, antiforgery, options, SafeReturnUrl(returnUrl), error: null, userName: null, StatusCodes.Status200OK));

        app.MapPost("/account/login", async (HttpContext context, IAntiforgery antiforgery, [FromForm] LoginForm form) =>
        {
            var returnUrl = SafeReturnUrl(form.ReturnUrl);
            var user = FindUser(options, form.UserName, form.Password);
            if (user is null)
            {
                return LoginResponse(context, antiforgery, options, returnUrl, "Unknown user name or wrong password.", form.UserName, StatusCodes.Status401Unauthorized);
            }

            var identity = new ClaimsIdentity(SessionScheme, Claims.Name, Claims.Role);
            identity.AddClaim(new Claim(Claims.Subject, user.Subject));
            identity.AddClaim(new Claim(Claims.Name, user.DisplayName));
            await context.SignInAsync(SessionScheme, new ClaimsPrincipal(identity)).ConfigureAwait(false);
            return Results.LocalRedirect(returnUrl);
        });

        app.MapMethods("/connect/authorize", [HttpMethods.Get, HttpMethods.Post], async (HttpContext context) =>
        {
            var request = context.GetOpenIddictServerRequest()
                ?? throw new InvalidOperationException("The OpenID Connect request could not be read.");
            var session = await context.AuthenticateAsync(SessionScheme).ConfigureAwait(false);
            var user = session.Succeeded ? options.Users.FirstOrDefault(u => u.Subject == session.Principal?.FindFirst(Claims.Subject)?.Value) : null;
            var authenticatedAt = session.Succeeded ? session.Properties?.IssuedUtc : null;
            // prompt=login, or a session older than max_age, needs the password again (OIDC Core 3.1.2.1).
            var tooOld = request.MaxAge is { } maxAge && (authenticatedAt is null || authenticatedAt.Value.AddSeconds(maxAge) < DateTimeOffset.UtcNow.AddSeconds(-1));
            if (user is null || request.HasPromptValue(PromptValues.Login) || tooOld)
            {
                // After the login the request comes back without prompt and max_age, or it would ask again forever.
                var parameters = (context.Request.HasFormContentType ? [.. context.Request.Form] : context.Request.Query.ToList())
                    .Where(p => p.Key is not (Parameters.Prompt or Parameters.MaxAge));
                var redirect = context.Request.PathBase + context.Request.Path + QueryString.Create(parameters);
                return Results.Challenge(new AuthenticationProperties { RedirectUri = redirect }, [SessionScheme]);
            }

            var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
            identity.SetClaim(Claims.Subject, user.Subject)
                .SetClaim(Claims.Name, user.DisplayName)
                .SetClaim(Claims.PreferredUsername, user.UserName)
                .SetClaims(Claims.Role, [.. user.Roles])
                // When the password was last checked, so relying parties can require a fresh sign-in (e.g. to sign).
                .SetClaim(Claims.AuthenticationTime, (authenticatedAt ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds());
            identity.SetScopes(request.GetScopes());
            identity.SetDestinations(claim => claim.Type switch
            {
                Claims.Name or Claims.PreferredUsername or Claims.Role or Claims.AuthenticationTime => [Destinations.IdentityToken, Destinations.AccessToken],
                _ => [Destinations.AccessToken],
            });
            return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        });

        app.MapMethods("/connect/endsession", [HttpMethods.Get, HttpMethods.Post], async (HttpContext context) =>
        {
            // Ends the provider session, so the next portal sign-in asks for the password again.
            await context.SignOutAsync(SessionScheme).ConfigureAwait(false);
            return Results.SignOut(new AuthenticationProperties { RedirectUri = "/account/signed-out" }, [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }).DisableAntiforgery();

        app.MapGet("/account/signed-out", () => Results.Content(LoginPage.SignedOut(), "text/html; charset=utf-8"));
    }

    private static IResult LoginResponse(HttpContext context, IAntiforgery antiforgery, DevIdentityOptions options, string returnUrl, string? error, string? userName, int status)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        var html = LoginPage.Render(options.Users, returnUrl, tokens.FormFieldName, tokens.RequestToken ?? string.Empty, error, userName);
        return Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    private static DevIdentityUser? FindUser(DevIdentityOptions options, string? userName, string? password)
    {
        if (string.IsNullOrEmpty(userName) || string.IsNullOrEmpty(password))
        {
            return null;
        }

        var user = options.Users.FirstOrDefault(u => string.Equals(u.UserName, userName, StringComparison.OrdinalIgnoreCase));
        // Compare hashes in constant time so the check behaves like a real one.
        var expected = SHA256.HashData(Encoding.UTF8.GetBytes(user?.Password ?? Guid.NewGuid().ToString()));
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(password));
        return CryptographicOperations.FixedTimeEquals(expected, given) ? user : null;
    }

    private static string SafeReturnUrl(string? returnUrl) =>
        returnUrl is { Length: > 0 } && returnUrl[0] == '/' && !returnUrl.StartsWith("//", StringComparison.Ordinal) && !returnUrl.StartsWith("/\\", StringComparison.Ordinal)
            ? returnUrl
            : "/";

    internal sealed record LoginForm(
        [property: FromForm(Name = "username")] string? UserName,
        [property: FromForm(Name = "password")] string? Password,
        [property: FromForm(Name = "returnUrl")] string? ReturnUrl);
}
