using System.Globalization;
using Precision.Portal.Client.Audit;

namespace Precision.Portal.Client.Compliance;

/// <summary>Which prediction event a decision is: the patient's record as it stood, or a what-if copy of it.</summary>
public enum DecisionKind
{
    Prediction,
    WhatIf,
}

/// <summary>
/// Filters for the decision list (successful <c>prediction.create</c> and <c>prediction.what-if</c> events), newest
/// first, keyset pages like the audit search. Every filter is optional.
/// </summary>
public sealed record DecisionQuery
{
    public const int DefaultPageSize = 25;

    /// <summary><c>Patient/123</c>, or just the id.</summary>
    public string? Patient { get; init; }

    public string? ModelVersion { get; init; }

    /// <summary>Inclusive.</summary>
    public DateTimeOffset? FromUtc { get; init; }

    /// <summary>Exclusive.</summary>
    public DateTimeOffset? ToUtc { get; init; }

    /// <summary>Null: both kinds.</summary>
    public DecisionKind? Kind { get; init; }

    public int PageSize { get; init; } = DefaultPageSize;

    /// <summary>Only decisions older than this event number (the previous page's <see cref="DecisionPage.NextBeforeSequence"/>).</summary>
    public long? BeforeSequence { get; init; }

    /// <summary>The FHIR reference the patient filter stands for (an id alone becomes <c>Patient/id</c>).</summary>
    public string? PatientReference =>
        string.IsNullOrWhiteSpace(Patient) ? null : Patient.Trim().Contains('/', StringComparison.Ordinal) ? Patient.Trim() : "Patient/" + Patient.Trim();

    /// <summary>The audit search for one of the two actions.</summary>
    public AuditSearchQuery ForAction(string action) => new AuditSearchQuery
    {
        PatientReference = PatientReference,
        ModelVersion = ModelVersion,
        FromUtc = FromUtc,
        ToUtc = ToUtc,
        Action = action,
        Outcome = AuditOutcome.Success,
        PageSize = PageSize,
        BeforeSequence = BeforeSequence,
    }.Normalized();

    /// <summary>What is wrong with these filters, in words a user can act on; empty when they can run.</summary>
    public IReadOnlyList<string> Validate() => ForAction(AuditActions.PredictionCreate).Validate();
}

/// <summary>One row of the decision list.</summary>
public sealed record DecisionSummary(
    long Sequence,
    Guid EventId,
    DateTimeOffset OccurredUtc,
    DecisionKind Kind,
    string? PatientReference,
    AuditActor User,
    string? ModelVersion,
    string? ExecutionProvider,
    int TherapyCount,
    string? TopTherapy,
    double? TopProbability);

/// <param name="NextBeforeSequence">Cursor for the next (older) page; null on the last page.</param>
public sealed record DecisionPage(IReadOnlyList<DecisionSummary> Decisions, long? NextBeforeSequence);

/// <summary>The model identity the prediction event recorded.</summary>
public sealed record DecisionModel(string? Version, string? OnnxSha256, string? FeatureSchemaHash, string? ExecutionProvider);

/// <summary>One recorded model input: its place in the feature vector, its name from the model's feature schema, its exact value.</summary>
/// <param name="Block"><c>clinical</c> or <c>genomic</c>.</param>
/// <param name="FactGroup">The clinical fact it comes from ("ECOG", "Labs: Albumin"), when the schema is known.</param>
public sealed record DecisionInput(string Block, int Index, string Name, string? FactGroup, float Value)
{
    /// <summary>The value exactly as recorded (shortest round-trip form).</summary>
    public string ValueText => Value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>One recorded output. Null members were not recorded.</summary>
/// <param name="Group">Where the page showed it: Candidate, Received or NoEvidence (null in records made before the groups).</param>
public sealed record DecisionOutput(string TherapyId, string TherapyName, double Probability, double? EnsembleMean, double? IntervalLow, double? IntervalHigh, string? Group = null);

public sealed record DecisionApplicability(string Level, IReadOnlyList<string> Reasons);

public sealed record FactorContribution(string Factor, double Contribution);

/// <summary>One therapy of a recorded explanation: baseline, prediction and the factors that moved it most.</summary>
public sealed record ExplainedTherapy(string TherapyId, string TherapyName, double Baseline, double Prediction, IReadOnlyList<FactorContribution> TopFactors);

/// <summary>A <c>prediction.explain</c> event of the same patient and model whose explained predictions are this decision's outputs.</summary>
public sealed record DecisionExplanation(long Sequence, DateTimeOffset OccurredUtc, AuditActor User, string? Method, IReadOnlyList<ExplainedTherapy> Therapies);

/// <summary>How someone came to see the decision or the patient's record.</summary>
public enum DecisionViewKind
{
    /// <summary>The user the prediction was made for and shown to.</summary>
    MadeThePrediction,

    /// <summary>Opened the patient's record afterwards (patient page or tumor board); what they saw is in their own events.</summary>
    ViewedPatientRecord,

    /// <summary>Opened this decision record (compliance).</summary>
    OpenedDecisionRecord,

    /// <summary>Replayed this decision (compliance).</summary>
    Replayed,
}

public sealed record DecisionViewer(long Sequence, DateTimeOffset OccurredUtc, AuditActor User, DecisionViewKind Kind, string? Where);

/// <summary>A <c>prediction.feedback</c> event for the patient and model; <see cref="AboutThisDecision"/> when it names this prediction event.</summary>
public sealed record DecisionFeedback(
    long Sequence,
    DateTimeOffset OccurredUtc,
    AuditActor User,
    string TherapyId,
    string TherapyName,
    bool Agrees,
    string? Reason,
    string? Comment,
    bool AboutThisDecision);

/// <summary>An earlier <c>prediction.replay</c> of this decision.</summary>
public sealed record ReplayHistoryEntry(long Sequence, DateTimeOffset OccurredUtc, AuditActor User, ReplayVerdict? Verdict, string? Headline);

/// <summary>
/// Everything the audit trail holds about one prediction: who asked, when, with which model; the exact inputs and the
/// FHIR resources they came from; every output; the explanations, views and feedback that followed.
/// </summary>
/// <param name="FeatureNamesFrom">Where the input names come from, in words (or why they are unknown).</param>
/// <param name="RecordProblems">What the recorded event lacks or holds in an unexpected form; empty for a complete record.</param>
/// <param name="ViewAudit">The <c>decision-record.view</c> event written before this record was returned.</param>
public sealed record DecisionRecord(
    long Sequence,
    Guid EventId,
    DateTimeOffset OccurredUtc,
    DecisionKind Kind,
    string? PatientReference,
    AuditActor User,
    string? ClientAddress,
    string? CorrelationId,
    string EventHash,
    DecisionModel Model,
    string? AsOf,
    int? PriorLines,
    IReadOnlyList<string> WhatIfChanges,
    IReadOnlyList<DecisionInput> Inputs,
    string FeatureNamesFrom,
    IReadOnlyList<string> Sources,
    IReadOnlyList<DecisionOutput> Outputs,
    DecisionApplicability? Applicability,
    IReadOnlyList<DecisionExplanation> Explanations,
    IReadOnlyList<DecisionViewer> Viewers,
    IReadOnlyList<DecisionFeedback> Feedback,
    IReadOnlyList<ReplayHistoryEntry> Replays,
    IReadOnlyList<string> RecordProblems,
    string TrainingData,
    AuditReceipt ViewAudit);

/// <summary>What a replay found.</summary>
public enum ReplayVerdict
{
    /// <summary>Every recorded output came back bit for bit, from the model file the event names.</summary>
    Identical,

    /// <summary>Every output within <see cref="ReplayResult.Tolerance"/> (e.g. recorded on CUDA, replayed on the CPU).</summary>
    WithinTolerance,

    /// <summary>An output differs by more than the tolerance, or the model file or feature schema is not the recorded one.</summary>
    Mismatch,

    /// <summary>The recorded model version cannot be run here (missing, or it fails its checks), or the record holds nothing to run.</summary>
    Unavailable,
}

/// <summary>One compared output.</summary>
/// <param name="Output"><c>probability</c>, <c>ensembleMean</c>, <c>intervalLow</c> or <c>intervalHigh</c>.</param>
public sealed record ReplayDifference(string TherapyId, string TherapyName, string Output, double Recorded, double Replayed)
{
    public double AbsoluteDifference => Math.Abs(Recorded - Replayed);
}

/// <summary>One therapy of a replay: its recorded and replayed probability and the largest difference over its outputs.</summary>
public sealed record ReplayComparison(string TherapyId, string TherapyName, double RecordedProbability, double? ReplayedProbability, double? MaxDifference);

/// <summary>
/// The recorded model version re-run on the recorded inputs (CPU), compared output by output with what was recorded.
/// </summary>
/// <param name="Headline">One sentence: the verdict and its reason.</param>
/// <param name="Findings">Everything that contributed to the verdict, each actionable.</param>
/// <param name="Audit">The <c>prediction.replay</c> event that records this result.</param>
public sealed record ReplayResult(
    long Sequence,
    ReplayVerdict Verdict,
    string Headline,
    IReadOnlyList<string> Findings,
    string? ModelVersion,
    string? RecordedOnnxSha256,
    string? RegistryOnnxSha256,
    string ExecutionProvider,
    int OutputsCompared,
    double? MaxAbsoluteDifference,
    ReplayDifference? Largest,
    IReadOnlyList<ReplayComparison> Comparisons,
    AuditReceipt Audit)
{
    /// <summary>Largest absolute difference still counted as a match.</summary>
    public const double Tolerance = 1e-6;

    public bool Matches => Verdict is ReplayVerdict.Identical or ReplayVerdict.WithinTolerance;
}

/// <summary>A result, or why there is none (e.g. no such event), in words a compliance officer can act on.</summary>
public sealed record DecisionOutcome<T>(T? Value, string? Problem)
    where T : class;

public static class DecisionOutcome
{
    public static DecisionOutcome<T> Found<T>(T value)
        where T : class => new(value, null);

    public static DecisionOutcome<T> NotFound<T>(string problem)
        where T : class => new(null, problem);
}

/// <summary>
/// Decision records for compliance, assembled from the audit trail, and their replay. Opening a record and replaying it
/// are themselves recorded (<c>decision-record.view</c>, <c>prediction.replay</c>) before the result is returned; when
/// that fails the call throws <see cref="AuditWriteException"/> and nothing may be shown.
/// </summary>
public interface IDecisionRecords
{
    /// <summary>Throws <see cref="AuditSearchException"/> naming every problem of an invalid query.</summary>
    Task<DecisionPage> ListAsync(DecisionQuery query, CancellationToken cancellationToken = default);

    Task<DecisionOutcome<DecisionRecord>> GetAsync(long sequence, CancellationToken cancellationToken = default);

    Task<DecisionOutcome<ReplayResult>> ReplayAsync(long sequence, CancellationToken cancellationToken = default);
}
