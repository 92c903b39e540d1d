namespace Precision.Portal.Server.TumorBoards;

/// <summary>Where the tumor board database lives: <c>tumor-boards.db</c> in the portal's data directory.</summary>
public sealed class TumorBoardStoreOptions
{
    public string DataDirectory { get; set; } = string.Empty;

    public string FileName { get; set; } = "tumor-boards.db";

    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    internal string DatabasePath => Path.GetFullPath(Path.Combine(DataDirectory, FileName));
}
