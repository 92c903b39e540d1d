using Precision.Portal.Server.Hosting;

namespace Precision.Portal.Server.TumorBoards;

/// <summary>
/// Where tumor board meetings and recommendations live. Bound from configuration section <c>TumorBoards</c>:
/// <c>Provider</c> <c>Sqlite</c> (default: <c>tumor-boards.db</c> in the portal's data directory) or <c>PostgreSql</c>
/// (<c>ConnectionString</c>; several portal instances share one database).
/// </summary>
public sealed class TumorBoardStoreOptions
{
    public const string SectionName = "TumorBoards";

    /// <summary><c>Sqlite</c> (default) or <c>PostgreSql</c>.</summary>
    public string? Provider { get; set; }

    /// <summary>Npgsql connection string; required with <c>PostgreSql</c>, refused with SQLite.</summary>
    public string? ConnectionString { get; set; }

    public string DataDirectory { get; set; } = string.Empty;

    public string FileName { get; set; } = "tumor-boards.db";

    /// <summary>How long a write waits for the database (SQLite) or a meeting or case (PostgreSQL) locked by another writer.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    internal string DatabasePath => Path.GetFullPath(Path.Combine(DataDirectory, FileName));

    internal DatabaseProvider ParsedProvider => DatabaseProviderSettings.Resolve(SectionName, Provider, ConnectionString);
}
