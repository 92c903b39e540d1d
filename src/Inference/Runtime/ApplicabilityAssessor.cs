using System.Globalization;
using Precision.Clinical;
using Precision.Inference.Features;

namespace Precision.Inference.Runtime;

/// <summary>How far the model's training covers this patient. Ordered: a higher level is a stronger warning.</summary>
public enum ApplicabilityLevel
{
    InDistribution,
    Caution,
    OutOfDistribution,
}

/// <summary>One finding, in clinical words. Findings at <see cref="ApplicabilityLevel.InDistribution"/> are notes.</summary>
public sealed record ApplicabilityReason(ApplicabilityLevel Level, string Fact, string Message);

/// <summary>
/// Whether the patient resembles the patients the model learned from: the overall level (the strongest finding), each
/// finding, and the embedding distance to the nearest reference patient with the held-out yardstick it was judged by.
/// </summary>
public sealed record ApplicabilityAssessment(
    ApplicabilityLevel Level,
    IReadOnlyList<ApplicabilityReason> Reasons,
    double? NearestReferenceDistance,
    NearestDistancePercentiles? DistancePercentiles);

/// <summary>
/// Checks a patient against the model's reference population: cancer type seen in training, every feature inside the
/// training range (reported as the clinical fact, its value and the range), implausible lab values, and the embedding
/// distance to the nearest training patient against held-out patients' distances (beyond p95: caution; beyond p99:
/// out of distribution). Without a reference population only the record itself can be checked, and it says so.
/// </summary>
public sealed class ApplicabilityAssessor
{
    /// <summary>Fewer training patients than this for a cancer type: caution.</summary>
    public const int FewPatients = 30;

    /// <summary>A value beyond the training range by more than this share of the range's width is out of distribution.</summary>
    public const double FarBeyondShare = 0.25;

    private const string DiagnosisGroup = "Diagnosis";

    private readonly VerifiedModel _model;
    private readonly FeatureDefinition[] _features;
    private readonly Dictionary<CancerType, int> _trainingCancerTypes;

    public ApplicabilityAssessor(VerifiedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _features = [.. model.Schema.Clinical, .. model.Schema.Genomic];
        _trainingCancerTypes = (model.ReferencePopulation?.CancerTypes ?? [])
            .Where(c => Enum.TryParse<CancerType>(c.CancerType, out _))
            .GroupBy(c => Enum.Parse<CancerType>(c.CancerType))
            .ToDictionary(g => g.Key, g => g.Sum(c => c.Patients));
    }

    public ApplicabilityAssessment Assess(PatientProfile profile, DateOnly asOf, PatientFeatures features, double? nearestDistance)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(features);
        var reasons = new List<ApplicabilityReason>();
        var reference = _model.ReferencePopulation;
        CheckCancerType(profile, reasons);
        CheckLabPlausibility(profile, asOf, reasons);
        CheckImplausibleValues(profile, asOf, reasons);
        if (reference is null)
        {
            reasons.Add(new(ApplicabilityLevel.Caution, "Reference population",
                $"Model {_model.Version} ships no reference population, so feature ranges and similarity to training patients were not checked."));
        }
        else
        {
            CheckFeatureRanges(profile, asOf, features, reference, reasons);
            CheckDistance(nearestDistance, reference, reasons);
        }

        if (profile.DataQuality.Count(d => d.Severity == DataQualitySeverity.Error) is > 0 and var errors)
        {
            reasons.Add(new(ApplicabilityLevel.InDistribution, "Data quality",
                $"{errors} item(s) in the record could not be used (see the Data quality tab); the prediction treats them as not recorded."));
        }

        var level = reasons.Count == 0 ? ApplicabilityLevel.InDistribution : reasons.Max(r => r.Level);
        return new ApplicabilityAssessment(level, reasons, nearestDistance, reference?.Neighbours?.NearestDistancePercentiles);
    }

    private void CheckCancerType(PatientProfile profile, List<ApplicabilityReason> reasons)
    {
        var trainedOn = _trainingCancerTypes.Count > 0
            ? string.Join(", ", _trainingCancerTypes.OrderByDescending(p => p.Value).Select(p => $"{CancerTypes.DisplayName(p.Key)} ({p.Value.ToString("N0", CultureInfo.InvariantCulture)})"))
            : string.Join(", ", CancerTypes.All.Select(c => c.DisplayName));
        if (profile.PrimaryCancer is not { } cancer)
        {
            reasons.Add(new(ApplicabilityLevel.OutOfDistribution, DiagnosisGroup,
                $"No primary cancer diagnosis in the record; the model learned only from patients with one ({trainedOn})."));
            return;
        }

        var name = CancerTypes.DisplayName(cancer.CancerType);
        if (_trainingCancerTypes.Count == 0 ? cancer.CancerType == CancerType.Other : !_trainingCancerTypes.ContainsKey(cancer.CancerType))
        {
            var code = cancer.Code.Display ?? cancer.Code.Code;
            reasons.Add(new(ApplicabilityLevel.OutOfDistribution, DiagnosisGroup,
                $"Cancer type {(cancer.CancerType == CancerType.Other ? $"'{code}'" : name)} was not in the training data (trained on {trainedOn})."));
        }
        else if (_trainingCancerTypes.TryGetValue(cancer.CancerType, out var patients) && patients < FewPatients)
        {
            reasons.Add(new(ApplicabilityLevel.Caution, DiagnosisGroup, $"Only {patients} training patients had {name}."));
        }

        if (profile.PrimaryCancers.Count > 1)
        {
            reasons.Add(new(ApplicabilityLevel.Caution, DiagnosisGroup,
                $"The record has {profile.PrimaryCancers.Count} primary cancers; the prediction is for the most recently diagnosed ({name}). Training patients had one."));
        }
    }

    /// <summary>Values refused as impossible (PD-L1 250 %, ECOG 9, TMB −5, an age over 120): named, so nobody reads "not tested" into them.</summary>
    private static void CheckImplausibleValues(PatientProfile profile, DateOnly asOf, List<ApplicabilityReason> reasons)
    {
        foreach (var value in profile.ImplausibleValues)
        {
            reasons.Add(new(ApplicabilityLevel.Caution, value.Fact, value.Message));
        }

        if (profile.Demographics.AgeOn(asOf) is { } age && age is < 0 or > PatientFeaturizer.MaximumAge)
        {
            reasons.Add(new(ApplicabilityLevel.Caution, "Age",
                $"Age {age} years on {asOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)} ({profile.Demographics.Source.Reference} birth date) is outside 0–{PatientFeaturizer.MaximumAge} and was refused: the prediction treats age as not recorded. Correct the source record."));
        }
    }

    private static void CheckLabPlausibility(PatientProfile profile, DateOnly asOf, List<ApplicabilityReason> reasons)
    {
        foreach (var lab in LatestLabs(profile, asOf))
        {
            var analyte = LabAnalytes.Of(lab.Analyte);
            if (lab.Value < analyte.PlausibleLow || lab.Value > analyte.PlausibleHigh)
            {
                reasons.Add(new(ApplicabilityLevel.OutOfDistribution, analyte.DisplayName,
                    $"{analyte.DisplayName} {Number(lab.Value)} {analyte.CanonicalUnit}{On(lab.EffectiveOn)} is outside the plausible range {Number(analyte.PlausibleLow)}–{Number(analyte.PlausibleHigh)} {analyte.CanonicalUnit}: probably a unit or entry error. Check the source record."));
            }
        }
    }

    private void CheckFeatureRanges(PatientProfile profile, DateOnly asOf, PatientFeatures features, ReferencePopulation reference, List<ApplicabilityReason> reasons)
    {
        var ranges = reference.FeatureRanges ?? [];
        var labs = LatestLabs(profile, asOf).ToDictionary(l => l.Analyte);
        var missing = _features.Select((f, i) => (f, i))
            .Where(p => p.f.Name.EndsWith("_missing", StringComparison.Ordinal)
                && (p.i < features.Clinical.Length ? features.Clinical[p.i] : features.Genomic[p.i - features.Clinical.Length]) > 0)
            .Select(p => p.f.FactGroup)
            .ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < _features.Length && i < ranges.Count; i++)
        {
            var definition = _features[i];
            if (definition.FactGroup == DiagnosisGroup)
            {
                continue; // the cancer-type check above says it in clinical words
            }

            var range = ranges[i];
            var value = i < features.Clinical.Length ? features.Clinical[i] : features.Genomic[i - features.Clinical.Length];
            if (!definition.Name.EndsWith("_missing", StringComparison.Ordinal) && missing.Contains(definition.FactGroup))
            {
                continue; // a fact not recorded has a placeholder value, not a value to judge ("TMB 0" for a patient never tested)
            }

            if (value >= range.Min && value <= range.Max)
            {
                continue;
            }

            var width = range.Max - range.Min;
            var beyond = value > range.Max ? value - range.Max : range.Min - value;
            var level = width > 0 && beyond > FarBeyondShare * width ? ApplicabilityLevel.OutOfDistribution : ApplicabilityLevel.Caution;
            reasons.Add(new(level, definition.FactGroup, Describe(definition, value, range, labs)));
        }
    }

    private static void CheckDistance(double? nearest, ReferencePopulation reference, List<ApplicabilityReason> reasons)
    {
        if (nearest is not { } distance || reference.Neighbours?.NearestDistancePercentiles is not { } p)
        {
            return;
        }

        var count = reference.Neighbours.Patients?.Count ?? 0;
        if (distance > p.P99)
        {
            reasons.Add(new(ApplicabilityLevel.OutOfDistribution, "Similarity",
                $"Unlike the training patients: the most similar of {count} reference patients is at distance {distance:0.###}, farther than for 99% of held-out patients ({p.P99:0.###})."));
        }
        else if (distance > p.P95)
        {
            reasons.Add(new(ApplicabilityLevel.Caution, "Similarity",
                $"Less typical than most training patients: the most similar reference patient is at distance {distance:0.###}, farther than for 95% of held-out patients ({p.P95:0.###})."));
        }
    }

    /// <summary>The feature as the clinical fact behind it, its value and the training range, in the fact's own units.</summary>
    private static string Describe(FeatureDefinition feature, float value, ReferenceFeatureRange range, Dictionary<LabAnalyte, LabResult> labs)
    {
        var name = feature.Name;
        var group = feature.FactGroup;
        if (range.Min == range.Max)
        {
            return name.EndsWith("_missing", StringComparison.Ordinal)
                ? (value > 0 ? $"{group} is not recorded; every training patient had it." : $"{group} is recorded; no training patient had it.")
                : value > range.Max
                    ? $"{group}: '{name}' applies to this patient but to no training patient."
                    : $"{group}: '{name}' is {Number(value)}; every training patient had {Number(range.Min)}.";
        }

        if (name == "age_decades")
        {
            return $"Age {value * 10:0} years is outside the training range ({range.Min * 10:0}–{range.Max * 10:0} years).";
        }

        if (name == "prior_lines")
        {
            return $"{value * 4:0} earlier lines of therapy is outside the training range ({range.Min * 4:0}–{range.Max * 4:0}).";
        }

        if (name.StartsWith("lab_", StringComparison.Ordinal) && name.EndsWith("_position", StringComparison.Ordinal)
            && Enum.TryParse<LabAnalyte>(name[4..^9], out var analyte))
        {
            var definition = LabAnalytes.Of(analyte);
            decimal Clinical(float position) => definition.ReferenceRange.Low + ((decimal)position * (definition.ReferenceRange.High - definition.ReferenceRange.Low));
            var shown = labs.TryGetValue(analyte, out var lab) ? $"{Number(lab.Value)} {definition.CanonicalUnit}{On(lab.EffectiveOn)}" : $"{Number(Clinical(value))} {definition.CanonicalUnit}";
            return $"{definition.DisplayName} {shown} is outside the training range ({Number(Clinical(range.Min))}–{Number(Clinical(range.Max))} {definition.CanonicalUnit}).";
        }

        return name switch
        {
            "tmb_log" => $"TMB {Tmb(value)} mut/Mb is outside the training range ({Tmb(range.Min)}–{Tmb(range.Max)} mut/Mb).",
            "pdl1_tps" => $"PD-L1 TPS {value * 100:0}% is outside the training range ({range.Min * 100:0}–{range.Max * 100:0}%).",
            "gep_score" => $"T-cell-inflamed GEP score {Number(value)} is outside the training range ({Number(range.Min)}–{Number(range.Max)}).",
            _ => $"{group}: '{name}' is {Number(value)}, outside the training range ({Number(range.Min)}–{Number(range.Max)}).",
        };

        static string Tmb(float v) => Number(Math.Exp(v * 4.6) - 1);
    }

    private static IEnumerable<LabResult> LatestLabs(PatientProfile profile, DateOnly asOf) =>
        profile.Labs.Where(l => (l.EffectiveOn ?? DateOnly.MinValue) <= asOf)
            .GroupBy(l => l.Analyte)
            .Select(g => g.OrderByDescending(l => l.EffectiveOn ?? DateOnly.MinValue).First());

    private static string On(DateOnly? date) => date is { } d ? " on " + d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : string.Empty;

    private static string Number(double value) => Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);

    private static string Number(decimal value) => Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);
}
