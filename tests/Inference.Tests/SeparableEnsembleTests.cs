using Precision.Inference.Explanations;
using Precision.Inference.Features;

namespace Precision.Inference.Tests;

/// <summary>
/// The separable evaluation of the efficacy ensemble (clinical and genomic halves computed once, combined per row) against
/// ONNX Runtime on the committed model 1.1.0: same probabilities, same Shapley values, refused where it does not apply.
/// </summary>
public sealed class SeparableEnsembleTests(ExplanationsFixture fixture) : IClassFixture<ExplanationsFixture>
{
    private static readonly DateOnly AsOf = new(2025, 6, 30);

    private byte[] Model110 => File.ReadAllBytes(Path.Combine(fixture.Root, "models", "efficacy", "1.1.0", "model.onnx"));

    [Fact]
    public void Model_1_1_0_evaluated_in_halves_matches_onnx_runtime_on_reference_rows_and_on_random_rows()
    {
        using var scorer = fixture.RealModel("1.1.0");
        var separable = SeparableEnsemble.TryCreate(Model110, out var reason) ?? throw new InvalidOperationException(reason);

        var onReference = separable.CheckAgainst(scorer, fixture.Reference);

        Assert.Equal(5, separable.MemberCount);
        Assert.InRange(onReference, 0, SeparableEnsemble.ParityTolerance);
        Assert.True(separable.IsVerified);

        // Rows no patient has: flags on at random, continuous values anywhere in [0, 2).
        var random = new Random(7);
        var rows = Enumerable.Range(0, 60).Select(_ => new PatientFeatures(
            [.. Enumerable.Range(0, fixture.Schema.Clinical.Count).Select(_ => random.NextDouble() < 0.3 ? (float)(random.NextDouble() * 2) : 0f)],
            [.. Enumerable.Range(0, fixture.Schema.Genomic.Count).Select(_ => random.NextDouble() < 0.2 ? 1f : 0f)])).ToList();
        var onRandom = separable.CheckAgainst(scorer, ReferenceSample.Create(rows, "random rows"));
        Assert.InRange(onRandom, 0, SeparableEnsemble.ParityTolerance);
    }

    [Fact]
    public void The_current_layouts_model_with_its_re_challenge_input_evaluated_in_halves_matches_onnx_runtime()
    {
        // Model 2.0.0 (feature layout V2): the head also reads whether the row's therapy progressed before.
        var schema = new PatientFeaturizer(fixture.Catalog).Schema;
        Assert.Equal(FeatureLayout.V2, schema.Layout);
        var folder = Path.Combine(fixture.Root, "models", "efficacy", "2.0.0");
        var bytes = File.ReadAllBytes(Path.Combine(folder, "model.onnx"));
        using var scorer = new OrtTestScorer(bytes, schema.Clinical.Count, schema.Genomic.Count, schema.TherapyIds.Count, "probability");
        var separable = SeparableEnsemble.TryCreate(bytes, out var reason) ?? throw new InvalidOperationException(reason);
        var reference = ReferenceSample.Load(Path.Combine(folder, "reference-population.json"), schema);

        Assert.InRange(separable.CheckAgainst(scorer, reference), 0, SeparableEnsemble.ParityTolerance);

        // The reference rows with progression on one to three therapies flagged (the re-challenge input then is 1 for those).
        var random = new Random(11);
        var flags = schema.Clinical.Select((f, i) => (f.Name, i)).Where(f => f.Name.StartsWith(PatientFeaturizer.ProgressedOnPrefix, StringComparison.Ordinal)).Select(f => f.i).ToList();
        Assert.Equal(schema.TherapyIds.Count, flags.Count);
        var rows = Enumerable.Range(0, 40).Select(r =>
        {
            var clinical = reference.Clinical.Slice(r % reference.Count * schema.Clinical.Count, schema.Clinical.Count).ToArray();
            for (var k = random.Next(1, 4); k > 0; k--)
            {
                clinical[flags[random.Next(flags.Count)]] = 1f;
            }

            return new PatientFeatures(clinical, reference.Genomic.Slice(r % reference.Count * schema.Genomic.Count, schema.Genomic.Count).ToArray());
        }).ToList();
        Assert.InRange(separable.CheckAgainst(scorer, ReferenceSample.Create(rows, "reference rows with progression flags")), 0, SeparableEnsemble.ParityTolerance);
        Assert.True(separable.IsVerified);
    }

    [Fact]
    public void Exact_values_through_the_halves_equal_scoring_every_row_through_onnx_runtime_for_every_therapy()
    {
        using var scorer = fixture.RealModel("1.1.0");
        var separable = Verified(scorer);
        var reference = fixture.Reference.Take(16);
        var throughRuntime = new ShapleyExplainer(scorer, fixture.Featurizer, reference);
        var throughHalves = new ShapleyExplainer(scorer, fixture.Featurizer, reference, separable: separable);
        Assert.Equal(ShapleyEvaluation.ModelRows, throughRuntime.Engine.Evaluation);
        Assert.Equal(ShapleyEvaluation.Separable, throughHalves.Engine.Evaluation);

        foreach (var name in new[] { "example-patient-bundle.json", "breast-erbb2-amplification.json", "crc-msi-high-cea.json" })
        {
            var profile = fixture.MapFixture(name);
            var expected = throughRuntime.Explain(profile, AsOf, 1).Explanation!;
            var actual = throughHalves.Explain(profile, AsOf, 1).Explanation!;

            Assert.Equal(ShapleyMethod.Exact, actual.Method);
            Assert.Equal(expected.RowsScored, actual.RowsScored);
            Assert.Contains("evaluated once each from the model's weights", actual.MethodDescription, StringComparison.Ordinal);
            Assert.Equal(expected.Therapies.Count, actual.Therapies.Count);
            for (var t = 0; t < expected.Therapies.Count; t++)
            {
                Assert.Equal(expected.Therapies[t].Baseline, actual.Therapies[t].Baseline, 1e-5);
                Assert.Equal(expected.Therapies[t].Prediction, actual.Therapies[t].Prediction, 1e-5);
                Assert.Equal(actual.Therapies[t].Prediction - actual.Therapies[t].Baseline, actual.Therapies[t].ContributionSum, 1e-4);
                for (var p = 0; p < expected.Players.Count; p++)
                {
                    Assert.Equal(expected.Therapies[t].Contributions[p].Value, actual.Therapies[t].Contributions[p].Value, 1e-5);
                }
            }
        }
    }

    [Fact]
    public void Sampled_values_through_the_halves_equal_the_runtimes_with_the_same_permutations()
    {
        using var scorer = fixture.RealModel("1.1.0");
        var options = new ShapleyOptions { MaxExactPlayers = 4, Permutations = 16, ReferenceSize = 8 };
        var throughRuntime = new ShapleyExplainer(scorer, fixture.Featurizer, fixture.Reference, options);
        var throughHalves = new ShapleyExplainer(scorer, fixture.Featurizer, fixture.Reference, options, Verified(scorer));
        var profile = fixture.MapFixture("example-patient-bundle.json");

        var expected = throughRuntime.Explain(profile, AsOf, 0).Explanation!;
        var actual = throughHalves.Explain(profile, AsOf, 0).Explanation!;

        Assert.Equal(ShapleyMethod.PermutationSampling, actual.Method);
        for (var t = 0; t < expected.Therapies.Count; t++)
        {
            for (var p = 0; p < expected.Players.Count; p++)
            {
                Assert.Equal(expected.Therapies[t].Contributions[p].Value, actual.Therapies[t].Contributions[p].Value, 1e-5);
                Assert.Equal(expected.Therapies[t].Contributions[p].StandardError!.Value, actual.Therapies[t].Contributions[p].StandardError!.Value, 1e-5);
            }
        }
    }

    [Fact]
    public void Concurrent_explanations_through_the_halves_are_identical_to_one_alone()
    {
        using var scorer = fixture.RealModel("1.1.0");
        var explainer = new ShapleyExplainer(scorer, fixture.Featurizer, fixture.Reference.Take(8), separable: Verified(scorer));
        var profile = fixture.MapFixture("breast-erbb2-amplification.json");
        var alone = Values(explainer.Explain(profile, AsOf, 0).Explanation!);

        var together = Enumerable.Range(0, 4).AsParallel().WithDegreeOfParallelism(4)
            .Select(_ => Values(explainer.Explain(profile, AsOf, 0).Explanation!)).ToList();

        Assert.All(together, values => Assert.Equal(alone, values));
    }

    [Fact]
    public void A_graph_that_is_not_the_efficacy_network_is_not_evaluated_in_halves_and_says_why()
    {
        Assert.Null(SeparableEnsemble.TryCreate(new byte[] { 0x0a, 0xff, 0xff, 0x01 }, out var unreadable));
        Assert.Contains("could not be read as ONNX", unreadable, StringComparison.Ordinal);

        var linear = LinearOnnxModel.Build(new float[fixture.Schema.Clinical.Count], new float[fixture.Schema.Genomic.Count], new float[fixture.Schema.TherapyIds.Count], 0f);
        Assert.Null(SeparableEnsemble.TryCreate(linear, out var notEnsemble));
        Assert.Contains("no ensemble member m0", notEnsemble, StringComparison.Ordinal);

        // Model 1.0.0 predates the catalog prior: its head has no prior inputs.
        Assert.Null(SeparableEnsemble.TryCreate(fixture.ModelBytes, out var noPrior));
        Assert.Contains("is not the network the separable evaluation knows", noPrior, StringComparison.Ordinal);
        Assert.Contains("explanations use the runtime", noPrior, StringComparison.Ordinal);
    }

    [Fact]
    public void A_separable_evaluation_that_disagrees_with_the_runtime_or_was_never_checked_is_refused_by_the_engine()
    {
        using var other = fixture.RealModel("1.0.0");
        var separable = SeparableEnsemble.TryCreate(Model110, out var reason) ?? throw new InvalidOperationException(reason);

        var unchecked_ = Assert.Throws<ArgumentException>(() => new ShapleyEngine(other, fixture.Reference, null, separable));
        Assert.Contains("not measured", unchecked_.Message, StringComparison.Ordinal);

        var difference = separable.CheckAgainst(other, fixture.Reference);

        Assert.True(difference > 0.01, $"1.1.0's weights against 1.0.0's runtime differ by only {difference}");
        Assert.False(separable.IsVerified);
        var refused = Assert.Throws<ArgumentException>(() => new ShapleyEngine(other, fixture.Reference, null, separable));
        Assert.Contains("has not been checked against the model runtime", refused.Message, StringComparison.Ordinal);
    }

    private SeparableEnsemble Verified(OrtTestScorer scorer)
    {
        var separable = SeparableEnsemble.TryCreate(Model110, out var reason) ?? throw new InvalidOperationException(reason);
        separable.CheckAgainst(scorer, fixture.Reference);
        return separable;
    }

    private static double[] Values(ShapleyExplanation explanation) =>
        [.. explanation.Therapies.SelectMany(t => t.Contributions.Select(c => c.Value).Prepend(t.Baseline).Prepend(t.Prediction))];
}
