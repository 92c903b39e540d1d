namespace Precision.Portal.Server.Audit;

/// <summary>Where and how the audit trail is stored. Bound from configuration section <c>Audit</c>.</summary>
public sealed class AuditStoreOptions
{
    public const string SectionName = "Audit";

    /// <summary><c>Sqlite</c> (default: a file under the data directory) or <c>PostgreSql</c> (<see cref="ConnectionString"/>).</summary>
    public string? Provider { get; set; }

    /// <summary>Npgsql connection string; required with <c>PostgreSql</c>, not used with SQLite.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Directory holding the SQLite database; created when missing. Relative paths resolve against the current directory.</summary>
    public string DataDirectory { get; set; } = string.Empty;

    public string FileName { get; set; } = "audit.db";

    /// <summary>How long an append waits for another connection or process holding the write lock.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the whole chain is verified in the background; zero turns it off.</summary>
    public TimeSpan VerifyInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Events older than this many days are pruned (with a chained checkpoint); 0 keeps everything (default).</summary>
    public int RetentionDays { get; set; }

    /// <summary>How often pruning runs when <see cref="RetentionDays"/> is set.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(6);

    internal string DatabasePath => Path.GetFullPath(Path.Combine(DataDirectory, FileName));
}

public enum AuditStoreProvider
{
    Sqlite,
    PostgreSql,
}
