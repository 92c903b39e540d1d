using Precision.Clinical.Catalog;
using Precision.Cohort;
using Precision.Inference.Features;
using Precision.Training.Baselines;
using Precision.Training.Data;

namespace Precision.Training.Tests;

/// <summary>The baselines on a small generated cohort read through the portal's mapper and featurizer.</summary>
public sealed class BaselineEvaluationTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "precision-baselines-" + Guid.NewGuid().ToString("N"));
    private readonly TherapyCatalog _catalog = TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault(AppContext.BaseDirectory));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task Rows_are_split_by_patient_and_the_oracle_beats_both_baselines_which_beat_chance()
    {
        new CohortGenerator(_catalog).Generate(new CohortOptions { PatientCount = 1500, Seed = 11, WriteBundles = false }, _directory);

        var dataset = await CohortDataset.LoadAsync(_directory, _catalog, splitSeed: 3);
        var metrics = BaselineEvaluation.Run(dataset);

        Assert.True(dataset.Examples.Count > 1500, $"{dataset.Examples.Count} examples");
        Assert.All(dataset.Examples.GroupBy(e => e.Example.PatientId), g => Assert.Single(g.Select(e => e.Split).Distinct()));
        Assert.All(dataset.Examples, e => Assert.NotNull(e.TrueProbability));
        var rule = metrics.Single(m => m.Predictor.StartsWith("Biomarker-rule", StringComparison.Ordinal));
        var regression = metrics.Single(m => m.Predictor == "Logistic regression");
        var oracle = metrics.Single(m => m.Predictor.StartsWith("Oracle", StringComparison.Ordinal));
        Assert.InRange(rule.Auroc, 0.6, 1.0);
        Assert.InRange(regression.Auroc, 0.6, 1.0);
        Assert.True(oracle.Auroc >= Math.Max(rule.Auroc, regression.Auroc) - 0.01, string.Join("; ", metrics));
        Console.WriteLine(string.Join(Environment.NewLine, metrics));
    }

    [Fact]
    public void Logistic_regression_recovers_a_linear_rule_and_refuses_mismatched_inputs()
    {
        var random = new Random(5);
        var inputs = Enumerable.Range(0, 2000).Select(_ => new[] { (float)random.NextDouble(), (float)random.NextDouble() }).ToList();
        var outcomes = inputs.Select(x => random.NextDouble() < 1 / (1 + Math.Exp(-(4 * x[0] - 4 * x[1])))).ToList();

        var model = LogisticRegression.Fit(inputs, outcomes, iterations: 2000, learningRate: 2);

        Assert.InRange(model.Weights[0], 2.5, 5.5);
        Assert.InRange(model.Weights[1], -5.5, -2.5);
        Assert.True(model.Predict([1, 0]) > 0.9);
        Assert.Throws<ArgumentException>(() => model.Predict([1, 0, 0]));
        Assert.Throws<ArgumentException>(() => LogisticRegression.Fit([[1f]], [true, false]));
    }

    [Fact]
    public async Task A_missing_cohort_is_a_clear_error()
    {
        var error = await Assert.ThrowsAsync<DirectoryNotFoundException>(() => CohortDataset.LoadAsync(_directory, _catalog, 1));
        Assert.Contains("precision-cohort", error.Message, StringComparison.Ordinal);
    }
}

public sealed class CohortDatasetBadInputTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "precision-bad-cohort-" + Guid.NewGuid().ToString("N"));
    private readonly TherapyCatalog _catalog = TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault(AppContext.BaseDirectory));

    public CohortDatasetBadInputTests() =>
        new CohortGenerator(_catalog).Generate(new CohortOptions { PatientCount = 40, Seed = 2, WriteBundles = false }, _directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_cohort_made_with_another_catalog_is_refused_because_the_feature_schema_would_not_match()
    {
        var manifest = Path.Combine(_directory, "manifest.json");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace($"\"catalogVersion\": \"{_catalog.CatalogVersion}\"", "\"catalogVersion\": \"0.9.0\"", StringComparison.Ordinal));

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => CohortDataset.LoadAsync(_directory, _catalog, 1));
        Assert.Contains("catalog 0.9.0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_corrupt_ndjson_line_or_truth_line_is_refused_with_where_it_is()
    {
        File.AppendAllText(Path.Combine(_directory, "ndjson", "Observation.ndjson"), "{ not json\n");
        var corrupt = await Assert.ThrowsAsync<InvalidDataException>(() => CohortDataset.LoadAsync(_directory, _catalog, 1));
        Assert.Contains("Observation.ndjson:", corrupt.Message, StringComparison.Ordinal);

        var lines = File.ReadAllLines(Path.Combine(_directory, "ndjson", "Observation.ndjson"));
        File.WriteAllLines(Path.Combine(_directory, "ndjson", "Observation.ndjson"), lines[..^1]);
        File.AppendAllText(Path.Combine(_directory, "truth", "true-response-probabilities.csv"), "pat-000001,osimertinib,x,not-a-number,0,1,\n");
        var truth = await Assert.ThrowsAsync<InvalidDataException>(() => CohortDataset.LoadAsync(_directory, _catalog, 1));
        Assert.Contains("truth file", truth.Message, StringComparison.Ordinal);
    }
}
