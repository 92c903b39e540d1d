using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Logging;
using Precision.Clinical;
using Precision.Clinical.Catalog;
using Precision.Cohort;
using Precision.Fhir;
using Precision.Inference.Evidence;
using Precision.Inference.Features;
using Precision.Inference.Runtime;

namespace Precision.Inference.Tests.Runtime;

/// <summary>The repository's catalog, featurizer and committed models.</summary>
public static class TestModels
{
    public static readonly string Root = FindRoot();
    public static readonly TherapyCatalog Catalog = TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault(Root));
    /// <summary>The featurizer the portal runs (current layout, which also produces the earlier ones); registries are built on its schema.</summary>
    public static readonly PatientFeaturizer CurrentFeaturizer = new(Catalog);

    /// <summary>The featurizer in the layout of the committed 1.x models these tests run (V1).</summary>
    public static readonly PatientFeaturizer Featurizer = CurrentFeaturizer.For(CurrentFeaturizer.Schema.Earlier.Single(s => s.Layout == FeatureLayout.V1));
    public static readonly CatalogEvidence Evidence = new(Catalog);
    public static readonly string CommittedDirectory = Path.Combine(Root, "models", "efficacy");
    public const string CommittedVersion = "1.0.0";

    public static EfficacyModelOptions Cpu => new() { ExecutionProvider = ExecutionProviderPreference.Cpu };

    public static VerifiedModel VerifiedCommitted() =>
        new ModelRegistry(CommittedDirectory, CurrentFeaturizer.Schema).Verify(CommittedVersion).Model ?? throw new InvalidOperationException("The committed model does not verify.");

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Precision.Portal.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Run the tests inside the repository.");
    }
}

/// <summary>A temporary model directory holding copies of committed versions, to damage on purpose.</summary>
public sealed class TempModelDirectory : IDisposable
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private TempModelDirectory(string path) => Path = path;

    public string Path { get; }

    public static TempModelDirectory CopyOf(string version = TestModels.CommittedVersion, string? asVersion = null)
    {
        var directory = new TempModelDirectory(System.IO.Path.Combine(System.IO.Path.GetTempPath(), "precision-models", Guid.NewGuid().ToString("N")));
        directory.Add(version, asVersion);
        return directory;
    }

    /// <summary>Copies a committed version in, under another version number when given (manifest updated to match).</summary>
    public void Add(string version = TestModels.CommittedVersion, string? asVersion = null)
    {
        var target = Folder(asVersion ?? version);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(System.IO.Path.Combine(TestModels.CommittedDirectory, version)))
        {
            File.Copy(file, System.IO.Path.Combine(target, System.IO.Path.GetFileName(file)));
        }

        if (asVersion is not null)
        {
            EditManifest(asVersion, m => m["modelVersion"] = asVersion);
        }
    }

    public string Folder(string version) => System.IO.Path.Combine(Path, version);

    public void EditManifest(string version, Action<JsonObject> edit)
    {
        var path = System.IO.Path.Combine(Folder(version), ModelManifest.FileName);
        var manifest = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(manifest);
        File.WriteAllText(path, manifest.ToJsonString(Indented));
    }

    /// <summary>Flips one byte of a file, as a bad copy or a tampering would.</summary>
    public void CorruptOneByte(string version, string file, int offset = 1000)
    {
        var path = System.IO.Path.Combine(Folder(version), file);
        var bytes = File.ReadAllBytes(path);
        bytes[offset] ^= 0x01;
        File.WriteAllBytes(path, bytes);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}

/// <summary>Synthetic patients from the project's generator, mapped through the real FHIR mapper.</summary>
public static class GeneratedPatients
{
    public const long Seed = 42;

    private static readonly Lazy<IReadOnlyList<PatientProfile>> Patients = new(() => Generate(400));

    public static IReadOnlyList<PatientProfile> All => Patients.Value;

    private static List<PatientProfile> Generate(int count)
    {
        var generator = new CohortGenerator(TestModels.Catalog);
        var mapper = new PatientProfileMapper(new CatalogTherapyResolver(TestModels.Catalog));
        var profiles = new ConcurrentDictionary<int, PatientProfile>();
        Parallel.For(1, count + 1, index =>
        {
            // The committed models (1.0.0, 1.1.0) and their reference populations come from cohorts without the real-world shapes.
            var generated = generator.GeneratePatient(Seed, index, realWorldShapes: false);
            var resources = TransactionBundles.ResourcesWithLocalReferences(generated.Bundle.ToJson());
            profiles[index] = mapper.Map(resources.OfType<Patient>().Single().Id!, resources);
        });
        return [.. profiles.OrderBy(p => p.Key).Select(p => p.Value)];
    }
}

/// <summary>
/// Writes <c>reference-population.json</c> in the agreed format for a model folder, from generated patients: training
/// split rows become the reference, the others the held-out yardstick. Stands in for what training will write (1.1.0).
/// </summary>
public static class ReferencePopulationBuilder
{
    private static readonly JsonSerializerOptions CamelCase = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Write(string versionFolder, IReadOnlyList<PatientProfile> patients, EfficacyModelRuntime runtime, Func<PatientProfile, bool>? include = null)
    {
        var split = new PatientSplit(GeneratedPatients.Seed);
        // The rows in the model's own feature layout (1.x models: V1).
        var featurizer = TestModels.Featurizer.For(runtime.Model.Schema);
        var schema = featurizer.Schema;
        var examples = patients.Where(p => include?.Invoke(p) ?? true)
            .SelectMany(p => ResponseExamples.From(p, featurizer).Select(e => (Profile: p, Example: e)))
            .ToList();
        var training = examples.Where(e => split.Of(e.Profile.PatientId) == DataSplit.Train).Take(2000).ToList();
        var heldOut = examples.Where(e => split.Of(e.Profile.PatientId) != DataSplit.Train).ToList();
        var trainingEmbeddings = Embed(runtime, training.Select(t => t.Example));
        var heldOutEmbeddings = Embed(runtime, heldOut.Select(t => t.Example));
        var nearest = heldOutEmbeddings.Select(h => trainingEmbeddings.Min(t => Distance(h, t))).Order().ToList();

        var rows = training.Select(t => t.Example.Features.Clinical.Concat(t.Example.Features.Genomic).ToArray()).ToList();
        var features = schema.Clinical.Concat(schema.Genomic).ToList();
        var reference = new ReferencePopulation(
            runtime.Model.Version,
            schema.Hash,
            [.. training.Select(t => t.Profile).DistinctBy(p => p.PatientId).GroupBy(p => (p.PrimaryCancer?.CancerType ?? CancerType.Other).ToString())
                .Select(g => new ReferenceCancerType(g.Key, g.Count()))],
            [.. features.Select((f, i) =>
            {
                var values = rows.Select(r => r[i]).Order().ToList();
                return new ReferenceFeatureRange(f.Name, f.Block.ToString(), values[0], values[^1], Percentile(values, 0.01), Percentile(values, 0.99));
            })],
            new ReferenceBackground("first-line rows of the first 100 training patients (test build)", GeneratedPatients.Seed,
                [.. training.Where(t => t.Example.LineNumber == 1).Take(100).Select(t => new ReferenceRow(t.Example.Features.Clinical, t.Example.Features.Genomic))]),
            new ReferenceNeighbours("euclidean on the embedding output",
                new NearestDistancePercentiles(Percentile(nearest, 0.5), Percentile(nearest, 0.9), Percentile(nearest, 0.95), Percentile(nearest, 0.99)),
                [.. training.Select((t, i) => new ReferencePatient(
                    t.Profile.PatientId,
                    (t.Profile.PrimaryCancer?.CancerType ?? CancerType.Other).ToString(),
                    AgeBand(t.Profile, t.Example),
                    t.Profile.Demographics.Sex.ToString(),
                    [.. CatalogEvidence.BiomarkersOf(t.Profile).Select(b => b.ToString()).Order()],
                    t.Example.TherapyId,
                    t.Example.LineNumber,
                    t.Example.Responded,
                    trainingEmbeddings[i]))]));

        var bytes = JsonSerializer.SerializeToUtf8Bytes(reference, CamelCase);
        File.WriteAllBytes(Path.Combine(versionFolder, ReferencePopulation.DefaultFileName), bytes);
        var manifestPath = Path.Combine(versionFolder, ModelManifest.FileName);
        var manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
        manifest["referencePopulation"] = new JsonObject { ["file"] = ReferencePopulation.DefaultFileName, ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(bytes)) };
        File.WriteAllText(manifestPath, manifest.ToJsonString(Indented));
    }

    private static List<float[]> Embed(EfficacyModelRuntime runtime, IEnumerable<ResponseExample> examples)
    {
        var list = examples.ToList();
        int n = list.Count, e = runtime.EmbeddingWidth;
        var clinical = list.SelectMany(x => x.Features.Clinical).ToArray();
        var genomic = list.SelectMany(x => x.Features.Genomic).ToArray();
        var therapy = list.SelectMany(x => TestModels.Featurizer.EncodeTherapy(x.TherapyId)).ToArray();
        var embedding = new float[n * e];
        runtime.Run(clinical, genomic, therapy, new float[n], new float[n * runtime.MemberCount], embedding);
        return [.. Enumerable.Range(0, n).Select(i => embedding.AsSpan(i * e, e).ToArray())];
    }

    private static float Distance(float[] a, float[] b) => MathF.Sqrt(a.Zip(b, (x, y) => (x - y) * (x - y)).Sum());

    private static float Percentile(List<float> sorted, double p) => sorted.Count == 0 ? 0 : sorted[(int)Math.Round(p * (sorted.Count - 1))];

    private static string? AgeBand(PatientProfile profile, ResponseExample example)
    {
        var line = profile.TherapyLines.FirstOrDefault(l => l.LineNumber == example.LineNumber);
        var age = line?.StartedOn is { } start ? profile.Demographics.AgeOn(start) : null;
        return age switch
        {
            null => null,
            < 40 => "<40",
            < 50 => "40–49",
            < 65 => "50–64",
            < 75 => "65–74",
            _ => "≥75",
        };
    }
}

/// <summary>
/// The committed 1.0.0 model copied to a temporary directory with a reference population built from generated patients,
/// verified by the registry and opened on the CPU; plus the committed model as it is (no reference population).
/// </summary>
public sealed class ModelFixture : IDisposable
{
    public ModelFixture()
    {
        Directory = TempModelDirectory.CopyOf();
        using (var plain = EfficacyModelRuntime.Start(TestModels.VerifiedCommitted(), TestModels.Cpu).Runtime!)
        {
            ReferencePopulationBuilder.Write(Directory.Folder(TestModels.CommittedVersion), Patients, plain);
        }

        Registry = new ModelRegistry(Directory.Path, TestModels.CurrentFeaturizer.Schema);
        var check = Registry.Verify(TestModels.CommittedVersion);
        Model = check.Model ?? throw new InvalidOperationException("The model with a reference population does not verify: " + string.Join(" ", check.Problems));
        var start = EfficacyModelRuntime.Start(Model, TestModels.Cpu);
        Runtime = start.Runtime ?? throw new InvalidOperationException(start.Error);
        Predictor = new EfficacyPredictor(Runtime, TestModels.Featurizer, TestModels.Evidence);
        CommittedRuntime = EfficacyModelRuntime.Start(TestModels.VerifiedCommitted(), TestModels.Cpu).Runtime!;
        CommittedPredictor = new EfficacyPredictor(CommittedRuntime, TestModels.Featurizer, TestModels.Evidence);
    }

    public static IReadOnlyList<PatientProfile> Patients => GeneratedPatients.All;

    public TempModelDirectory Directory { get; }

    public ModelRegistry Registry { get; }

    public VerifiedModel Model { get; }

    public EfficacyModelRuntime Runtime { get; }

    /// <summary>With the test-built reference population.</summary>
    public EfficacyPredictor Predictor { get; }

    public EfficacyModelRuntime CommittedRuntime { get; }

    /// <summary>The committed 1.0.0 as it is: no reference population.</summary>
    public EfficacyPredictor CommittedPredictor { get; }

    public void Dispose()
    {
        Runtime.Dispose();
        CommittedRuntime.Dispose();
        Directory.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ModelFixtureGroup : ICollectionFixture<ModelFixture>
{
    public const string Name = "efficacy model";
}

/// <summary>Keeps log lines for assertions.</summary>
public sealed class ListLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        Lines.Enqueue((logLevel, formatter(state, exception)));
    }
}
