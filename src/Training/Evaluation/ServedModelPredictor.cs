using System.Text.Json.Nodes;
using Precision.Inference.Evaluation;
using Precision.Inference.Evidence;
using Precision.Inference.Features;
using Precision.Inference.Runtime;
using Precision.Training.Baselines;

namespace Precision.Training.Evaluation;

/// <summary>What a model's manifest says about its training data: the cohort (seed, manifest hash) and the patient split seed.</summary>
public sealed record ModelTrainingRecord(long? CohortSeed, string? CohortManifestSha256, long SplitSeed, bool SplitSeedRecorded)
{
    /// <summary>The split seed of models trained before manifests recorded it: the training options' default seed.</summary>
    public const long DefaultSplitSeed = 20261128;

    public static ModelTrainingRecord Read(string manifestPath)
    {
        JsonNode? manifest;
        try
        {
            manifest = JsonNode.Parse(File.ReadAllBytes(manifestPath));
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"{manifestPath} is not valid JSON ({e.Message}).", e);
        }

        var cohort = manifest?["cohort"];
        var splitSeed = manifest?["training"]?["splitSeed"]?.GetValue<long>();
        return new ModelTrainingRecord(cohort?["seed"]?.GetValue<long>(), cohort?["manifestSha256"]?.GetValue<string>(), splitSeed ?? DefaultSplitSeed, splitSeed is not null);
    }

    /// <summary>A cohort is the training cohort when its seed and manifest SHA-256 are the ones the model recorded.</summary>
    public bool IsTrainingCohort(Data.CohortIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return CohortManifestSha256 is not null
            && string.Equals(identity.ManifestSha256, CohortManifestSha256, StringComparison.OrdinalIgnoreCase)
            && identity.Seed == CohortSeed;
    }
}

/// <summary>
/// The committed model as the portal serves it: the registry's verified bytes in ONNX Runtime (CPU provider), scored
/// through the portal's <see cref="EfficacyPredictor"/>. No TorchSharp weights, no re-export: what a clinician would see.
/// </summary>
public sealed class ServedModelPredictor : IResponsePredictor, IDisposable
{
    private readonly EfficacyModelRuntime _runtime;
    private readonly EfficacyPredictor _predictor;

    private ServedModelPredictor(VerifiedModel model, EfficacyModelRuntime runtime, EfficacyPredictor predictor)
    {
        Model = model;
        _runtime = runtime;
        _predictor = predictor;
        Training = ModelTrainingRecord.Read(Path.Combine(model.Directory, ModelManifest.FileName));
    }

    public VerifiedModel Model { get; }

    public ModelTrainingRecord Training { get; }

    public string Name => $"Efficacy ensemble {Model.Version} (as served)";

    public PredictorKind Kind => PredictorKind.Model;

    public string Description => $"model.onnx (SHA-256 {Model.OnnxSha256[..12]}…) verified by the portal's model registry, run by ONNX Runtime on the {_runtime.Provider} provider through the portal's EfficacyPredictor.";

    public string ScoredWith => $"ONNX Runtime, {_runtime.Provider} provider, through the portal's ModelRegistry, EfficacyModelRuntime and EfficacyPredictor";

    /// <summary>Verifies <paramref name="modelFolder"/> (a version folder such as models/efficacy/1.1.0) and opens it on the CPU.</summary>
    public static ServedModelPredictor Open(string modelFolder, PatientFeaturizer featurizer, CatalogEvidence evidence)
    {
        ArgumentNullException.ThrowIfNull(featurizer);
        var full = Path.GetFullPath(modelFolder.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
        var registry = new ModelRegistry(Path.GetDirectoryName(full) ?? full, featurizer.Schema);
        var check = registry.Verify(Path.GetFileName(full));
        if (check.Model is not { } model)
        {
            throw new InvalidDataException($"The model at {full} is refused by the portal's model registry: {string.Join(" ", check.Problems)}");
        }

        // The CPU provider: the same numbers on every machine (CUDA agrees to ~1e-6, see decision replay).
        var start = EfficacyModelRuntime.Start(model, new EfficacyModelOptions { ExecutionProvider = ExecutionProviderPreference.Cpu });
        if (start.Runtime is not { } runtime)
        {
            throw new InvalidOperationException($"ONNX Runtime could not open the model at {full}: {start.Error}");
        }

        return new ServedModelPredictor(model, runtime, new EfficacyPredictor(runtime, featurizer, evidence));
    }

    public double[] Predict(IReadOnlyList<ScoringRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return [.. _predictor.ScoreCohort([.. rows.Select(r => new CohortPair(r.Features, r.TherapyId))]).Select(p => (double)p)];
    }

    public void Dispose() => _runtime.Dispose();
}
