using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Hl7.Fhir.Serialization;
using Precision.Clinical;
using Precision.Clinical.Catalog;
using Precision.Cohort;
using Precision.Fhir;
using Precision.Inference.Evidence;
using Precision.Inference.Features;
using Precision.Inference.Runtime;
using Precision.Portal.Testing;

namespace Precision.Portal.Benchmarks;

public sealed class InferenceBenchmarkConfig : ManualConfig
{
    public InferenceBenchmarkConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithStrategy(RunStrategy.Throughput)
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(10));
        AddColumn(StatisticColumn.P50, StatisticColumn.P95);
    }
}

/// <summary>
/// The committed model 1.0.0 on ONNX Runtime (CPU, IntraOpThreads 1) with a reference population of 2,000 patients
/// written for it (as 1.1.0 will ship), over 200 generated patients (seed 42) mapped through the real FHIR mapper.
/// </summary>
[Config(typeof(InferenceBenchmarkConfig))]
public class InferenceBenchmarks
{
    private const int CohortPairs = 22_000;
    private static readonly JsonSerializerOptions CamelCase = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "precision-inference-bench", Guid.NewGuid().ToString("N"));
    private PatientFeaturizer _featurizer = null!;
    private EfficacyModelRuntime _runtime = null!;
    private EfficacyPredictor _predictor = null!;
    private List<(PatientProfile Profile, DateOnly AsOf)> _patients = [];
    private List<CohortPair> _pairs = [];
    private float[] _clinical = [], _genomic = [], _therapy = [], _output = [];
    private float[] _oneClinical = [], _oneGenomic = [], _oneTherapy = [], _oneOutput = [];
    private int _next;

    [GlobalSetup]
    public void SetUp()
    {
        var catalog = TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault(RepositoryRoot.Path));
        _featurizer = new PatientFeaturizer(catalog, FeatureLayout.V1); // the layout of model 1.0.0
        var generator = new CohortGenerator(catalog);
        var mapper = new PatientProfileMapper(new CatalogTherapyResolver(catalog));
        var profiles = Enumerable.Range(1, 200).Select(i =>
        {
            var resources = TransactionBundles.ResourcesWithLocalReferences(generator.GeneratePatient(42, i).Bundle.ToJson());
            return mapper.Map(resources.OfType<Hl7.Fhir.Model.Patient>().Single().Id!, resources);
        }).ToList();
        _patients = [.. profiles.Where(p => p.TherapyLines.Count > 0).Select(p => (p, p.TherapyLines[0].StartedOn ?? new DateOnly(2025, 1, 1)))];

        var examples = profiles.SelectMany(p => ResponseExamples.From(p, _featurizer)).ToList();
        _pairs = [.. Enumerable.Range(0, CohortPairs).Select(i => new CohortPair(examples[i / 22 % examples.Count].Features, catalog.Therapies[i % 22].Id))];
        _clinical = [.. _pairs.SelectMany(p => p.Features.Clinical)];
        _genomic = [.. _pairs.SelectMany(p => p.Features.Genomic)];
        _therapy = [.. _pairs.SelectMany(p => _featurizer.EncodeTherapy(p.TherapyId))];
        _output = new float[CohortPairs];
        _oneClinical = _clinical[..(22 * 52)];
        _oneGenomic = _genomic[..(22 * 33)];
        _oneTherapy = _therapy[..(22 * 22)];
        _oneOutput = new float[22];

        var version = Path.Combine(_directory, "1.0.0");
        Directory.CreateDirectory(version);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepositoryRoot.Path, "models", "efficacy", "1.0.0")))
        {
            File.Copy(file, Path.Combine(version, Path.GetFileName(file)));
        }

        var registry = new ModelRegistry(_directory, _featurizer.Schema);
        using (var plain = EfficacyModelRuntime.Start(registry.Verify("1.0.0").Model!, new EfficacyModelOptions { ExecutionProvider = ExecutionProviderPreference.Cpu }).Runtime!)
        {
            WriteReferencePopulation(version, examples, plain);
        }

        var model = registry.Verify("1.0.0");
        _runtime = EfficacyModelRuntime.Start(model.Model ?? throw new InvalidOperationException(string.Join(" ", model.Problems)), new EfficacyModelOptions { ExecutionProvider = ExecutionProviderPreference.Cpu }).Runtime!;
        _predictor = new EfficacyPredictor(_runtime, _featurizer, new CatalogEvidence(catalog));
    }

    [GlobalCleanup]
    public void CleanUp()
    {
        _runtime.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Description = "Featurize one patient")]
    public PatientFeatures Featurize()
    {
        var (profile, asOf) = Next();
        return _featurizer.Featurize(profile, asOf, 0);
    }

    [Benchmark(Description = "Predict one patient (all therapies)")]
    public PredictionResult PredictOne()
    {
        var (profile, asOf) = Next();
        return _predictor.Predict(profile, asOf, 0);
    }

    [Benchmark(Description = "Raw Run: one patient's 22 rows")]
    public float RawRunOnePatient()
    {
        _runtime.Score(_oneClinical, _oneGenomic, _oneTherapy, _oneOutput);
        return _oneOutput[0];
    }

    [Benchmark(Description = "Cohort scoring, per pair (22,000 pairs)", OperationsPerInvoke = CohortPairs)]
    public float CohortScoring()
    {
        _predictor.ScoreCohort(_pairs, _output);
        return _output[^1];
    }

    [Benchmark(Description = "Raw Run, same rows, per row (22,000 rows)", OperationsPerInvoke = CohortPairs)]
    public float RawRunCohort()
    {
        _runtime.Score(_clinical, _genomic, _therapy, _output);
        return _output[^1];
    }

    private (PatientProfile Profile, DateOnly AsOf) Next() => _patients[Interlocked.Increment(ref _next) % _patients.Count];

    /// <summary>A reference population of 2,000 rows (examples repeated under distinct ids) in the agreed format.</summary>
    private void WriteReferencePopulation(string version, List<ResponseExample> examples, EfficacyModelRuntime runtime)
    {
        var rows = Enumerable.Range(0, 2000).Select(i => examples[i % examples.Count]).ToList();
        var embedding = new float[rows.Count * 32];
        runtime.Run([.. rows.SelectMany(r => r.Features.Clinical)], [.. rows.SelectMany(r => r.Features.Genomic)], [.. rows.SelectMany(r => _featurizer.EncodeTherapy(r.TherapyId))],
            new float[rows.Count], new float[rows.Count * runtime.MemberCount], embedding);
        var features = _featurizer.Schema.Clinical.Concat(_featurizer.Schema.Genomic).ToList();
        var all = examples.Select(e => e.Features.Clinical.Concat(e.Features.Genomic).ToArray()).ToList();
        var reference = new ReferencePopulation("1.0.0", _featurizer.Schema.Hash,
            [.. Enum.GetValues<CancerType>().Where(t => t != CancerType.Other).Select(t => new ReferenceCancerType(t.ToString(), 300))],
            [.. features.Select((f, i) => new ReferenceFeatureRange(f.Name, f.Block.ToString(), all.Min(r => r[i]), all.Max(r => r[i]), all.Min(r => r[i]), all.Max(r => r[i])))],
            new ReferenceBackground("benchmark", 42, [.. examples.Take(100).Select(e => new ReferenceRow(e.Features.Clinical, e.Features.Genomic))]),
            new ReferenceNeighbours("euclidean on the embedding output", new NearestDistancePercentiles(0.1, 0.3, 0.4, 0.7),
                [.. rows.Select((r, i) => new ReferencePatient($"{r.PatientId}-{i}", "NonSmallCellLungCancer", "50–64", "Female", ["EgfrSensitizing"], r.TherapyId, r.LineNumber, r.Responded, embedding.AsSpan(i * 32, 32).ToArray()))]));
        var bytes = JsonSerializer.SerializeToUtf8Bytes(reference, CamelCase);
        File.WriteAllBytes(Path.Combine(version, ReferencePopulation.DefaultFileName), bytes);
        var manifestPath = Path.Combine(version, ModelManifest.FileName);
        var manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
        manifest["referencePopulation"] = new JsonObject { ["file"] = ReferencePopulation.DefaultFileName, ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(bytes)) };
        File.WriteAllText(manifestPath, manifest.ToJsonString());
    }
}
