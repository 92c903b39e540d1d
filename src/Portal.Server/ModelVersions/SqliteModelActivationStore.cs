using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Precision.Portal.Server.ModelVersions;

/// <summary>The activation history in its own SQLite file (WAL) under the portal's data directory.</summary>
public sealed class SqliteModelActivationStore : ModelActivationStore
{
    private static readonly Audit.SqlMigrator Migrator = EmbeddedMigrator("sqlite");

    private readonly string _connectionString;

    public SqliteModelActivationStore(ModelActivationStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            throw new ArgumentException("The model activation history needs a data directory (Portal:DataDirectory).", nameof(options));
        }

        DatabasePath = options.DatabasePath;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = (int)Math.Ceiling(Math.Max(1, options.BusyTimeout.TotalSeconds)),
        }.ToString();
    }

    public string DatabasePath { get; }

    public override string Location => $"SQLite file {DatabasePath}";

    protected override async Task MigrateAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
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
}
