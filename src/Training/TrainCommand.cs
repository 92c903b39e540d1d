using System.Globalization;
using Precision.Clinical.Catalog;
using Precision.Inference.Evaluation;
using Precision.Inference.Features;
using Precision.Training.Baselines;
using Precision.Training.Data;
using Precision.Training.Model;

namespace Precision.Training;

/// <summary><c>precision-train train</c>: train the ensemble on a cohort and compare it with the baselines on held-out patients.</summary>
internal static class TrainCommand
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        string? cohort = null;
        var options = new EnsembleTrainingOptions();
        for (var i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length)
            {
                return TrainingCli.Fail(stderr, $"{args[i]} needs a value.", 2);
            }

            var value = args[i + 1];
            switch (args[i])
            {
                case "--cohort":
                    cohort = value;
                    break;
                case "--members" when int.TryParse(value, CultureInfo.InvariantCulture, out var members) && members is >= 1 and <= 20:
                    options = options with { Members = members };
                    break;
                case "--epochs" when int.TryParse(value, CultureInfo.InvariantCulture, out var epochs) && epochs is >= 1 and <= 1000:
                    options = options with { Epochs = epochs };
                    break;
                case "--seed" when long.TryParse(value, CultureInfo.InvariantCulture, out var seed):
                    options = options with { Seed = seed };
                    break;
                default:
                    return TrainingCli.Fail(stderr, $"'{args[i]} {value}' is not a known option or is out of range.", 2);
            }
        }

        if (cohort is null)
        {
            return TrainingCli.Fail(stderr, "--cohort DIR is required (a folder written by precision-cohort).", 2);
        }

        try
        {
            var catalog = TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault());
            var dataset = CohortDataset.LoadAsync(cohort, catalog, options.Seed).GetAwaiter().GetResult();
            var counts = dataset.Examples.GroupBy(e => e.Split).ToDictionary(g => g.Key, g => g.Count());
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{dataset.Examples.Count} examples: train {counts.GetValueOrDefault(DataSplit.Train)}, validation {counts.GetValueOrDefault(DataSplit.Validation)}, test {counts.GetValueOrDefault(DataSplit.Test)}; feature schema {dataset.Featurizer.Schema.Hash[..12]}"));
            using var ensemble = EnsembleTrainer.Train(dataset, options, new Progress(stdout));
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"temperature {ensemble.Temperature:0.000} (fitted on validation)"));
            stdout.WriteLine("held-out test patients:");
            foreach (var metrics in Compare(ensemble, dataset))
            {
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {metrics.Predictor,-48} AUROC {metrics.Auroc:0.000}  AUPRC {metrics.AveragePrecision:0.000}  Brier {metrics.Brier:0.000}  ECE {metrics.ExpectedCalibrationError:0.000}  (n={metrics.Examples})"));
            }

            return 0;
        }
        catch (Exception e) when (e is DirectoryNotFoundException or InvalidDataException or InvalidOperationException or FileNotFoundException)
        {
            stderr.WriteLine("error: " + e.Message);
            return 1;
        }
    }

    private static IEnumerable<PredictorMetrics> Compare(TrainedEnsemble ensemble, CohortDataset dataset)
    {
        var test = dataset.Examples.Where(e => e.Split == DataSplit.Test).Select(e => e.Example).ToList();
        var schema = dataset.Featurizer.Schema;
        using var clinical = EnsembleTrainer.Batch.Matrix(test.Select(e => e.Features.Clinical), test.Count, schema.Clinical.Count);
        using var genomic = EnsembleTrainer.Batch.Matrix(test.Select(e => e.Features.Genomic), test.Count, schema.Genomic.Count);
        using var therapy = EnsembleTrainer.Batch.Matrix(test.Select(e => dataset.Featurizer.EncodeTherapy(e.TherapyId)), test.Count, schema.TherapyIds.Count);
        var (calibrated, _) = ensemble.Predict(clinical, genomic, therapy);
        var outcomes = test.Select(e => e.Responded).ToList();
        yield return new PredictorMetrics($"Efficacy ensemble ({ensemble.Members.Count} members, calibrated)", test.Count,
            BinaryClassificationMetrics.Auroc(calibrated, outcomes), BinaryClassificationMetrics.AveragePrecision(calibrated, outcomes),
            BinaryClassificationMetrics.Brier(calibrated, outcomes), BinaryClassificationMetrics.ExpectedCalibrationError(calibrated, outcomes));
        foreach (var baseline in BaselineEvaluation.Run(dataset))
        {
            yield return baseline;
        }
    }

    private sealed class Progress(TextWriter stdout) : IProgress<EpochProgress>
    {
        public void Report(EpochProgress value) => stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"member {value.Member} epoch {value.Epoch,3}: train loss {value.TrainLoss:0.0000}  validation loss {value.ValidationLoss:0.0000}  validation AUROC {value.ValidationAuroc:0.000}"));
    }
}
