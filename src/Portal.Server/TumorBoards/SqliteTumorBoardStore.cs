using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Precision.Portal.Server.Audit;

namespace Precision.Portal.Server.TumorBoards;

/// <summary>
/// The embedded default: meetings, agendas and recommendation versions in their own SQLite file (WAL) beside the audit
/// trail. Writes take the database's write lock first (<c>BEGIN IMMEDIATE</c>), so they serialize before they read.
/// </summary>
public sealed class SqliteTumorBoardStore : TumorBoardSqlStore
{
    // Primary SQLite result codes (https://sqlite.org/rescode.html).
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteReadOnly = 8;
    private const int SqliteCorrupt = 11;
    private const int SqliteFull = 13;
    private const int SqliteCantOpen = 14;
    private const int SqliteNotADatabase = 26;

    private static readonly SqlMigrator Migrator = SqlMigrator.FromEmbeddedScripts(
        typeof(SqliteTumorBoardStore).Assembly, "Precision.Portal.Server.TumorBoards.Migrations.sqlite.");

    private readonly string _connectionString;
    private readonly string _directory;
    private readonly TimeSpan _busyTimeout;

    public SqliteTumorBoardStore(TumorBoardStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            throw new ArgumentException("The tumor board store needs a data directory (Portal:DataDirectory).", nameof(options));
        }

        DatabasePath = options.DatabasePath;
        _directory = Path.GetDirectoryName(DatabasePath)!;
        _busyTimeout = options.BusyTimeout > TimeSpan.Zero ? options.BusyTimeout : TimeSpan.FromSeconds(5);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = (int)Math.Ceiling(Math.Max(1, _busyTimeout.TotalSeconds)),
            ForeignKeys = true,
        }.ToString();
    }

    public string DatabasePath { get; }

    public override string Location => DatabasePath;

    protected override async Task MigrateAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_directory);
        var connection = new SqliteConnection(_connectionString);
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await connection.ExecuteAsync("PRAGMA journal_mode = WAL").ConfigureAwait(false);
            await Migrator.MigrateAsync(connection, cancellationToken).ConfigureAwait(false);
        }
    }

    protected override async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    // deferred: false → BEGIN IMMEDIATE: the write lock is taken before anything is read.
    protected override Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    protected override string Advice(Exception exception) => exception switch
    {
        SqliteException sqlite => (sqlite.SqliteErrorCode & 0xFF) switch
        {
            SqliteReadOnly => "Check that Portal:DataDirectory and the tumor board database files (with their -wal and -shm files) are writable by the portal's account and that the volume is not mounted read-only.",
            SqliteCantOpen => $"Check that Portal:DataDirectory exists and is writable by the portal's account, and that {DatabasePath} is a file, not a directory.",
            SqliteFull => "The disk holding Portal:DataDirectory is full. Free space there; nothing was saved.",
            SqliteBusy or SqliteLocked => $"Another connection or process held the tumor board database locked for more than {_busyTimeout.TotalSeconds:0.#} s. Try again; check for a backup job or a tool holding the file open.",
            SqliteCorrupt or SqliteNotADatabase => "The file is damaged or is not a tumor board database. Stop the portal, keep the file, and restore the latest backup.",
            _ => "Check Portal:DataDirectory and the portal's log.",
        },
        IOException or UnauthorizedAccessException => "Check that Portal:DataDirectory names a directory the portal's account can create and write.",
        _ => string.Empty,
    };
}
