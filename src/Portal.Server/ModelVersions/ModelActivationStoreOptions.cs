namespace Precision.Portal.Server.ModelVersions;

/// <summary>Where the activation history lives. Bound from configuration section <c>ModelRegistry</c>.</summary>
public sealed class ModelActivationStoreOptions
{
    public const string SectionName = "ModelRegistry";

    /// <summary><c>Sqlite</c> (default: <see cref="FileName"/> under the data directory) or <c>PostgreSql</c> (<see cref="ConnectionString"/>).</summary>
    public string? Provider { get; set; }

    /// <summary>Npgsql connection string; required with <c>PostgreSql</c>. The store owns its database (or the schema named by <c>Search Path</c>).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Directory of the SQLite file; the portal's data directory.</summary>
    public string DataDirectory { get; set; } = string.Empty;

    public string FileName { get; set; } = "model-registry.db";

    /// <summary>How long a write waits for a lock held by another connection or instance before the activation is refused.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    internal string DatabasePath => Path.GetFullPath(Path.Combine(DataDirectory, FileName));

    internal bool IsPostgreSql => Provider?.Trim() is { } p && p.Equals("PostgreSql", StringComparison.OrdinalIgnoreCase);
}
