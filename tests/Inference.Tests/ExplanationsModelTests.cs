using Precision.Clinical;
using Precision.Inference.Explanations;
using Precision.Inference.Features;
using Precision.Inference.Runtime;

namespace Precision.Inference.Tests;

/// <summary>
/// Explanations of real records: players and their sources, a linear ONNX model built here (closed form), the committed
/// efficacy model 1.0.0 in ONNX Runtime (efficiency), and records that cannot be explained.
/// </summary>
public sealed class ExplanationsModelTests(ExplanationsFixture fixture) : IClassFixture<ExplanationsFixture>
{
    private static readonly DateOnly AsOf = new(2025, 6, 30);

    [Fact]
    public void Players_are_the_facts_present_with_clinical_names_and_their_fhir_sources_and_partition_the_features()
    {
        var profile = fixture.MapFixture("example-patient-bundle.json");
        var line = profile.TherapyLines[0];
        var features = fixture.Featurizer.FeaturizeAtLineStart(profile, line);

        var players = ExplanationPlayers.Build(profile, features, fixture.Schema, line.StartedOn!.Value, line.LineNumber - 1);

        var names = players.Select(p => p.Name).ToList();
        Assert.Contains("Non-small cell lung cancer", names);
        Assert.Contains(names, n => n.StartsWith("Stage IV", StringComparison.Ordinal));
        // ECOG is a player exactly when one was recorded by the line start (here it was not).
        var ecogMissing = features.Clinical[fixture.Schema.Clinical.ToList().FindIndex(f => f.Name == "ecog_missing")];
        Assert.Equal(ecogMissing == 0f, names.Any(n => n.StartsWith("ECOG ", StringComparison.Ordinal)));
        Assert.Contains(names, n => n.StartsWith("Age ", StringComparison.Ordinal));
        Assert.Contains("First line (no prior therapy)", names);
        Assert.Contains(profile.Variants.Single(v => v.Gene == "EGFR").Label, names);
        Assert.Equal(ExplanationPlayers.OtherFactsName, names[^1]);
        Assert.InRange(players.Count, 5, 14);

        // Every feature belongs to exactly one player.
        Assert.Equal(Enumerable.Range(0, fixture.Schema.Clinical.Count), players.SelectMany(p => p.ClinicalFeatures).Order());
        Assert.Equal(Enumerable.Range(0, fixture.Schema.Genomic.Count), players.SelectMany(p => p.GenomicFeatures).Order());

        // Every fact player names the resources it came from, and they are the record's.
        var ids = Facts(profile).ToHashSet();
        foreach (var player in players.Where(p => p.Kind is not (PlayerKind.PriorTherapy or PlayerKind.OtherFacts)))
        {
            Assert.NotEmpty(player.Sources);
            Assert.All(player.Sources, s => Assert.Contains(s, ids));
        }

        var egfr = players.Single(p => p.Name == profile.Variants.Single(v => v.Gene == "EGFR").Label);
        Assert.Equal([profile.Variants.Single(v => v.Gene == "EGFR").Source], egfr.Sources);
        Assert.Equal(PlayerKind.Biomarker, egfr.Kind);
    }

    [Fact]
    public void Abnormal_labs_are_named_with_value_and_direction_and_grouped_by_organ_system_when_there_are_many()
    {
        var source = new SourceReference("Observation", "alb");
        var labs = LabAnalytes.All.Select((a, i) => new LabResult(a.Analyte, a.ReferenceRange.High * 2, a.CanonicalUnit, new DateOnly(2025, 1, 1), null, new SourceReference("Observation", "lab-" + i)))
            .Where(l => l.Analyte != LabAnalyte.Albumin)
            .Append(new LabResult(LabAnalyte.Albumin, 2.9m, "g/dL", new DateOnly(2025, 1, 1), null, source))
            .ToList();
        var few = Profile(labs: [labs[^1]]);
        var many = Profile(labs: labs) with
        {
            Stage = new StageGroup("IIIB", false, null, new SourceReference("Observation", "stage")),
            Ecog = new EcogPerformanceStatus(1, null, new SourceReference("Observation", "ecog")),
            Smoking = new SmokingStatus(SmokingStatusCategory.Former, null, new SourceReference("Observation", "smoking")),
        };

        var single = ExplanationPlayers.Build(few, fixture.Featurizer.Featurize(few, AsOf, 0), fixture.Schema, AsOf, 0);
        var grouped = ExplanationPlayers.Build(many, fixture.Featurizer.Featurize(many, AsOf, 0), fixture.Schema, AsOf, 0);

        var albumin = single.Single(p => p.Kind == PlayerKind.Laboratory);
        Assert.Equal("Albumin low (2.9 g/dL)", albumin.Name);
        Assert.Equal([source], albumin.Sources);
        Assert.True(grouped.Count <= 14, string.Join(" | ", grouped.Select(p => p.Name)));
        Assert.Contains(grouped, p => p.Name.StartsWith("Blood counts: Hemoglobin high", StringComparison.Ordinal));
        Assert.Equal(12, grouped.Where(p => p.Kind == PlayerKind.Laboratory).Sum(p => p.Sources.Count));
    }

    [Fact]
    public void On_a_linear_onnx_model_each_value_is_the_closed_form_weight_times_the_distance_from_the_reference_mean()
    {
        var random = new Random(11);
        float[] Weights(int n) => [.. Enumerable.Range(0, n).Select(_ => (random.NextSingle() * 2) - 1)];
        float[] clinicalWeights = Weights(fixture.Schema.Clinical.Count), genomicWeights = Weights(fixture.Schema.Genomic.Count), therapyWeights = Weights(fixture.Schema.TherapyIds.Count);
        using var scorer = new OrtTestScorer(LinearOnnxModel.Build(clinicalWeights, genomicWeights, therapyWeights, 0.25f),
            fixture.Schema.Clinical.Count, fixture.Schema.Genomic.Count, fixture.Schema.TherapyIds.Count, LinearOnnxModel.Output);
        var reference = fixture.Reference.Take(24);
        var explainer = new ShapleyExplainer(scorer, fixture.Featurizer, reference);
        var profile = fixture.MapFixture("nsclc-alk-fusion.json");

        var result = explainer.Explain(profile, AsOf, 1);

        var explanation = Assert.IsType<ShapleyExplanation>(result.Explanation);
        Assert.Equal(ShapleyMethod.Exact, explanation.Method);
        var x = fixture.Featurizer.Featurize(profile, AsOf, 1);
        var rows = Enumerable.Range(0, reference.Count).Select(reference.Row).ToList();
        double Expected(ExplanationPlayer player) =>
            player.ClinicalFeatures.Sum(i => clinicalWeights[i] * (x.Clinical[i] - rows.Average(r => (double)r.Clinical[i])))
            + player.GenomicFeatures.Sum(i => genomicWeights[i] * (x.Genomic[i] - rows.Average(r => (double)r.Genomic[i])));
        Assert.Equal(fixture.Schema.TherapyIds.Count, explanation.Therapies.Count);
        foreach (var therapy in explanation.Therapies)
        {
            foreach (var contribution in therapy.Contributions)
            {
                Assert.Equal(Expected(explanation.Players[contribution.Player]), contribution.Value, 1e-4);
            }

            Assert.Equal(therapy.Prediction - therapy.Baseline, therapy.ContributionSum, 1e-4);
        }

        // Sampling on an additive model: every permutation gives the closed form, so the values match and the errors vanish.
        var sampled = new ShapleyExplainer(scorer, fixture.Featurizer, reference, new ShapleyOptions { MaxExactPlayers = 3, Permutations = 8 })
            .Explain(profile, AsOf, 1, ["alectinib"]).Explanation!;
        Assert.Equal(ShapleyMethod.PermutationSampling, sampled.Method);
        Assert.Contains("permutation sampling, 8 permutations", sampled.Summary, StringComparison.Ordinal);
        foreach (var contribution in sampled.Therapies.Single().Contributions)
        {
            Assert.Equal(Expected(sampled.Players[contribution.Player]), contribution.Value, 1e-4);
            Assert.InRange(contribution.StandardError!.Value, 0, 1e-4);
        }
    }

    [Fact]
    public void On_the_real_model_contributions_of_every_fixture_patient_sum_to_prediction_minus_baseline_for_every_therapy()
    {
        using var scorer = fixture.RealModel();
        var reference = fixture.Reference.Take(16);
        var explainer = new ShapleyExplainer(scorer, fixture.Featurizer, reference);
        var rows = Enumerable.Range(0, reference.Count).Select(reference.Row).ToList();
        foreach (var name in fixture.FixtureNames())
        {
            var profile = fixture.MapFixture(name);
            var priorLines = Math.Max(0, profile.TherapyLines.Count - 1);

            var result = explainer.Explain(profile, AsOf, priorLines);

            Assert.True(result.Succeeded, name + ": " + string.Join("; ", result.Problems.Select(p => p.Message)));
            var explanation = result.Explanation!;
            Assert.Equal(ShapleyMethod.Exact, explanation.Method);
            Assert.Equal(16, explanation.ReferenceSize);
            Assert.Contains("exact over 2^", explanation.Summary, StringComparison.Ordinal);
            Assert.Contains("reference sample of 16 patients", explanation.Summary, StringComparison.Ordinal);
            Assert.Equal(22, explanation.Therapies.Count);
            var x = fixture.Featurizer.Featurize(profile, AsOf, priorLines);
            foreach (var therapy in explanation.Therapies)
            {
                Assert.Equal(therapy.Prediction - therapy.Baseline, therapy.ContributionSum, 1e-4);
                Assert.InRange(therapy.Prediction, 0, 1);
                Assert.Equal(Direct(scorer, x, therapy.TherapyId), therapy.Prediction, 1e-6);
                Assert.Equal(rows.Average(r => Direct(scorer, r, therapy.TherapyId)), therapy.Baseline, 1e-6);
            }
        }
    }

    [Fact]
    public void Model_1_1_0_with_its_own_reference_population_and_the_default_size_keeps_efficiency_and_states_the_sample()
    {
        using var scorer = fixture.RealModel("1.1.0");
        var explainer = new ShapleyExplainer(scorer, fixture.Featurizer, fixture.Reference);
        var profile = fixture.MapFixture("breast-erbb2-amplification.json");

        var explanation = explainer.Explain(profile, AsOf, 0).Explanation!;

        Assert.Equal(100, fixture.Reference.Count);
        Assert.Equal(new ShapleyOptions().ReferenceSize, explanation.ReferenceSize);
        Assert.Contains("the first 32 rows of: 100 training patients drawn at random (seed 42)", explanation.ReferenceDescription, StringComparison.Ordinal);
        Assert.Contains("reference population of model 1.1.0", explanation.Summary, StringComparison.Ordinal);
        Assert.Contains(explanation.Players, p => p.Name == "ERBB2 amplification");
        Assert.All(explanation.Therapies, t => Assert.Equal(t.Prediction - t.Baseline, t.ContributionSum, 1e-4));
        Assert.True(explanation.RowsScored <= (1L << explanation.Players.Count) * 32 * 22);
    }

    [Fact]
    public void Through_the_portals_own_runtime_adapter_on_the_served_model_efficiency_holds_and_the_sample_is_the_models()
    {
        var model = new ModelRegistry(Path.Combine(fixture.Root, "models", "efficacy"), fixture.Schema).Verify("1.1.0").Model!;
        var start = EfficacyModelRuntime.Start(model, new EfficacyModelOptions { ExecutionProvider = ExecutionProviderPreference.Cpu });
        using var runtime = start.Runtime ?? throw new InvalidOperationException(start.Error);
        var background = model.ReferencePopulation!.Background!;
        var sample = ReferenceSample.Create([.. background.Rows!.Select(r => new PatientFeatures(r.Clinical, r.Genomic))], background.Description!);
        var explainer = new ShapleyExplainer(runtime, fixture.Featurizer, sample, new ShapleyOptions { ReferenceSize = 8 });
        var profile = fixture.MapFixture("crc-msi-high-cea.json");

        var explanation = explainer.Explain(profile, AsOf, 1).Explanation!;

        Assert.Contains(explanation.Players, p => p.Name == "MSI-high");
        Assert.Equal(8, explanation.ReferenceSize);
        Assert.All(explanation.Therapies, t => Assert.Equal(t.Prediction - t.Baseline, t.ContributionSum, 1e-4));
        var x = fixture.Featurizer.Featurize(profile, AsOf, 1);
        var output = new float[1];
        runtime.Score(x.Clinical, x.Genomic, fixture.Featurizer.EncodeTherapy("pembrolizumab"), output);
        Assert.Equal(output[0], explanation.Therapies.Single(t => t.TherapyId == "pembrolizumab").Prediction, 1e-6);
    }

    [Fact]
    public void A_reference_population_of_another_feature_schema_is_refused_and_training_rows_come_from_the_training_split_only()
    {
        var path = Path.Combine(Path.GetTempPath(), $"reference-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, File.ReadAllText(Path.Combine(fixture.Root, "models", "efficacy", "1.1.0", "reference-population.json")).Replace(fixture.Schema.Hash, new string('0', 64), StringComparison.Ordinal));
        try
        {
            var error = Assert.Throws<InvalidDataException>(() => ReferenceSample.Load(path, fixture.Schema));
            Assert.Contains("was made with feature schema 0000", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }

        var split = new PatientSplit(ExplanationsFixture.SplitSeed);
        var sample = ReferenceSample.FromTrainingProfiles(fixture.Generated, fixture.Featurizer, split, 20, "generated");
        var expected = fixture.Generated.Where(p => split.Of(p.PatientId) == DataSplit.Train)
            .Select(p => ResponseExamples.From(p, fixture.Featurizer).FirstOrDefault()).OfType<ResponseExample>().Take(20).ToList();
        Assert.Equal(20, sample.Count);
        Assert.Equal(expected[7].Features.Clinical, sample.Row(7).Clinical);
        Assert.Throws<ArgumentException>(() => ReferenceSample.FromTrainingProfiles(fixture.Generated.Take(3), fixture.Featurizer, split, 20, "too few"));
    }

    [Fact]
    public void Generated_patients_mostly_have_at_most_14_players_and_larger_ones_are_sampled_with_errors()
    {
        var counts = fixture.Generated.Take(100).Select(p =>
        {
            var features = fixture.Featurizer.Featurize(p, AsOf, p.TherapyLines.Count);
            return ExplanationPlayers.Build(p, features, fixture.Schema, AsOf, p.TherapyLines.Count).Count;
        }).ToList();

        Assert.True(counts.Count(c => c <= 14) >= 90, "player counts: " + string.Join(",", counts.Order()));
        Assert.True(counts.Min() >= 5);
    }

    [Fact]
    public void An_empty_record_is_refused_in_words()
    {
        using var scorer = fixture.RealModel();
        var explainer = new ShapleyExplainer(scorer, fixture.Featurizer, fixture.Reference.Take(4));

        var result = explainer.Explain(Profile(), AsOf, 0);

        Assert.False(result.Succeeded);
        Assert.Contains("nothing to explain", Assert.Single(result.Problems).Message, StringComparison.Ordinal);
        Assert.Equal(0, scorer.Calls);
    }

    [Fact]
    public void Absurd_lab_values_and_impossible_facts_are_refused_naming_the_fact_and_its_source()
    {
        using var scorer = fixture.RealModel();
        var explainer = new ShapleyExplainer(scorer, fixture.Featurizer, fixture.Reference.Take(4));
        var albumin = new SourceReference("Observation", "alb-absurd");
        var profile = Profile(labs: [new LabResult(LabAnalyte.Albumin, 250m, "g/dL", new DateOnly(2025, 1, 1), null, albumin)]) with
        {
            Ecog = new EcogPerformanceStatus(9, new DateOnly(2025, 1, 1), new SourceReference("Observation", "ecog")),
            PdL1 = new PdL1Expression(140m, new SourceReference("Observation", "pdl1")),
        };

        var result = explainer.Explain(profile, AsOf, 0);

        Assert.False(result.Succeeded);
        var lab = result.Problems.Single(p => p.Source == albumin);
        Assert.Contains("Albumin 250 g/dL is outside the plausible range 1–7 g/dL", lab.Message, StringComparison.Ordinal);
        Assert.Contains(result.Problems, p => p.Message.Contains("ECOG 9", StringComparison.Ordinal));
        Assert.Contains(result.Problems, p => p.Message.Contains("PD-L1", StringComparison.Ordinal));
        Assert.Equal(0, scorer.Calls);
    }

    [Fact]
    public void Unknown_codes_are_explained_around_and_listed_as_notes_and_a_record_of_only_unknown_facts_is_refused()
    {
        using var scorer = fixture.RealModel();
        var explainer = new ShapleyExplainer(scorer, fixture.Featurizer, fixture.Reference.Take(4));
        var messy = fixture.MapFixture("messy-missing-stage-unknown-loinc.json");

        var result = explainer.Explain(messy, AsOf, 0, ["pembrolizumab"]);

        Assert.True(result.Succeeded, string.Join("; ", result.Problems.Select(p => p.Message)));
        Assert.DoesNotContain(result.Explanation!.Players, p => p.Kind == PlayerKind.Stage);
        Assert.NotEmpty(messy.DataQuality);
        Assert.All(messy.DataQuality, issue => Assert.Contains(result.Explanation.Notes, n => n.Message.Contains(issue.Message, StringComparison.Ordinal) && n.Source == issue.Source));

        var unknownGene = new SourceReference("Observation", "var-xyz");
        var onlyUnknown = Profile() with { Variants = [new GenomicVariant("XYZ1", null, null, "p.Q61K", null, GenomicSourceClass.Somatic, unknownGene)] };
        var refused = explainer.Explain(onlyUnknown, AsOf, 0);
        Assert.False(refused.Succeeded);
        Assert.Contains("XYZ1 p.Q61K: the model has no feature for XYZ1", Assert.Single(refused.Problems).Message, StringComparison.Ordinal);

        var unknownTherapy = explainer.Explain(messy, AsOf, 0, ["snake-oil"]);
        Assert.False(unknownTherapy.Succeeded);
        Assert.Contains("'snake-oil' is not a therapy of catalog", Assert.Single(unknownTherapy.Problems).Message, StringComparison.Ordinal);
        Assert.False(explainer.Explain(messy, AsOf, -1).Succeeded);
    }

    [Fact]
    public void A_model_that_fails_gives_a_failed_result_not_an_exception()
    {
        var failing = new FunctionScorer(fixture.Schema.Clinical.Count, fixture.Schema.Genomic.Count, fixture.Schema.TherapyIds.Count, (_, _, _) => float.NaN);
        var explainer = new ShapleyExplainer(failing, fixture.Featurizer, fixture.Reference.Take(2));

        var result = explainer.Explain(fixture.MapFixture("crc-msi-high-cea.json"), AsOf, 0, ["pembrolizumab"]);

        Assert.False(result.Succeeded);
        Assert.Contains("non-finite", Assert.Single(result.Problems).Message, StringComparison.Ordinal);
    }

    private double Direct(OrtTestScorer scorer, PatientFeatures features, string therapyId)
    {
        var output = new float[1];
        scorer.Score(features.Clinical, features.Genomic, fixture.Featurizer.EncodeTherapy(therapyId), output);
        return output[0];
    }

    private static IEnumerable<SourceReference> Facts(PatientProfile p) =>
        new[] { p.Demographics.Source, p.Stage?.Source, p.Ecog?.Source, p.Smoking?.Source, p.TumorMutationalBurden?.Source, p.Microsatellite?.Source, p.PdL1?.Source, p.TCellInflamedSignature?.Source, p.EstrogenReceptor?.Source }
            .Concat(p.PrimaryCancers.Select(c => c.Source)).Concat(p.Labs.Select(l => l.Source)).Concat(p.Variants.Select(v => v.Source))
            .Concat(p.Fusions.Select(f => f.Source)).Concat(p.CopyNumberAlterations.Select(c => c.Source)).Concat(p.Pharmacogenomics.Select(g => g.Source))
            .Concat(p.EcogHistory.Select(e => e.Source)).Concat(p.StageHistory.Select(s => s.Source))
            .OfType<SourceReference>();

    private static PatientProfile Profile(IReadOnlyList<LabResult>? labs = null) => new(
        "p",
        new PatientDemographics("Test", null, null, AdministrativeSex.Unknown, null, null, new SourceReference("Patient", "p")),
        [], null, null, null, labs ?? [], [], [], [], [], null, null, null, null, null, [], []);
}
