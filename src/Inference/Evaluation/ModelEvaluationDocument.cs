using System.Text.Json;

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

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

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
    IReadOnlyList<TherapyCalibration> CalibrationByTherapy);

/// <summary>Reliability bins of one therapy's served probabilities.</summary>
public sealed record TherapyCalibration(string TherapyId, IReadOnlyList<CalibrationBin> Bins);
