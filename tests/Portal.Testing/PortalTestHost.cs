using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using Precision.Portal.DevIdentity;

namespace Precision.Portal.Testing;

public sealed class PortalTestHostOptions
{
    /// <summary>Users added to the identity provider besides the four demo users.</summary>
    public IList<DevIdentityUser> ExtraUsers { get; } = [];

    /// <summary>False to start the portal while its identity provider is down.</summary>
    public bool StartIdentityProvider { get; set; } = true;

    public string Environment { get; set; } = "Testing";

    /// <summary>Run as a new user would: Development, no <c>Oidc</c> settings, the portal starts its own provider.</summary>
    public bool UseEmbeddedIdentityProvider { get; set; }

    /// <summary>Extra configuration for the portal (key → value).</summary>
    public IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>();
}

/// <summary>
/// A real portal on a real Kestrel port, signing in against a real OpenID Connect provider (the development
/// provider on its own port, with a signing key the tests know), with its audit store in a temporary directory.
/// </summary>
public sealed class PortalTestHost : IAsyncDisposable
{
    public const string ClientId = "precision-portal-test";
    private const string ClientSecret = "test-client-secret-0123456789";

    private readonly PortalTestHostOptions _options;
    private readonly PortalFactory _factory;
    private DevIdentityProvider? _identityProvider;

    private PortalTestHost(PortalTestHostOptions options, int portalPort, int idpPort, string dataDirectory)
    {
        _options = options;
        PortalUrl = new Uri($"http://127.0.0.1:{portalPort}/");
        IdentityProviderUrl = new Uri($"http://127.0.0.1:{idpPort}/");
        DataDirectory = dataDirectory;
        _factory = new PortalFactory(this, portalPort);
    }

    public Uri PortalUrl { get; }

    public Uri IdentityProviderUrl { get; }

    public string DataDirectory { get; }

    public RsaSecurityKey SigningKey { get; } = new(RSA.Create(2048)) { KeyId = "test-signing-key" };

    public CapturedLogs Logs { get; } = new();

    public IServiceProvider Services => _factory.Services;

    public static async Task<PortalTestHost> StartAsync(PortalTestHostOptions? options = null)
    {
        options ??= new PortalTestHostOptions();
        var dataDirectory = Path.Combine(Path.GetTempPath(), "precision-portal-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDirectory);
        var host = new PortalTestHost(options, FreePort.Next(), FreePort.Next(), dataDirectory);
        if (options.StartIdentityProvider && !options.UseEmbeddedIdentityProvider)
        {
            await host.StartIdentityProviderAsync();
        }

        host._factory.StartServer();
        return host;
    }

    public async Task StartIdentityProviderAsync()
    {
        var idp = new DevIdentityOptions { Url = IdentityProviderUrl, SigningKey = SigningKey };
        foreach (var user in _options.ExtraUsers)
        {
            idp.Users.Add(user);
        }

        idp.Clients.Add(new DevIdentityClient(ClientId, ClientSecret,
            [new Uri(PortalUrl, "/signin-oidc")], [new Uri(PortalUrl, "/signout-callback-oidc")]));
        _identityProvider = await DevIdentityProvider.StartAsync(idp);
    }

    public async Task StopIdentityProviderAsync()
    {
        if (_identityProvider is not null)
        {
            await _identityProvider.StopAsync();
            await _identityProvider.DisposeAsync();
            _identityProvider = null;
        }
    }

    /// <summary>A client with its own cookie jar, as one browser would have.</summary>
    public HttpClient CreateClient(bool followRedirects = true)
    {
#pragma warning disable CA2000 // the client owns its handler
        var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = followRedirects, UseCookies = true };
#pragma warning restore CA2000
        var client = new HttpClient(handler, disposeHandler: true) { BaseAddress = PortalUrl };
        client.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        return client;
    }

    /// <summary>Signs in through the provider's real login page over HTTP and returns the signed-in client.</summary>
    public async Task<HttpClient> SignInAsync(string userName, string password) => (await SignInFromAsync(new Uri(PortalUrl, "/"), userName, password)).Client;

    /// <summary>
    /// Requests <paramref name="start"/> anonymously, signs in at the identity provider it leads to, and returns the client
    /// and where the browser-like redirects ended after sign-in.
    /// </summary>
    public async Task<(HttpClient Client, Uri Landed)> SignInFromAsync(Uri start, string userName, string password)
    {
        ArgumentNullException.ThrowIfNull(start);
        var client = CreateClient();
        var loginPage = await client.GetAsync(start);
        var html = await loginPage.Content.ReadAsStringAsync();
        var loginUrl = loginPage.RequestMessage!.RequestUri!;
        if (!loginUrl.AbsolutePath.EndsWith("/account/login", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Expected the identity provider's login page, got {loginUrl} ({(int)loginPage.StatusCode}).");
        }

        var form = HtmlForm.HiddenFields(html);
        form["username"] = userName;
        form["password"] = password;
        using var content = new FormUrlEncodedContent(form);
        var signedIn = await client.PostAsync(new Uri(loginUrl, "/account/login"), content);
        var landed = signedIn.RequestMessage!.RequestUri!;
        if (landed.Authority != PortalUrl.Authority || !signedIn.IsSuccessStatusCode || landed.AbsolutePath == "/signin-oidc")
        {
            var body = await signedIn.Content.ReadAsStringAsync();
            throw new InvalidOperationException($"Sign-in as {userName} failed; ended at {landed} ({(int)signedIn.StatusCode}): {body}");
        }

        return (client, landed);
    }

    /// <summary>
    /// Takes an exclusive lock on the audit database from a second connection, as a stuck process or backup tool would;
    /// the portal's audit writes fail until the returned handle is disposed.
    /// </summary>
    public async Task<IAsyncDisposable> LockAuditDatabaseAsync()
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(DataDirectory, "audit.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "BEGIN EXCLUSIVE;";
        await command.ExecuteNonQueryAsync();
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        await _factory.DisposeAsync();
        await StopIdentityProviderAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory left behind is harmless.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private sealed class PortalFactory(PortalTestHost host, int port) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("urls", host.PortalUrl.ToString().TrimEnd('/'));
            if (host._options.UseEmbeddedIdentityProvider)
            {
                builder.UseEnvironment("Development");
                builder.UseSetting("DevIdentity:Url", host.IdentityProviderUrl.ToString());
            }
            else
            {
                builder.UseEnvironment(host._options.Environment);
                builder.UseSetting("Oidc:Authority", host.IdentityProviderUrl.ToString());
                builder.UseSetting("Oidc:ClientId", ClientId);
                builder.UseSetting("Oidc:ClientSecret", ClientSecret);
            }

            builder.UseSetting("Portal:DataDirectory", host.DataDirectory);
            // The embedded default generates its synthetic cohort on first use; a small one keeps tests quick.
            builder.UseSetting("DemoCohort:PatientCount", "60");
            foreach (var (key, value) in host._options.Settings)
            {
                builder.UseSetting(key, value);
            }

            builder.ConfigureLogging(logging => logging.AddProvider(host.Logs).SetMinimumLevel(LogLevel.Debug));
            UseKestrel(port);
        }
    }
}

/// <summary>Reads hidden inputs from a server-rendered form.</summary>
public static class HtmlForm
{
    public static Dictionary<string, string> HiddenFields(string html)
    {
        var fields = new Dictionary<string, string>();
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(html,
                     "<input type=\"hidden\" name=\"(?<name>[^\"]+)\" value=\"(?<value>[^\"]*)\""))
        {
            fields[WebUtility.HtmlDecode(m.Groups["name"].Value)] = WebUtility.HtmlDecode(m.Groups["value"].Value);
        }

        return fields;
    }
}

/// <summary>The development provider's demo users as xunit theory rows: user name, password, role.</summary>
public static class DemoUsers
{
    public static Xunit.TheoryData<string, string, string> WithRoles()
    {
        var data = new Xunit.TheoryData<string, string, string>();
        foreach (var user in DevIdentityOptions.DefaultUsers)
        {
            data.Add(user.UserName, user.Password, user.Roles[0]);
        }

        return data;
    }
}
