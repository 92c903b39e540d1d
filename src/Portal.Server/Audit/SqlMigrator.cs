using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Dapper;

namespace Precision.Portal.Server.Audit;

/// <summary>One versioned schema script.</summary>
public sealed record SqlMigration(int Version, string Name, string Script);

/// <summary>
/// Applies versioned SQL scripts in order and records them in <c>schema_version</c> (or a table the store names). Not tied to the audit
/// trail: any store passes its connection and its own scripts (one dialect folder per database kind).
/// Each store is expected to own its database (or schema), since versions are numbered per script set.
/// </summary>
public sealed partial class SqlMigrator
{
    /// <summary>The version table's name unless a store names its own.</summary>
    public const string DefaultVersionTable = "schema_version";

    private readonly string _source;
    private readonly string _versionTable;

    /// <param name="versionTable">
    /// Where applied versions are recorded. Stores that may share one PostgreSQL database (the audit trail and the
    /// tumor boards) each need their own, since versions are numbered per script set.
    /// </param>
    public SqlMigrator(IEnumerable<SqlMigration> migrations, string source, string versionTable = DefaultVersionTable)
    {
        ArgumentNullException.ThrowIfNull(migrations);
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        if (!TableName().IsMatch(versionTable))
        {
            throw new ArgumentException($"'{versionTable}' is not a plain table name (lower-case letters, digits, underscores).", nameof(versionTable));
        }

        _source = source;
        _versionTable = versionTable;
        Migrations = [.. migrations.OrderBy(m => m.Version)];
        foreach (var m in Migrations)
        {
            if (m.Version <= 0)
            {
                throw new ArgumentException($"Migration '{m.Name}' in {source} has version {m.Version}; versions start at 1.", nameof(migrations));
            }
        }

        for (var i = 1; i < Migrations.Count; i++)
        {
            if (Migrations[i].Version == Migrations[i - 1].Version)
            {
                throw new ArgumentException(
                    $"Migrations '{Migrations[i - 1].Name}' and '{Migrations[i].Name}' in {source} share version {Migrations[i].Version}.",
                    nameof(migrations));
            }
        }
    }

    /// <summary>The scripts, in the order they are applied.</summary>
    public IReadOnlyList<SqlMigration> Migrations { get; }

    /// <summary>Highest version this code knows; 0 when there are no scripts.</summary>
    public int LatestVersion => Migrations.Count == 0 ? 0 : Migrations[^1].Version;

    /// <summary>
    /// Loads embedded resources named <c>{resourcePrefix}NNNN_name.sql</c>, for example prefix
    /// <c>Precision.Portal.Server.Audit.Migrations.sqlite.</c> for <c>Audit/Migrations/sqlite/0001_audit_event.sql</c>.
    /// </summary>
    public static SqlMigrator FromEmbeddedScripts(Assembly assembly, string resourcePrefix, string versionTable = DefaultVersionTable)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        ArgumentException.ThrowIfNullOrWhiteSpace(resourcePrefix);
        var migrations = new List<SqlMigration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(resourcePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var match = ScriptName().Match(resource[resourcePrefix.Length..]);
            if (!match.Success)
            {
                throw new InvalidOperationException(
                    $"Embedded script '{resource}' is not named NNNN_name.sql, so its version is unknown. Rename it.");
            }

            using var stream = assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"Embedded script '{resource}' could not be opened.");
            using var reader = new StreamReader(stream);
            migrations.Add(new SqlMigration(
                int.Parse(match.Groups["version"].Value, CultureInfo.InvariantCulture),
                match.Groups["name"].Value,
                reader.ReadToEnd()));
        }

        if (migrations.Count == 0)
        {
            throw new InvalidOperationException(
                $"No migration scripts named '{resourcePrefix}NNNN_name.sql' are embedded in {assembly.GetName().Name}.");
        }

        return new SqlMigrator(migrations, resourcePrefix, versionTable);
    }

    /// <summary>
    /// Applies every script newer than the database's version, each in its own transaction, and returns
    /// those applied. Safe to call on every start and from several processes at once: the version is re-read
    /// inside each transaction (for SQLite, Serializable means <c>BEGIN IMMEDIATE</c>, so the write lock is
    /// held before reading). Throws <see cref="InvalidOperationException"/> without changing anything when the
    /// database is newer than these scripts.
    /// </summary>
    public async Task<IReadOnlyList<SqlMigration>> MigrateAsync(DbConnection connection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (connection.State != ConnectionState.Open)
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        }

        await connection.ExecuteAsync(new CommandDefinition(
            $"""
            CREATE TABLE IF NOT EXISTS {_versionTable} (
                version     INTEGER PRIMARY KEY,
                name        TEXT NOT NULL,
                applied_utc TEXT NOT NULL
            )
            """, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var current = await ReadVersionAsync(connection, null, cancellationToken).ConfigureAwait(false);
        RefuseNewerSchema(current);

        var applied = new List<SqlMigration>();
        foreach (var migration in Migrations)
        {
            if (migration.Version <= current)
            {
                continue;
            }

            var transaction = await connection.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                current = await ReadVersionAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
                RefuseNewerSchema(current);
                if (migration.Version <= current)
                {
                    continue; // another process applied it meanwhile
                }

                try
                {
                    await connection.ExecuteAsync(new CommandDefinition(migration.Script, transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                    await connection.ExecuteAsync(new CommandDefinition(
                        $"INSERT INTO {_versionTable} (version, name, applied_utc) VALUES (@Version, @Name, @AppliedUtc)",
                        new
                        {
                            migration.Version,
                            migration.Name,
                            AppliedUtc = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
                        },
                        transaction,
                        cancellationToken: cancellationToken)).ConfigureAwait(false);
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (DbException ex)
                {
                    throw new InvalidOperationException(
                        $"Schema migration {migration.Version:D4}_{migration.Name} failed and was rolled back; the database stays at version {current}: {ex.Message}",
                        ex);
                }

                current = migration.Version;
                applied.Add(migration);
            }
        }

        return applied;
    }

    private async Task<int> ReadVersionAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        var version = await connection.QuerySingleAsync<long?>(new CommandDefinition(
            $"SELECT MAX(version) FROM {_versionTable}", transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return checked((int)(version ?? 0));
    }

    private void RefuseNewerSchema(int databaseVersion)
    {
        if (databaseVersion > LatestVersion)
        {
            throw new InvalidOperationException(
                $"The database has schema version {databaseVersion}, but this version of the portal only knows up to version {LatestVersion} ({_source}). "
                + "It was upgraded by a newer portal: run that version, or restore a backup that matches this one. Nothing was changed.");
        }
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex TableName();

    [GeneratedRegex(@"^(?<version>\d{4})_(?<name>[A-Za-z0-9_\-]+)\.sql$", RegexOptions.CultureInvariant)]
    private static partial Regex ScriptName();
}
