using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Precision.Inference.Evaluation;
using Precision.Training.Data;
using Precision.Training.Model;

namespace Precision.Training.Evaluation;

/// <summary>
/// Writes what the portal will serve for one model version: <c>model.onnx</c>, <c>manifest.json</c> (identity, inputs,
/// outputs, hashes, calibration, training split, metrics), <c>reference-population.json</c>, and — from the evaluation of
/// that very model.onnx in ONNX Runtime (<see cref="EvaluationRun"/>) — <c>evaluation.json</c>, <c>evaluation.md</c>,
/// <c>model-card.md</c> and <c>calibration.svg</c>.
/// </summary>
public static class ModelArtifacts
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// Writes the artifacts to <paramref name="directory"/> (or only evaluates, when it is null) and returns the evaluation.
    /// The model is first written to a folder named after its version, verified by the portal's registry and scored from
    /// there, so the reported numbers are those of the bytes written.
    /// </summary>
    public static ModelEvaluationDocument Write(string? directory, string version, DateOnly date, TrainedEnsemble ensemble, CohortDataset dataset, string cohortDirectory, EnsembleTrainingOptions options, CohortDataset? external = null)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(options);
        var staging = Path.Combine(Path.GetTempPath(), "precision-train-" + Guid.NewGuid().ToString("N"));
        var folder = Path.Combine(staging, version);
        try
        {
            Directory.CreateDirectory(folder);
            var manifest = WriteModel(folder, version, date, ensemble, dataset, cohortDirectory, options);
            ModelEvaluationDocument document;
            using (var served = ServedModelPredictor.Open(folder, dataset.Featurizer, new Inference.Evidence.CatalogEvidence(dataset.Catalog)))
            {
                // With a cohort training never saw, the same run also scores the training cohort's test split.
                document = external is null
                    ? EvaluationRun.Run(served, dataset, trainingCohort: null, date, isTrainingCohort: true)
                    : EvaluationRun.Run(served, external, trainingCohort: dataset, date);
            }

            var test = document.TestSplit ?? throw new InvalidOperationException("The evaluation has no test split of the training cohort.");
            manifest["evaluation"] = new JsonObject { ["file"] = ModelEvaluationDocument.FileName, ["cohort"] = test.Name };
            manifest["metrics"] = JsonSerializer.SerializeToNode(new
            {
                Overall = test.Predictors.Select(p => new { Predictor = p.Name, p.Examples, p.Auroc, p.AveragePrecision, p.Brier, p.ExpectedCalibrationError }),
                test.Predictors[0].Truth?.MeanAbsoluteErrorToTruth,
                test.Predictors[0].Truth?.CalibrationErrorToTruth,
                test.Predictors[0].Truth?.MeanPatientRankCorrelation,
            });
            File.WriteAllText(Path.Combine(folder, "manifest.json"), manifest.ToJsonString(Indented) + "\n");
            File.WriteAllText(Path.Combine(folder, ModelEvaluationDocument.FileName), document.ToJson() + "\n");
            File.WriteAllText(Path.Combine(folder, ModelEvaluationDocument.MarkdownFileName), EvaluationMarkdown.Render(document));
            File.WriteAllText(Path.Combine(folder, "calibration.svg"), CalibrationSvg(test.Calibration));
            var cohortManifestPath = Path.Combine(cohortDirectory, "manifest.json");
            var cohortManifest = File.Exists(cohortManifestPath) ? JsonNode.Parse(File.ReadAllText(cohortManifestPath)) : null;
            File.WriteAllText(Path.Combine(folder, "model-card.md"), ModelCard.Render(version, date, ensemble, dataset, document, cohortManifest));
            if (directory is not null)
            {
                Directory.CreateDirectory(directory);
                foreach (var file in Directory.EnumerateFiles(folder))
                {
                    File.Copy(file, Path.Combine(directory, Path.GetFileName(file)), overwrite: true);
                }
            }

            return document;
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    private static JsonObject WriteModel(string directory, string version, DateOnly date, TrainedEnsemble ensemble, CohortDataset dataset, string cohortDirectory, EnsembleTrainingOptions options)
    {
        var schema = dataset.Featurizer.Schema;
        var onnx = OnnxExport.ToOnnx(ensemble, schema.Clinical.Count, schema.Genomic.Count, schema.TherapyIds.Count, version);
        File.WriteAllBytes(Path.Combine(directory, "model.onnx"), onnx);
        var reference = System.Text.Encoding.UTF8.GetBytes(ReferencePopulation.Build(version, ensemble, dataset).ToJsonString() + "\n");
        File.WriteAllBytes(Path.Combine(directory, ReferencePopulation.FileName), reference);

        var cohortManifestPath = Path.Combine(cohortDirectory, "manifest.json");
        var cohortManifest = File.Exists(cohortManifestPath) ? JsonNode.Parse(File.ReadAllText(cohortManifestPath)) : null;
        var manifest = new JsonObject
        {
            ["modelVersion"] = version,
            ["date"] = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["intendedUse"] = "Research use only, on synthetic data. Not for clinical decisions.",
            ["cohort"] = new JsonObject
            {
                ["seed"] = cohortManifest?["seed"]?.GetValue<long>(),
                ["patientCount"] = cohortManifest?["patientCount"]?.GetValue<int>(),
                ["generatorVersion"] = cohortManifest?["generatorVersion"]?.GetValue<string>(),
                ["manifestSha256"] = File.Exists(cohortManifestPath) ? Sha256(File.ReadAllBytes(cohortManifestPath)) : null,
            },
            // The patient split (PatientSplit) seed: evaluate needs it to find the same held-out test patients.
            ["training"] = new JsonObject
            {
                ["splitSeed"] = dataset.SplitSeed,
                ["seed"] = options.Seed,
                ["members"] = options.Members,
                ["maxEpochs"] = options.Epochs,
            },
            ["featureSchema"] = new JsonObject
            {
                ["version"] = schema.Version,
                ["hash"] = schema.Hash,
                ["clinical"] = new JsonArray([.. schema.Clinical.Select(f => (JsonNode?)f.Name)]),
                ["genomic"] = new JsonArray([.. schema.Genomic.Select(f => (JsonNode?)f.Name)]),
            },
            ["therapyCatalogVersion"] = schema.CatalogVersion,
            ["therapies"] = new JsonArray([.. schema.TherapyIds.Select(t => (JsonNode?)t)]),
            ["inputs"] = new JsonArray(
                Tensor(OnnxExport.ClinicalInput, schema.Clinical.Count),
                Tensor(OnnxExport.GenomicInput, schema.Genomic.Count),
                Tensor(OnnxExport.TherapyInput, schema.TherapyIds.Count)),
            ["outputs"] = new JsonArray(
                Tensor(OnnxExport.MemberProbabilitiesOutput, ensemble.Members.Count),
                Tensor(OnnxExport.ProbabilityOutput, null),
                Tensor(OnnxExport.EmbeddingOutput, ensemble.Members[0].EmbeddingWidth)),
            ["onnx"] = new JsonObject { ["file"] = "model.onnx", ["sha256"] = Sha256(onnx), ["opset"] = 17, ["irVersion"] = 8 },
            ["referencePopulation"] = new JsonObject { ["file"] = ReferencePopulation.FileName, ["sha256"] = Sha256(reference) },
            ["catalogPrior"] = "the network adds its output to the logit of the catalog's published response rate of the best matching biomarker context (computed in the graph from the inputs)",
            ["ensembleMembers"] = ensemble.Members.Count,
            ["calibration"] = new JsonObject { ["method"] = "temperature scaling of the mean member logit, fitted on the validation split; member_probabilities use the same temperature", ["temperature"] = Math.Round(ensemble.Temperature, 6) },
        };
        File.WriteAllText(Path.Combine(directory, "manifest.json"), manifest.ToJsonString(Indented) + "\n");
        return manifest;
    }

    private static JsonObject Tensor(string name, int? width) => new()
    {
        ["name"] = name,
        ["elementType"] = "float32",
        ["shape"] = width is { } w ? new JsonArray("N", w) : new JsonArray("N"),
    };

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>A reliability diagram as SVG: predicted vs observed response per decile, with the diagonal.</summary>
    private static string CalibrationSvg(IReadOnlyList<CalibrationBin> calibration)
    {
        const int size = 320, margin = 40;
        var plot = size - (2 * margin);
        string X(double v) => (margin + (v * plot)).ToString("0.#", CultureInfo.InvariantCulture);
        string Y(double v) => (size - margin - (v * plot)).ToString("0.#", CultureInfo.InvariantCulture);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{size}\" height=\"{size}\" font-family=\"sans-serif\" font-size=\"11\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{size}\" height=\"{size}\" fill=\"white\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(0)}\" y1=\"{Y(0)}\" x2=\"{X(1)}\" y2=\"{Y(1)}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(0)}\" y1=\"{Y(0)}\" x2=\"{X(1)}\" y2=\"{Y(0)}\" stroke=\"#333\"/><line x1=\"{X(0)}\" y1=\"{Y(0)}\" x2=\"{X(0)}\" y2=\"{Y(1)}\" stroke=\"#333\"/>\n");
        foreach (var tick in new[] { 0.0, 0.5, 1.0 })
        {
            var label = tick.ToString("0.0", CultureInfo.InvariantCulture);
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(tick)}\" y=\"{size - margin + 14}\" text-anchor=\"middle\">{label}</text>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{margin - 6}\" y=\"{Y(tick)}\" text-anchor=\"end\" dominant-baseline=\"middle\">{label}</text>\n");
        }

        var points = calibration.Where(b => b.Count > 0).Select(b => $"{X(b.MeanPredicted)},{Y(b.ObservedRate)}");
        svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"#0072B2\" stroke-width=\"2\" points=\"{string.Join(' ', points)}\"/>\n");
        foreach (var bin in calibration.Where(b => b.Count > 0))
        {
            svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{X(bin.MeanPredicted)}\" cy=\"{Y(bin.ObservedRate)}\" r=\"3.5\" fill=\"#0072B2\"><title>{bin.Count} examples</title></circle>\n");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{size / 2}\" y=\"{size - 8}\" text-anchor=\"middle\">Predicted probability of response</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"12\" y=\"{size / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 12 {size / 2})\">Observed response rate</text>\n");
        svg.Append("</svg>\n");
        return svg.ToString();
    }
}
