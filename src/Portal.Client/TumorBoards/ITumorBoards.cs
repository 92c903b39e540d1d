using Precision.Portal.Client.Audit;

namespace Precision.Portal.Client.TumorBoards;

/// <summary>
/// Tumor board meetings for the signed-in user. Every call checks that the user is an attendee (or the chair where
/// it says so) and records its audit event in the same step as the change: when the audit trail cannot record it,
/// nothing is changed and <see cref="AuditWriteException"/> is thrown.
/// </summary>
public interface ITumorBoards
{
    /// <summary>The signed-in user as the board sees them.</summary>
    Task<BoardMember> CurrentUserAsync(CancellationToken cancellationToken = default);

    /// <summary>Meetings the user chairs or is invited to, soonest first.</summary>
    Task<IReadOnlyList<TumorBoardMeetingSummary>> ListMeetingsAsync(CancellationToken cancellationToken = default);

    /// <summary>Creates a meeting chaired by the user; the chair is always an attendee. Audited as <c>tumor-board.meeting-create</c>.</summary>
    Task<BoardOutcome<TumorBoardMeeting>> CreateMeetingAsync(NewMeeting meeting, CancellationToken cancellationToken = default);

    /// <summary>The meeting and its agenda; refused (and audited as <c>access.denied</c>) for users who are not attendees.</summary>
    Task<BoardOutcome<TumorBoardMeeting>> OpenMeetingAsync(Guid meetingId, CancellationToken cancellationToken = default);

    /// <summary>Adds a case at the end of the agenda. Audited as <c>tumor-board.case-change</c>.</summary>
    Task<BoardOutcome<TumorBoardMeeting>> AddCaseAsync(Guid meetingId, NewBoardCase boardCase, CancellationToken cancellationToken = default);

    /// <summary>Moves a case up (negative) or down (positive) the agenda. Audited as <c>tumor-board.case-change</c>.</summary>
    Task<BoardOutcome<TumorBoardMeeting>> MoveCaseAsync(Guid meetingId, Guid caseId, int offset, CancellationToken cancellationToken = default);

    /// <summary>Every version of the case's recommendation, newest first.</summary>
    Task<BoardOutcome<IReadOnlyList<RecommendationVersion>>> RecommendationsAsync(Guid meetingId, Guid caseId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Saves the recommendation: updates the unsigned draft, or adds a new version (an amendment) when the latest is
    /// signed. Audited as <c>tumor-board.recommendation</c>.
    /// </summary>
    Task<BoardOutcome<RecommendationVersion>> SaveRecommendationAsync(Guid meetingId, Guid caseId, RecommendationDraft draft, CancellationToken cancellationToken = default);

    /// <summary>
    /// The chair starts signing <paramref name="version"/> with the hash they were shown. The answer is the address
    /// where the identity provider confirms the chair's identity; the sign-off completes there.
    /// </summary>
    Task<BoardOutcome<Uri>> BeginSignOffAsync(Guid meetingId, Guid caseId, int version, string contentHash, CancellationToken cancellationToken = default);

    /// <summary>What became of a sign-off started with <see cref="BeginSignOffAsync"/>, once the browser is back.</summary>
    SignOffResult? SignOffResultFor(string ticket);

    /// <summary>
    /// Joins the meeting's live session (audited as <c>tumor-board.session-join</c>); <paramref name="onChange"/> is
    /// called with every new session state. Dispose the handle to leave.
    /// </summary>
    Task<BoardOutcome<IBoardSessionHandle>> JoinSessionAsync(Guid meetingId, Func<BoardSessionState, Task> onChange, CancellationToken cancellationToken = default);

    /// <summary>Records that the user opened a case's report (format <c>print</c>) or exported it (<c>fhir</c>). Audited as <c>tumor-board.report-export</c>.</summary>
    Task<BoardOutcome<AuditReceipt>> RecordReportExportAsync(Guid meetingId, Guid caseId, string format, CancellationToken cancellationToken = default);
}

/// <summary>A signed-in user as the board sees them.</summary>
/// <param name="UserName">The provider's <c>preferred_username</c> (sign-in name); attendees are invited by it.</param>
public sealed record BoardMember(string UserName, string DisplayName, string Subject);

/// <summary>The outcome of a sign-off, for the page the browser returns to.</summary>
public sealed record SignOffResult(Guid MeetingId, Guid CaseId, int Version, bool Succeeded, string Message);
