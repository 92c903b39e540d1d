using System.Globalization;
using Precision.Clinical.Catalog;

namespace Precision.Clinical.WhatIf;

/// <summary>
/// A clinician's hypothetical edits to a copy of a patient's profile: biomarkers present or absent, ECOG, stage, lab values.
/// Applied to a copy only; the record is never changed. Facts it adds cite <see cref="Source"/>, not a FHIR resource.
/// </summary>
public sealed record WhatIfScenario
{
    /// <summary>The pseudo-source of every fact a scenario adds, so the page can tell them from recorded facts.</summary>
    public static readonly SourceReference Source = new("WhatIf", "scenario");

    /// <summary>Catalog biomarkers set present (true) or absent (false); biomarkers not listed keep their recorded state.</summary>
    public IReadOnlyDictionary<BiomarkerKind, bool> Biomarkers { get; init; } = new Dictionary<BiomarkerKind, bool>();

    /// <summary>ECOG performance status 0–4.</summary>
    public int? Ecog { get; init; }

    /// <summary>Stage group 1–4 (I–IV).</summary>
    public int? Stage { get; init; }

    /// <summary>Lab values in the analyte's canonical unit (<see cref="LabAnalyteDefinition.CanonicalUnit"/>).</summary>
    public IReadOnlyDictionary<LabAnalyte, decimal> Labs { get; init; } = new Dictionary<LabAnalyte, decimal>();

    public bool IsEmpty => Biomarkers.Count == 0 && Ecog is null && Stage is null && Labs.Count == 0;

    /// <summary>The biomarkers a scenario can toggle, with their clinical names.</summary>
    public static IReadOnlyList<(BiomarkerKind Biomarker, string DisplayName)> Toggleable { get; } =
    [
        (BiomarkerKind.EgfrSensitizing, "EGFR sensitizing (p.L858R)"),
        (BiomarkerKind.AlkFusion, "ALK fusion (EML4::ALK)"),
        (BiomarkerKind.Ros1Fusion, "ROS1 fusion (CD74::ROS1)"),
        (BiomarkerKind.KrasG12C, "KRAS p.G12C"),
        (BiomarkerKind.BrafV600E, "BRAF p.V600E"),
        (BiomarkerKind.Erbb2Amplification, "ERBB2 (HER2) amplification"),
        (BiomarkerKind.BrcaPathogenic, "BRCA1/2 pathogenic variant"),
        (BiomarkerKind.NtrkFusion, "NTRK fusion (ETV6::NTRK3)"),
        (BiomarkerKind.MsiHigh, "MSI-high"),
        (BiomarkerKind.TmbHigh, "TMB ≥ 10 mut/Mb"),
        (BiomarkerKind.PdL1High, "PD-L1 TPS ≥ 50%"),
        (BiomarkerKind.HormoneReceptorPositive, "Estrogen receptor positive"),
    ];

    /// <summary>Every reason the scenario cannot be applied, in words; empty when it is valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Ecog is { } ecog && ecog is < 0 or > 4)
        {
            problems.Add($"ECOG must be 0–4 (5 means dead); {ecog} was entered.");
        }

        if (Stage is { } stage && stage is < 1 or > 4)
        {
            problems.Add($"Stage must be I–IV (1–4); {stage} was entered.");
        }

        foreach (var biomarker in Biomarkers.Keys.Where(b => Toggleable.All(t => t.Biomarker != b)))
        {
            problems.Add($"{biomarker} cannot be toggled in a what-if.");
        }

        foreach (var (analyte, value) in Labs)
        {
            var definition = LabAnalytes.Of(analyte);
            if (value < definition.PlausibleLow || value > definition.PlausibleHigh)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{definition.DisplayName} {value} {definition.CanonicalUnit} is outside the plausible range {definition.PlausibleLow}–{definition.PlausibleHigh} {definition.CanonicalUnit}."));
            }
        }

        return problems;
    }

    /// <summary>The changes in words, e.g. "ECOG 1 → 3", "ALK fusion added".</summary>
    public IReadOnlyList<string> Describe(PatientProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var changes = new List<string>();
        foreach (var (biomarker, present) in Biomarkers.OrderBy(b => b.Key))
        {
            changes.Add($"{Toggleable.First(t => t.Biomarker == biomarker).DisplayName} {(present ? "present" : "absent")}");
        }

        if (Ecog is { } ecog)
        {
            changes.Add($"ECOG {profile.Ecog?.Score.ToString(CultureInfo.InvariantCulture) ?? "not recorded"} → {ecog}");
        }

        if (Stage is { } stage)
        {
            changes.Add($"Stage {profile.Stage?.Stage ?? "not recorded"} → {Roman(stage)}");
        }

        foreach (var (analyte, value) in Labs.OrderBy(l => l.Key))
        {
            var definition = LabAnalytes.Of(analyte);
            var recorded = profile.LatestLabs.FirstOrDefault(l => l.Analyte == analyte);
            changes.Add(string.Create(CultureInfo.InvariantCulture,
                $"{definition.DisplayName} {(recorded is null ? "not recorded" : recorded.Value.ToString("0.##", CultureInfo.InvariantCulture))} → {value:0.##} {definition.CanonicalUnit}"));
        }

        return changes;
    }

    /// <summary>A copy of the profile with the scenario applied as of <paramref name="asOf"/>. Throws when <see cref="Validate"/> finds problems.</summary>
    public PatientProfile ApplyTo(PatientProfile profile, DateOnly asOf)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (Validate() is { Count: > 0 } problems)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(profile));
        }

        var variants = profile.Variants.ToList();
        var fusions = profile.Fusions.ToList();
        var copyNumbers = profile.CopyNumberAlterations.ToList();
        var result = profile;
        foreach (var (biomarker, present) in Biomarkers)
        {
            switch (biomarker)
            {
                case BiomarkerKind.EgfrSensitizing:
                    Toggle(variants, present, v => v.Gene == "EGFR" && IsEgfrSensitizing(v), () => Variant("EGFR", "HGNC:3236", "c.2573T>G", "p.L858R"));
                    break;
                case BiomarkerKind.KrasG12C:
                    Toggle(variants, present, v => v.Gene == "KRAS" && (v.ProteinChange ?? string.Empty).Contains("G12C", StringComparison.Ordinal), () => Variant("KRAS", "HGNC:6407", "c.34G>T", "p.G12C"));
                    break;
                case BiomarkerKind.BrafV600E:
                    Toggle(variants, present, v => v.Gene == "BRAF" && (v.ProteinChange ?? string.Empty).Contains("V600E", StringComparison.Ordinal), () => Variant("BRAF", "HGNC:1097", "c.1799T>A", "p.V600E"));
                    break;
                case BiomarkerKind.BrcaPathogenic:
                    Toggle(variants, present, v => v.Gene is "BRCA1" or "BRCA2" && BiomarkerDefinitions.CountsAsAlteration(v),
                        () => Variant("BRCA2", "HGNC:1101", "c.5946del", "p.S1982fs") with { Significance = ClinicalSignificance.Pathogenic });
                    break;
                case BiomarkerKind.AlkFusion:
                    Toggle(fusions, present, f => f.FivePrimeGene == "ALK" || f.ThreePrimeGene == "ALK", () => new GeneFusion("EML4", "ALK", Source));
                    break;
                case BiomarkerKind.Ros1Fusion:
                    Toggle(fusions, present, f => f.FivePrimeGene == "ROS1" || f.ThreePrimeGene == "ROS1", () => new GeneFusion("CD74", "ROS1", Source));
                    break;
                case BiomarkerKind.NtrkFusion:
                    Toggle(fusions, present, f => f.FivePrimeGene.StartsWith("NTRK", StringComparison.Ordinal) || f.ThreePrimeGene.StartsWith("NTRK", StringComparison.Ordinal), () => new GeneFusion("ETV6", "NTRK3", Source));
                    break;
                case BiomarkerKind.Erbb2Amplification:
                    Toggle(copyNumbers, present, c => c.Gene == "ERBB2" && c.Change == CopyNumberChange.Amplification, () => new CopyNumberAlteration("ERBB2", CopyNumberChange.Amplification, 12m, Source));
                    break;
                case BiomarkerKind.MsiHigh:
                    result = result with { Microsatellite = new MicrosatelliteInstability(present ? MicrosatelliteStatus.InstabilityHigh : MicrosatelliteStatus.Stable, Source) };
                    break;
                case BiomarkerKind.TmbHigh:
                    result = result with { TumorMutationalBurden = new TumorMutationalBurden(present ? 20m : 4m, Source) };
                    break;
                case BiomarkerKind.PdL1High:
                    result = result with { PdL1 = new PdL1Expression(present ? 60m : 10m, Source) };
                    break;
                case BiomarkerKind.HormoneReceptorPositive:
                    result = result with { EstrogenReceptor = new EstrogenReceptorStatus(present, Source) };
                    break;
            }
        }

        // Scenario labs go first: among results of the same date the featurizer keeps the first.
        var labs = Labs.Select(l =>
        {
            var definition = LabAnalytes.Of(l.Key);
            return new LabResult(l.Key, l.Value, definition.CanonicalUnit, asOf, definition.ReferenceRange, Source);
        }).Concat(profile.Labs.Where(l => !Labs.ContainsKey(l.Analyte) || (l.EffectiveOn ?? DateOnly.MinValue) < asOf)).ToList();

        return result with
        {
            Variants = variants,
            Fusions = fusions,
            CopyNumberAlterations = copyNumbers,
            Labs = labs,
            Ecog = Ecog is { } ecog ? new EcogPerformanceStatus(ecog, asOf, Source) : profile.Ecog,
            Stage = Stage is { } stage ? new StageGroup(Roman(stage), false, asOf, Source) : profile.Stage,
        };
    }

    private static string Roman(int stage) => stage switch { 1 => "I", 2 => "II", 3 => "III", _ => "IV" };

    private static GenomicVariant Variant(string gene, string hgnc, string coding, string protein) =>
        new(gene, hgnc, coding, protein, 0.3m, GenomicSourceClass.Somatic, Source);

    private static bool IsEgfrSensitizing(GenomicVariant variant) =>
        BiomarkerDefinitions.IsEgfrSensitizing(variant.ProteinChange ?? variant.CodingChange ?? string.Empty);

    private static void Toggle<T>(List<T> facts, bool present, Func<T, bool> matches, Func<T> create)
    {
        if (present)
        {
            if (!facts.Any(matches))
            {
                facts.Add(create());
            }
        }
        else
        {
            facts.RemoveAll(f => matches(f));
        }
    }
}
