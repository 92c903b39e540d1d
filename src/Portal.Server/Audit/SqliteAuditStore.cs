using Microsoft.Data.Sqlite;
using Precision.Portal.Client.Audit;

namespace Precision.Portal.Server.Audit;

/// <summary>
/// Audit trail in a SQLite file (WAL). All appends of this instance go through one writer loop that commits
/// whatever is queued as one transaction (group commit), so concurrent circuits share commits instead of
/// queueing on the file lock. Each transaction starts with <c>BEGIN IMMEDIATE</c> and reads the chain head
/// inside it, so other processes using the same file extend the same chain.
/// </summary>
public sealed partial class SqliteAuditStore : IChainedAuditStore, IDisposable
{
    private static readonly SqlMigrator Migrator = SqlMigrator.FromEmbeddedScripts(
        typeof(SqliteAuditStore).Assembly, "Precision.Portal.Server.Audit.Migrations.sqlite.");

    private readonly string _directory;
    private readonly string _writeConnectionString;
    private readonly string _readConnectionString;
    private readonly TimeSpan _busyTimeout;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _initializeLock = new(1, 1);
    private readonly GroupCommitQueue _queue;
    private volatile bool _initialized;
    private int _disposed;

    // Owned by the writer loop only.
    private ChainWriter? _chainWriter;

    public SqliteAuditStore(AuditStoreOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            throw new ArgumentException("Audit:DataDirectory is not set; the audit trail needs a directory for its database.", nameof(options));
        }

        if (string.IsNullOrWhiteSpace(options.FileName))
        {
            throw new ArgumentException("Audit:FileName is empty.", nameof(options));
        }

        DatabasePath = options.DatabasePath;
        _directory = Path.GetDirectoryName(DatabasePath)!;
        _busyTimeout = options.BusyTimeout > TimeSpan.Zero ? options.BusyTimeout : TimeSpan.FromSeconds(5);
        _time = timeProvider ?? TimeProvider.System;

        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = false,
            DefaultTimeout = (int)Math.Ceiling(_busyTimeout.TotalSeconds),
        };
        _writeConnectionString = builder.ToString();
        builder.Mode = SqliteOpenMode.ReadWrite;
        builder.Pooling = true;
        _readConnectionString = builder.ToString();

        _queue = new GroupCommitQueue(CommitAsync, ex => AuditStoreFailure.Write(DatabasePath, ex, _busyTimeout), ResetWriter, DatabasePath);
    }

    /// <summary>Full path of the database file.</summary>
    public string DatabasePath { get; }

    public string Location => DatabasePath;

    /// <summary>
    /// Creates the data directory and brings the schema up to date. Appends and reads do this on first use;
    /// calling it at start-up only surfaces problems earlier. Throws <see cref="AuditWriteException"/>; a
    /// later call tries again, so fixing the cause needs no restart.
    /// </summary>
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
                Directory.CreateDirectory(_directory);
                var connection = OpenConnection(_writeConnectionString);
                await using (connection.ConfigureAwait(false))
                {
                    using (var wal = connection.CreateCommand())
                    {
                        wal.CommandText = "PRAGMA journal_mode = WAL";
                        wal.ExecuteNonQuery();
                    }

                    await Migrator.MigrateAsync(connection, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw AuditStoreFailure.Open(DatabasePath, ex, _busyTimeout);
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
            var connection = OpenConnection(_writeConnectionString);
            await using (connection.ConfigureAwait(false))
            {
                using var transaction = connection.BeginTransaction(deferred: false);
                using var touch = connection.CreateCommand();
                touch.Transaction = transaction;
                touch.CommandText = "UPDATE audit_chain_head SET last_sequence = last_sequence WHERE id = 1";
                touch.ExecuteNonQuery();
                transaction.Rollback();
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw AuditStoreFailure.Write(DatabasePath, ex, _busyTimeout);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Queued events are still written before the loop ends.
        await _queue.DisposeAsync().ConfigureAwait(false);
        using (var pooled = new SqliteConnection(_readConnectionString))
        {
            SqliteConnection.ClearPool(pooled);
        }

        _initializeLock.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private SqliteConnection OpenConnection(string connectionString)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            using var pragmas = connection.CreateCommand();
            pragmas.CommandText = $"PRAGMA busy_timeout = {(int)_busyTimeout.TotalMilliseconds}; PRAGMA synchronous = NORMAL;";
            pragmas.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private async Task<AuditEvent[]> CommitAsync(IReadOnlyList<NewAuditEvent> batch)
    {
        await InitializeAsync().ConfigureAwait(false);
        _chainWriter ??= new ChainWriter(OpenConnection(_writeConnectionString));
        return _chainWriter.Append(batch, _time);
    }

    private void ResetWriter()
    {
        _chainWriter?.Dispose();
        _chainWriter = null;
    }
}
