using System.Data;
using System.Data.Common;
using Dapper;
using Npgsql;

namespace Precision.Portal.Server.ModelVersions;

/// <summary>
/// The activation history in PostgreSQL, shared by every portal instance that points at it. Writes lock the table
/// (<c>SHARE ROW EXCLUSIVE</c>: readers go on, writers queue), so concurrent activations are recorded one after another.
/// </summary>
public sealed class PostgreSqlModelActivationStore : ModelActivationStore
{
    private static readonly Audit.SqlMigrator Migrator = EmbeddedMigrator("postgresql");

    // Session advisory lock taken while migrating, so instances starting together do not race on DDL.
    private const long MigrationLockKey = 0x7072_6563_6d6f_6465; // "precmode"

    private readonly NpgsqlDataSource _dataSource;
    private readonly int _lockTimeoutMilliseconds;

    public PostgreSqlModelActivationStore(ModelActivationStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            throw new ArgumentException("ModelRegistry:ConnectionString is not set; the PostgreSQL activation history needs it.", nameof(options));
        }

        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        var busy = options.BusyTimeout > TimeSpan.Zero ? options.BusyTimeout : TimeSpan.FromSeconds(5);
        _lockTimeoutMilliseconds = (int)Math.Ceiling(busy.TotalMilliseconds);
        if (builder.Timeout > Math.Ceiling(busy.TotalSeconds) + 10)
        {
            // A down server should refuse an activation about as fast as a locked one.
            builder.Timeout = (int)Math.Ceiling(busy.TotalSeconds) + 10;
        }

        Location = $"PostgreSQL database '{builder.Database ?? builder.Username}' on {builder.Host}:{builder.Port}"
            + (string.IsNullOrEmpty(builder.SearchPath) ? string.Empty : $" (schema {builder.SearchPath})");
        _dataSource = NpgsqlDataSource.Create(builder);
    }

    public override string Location { get; }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _dataSource.Dispose();
        }

        base.Dispose(disposing);
    }

    protected override async Task MigrateAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await connection.ExecuteAsync(new CommandDefinition($"SELECT pg_advisory_lock({MigrationLockKey})", cancellationToken: cancellationToken)).ConfigureAwait(false);
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
        await connection.ExecuteAsync(new CommandDefinition(
            $"SET LOCAL lock_timeout = {_lockTimeoutMilliseconds}; LOCK TABLE model_activation IN SHARE ROW EXCLUSIVE MODE",
            transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return transaction;
    }
}
