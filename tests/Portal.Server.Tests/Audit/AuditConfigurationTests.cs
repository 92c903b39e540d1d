using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Precision.Portal.Client.Audit;
using Precision.Portal.Server.Audit;
using Precision.Portal.Server.Authentication;
using Precision.Portal.Testing;

namespace Precision.Portal.Server.Tests.Audit;

public sealed class AuditConfigurationTests
{
    [Theory]
    [InlineData("Audit:Provider", "Postgres", "Audit:Provider 'Postgres' is not known")]
    [InlineData("Audit:Provider", "PostgreSql", "Audit:Provider is PostgreSql, so Audit:ConnectionString must name the server")]
    [InlineData("Audit:ConnectionString", "Host=db;Database=audit", "Audit:ConnectionString is set but Audit:Provider is Sqlite")]
    [InlineData("Audit:RetentionDays", "-1", "Audit:RetentionDays must be 0")]
    [InlineData("Audit:VerifyInterval", "soon", "The Audit settings could not be read")]
    public async Task Bad_audit_settings_stop_the_portal_naming_the_setting(string key, string value, string message)
    {
        var options = new PortalTestHostOptions { StartIdentityProvider = false };
        options.Settings[key] = value;
        var error = await Assert.ThrowsAnyAsync<Exception>(() => PortalTestHost.StartAsync(options));
        var configuration = FindInner<PortalConfigurationException>(error);
        Assert.NotNull(configuration);
        Assert.Contains(message, configuration.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Hots=db;Database=audit", "Audit:ConnectionString is not a valid PostgreSQL connection string")]
    [InlineData("Database=audit;Username=portal", "Audit:ConnectionString names no Host")]
    public async Task Bad_postgresql_connection_strings_stop_the_portal_without_echoing_the_string(string connectionString, string message)
    {
        var options = new PortalTestHostOptions { StartIdentityProvider = false };
        options.Settings["Audit:Provider"] = "postgresql";
        options.Settings["Audit:ConnectionString"] = connectionString + ";Password=s3cret-value";
        var error = await Assert.ThrowsAnyAsync<Exception>(() => PortalTestHost.StartAsync(options));
        var configuration = FindInner<PortalConfigurationException>(error);
        Assert.NotNull(configuration);
        Assert.Contains(message, configuration.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-value", configuration.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostgreSQL_down_makes_the_portal_unready_and_refuses_sign_in_then_it_recovers_on_a_live_server()
    {
        using var db = new AuditTestDatabase(AuditEngine.PostgreSql);
        var options = new PortalTestHostOptions();
        options.Settings["Audit:Provider"] = "PostgreSql";
        options.Settings["Audit:ConnectionString"] = $"Host=127.0.0.1;Port={FreePort.Next()};Username=postgres;Database=postgres;Timeout=2";
        await using (var host = await PortalTestHost.StartAsync(options))
        {
            using var client = host.CreateClient(followRedirects: false);
            using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            var body = await ready.Content.ReadAsStringAsync();
            Assert.Contains("PostgreSQL database", body, StringComparison.Ordinal); // the JSON escapes the quotes around the name
            Assert.Contains("on 127.0.0.1:", body, StringComparison.Ordinal);
            Assert.Contains("running and reachable", body, StringComparison.Ordinal);
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => host.SignInAsync("clinician", "clinician-demo"));
            Assert.Contains("audit trail could not record it", refused.Message, StringComparison.Ordinal);
        }

        options.Settings["Audit:ConnectionString"] = db.ConnectionString;
        await using var live = await PortalTestHost.StartAsync(options);
        // Ready once every check has answered: on a loaded machine the first identity-provider probe of a new host can
        // exceed its own 5 s timeout, so the live portal gets a few tries before the report counts as a failure.
        using var liveClient = live.CreateClient(followRedirects: false);
        var (status, report) = (HttpStatusCode.ServiceUnavailable, string.Empty);
        for (var attempt = 0; attempt < 6 && status != HttpStatusCode.OK; attempt++)
        {
            using var ready = await liveClient.GetAsync(new Uri("/health/ready", UriKind.Relative));
            (status, report) = (ready.StatusCode, await ready.Content.ReadAsStringAsync());
        }

        Assert.True(status == HttpStatusCode.OK, report);

        using var signedIn = await live.SignInAsync("compliance", "compliance-demo");
        Assert.IsType<PostgreSqlAuditStore>(live.Services.GetRequiredService<IAuditStore>());
        using var export = await signedIn.GetAsync(new Uri("/compliance/audit/export?format=csv&action=user.sign-in", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.Contains("user.sign-in", await export.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True((await live.Services.GetRequiredService<IAuditReader>().VerifyChainAsync()).IsValid);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Scheduled_verification_records_its_result_and_logs_an_error_naming_the_first_broken_event(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        await using var store = db.CreateStore();
        await AuditSamples.AppendManyAsync(store, 5);
        var logs = new ListLogger<AuditChainMonitor>();
        var monitor = new AuditChainMonitor(store, store, Options.Create(new AuditStoreOptions { VerifyInterval = TimeSpan.FromMinutes(5) }), TimeProvider.System, logs);

        var intact = await monitor.RunOnceAsync(CancellationToken.None);
        Assert.True(intact.LastResult!.IsValid);
        Assert.Equal(TimeSpan.FromMinutes(5), intact.Interval);
        var recorded = Assert.Single((await store.SearchAsync(new AuditSearchQuery { Action = AuditActions.AuditChainVerify, User = "system" })).Events);
        Assert.Contains("\"scheduled\":true", recorded.DetailsJson, StringComparison.Ordinal);

        db.Tamper("UPDATE audit_event SET outcome = 'Failure' WHERE sequence = 3");
        var broken = await monitor.RunOnceAsync(CancellationToken.None);

        Assert.False(broken.LastResult!.IsValid);
        Assert.Same(broken, monitor.Status);
        var error = Assert.Single(logs.Entries, e => e.Level == LogLevel.Error);
        Assert.Contains("First broken event 3", error.Message, StringComparison.Ordinal);
    }

    private static T? FindInner<T>(Exception? error)
        where T : Exception
    {
        while (error is not null)
        {
            if (error is T found)
            {
                return found;
            }

            error = error.InnerException;
        }

        return null;
    }

    private sealed class ListLogger<T> : ILogger<T>
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }
}
