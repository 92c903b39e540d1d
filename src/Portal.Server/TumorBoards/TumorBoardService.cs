using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.Patients;
using Precision.Portal.Client.TumorBoards;

namespace Precision.Portal.Server.TumorBoards;

/// <summary>
/// <see cref="ITumorBoards"/> for one circuit or request: membership checks, validation, and the audit record written
/// inside the store's transaction (fail closed: no audit event, no change).
/// </summary>
public sealed class TumorBoardService(
    ITumorBoardStore store,
    IAuditTrail audit,
    BoardSessionCoordinator sessions,
    SignOffTickets tickets,
    IPatientDirectory patients,
    IBoardUserSource users,
    BoardCircuitPresence presence,
    TimeProvider time) : ITumorBoards
{
    public const string ReauthenticationMethod = "Re-authenticated at the identity provider (OpenID Connect prompt=login, max_age=0)";

    /// <summary>How long after the sign-off started a fresh sign-in may be (and how stale the clock may be).</summary>
    public static readonly TimeSpan FreshSignInWindow = TimeSpan.FromMinutes(10);

    public async Task<BoardMember> CurrentUserAsync(CancellationToken cancellationToken = default) =>
        BoardUsers.MemberOf(await users.UserAsync().ConfigureAwait(false));

    public async Task<IReadOnlyList<TumorBoardMeetingSummary>> ListMeetingsAsync(CancellationToken cancellationToken = default)
    {
        var me = await CurrentUserAsync(cancellationToken).ConfigureAwait(false);
        return await store.ListForUserAsync(me.UserName, cancellationToken).ConfigureAwait(false);
    }

    public async Task<BoardOutcome<TumorBoardMeeting>> CreateMeetingAsync(NewMeeting meeting, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(meeting);
        var user = await users.UserAsync().ConfigureAwait(false);
        if (!BoardUsers.MayRunMeetings(user))
        {
            await DenyAsync("/tumor-boards", "create meeting", cancellationToken).ConfigureAwait(false);
            return BoardOutcome.Refused<TumorBoardMeeting>("Only tumor board members and administrators can create meetings.");
        }

        if (meeting.Validate() is { Count: > 0 } problems)
        {
            return BoardOutcome.Failed<TumorBoardMeeting>(string.Join(" ", problems));
        }

        var me = BoardUsers.MemberOf(user);
        var attendees = meeting.Attendees.Append(me.UserName).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var record = new MeetingRecord(Guid.NewGuid(), meeting.Title.Trim(), meeting.ScheduledUtc!.Value.ToUniversalTime(), me.UserName, me.DisplayName,
            attendees, time.GetUtcNow(), me.Subject);
        await store.CreateMeetingAsync(record, () => audit.RecordAsync(new AuditEntry(
            AuditActions.TumorBoardMeetingCreate, AuditOutcome.Success, Target: MeetingTarget(record.Id),
            Details: new JsonObject
            {
                ["meetingId"] = record.Id.ToString(),
                ["scheduledUtc"] = record.ScheduledUtc.ToString("O", CultureInfo.InvariantCulture),
                ["attendees"] = new JsonArray([.. attendees.Select(a => (JsonNode?)a)]),
            }), cancellationToken), cancellationToken).ConfigureAwait(false);
        return BoardOutcome.Success((await store.ReadMeetingAsync(record.Id, cancellationToken).ConfigureAwait(false))!);
    }

    public async Task<BoardOutcome<TumorBoardMeeting>> OpenMeetingAsync(Guid meetingId, CancellationToken cancellationToken = default)
    {
        var (meeting, _, refusal) = await MemberMeetingAsync(meetingId, cancellationToken).ConfigureAwait(false);
        return refusal ?? BoardOutcome.Success(meeting!);
    }

    public async Task<BoardOutcome<TumorBoardMeeting>> AddCaseAsync(Guid meetingId, NewBoardCase boardCase, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(boardCase);
        var (meeting, me, refusal) = await MemberMeetingAsync(meetingId, cancellationToken).ConfigureAwait(false);
        if (refusal is not null)
        {
            return refusal;
        }

        if (boardCase.Validate() is { Count: > 0 } problems)
        {
            return BoardOutcome.Failed<TumorBoardMeeting>(string.Join(" ", problems));
        }

        var patientId = boardCase.PatientId.Trim();
        if (!Precision.Portal.Client.Components.FhirId.IsValid(patientId))
        {
            return BoardOutcome.Failed<TumorBoardMeeting>($"\"{patientId}\" is not a valid patient id.");
        }

        var record = await patients.ReadAsync(patientId, cancellationToken).ConfigureAwait(false);
        if (record.Profile is not { } profile)
        {
            return BoardOutcome.Failed<TumorBoardMeeting>("The patient could not be read: " + (record.FailureMessage ?? "no such patient in the record source."));
        }

        var label = profile.Demographics.DisplayName + (profile.Demographics.MedicalRecordNumber is { } mrn ? " (MRN " + mrn + ")" : string.Empty);
        var newCase = new CaseRecord(Guid.NewGuid(), meetingId, patientId, label, boardCase.Question.Trim(), time.GetUtcNow(), me!.UserName);
        await store.AddCaseAsync(newCase, () => audit.RecordAsync(new AuditEntry(
            AuditActions.TumorBoardCaseChange, AuditOutcome.Success, "Patient/" + patientId, MeetingTarget(meetingId),
            new JsonObject { ["change"] = "add", ["meetingId"] = meetingId.ToString(), ["caseId"] = newCase.Id.ToString() }), cancellationToken),
            cancellationToken).ConfigureAwait(false);
        return BoardOutcome.Success((await store.ReadMeetingAsync(meetingId, cancellationToken).ConfigureAwait(false))!);
    }

    public async Task<BoardOutcome<TumorBoardMeeting>> MoveCaseAsync(Guid meetingId, Guid caseId, int offset, CancellationToken cancellationToken = default)
    {
        var (meeting, _, refusal) = await MemberMeetingAsync(meetingId, cancellationToken).ConfigureAwait(false);
        if (refusal is not null)
        {
            return refusal;
        }

        if (meeting!.Cases.FirstOrDefault(c => c.Id == caseId) is not { } boardCase)
        {
            return BoardOutcome.Failed<TumorBoardMeeting>("That case is not on this meeting's agenda.");
        }

        await store.MoveCaseAsync(meetingId, caseId, offset, (from, to) => audit.RecordAsync(new AuditEntry(
            AuditActions.TumorBoardCaseChange, AuditOutcome.Success, "Patient/" + boardCase.PatientId, MeetingTarget(meetingId),
            new JsonObject { ["change"] = "reorder", ["meetingId"] = meetingId.ToString(), ["caseId"] = caseId.ToString(), ["from"] = from, ["to"] = to }),
            cancellationToken), cancellationToken).ConfigureAwait(false);
        return BoardOutcome.Success((await store.ReadMeetingAsync(meetingId, cancellationToken).ConfigureAwait(false))!);
    }

    public async Task<BoardOutcome<IReadOnlyList<RecommendationVersion>>> RecommendationsAsync(Guid meetingId, Guid caseId, CancellationToken cancellationToken = default)
    {
        var (meeting, _, refusal) = await MemberMeetingAsync(meetingId, cancellationToken).ConfigureAwait(false);
        if (refusal is not null)
        {
            return new(null, refusal.Error, refusal.Denied);
        }

        return meeting!.Cases.Any(c => c.Id == caseId)
            ? BoardOutcome.Success(await store.ReadRecommendationsAsync(caseId, cancellationToken).ConfigureAwait(false))
            : BoardOutcome.Failed<IReadOnlyList<RecommendationVersion>>("That case is not on this meeting's agenda.");
    }

    public async Task<BoardOutcome<RecommendationVersion>> SaveRecommendationAsync(Guid meetingId, Guid caseId, RecommendationDraft draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var (meeting, me, refusal) = await MemberMeetingAsync(meetingId, cancellationToken).ConfigureAwait(false);
        if (refusal is not null)
        {
            return new(null, refusal.Error, refusal.Denied);
        }

        if (meeting!.Cases.FirstOrDefault(c => c.Id == caseId) is not { } boardCase)
        {
            return BoardOutcome.Failed<RecommendationVersion>("That case is not on this meeting's agenda.");
        }

        if (draft.Validate() is { Count: > 0 } problems)
        {
            return BoardOutcome.Failed<RecommendationVersion>("The recommendation was not saved. " + string.Join(" ", problems));
        }

        var content = Normalize(draft);
        var saved = await store.SaveRecommendationAsync(caseId,
            (version, amends) => new RecommendationVersion(caseId, version, content, me!.UserName, me.DisplayName, time.GetUtcNow(),
                ContentHash(meetingId, boardCase, version, amends, content), amends, null),
            row => audit.RecordAsync(new AuditEntry(
                AuditActions.TumorBoardRecommendation, AuditOutcome.Success, "Patient/" + boardCase.PatientId, CaseTarget(meetingId, caseId),
                new JsonObject
                {
                    ["meetingId"] = meetingId.ToString(),
                    ["caseId"] = caseId.ToString(),
                    ["version"] = row.Version,
                    ["amends"] = row.Amends,
                    ["contentHash"] = row.ContentHash,
                    ["kind"] = content.Kind.ToString(),
                    ["therapyId"] = content.TherapyId,
                    ["evidenceLevel"] = content.EvidenceLevel?.ToString(),
                    ["agreesWithModel"] = content.AgreesWithModel,
                    ["modelVersion"] = content.ModelVersion,
                }), cancellationToken),
            cancellationToken).ConfigureAwait(false);
        return BoardOutcome.Success(saved);
    }

    public async Task<BoardOutcome<Uri>> BeginSignOffAsync(Guid meetingId, Guid caseId, int version, string contentHash, CancellationToken cancellationToken = default)
    {
        var (meeting, me, refusal) = await MemberMeetingAsync(meetingId, cancellationToken).ConfigureAwait(false);
        if (refusal is not null)
        {
            return new(null, refusal.Error, refusal.Denied);
        }

        if (!meeting!.IsChair(me!.UserName))
        {
            await DenyAsync(CaseTarget(meetingId, caseId), "sign-off by a member who is not the chair", cancellationToken).ConfigureAwait(false);
            return BoardOutcome.Refused<Uri>($"Only the chair ({meeting.ChairDisplayName}) signs recommendations.");
        }

        var problem = await SignOffProblemAsync(meeting, caseId, version, contentHash, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return BoardOutcome.Failed<Uri>(problem);
        }

        var pending = tickets.Issue(meetingId, caseId, version, contentHash, me);
        return BoardOutcome.Success(new Uri("/tumor-boards/sign-off/" + pending.Ticket, UriKind.Relative));
    }

    public SignOffResult? SignOffResultFor(string ticket) => tickets.Find(ticket)?.Result;

    /// <summary>
    /// Completes a sign-off once the browser is back from the identity provider: the same subject who started it, an
    /// <c>auth_time</c> after it started. Records <c>tumor-board.sign-off</c> in the same transaction as the signature.
    /// </summary>
    public async Task<SignOffResult> CompleteSignOffAsync(PendingSignOff pending, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pending);
        if (pending.Result is { } done)
        {
            return done;
        }

        try
        {
            return await SignAsync(pending, cancellationToken).ConfigureAwait(false);
        }
        catch (TumorBoardStoreException ex)
        {
            // The browser arrives through a redirect: say why on the meeting page instead of failing the request.
            return pending.Result = new SignOffResult(pending.MeetingId, pending.CaseId, pending.Version, false, "Not signed: " + ex.Message);
        }
    }

    private async Task<SignOffResult> SignAsync(PendingSignOff pending, CancellationToken cancellationToken)
    {
        var user = await users.UserAsync().ConfigureAwait(false);
        var me = BoardUsers.MemberOf(user);
        SignOffResult Finish(bool ok, string message) => pending.Result = new SignOffResult(pending.MeetingId, pending.CaseId, pending.Version, ok, message);

        if (!string.Equals(me.Subject, pending.Chair.Subject, StringComparison.Ordinal))
        {
            await DenyAsync(CaseTarget(pending.MeetingId, pending.CaseId), "sign-off confirmed by a different user", cancellationToken).ConfigureAwait(false);
            return Finish(false, $"Not signed: the identity provider confirmed {me.DisplayName}, but the sign-off was started by {pending.Chair.DisplayName}.");
        }

        var authenticated = BoardUsers.AuthenticatedAt(user);
        if (authenticated is null || authenticated < pending.StartedUtc.AddSeconds(-1) || authenticated > time.GetUtcNow() + TimeSpan.FromMinutes(1))
        {
            return Finish(false, "Not signed: the identity provider did not confirm a fresh sign-in after you started the sign-off. Try again.");
        }

        var (meeting, _, refusal) = await MemberMeetingAsync(pending.MeetingId, cancellationToken).ConfigureAwait(false);
        if (refusal is not null || !meeting!.IsChair(me.UserName))
        {
            return Finish(false, "Not signed: " + (refusal?.Error ?? "only the chair signs recommendations."));
        }

        var boardCase = meeting.Cases.FirstOrDefault(c => c.Id == pending.CaseId);
        if (boardCase is null)
        {
            return Finish(false, "Not signed: the case is no longer on the agenda.");
        }

        var signOff = new RecommendationSignOff(me.UserName, me.DisplayName, me.Subject, time.GetUtcNow(), ReauthenticationMethod, authenticated);
        var (result, version) = await store.SignAsync(pending.CaseId, pending.Version, pending.ContentHash, signOff,
            () => audit.RecordAsync(new AuditEntry(
                AuditActions.TumorBoardSignOff, AuditOutcome.Success, "Patient/" + boardCase.PatientId, CaseTarget(pending.MeetingId, pending.CaseId),
                new JsonObject
                {
                    ["meetingId"] = pending.MeetingId.ToString(),
                    ["caseId"] = pending.CaseId.ToString(),
                    ["version"] = pending.Version,
                    ["contentHash"] = pending.ContentHash,
                    ["method"] = ReauthenticationMethod,
                    ["authTimeUtc"] = authenticated.Value.ToString("O", CultureInfo.InvariantCulture),
                }), cancellationToken),
            cancellationToken).ConfigureAwait(false);
        return result switch
        {
            SignOffStoreResult.SignedNow => Finish(true, $"Version {pending.Version} is signed by {me.DisplayName} and locked."),
            SignOffStoreResult.AlreadySigned => Finish(false, AlreadySignedMessage(version!)),
            SignOffStoreResult.NotLatestOrChanged => Finish(false, $"Not signed: version {pending.Version} changed or a newer version was saved after you started. Review the latest version and sign again."),
            _ => Finish(false, "Not signed: that recommendation version does not exist."),
        };
    }

    public async Task<BoardOutcome<IBoardSessionHandle>> JoinSessionAsync(Guid meetingId, Func<BoardSessionState, Task> onChange, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(onChange);
        var (meeting, me, refusal) = await MemberMeetingAsync(meetingId, cancellationToken).ConfigureAwait(false);
        if (refusal is not null)
        {
            return new(null, refusal.Error, refusal.Denied);
        }

        await audit.RecordAsync(new AuditEntry(AuditActions.TumorBoardSessionJoin, AuditOutcome.Success, Target: MeetingTarget(meetingId),
            Details: new JsonObject { ["meetingId"] = meetingId.ToString() }), cancellationToken).ConfigureAwait(false);
        var handle = new PresenceTrackedHandle(sessions.Join(meeting!, me!, onChange), presence);
        presence.Add(handle);
        return BoardOutcome.Success<IBoardSessionHandle>(handle);
    }

    public async Task<BoardOutcome<AuditReceipt>> RecordReportExportAsync(Guid meetingId, Guid caseId, string format, CancellationToken cancellationToken = default)
    {
        var (meeting, _, refusal) = await MemberMeetingAsync(meetingId, cancellationToken).ConfigureAwait(false);
        if (refusal is not null)
        {
            return new(null, refusal.Error, refusal.Denied);
        }

        if (meeting!.Cases.FirstOrDefault(c => c.Id == caseId) is not { } boardCase)
        {
            return BoardOutcome.Failed<AuditReceipt>("That case is not on this meeting's agenda.");
        }

        var versions = await store.ReadRecommendationsAsync(caseId, cancellationToken).ConfigureAwait(false);
        var latest = versions.Count > 0 ? versions[0] : null;
        var receipt = await audit.RecordAsync(new AuditEntry(AuditActions.TumorBoardReportExport, AuditOutcome.Success,
            "Patient/" + boardCase.PatientId, CaseTarget(meetingId, caseId) + "/report",
            new JsonObject
            {
                ["format"] = format,
                ["meetingId"] = meetingId.ToString(),
                ["caseId"] = caseId.ToString(),
                ["version"] = latest?.Version,
                ["contentHash"] = latest?.ContentHash,
                ["signed"] = latest?.IsSigned ?? false,
            }), cancellationToken).ConfigureAwait(false);
        return BoardOutcome.Success(receipt);
    }

    /// <summary>SHA-256 over the canonical JSON of what is signed: meeting, case, patient, question, version and content.</summary>
    public static string ContentHash(Guid meetingId, BoardCase boardCase, int version, int? amends, RecommendationDraft content)
    {
        ArgumentNullException.ThrowIfNull(boardCase);
        var canonical = JsonSerializer.Serialize(new
        {
            meetingId,
            caseId = boardCase.Id,
            patient = "Patient/" + boardCase.PatientId,
            question = boardCase.Question,
            version,
            amends,
            content,
        }, SqliteTumorBoardStore.ContentJson);
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical))).ToLowerInvariant();
    }

    private static string AlreadySignedMessage(RecommendationVersion version) =>
        $"Version {version.Version} was already signed by {version.SignOff!.DisplayName} on {version.SignOff.SignedUtc:yyyy-MM-dd HH:mm} UTC; a signed recommendation is locked. Save an amendment to change it.";

    private async Task<string?> SignOffProblemAsync(TumorBoardMeeting meeting, Guid caseId, int version, string contentHash, CancellationToken cancellationToken)
    {
        if (meeting.Cases.All(c => c.Id != caseId))
        {
            return "That case is not on this meeting's agenda.";
        }

        var versions = await store.ReadRecommendationsAsync(caseId, cancellationToken).ConfigureAwait(false);
        if (versions.FirstOrDefault(v => v.Version == version) is not { } target)
        {
            return "There is no saved recommendation to sign. Save the recommendation first.";
        }

        if (target.IsSigned)
        {
            return AlreadySignedMessage(target);
        }

        return versions[0].Version != version || !string.Equals(target.ContentHash, contentHash, StringComparison.OrdinalIgnoreCase)
            ? "The recommendation changed since you opened it. Review the latest version and sign again."
            : null;
    }

    private async Task<(TumorBoardMeeting? Meeting, BoardMember? Me, BoardOutcome<TumorBoardMeeting>? Refusal)> MemberMeetingAsync(Guid meetingId, CancellationToken cancellationToken)
    {
        var user = await users.UserAsync().ConfigureAwait(false);
        var me = BoardUsers.MemberOf(user);
        var meeting = await store.ReadMeetingAsync(meetingId, cancellationToken).ConfigureAwait(false);
        if (meeting is null)
        {
            return (null, me, BoardOutcome.Failed<TumorBoardMeeting>("There is no such meeting. It may have been created on another portal, or the link is wrong."));
        }

        if (!BoardUsers.MayRunMeetings(user) || !meeting.IsAttendee(me.UserName))
        {
            await DenyAsync(MeetingTarget(meetingId), "not an attendee", cancellationToken).ConfigureAwait(false);
            return (null, me, BoardOutcome.Refused<TumorBoardMeeting>(
                $"You are not an attendee of \"{meeting.Title}\". Ask the chair, {meeting.ChairDisplayName}, to invite you (sign-in name \"{me.UserName}\")."));
        }

        return (meeting, me, null);
    }

    private async Task DenyAsync(string target, string reason, CancellationToken cancellationToken)
    {
        try
        {
            await audit.RecordAsync(new AuditEntry(AuditActions.AccessDenied, AuditOutcome.Denied, Target: target,
                Details: new JsonObject { ["reason"] = reason }), cancellationToken).ConfigureAwait(false);
        }
        catch (AuditWriteException)
        {
            // The refusal stands whether or not it could be recorded; the trail has logged the failure.
        }
    }

    private static RecommendationDraft Normalize(RecommendationDraft d) => d with
    {
        TherapyId = d.Kind == RecommendationKind.Therapy ? d.TherapyId?.Trim() : null,
        TherapyName = d.Kind == RecommendationKind.Therapy ? d.TherapyName?.Trim() : null,
        TrialIdentifier = d.Kind == RecommendationKind.ClinicalTrial ? d.TrialIdentifier?.Trim() : null,
        Rationale = d.Rationale.Trim(),
        AgreementReason = d.AgreementReason?.Trim(),
        DiscussionNotes = d.DiscussionNotes?.Trim() ?? string.Empty,
    };

    internal static string MeetingTarget(Guid meetingId) => "/tumor-boards/" + meetingId.ToString();

    internal static string CaseTarget(Guid meetingId, Guid caseId) => MeetingTarget(meetingId) + "/cases/" + caseId.ToString();

    /// <summary>Leaves the circuit's presence list too when the page disposes it.</summary>
    private sealed class PresenceTrackedHandle(IBoardSessionHandle inner, BoardCircuitPresence presence) : IBoardSessionHandle
    {
        public BoardSessionState State => inner.State;

        public string? ShowCase(Guid caseId) => inner.ShowCase(caseId);

        public string? ShowTab(string tab) => inner.ShowTab(tab);

        public string? SelectTherapy(string? therapyId) => inner.SelectTherapy(therapyId);

        public string? HandOver(string userName) => inner.HandOver(userName);

        public string? TakeOver() => inner.TakeOver();

        public void SetConnected(bool connected) => inner.SetConnected(connected);

        public void AnnounceChange() => inner.AnnounceChange();

        public void Dispose()
        {
            presence.Remove(this);
            inner.Dispose();
        }
    }
}
