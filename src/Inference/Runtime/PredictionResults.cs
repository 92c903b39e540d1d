using Precision.Clinical;
using Precision.Inference.Evidence;
using Precision.Inference.Features;

namespace Precision.Inference.Runtime;

/// <summary>Which model produced a result, and where it ran: shown beside every prediction and kept in its audit record.</summary>
public sealed record ModelProvenance(string Version, string OnnxSha256, string FeatureSchemaHash, string ExecutionProvider, bool HasReferencePopulation)
{
    /// <summary>The model reads on which catalog therapies the disease progressed (feature layout V2 and later): re-challenge is estimated.</summary>
    public bool ReadsProgression { get; init; }
}

/// <summary>One catalog therapy for one patient.</summary>
/// <param name="Probability">Calibrated probability of objective response (the model's <c>probability</c> output).</param>
/// <param name="EnsembleMean">Mean of the ensemble members' probabilities.</param>
/// <param name="IntervalLow">Lowest member probability (see <see cref="EfficacyPrediction.IntervalMethod"/>).</param>
/// <param name="IntervalHigh">Highest member probability.</param>
/// <param name="MemberProbabilities">Each ensemble member's probability, in member order.</param>
/// <param name="Evidence">The therapy catalog's matching rule, published response rate and source.</param>
public sealed record TherapyPrediction(
    string TherapyId,
    string TherapyName,
    double Probability,
    double EnsembleMean,
    double IntervalLow,
    double IntervalHigh,
    IReadOnlyList<double> MemberProbabilities,
    EvidenceMatch Evidence);

/// <summary>Every catalog therapy for one patient at one moment, from one batched model run.</summary>
public sealed record EfficacyPrediction(
    string PatientId,
    DateOnly AsOf,
    int PriorLines,
    IReadOnlyList<TherapyPrediction> Therapies,
    string IntervalMethod,
    ApplicabilityAssessment Applicability,
    float[] Embedding,
    PatientFeatures Features,
    ModelProvenance Model);

/// <summary>Why no prediction could be made; <see cref="PredictionProblem.Message"/> says what to do.</summary>
public enum PredictionProblemKind
{
    /// <summary>No model is being served (refused at start, see the readiness check).</summary>
    ModelUnavailable,

    /// <summary>The record holds none of the facts the model reads.</summary>
    EmptyRecord,

    /// <summary>The request itself cannot be answered (e.g. a negative number of earlier lines).</summary>
    InvalidRequest,

    /// <summary>ONNX Runtime failed on this run.</summary>
    ModelRunFailed,

    /// <summary>The served model ships no reference population (similar patients need one).</summary>
    NoReferencePopulation,
}

public sealed record PredictionProblem(PredictionProblemKind Kind, string Message);

/// <summary>A prediction, or the problem that prevented it. Never an exception for bad patient data.</summary>
public sealed record PredictionResult(EfficacyPrediction? Prediction, PredictionProblem? Problem)
{
    public bool Succeeded => Prediction is not null;

    public static PredictionResult Success(EfficacyPrediction prediction) => new(prediction, null);

    public static PredictionResult Failure(PredictionProblemKind kind, string message) => new(null, new PredictionProblem(kind, message));
}

/// <summary>A training patient close to this one in the model's embedding space, and what happened to them.</summary>
public sealed record SimilarPatient(
    string Id,
    CancerType CancerType,
    string? AgeBand,
    string? Sex,
    IReadOnlyList<string> Biomarkers,
    string TherapyId,
    string TherapyName,
    int LineNumber,
    bool Responded,
    double Distance);

/// <summary>
/// The nearest reference patients of the patient's <see cref="SimilarityCohort"/> (closest first), or the problem that
/// prevented the search. <see cref="Basis"/> says how they were chosen; <see cref="Shortfall"/> says when fewer than
/// <see cref="Requested"/> exist.
/// </summary>
public sealed record SimilarPatientsResult(IReadOnlyList<SimilarPatient> Patients, PredictionProblem? Problem, SimilarityCohort? Cohort = null, int Requested = 0)
{
    public bool Succeeded => Problem is null;

    /// <summary>How similarity is chosen, in words for the page; null when there was no search.</summary>
    public string? Basis => Cohort is null ? null
        : $"Only training patients with the same cancer type and the same driver biomarkers ({Cohort.Description}) are compared; among them, the nearest in the model's patient embedding come first. "
          + "Driver biomarkers: EGFR sensitizing, ALK, ROS1, KRAS G12C, BRAF V600E, ERBB2 amplification, BRCA1/2 pathogenic, MSI-high, NTRK and ER positivity (PD-L1 and TMB are weighed by the distance, not matched).";

    /// <summary>Why fewer patients than requested are shown; null when the cohort had enough.</summary>
    public string? Shortfall => Cohort is null || Patients.Count >= Requested ? null
        : Patients.Count == 0 ? $"No training patient shares {Cohort.Description}, so none is shown (patients of other cancers or driver groups are not substituted)."
        : $"Only {Patients.Count} training {(Patients.Count == 1 ? "patient shares" : "patients share")} {Cohort.Description}; patients of other cancers or driver groups are not substituted.";
}

/// <summary>A (patient features, therapy) pair for cohort scoring.</summary>
public sealed record CohortPair(PatientFeatures Features, string TherapyId);
