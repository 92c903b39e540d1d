using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Precision.Clinical.Catalog;
using Precision.Cohort;
using Precision.Inference.Features;
using Precision.Training.Data;
using Precision.Training.Model;
using static TorchSharp.torch;

namespace Precision.Training.Tests;

/// <summary>The ensemble written as ONNX from C# gives what TorchSharp gives, run by ONNX Runtime (CPU provider).</summary>
public sealed class OnnxExportTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "precision-onnx-" + Guid.NewGuid().ToString("N"));
    private readonly TherapyCatalog _catalog = TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault(AppContext.BaseDirectory));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task Onnx_runtime_matches_torchsharp_within_1e_5_on_real_and_random_inputs_with_a_dynamic_batch()
    {
        new CohortGenerator(_catalog).Generate(new CohortOptions { PatientCount = 600, Seed = 21, WriteBundles = false }, _directory);
        var dataset = await CohortDataset.LoadAsync(_directory, _catalog, splitSeed: 3);
        using var ensemble = EnsembleTrainer.Train(dataset, new EnsembleTrainingOptions { Members = 3, Epochs = 4, Seed = 9 });
        var schema = dataset.Featurizer.Schema;

        var bytes = OnnxExport.ToOnnx(ensemble, schema.Clinical.Count, schema.Genomic.Count, schema.TherapyIds.Count, "test");
        using var sessionOptions = new SessionOptions();
        sessionOptions.AppendExecutionProvider_CPU();
        using var session = new InferenceSession(bytes, sessionOptions);

        var real = dataset.Examples.Take(37).Select(e => e.Example).ToList();
        var realInputs = (
            real.SelectMany(e => e.Features.Clinical).ToArray(),
            real.SelectMany(e => e.Features.Genomic).ToArray(),
            real.SelectMany(e => dataset.Featurizer.EncodeTherapy(e.TherapyId)).ToArray());
        var random = new Random(4);
        float[] Noise(int count) => [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 4) - 2))];
        var randomInputs = (Noise(5 * schema.Clinical.Count), Noise(5 * schema.Genomic.Count), Noise(5 * schema.TherapyIds.Count));

        foreach (var (rows, (clinical, genomic, therapy)) in new[] { (real.Count, realInputs), (5, randomInputs) })
        {
            using var c = tensor(clinical, [rows, schema.Clinical.Count]);
            using var g = tensor(genomic, [rows, schema.Genomic.Count]);
            using var t = tensor(therapy, [rows, schema.TherapyIds.Count]);
            var (expected, expectedMembers) = ensemble.Predict(c, g, t);
            var expectedEmbedding = MeanEmbedding(ensemble, c, g, t);

            using var results = session.Run(
            [
                NamedOnnxValue.CreateFromTensor(OnnxExport.ClinicalInput, new DenseTensor<float>(clinical, [rows, schema.Clinical.Count])),
                NamedOnnxValue.CreateFromTensor(OnnxExport.GenomicInput, new DenseTensor<float>(genomic, [rows, schema.Genomic.Count])),
                NamedOnnxValue.CreateFromTensor(OnnxExport.TherapyInput, new DenseTensor<float>(therapy, [rows, schema.TherapyIds.Count])),
            ]);
            var probability = results.Single(r => r.Name == OnnxExport.ProbabilityOutput).AsTensor<float>().ToArray();
            var members = results.Single(r => r.Name == OnnxExport.MemberProbabilitiesOutput).AsTensor<float>().ToArray();
            var embedding = results.Single(r => r.Name == OnnxExport.EmbeddingOutput).AsTensor<float>().ToArray();

            Assert.Equal(rows, probability.Length);
            Assert.True(probability.Zip(expected).Max(p => Math.Abs(p.First - p.Second)) <= 1e-5, "calibrated probability");
            Assert.True(members.Zip(expectedMembers.SelectMany(m => m)).Max(p => Math.Abs(p.First - p.Second)) <= 1e-5, "member probabilities");
            Assert.True(embedding.Zip(expectedEmbedding).Max(p => Math.Abs(p.First - p.Second)) <= 1e-5, "embedding");
        }
    }

    [Fact]
    public async Task The_artifacts_carry_the_schema_hash_the_onnx_hash_the_calibration_and_a_readable_model_card()
    {
        new CohortGenerator(_catalog).Generate(new CohortOptions { PatientCount = 800, Seed = 23, WriteBundles = false }, _directory);
        var dataset = await CohortDataset.LoadAsync(_directory, _catalog, splitSeed: 3);
        var options = new EnsembleTrainingOptions { Members = 2, Epochs = 3, Seed = 9 };
        using var ensemble = EnsembleTrainer.Train(dataset, options);
        var output = Path.Combine(_directory, "model");

        var evaluation = Evaluation.ModelArtifacts.Write(output, "0.0.1", new DateOnly(2026, 11, 28), ensemble, dataset, _directory, options);

        var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(output, "manifest.json")))!;
        Assert.Equal(dataset.Featurizer.Schema.Hash, manifest["featureSchema"]!["hash"]!.GetValue<string>());
        var onnxHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(output, "model.onnx"))));
        Assert.Equal(onnxHash, manifest["onnx"]!["sha256"]!.GetValue<string>());
        Assert.Equal(ensemble.Temperature, manifest["calibration"]!["temperature"]!.GetValue<double>(), 5);
        var referenceBytes = File.ReadAllBytes(Path.Combine(output, "reference-population.json"));
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(referenceBytes)), manifest["referencePopulation"]!["sha256"]!.GetValue<string>());
        var reference = System.Text.Json.Nodes.JsonNode.Parse(referenceBytes)!;
        Assert.Equal(dataset.Featurizer.Schema.Hash, reference["featureSchemaHash"]!.GetValue<string>());
        Assert.Equal(dataset.Featurizer.Schema.Clinical.Count + dataset.Featurizer.Schema.Genomic.Count, reference["featureRanges"]!.AsArray().Count);
        var background = reference["background"]!["rows"]!.AsArray();
        Assert.InRange(background.Count, 10, 100);
        Assert.Equal(dataset.Featurizer.Schema.Clinical.Count, background[0]!["clinical"]!.AsArray().Count);
        var neighbours = reference["neighbours"]!["patients"]!.AsArray();
        Assert.Equal(ensemble.Members[0].EmbeddingWidth, neighbours[0]!["embedding"]!.AsArray().Count);
        var trainingPatients = dataset.Examples.Where(e => e.Split == DataSplit.Train).Select(e => e.Example.PatientId).ToHashSet();
        Assert.All(neighbours, n => Assert.Contains(n!["id"]!.GetValue<string>(), trainingPatients));
        var percentiles = reference["neighbours"]!["nearestDistancePercentiles"]!;
        Assert.True(percentiles["p99"]!.GetValue<double>() >= percentiles["p50"]!.GetValue<double>());
        Assert.Equal(23, manifest["cohort"]!["seed"]!.GetValue<long>());
        Assert.Equal(3, manifest["training"]!["splitSeed"]!.GetValue<long>());
        Assert.Equal(onnxHash, evaluation.OnnxSha256);
        Assert.Equal(onnxHash, Inference.Evaluation.ModelEvaluationDocument.Read(Path.Combine(output, "evaluation.json")).OnnxSha256);
        Assert.StartsWith("Efficacy ensemble", manifest["metrics"]!["Overall"]![0]!["Predictor"]!.GetValue<string>(), StringComparison.Ordinal);
        var card = File.ReadAllText(Path.Combine(output, "model-card.md"));
        foreach (var section in new[] { "## Intended use", "not** a medical device", "## Calibration", "## Subgroups", "### Sex", "### Race", "## Limitations", "## Ethical considerations", "Oracle", "LightGBM", "Oracle AUROC" })
        {
            Assert.Contains(section, card, StringComparison.Ordinal);
        }

        Assert.StartsWith("<svg", File.ReadAllText(Path.Combine(output, "calibration.svg")), StringComparison.Ordinal);
    }

    private static float[] MeanEmbedding(TrainedEnsemble ensemble, TorchSharp.torch.Tensor clinical, TorchSharp.torch.Tensor genomic, TorchSharp.torch.Tensor therapy)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return stack([.. ensemble.Members.Select(m => m.forward(clinical, genomic, therapy).Embedding)], 0).mean([0]).contiguous().data<float>().ToArray();
    }
}
