using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Precision.Portal.Server.Authentication;
using Precision.Portal.Server.Tests.Audit;
using Precision.Portal.Server.TumorBoards;
using Precision.Portal.Testing;

namespace Precision.Portal.Server.Tests.TumorBoards;

/// <summary><c>TumorBoards:Provider</c> and <c>TumorBoards:ConnectionString</c> on a real portal host.</summary>
public sealed class TumorBoardConfigurationTests
{
    [Theory]
    [InlineData("TumorBoards:Provider", "Postgres", "TumorBoards:Provider 'Postgres' is not known. Use Sqlite")]
    [InlineData("TumorBoards:Provider", "PostgreSql", "TumorBoards:Provider is PostgreSql, so TumorBoards:ConnectionString must name the server")]
    [InlineData("TumorBoards:ConnectionString", "Host=db;Database=boards", "TumorBoards:ConnectionString is set but TumorBoards:Provider is Sqlite")]
    [InlineData("TumorBoards:BusyTimeout", "soon", "The TumorBoards settings could not be read")]
    [InlineData("TumorBoards:BusyTimeout", "00:00:00", "TumorBoards:BusyTimeout must be positive")]
    public async Task Bad_tumor_board_settings_stop_the_portal_naming_the_setting(string key, string value, string message)
    {
        var options = new PortalTestHostOptions { StartIdentityProvider = false };
        options.Settings[key] = value;

        var error = await Assert.ThrowsAnyAsync<Exception>(() => PortalTestHost.StartAsync(options));

        var configuration = FindInner<PortalConfigurationException>(error);
        Assert.NotNull(configuration);
        Assert.Contains(message, configuration.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Hots=db;Database=boards", "TumorBoards:ConnectionString is not a valid PostgreSQL connection string")]
    [InlineData("Database=boards;Username=portal", "TumorBoards:ConnectionString names no Host")]
    public async Task Bad_postgresql_connection_strings_stop_the_portal_without_echoing_the_string(string connectionString, string message)
    {
        var options = new PortalTestHostOptions { StartIdentityProvider = false };
        options.Settings["TumorBoards:Provider"] = "postgresql";
        options.Settings["TumorBoards:ConnectionString"] = connectionString + ";Password=s3cret-value";

        var error = await Assert.ThrowsAnyAsync<Exception>(() => PortalTestHost.StartAsync(options));

        var configuration = FindInner<PortalConfigurationException>(error);
        Assert.NotNull(configuration);
        Assert.Contains(message, configuration.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-value", configuration.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostgreSQL_down_makes_the_tumor_board_store_unready_naming_the_setting_then_a_live_server_is_used()
    {
        var options = new PortalTestHostOptions { StartIdentityProvider = false };
        options.Settings["TumorBoards:Provider"] = "PostgreSql";
        options.Settings["TumorBoards:ConnectionString"] = $"Host=127.0.0.1;Port={FreePort.Next()};Username=postgres;Database=boards;Timeout=2";
        await using (var host = await PortalTestHost.StartAsync(options))
        {
            var (status, check) = await ReadinessAsync(host);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Equal("Unhealthy", check.GetProperty("status").GetString());
            var description = check.GetProperty("description").GetString()!;
            Assert.StartsWith("The tumor board store (PostgreSQL database 'boards' on 127.0.0.1:", description, StringComparison.Ordinal);
            Assert.Contains("TumorBoards:ConnectionString is running and reachable", description, StringComparison.Ordinal);
            Assert.Contains("The tumor board store is unavailable", host.Logs.AllText, StringComparison.Ordinal);
        }

        using var bed = new BoardTestBed(AuditEngine.PostgreSql);
        options.Settings["TumorBoards:ConnectionString"] = bed.ConnectionString;
        await using var live = await PortalTestHost.StartAsync(options);
        var (_, liveCheck) = await ReadinessAsync(live);
        Assert.Equal("Healthy", liveCheck.GetProperty("status").GetString());
        Assert.IsType<PostgreSqlTumorBoardStore>(live.Services.GetRequiredService<ITumorBoardStore>());
        using var direct = bed.OpenDirect();
        Assert.Equal(1L, Dapper.SqlMapper.ExecuteScalar<long>(direct, "SELECT MAX(version) FROM board_schema_version"));
    }

    private static async Task<(HttpStatusCode Status, JsonElement Check)> ReadinessAsync(PortalTestHost host)
    {
        using var client = host.CreateClient(followRedirects: false);
        using var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, body.RootElement.GetProperty("checks").GetProperty("tumor-board-store").Clone());
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
}
