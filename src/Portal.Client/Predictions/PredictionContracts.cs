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
/// <param name="Context">The matching catalog context in words; null when none matches this patient.</param>
/// <param name="PublishedResponseRate">The context's published rate; null when no context matches (no rate is invented).</param>
/// <param name="Citation">The rate's source; null when no context matches.</param>
public sealed record TherapyEvidence(string? Context, bool BiomarkerDefined, double? PublishedResponseRate, string EvidenceLevel, string? Citation);

/// <summary>Where a therapy belongs (the rule is <c>Precision.Inference.Ranking.TherapyRanking</c>).</summary>
public enum TherapyGroup
{
    /// <summary>Not received, with a catalog context matching the patient's cancer type, biomarkers and line: ranked.</summary>
    Candidate,

    /// <summary>Already received: the probability is a re-challenge estimate, never a candidate rank.</summary>
    Received,

    /// <summary>No catalog context for this patient: not ranked, no published rate.</summary>
    NoEvidence,
}

/// <summary>One earlier use of a therapy: line (0 for a curative-intent course), dates and best overall response.</summary>
public sealed record PriorTherapyUse(int LineNumber, DateOnly? StartedOn, DateOnly? EndedOn, RecistResponse? BestResponse, bool CurativeIntent)
{
    /// <summary>E.g. "Line 1, 2025-03-02 – 2025-06-20, best response: progressive disease".</summary>
    public string Description
    {
        get
        {
            var what = CurativeIntent ? "Curative-intent course" : $"Line {LineNumber}";
            var started = StartedOn?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) ?? "start not recorded";
            var ended = EndedOn?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) ?? "ongoing or end not recorded";
            return $"{what}, {started} – {ended}, best response: {ResponseText(BestResponse)}";
        }
    }

    /// <summary>RECIST 1.1 best overall response in words.</summary>
    public static string ResponseText(RecistResponse? response) => response switch
    {
        RecistResponse.CompleteResponse => "complete response",
        RecistResponse.PartialResponse => "partial response",
        RecistResponse.StableDisease => "stable disease",
        RecistResponse.ProgressiveDisease => "progressive disease",
        _ => "not recorded",
    };
}

/// <summary>One therapy's predicted probability of objective response (RECIST CR/PR), with its group.</summary>
/// <param name="Probability">Calibrated probability (for a received therapy: a re-challenge estimate).</param>
/// <param name="EnsembleMean">Mean of the ensemble members' probabilities.</param>
/// <param name="Rank">1-based rank among the candidates; null for received and no-evidence therapies.</param>
/// <param name="PriorUses">Earlier uses (received therapies), oldest first.</param>
/// <param name="NoEvidenceReason">Why no catalog context matches (no-evidence therapies).</param>
public sealed record TherapyPrediction(
    string TherapyId,
    string DisplayName,
    string DrugClass,
    double Probability,
    double EnsembleMean,
    double IntervalLow,
    double IntervalHigh,
    TherapyEvidence Evidence,
    TherapyGroup Group,
    int? Rank,
    IReadOnlyList<PriorTherapyUse> PriorUses,
    string? NoEvidenceReason)
{
    /// <summary>Shown instead of a number for a therapy the disease progressed on, when the model does not read progression (models 1.x).</summary>
    public const string NotEstimatedText =
        "Not estimated: the disease progressed on this therapy, and the model does not read which therapies were already given, so it cannot estimate a re-challenge (responses after progression on the same regimen are uncommon).";

    /// <summary>Beside the number of a therapy received before without progression on it, from a model that reads no treatment history (1.x).</summary>
    public const string ReceivedEstimateNote =
        "Estimate as for a patient not treated with it before: the model does not read which therapies were already given.";

    /// <summary>Beside the number of a re-challenge after progression, from a model that reads progression.</summary>
    public const string RechallengeEstimateNote =
        "Re-challenge after progression: the model reads that the disease progressed on this regimen and estimates a response to giving it again (learned from re-challenged patients in the synthetic training cohort).";

    /// <summary>Beside the number of a therapy received before without progression on it, from a model that reads progression.</summary>
    public const string ReceivedWithoutProgressionNote =
        "Estimate as for a patient not treated with it before: the model reads progression on earlier regimens, not earlier use with response or stable disease.";

    /// <summary>Received, and the disease progressed on it.</summary>
    public bool ProgressedOnIt => Group == TherapyGroup.Received && PriorUses.Any(u => u.BestResponse == RecistResponse.ProgressiveDisease);

    /// <summary>The model that scored this reads on which therapies the disease progressed (feature layout V2), so a re-challenge is estimated.</summary>
    public bool ModelReadsProgression { get; init; }

    /// <summary>
    /// Received and progressed on, by a model that cannot know it: its number would be a confident wrong answer, so pages
    /// show <see cref="NotEstimatedText"/> instead.
    /// </summary>
    public bool NotEstimated => ProgressedOnIt && !ModelReadsProgression;

    /// <summary>
    /// What the numbers of an "already received" table mean for the model that scored them: the sentence every page (patient
    /// tab, board table, case report) puts in that table's caption.
    /// </summary>
    public static string ReceivedNumbersSentence(IEnumerable<TherapyPrediction> received) => received.Any(t => t.ModelReadsProgression)
        ? "The model reads which therapies the disease progressed on: a therapy that progressed gets a re-challenge estimate, usually far below a first use; one given without progression is estimated as for a patient not treated with it before."
        : "No estimate for a therapy the disease progressed on: this model does not read which therapies were given; otherwise the estimate is as for a patient not treated with it before.";

    /// <summary>The caption of a board's or report's "already received" table.</summary>
    public static string ReceivedCaption(IEnumerable<TherapyPrediction> received) => "Already received (not ranked). " + ReceivedNumbersSentence(received);

    /// <summary>What a received therapy's number means (or why there is none), by whether the model reads progression.</summary>
    public string ReceivedNote => (ProgressedOnIt, ModelReadsProgression) switch
    {
        (true, true) => RechallengeEstimateNote,
        (true, false) => NotEstimatedText,
        (false, true) => ReceivedWithoutProgressionNote,
        (false, false) => ReceivedEstimateNote,
    };

    /// <summary>
    /// A candidate sharing an agent with a regimen the disease progressed on: which, and where ("Contains pembrolizumab — the
    /// disease progressed on it in line 1 (…)."). Such candidates are ranked after the others; null otherwise.
    /// </summary>
    public string? ProgressedAgentsText { get; init; }

    /// <summary>How often patients responded among held-out predictions in the same range; null when the model has no usable evaluation.</summary>
    public CalibrationAtPointOfCare? Calibration { get; init; }

    /// <summary>This therapy's reliability bins on the evaluation cohort shown (its reliability curve); empty when there is none.</summary>
    public IReadOnlyList<ReliabilityBin> ReliabilityCurve { get; init; } = [];
}

/// <summary>One point of a therapy's reliability curve: held-out predictions in a range, their mean and the share that responded (NaN when empty).</summary>
public sealed record ReliabilityBin(double Lower, double Upper, int Predictions, double MeanPredicted, double ObservedRate);

/// <summary>
/// The reliability bin a prediction falls in, from the served model's evaluation on held-out patients: of
/// <paramref name="Predictions"/> held-out predictions between <paramref name="Lower"/> and <paramref name="Upper"/>, the
/// share that responded. This therapy's bin when it holds at least <paramref name="MinimumTherapyPredictions"/>
/// predictions, else the bin over all therapies (rule: <c>Precision.Inference.Evaluation.ModelCalibration</c>).
/// </summary>
/// <param name="ObservedRate">Share of those predictions whose patients responded (NaN when the bin is empty).</param>
/// <param name="ForThisTherapy">True: this therapy's own bin; false: the bin over all therapies.</param>
/// <param name="TherapyPredictionsInRange">This therapy's held-out predictions in the same range.</param>
public sealed record CalibrationAtPointOfCare(
    double Lower,
    double Upper,
    int Predictions,
    double ObservedRate,
    bool ForThisTherapy,
    int TherapyPredictionsInRange,
    int MinimumTherapyPredictions)
{
    /// <summary>E.g. "Calibration: of 412 held-out predictions for this therapy between 40% and 50%, 44% responded."</summary>
    public string Text
    {
        get
        {
            var culture = System.Globalization.CultureInfo.InvariantCulture;
            var range = string.Format(culture, "between {0:0}% and {1:0}%", 100 * Lower, 100 * Upper);
            if (Predictions == 0)
            {
                return $"Calibration: no held-out prediction fell {range}, so there is no observed response rate for this range.";
            }

            var observed = string.Format(culture, "{0:N0} held-out predictions", Predictions);
            var responded = string.Format(culture, "{0:0}% responded", 100 * ObservedRate);
            if (ForThisTherapy)
            {
                return $"Calibration: of {observed} for this therapy {range}, {responded}.";
            }

            var own = TherapyPredictionsInRange == 0 ? "none" : string.Format(culture, "only {0:N0}", TherapyPredictionsInRange);
            return string.Format(culture, "Calibration: of {0} of all therapies {1}, {2} (this therapy has {3} in this range, fewer than {4}).",
                observed, range, responded, own, MinimumTherapyPredictions);
        }
    }
}

/// <summary>Where the calibration shown beside each probability comes from, or why none is shown (<see cref="Description"/> says which).</summary>
public sealed record CalibrationSource(bool IsAvailable, string Description);

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

/// <summary>
/// Predictions for every catalog therapy, as recorded in the audit trail. <see cref="Therapies"/> holds them all in page
/// order — candidates by rank, then received, then no-evidence — and every page reads the groups from it.
/// </summary>
/// <param name="SimilarityBasis">How similar patients are chosen, in words.</param>
/// <param name="SimilarityShortfall">Why fewer similar patients than asked for are shown; null when there were enough.</param>
public sealed record PatientPredictions(
    string PatientId,
    DateOnly AsOf,
    ModelIdentity Model,
    IReadOnlyList<TherapyPrediction> Therapies,
    string IntervalMethod,
    Applicability Applicability,
    IReadOnlyList<SimilarPatient> SimilarPatients,
    string SimilarityBasis,
    string? SimilarityShortfall,
    IReadOnlyList<string> ScenarioChanges,
    AuditReceipt Audit)
{
    /// <summary>Therapies not yet received with catalog evidence for this patient, highest probability first.</summary>
    public IReadOnlyList<TherapyPrediction> Candidates => [.. Therapies.Where(t => t.Group == TherapyGroup.Candidate).OrderBy(t => t.Rank)];

    /// <summary>Therapies already received, with their re-challenge estimate.</summary>
    public IReadOnlyList<TherapyPrediction> Received => [.. Therapies.Where(t => t.Group == TherapyGroup.Received)];

    /// <summary>Therapies with no catalog context for this patient (not ranked).</summary>
    public IReadOnlyList<TherapyPrediction> NoEvidence => [.. Therapies.Where(t => t.Group == TherapyGroup.NoEvidence)];

    /// <summary>The evaluation the rows' calibration comes from, or why there is none; null when the service did not say.</summary>
    public CalibrationSource? Calibration { get; init; }

    /// <summary>The top-ranked candidate; null when there is none.</summary>
    public TherapyPrediction? TopCandidate => Candidates is [var top, ..] ? top : null;
}

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

    /// <summary>Explains the predictions of <paramref name="therapyIds"/> (every catalog therapy when null): one therapy is quick, all of them take seconds on a CPU.</summary>
    Task<PredictionOutcome<PatientExplanation>> ExplainAsync(PatientProfile profile, WhatIfScenario? scenario, IReadOnlyList<string>? therapyIds = null, CancellationToken cancellationToken = default);

    Task<AuditReceipt> RecordFeedbackAsync(PredictionFeedback feedback, CancellationToken cancellationToken = default);
}
