using Precision.Clinical;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.Predictions;

namespace Precision.Portal.Client.Tests;

/// <summary>Predictions as the tumor board pages get them: a candidate, a received therapy with a number, one the disease progressed on, one without evidence.</summary>
internal static class BoardPredictionFixtures
{
    public const string SourceText =
        "Calibration at the point of care: among 3,052 held-out predictions on an external synthetic cohort the model never saw (External cohort (seed 7301, 1000 patients); evaluated 2026-12-08).";

    public const string UnavailableText =
        "Model 1.1.0 has no evaluation on file (precision-train evaluate), so calibration at the point of care cannot be shown.";

    public static readonly CalibrationAtPointOfCare Own = new(0.3, 0.4, 412, 0.37, true, 412, 30);

    public static readonly CalibrationAtPointOfCare Pooled = new(0.5, 0.6, 1204, 0.55, false, 12, 30);

    public static readonly CalibrationAtPointOfCare ForProgressed = new(0.5, 0.6, 900, 0.52, true, 900, 30);

    /// <summary>With calibration on every therapy (also the one progressed on, which must not show it), and the cohort it comes from.</summary>
    public static PatientPredictions Calibrated()
    {
        var p = Uncalibrated(null);
        return p with
        {
            Calibration = new CalibrationSource(true, SourceText),
            Therapies = [.. p.Therapies.Select(t => t with
            {
                Calibration = t.TherapyId switch
                {
                    "sotorasib" => Own,
                    "docetaxel" => Pooled,
                    "carboplatin-pemetrexed-pembrolizumab" => ForProgressed,
                    _ => Own,
                },
            })],
        };
    }

    /// <summary>No calibration on any therapy; <paramref name="source"/> says why, or is null as from a service that did not say.</summary>
    public static PatientPredictions Uncalibrated(CalibrationSource? source) =>
        new("p1", new DateOnly(2026, 12, 7), new ModelIdentity("1.1.0", new string('a', 64), "CPU", "synthetic training data — research use only"),
            [
                new TherapyPrediction("sotorasib", "Sotorasib", "KRAS G12C inhibitor", 0.38, 0.38, 0.36, 0.44,
                    new TherapyEvidence("KRAS G12C, previously treated advanced NSCLC", true, 0.37, "level 1", "Skoulidis 2021"), TherapyGroup.Candidate, 1, [], null),
                new TherapyPrediction("docetaxel", "Docetaxel", "Chemotherapy", 0.55, 0.55, 0.50, 0.60,
                    new TherapyEvidence("Previously treated advanced NSCLC", false, 0.12, "standard of care", "Shepherd 2000"), TherapyGroup.Received, null,
                    [new PriorTherapyUse(0, new DateOnly(2024, 1, 10), new DateOnly(2024, 4, 2), RecistResponse.PartialResponse, true)], null),
                new TherapyPrediction("carboplatin-pemetrexed-pembrolizumab", "Carboplatin + pemetrexed + pembrolizumab", "Chemo-immunotherapy", 0.56, 0.56, 0.53, 0.60,
                    new TherapyEvidence("Advanced non-squamous NSCLC", false, 0.48, "standard of care", "Gandhi 2018"), TherapyGroup.Received, null,
                    [new PriorTherapyUse(1, new DateOnly(2025, 3, 2), new DateOnly(2025, 6, 20), RecistResponse.ProgressiveDisease, false)], null),
                new TherapyPrediction("folfirinox", "FOLFIRINOX", "Chemotherapy", 0.27, 0.27, 0.24, 0.30,
                    new TherapyEvidence(null, false, null, "no catalog context for this patient", null), TherapyGroup.NoEvidence, null, [], "No evidence in non-small cell lung cancer."),
            ],
            "member range", new Applicability(ApplicabilityLevel.InDistribution, []), [], "basis", null, [], new AuditReceipt(Guid.NewGuid(), 1, DateTimeOffset.UtcNow))
        {
            Calibration = source,
        };
}
