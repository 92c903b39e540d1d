namespace Precision.Portal.Server.Audit;

/// <summary>Where the audit database lives. Bound from configuration section <c>Audit</c>.</summary>
public sealed class AuditStoreOptions
{
    public const string SectionName = "Audit";

    /// <summary>Directory holding the database; created when missing. Relative paths resolve against the current directory.</summary>
    public string DataDirectory { get; set; } = string.Empty;

    public string FileName { get; set; } = "audit.db";

    /// <summary>How long an append waits for another connection or process holding the write lock.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    internal string DatabasePath => Path.GetFullPath(Path.Combine(DataDirectory, FileName));
}
