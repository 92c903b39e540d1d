using System.Globalization;
using Precision.Clinical.Catalog;
using Precision.Inference.Evaluation;
using Precision.Inference.Features;
using Precision.Training.Evaluation;
using Precision.Training.Data;
using Precision.Training.Model;

namespace Precision.Training;

/// <summary><c>precision-train train</c>: train the ensemble on a cohort and compare it with the baselines on held-out patients.</summary>
internal static class TrainCommand
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        string? cohort = null;
        string? output = null;
        string? externalCohort = null;
        var version = "1.0.0";
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
                case "--out":
                    output = value;
                    break;
                case "--external-cohort":
                    externalCohort = value;
                    break;
                case "--version" when System.Text.RegularExpressions.Regex.IsMatch(value, @"^\d+\.\d+\.\d+$"):
                    version = value;
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
                case "--patience" when int.TryParse(value, CultureInfo.InvariantCulture, out var patience) && patience is >= 1 and <= 1000:
                    options = options with { Patience = patience };
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
            // Read before training, so a wrong path fails in seconds rather than after the whole run.
            var external = externalCohort is null ? null : CohortDataset.LoadAsync(externalCohort, catalog, options.Seed).GetAwaiter().GetResult();
            using var ensemble = EnsembleTrainer.Train(dataset, options, new Progress(stdout));
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"temperature {ensemble.Temperature:0.000} (fitted on validation)"));
            // The evaluation scores the written model.onnx in ONNX Runtime, as evaluate and the portal do.
            var evaluation = ModelArtifacts.Write(output, version, DateOnly.FromDateTime(DateTime.UtcNow), ensemble, dataset, cohort, options, external);
            var test = evaluation.TestSplit!;
            stdout.WriteLine($"held-out test patients ({test.Patients} patients, {test.Examples} rows; ONNX SHA-256 {evaluation.OnnxSha256[..12]}…):");
            WritePredictors(stdout, test);

            stdout.WriteLine(EvaluationMarkdown.ComparisonWithTrees(test).Replace("**", string.Empty, StringComparison.Ordinal));
            if (test.Predictors[0].Truth is { } truth)
            {
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"against the truth (first line, {truth.Pairs} patient × therapy pairs): MAE {EvaluationMarkdown.F(truth.MeanAbsoluteErrorToTruth)}, calibration error {EvaluationMarkdown.F(truth.CalibrationErrorToTruth)}, mean per-patient rank correlation {EvaluationMarkdown.F(truth.MeanPatientRankCorrelation)} ({truth.PatientsRanked} patients)"));
                var outside = truth.BiomarkerGroups.Where(g => Math.Abs(g.DifferencePoints) > 5).ToList();
                var outsideText = string.Join(", ", outside.Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.ContextId}/{g.TherapyId} {EvaluationMarkdown.Points(g.DifferencePoints)}")));
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"biomarker groups within ±5 points of the encoded (published) rate: {truth.BiomarkerGroups.Count - outside.Count} of {truth.BiomarkerGroups.Count}{(outside.Count == 0 ? string.Empty : "; outside: " + outsideText)}; of the group's mean true probability: {truth.BiomarkerGroups.Count(g => Math.Abs(g.DifferenceFromTruthPoints) <= 5)} of {truth.BiomarkerGroups.Count}"));
            }

            if (evaluation.External is { } externalResult)
            {
                stdout.WriteLine($"external cohort ({externalResult.Name}: {externalResult.Patients} patients, {externalResult.Examples} rows):");
                WritePredictors(stdout, externalResult);
            }

            foreach (var note in test.Notes)
            {
                stdout.WriteLine("note: " + note);
            }

            if (output is not null)
            {
                stdout.WriteLine($"model {version} written to {output} (model.onnx, manifest.json, reference-population.json, evaluation.json, evaluation.md, model-card.md, calibration.svg)");
            }

            return 0;
        }
        catch (Exception e) when (e is DirectoryNotFoundException or InvalidDataException or InvalidOperationException or FileNotFoundException)
        {
            stderr.WriteLine("error: " + e.Message);
            return 1;
        }
    }

    /// <summary>One line per predictor of a cohort's evaluation (train and evaluate print the same).</summary>
    internal static void WritePredictors(TextWriter stdout, CohortEvaluation cohort)
    {
        foreach (var metrics in cohort.Predictors)
        {
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {metrics.Name,-52} AUROC {EvaluationMarkdown.F(metrics.Auroc)}  AUPRC {EvaluationMarkdown.F(metrics.AveragePrecision)}  Brier {EvaluationMarkdown.F(metrics.Brier)}  ECE {EvaluationMarkdown.F(metrics.ExpectedCalibrationError)}  (n={metrics.Examples})"));
        }
    }

    private sealed class Progress(TextWriter stdout) : IProgress<EpochProgress>
    {
        public void Report(EpochProgress value) => stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"member {value.Member} epoch {value.Epoch,3}: train loss {value.TrainLoss:0.0000}  validation loss {value.ValidationLoss:0.0000}  validation AUROC {value.ValidationAuroc:0.000}"));
    }
}
