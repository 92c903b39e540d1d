using System.Globalization;

namespace Precision.Inference.Evaluation;

/// <summary>Whether a model version's calibration can be shown at the point of care, and if not, why.</summary>
public enum CalibrationAvailability
{
    /// <summary><c>evaluation.json</c> is for this exact model file and has reliability bins.</summary>
    Available,

    /// <summary>The version folder has no <c>evaluation.json</c> (versions evaluated before <c>precision-train evaluate</c> existed).</summary>
    NotEvaluated,

    /// <summary><c>evaluation.json</c> names another ONNX SHA-256: its numbers describe another model file and are ignored.</summary>
    OtherModelFile,

    /// <summary><c>evaluation.json</c> cannot be read or does not hold usable reliability bins; the model is still served.</summary>
    Unreadable,
}

/// <summary>
/// The reliability bins of one served model version, read from its <c>evaluation.json</c> — the one place that decides
/// whether an evaluation on file may be shown beside that model's predictions. It is used only when the document names
/// the SHA-256 of exactly the verified <c>model.onnx</c>; a missing, foreign or malformed file never stops serving, it
/// makes calibration unavailable with the reason in words (<see cref="Reason"/>). The cohort shown is an external cohort
/// (one the model never saw) when the evaluation has one, else the held-out test split of the training cohort.
/// </summary>
public sealed class ModelCalibration
{
    /// <summary>
    /// A therapy's own bin is shown only when it holds at least this many held-out predictions; below it the bin over all
    /// therapies is shown instead (an observed rate over a handful of patients is noise).
    /// </summary>
    public const int MinimumTherapyBinRows = 30;

    private ModelCalibration(string modelVersion, CalibrationAvailability availability, string? reason, ModelEvaluationDocument? document, CohortEvaluation? cohort)
    {
        ModelVersion = modelVersion;
        Availability = availability;
        Reason = reason;
        Document = document;
        Cohort = cohort;
    }

    public string ModelVersion { get; }

    public CalibrationAvailability Availability { get; }

    public bool IsAvailable => Availability == CalibrationAvailability.Available;

    /// <summary>Why calibration cannot be shown, in words a clinician or operator can act on; null when it can.</summary>
    public string? Reason { get; }

    /// <summary>The evaluation in use; null unless available.</summary>
    public ModelEvaluationDocument? Document { get; }

    /// <summary>The cohort whose bins are shown; null unless available.</summary>
    public CohortEvaluation? Cohort { get; }

    /// <summary>Whether <see cref="Cohort"/> is a cohort the model never saw (else the training cohort's held-out test split).</summary>
    public bool IsExternalCohort => Cohort is { } cohort && IsExternal(cohort);

    /// <summary>E.g. "3,052 held-out predictions on an external synthetic cohort"; null unless available.</summary>
    public string? CohortDescription => Cohort is { } cohort
        ? string.Create(CultureInfo.InvariantCulture, $"{cohort.Examples:N0} held-out predictions on ")
            + (IsExternalCohort ? "an external synthetic cohort the model never saw" : "the held-out test split of its synthetic training cohort")
            + $" ({cohort.Name}; evaluated {Document!.Date:yyyy-MM-dd})"
        : null;

    /// <summary>
    /// Reads <c>evaluation.json</c> from a verified model's folder. Never throws for the file's content: a missing file,
    /// a file for another ONNX SHA-256 or a malformed one gives an unavailable calibration with the reason.
    /// </summary>
    public static ModelCalibration Load(string versionFolder, string modelVersion, string onnxSha256)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(versionFolder);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelVersion);
        ArgumentException.ThrowIfNullOrWhiteSpace(onnxSha256);
        var path = Path.Combine(versionFolder, ModelEvaluationDocument.FileName);
        if (!File.Exists(path))
        {
            return new(modelVersion, CalibrationAvailability.NotEvaluated,
                $"Model {modelVersion} has no evaluation on file (precision-train evaluate), so calibration at the point of care cannot be shown.", null, null);
        }

        ModelEvaluationDocument document;
        try
        {
            document = ModelEvaluationDocument.Read(path);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return Unreadable(modelVersion, ex is InvalidDataException && ex.InnerException is { } inner ? inner.Message : ex.Message);
        }

        return From(document, modelVersion, onnxSha256);
    }

    /// <summary>The same rule for a document already read (see <see cref="Load"/>).</summary>
    public static ModelCalibration From(ModelEvaluationDocument document, string modelVersion, string onnxSha256)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentException.ThrowIfNullOrWhiteSpace(onnxSha256);
        if (string.IsNullOrWhiteSpace(document.OnnxSha256))
        {
            return Unreadable(modelVersion, "it names no onnxSha256, so it cannot be matched to the served model file");
        }

        if (!string.Equals(document.OnnxSha256, onnxSha256, StringComparison.OrdinalIgnoreCase))
        {
            return new(modelVersion, CalibrationAvailability.OtherModelFile,
                $"Calibration at the point of care cannot be shown: the evaluation on file is for another model file (it names ONNX SHA-256 {Short(document.OnnxSha256)}, "
                + $"model {modelVersion} serves {Short(onnxSha256)}). Re-run precision-train evaluate on model {modelVersion}.", null, null);
        }

        if (Problem(document) is { } problem)
        {
            return Unreadable(modelVersion, problem);
        }

        var cohort = document.Cohorts
            .Where(c => c.Examples > 0 && c.Calibration.Count > 0)
            .OrderBy(c => IsExternal(c) ? 0 : 1)
            .ThenByDescending(c => c.Examples)
            .FirstOrDefault();
        return cohort is null
            ? new(modelVersion, CalibrationAvailability.Unreadable,
                $"Calibration at the point of care is unavailable: the evaluation of model {modelVersion} on file has no cohort with scored predictions. Re-run precision-train evaluate.", null, null)
            : new(modelVersion, CalibrationAvailability.Available, null, document, cohort);
    }

    /// <summary>
    /// The reliability bin a probability falls in: this therapy's bin when it holds at least <see cref="MinimumTherapyBinRows"/>
    /// held-out predictions, else the bin over all therapies (and why). Bins are [lower, upper), the last one includes its
    /// upper edge (a probability of exactly 1). Null when calibration is unavailable or the probability is not in [0, 1].
    /// </summary>
    public CalibrationAtProbability? At(string therapyId, double probability)
    {
        ArgumentNullException.ThrowIfNull(therapyId);
        if (Cohort is not { } cohort || double.IsNaN(probability) || probability < 0 || probability > 1)
        {
            return null;
        }

        var overall = BinOf(cohort.Calibration, probability);
        var therapyBins = cohort.CalibrationByTherapy.FirstOrDefault(t => string.Equals(t.TherapyId, therapyId, StringComparison.Ordinal))?.Bins;
        var own = therapyBins is null ? null : BinOf(therapyBins, probability);
        if (own is { Count: >= MinimumTherapyBinRows })
        {
            return new CalibrationAtProbability(therapyId, probability, own, ForThisTherapy: true, TherapyRowsInBin: own.Count);
        }

        return overall is null ? null : new CalibrationAtProbability(therapyId, probability, overall, ForThisTherapy: false, TherapyRowsInBin: own?.Count ?? 0);
    }

    /// <summary>This therapy's reliability bins in the cohort shown (its reliability curve); empty when unavailable or not evaluated for it.</summary>
    public IReadOnlyList<CalibrationBin> BinsFor(string therapyId) =>
        Cohort?.CalibrationByTherapy.FirstOrDefault(t => string.Equals(t.TherapyId, therapyId, StringComparison.Ordinal))?.Bins ?? [];

    /// <summary>The bin holding <paramref name="probability"/>: lower ≤ p &lt; upper, or p = upper for the highest bin.</summary>
    public static CalibrationBin? BinOf(IReadOnlyList<CalibrationBin> bins, double probability)
    {
        ArgumentNullException.ThrowIfNull(bins);
        CalibrationBin? last = null;
        foreach (var bin in bins)
        {
            if (probability >= bin.Lower && probability < bin.Upper)
            {
                return bin;
            }

            if (last is null || bin.Upper > last.Upper)
            {
                last = bin;
            }
        }

        return last is not null && probability == last.Upper ? last : null;
    }

    /// <summary>Every patient of a cohort the model never saw; a test split names its split seed (an omitted selection reads as all patients).</summary>
    private static bool IsExternal(CohortEvaluation cohort) => cohort.Selection == CohortSelection.AllPatients && cohort.SplitSeed is null;

    private static ModelCalibration Unreadable(string modelVersion, string why) =>
        new(modelVersion, CalibrationAvailability.Unreadable,
            $"Calibration at the point of care is unavailable: the {ModelEvaluationDocument.FileName} of model {modelVersion} cannot be used ({why}). Re-run precision-train evaluate on model {modelVersion}.", null, null);

    private static string Short(string sha) => sha.Length > 12 ? sha[..12] + "…" : sha;

    /// <summary>What makes a document unusable for the point of care (null reference lists, bins that are not probabilities).</summary>
    private static string? Problem(ModelEvaluationDocument document)
    {
        if (document.Cohorts is null)
        {
            return "it lists no cohorts";
        }

        foreach (var cohort in document.Cohorts)
        {
            if (cohort is null)
            {
                return "a cohort entry is empty";
            }

            if (cohort.Calibration is null || cohort.CalibrationByTherapy is null)
            {
                return $"cohort '{cohort.Name}' has no calibration bins";
            }

            foreach (var therapy in cohort.CalibrationByTherapy)
            {
                if (therapy?.Bins is null)
                {
                    return $"cohort '{cohort.Name}' has a therapy without calibration bins";
                }
            }

            foreach (var bin in cohort.Calibration.Concat(cohort.CalibrationByTherapy.SelectMany(t => t.Bins)))
            {
                if (bin is null)
                {
                    return $"cohort '{cohort.Name}' has an empty calibration entry";
                }

                if (!(bin.Lower >= 0 && bin.Upper <= 1 && bin.Lower < bin.Upper) || bin.Count < 0
                    || (bin.Count > 0 && !(bin.ObservedRate is >= 0 and <= 1)))
                {
                    return string.Create(CultureInfo.InvariantCulture,
                        $"cohort '{cohort.Name}' has a bin that is not a probability range with an observed rate (lower {bin.Lower}, upper {bin.Upper}, count {bin.Count}, observed {bin.ObservedRate})");
                }
            }
        }

        return null;
    }
}

/// <summary>
/// The reliability bin one prediction falls in: among the held-out predictions between <c>Bin.Lower</c> and
/// <c>Bin.Upper</c> (this therapy's when <see cref="ForThisTherapy"/>, else all therapies'), how many responded.
/// </summary>
/// <param name="TherapyRowsInBin">This therapy's held-out predictions in the same range (0 when it has none).</param>
public sealed record CalibrationAtProbability(string TherapyId, double Probability, CalibrationBin Bin, bool ForThisTherapy, int TherapyRowsInBin);
