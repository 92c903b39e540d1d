using System.Text.Json.Nodes;

namespace Precision.Portal.Client.Audit;

/// <summary>Whether the audited action succeeded, failed, or was refused by authorization.</summary>
public enum AuditOutcome
{
    Success,
    Failure,
    Denied,
}

/// <summary>Who performed an audited action, as the identity provider named them.</summary>
public sealed record AuditActor(string Subject, string DisplayName, IReadOnlyList<string> Roles)
{
    public static readonly AuditActor Anonymous = new("anonymous", "Anonymous", []);
}

/// <summary>What a page or service asks the audit trail to record; actor, time, address and correlation are added by the trail.</summary>
/// <param name="Action">One of <see cref="AuditActions"/>.</param>
/// <param name="PatientReference">FHIR reference such as <c>Patient/123</c> when the action concerns one patient.</param>
/// <param name="Target">What was acted on: a route template, resource reference or setting name. Never a patient name.</param>
/// <param name="Details">Small structured context; it is hashed into the chain exactly as serialized.</param>
public sealed record AuditEntry(
    string Action,
    AuditOutcome Outcome,
    string? PatientReference = null,
    string? Target = null,
    JsonObject? Details = null);

/// <summary>A stored, chained audit event.</summary>
public sealed record AuditEvent(
    long Sequence,
    Guid Id,
    DateTimeOffset OccurredUtc,
    AuditActor Actor,
    string Action,
    AuditOutcome Outcome,
    string? PatientReference,
    string? Target,
    string? DetailsJson,
    string? ClientAddress,
    string? CorrelationId,
    string PreviousHash,
    string Hash);

/// <summary>Proof that an entry was written before anything depending on it is shown.</summary>
public sealed record AuditReceipt(Guid EventId, long Sequence, DateTimeOffset OccurredUtc);

/// <summary>Result of walking the hash chain from the first event to the recorded head.</summary>
/// <param name="FirstBrokenSequence">Sequence number of the first event that fails verification, if any.</param>
/// <param name="Problem">What is wrong with that event, in words a compliance officer can act on.</param>
public sealed record AuditChainVerification(
    bool IsValid,
    long EventsChecked,
    long? FirstBrokenSequence,
    Guid? FirstBrokenEventId,
    string? Problem,
    TimeSpan Elapsed);

/// <summary>Number of events of one action in one hour, for activity charts.</summary>
public sealed record AuditActivityBucket(DateTimeOffset HourUtc, string Action, int Count);

/// <summary>Thrown when the audit trail cannot record an entry. Callers must not show what depended on it.</summary>
public sealed class AuditWriteException : Exception
{
    public AuditWriteException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    public AuditWriteException()
    {
    }

    public AuditWriteException(string message)
        : base(message)
    {
    }
}

/// <summary>Action names written to the trail. Dotted, lower case, stable: compliance queries depend on them.</summary>
public static class AuditActions
{
    public const string SignIn = "user.sign-in";
    public const string SignInFailed = "user.sign-in-failed";
    public const string SignOut = "user.sign-out";
    public const string AccessDenied = "access.denied";
    public const string PatientView = "patient.view";
    public const string PredictionCreate = "prediction.create";
    public const string PredictionExplain = "prediction.explain";
    public const string PredictionWhatIf = "prediction.what-if";
    public const string PredictionFeedback = "prediction.feedback";
    public const string PredictionReplay = "prediction.replay";
    public const string DecisionRecordView = "decision-record.view";
    public const string AuditChainVerify = "audit.chain-verify";
    public const string AuditSearch = "audit.search";
    public const string AuditExport = "audit.export";
    public const string AuditPrune = "audit.prune";
    public const string TumorBoardMeetingCreate = "tumor-board.meeting-create";
    public const string TumorBoardCaseChange = "tumor-board.case-change";
    public const string TumorBoardSessionJoin = "tumor-board.session-join";
    public const string TumorBoardRecommendation = "tumor-board.recommendation";
    public const string TumorBoardSignOff = "tumor-board.sign-off";
    public const string TumorBoardReportExport = "tumor-board.report-export";
    public const string ModelActivate = "model.activate";
}
