using System.Globalization;
using Precision.Clinical.Catalog;
using Precision.Inference.Evaluation;
using Precision.Inference.Evidence;
using Precision.Inference.Features;
using Precision.Inference.Runtime;
using Precision.Training.Data;
using Precision.Training.Evaluation;

namespace Precision.Training;

/// <summary><c>precision-train evaluate</c>: score a committed model as the portal serves it and compare it with its peers.</summary>
internal static class EvaluateCommand
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        string? modelFolder = null, cohort = null, trainingCohort = null, output = null;
        for (var i = 0; i < args.Length; i += 2)
        {
            if (args[i] is not ("--model" or "--cohort" or "--training-cohort" or "--out"))
            {
                return TrainingCli.Fail(stderr, $"'{args[i]}' is not an option of evaluate.", 2);
            }

            if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal) || string.IsNullOrWhiteSpace(args[i + 1]))
            {
                return TrainingCli.Fail(stderr, $"{args[i]} needs a value.", 2);
            }

            switch (args[i])
            {
                case "--model":
                    modelFolder = args[i + 1];
                    break;
                case "--cohort":
                    cohort = args[i + 1];
                    break;
                case "--training-cohort":
                    trainingCohort = args[i + 1];
                    break;
                default:
                    output = args[i + 1];
                    break;
            }
        }

        if (modelFolder is null)
        {
            return TrainingCli.Fail(stderr, "--model DIR is required (a model version folder such as models/efficacy/1.1.0).", 2);
        }

        if (cohort is null)
        {
            return TrainingCli.Fail(stderr, "--cohort DIR is required (a folder written by precision-cohort).", 2);
        }

        if (!Directory.Exists(modelFolder))
        {
            stderr.WriteLine($"error: the model folder {modelFolder} does not exist (expected a version folder such as models/efficacy/1.1.0).");
            return 1;
        }

        foreach (var file in new[] { ModelManifest.FileName, "model.onnx" })
        {
            if (!File.Exists(Path.Combine(modelFolder, file)))
            {
                stderr.WriteLine($"error: the model folder {modelFolder} has no {file}; evaluate scores the committed model.onnx its manifest.json describes (restore the folder from the repository or train it with precision-train train --out).");
                return 1;
            }
        }

        try
        {
            var catalog = TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault());
            var featurizer = new PatientFeaturizer(catalog);
            using var model = ServedModelPredictor.Open(modelFolder, featurizer, new CatalogEvidence(catalog));
            var split = model.Training.SplitSeed;
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"model {model.Model.Version} (ONNX SHA-256 {model.Model.OnnxSha256[..12]}…) verified; training cohort seed {model.Training.CohortSeed?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}, split seed {split}{(model.Training.SplitSeedRecorded ? string.Empty : " (not recorded; training default)")}"));
            // Rows in the model's own feature layout (an earlier model is evaluated on the features it was trained on).
            var layout = model.Model.Schema.Layout;
            var dataset = CohortDataset.LoadAsync(cohort, catalog, split, layout).GetAwaiter().GetResult();
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"cohort {cohort}: {dataset.Examples.Count} rows; {(model.Training.IsTrainingCohort(dataset.Identity) ? "the model's training cohort: its test split is evaluated" : "not the model's training cohort: every patient is evaluated")}"));
            var training = trainingCohort is null || model.Training.IsTrainingCohort(dataset.Identity)
                ? null
                : CohortDataset.LoadAsync(trainingCohort, catalog, split, layout).GetAwaiter().GetResult();
            var document = EvaluationRun.Run(model, dataset, training, DateOnly.FromDateTime(DateTime.UtcNow));
            var markdown = EvaluationMarkdown.Render(document);
            if (output is null)
            {
                stdout.WriteLine();
                stdout.Write(markdown);
            }
            else
            {
                Directory.CreateDirectory(output);
                File.WriteAllText(Path.Combine(output, ModelEvaluationDocument.FileName), document.ToJson() + "\n");
                File.WriteAllText(Path.Combine(output, ModelEvaluationDocument.MarkdownFileName), markdown);
                foreach (var c in document.Cohorts)
                {
                    stdout.WriteLine(c.Name + ":");
                    TrainCommand.WritePredictors(stdout, c);
                }

                stdout.WriteLine($"written: {Path.Combine(output, ModelEvaluationDocument.FileName)}, {Path.Combine(output, ModelEvaluationDocument.MarkdownFileName)}");
            }

            return 0;
        }
        catch (Exception e) when (e is DirectoryNotFoundException or InvalidDataException or InvalidOperationException or FileNotFoundException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine("error: " + e.Message);
            return 1;
        }
    }
}
