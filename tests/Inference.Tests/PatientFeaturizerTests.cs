using Hl7.Fhir.Model;
using Precision.Clinical;
using Precision.Clinical.Catalog;
using Precision.Fhir;
using Precision.Inference.Features;

namespace Precision.Inference.Tests;

public sealed class PatientFeaturizerTests
{
    private static readonly string Root = RepositoryRoot();
    private static readonly TherapyCatalog Catalog = TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault(Root));
    private readonly PatientFeaturizer _featurizer = new(Catalog);

    [Fact]
    public void The_schema_is_stable_named_uniquely_and_identified_by_its_hash()
    {
        var again = new PatientFeaturizer(Catalog).Schema;
        var schema = _featurizer.Schema;

        Assert.Equal(schema.Hash, again.Hash);
        Assert.Matches("^[0-9a-f]{64}$", schema.Hash);
        var names = schema.Clinical.Concat(schema.Genomic).Select(f => f.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Equal(Catalog.Therapies.Count, schema.TherapyIds.Count);
        // Pinned: a change to any feature or to the therapy order must be deliberate (bump the version, retrain).
        Assert.True(ExpectedSchemaHash == schema.Hash, "HASH=" + schema.Hash);
        Assert.Equal(FeatureLayout.V2, schema.Layout);

        // The V1 layout of models 1.x is still produced, unchanged, and is the prefix of V2's clinical block.
        var v1 = Assert.Single(schema.Earlier);
        Assert.Equal(FeatureLayout.V1, v1.Layout);
        Assert.Equal(ExpectedV1SchemaHash, v1.Hash);
        Assert.Same(v1, schema.Find(ExpectedV1SchemaHash));
        Assert.Null(schema.Find(new string('0', 64)));
        Assert.Equal(v1.Clinical.Select(f => f.Name), schema.Clinical.Take(v1.Clinical.Count).Select(f => f.Name));
        Assert.Equal(v1.Genomic.Select(f => f.Name), schema.Genomic.Select(f => f.Name));
        Assert.Equal(Catalog.Therapies.Select(t => PatientFeaturizer.ProgressedOnPrefix + t.Id), schema.Clinical.Skip(v1.Clinical.Count).Select(f => f.Name));
        Assert.Equal(v1.Hash, _featurizer.For(v1).Schema.Hash);
    }

    [Fact]
    public void Progression_on_an_earlier_line_is_flagged_per_therapy_once_its_response_was_assessed()
    {
        // Line 1 FOLFOX: progressive disease assessed 2024-03-01; line 2 FOLFIRI: partial response.
        var profile = Profile() with
        {
            TherapyLines =
            [
                new TherapyLine(1, "folfox", [], new DateOnly(2024, 1, 1), new DateOnly(2024, 3, 10), RecistResponse.ProgressiveDisease, new DateOnly(2024, 3, 1), Obs),
                new TherapyLine(2, "folfiri", [], new DateOnly(2024, 4, 1), new DateOnly(2024, 9, 1), RecistResponse.PartialResponse, new DateOnly(2024, 6, 1), Obs),
                new TherapyLine(3, "folfox", [], new DateOnly(2024, 10, 1), null, null, null, null),
            ],
        };

        var atSecondLine = _featurizer.FeaturizeAtLineStart(profile, profile.TherapyLines[1]);
        var atThirdLine = _featurizer.FeaturizeAtLineStart(profile, profile.TherapyLines[2]);
        var beforeAssessment = _featurizer.Featurize(profile, new DateOnly(2024, 2, 15), 0);

        Assert.Equal(1f, Clinical(atSecondLine, "progressed_on_folfox"));
        Assert.Equal(0f, Clinical(atSecondLine, "progressed_on_folfiri"));
        Assert.Equal(1f, Clinical(atThirdLine, "progressed_on_folfox"));
        // A response (partial) is not progression; a response not yet assessed is not known.
        Assert.Equal(0f, Clinical(atThirdLine, "progressed_on_folfiri"));
        Assert.Equal(0f, Clinical(beforeAssessment, "progressed_on_folfox"));
        Assert.Equal(1f, _featurizer.Schema.Clinical.Where(f => f.Name.StartsWith(PatientFeaturizer.ProgressedOnPrefix, StringComparison.Ordinal))
            .Sum(f => atThirdLine.Clinical[_featurizer.Schema.Clinical.ToList().IndexOf(f)]));

        // The V1 layout has no such flags and the same values for everything else.
        var v1 = _featurizer.For(_featurizer.Schema.Earlier[0]).FeaturizeAtLineStart(profile, profile.TherapyLines[2]);
        Assert.Equal(v1.Clinical, atThirdLine.Clinical.Take(v1.Clinical.Length));
        Assert.Equal(v1.Genomic, atThirdLine.Genomic);
    }

    [Fact]
    public void A_different_therapy_set_gives_a_different_schema_hash()
    {
        var smaller = Catalog with { Therapies = [.. Catalog.Therapies.Skip(1)] };
        Assert.NotEqual(_featurizer.Schema.Hash, new PatientFeaturizer(smaller).Schema.Hash);
    }

    [Fact]
    public void The_example_patient_at_the_start_of_first_line_has_its_diagnosis_biomarkers_and_no_prior_lines()
    {
        var profile = MapFixture("example-patient-bundle.json");
        var line = profile.TherapyLines[0];

        var features = _featurizer.FeaturizeAtLineStart(profile, line);

        Assert.Equal(_featurizer.Schema.Clinical.Count, features.Clinical.Length);
        Assert.Equal(_featurizer.Schema.Genomic.Count, features.Genomic.Length);
        Assert.All(features.Clinical.Concat(features.Genomic), v => Assert.True(float.IsFinite(v)));
        Assert.Equal(1f, Clinical(features, "cancer_NonSmallCellLungCancer"));
        Assert.Equal(1f, Clinical(features, "first_line"));
        var egfr = profile.Variants.Single(v => v.Gene == "EGFR").ProteinChange!;
        Assert.Equal(1f, Genomic(features, egfr.Contains("L858R", StringComparison.Ordinal) || egfr.Contains("E746", StringComparison.Ordinal) ? "egfr_sensitizing" : "egfr_other"));
        Assert.Equal(0f, Genomic(features, "tmb_missing"));
        Assert.Equal(0f, Genomic(features, "pdl1_missing"));
    }

    [Fact]
    public void Only_what_was_recorded_by_the_date_is_used()
    {
        var source = new SourceReference("Observation", "x");
        var profile = Profile(labs:
        [
            new LabResult(LabAnalyte.Albumin, 4.0m, "g/dL", new DateOnly(2024, 1, 1), null, source),
            new LabResult(LabAnalyte.Albumin, 2.5m, "g/dL", new DateOnly(2024, 6, 1), null, source),
        ]);

        var before = _featurizer.Featurize(profile, new DateOnly(2023, 12, 1), 0);
        var between = _featurizer.Featurize(profile, new DateOnly(2024, 3, 1), 1);
        var after = _featurizer.Featurize(profile, new DateOnly(2024, 7, 1), 2);

        Assert.Equal(1f, Clinical(before, "lab_Albumin_missing"));
        Assert.Equal(0.33f, Clinical(between, "lab_Albumin_position"), 2);   // 4.0 in 3.5–5.0
        Assert.True(Clinical(after, "lab_Albumin_position") < 0f);          // 2.5: below the range
        Assert.Equal(0.5f, Clinical(after, "prior_lines"));
        Assert.Equal(0f, Clinical(after, "first_line"));
    }

    [Fact]
    public void Performance_status_is_the_latest_assessed_by_the_date_not_missing_when_a_later_one_exists()
    {
        // The leak this prevents: with only the latest ECOG kept, "ECOG missing" at an earlier line meant "a later line exists".
        var ecogs = new[] { Ecog(1, 2024, 1, 5), Ecog(2, 2024, 9, 1) };
        var profile = Profile() with { Ecog = ecogs[1], EcogHistory = ecogs };

        Assert.Equal(1f, Clinical(_featurizer.Featurize(profile, new DateOnly(2024, 1, 1), 0), "ecog_missing"));
        var firstLine = _featurizer.Featurize(profile, new DateOnly(2024, 1, 10), 0);
        Assert.Equal((0f, 1f, 0f), (Clinical(firstLine, "ecog_missing"), Clinical(firstLine, "ecog_1"), Clinical(firstLine, "ecog_2")));
        var secondLine = _featurizer.Featurize(profile, new DateOnly(2024, 9, 3), 1);
        Assert.Equal((0f, 1f), (Clinical(secondLine, "ecog_1"), Clinical(secondLine, "ecog_2")));
    }

    [Fact]
    public void Stage_is_the_latest_assessed_by_the_date()
    {
        var stages = new[] { new StageGroup("III", false, new DateOnly(2023, 3, 1), Obs), new StageGroup("IV", false, new DateOnly(2024, 5, 1), Obs) };
        var profile = Profile() with { Stage = stages[1], StageHistory = stages };

        Assert.Equal(1f, Clinical(_featurizer.Featurize(profile, new DateOnly(2023, 1, 1), 0), "stage_missing"));
        Assert.Equal(1f, Clinical(_featurizer.Featurize(profile, new DateOnly(2024, 1, 1), 0), "stage_3"));
        Assert.Equal(1f, Clinical(_featurizer.Featurize(profile, new DateOnly(2024, 6, 1), 1), "stage_4"));
    }

    [Fact]
    public void Genomic_results_count_from_their_report_date()
    {
        var reported = new DateOnly(2024, 2, 1);
        var profile = Profile() with
        {
            Variants = [new GenomicVariant("EGFR", null, null, "p.L858R", 0.3m, GenomicSourceClass.Somatic, Obs) { ReportedOn = reported }],
            Fusions = [new GeneFusion("EML4", "ALK", Obs) { ReportedOn = reported }],
            CopyNumberAlterations = [new CopyNumberAlteration("ERBB2", CopyNumberChange.Amplification, 9, Obs) { ReportedOn = reported }],
            TumorMutationalBurden = new TumorMutationalBurden(14, Obs) { ReportedOn = reported },
            Microsatellite = new MicrosatelliteInstability(MicrosatelliteStatus.InstabilityHigh, Obs) { ReportedOn = reported },
            PdL1 = new PdL1Expression(70, Obs) { ReportedOn = reported },
            EstrogenReceptor = new EstrogenReceptorStatus(true, Obs) { ReportedOn = reported },
            TCellInflamedSignature = new ExpressionSignature("T-cell-inflamed GEP", 1.2m, Obs) { ReportedOn = reported },
            Pharmacogenomics = [new PharmacogenomicResult("DPYD", null, "Poor metabolizer", Obs) { ReportedOn = reported }],
        };

        var before = _featurizer.Featurize(profile, reported.AddDays(-1), 0);
        var after = _featurizer.Featurize(profile, reported, 0);

        string[] present = ["egfr_sensitizing", "alk_fusion", "erbb2_amplification", "tmb_high", "msi_high", "pdl1_high", "er_positive", "dpyd_poor"];
        string[] missing = ["tmb_missing", "msi_missing", "pdl1_missing", "gep_missing"];
        Assert.All(present, name => Assert.Equal((0f, 1f), (Genomic(before, name), Genomic(after, name))));
        Assert.All(missing, name => Assert.Equal((1f, 0f), (Genomic(before, name), Genomic(after, name))));
    }

    [Fact]
    public void An_undated_fact_is_used_at_the_point_of_care_but_not_at_a_past_line_start()
    {
        var profile = Profile() with { Ecog = new EcogPerformanceStatus(1, null, Obs), PdL1 = new PdL1Expression(70, Obs) };
        var line = new TherapyLine(1, "pembrolizumab", [], new DateOnly(2024, 3, 1), null, null, null, null);

        var now = _featurizer.Featurize(profile, new DateOnly(2026, 12, 7), 1);
        var atLineStart = _featurizer.FeaturizeAtLineStart(profile, line);

        Assert.Equal((0f, 0f), (Clinical(now, "ecog_missing"), Genomic(now, "pdl1_missing")));
        Assert.Equal((1f, 1f), (Clinical(atLineStart, "ecog_missing"), Genomic(atLineStart, "pdl1_missing")));
    }

    [Fact]
    public void Smoking_status_and_a_line_s_response_count_from_their_own_dates()
    {
        var profile = Profile() with
        {
            Smoking = new SmokingStatus(SmokingStatusCategory.Former, new DateOnly(2024, 4, 1), Obs),
            TherapyLines = [new TherapyLine(1, "folfox", [], new DateOnly(2024, 1, 1), new DateOnly(2024, 6, 1), RecistResponse.ProgressiveDisease, new DateOnly(2024, 3, 1), Obs)],
        };

        var known = AsOfRule.Apply(profile, new DateOnly(2024, 2, 1), UndatedFacts.Exclude);

        Assert.Null(known.Smoking);
        var line = Assert.Single(known.TherapyLines);
        Assert.Equal((null, null), (line.BestResponse, line.EndedOn));
        Assert.Equal(1f, Clinical(_featurizer.Featurize(profile, new DateOnly(2024, 2, 1), 0), "smoking_missing"));
        Assert.Equal(RecistResponse.ProgressiveDisease, AsOfRule.Apply(profile, new DateOnly(2024, 3, 1), UndatedFacts.Exclude).TherapyLines[0].BestResponse);
        Assert.Empty(AsOfRule.Apply(profile, new DateOnly(2023, 12, 31), UndatedFacts.Exclude).TherapyLines);
    }

    [Fact]
    public void An_empty_record_gives_missing_indicators_not_errors()
    {
        var features = _featurizer.Featurize(Profile(), new DateOnly(2025, 1, 1), 0);

        Assert.Equal(1f, Clinical(features, "age_missing"));
        Assert.Equal(1f, Clinical(features, "stage_missing"));
        Assert.Equal(1f, Clinical(features, "ecog_missing"));
        Assert.Equal(1f, Clinical(features, "diagnosis_missing"));
        Assert.All(Enum.GetValues<CancerType>(), t => Assert.Equal(0f, Clinical(features, "cancer_" + t)));
        Assert.Equal(1f, Genomic(features, "tmb_missing"));
        Assert.All(LabAnalytes.All, a => Assert.Equal(1f, Clinical(features, $"lab_{a.Analyte}_missing")));
    }

    [Fact]
    public void Variants_of_uncertain_significance_and_brca_variants_not_reported_pathogenic_are_never_features()
    {
        var source = new SourceReference("Observation", "v");
        GenomicVariant Brca(ClinicalSignificance significance) => new("BRCA2", "HGNC:1101", "c.1000A>G", "p.I334V", 0.5m, GenomicSourceClass.Germline, source) { Significance = significance };
        GenomicVariant Tp53(ClinicalSignificance significance) => new("TP53", "HGNC:11998", "c.524G>A", "p.R175H", 0.3m, GenomicSourceClass.Somatic, source) { Significance = significance };
        var asOf = new DateOnly(2025, 1, 1);

        float Feature(string name, params GenomicVariant[] variants) => Genomic(_featurizer.Featurize(Profile() with { Variants = variants }, asOf, 0), name);

        Assert.Equal(1f, Feature("brca2_variant", Brca(ClinicalSignificance.Pathogenic)));
        Assert.Equal(1f, Feature("brca2_variant", Brca(ClinicalSignificance.LikelyPathogenic)));
        Assert.Equal(0f, Feature("brca2_variant", Brca(ClinicalSignificance.UncertainSignificance)));
        Assert.Equal(0f, Feature("brca2_variant", Brca(ClinicalSignificance.NotReported)));
        Assert.Equal(1f, Feature("tp53_variant", Tp53(ClinicalSignificance.NotReported)));
        Assert.Equal(0f, Feature("tp53_variant", Tp53(ClinicalSignificance.UncertainSignificance)));
        Assert.Equal(0f, Feature("tp53_variant", Tp53(ClinicalSignificance.LikelyBenign)));
    }

    [Fact]
    public void Therapies_are_one_hot_and_an_unknown_therapy_is_refused_by_name()
    {
        var vector = _featurizer.EncodeTherapy("osimertinib");
        Assert.Equal(1f, vector.Sum());
        Assert.Equal(1f, vector[_featurizer.Schema.TherapyIds.ToList().IndexOf("osimertinib")]);

        var error = Assert.Throws<ArgumentException>(() => _featurizer.EncodeTherapy("snake-oil"));
        Assert.Contains("'snake-oil' is not a therapy of catalog", error.Message, StringComparison.Ordinal);
    }

    private const string ExpectedSchemaHash = "04076318d758b338f11033ebb4bcaaa1f6d606b585bdb625c890b0f20652deb5";

    private const string ExpectedV1SchemaHash = "ab0db75a9fce65933e7d61562c7cc066c361df3437892cd16c23f7e332eca2b0";

    private float Clinical(PatientFeatures features, string name) =>
        features.Clinical[_featurizer.Schema.Clinical.ToList().FindIndex(f => f.Name == name) is var i and >= 0 ? i : throw new KeyNotFoundException(name)];

    private float Genomic(PatientFeatures features, string name) =>
        features.Genomic[_featurizer.Schema.Genomic.ToList().FindIndex(f => f.Name == name) is var i and >= 0 ? i : throw new KeyNotFoundException(name)];

    private static readonly SourceReference Obs = new("Observation", "o");

    private static EcogPerformanceStatus Ecog(int score, int year, int month, int day) => new(score, new DateOnly(year, month, day), Obs);

    private static PatientProfile Profile(IReadOnlyList<LabResult>? labs = null) => new(
        "p",
        new PatientDemographics("Test", null, null, AdministrativeSex.Unknown, null, null, new SourceReference("Patient", "p")),
        [], null, null, null, labs ?? [], [], [], [], [], null, null, null, null, null, [], []);

    private static PatientProfile MapFixture(string fixture)
    {
        var resources = TransactionBundles.ResourcesWithLocalReferences(File.ReadAllText(Path.Combine(Root, "tests", "fixtures", "fhir", fixture)));
        return new PatientProfileMapper(new CatalogTherapyResolver(Catalog)).Map(resources.OfType<Patient>().Single().Id!, resources);
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Precision.Portal.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Run the tests inside the repository.");
    }
}
