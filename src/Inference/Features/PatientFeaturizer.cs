using Precision.Clinical;
using Precision.Clinical.Catalog;

namespace Precision.Inference.Features;

/// <summary>The inputs of one (patient, moment) pair: clinical and genomic feature vectors in schema order.</summary>
public sealed record PatientFeatures(float[] Clinical, float[] Genomic);

/// <summary>
/// The one featurizer, used by training and by inference: a <see cref="PatientProfile"/> as it stood on a date
/// (every fact as of its own date, <see cref="AsOfRule"/>; the number of earlier therapy lines) becomes the model's input vectors.
/// Missing facts are explicit indicator features, never silent zeros.
/// </summary>
public sealed class PatientFeaturizer
{
    private delegate float Extractor(FeatureContext context);

    private readonly List<(FeatureDefinition Definition, Extractor Extract)> _clinical = [];
    private readonly List<(FeatureDefinition Definition, Extractor Extract)> _genomic = [];
    private readonly Dictionary<string, int> _therapyIndex;
    private readonly TherapyCatalog _catalog;
    private readonly Dictionary<FeatureLayout, PatientFeaturizer> _earlier = [];

    /// <summary>The featurizer of <paramref name="catalog"/> in <paramref name="layout"/> (the current one unless a model needs another).</summary>
    public PatientFeaturizer(TherapyCatalog catalog, FeatureLayout layout = FeatureSchema.CurrentLayout)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        if (!Enum.IsDefined(layout))
        {
            throw new ArgumentOutOfRangeException(nameof(layout), layout, "Not a feature layout this featurizer knows.");
        }

        _catalog = catalog;
        var therapyIds = catalog.Therapies.Select(t => t.Id).ToList();
        DefineClinical(layout, therapyIds);
        DefineGenomic();
        _therapyIndex = therapyIds.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i, StringComparer.Ordinal);
        for (var earlier = FeatureLayout.V1; earlier < layout; earlier++)
        {
            _earlier[earlier] = new PatientFeaturizer(catalog, earlier);
        }

        Schema = new FeatureSchema([.. _clinical.Select(f => f.Definition)], [.. _genomic.Select(f => f.Definition)], therapyIds, catalog.CatalogVersion, layout)
        {
            Earlier = [.. _earlier.Values.Select(f => f.Schema).Reverse()],
        };
    }

    public FeatureSchema Schema { get; }

    /// <summary>
    /// The featurizer for a model verified against <paramref name="schema"/>: this one, or the same catalog's featurizer in
    /// an earlier layout (<see cref="FeatureSchema.Earlier"/>).
    /// </summary>
    public PatientFeaturizer For(FeatureSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (schema.Hash == Schema.Hash)
        {
            return this;
        }

        return _earlier.Values.FirstOrDefault(f => f.Schema.Hash == schema.Hash)
            ?? throw new ArgumentException($"Feature schema {schema.Hash} (v{schema.Version}) is not one this featurizer of catalog {_catalog.CatalogVersion} can produce (current {Schema.Hash}).", nameof(schema));
    }

    /// <summary>Ages above this (or below 0) are refused as implausible and treated as unknown.</summary>
    public const int MaximumAge = 120;

    /// <summary>
    /// Features of the patient as of <paramref name="asOf"/>, with <paramref name="priorLines"/> earlier lines of therapy: only
    /// facts known by then (<see cref="AsOfRule"/>). Undated facts count at the point of care (the default) and not for a past date.
    /// </summary>
    public PatientFeatures Featurize(PatientProfile profile, DateOnly asOf, int priorLines, UndatedFacts undated = UndatedFacts.Use)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentOutOfRangeException.ThrowIfNegative(priorLines);
        var context = new FeatureContext(AsOfRule.Apply(profile, asOf, undated), asOf, priorLines);
        return new PatientFeatures(
            [.. _clinical.Select(f => Finite(f.Extract(context)))],
            [.. _genomic.Select(f => Finite(f.Extract(context)))]);
    }

    /// <summary>
    /// Features at the start of a line of therapy the patient received: what was known when it was chosen. Training rows and
    /// the portal's line-start predictions both come from here; undated facts are not used (when they became known cannot be told).
    /// </summary>
    public PatientFeatures FeaturizeAtLineStart(PatientProfile profile, TherapyLine line)
    {
        ArgumentNullException.ThrowIfNull(line);
        return Featurize(profile, line.StartedOn ?? DateOnly.MaxValue, line.LineNumber - 1, UndatedFacts.Exclude);
    }

    /// <summary>One-hot conditioning vector for a catalog therapy.</summary>
    public float[] EncodeTherapy(string therapyId)
    {
        if (!_therapyIndex.TryGetValue(therapyId, out var index))
        {
            throw new ArgumentException($"'{therapyId}' is not a therapy of catalog {Schema.CatalogVersion}.", nameof(therapyId));
        }

        var vector = new float[_therapyIndex.Count];
        vector[index] = 1f;
        return vector;
    }

    private static float Finite(float value) => float.IsFinite(value) ? value : 0f;

    private static float Flag(bool value) => value ? 1f : 0f;

    /// <summary>
    /// Problems with feature vectors that did not come from this featurizer (batch scoring, API callers): wrong widths,
    /// non-finite values, values outside a feature's range. Empty when the vectors could have come from a record.
    /// </summary>
    public IReadOnlyList<string> Validate(PatientFeatures features)
    {
        ArgumentNullException.ThrowIfNull(features);
        var problems = new List<string>();
        Check(features.Clinical, Schema.Clinical, "clinical");
        Check(features.Genomic, Schema.Genomic, "genomic");
        return problems;

        void Check(float[] values, IReadOnlyList<FeatureDefinition> definitions, string block)
        {
            if (values.Length != definitions.Count)
            {
                problems.Add($"{values.Length} {block} values; the schema has {definitions.Count}.");
                return;
            }

            for (var i = 0; i < values.Length; i++)
            {
                var d = definitions[i];
                if (!float.IsFinite(values[i]) || values[i] < d.Minimum || values[i] > d.Maximum)
                {
                    problems.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{d.Name} = {values[i]} is outside {d.Minimum}–{d.Maximum}."));
                }
            }
        }
    }

    private void Clinical(string name, string group, Extractor extract, float minimum = 0f, float maximum = 1f) =>
        _clinical.Add((new FeatureDefinition(name, FeatureBlock.Clinical, group) { Minimum = minimum, Maximum = maximum }, extract));

    private void Genomic(string name, string group, Extractor extract, float minimum = 0f, float maximum = 1f) =>
        _genomic.Add((new FeatureDefinition(name, FeatureBlock.Genomic, group) { Minimum = minimum, Maximum = maximum }, extract));

    private void DefineClinical(FeatureLayout layout, IReadOnlyList<string> therapyIds)
    {
        Clinical("age_decades", "Age", c => c.Age is { } age ? age / 10f : 6.5f, maximum: MaximumAge / 10f);
        Clinical("age_missing", "Age", c => Flag(c.Age is null));
        Clinical("sex_female", "Sex", c => Flag(c.Profile.Demographics.Sex == AdministrativeSex.Female));
        Clinical("sex_male", "Sex", c => Flag(c.Profile.Demographics.Sex == AdministrativeSex.Male));
        foreach (var type in Enum.GetValues<CancerType>())
        {
            Clinical("cancer_" + type, "Diagnosis", c => Flag(c.Profile.PrimaryCancer?.CancerType == type));
        }

        Clinical("diagnosis_missing", "Diagnosis", c => Flag(c.Profile.PrimaryCancer is null));
        for (var stage = 1; stage <= 4; stage++)
        {
            var s = stage;
            Clinical($"stage_{s}", "Stage", c => Flag(c.Stage?.StageNumber == s));
        }

        Clinical("stage_missing", "Stage", c => Flag(c.Stage?.StageNumber is null));
        for (var score = 0; score <= 3; score++)
        {
            var e = score;
            Clinical(e == 3 ? "ecog_3_plus" : $"ecog_{e}", "ECOG", c => Flag(e == 3 ? c.Ecog?.Score >= 3 : c.Ecog?.Score == e));
        }

        Clinical("ecog_missing", "ECOG", c => Flag(c.Ecog is null));
        foreach (var category in new[] { SmokingStatusCategory.Never, SmokingStatusCategory.Former, SmokingStatusCategory.Current })
        {
            Clinical("smoking_" + category.ToString().ToLowerInvariant(), "Smoking", c => Flag(c.Profile.Smoking?.Category == category));
        }

        Clinical("smoking_missing", "Smoking", c => Flag(c.Profile.Smoking is null or { Category: SmokingStatusCategory.Unknown }));
        Clinical("prior_lines", "Prior therapy", c => Math.Min(c.PriorLines, 4) / 4f);
        Clinical("first_line", "Prior therapy", c => Flag(c.PriorLines == 0));
        foreach (var analyte in LabAnalytes.All)
        {
            var definition = analyte;
            var group = "Labs: " + definition.DisplayName;
            // Position within the reference range (0 = low limit, 1 = high limit), clipped: comparable across analytes and units.
            Clinical("lab_" + definition.Analyte + "_position", group, c => c.Lab(definition.Analyte) is { } lab
                ? (float)Math.Clamp((lab.Value - definition.ReferenceRange.Low) / (definition.ReferenceRange.High - definition.ReferenceRange.Low), -3m, 8m)
                : 0.5f, minimum: -3f, maximum: 8f);
            Clinical("lab_" + definition.Analyte + "_missing", group, c => Flag(c.Lab(definition.Analyte) is null));
        }

        if (layout >= FeatureLayout.V2)
        {
            // Appended, so the V1 features keep their positions. The catalog prior pairs each flag with its therapy.
            foreach (var therapyId in therapyIds)
            {
                var id = therapyId;
                Clinical(ProgressedOnPrefix + id, ProgressionGroup, c => Flag(c.ProgressedOn(id)));
            }
        }
    }

    /// <summary>Name prefix of the V2 flags "progressed on this catalog therapy in an earlier line" (followed by the therapy id).</summary>
    public const string ProgressedOnPrefix = "progressed_on_";

    /// <summary>The fact group (explanation player) of those flags.</summary>
    public const string ProgressionGroup = "Progression on an earlier line";

    private void DefineGenomic()
    {
        Genomic("egfr_sensitizing", "EGFR", c => Flag(c.HasVariant("EGFR", BiomarkerDefinitions.IsEgfrSensitizing)));
        Genomic("egfr_other", "EGFR", c => Flag(c.HasVariant("EGFR", p => !BiomarkerDefinitions.IsEgfrSensitizing(p))));
        Genomic("kras_g12c", "KRAS", c => Flag(c.HasVariant("KRAS", p => p.Contains("G12C", StringComparison.Ordinal))));
        Genomic("kras_other", "KRAS", c => Flag(c.HasVariant("KRAS", p => !p.Contains("G12C", StringComparison.Ordinal))));
        Genomic("braf_v600e", "BRAF", c => Flag(c.HasVariant("BRAF", p => p.Contains("V600E", StringComparison.Ordinal))));
        Genomic("braf_other", "BRAF", c => Flag(c.HasVariant("BRAF", p => !p.Contains("V600E", StringComparison.Ordinal))));
        foreach (var gene in new[] { "TP53", "BRCA1", "BRCA2", "PIK3CA", "ERBB2" })
        {
            Genomic(gene.ToLowerInvariant() + "_variant", gene, c => Flag(c.HasVariant(gene, _ => true)));
        }

        foreach (var gene in new[] { "ALK", "ROS1", "NTRK1", "NTRK2", "NTRK3", "RET" })
        {
            Genomic(gene.ToLowerInvariant() + "_fusion", gene + " fusion", c => Flag(c.Profile.Fusions.Any(f => f.FivePrimeGene == gene || f.ThreePrimeGene == gene)));
        }

        Genomic("erbb2_amplification", "ERBB2 amplification", c => Flag(c.Profile.CopyNumberAlterations.Any(a => a.Gene == "ERBB2" && a.Change == CopyNumberChange.Amplification)));
        Genomic("tmb_log", "TMB", c => c.Profile.TumorMutationalBurden is { } t ? (float)Math.Log(1 + (double)t.MutationsPerMegabase) / 4.6f : 0f, maximum: 1.51f);
        Genomic("tmb_high", "TMB", c => Flag(c.Profile.TumorMutationalBurden?.MutationsPerMegabase >= 10));
        Genomic("tmb_missing", "TMB", c => Flag(c.Profile.TumorMutationalBurden is null));
        Genomic("msi_high", "MSI", c => Flag(c.Profile.Microsatellite?.Status == MicrosatelliteStatus.InstabilityHigh));
        Genomic("msi_missing", "MSI", c => Flag(c.Profile.Microsatellite is null));
        Genomic("pdl1_tps", "PD-L1", c => c.Profile.PdL1 is { } p ? (float)p.TumorProportionScorePercent / 100f : 0f);
        Genomic("pdl1_high", "PD-L1", c => Flag(c.Profile.PdL1?.TumorProportionScorePercent >= 50));
        Genomic("pdl1_missing", "PD-L1", c => Flag(c.Profile.PdL1 is null));
        Genomic("gep_score", "T-cell-inflamed GEP", c => c.Profile.TCellInflamedSignature is { } g ? (float)Math.Clamp(g.Score, -3m, 3m) : 0f, minimum: -3f, maximum: 3f);
        Genomic("gep_missing", "T-cell-inflamed GEP", c => Flag(c.Profile.TCellInflamedSignature is null));
        Genomic("er_positive", "Estrogen receptor", c => Flag(c.Profile.EstrogenReceptor?.Positive == true));
        Genomic("er_negative", "Estrogen receptor", c => Flag(c.Profile.EstrogenReceptor?.Positive == false));
        Genomic("dpyd_poor", "DPYD", c => Flag(c.Phenotype("DPYD", "poor")));
        Genomic("dpyd_intermediate", "DPYD", c => Flag(c.Phenotype("DPYD", "intermediate")));
        Genomic("ugt1a1_poor", "UGT1A1", c => Flag(c.Phenotype("UGT1A1", "poor")));
    }

    /// <summary>The profile as it stood on one date (already cut by <see cref="AsOfRule"/>).</summary>
    private sealed class FeatureContext(PatientProfile known, DateOnly asOf, int priorLines)
    {
        private readonly Dictionary<LabAnalyte, LabResult?> _labs = [];

        public PatientProfile Profile { get; } = known;

        public int PriorLines { get; } = priorLines;

        // An age no patient can have (a birth date after the date, or more than 120 years before it) is not used.
        public int? Age { get; } = known.Demographics.AgeOn(asOf == DateOnly.MaxValue ? DateOnly.FromDateTime(DateTime.UtcNow) : asOf) is { } age && age is >= 0 and <= MaximumAge ? age : null;

        public StageGroup? Stage => Profile.Stage;

        public EcogPerformanceStatus? Ecog => Profile.Ecog;

        // The latest result of the analyte known by then.
        public LabResult? Lab(LabAnalyte analyte)
        {
            if (!_labs.TryGetValue(analyte, out var lab))
            {
                _labs[analyte] = lab = Profile.Labs
                    .Where(l => l.Analyte == analyte)
                    .OrderByDescending(l => l.EffectiveOn ?? DateOnly.MinValue)
                    .FirstOrDefault();
            }

            return lab;
        }

        // Variants of uncertain significance, benign ones and BRCA variants not reported pathogenic never count.
        public bool HasVariant(string gene, Func<string, bool> protein) =>
            Profile.Variants.Any(v => v.Gene == gene && BiomarkerDefinitions.CountsAsAlteration(v) && protein(v.ProteinChange ?? v.CodingChange ?? string.Empty));

        // A line of this therapy whose best response, assessed by then, was progressive disease (the response model's
        // progressed-on-same-regimen; a line whose response is not yet known does not count).
        public bool ProgressedOn(string therapyId) =>
            Profile.TherapyLines.Any(l => l.CatalogTherapyId == therapyId && l.BestResponse == RecistResponse.ProgressiveDisease);

        public bool Phenotype(string gene, string word) =>
            Profile.Pharmacogenomics.Any(p => p.Gene == gene && (p.Phenotype?.Contains(word, StringComparison.OrdinalIgnoreCase) ?? false));
    }
}
