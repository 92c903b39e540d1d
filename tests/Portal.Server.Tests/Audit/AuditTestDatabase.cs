using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;
using Precision.Portal.Server.Audit;

namespace Precision.Portal.Server.Tests.Audit;

public enum AuditEngine
{
    Sqlite,
    PostgreSql,
}

/// <summary>Store tests run once per engine.</summary>
public static class AuditEngines
{
    public const string EnvironmentVariable = "PRECISION_TEST_POSTGRES";

    public static TheoryData<AuditEngine> All => new() { AuditEngine.Sqlite, AuditEngine.PostgreSql };

    /// <summary>
    /// The PostgreSQL server the tests use: a throwaway cluster started by <c>infra/test/run-all-tests.sh</c> (or
    /// <c>infra/test/postgres.sh -- …</c>). Missing means the PostgreSQL cases fail, loudly, instead of being skipped:
    /// a skipped case would let a broken PostgreSQL store pass unnoticed.
    /// </summary>
    public static string PostgresConnectionString =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"The PostgreSQL audit store tests need a server: {EnvironmentVariable} is not set. Run them through "
                + "'bash infra/test/run-all-tests.sh', or start a throwaway cluster around them with "
                + "'bash infra/test/postgres.sh -- dotnet test tests/Portal.Server.Tests'.");
}

/// <summary>
/// One test's audit database: a fresh SQLite file in a temporary directory, or a fresh schema in the test
/// PostgreSQL database (the store's connection string sets its search path). Removed afterwards.
/// </summary>
internal sealed class AuditTestDatabase : IDisposable
{
    private readonly AuditTestDirectory? _sqlite;
    private readonly string? _schema;

    public AuditTestDatabase(AuditEngine engine)
    {
        Engine = engine;
        if (engine == AuditEngine.Sqlite)
        {
            _sqlite = new AuditTestDirectory();
            return;
        }

        _schema = "audit_test_" + Guid.NewGuid().ToString("N");
        var builder = new NpgsqlConnectionStringBuilder(AuditEngines.PostgresConnectionString) { SearchPath = _schema, Pooling = true };
        ConnectionString = builder.ToString();
        using var admin = new NpgsqlConnection(AuditEngines.PostgresConnectionString);
        admin.Open();
        admin.Execute($"CREATE SCHEMA {_schema}");
    }

    public AuditEngine Engine { get; }

    /// <summary>The PostgreSQL connection string with this test's schema; null for SQLite.</summary>
    public string? ConnectionString { get; }

    public AuditTestDirectory Directory => _sqlite ?? throw new InvalidOperationException("Only the SQLite database has a directory.");

    public IChainedAuditStore CreateStore(TimeProvider? time = null, TimeSpan? busyTimeout = null) => Engine == AuditEngine.Sqlite
        ? _sqlite!.CreateStore(time, busyTimeout)
        : new PostgreSqlAuditStore(Options(busyTimeout), time);

    public AuditStoreOptions Options(TimeSpan? busyTimeout = null) => Engine == AuditEngine.Sqlite
        ? new AuditStoreOptions { DataDirectory = _sqlite!.Root, BusyTimeout = busyTimeout ?? TimeSpan.FromSeconds(5) }
        : new AuditStoreOptions { Provider = "PostgreSql", ConnectionString = ConnectionString, BusyTimeout = busyTimeout ?? TimeSpan.FromSeconds(5) };

    /// <summary>A connection outside the store, as an administrator or attacker with database access would have.</summary>
    public DbConnection OpenDirect()
    {
        if (Engine == AuditEngine.Sqlite)
        {
            return _sqlite!.OpenDirect();
        }

        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>Runs SQL with the append-only triggers dropped, as someone with owner rights could.</summary>
    public void Tamper(string sql)
    {
        if (Engine == AuditEngine.Sqlite)
        {
            _sqlite!.Tamper(sql);
            return;
        }

        using var connection = OpenDirect();
        connection.Execute("DROP TRIGGER IF EXISTS audit_event_no_update ON audit_event; DROP TRIGGER IF EXISTS audit_event_no_delete ON audit_event;");
        connection.Execute(sql);
    }

    /// <summary>SQL quoting a column's value, NULL as the word NULL, in this engine's dialect.</summary>
    public string Quote(string column) => Engine == AuditEngine.Sqlite ? $"quote({column})" : $"quote_nullable({column}::text)";

    /// <summary>The stored (not generated) columns of audit_event.</summary>
    public IReadOnlyList<string> StoredColumns()
    {
        using var connection = OpenDirect();
        return [.. connection.Query<string>(Engine == AuditEngine.Sqlite
            ? "SELECT name FROM pragma_table_info('audit_event')"
            : "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'audit_event' AND is_generated = 'NEVER'")];
    }

    public void Dispose()
    {
        _sqlite?.Dispose();
        if (_schema is not null)
        {
            NpgsqlConnection.ClearAllPools();
            using var admin = new NpgsqlConnection(AuditEngines.PostgresConnectionString);
            admin.Open();
            admin.Execute($"DROP SCHEMA IF EXISTS {_schema} CASCADE");
        }
    }
}
