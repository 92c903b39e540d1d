using System.Data;
using System.Data.Common;
using System.Globalization;
using Dapper;
using Npgsql;
using Precision.Portal.Server.Audit;
using Precision.Portal.Server.Hosting;

namespace Precision.Portal.Server.TumorBoards;

/// <summary>
/// Meetings, agendas and recommendation versions in PostgreSQL, for several portal instances sharing one database.
/// Writes run in READ COMMITTED transactions that first lock the meeting row (agenda changes) or the case row (saving and
/// signing its recommendation) with <c>SELECT … FOR NO KEY UPDATE</c>: writers on every instance serialize on that row,
/// and each one reads what the one before committed — so of two chairs signing the same version at once exactly one
/// signs and the other is told it is already signed. A lock held longer than <see cref="TumorBoardStoreOptions.BusyTimeout"/>
/// fails the write (nothing changed). Its migrations record themselves in <c>board_schema_version</c>, so the tumor
/// boards may share a database (or schema) with the audit trail.
/// </summary>
public sealed class PostgreSqlTumorBoardStore : TumorBoardSqlStore
{
    internal const string VersionTable = "board_schema_version";

    private static readonly SqlMigrator Migrator = SqlMigrator.FromEmbeddedScripts(
        typeof(PostgreSqlTumorBoardStore).Assembly, "Precision.Portal.Server.TumorBoards.Migrations.postgresql.", VersionTable);

    // Session advisory lock taken while migrating, so instances starting together do not race on DDL.
    private const long MigrationLockKey = 0x7072_6563_626F_6172; // "precboar"

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeSpan _busyTimeout;

    public PostgreSqlTumorBoardStore(TumorBoardStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            throw new ArgumentException("TumorBoards:ConnectionString is not set; the PostgreSQL tumor board store needs it.", nameof(options));
        }

        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        _busyTimeout = options.BusyTimeout > TimeSpan.Zero ? options.BusyTimeout : TimeSpan.FromSeconds(5);
        Location = DatabaseProviderSettings.DescribePostgreSql(builder);
        if (builder.Timeout > 0 && builder.Timeout > Math.Ceiling(_busyTimeout.TotalSeconds) + 10)
        {
            // A down server should fail a page about as fast as a locked case, not after the default 15 s.
            builder.Timeout = (int)Math.Ceiling(_busyTimeout.TotalSeconds) + 10;
        }

        _dataSource = NpgsqlDataSource.Create(builder);
    }

    public override string Location { get; }

    protected override async Task MigrateAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"SELECT pg_advisory_lock({MigrationLockKey})", cancellationToken: cancellationToken)).ConfigureAwait(false);
            try
            {
                await Migrator.MigrateAsync(connection, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await connection.ExecuteAsync($"SELECT pg_advisory_unlock({MigrationLockKey})").ConfigureAwait(false);
            }
        }
    }

    protected override async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    protected override async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
        try
        {
            // LOCAL: ends with the transaction, so a pooled connection does not keep it.
            await connection.ExecuteAsync(new CommandDefinition(
                string.Create(CultureInfo.InvariantCulture, $"SET LOCAL lock_timeout = {(long)_busyTimeout.TotalMilliseconds}"),
                transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return transaction;
        }
        catch
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    protected override async Task LockAsync(DbConnection connection, DbTransaction transaction, LockScope scope, string id, CancellationToken cancellationToken)
    {
        var sql = scope == LockScope.Meeting
            ? "SELECT id FROM board_meeting WHERE id = @id FOR NO KEY UPDATE"
            : "SELECT id FROM board_case WHERE id = @id FOR NO KEY UPDATE";
        await connection.ExecuteAsync(new CommandDefinition(sql, new { id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    protected override async Task CheckAcceptsWritesAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        var readOnly = await connection.ExecuteScalarAsync<string>(new CommandDefinition(
            "SELECT current_setting('transaction_read_only')", transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (string.Equals(readOnly, "on", StringComparison.OrdinalIgnoreCase))
        {
            throw new PostgresException("the server accepts no writes (transaction_read_only is on)", "ERROR", "ERROR", "25006");
        }
    }

    protected override string Advice(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState switch
        {
            "55P03" => $"Another portal instance held this meeting or case locked for more than {_busyTimeout.TotalSeconds:0.#} s; nothing was saved. Try again, and if it persists look for long transactions on the database (pg_stat_activity).",
            "23505" => "Someone saved the same change at the same moment on another portal instance; nothing was saved. Reload and try again.",
            "25006" => "The PostgreSQL server accepts no writes (a standby, or default_transaction_read_only). Point TumorBoards:ConnectionString at the primary.",
            "42501" => "The database user in TumorBoards:ConnectionString may not use the tumor board tables. Grant it SELECT, INSERT and UPDATE on them (and ownership for migrations).",
            "28P01" or "28000" => "The PostgreSQL server refused the user or password in TumorBoards:ConnectionString.",
            "3D000" => "The database named in TumorBoards:ConnectionString does not exist. Create it; the portal creates its tables itself.",
            "53100" => "The PostgreSQL server's disk is full. Free space there; nothing was saved.",
            "57P01" or "57P02" or "57P03" => "The PostgreSQL server is shutting down or starting up. Try again when it is back.",
            "P0001" => "A signed recommendation is locked by the database; save an amendment (a new version) instead.",
            _ => "Check the PostgreSQL server's log and TumorBoards:ConnectionString.",
        },
        NpgsqlException => "Check that the PostgreSQL server named in TumorBoards:ConnectionString is running and reachable from the portal, and that its credentials are right.",
        _ => string.Empty,
    };

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _dataSource.Dispose();
        }

        base.Dispose(disposing);
    }
}
