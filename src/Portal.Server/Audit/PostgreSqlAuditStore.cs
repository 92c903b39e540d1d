using System.Data;
using Npgsql;
using NpgsqlTypes;
using Precision.Portal.Client.Audit;

namespace Precision.Portal.Server.Audit;

/// <summary>
/// Audit trail in PostgreSQL, for several portal instances sharing one chain. Appends of this instance go through
/// one writer loop that commits whatever is queued as one transaction (group commit). Each transaction locks the
/// chain head row (<c>SELECT … FOR UPDATE</c>) before reading it, so appends from every instance are serialized on
/// that row and extend the same chain; a writer that waits longer than <see cref="AuditStoreOptions.BusyTimeout"/>
/// for the lock fails, and the action with it (fail closed).
/// </summary>
public sealed partial class PostgreSqlAuditStore : IChainedAuditStore, IDisposable
{
    private static readonly SqlMigrator Migrator = SqlMigrator.FromEmbeddedScripts(
        typeof(PostgreSqlAuditStore).Assembly, "Precision.Portal.Server.Audit.Migrations.postgresql.");

    // Session advisory lock taken while migrating, so instances starting together do not race on DDL.
    private const long MigrationLockKey = 0x7072_6563_6175_6469; // "precaudi"

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeSpan _busyTimeout;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _initializeLock = new(1, 1);
    private readonly GroupCommitQueue _queue;
    private volatile bool _initialized;
    private int _disposed;

    // Owned by the writer loop only.
    private ChainWriter? _chainWriter;

    public PostgreSqlAuditStore(AuditStoreOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            throw new ArgumentException("Audit:ConnectionString is not set; the PostgreSQL audit trail needs it.", nameof(options));
        }

        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        _busyTimeout = options.BusyTimeout > TimeSpan.Zero ? options.BusyTimeout : TimeSpan.FromSeconds(5);
        _time = timeProvider ?? TimeProvider.System;
        Location = $"PostgreSQL database '{builder.Database ?? builder.Username}' on {builder.Host}:{builder.Port}"
            + (string.IsNullOrEmpty(builder.SearchPath) ? string.Empty : $" (schema {builder.SearchPath})");
        if (builder.Timeout > 0 && builder.Timeout > Math.Ceiling(_busyTimeout.TotalSeconds) + 10)
        {
            // A down server should fail an append about as fast as a locked one, not after the default 15 s.
            builder.Timeout = (int)Math.Ceiling(_busyTimeout.TotalSeconds) + 10;
        }

        _dataSource = NpgsqlDataSource.Create(builder);
        _queue = new GroupCommitQueue(CommitAsync, ex => AuditStoreFailure.Write(Location, ex, _busyTimeout), ResetWriter, Location);
    }

    /// <summary>Server, database and schema, never the password.</summary>
    public string Location { get; }

    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        if (_initialized)
        {
            return;
        }

        await _initializeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialized)
            {
                return;
            }

            try
            {
                var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    await ExecuteAsync(connection, $"SELECT pg_advisory_lock({MigrationLockKey})", cancellationToken).ConfigureAwait(false);
                    try
                    {
                        await Migrator.MigrateAsync(connection, cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({MigrationLockKey})", CancellationToken.None).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw AuditStoreFailure.Open(Location, ex, _busyTimeout);
            }

            _initialized = true;
        }
        finally
        {
            _initializeLock.Release();
        }
    }

    public Task<AuditEvent> AppendAsync(NewAuditEvent auditEvent, CancellationToken cancellationToken = default)
    {
        AuditEventRules.Validate(auditEvent);
        return _queue.AppendAsync(auditEvent, cancellationToken);
    }

    public async Task CheckWritableAsync(CancellationToken cancellationToken = default)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = await OpenWriteConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    // Takes the same row lock appends take, and fails on a read-only server.
                    await ExecuteAsync(connection, "UPDATE audit_chain_head SET last_sequence = last_sequence WHERE id = 1", cancellationToken, transaction).ConfigureAwait(false);
                    await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw AuditStoreFailure.Write(Location, ex, _busyTimeout);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _queue.DisposeAsync().ConfigureAwait(false);
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        _initializeLock.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>A connection whose lock waits end after the busy timeout, like SQLite's busy_timeout.</summary>
    private async Task<NpgsqlConnection> OpenWriteConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, $"SET lock_timeout = {(long)_busyTimeout.TotalMilliseconds}", cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, NpgsqlTransaction? transaction = null)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        await using (command.ConfigureAwait(false))
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<AuditEvent[]> CommitAsync(IReadOnlyList<NewAuditEvent> batch)
    {
        await InitializeAsync().ConfigureAwait(false);
        _chainWriter ??= new ChainWriter(await OpenWriteConnectionAsync(CancellationToken.None).ConfigureAwait(false));
        return await _chainWriter.AppendAsync(batch, _time).ConfigureAwait(false);
    }

    private void ResetWriter()
    {
        _chainWriter?.Dispose();
        _chainWriter = null;
    }

    /// <summary>The writer loop's connection and its commands.</summary>
    private sealed class ChainWriter : IDisposable
    {
        private readonly NpgsqlConnection _connection;
        private readonly NpgsqlCommand _readHead;

        private static readonly string InsertSql =
            $"INSERT INTO audit_event ({AuditEventColumns.Select}) SELECT * FROM unnest(@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10, @p11, @p12, @p13, @p14)";

        public ChainWriter(NpgsqlConnection connection)
        {
            _connection = connection;
            _readHead = new NpgsqlCommand("SELECT last_sequence, last_hash FROM audit_chain_head WHERE id = 1 FOR UPDATE", connection);
        }

        /// <summary>Appends the batch in one transaction; either all events are committed or none.</summary>
        public async Task<AuditEvent[]> AppendAsync(IReadOnlyList<NewAuditEvent> batch, TimeProvider time)
        {
            var transaction = await _connection.BeginTransactionAsync(IsolationLevel.ReadCommitted).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                _readHead.Transaction = transaction;
                long sequence;
                string previousHash;
                var reader = await _readHead.ExecuteReaderAsync().ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    if (!await reader.ReadAsync().ConfigureAwait(false))
                    {
                        throw new InvalidDataException("the chain head record is missing");
                    }

                    sequence = reader.GetInt64(0);
                    previousHash = reader.GetString(1);
                }

                var n = batch.Count;
                var sequences = new long[n];
                var columns = new string?[14][];
                for (var c = 0; c < columns.Length; c++)
                {
                    columns[c] = new string?[n];
                }

                var written = new AuditEvent[n];
                for (var i = 0; i < n; i++)
                {
                    var occurred = time.GetUtcNow();
                    sequence++;
                    var e = batch[i];
                    var stored = StoredAuditEvent.Create(sequence, Guid.CreateVersion7(occurred), occurred, e, previousHash);
                    var hash = AuditChainHash.Compute(stored);
                    sequences[i] = sequence;
                    Columns(stored, hash, columns, i);
                    written[i] = AuditEventRules.Written(stored, occurred, e, hash);
                    previousHash = hash;
                }

                // One round trip for the rows (as arrays, unnested server-side) and the new head.
                var write = new NpgsqlBatch(_connection, transaction);
                await using (write.ConfigureAwait(false))
                {
                    var insert = new NpgsqlBatchCommand(InsertSql);
                    insert.Parameters.Add(new NpgsqlParameter<long[]>("p0", sequences));
                    for (var c = 0; c < columns.Length; c++)
                    {
                        insert.Parameters.Add(new NpgsqlParameter<string?[]>($"p{c + 1}", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = columns[c] });
                    }

                    var updateHead = new NpgsqlBatchCommand("UPDATE audit_chain_head SET last_sequence = @sequence, last_hash = @hash WHERE id = 1");
                    updateHead.Parameters.Add(new NpgsqlParameter<long>("sequence", sequence));
                    updateHead.Parameters.Add(new NpgsqlParameter<string>("hash", previousHash));
                    write.BatchCommands.Add(insert);
                    write.BatchCommands.Add(updateHead);
                    await write.ExecuteNonQueryAsync().ConfigureAwait(false);
                }
                await transaction.CommitAsync().ConfigureAwait(false);
                return written;
            }
        }

        public static void Columns(in StoredAuditEvent e, string hash, string?[][] columns, int row)
        {
            columns[0][row] = e.Id;
            columns[1][row] = e.OccurredUtc;
            columns[2][row] = e.ActorSubject;
            columns[3][row] = e.ActorDisplayName;
            columns[4][row] = e.ActorRoles;
            columns[5][row] = e.Action;
            columns[6][row] = e.Outcome;
            columns[7][row] = e.PatientReference;
            columns[8][row] = e.Target;
            columns[9][row] = e.DetailsJson;
            columns[10][row] = e.ClientAddress;
            columns[11][row] = e.CorrelationId;
            columns[12][row] = e.PreviousHash;
            columns[13][row] = hash;
        }

        public void Dispose()
        {
            _readHead.Dispose();
            _connection.Dispose();
        }
    }
}
