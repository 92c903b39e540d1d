using Precision.Clinical;
using Precision.Clinical.WhatIf;
using Precision.Portal.Client.Audit;

namespace Precision.Portal.Client.Predictions;

/// <summary>How far the patient is from the patients the model learned from.</summary>
public enum ApplicabilityLevel
{
    InDistribution,
    Caution,
    OutOfDistribution,
}

/// <summary>The model that produced a result: what a compliance officer needs to find it again.</summary>
public sealed record ModelIdentity(string Version, string OnnxSha256, string ExecutionProvider, string TrainingData);

/// <summary>What the therapy catalog says for this patient and therapy.</summary>
/// <param name="Context">The matching biomarker context in words, or null for the unselected population.</param>
public sealed record TherapyEvidence(string? Context, bool BiomarkerDefined, double PublishedResponseRate, string EvidenceLevel, string Citation);

/// <summary>One therapy's predicted probability of objective response (RECIST CR/PR).</summary>
/// <param name="Probability">Calibrated probability.</param>
/// <param name="EnsembleMean">Mean of the ensemble members' probabilities.</param>
public sealed record TherapyPrediction(
    string TherapyId,
    string DisplayName,
    string DrugClass,
    double Probability,
    double EnsembleMean,
    double IntervalLow,
    double IntervalHigh,
    TherapyEvidence Evidence);

public sealed record Applicability(ApplicabilityLevel Level, IReadOnlyList<string> Reasons);

/// <summary>A training-cohort patient near this one in the model's embedding.</summary>
public sealed record SimilarPatient(
    string PatientId,
    string CancerType,
    string AgeBand,
    string Sex,
    IReadOnlyList<string> Biomarkers,
    string TherapyName,
    int LineNumber,
    bool Responded,
    double Distance);

/// <summary>Predictions for every catalog therapy, ranked by calibrated probability, as recorded in the audit trail.</summary>
public sealed record PatientPredictions(
    string PatientId,
    DateOnly AsOf,
    ModelIdentity Model,
    IReadOnlyList<TherapyPrediction> Therapies,
    string IntervalMethod,
    Applicability Applicability,
    IReadOnlyList<SimilarPatient> SimilarPatients,
    IReadOnlyList<string> ScenarioChanges,
    AuditReceipt Audit);

/// <summary>A player of the explanation: one clinical fact (or group of facts) and the FHIR resources it comes from.</summary>
public sealed record ExplanationFactor(string Name, IReadOnlyList<SourceReference> Sources);

/// <summary>How each factor moved one therapy's prediction away from the population baseline (probability, 0–1 scale).</summary>
/// <param name="StandardErrors">Per factor, when the values were sampled; null when exact.</param>
public sealed record TherapyExplanation(
    string TherapyId,
    string DisplayName,
    double Baseline,
    double Prediction,
    IReadOnlyList<double> Contributions,
    IReadOnlyList<double>? StandardErrors);

/// <summary>Shapley explanations for every therapy, over the same factors.</summary>
public sealed record PatientExplanation(
    string PatientId,
    IReadOnlyList<ExplanationFactor> Factors,
    IReadOnlyList<TherapyExplanation> Therapies,
    string Method,
    string Reference,
    ModelIdentity Model,
    AuditReceipt Audit);

/// <summary>Why a clinician disagrees with a prediction.</summary>
public enum FeedbackReason
{
    ContradictsEvidence,
    PatientFactorsNotCaptured,
    RecordIncompleteOrWrong,
    ImplausibleProbability,
    Other,
}

public sealed record PredictionFeedback(
    string PatientId,
    string TherapyId,
    Guid PredictionAuditId,
    bool Agrees,
    FeedbackReason? Reason,
    string? Comment);

/// <summary>A result or an error the user can act on.</summary>
public sealed record PredictionOutcome<T>(T? Value, string? Error)
    where T : class;

public static class PredictionOutcome
{
    public static PredictionOutcome<T> Success<T>(T value)
        where T : class => new(value, null);

    public static PredictionOutcome<T> Failed<T>(string error)
        where T : class => new(null, error);
}

/// <summary>
/// Predictions, explanations, what-if and feedback for the patient pages. Every result is recorded in the audit trail
/// before it is returned; when recording fails the call throws <see cref="AuditWriteException"/> and nothing may be shown.
/// </summary>
public interface IPatientPredictions
{
    /// <summary>Maximum characters of a feedback comment.</summary>
    public const int MaxCommentLength = 2000;

    Task<PredictionOutcome<PatientPredictions>> PredictAsync(PatientProfile profile, WhatIfScenario? scenario, CancellationToken cancellationToken = default);

    Task<PredictionOutcome<PatientExplanation>> ExplainAsync(PatientProfile profile, WhatIfScenario? scenario, CancellationToken cancellationToken = default);

    Task<AuditReceipt> RecordFeedbackAsync(PredictionFeedback feedback, CancellationToken cancellationToken = default);
}
