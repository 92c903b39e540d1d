using System.Text.Json.Nodes;
using Precision.Clinical.Catalog;
using Precision.Cohort;
using Precision.Inference.Evaluation;
using Precision.Inference.Evidence;
using Precision.Inference.Features;
using Precision.Inference.Runtime;
using Precision.Training.Baselines;
using Precision.Training.Data;
using Precision.Training.Evaluation;

namespace Precision.Training.Tests;

/// <summary>A small generated cohort the committed model never saw, shared by the evaluation tests.</summary>
public sealed class ExternalCohortFixture : IDisposable
{
    public ExternalCohortFixture()
    {
        Catalog = TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault(AppContext.BaseDirectory));
        new CohortGenerator(Catalog).Generate(new CohortOptions { PatientCount = 500, Seed = 31, WriteBundles = false }, Path);
    }

    public TherapyCatalog Catalog { get; }

    private readonly TempDirectory _directory = new();

    public string Path => _directory.Path;

    /// <summary>The committed model version folder the portal serves by default.</summary>
    public static string CommittedModel => System.IO.Path.Combine(RepositoryRoot(), "models", "efficacy", CommittedVersion);

    public const string CommittedVersion = "2.0.0";

    public static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(System.IO.Path.Combine(directory.FullName, "Precision.Portal.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Run the tests inside the repository.");
    }

    public void Dispose() => _directory.Dispose();
}

public sealed class ModelEvaluationTests(ExternalCohortFixture cohort) : IClassFixture<ExternalCohortFixture>
{
    [Fact]
    public async Task Evaluate_on_an_external_cohort_reports_the_metrics_the_portals_predictor_gives_patient_by_patient()
    {
        using var output = new TempDirectory();
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = TrainingCli.Run(["evaluate", "--model", ExternalCohortFixture.CommittedModel, "--cohort", cohort.Path, "--out", output.Path], stdout, stderr);

        Assert.True(code == 0, stderr.ToString());
        var document = ModelEvaluationDocument.Read(output.File(ModelEvaluationDocument.FileName));
        var evaluation = Assert.Single(document.Cohorts);
        Assert.Equal(CohortSelection.AllPatients, evaluation.Selection);
        Assert.Equal(31, evaluation.CohortSeed);
        var served = evaluation.Predictors[0];
        Assert.Equal(PredictorKind.Model, served.Kind);
        Assert.Contains(evaluation.Predictors, p => p.Kind == PredictorKind.Oracle);
        Assert.Contains(evaluation.Notes, n => n.Contains("--training-cohort", StringComparison.Ordinal));
        Assert.Equal("first_line_probability", evaluation.TruthColumn);

        // Directly: every row through the portal's own per-patient path (EfficacyPredictor.PredictAtLineStart) on the committed bytes.
        var featurizer = new PatientFeaturizer(cohort.Catalog);
        var check = new ModelRegistry(Path.GetDirectoryName(ExternalCohortFixture.CommittedModel)!, featurizer.Schema).Verify(ExternalCohortFixture.CommittedVersion);
        using var runtime = EfficacyModelRuntime.Start(check.Model!, new EfficacyModelOptions { ExecutionProvider = ExecutionProviderPreference.Cpu }).Runtime!;
        var predictor = new EfficacyPredictor(runtime, featurizer, new CatalogEvidence(cohort.Catalog));
        var dataset = await CohortDataset.LoadAsync(cohort.Path, cohort.Catalog, splitSeed: 1);
        var predicted = new List<double>();
        foreach (var row in dataset.Examples)
        {
            var line = row.Profile.TherapyLines.Single(l => l.LineNumber == row.Example.LineNumber);
            predicted.Add(predictor.PredictAtLineStart(row.Profile, line).Prediction!.Therapies.Single(t => t.TherapyId == row.Example.TherapyId).Probability);
        }

        var outcomes = dataset.Examples.Select(e => e.Example.Responded).ToList();
        Assert.Equal(check.Model!.OnnxSha256, document.OnnxSha256);
        Assert.Equal(dataset.Examples.Count, served.Examples);
        Assert.Equal(dataset.Examples.Select(e => e.Example.PatientId).Distinct().Count(), evaluation.Patients);
        Assert.Equal(BinaryClassificationMetrics.Auroc(predicted, outcomes), served.Auroc!.Value, 6);
        Assert.Equal(BinaryClassificationMetrics.AveragePrecision(predicted, outcomes), served.AveragePrecision!.Value, 6);
        // ONNX Runtime rounds a float differently in a 22-row batch than in the evaluation's larger ones (about 1e-9 here).
        Assert.Equal(BinaryClassificationMetrics.Brier(predicted, outcomes), served.Brier, 6);
        Assert.Equal(BinaryClassificationMetrics.ExpectedCalibrationError(predicted, outcomes), served.ExpectedCalibrationError, 6);
        Assert.Equal(BinaryClassificationMetrics.CalibrationCurve(predicted, outcomes).Select(b => b.Count), evaluation.Calibration.Select(b => b.Count));
        var oracle = evaluation.Predictors.Single(p => p.Kind == PredictorKind.Oracle);
        Assert.Equal(BinaryClassificationMetrics.Auroc([.. dataset.Examples.Select(e => e.TrueProbability!.Value)], outcomes), oracle.Auroc!.Value, 9);
        Assert.InRange(served.Auroc!.Value, 0.65, 1.0);
        Assert.Equal(8, served.SubgroupGaps.Count);
        Assert.Contains(served.Subgroups, g => g.Dimension == "Earlier use of this therapy" && g.Group == "First use");
        Assert.Contains(served.Subgroups, g => g.Dimension == "Line of therapy" && g.Group == "Third line or later");
        Assert.All(served.Subgroups.Where(s => s.Auroc is not null), s => Assert.NotNull(s.OracleAuroc));
        Assert.NotNull(served.Truth);
        Assert.InRange(served.Truth!.MeanPatientRankCorrelation!.Value, 0.5, 1.0);
        Assert.Equal(dataset.Examples.Select(e => e.Example.PatientId).Distinct().Count() * featurizer.Schema.TherapyIds.Count, served.Truth.Pairs);

        // The JSON round-trips through the one typed definition, and the Markdown says the same.
        var json = File.ReadAllText(output.File(ModelEvaluationDocument.FileName)).TrimEnd();
        Assert.Equal(json, document.ToJson());
        var markdown = File.ReadAllText(output.File(ModelEvaluationDocument.MarkdownFileName));
        Assert.Contains(EvaluationMarkdown.F(served.Auroc), markdown, StringComparison.Ordinal);
        Assert.Contains("## External cohort", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_first_line_truth_is_read_by_column_name_and_used_for_the_comparison_with_the_truth()
    {
        using var copy = new TempDirectory();
        CopyDirectory(cohort.Path, copy.Path);
        var truthPath = Path.Combine(copy.Path, "truth", "true-response-probabilities.csv");
        var lines = File.ReadAllLines(truthPath);
        // Read by name, wherever the column is: p_true renamed, first_line_probability moved to the front with a value the other column never holds.
        var header = lines[0].Split(',').ToList();
        var column = header.IndexOf("first_line_probability");
        Assert.True(column >= 0, "the generator writes first_line_probability");
        string Moved(string line)
        {
            var fields = line.Split(',').ToList();
            fields.RemoveAt(column);
            return "0.123400," + string.Join(',', fields);
        }

        header.RemoveAt(column);
        var rewritten = new[] { "first_line_probability," + string.Join(',', header).Replace("p_true", "true_probability", StringComparison.Ordinal) }
            .Concat(lines.Skip(1).Select(Moved));
        File.WriteAllLines(truthPath, rewritten);

        var dataset = await CohortDataset.LoadAsync(copy.Path, cohort.Catalog, splitSeed: 1);

        Assert.Equal("first_line_probability", dataset.FirstLineTruthColumn);
        Assert.All(dataset.FirstLineTruth.Values, p => Assert.Equal(0.1234, p, 9));
        Assert.Contains(dataset.Truth.Values, p => Math.Abs(p - 0.1234) > 1e-6);
        // A row takes the truth of its own line: a first use the (patient, therapy) value, a re-challenge its own line's.
        bool FirstUse(LabelledExample e) => !e.Profile.TherapyLines.Any(l => l.LineNumber < e.Example.LineNumber && l.CatalogTherapyId == e.Example.TherapyId);
        Assert.All(dataset.Examples.Where(FirstUse), e => Assert.Equal(dataset.Truth[(e.Example.PatientId, e.Example.TherapyId)], e.TrueProbability));
        Assert.Contains(dataset.Examples, e => !FirstUse(e) && e.TrueProbability != dataset.Truth[(e.Example.PatientId, e.Example.TherapyId)]);
        var evaluation = ModelEvaluator.Evaluate(dataset, CohortSelection.AllPatients, "copy", "copy", new ConstantPredictor(0.3), [], []);
        Assert.Equal("first_line_probability", evaluation.TruthColumn);
        Assert.DoesNotContain(evaluation.Notes, n => n.Contains("first_line_probability column", StringComparison.Ordinal));
        Assert.Equal(0.3 - 0.1234, evaluation.Predictors[0].Truth!.MeanAbsoluteErrorToTruth!.Value, 6);
    }

    [Fact]
    public async Task LightGBM_beats_chance_on_a_small_cohort_and_the_same_seed_gives_the_same_trees()
    {
        var dataset = await CohortDataset.LoadAsync(cohort.Path, cohort.Catalog, splitSeed: 3);
        var test = dataset.Examples.Where(e => e.Split == DataSplit.Test).ToList();
        var rows = test.Select(e => ScoringRow.Of(e)).ToList();
        var outcomes = test.Select(e => e.Example.Responded).ToList();

        double Auroc() => BinaryClassificationMetrics.Auroc(
            PeerPredictors.Fit(dataset).Single(p => p.Name == PeerPredictors.GradientBoostedTreesName).Predict(rows), outcomes);

        var first = Auroc();
        var second = Auroc();
        Console.WriteLine($"LightGBM on {test.Count} test rows of a 500-patient cohort: AUROC {first:0.000}");
        Assert.InRange(first, 0.6, 1.0);
        Assert.Equal(first, second, 12);
    }

    [Fact]
    public void Gradient_boosted_trees_refuse_inputs_they_cannot_learn_from()
    {
        Assert.Throws<ArgumentException>(() => GradientBoostedTrees.Fit([[1f], [2f]], [true, true], null, null));
        Assert.Throws<ArgumentException>(() => GradientBoostedTrees.Fit([[1f], [2f, 3f]], [true, false], null, null));
        Assert.Throws<ArgumentException>(() => GradientBoostedTrees.Fit([[1f]], [true, false], null, null));
    }

    private static void CopyDirectory(string source, string target)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
    }

    private sealed class ConstantPredictor(double value) : IResponsePredictor
    {
        public string Name => "constant";

        public PredictorKind Kind => PredictorKind.Model;

        public string Description => "constant";

        public double[] Predict(IReadOnlyList<ScoringRow> rows) => [.. rows.Select(_ => value)];
    }
}

/// <summary>Train writes a model, its manifest records the split, and evaluate on the training cohort scores only the test split.</summary>
public sealed class TrainingCohortEvaluationTests
{
    [Fact]
    public async Task Evaluate_on_the_training_cohort_uses_the_recorded_split_and_only_test_patients_and_agrees_with_train()
    {
        var catalog = TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault(AppContext.BaseDirectory));
        using var cohortDirectory = new TempDirectory();
        using var models = new TempDirectory();
        using var output = new TempDirectory();
        new CohortGenerator(catalog).Generate(new CohortOptions { PatientCount = 600, Seed = 17, WriteBundles = false }, cohortDirectory.Path);
        var modelFolder = models.File("0.0.1");
        using (var stdout = new StringWriter())
        using (var stderr = new StringWriter())
        {
            // A split seed other than the default: evaluate must read it from the manifest to find the same test patients.
            var trained = TrainingCli.Run(["train", "--cohort", cohortDirectory.Path, "--members", "1", "--epochs", "2", "--seed", "77", "--out", modelFolder, "--version", "0.0.1"], stdout, stderr);
            Assert.True(trained == 0, stderr.ToString() + stdout);
            Assert.Contains("Ensemble vs LightGBM", stdout.ToString(), StringComparison.Ordinal);
        }

        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(modelFolder, "manifest.json")))!;
        Assert.Equal(77, manifest["training"]!["splitSeed"]!.GetValue<long>());
        var card = File.ReadAllText(Path.Combine(modelFolder, "model-card.md"));
        Assert.Matches("The ensemble (beats|does \\*\\*not\\*\\* beat) LightGBM", card);
        var fromTrain = ModelEvaluationDocument.Read(Path.Combine(modelFolder, ModelEvaluationDocument.FileName));

        int code;
        using (var stdout = new StringWriter())
        using (var stderr = new StringWriter())
        {
            code = TrainingCli.Run(["evaluate", "--model", modelFolder, "--cohort", cohortDirectory.Path, "--out", output.Path], stdout, stderr);
            Assert.True(code == 0, stderr.ToString());
        }

        var document = ModelEvaluationDocument.Read(output.File(ModelEvaluationDocument.FileName));
        var evaluation = Assert.Single(document.Cohorts);
        Assert.Equal(CohortSelection.TestSplit, evaluation.Selection);
        Assert.Equal(77, evaluation.SplitSeed);
        var dataset = await CohortDataset.LoadAsync(cohortDirectory.Path, catalog, splitSeed: 77);
        var split = new PatientSplit(77);
        var testPatients = dataset.Examples.Select(e => e.Example.PatientId).Distinct().Where(p => split.Of(p) == DataSplit.Test).ToHashSet();
        var trainPatients = dataset.Examples.Select(e => e.Example.PatientId).Distinct().Where(p => split.Of(p) == DataSplit.Train).ToHashSet();
        var scored = ModelEvaluator.Rows(dataset, CohortSelection.TestSplit).Select(e => e.Example.PatientId).ToHashSet();
        Assert.Equal(testPatients.Count, evaluation.Patients);
        Assert.True(evaluation.Patients < dataset.Examples.Select(e => e.Example.PatientId).Distinct().Count() / 3, $"{evaluation.Patients} patients scored");
        Assert.Equal(dataset.Examples.Count(e => testPatients.Contains(e.Example.PatientId)), evaluation.Examples);
        Assert.Subset(testPatients, scored);
        Assert.Empty(scored.Intersect(trainPatients));
        Assert.All(evaluation.Predictors, p => Assert.Equal(evaluation.Examples, p.Examples));
        Assert.Contains(evaluation.Predictors, p => p.Name == PeerPredictors.GradientBoostedTreesName);
        Assert.Contains(evaluation.Predictors, p => p.Name == PeerPredictors.LogisticRegressionName);

        // train's report is this evaluation: same bytes, same rows, same numbers.
        Assert.Equal(fromTrain.OnnxSha256, document.OnnxSha256);
        var trainModel = fromTrain.Cohorts[0].Predictors[0];
        Assert.Equal(trainModel.Auroc, evaluation.Predictors[0].Auroc);
        Assert.Equal(trainModel.Brier, evaluation.Predictors[0].Brier);
        Assert.Equal(fromTrain.Cohorts[0].Predictors.Select(p => p.Auroc), evaluation.Predictors.Select(p => p.Auroc));
    }
}

public sealed class EvaluateCommandTests
{
    [Theory]
    [InlineData(2, "--model DIR is required")]
    [InlineData(2, "--model DIR is required", "--cohort", "/tmp")]
    [InlineData(2, "--cohort DIR is required", "--model", "/tmp")]
    [InlineData(2, "needs a value", "--cohort", "/tmp", "--model")]
    [InlineData(2, "needs a value", "--model", "--cohort", "/tmp")]
    [InlineData(2, "not an option of evaluate", "--model", "/tmp", "--cohort", "/tmp", "--members", "2")]
    [InlineData(1, "does not exist", "--model", "/no/such/models/1.1.0", "--cohort", "/tmp")]
    public void Bad_evaluate_arguments_get_a_clear_message_and_exit_code(int exitCode, string message, params string[] arguments)
    {
        var (code, error) = Evaluate(arguments);

        Assert.Equal(exitCode, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_folder_without_model_onnx_is_refused_by_name()
    {
        using var models = new TempDirectory();
        var folder = models.File(ExternalCohortFixture.CommittedVersion);
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(ExternalCohortFixture.CommittedModel, "manifest.json"), Path.Combine(folder, "manifest.json"));

        var (code, error) = Evaluate(["--model", folder, "--cohort", "/tmp"]);

        Assert.Equal(1, code);
        Assert.Contains("has no model.onnx", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_changed_model_onnx_is_refused_with_the_registrys_reason_and_a_missing_cohort_is_named()
    {
        using var models = new TempDirectory();
        var folder = models.File(ExternalCohortFixture.CommittedVersion);
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.EnumerateFiles(ExternalCohortFixture.CommittedModel))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }

        var (missingCohort, cohortError) = Evaluate(["--model", folder, "--cohort", "/no/such/cohort"]);
        var onnx = Path.Combine(folder, "model.onnx");
        var bytes = File.ReadAllBytes(onnx);
        bytes[1000] ^= 0x01;
        File.WriteAllBytes(onnx, bytes);
        var (changedModel, modelError) = Evaluate(["--model", folder, "--cohort", "/no/such/cohort"]);

        Assert.Equal(1, missingCohort);
        Assert.Contains("No cohort at /no/such/cohort", cohortError, StringComparison.Ordinal);
        Assert.Equal(1, changedModel);
        Assert.Contains("refused by the portal's model registry", modelError, StringComparison.Ordinal);
        Assert.Contains("SHA-256", modelError, StringComparison.Ordinal);
    }

    private static (int Code, string Error) Evaluate(string[] arguments)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = TrainingCli.Run(["evaluate", .. arguments], stdout, stderr);
        return (code, stderr.ToString());
    }
}
