using System.Globalization;
using Precision.Clinical;
using Precision.Clinical.Catalog;
using Precision.Inference.Features;

namespace Precision.Inference.Explanations;

/// <summary>
/// Turns a patient's features into Shapley players: one per clinically meaningful fact present for this patient
/// (diagnosis, stage, ECOG, age and sex, prior therapy, smoking, each variant or biomarker group, each abnormal lab —
/// grouped by organ system when there are many), plus one residual player holding every other feature (absent facts
/// and normal findings), so that the players partition the features and the baseline is the plain population mean.
/// Presence is read from the feature vector itself (so it agrees with the featurizer by construction); names and FHIR
/// sources from the profile as it stood on the same date.
/// </summary>
public static class ExplanationPlayers
{
    public const string OtherFactsName = "Other facts (absent or normal findings)";

    /// <summary>Default player count above which abnormal labs are grouped by organ system instead of one player each.</summary>
    public const int DefaultLabGroupingThreshold = 14;

    private static readonly (string System, LabAnalyte[] Analytes)[] LabSystems =
    [
        ("Blood counts", [LabAnalyte.Hemoglobin, LabAnalyte.Neutrophils, LabAnalyte.Platelets]),
        ("Liver and kidney function", [LabAnalyte.AlanineAminotransferase, LabAnalyte.AspartateAminotransferase, LabAnalyte.TotalBilirubin, LabAnalyte.Creatinine]),
        ("Albumin and LDH", [LabAnalyte.Albumin, LabAnalyte.LactateDehydrogenase]),
        ("Tumor markers", [LabAnalyte.CarcinoembryonicAntigen, LabAnalyte.Ca125, LabAnalyte.Ca199]),
    ];

    /// <summary>
    /// The players for <paramref name="features"/>, which the featurizer of <paramref name="schema"/> made from
    /// <paramref name="profile"/> as of <paramref name="asOf"/> with <paramref name="priorLines"/> earlier lines.
    /// </summary>
    public static IReadOnlyList<ExplanationPlayer> Build(
        PatientProfile profile, PatientFeatures features, FeatureSchema schema, DateOnly asOf, int priorLines, int labGroupingThreshold = DefaultLabGroupingThreshold)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(schema);
        if (features.Clinical.Length != schema.Clinical.Count || features.Genomic.Length != schema.Genomic.Count)
        {
            throw new ArgumentException("The features were not made with this schema.", nameof(features));
        }

        // The same as-of rule as the featurizer: a player names only facts known by the date (each also gated by its feature below).
        profile = AsOfRule.Apply(profile, asOf, UndatedFacts.Use);
        var ageYears = profile.Demographics.AgeOn(asOf == DateOnly.MaxValue ? DateOnly.FromDateTime(DateTime.UtcNow) : asOf);
        var latestLabs = profile.LatestLabs.ToDictionary(l => l.Analyte);
        var builder = new Builder(schema, features);
        var players = new List<ExplanationPlayer>();

        if (builder.Clinical("diagnosis_missing") == 0f && profile.PrimaryCancer is { } cancer)
        {
            var name = cancer.CancerType == CancerType.Other
                ? "Other cancer (" + (cancer.Code.Display ?? cancer.Code.Code) + ")"
                : CancerTypes.DisplayName(cancer.CancerType);
            players.Add(builder.Player(name, PlayerKind.Diagnosis, ["Diagnosis"], [], [cancer.Source]));
        }

        if (builder.Clinical("stage_missing") == 0f && profile.Stage is { } stage)
        {
            var label = stage.Stage.Trim();
            players.Add(builder.Player(label.StartsWith("Stage", StringComparison.OrdinalIgnoreCase) ? label : "Stage " + label, PlayerKind.Stage, ["Stage"], [], [stage.Source]));
        }

        if (builder.Clinical("ecog_missing") == 0f && profile.Ecog is { } ecog)
        {
            players.Add(builder.Player("ECOG " + ecog.Score.ToString(CultureInfo.InvariantCulture), PlayerKind.PerformanceStatus, ["ECOG"], [], [ecog.Source]));
        }

        var ageKnown = builder.Clinical("age_missing") == 0f;
        var sex = builder.Clinical("sex_female") == 1f ? "female" : builder.Clinical("sex_male") == 1f ? "male" : null;
        if (ageKnown || sex is not null)
        {
            var age = ageKnown ? "Age " + ageYears?.ToString(CultureInfo.InvariantCulture) : null;
            var name = age is null ? char.ToUpperInvariant(sex![0]) + sex[1..] : sex is null ? age : age + ", " + sex;
            players.Add(builder.Player(name, PlayerKind.Demographics, ["Age", "Sex"], [], [profile.Demographics.Source]));
        }

        var earlierLines = profile.TherapyLines.Where(l => l.LineNumber <= priorLines).OrderBy(l => l.LineNumber).ToList();
        // With the V2 layout the same player holds the progression flags: the history of lines is one fact to the clinician.
        var readsProgression = schema.Clinical.Any(f => f.FactGroup == PatientFeaturizer.ProgressionGroup);
        players.Add(builder.Player(
            priorLines switch
            {
                0 => "First line (no prior therapy)",
                1 => "1 prior line of therapy" + Lines(earlierLines, readsProgression),
                _ => priorLines.ToString(CultureInfo.InvariantCulture) + " prior lines of therapy" + Lines(earlierLines, readsProgression),
            },
            PlayerKind.PriorTherapy, readsProgression ? ["Prior therapy", PatientFeaturizer.ProgressionGroup] : ["Prior therapy"], [],
            [.. earlierLines.SelectMany(l => l.Medications.Select(m => m.Source).Append(l.ResponseSource)).OfType<SourceReference>()]));

        if (builder.Clinical("smoking_missing") == 0f && profile.Smoking is { } smoking)
        {
            players.Add(builder.Player(smoking.Category + " smoker", PlayerKind.Smoking, ["Smoking"], [], [smoking.Source]));
        }

        foreach (var group in schema.Genomic.Select(f => f.FactGroup).Distinct(StringComparer.Ordinal))
        {
            if (GenomicPlayer(group, builder, profile) is { } player)
            {
                players.Add(player);
            }
        }

        var abnormal = LabAnalytes.All
            .Select(a => (Analyte: a, Lab: latestLabs.GetValueOrDefault(a.Analyte), Position: builder.ClinicalOrNull($"lab_{a.Analyte}_position"), Missing: builder.ClinicalOrNull($"lab_{a.Analyte}_missing")))
            .Where(l => l.Lab is not null && l.Missing == 0f && l.Position is < 0f or > 1f)
            .Select(l => (l.Analyte, Lab: l.Lab!, Label: LabLabel(l.Analyte, l.Lab!, l.Position < 0f ? "low" : "high")))
            .ToList();
        if (players.Count + abnormal.Count + 1 <= labGroupingThreshold)
        {
            foreach (var (analyte, lab, label) in abnormal)
            {
                players.Add(builder.Player(label, PlayerKind.Laboratory, ["Labs: " + analyte.DisplayName], [], [lab.Source]));
            }
        }
        else
        {
            foreach (var (system, analytes) in LabSystems)
            {
                var members = abnormal.Where(a => analytes.Contains(a.Analyte.Analyte)).ToList();
                if (members.Count > 0)
                {
                    var name = members.Count == 1 ? members[0].Label : system + ": " + string.Join(", ", members.Select(m => m.Label));
                    players.Add(builder.Player(name, PlayerKind.Laboratory, [.. members.Select(m => "Labs: " + m.Analyte.DisplayName)], [], [.. members.Select(m => m.Lab.Source)]));
                }
            }
        }

        var (clinical, genomic) = builder.Residual();
        if (clinical.Count + genomic.Count > 0)
        {
            // Sources of the facts whose features stay in the residual: normal labs, microsatellite-stable results, normal metabolizers.
            var claimed = players.SelectMany(p => p.Sources).ToHashSet();
            var sources = LabAnalytes.All.Select(a => latestLabs.GetValueOrDefault(a.Analyte)?.Source)
                .Append(profile.Microsatellite?.Source)
                .Concat(profile.Pharmacogenomics.Select(p => p.Source))
                .OfType<SourceReference>()
                .Where(s => !claimed.Contains(s))
                .Distinct()
                .ToList();
            players.Add(new ExplanationPlayer(OtherFactsName, PlayerKind.OtherFacts, clinical, genomic, sources));
        }

        return players;
    }

    /// <summary>The genes (or gene-level groups) the schema's genomic features know, e.g. "EGFR", "ALK".</summary>
    public static IReadOnlySet<string> KnownGenes(FeatureSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return schema.Genomic.Select(f => f.FactGroup.Split(' ')[0]).ToHashSet(StringComparer.Ordinal);
    }

    private static string Lines(List<TherapyLine> lines, bool markProgression) =>
        lines.Count == 0 ? string.Empty : " (" + string.Join("; ", lines
            .Where(l => l.Label.Length > 0)
            .Select(l => markProgression && l.BestResponse == RecistResponse.ProgressiveDisease ? l.Label + ", progressed" : l.Label)) + ")";

    private static string LabLabel(LabAnalyteDefinition analyte, LabResult lab, string direction) =>
        $"{analyte.DisplayName} {direction} ({lab.Value.ToString("0.##", CultureInfo.InvariantCulture)} {lab.Unit})";

    private static string Number(decimal value) => value.ToString("0.#", CultureInfo.InvariantCulture);

    private static ExplanationPlayer? GenomicPlayer(string group, Builder builder, PatientProfile profile)
    {
        bool Set(string name) => builder.GenomicOrNull(name) is { } v && v != 0f;
        bool Measured(string missing) => builder.GenomicOrNull(missing) == 0f;
        ExplanationPlayer Player(string name, IEnumerable<SourceReference?> sources, PlayerKind kind = PlayerKind.Biomarker) =>
            builder.Player(name, kind, [], [group], [.. sources.OfType<SourceReference>().Distinct()]);

        switch (group)
        {
            case "TMB":
                return Measured("tmb_missing") && profile.TumorMutationalBurden is { } tmb
                    ? Player($"TMB {Number(tmb.MutationsPerMegabase)} mut/Mb{(Set("tmb_high") ? " (high)" : string.Empty)}", [tmb.Source])
                    : null;
            case "MSI":
                // Microsatellite stable is the normal finding: it stays with the other facts.
                return Set("msi_high") && profile.Microsatellite is { } msi ? Player("MSI-high", [msi.Source]) : null;
            case "PD-L1":
                return Measured("pdl1_missing") && profile.PdL1 is { } pdl1
                    ? Player($"PD-L1 TPS {Number(pdl1.TumorProportionScorePercent)}%", [pdl1.Source])
                    : null;
            case "T-cell-inflamed GEP":
                return Measured("gep_missing") && profile.TCellInflamedSignature is { } gep
                    ? Player($"T-cell-inflamed GEP score {gep.Score.ToString("0.00", CultureInfo.InvariantCulture)}", [gep.Source])
                    : null;
            case "Estrogen receptor":
                return (Set("er_positive") || Set("er_negative")) && profile.EstrogenReceptor is { } er
                    ? Player(er.Positive ? "ER positive" : "ER negative", [er.Source])
                    : null;
            default:
                break;
        }

        if (!builder.GenomicGroup(group).Any(i => builder.Genomic(i) != 0f))
        {
            return null;
        }

        var gene = group.Split(' ')[0];
        if (group.EndsWith(" fusion", StringComparison.Ordinal))
        {
            var fusions = profile.Fusions.Where(f => f.FivePrimeGene == gene || f.ThreePrimeGene == gene).ToList();
            return Player(fusions.Count > 0 ? string.Join(", ", fusions.Select(f => f.Label).Distinct()) + " fusion" : group, fusions.Select(f => f.Source));
        }

        if (group.EndsWith(" amplification", StringComparison.Ordinal))
        {
            var alterations = profile.CopyNumberAlterations.Where(a => a.Gene == gene && a.Change == CopyNumberChange.Amplification).ToList();
            return Player(gene + " amplification", alterations.Select(a => a.Source));
        }

        var pharmacogenes = profile.Pharmacogenomics.Where(p => p.Gene == gene).ToList();
        if (pharmacogenes.Count > 0)
        {
            var phenotype = pharmacogenes.Select(p => p.Phenotype).FirstOrDefault(p => p is not null) ?? "variant";
            return Player(gene + " " + phenotype.ToLowerInvariant(), pharmacogenes.Select(p => p.Source), PlayerKind.Pharmacogene);
        }

        var variants = profile.Variants.Where(v => v.Gene == gene && BiomarkerDefinitions.CountsAsAlteration(v)).ToList();
        return Player(variants.Count > 0 ? string.Join(", ", variants.Select(v => v.Label).Distinct()) : group, variants.Select(v => v.Source));
    }

    /// <summary>Feature lookup by name and fact group, and which features players have claimed so far.</summary>
    private sealed class Builder(FeatureSchema schema, PatientFeatures features)
    {
        private readonly Dictionary<string, int> _clinical = schema.Clinical.Select((f, i) => (f.Name, i)).ToDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
        private readonly Dictionary<string, int> _genomic = schema.Genomic.Select((f, i) => (f.Name, i)).ToDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
        private readonly bool[] _clinicalClaimed = new bool[schema.Clinical.Count];
        private readonly bool[] _genomicClaimed = new bool[schema.Genomic.Count];

        public float Clinical(string name) => ClinicalOrNull(name) ?? throw new InvalidOperationException($"The feature schema has no clinical feature '{name}'.");

        public float? ClinicalOrNull(string name) => _clinical.TryGetValue(name, out var i) ? features.Clinical[i] : null;

        public float? GenomicOrNull(string name) => _genomic.TryGetValue(name, out var i) ? features.Genomic[i] : null;

        public float Genomic(int index) => features.Genomic[index];

        public IEnumerable<int> GenomicGroup(string group) =>
            schema.Genomic.Select((f, i) => (f.FactGroup, i)).Where(p => p.FactGroup == group).Select(p => p.i);

        public ExplanationPlayer Player(string name, PlayerKind kind, IReadOnlyList<string> clinicalGroups, IReadOnlyList<string> genomicGroups, IReadOnlyList<SourceReference> sources)
        {
            var clinical = Claim(schema.Clinical, _clinicalClaimed, clinicalGroups);
            var genomic = Claim(schema.Genomic, _genomicClaimed, genomicGroups);
            return new ExplanationPlayer(name, kind, clinical, genomic, [.. sources.Distinct()]);
        }

        public (IReadOnlyList<int> Clinical, IReadOnlyList<int> Genomic) Residual() =>
            ([.. Enumerable.Range(0, _clinicalClaimed.Length).Where(i => !_clinicalClaimed[i])],
             [.. Enumerable.Range(0, _genomicClaimed.Length).Where(i => !_genomicClaimed[i])]);

        private static int[] Claim(IReadOnlyList<FeatureDefinition> definitions, bool[] claimed, IReadOnlyList<string> groups)
        {
            var indices = new List<int>();
            for (var i = 0; i < definitions.Count; i++)
            {
                if (groups.Contains(definitions[i].FactGroup, StringComparer.Ordinal))
                {
                    if (claimed[i])
                    {
                        throw new InvalidOperationException($"Feature '{definitions[i].Name}' was given to two players.");
                    }

                    claimed[i] = true;
                    indices.Add(i);
                }
            }

            return [.. indices];
        }
    }
}
