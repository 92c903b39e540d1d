using Precision.Clinical;
using Precision.Inference.Explanations;
using Precision.Inference.Features;

namespace Precision.Inference.Tests;

/// <summary>The Shapley engine against the definition, on small plain-C# models where every number can be checked.</summary>
public sealed class ExplanationsEngineTests
{
    private const int C = 6;
    private const int G = 4;
    private const int T = 3;

    // A nonlinear model with interactions and a therapy-specific part.
    private static float Nonlinear(float[] c, float[] g, int therapy) =>
        (float)(1 / (1 + Math.Exp(-((0.8 * c[0]) - (1.3 * c[1] * g[0]) + (0.5 * Math.Sin(3 * c[2])) + (c[3] * c[4]) - (0.7 * g[1] * g[2]) + (0.2 * c[5]) + (0.4 * therapy * g[3]) + (therapy == 1 ? c[0] * g[1] : 0) - 0.3))));

    // Players: {c0,c1}, {c2}, {c3,g0}, {c4}, {g1,g2}, {c5,g3}.
    private static readonly ExplanationPlayer[] Players =
    [
        Player("A", [0, 1], []),
        Player("B", [2], []),
        Player("C", [3], [0]),
        Player("D", [4], []),
        Player("E", [], [1, 2]),
        Player("F", [5], [3]),
    ];

    [Fact]
    public void Exact_values_equal_the_brute_force_definition_for_every_therapy()
    {
        var (x, reference) = Data(seed: 1, referenceRows: 9);
        var engine = new ShapleyEngine(new FunctionScorer(C, G, T, Nonlinear), Sample(reference));

        var values = engine.Compute(x, Players, [0, 1, 2]);

        Assert.Equal(ShapleyMethod.Exact, values.Method);
        Assert.Equal(64, values.Coalitions);
        for (var t = 0; t < T; t++)
        {
            var expected = BruteForceShapley.Values((c, g) => Nonlinear(c, g, t), x, reference, Players);
            for (var p = 0; p < Players.Length; p++)
            {
                Assert.Equal(expected[p], values.Value(t, p), 1e-6);
                Assert.Null(values.StandardError(t, p));
            }
        }
    }

    [Fact]
    public void Skipping_identical_rows_scores_fewer_rows_and_changes_no_value()
    {
        var (x, reference) = Data(seed: 2, referenceRows: 8);
        // Half the reference rows share the patient's values on players A and E.
        for (var r = 0; r < 4; r++)
        {
            reference[r].Clinical[0] = x.Clinical[0];
            reference[r].Clinical[1] = x.Clinical[1];
            reference[r].Genomic[1] = x.Genomic[1];
            reference[r].Genomic[2] = x.Genomic[2];
        }

        var skipping = new FunctionScorer(C, G, T, Nonlinear);
        var all = new FunctionScorer(C, G, T, Nonlinear);
        var fast = new ShapleyEngine(skipping, Sample(reference)).Compute(x, Players, [0, 1, 2]);
        var full = new ShapleyEngine(all, Sample(reference), new ShapleyOptions { SkipIdenticalRows = false }).Compute(x, Players, [0, 1, 2]);

        Assert.True(skipping.RowsScored < all.RowsScored, $"{skipping.RowsScored} vs {all.RowsScored}");
        Assert.Equal(((8 * 63) + 1) * T, all.RowsScored);
        for (var t = 0; t < T; t++)
        {
            for (var p = 0; p < Players.Length; p++)
            {
                Assert.Equal(full.Value(t, p), fast.Value(t, p), 1e-12);
            }
        }
    }

    [Fact]
    public void Rows_go_to_the_scorer_in_bounded_runs_with_the_same_result()
    {
        var (x, reference) = Data(seed: 3, referenceRows: 5);
        var small = new FunctionScorer(C, G, T, Nonlinear);
        var chunked = new ShapleyEngine(small, Sample(reference), new ShapleyOptions { MaxRowsPerRun = 10 }).Compute(x, Players, [0, 1, 2]);
        var whole = new ShapleyEngine(new FunctionScorer(C, G, T, Nonlinear), Sample(reference)).Compute(x, Players, [0, 1, 2]);

        Assert.True(small.Calls > 10);
        Assert.Equal(small.RowsScored, chunked.RowsScored);
        for (var p = 0; p < Players.Length; p++)
        {
            Assert.Equal(whole.Value(2, p), chunked.Value(2, p), 1e-12);
        }
    }

    [Fact]
    public void Contributions_sum_to_prediction_minus_baseline_and_the_ends_are_the_model_itself()
    {
        var (x, reference) = Data(seed: 4, referenceRows: 7);
        var values = new ShapleyEngine(new FunctionScorer(C, G, T, Nonlinear), Sample(reference)).Compute(x, Players, [2, 0]);

        for (var t = 0; t < 2; t++)
        {
            var therapy = t == 0 ? 2 : 0;
            var sum = Enumerable.Range(0, Players.Length).Sum(p => values.Value(t, p));
            Assert.Equal(values.Prediction(t) - values.Baseline(t), sum, 1e-9);
            Assert.Equal(Nonlinear(x.Clinical, x.Genomic, therapy), values.Prediction(t), 1e-7);
            Assert.Equal(reference.Average(r => (double)Nonlinear(r.Clinical, r.Genomic, therapy)), values.Baseline(t), 1e-7);
        }
    }

    [Fact]
    public void Two_players_with_identical_effects_get_equal_values_and_a_player_without_effect_gets_zero()
    {
        // f depends on c0 + c1 symmetrically; c2 (player "dummy") is ignored; c3 carries the rest.
        static float Symmetric(float[] c, float[] g, int therapy) => (float)Math.Tanh((c[0] + c[1]) * (1 + c[3])) + (therapy * 0.1f * c[3]);
        var players = new[] { Player("left", [0], []), Player("right", [1], []), Player("dummy", [2], []), Player("rest", [3, 4, 5], [0, 1, 2, 3]) };
        var random = new Random(5);
        var x = new PatientFeatures([0.7f, 0.7f, 3f, 0.4f, 0f, 0f], new float[G]);
        var reference = new List<PatientFeatures>();
        for (var r = 0; r < 6; r++)
        {
            float a = random.NextSingle(), b = random.NextSingle(), d = random.NextSingle(), e = random.NextSingle();
            // The reference sample is symmetric in c0 and c1: each row with its swapped twin.
            reference.Add(new PatientFeatures([a, b, d, e, 0, 0], new float[G]));
            reference.Add(new PatientFeatures([b, a, d, e, 0, 0], new float[G]));
        }

        var values = new ShapleyEngine(new FunctionScorer(C, G, T, Symmetric), Sample(reference)).Compute(x, players, [0, 1, 2]);

        for (var t = 0; t < T; t++)
        {
            Assert.Equal(values.Value(t, 0), values.Value(t, 1), 1e-7);
            Assert.NotEqual(0, values.Value(t, 0), 3);
            Assert.Equal(0, values.Value(t, 2), 1e-12);
        }
    }

    [Fact]
    public void Permutation_sampling_reports_standard_errors_keeps_efficiency_and_lands_within_three_of_them_of_the_exact_values()
    {
        var (x, reference) = Data(seed: 6, referenceRows: 12);
        var players = Enumerable.Range(0, C).Select(i => Player("c" + i, [i], [])).Concat(Enumerable.Range(0, G).Select(i => Player("g" + i, [], [i]))).ToArray();
        var exact = new ShapleyEngine(new FunctionScorer(C, G, T, Nonlinear), Sample(reference)).Compute(x, players, [0, 1, 2]);
        var sampled = new ShapleyEngine(new FunctionScorer(C, G, T, Nonlinear), Sample(reference), new ShapleyOptions { MaxExactPlayers = 8, Permutations = 200 })
            .Compute(x, players, [0, 1, 2]);

        Assert.Equal(ShapleyMethod.Exact, exact.Method);
        Assert.Equal(ShapleyMethod.PermutationSampling, sampled.Method);
        Assert.Equal(200, sampled.Permutations);
        for (var t = 0; t < T; t++)
        {
            Assert.Equal(exact.Baseline(t), sampled.Baseline(t), 1e-12);
            Assert.Equal(exact.Prediction(t), sampled.Prediction(t), 1e-12);
            Assert.Equal(sampled.Prediction(t) - sampled.Baseline(t), Enumerable.Range(0, players.Length).Sum(p => sampled.Value(t, p)), 1e-9);
            for (var p = 0; p < players.Length; p++)
            {
                var se = sampled.StandardError(t, p)!.Value;
                Assert.True(se >= 0);
                Assert.True(Math.Abs(sampled.Value(t, p) - exact.Value(t, p)) <= (3 * se) + 1e-9,
                    $"therapy {t}, {players[p].Name}: sampled {sampled.Value(t, p):F5} ± {se:F5}, exact {exact.Value(t, p):F5}");
            }
        }

        Assert.Contains(Enumerable.Range(0, players.Length), p => sampled.StandardError(0, p) > 0);
    }

    [Fact]
    public void Players_must_partition_the_features()
    {
        var (x, reference) = Data(seed: 7, referenceRows: 2);
        var engine = new ShapleyEngine(new FunctionScorer(C, G, T, Nonlinear), Sample(reference));

        var overlap = Assert.Throws<ArgumentException>(() => engine.Compute(x, [.. Players, Player("again", [0], [])], [0]));
        Assert.Contains("must not overlap", overlap.Message, StringComparison.Ordinal);
        var gap = Assert.Throws<ArgumentException>(() => engine.Compute(x, Players[1..], [0]));
        Assert.Contains("belongs to no player", gap.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => engine.Compute(x, Players, [T]));
    }

    private static ExplanationPlayer Player(string name, int[] clinical, int[] genomic) =>
        new(name, PlayerKind.OtherFacts, clinical, genomic, [new SourceReference("Observation", name)]);

    private static ReferenceSample Sample(IReadOnlyList<PatientFeatures> rows) => ReferenceSample.Create(rows, "test rows");

    private static (PatientFeatures X, List<PatientFeatures> Reference) Data(int seed, int referenceRows)
    {
        var random = new Random(seed);
        PatientFeatures Row() => new([.. Enumerable.Range(0, C).Select(_ => (random.NextSingle() * 2) - 1)], [.. Enumerable.Range(0, G).Select(_ => random.NextSingle())]);
        return (Row(), [.. Enumerable.Range(0, referenceRows).Select(_ => Row())]);
    }
}
