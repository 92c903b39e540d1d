using Precision.Portal.Client.TumorBoards;

namespace Precision.Portal.Server.TumorBoards;

/// <summary>A meeting as stored, before its cases are attached.</summary>
public sealed record MeetingRecord(
    Guid Id,
    string Title,
    DateTimeOffset ScheduledUtc,
    string ChairUserName,
    string ChairDisplayName,
    IReadOnlyList<string> Attendees,
    DateTimeOffset CreatedUtc,
    string CreatedBySubject);

/// <summary>A case as stored.</summary>
public sealed record CaseRecord(Guid Id, Guid MeetingId, string PatientId, string PatientLabel, string Question, DateTimeOffset AddedUtc, string AddedBy);

/// <summary>What happened to a sign-off attempt.</summary>
public enum SignOffStoreResult
{
    SignedNow,
    AlreadySigned,
    NotLatestOrChanged,
    NotFound,
}

/// <summary>
/// Persistence of meetings, agendas and recommendation versions. Every write runs in one transaction and calls
/// <c>beforeCommit</c> (the audit record) inside it: when that throws, nothing is written. Writers to the same meeting
/// or case serialize, across portal instances too. Database failures throw <see cref="TumorBoardStoreException"/>.
/// Implementations: <see cref="SqliteTumorBoardStore"/> and <see cref="PostgreSqlTumorBoardStore"/> (shared SQL in
/// <see cref="TumorBoardSqlStore"/>).
/// </summary>
public interface ITumorBoardStore
{
    Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>Throws <see cref="TumorBoardStoreException"/> when the store cannot take writes now; writes nothing.</summary>
    Task CheckWritableAsync(CancellationToken cancellationToken = default);

    Task<IReadOnlyList<TumorBoardMeetingSummary>> ListForUserAsync(string userName, CancellationToken cancellationToken = default);

    Task<TumorBoardMeeting?> ReadMeetingAsync(Guid meetingId, CancellationToken cancellationToken = default);

    Task CreateMeetingAsync(MeetingRecord meeting, Func<Task> beforeCommit, CancellationToken cancellationToken = default);

    Task AddCaseAsync(CaseRecord boardCase, Func<Task> beforeCommit, CancellationToken cancellationToken = default);

    /// <summary>Moves a case by <paramref name="offset"/> places (clamped to the agenda); false when it does not move.</summary>
    Task<bool> MoveCaseAsync(Guid meetingId, Guid caseId, int offset, Func<int, int, Task> beforeCommit, CancellationToken cancellationToken = default);

    /// <summary>Every version, newest first.</summary>
    Task<IReadOnlyList<RecommendationVersion>> ReadRecommendationsAsync(Guid caseId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Updates the latest version while it is unsigned; otherwise adds version + 1 amending the signed one.
    /// <paramref name="build"/> gets (version, amends) and returns the row to store (with its hash).
    /// </summary>
    Task<RecommendationVersion> SaveRecommendationAsync(
        Guid caseId,
        Func<int, int?, RecommendationVersion> build,
        Func<RecommendationVersion, Task> beforeCommit,
        CancellationToken cancellationToken = default);

    /// <summary>Signs the version when it is the latest, unsigned, and still has <paramref name="contentHash"/>.</summary>
    Task<(SignOffStoreResult Result, RecommendationVersion? Version)> SignAsync(
        Guid caseId,
        int version,
        string contentHash,
        RecommendationSignOff signOff,
        Func<Task> beforeCommit,
        CancellationToken cancellationToken = default);
}
