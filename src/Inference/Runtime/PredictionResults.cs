using Precision.Clinical;
using Precision.Inference.Evidence;
using Precision.Inference.Features;

namespace Precision.Inference.Runtime;

/// <summary>Which model produced a result, and where it ran: shown beside every prediction and kept in its audit record.</summary>
public sealed record ModelProvenance(string Version, string OnnxSha256, string FeatureSchemaHash, string ExecutionProvider, bool HasReferencePopulation);

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

/// <summary>The nearest reference patients (closest first), or the problem that prevented the search.</summary>
public sealed record SimilarPatientsResult(IReadOnlyList<SimilarPatient> Patients, PredictionProblem? Problem)
{
    public bool Succeeded => Problem is null;
}

/// <summary>A (patient features, therapy) pair for cohort scoring.</summary>
public sealed record CohortPair(PatientFeatures Features, string TherapyId);
