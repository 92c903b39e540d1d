namespace Precision.Portal.Client.TumorBoards;

/// <summary>The case views a presenter can show; every participant's page shows the same one.</summary>
public static class BoardTabs
{
    public const string Summary = "summary";
    public const string Genomics = "genomics";
    public const string Predictions = "predictions";
    public const string Explanation = "explanation";
    public const string Recommendation = "recommendation";

    public static IReadOnlyList<string> All { get; } = [Summary, Genomics, Predictions, Explanation, Recommendation];

    public static string DisplayName(string tab) => tab switch
    {
        Summary => "Summary",
        Genomics => "Genomics",
        Predictions => "Predictions",
        Explanation => "Explanation",
        Recommendation => "Recommendation",
        _ => tab,
    };
}

/// <summary>Someone in the live session; one person may be connected from several browsers.</summary>
public sealed record BoardParticipant(string UserName, string DisplayName, int Connections, DateTimeOffset JoinedUtc);

/// <summary>What every participant of a live session sees: an immutable snapshot, newer ones have a higher revision.</summary>
/// <param name="ContentRevision">Goes up when someone changed the agenda or a recommendation: reload them.</param>
public sealed record BoardSessionState(
    Guid MeetingId,
    long Revision,
    long ContentRevision,
    Guid? CurrentCaseId,
    string Tab,
    string? SelectedTherapyId,
    string PresenterUserName,
    string PresenterDisplayName,
    IReadOnlyList<BoardParticipant> Participants,
    DateTimeOffset ChangedUtc)
{
    public bool IsPresenter(string userName) => string.Equals(PresenterUserName, userName, StringComparison.OrdinalIgnoreCase);

    public bool IsPresent(string userName) => Participants.Any(p => string.Equals(p.UserName, userName, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// One browser's place in a live session. Only the presenter drives (and the chair, who can always take over);
/// the commands answer what went wrong in words, or null when it worked.
/// </summary>
public interface IBoardSessionHandle : IDisposable
{
    BoardSessionState State { get; }

    string? ShowCase(Guid caseId);

    string? ShowTab(string tab);

    string? SelectTherapy(string? therapyId);

    /// <summary>Hands the presenter role to a participant who is in the session.</summary>
    string? HandOver(string userName);

    /// <summary>The chair takes the presenter role back.</summary>
    string? TakeOver();

    /// <summary>Tells everyone that the agenda or a recommendation changed (any participant may).</summary>
    void AnnounceChange();

    /// <summary>The browser's connection dropped (hidden from presence) or came back.</summary>
    void SetConnected(bool connected);
}
