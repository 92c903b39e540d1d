using Precision.Clinical.Catalog;
using Precision.Cohort;
using Precision.Inference.Evaluation;
using Precision.Inference.Features;
using Precision.Training.Data;
using Precision.Training.Model;

namespace Precision.Training.Tests;

/// <summary>Smoke training of the efficacy ensemble on a small generated cohort (the full training is not part of the tests).</summary>
public sealed class EnsembleTrainerTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "precision-ensemble-" + Guid.NewGuid().ToString("N"));
    private readonly TherapyCatalog _catalog = TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault(AppContext.BaseDirectory));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_small_ensemble_learns_above_chance_calibrates_and_is_reproducible_with_the_same_seed()
    {
        new CohortGenerator(_catalog).Generate(new CohortOptions { PatientCount = 1500, Seed = 11, WriteBundles = false }, _directory);
        var dataset = await CohortDataset.LoadAsync(_directory, _catalog, splitSeed: 3);
        var options = new EnsembleTrainingOptions { Members = 2, Epochs = 25, Seed = 5 };
        var epochs = new List<EpochProgress>();

        using var first = EnsembleTrainer.Train(dataset, options, new SynchronousProgress(epochs.Add));
        using var second = EnsembleTrainer.Train(dataset, options);

        var (auroc, ece, perMember) = Score(first, dataset);
        var (aurocAgain, _, _) = Score(second, dataset);
        Console.WriteLine($"Ensemble (2 members, 25 epochs): test AUROC {auroc:0.000}, ECE {ece:0.000}, temperature {first.Temperature:0.00}");
        Assert.InRange(auroc, 0.65, 1.0);
        Assert.InRange(ece, 0, 0.12);
        Assert.InRange(first.Temperature, 0.25, 4.0);
        Assert.Equal(auroc, aurocAgain, 6);
        Assert.All(perMember, p => Assert.Equal(2, p.Length));
        Assert.Contains(epochs, e => e.Member == 2);
        Assert.True(epochs.Where(e => e.Member == 1).Select(e => e.TrainLoss).Last() < epochs.First().TrainLoss, "Training loss fell.");
    }

    [Fact]
    public void Too_small_a_cohort_is_refused_with_a_clear_message()
    {
        new CohortGenerator(_catalog).Generate(new CohortOptions { PatientCount = 2, Seed = 1, WriteBundles = false }, _directory);
        var error = Assert.ThrowsAny<Exception>(() =>
        {
            var dataset = CohortDataset.LoadAsync(_directory, _catalog, splitSeed: 3).GetAwaiter().GetResult();
            using var ensemble = EnsembleTrainer.Train(dataset, new EnsembleTrainingOptions { Members = 1, Epochs = 1 });
        });
        Assert.Matches("bigger cohort|no assessed", error.Message);
    }

    private static (double Auroc, double Ece, double[][] PerMember) Score(TrainedEnsemble ensemble, CohortDataset dataset)
    {
        var test = dataset.Examples.Where(e => e.Split == DataSplit.Test).Select(e => e.Example).ToList();
        var schema = dataset.Featurizer.Schema;
        using var clinical = EnsembleTrainer.Batch.Matrix(test.Select(e => e.Features.Clinical), test.Count, schema.Clinical.Count);
        using var genomic = EnsembleTrainer.Batch.Matrix(test.Select(e => e.Features.Genomic), test.Count, schema.Genomic.Count);
        using var therapy = EnsembleTrainer.Batch.Matrix(test.Select(e => dataset.Featurizer.EncodeTherapy(e.TherapyId)), test.Count, schema.TherapyIds.Count);
        var (calibrated, perMember) = ensemble.Predict(clinical, genomic, therapy);
        var outcomes = test.Select(e => e.Responded).ToList();
        return (BinaryClassificationMetrics.Auroc(calibrated, outcomes), BinaryClassificationMetrics.ExpectedCalibrationError(calibrated, outcomes), perMember);
    }

    private sealed class SynchronousProgress(Action<EpochProgress> report) : IProgress<EpochProgress>
    {
        public void Report(EpochProgress value) => report(value);
    }
}

public sealed class TrainCommandTests
{
    [Theory]
    [InlineData(2, "--cohort DIR is required")]
    [InlineData(2, "not a known option", "--cohort", "x", "--members", "0")]
    [InlineData(2, "needs a value", "--cohort")]
    [InlineData(1, "No cohort at /no/such/cohort", "--cohort", "/no/such/cohort")]
    [InlineData(2, "not a known option or is out of range", "--cohort", "x", "--patience", "0")]
    public void Bad_train_arguments_get_a_clear_message_and_exit_code(int exitCode, string message, params string[] arguments)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = TrainingCli.Run(["train", .. arguments], stdout, stderr);

        Assert.Equal(exitCode, code);
        Assert.Contains(message, stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_external_cohort_is_named_before_any_training()
    {
        using var cohort = new TempDirectory();
        var catalog = Clinical.Catalog.TherapyCatalogLoader.Load(Clinical.Catalog.TherapyCatalogLoader.FindDefault(AppContext.BaseDirectory));
        new Cohort.CohortGenerator(catalog).Generate(new Cohort.CohortOptions { PatientCount = 40, Seed = 5, WriteBundles = false }, cohort.Path);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = TrainingCli.Run(["train", "--cohort", cohort.Path, "--external-cohort", "/no/such/external"], stdout, stderr);

        Assert.Equal(1, code);
        Assert.Contains("No cohort at /no/such/external", stderr.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("epoch", stdout.ToString(), StringComparison.Ordinal);
    }
}
