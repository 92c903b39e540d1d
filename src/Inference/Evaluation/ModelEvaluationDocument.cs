using System.Text.Json;
using System.Text.Json.Serialization;

namespace Precision.Inference.Evaluation;

/// <summary>
/// <c>evaluation.json</c>: what <c>precision-train evaluate</c> measured for one model version, keyed to the exact ONNX file
/// it scored (<see cref="OnnxSha256"/>). The model card's numbers come from it; the portal reads its reliability bins to
/// show calibration at the point of care, only when the SHA-256 is the served model's. One definition for writer and readers.
/// </summary>
/// <param name="ModelVersion">The evaluated version (manifest <c>modelVersion</c>).</param>
/// <param name="OnnxSha256">Lowercase hex SHA-256 of the evaluated model.onnx.</param>
/// <param name="FeatureSchemaHash">The featurizer's schema hash the rows were built with.</param>
/// <param name="Date">When the evaluation ran (UTC date).</param>
/// <param name="Cohorts">One entry per evaluated cohort (the training cohort's test split, other cohorts in full).</param>
public sealed record ModelEvaluationDocument(
    string ModelVersion,
    string OnnxSha256,
    string FeatureSchemaHash,
    DateOnly Date,
    IReadOnlyList<CohortEvaluation> Cohorts)
{
    public const string FileName = "evaluation.json";

    public const string MarkdownFileName = "evaluation.md";

    /// <summary>
    /// Empty reliability bins carry NaN means, so named floating-point literals are allowed ("NaN" in the file);
    /// metrics that are undefined for a group (too few rows, one outcome only) are null instead.
    /// </summary>
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>How the served model was run to produce these numbers, e.g. "ONNX Runtime, CPU provider".</summary>
    public string? ScoredWith { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>The test split of the model's own training cohort, when evaluated.</summary>
    public CohortEvaluation? TestSplit => Cohorts.FirstOrDefault(c => c.Selection == CohortSelection.TestSplit);

    /// <summary>The first cohort the model never saw, when evaluated.</summary>
    public CohortEvaluation? External => Cohorts.FirstOrDefault(c => c.Selection == CohortSelection.AllPatients);

    /// <summary>Reads a document; a malformed one is an <see cref="InvalidDataException"/> naming the file.</summary>
    public static ModelEvaluationDocument Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ModelEvaluationDocument>(File.ReadAllText(path), JsonOptions)
                ?? throw new InvalidDataException($"{path} is empty.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path} is not a model evaluation document ({ex.Message}). Regenerate it with precision-train evaluate.", ex);
        }
    }
}

/// <summary>The evaluation on one cohort.</summary>
/// <param name="Name">Short name, e.g. "test split (seed 42 cohort)" or "external cohort (seed 7301)".</param>
/// <param name="Description">How the rows were chosen and built, in words.</param>
/// <param name="CohortSeed">The generator seed of the cohort, when known.</param>
/// <param name="Patients">Patients with at least one scored row.</param>
/// <param name="Examples">Scored (patient, therapy received, observed response) rows.</param>
/// <param name="Calibration">Reliability bins of the served probability over every row (10 bins of width 0.1).</param>
/// <param name="CalibrationByTherapy">The same bins per catalog therapy.</param>
public sealed record CohortEvaluation(
    string Name,
    string Description,
    long? CohortSeed,
    int Patients,
    int Examples,
    IReadOnlyList<CalibrationBin> Calibration,
    IReadOnlyList<TherapyCalibration> CalibrationByTherapy)
{
    /// <summary>Whether the rows are the training cohort's held-out test split or every patient of a cohort the model never saw.</summary>
    public CohortSelection Selection { get; init; }

    /// <summary>SHA-256 of the cohort's manifest.json (how a model's training cohort is recognised).</summary>
    public string? CohortManifestSha256 { get; init; }

    /// <summary>The patient split seed, when <see cref="Selection"/> is <see cref="CohortSelection.TestSplit"/>.</summary>
    public long? SplitSeed { get; init; }

    /// <summary>The truth file column the comparison with the truth used (<c>first_line_probability</c>, or the fallback named in <see cref="Notes"/>).</summary>
    public string? TruthColumn { get; init; }

    /// <summary>The served model first, then the peers, then the oracle; each on exactly the same rows.</summary>
    public IReadOnlyList<PredictorEvaluation> Predictors { get; init; } = [];

    /// <summary>Caveats a reader must know (peers left out, a truth column missing, …).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}

/// <summary>Which patients of a cohort were scored.</summary>
public enum CohortSelection
{
    /// <summary>Every patient: a cohort the model never saw.</summary>
    AllPatients,

    /// <summary>Only the held-out test patients of the model's own training cohort (same patient split as training).</summary>
    TestSplit,
}

/// <summary>Reliability bins of one therapy's served probabilities.</summary>
public sealed record TherapyCalibration(string TherapyId, IReadOnlyList<CalibrationBin> Bins);

/// <summary>What a predictor is: the served model, a peer it is compared with, or the oracle (the generator's truth).</summary>
public enum PredictorKind
{
    Model,
    Peer,
    Oracle,
}

/// <summary>One predictor on one cohort's rows. Metrics that are undefined (one outcome only, too few rows) are null.</summary>
/// <param name="Name">E.g. "Efficacy ensemble 1.1.0 (ONNX, as served)", "Gradient-boosted trees (LightGBM)".</param>
/// <param name="Kind">Model, peer or oracle.</param>
/// <param name="Description">How it predicts, in one sentence.</param>
/// <param name="Examples">Rows scored.</param>
/// <param name="Auroc">Area under the ROC curve.</param>
/// <param name="AveragePrecision">Area under the precision–recall curve (average precision).</param>
/// <param name="Brier">Mean squared error of the probability.</param>
/// <param name="ExpectedCalibrationError">ECE over 10 equal-width bins.</param>
/// <param name="Calibration">Reliability bins over every row.</param>
/// <param name="CalibrationByTherapy">Reliability bins per therapy received.</param>
/// <param name="AurocByTherapy">Discrimination per therapy received.</param>
/// <param name="Subgroups">Subgroup metrics (sex, age band, race, ethnicity, cancer type, therapy).</param>
/// <param name="SubgroupGaps">Per dimension, the widest subgroup AUROC gap of this predictor and of the oracle on the same groups.</param>
/// <param name="Truth">Comparison with the generator's true probabilities (null for the oracle and where the cohort has no truth file).</param>
public sealed record PredictorEvaluation(
    string Name,
    PredictorKind Kind,
    string Description,
    int Examples,
    double? Auroc,
    double? AveragePrecision,
    double Brier,
    double ExpectedCalibrationError,
    IReadOnlyList<CalibrationBin> Calibration,
    IReadOnlyList<TherapyCalibration> CalibrationByTherapy,
    IReadOnlyList<TherapyDiscrimination> AurocByTherapy,
    IReadOnlyList<SubgroupEvaluation> Subgroups,
    IReadOnlyList<SubgroupAurocGap> SubgroupGaps,
    TruthComparison? Truth);

/// <summary>AUROC of the rows of one therapy received (null under the minimum size or with one outcome only).</summary>
public sealed record TherapyDiscrimination(string TherapyId, int Examples, int Responders, double? Auroc);

/// <summary>One subgroup's metrics, with the oracle's AUROC on the same rows for reference.</summary>
public sealed record SubgroupEvaluation(
    string Dimension,
    string Group,
    int Examples,
    double ObservedRate,
    double MeanPredicted,
    double? Auroc,
    double? ExpectedCalibrationError,
    double? OracleAuroc);

/// <summary>
/// The spread (max − min) of subgroup AUROC within one dimension, over the groups where both this predictor's and the
/// oracle's AUROC are defined. Part of the spread is in the data (the oracle has it too); the target is
/// <c>Gap ≤ OracleGap + 0.02</c>.
/// </summary>
public sealed record SubgroupAurocGap(string Dimension, int Groups, double? Gap, double? OracleGap, bool? WithinTarget)
{
    public const double Tolerance = 0.02;
}

/// <summary>
/// Against the counterfactual truth only a synthetic cohort has: every scored patient × every catalog therapy, predicted
/// with the features at the start of the patient's first line and compared with the first-line true probability.
/// </summary>
/// <param name="Pairs">Patient × therapy pairs with a true probability.</param>
/// <param name="MeanAbsoluteErrorToTruth">Mean |predicted − true|.</param>
/// <param name="CalibrationErrorToTruth">In 10 bins of predicted probability, the count-weighted |mean true − mean predicted|.</param>
/// <param name="MeanPatientRankCorrelation">Mean over patients of the Spearman correlation of predicted and true across all therapies.</param>
/// <param name="PatientsRanked">Patients with a truth for every therapy (and a defined correlation).</param>
/// <param name="BiomarkerGroups">Catalog context × therapy groups of ≥ 10 patients.</param>
public sealed record TruthComparison(
    int Pairs,
    double? MeanAbsoluteErrorToTruth,
    double? CalibrationErrorToTruth,
    double? MeanPatientRankCorrelation,
    int PatientsRanked,
    IReadOnlyList<BiomarkerGroupRate> BiomarkerGroups);

/// <summary>Mean predicted response for a catalog context × therapy against the rate the catalog encodes and the group's mean truth.</summary>
public sealed record BiomarkerGroupRate(string ContextId, string TherapyId, int Patients, double EncodedRate, double MeanTrue, double MeanPredicted)
{
    /// <summary>Predicted minus the published (encoded) rate, in percentage points.</summary>
    [JsonIgnore]
    public double DifferencePoints => 100 * (MeanPredicted - EncodedRate);

    /// <summary>Predicted minus the group's mean true probability: the encoded rate after the modifiers that apply to these patients.</summary>
    [JsonIgnore]
    public double DifferenceFromTruthPoints => 100 * (MeanPredicted - MeanTrue);
}
