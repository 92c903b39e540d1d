using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Precision.Clinical.Catalog;
using Precision.Cohort.RealWorld;

namespace Precision.Cohort;

/// <summary>What to generate.</summary>
public sealed record CohortOptions
{
    public required int PatientCount { get; init; }

    public required long Seed { get; init; }

    /// <summary>The data cut-off: no event is dated after it. Fixed (never the clock) so output is reproducible.</summary>
    public DateOnly ReferenceDate { get; init; } = new(2025, 6, 30);

    /// <summary>Write per-patient transaction Bundles as well as ndjson.</summary>
    public bool WriteBundles { get; init; } = true;

    /// <summary>
    /// Also write the shapes hospitals send (mCODE STU1–STU4, Genomics Reporting STU1–STU3; docs/cohort.md), drawn from a
    /// random stream of their own. False: exactly the files the generator wrote before these shapes existed.
    /// </summary>
    public bool RealWorldShapes { get; init; } = true;

    /// <summary>Degree of parallelism while simulating and serializing (output order never depends on it).</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;
}

public sealed record CohortProgress(int PatientsDone, int PatientCount);

/// <summary>A written file with its size and SHA-256.</summary>
public sealed record OutputFile(string Path, long Bytes, string Sha256);

public sealed record CohortResult(string OutputDirectory, int PatientCount, IReadOnlyList<OutputFile> Files, IReadOnlyDictionary<string, int> ResourceCounts);

/// <summary>One patient's generated output (used by the writer, the fixtures and the tests).</summary>
public sealed record GeneratedPatient(SyntheticPatient Patient, IReadOnlyList<Resource> Resources, Bundle Bundle);

/// <summary>
/// The seeded synthetic oncology cohort generator. Same options → byte-identical files.
/// Output layout: ndjson/{Type}.ndjson, bundles/pat-NNNNNN.json, truth/true-response-probabilities.csv,
/// truth/data-quality.csv, manifest.json.
/// </summary>
public sealed class CohortGenerator
{
    public const string GeneratorName = "precision-cohort";

    /// <summary>Resource types in ndjson, in file order (the last four only with <see cref="CohortOptions.RealWorldShapes"/>).</summary>
    public static readonly IReadOnlyList<string> ResourceTypes =
        ["Patient", "Condition", "Observation", "MedicationStatement", "DiagnosticReport", "MedicationRequest", "MedicationAdministration", "Procedure", "Specimen"];

    /// <summary>The resource types written without the real-world shapes (the files the generator always wrote).</summary>
    public static readonly IReadOnlyList<string> LegacyResourceTypes = ["Patient", "Condition", "Observation", "MedicationStatement", "DiagnosticReport"];

    /// <summary>The ndjson resource types written with these options.</summary>
    public static IReadOnlyList<string> ResourceTypesFor(CohortOptions options) =>
        options is null || options.RealWorldShapes ? ResourceTypes : LegacyResourceTypes;

    private readonly TherapyCatalog _catalog;
    private readonly ResponseModel _model;

    public CohortGenerator(TherapyCatalog catalog)
    {
        _catalog = catalog ?? throw new ArgumentNullException(nameof(catalog));
        _model = new ResponseModel(catalog);
    }

    public static string GeneratorVersion =>
        typeof(CohortGenerator).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public TherapyCatalog Catalog => _catalog;

    /// <summary>Simulates and builds one patient (index from 1). Independent of cohort size and of other patients.</summary>
    public GeneratedPatient GeneratePatient(long seed, int index, DateOnly? referenceDate = null, bool realWorldShapes = true)
    {
        var date = referenceDate ?? new CohortOptions { PatientCount = 1, Seed = seed }.ReferenceDate;
        var simulator = new PatientSimulator(_model, seed, date);
        var patient = simulator.Simulate(index);
        if (realWorldShapes)
        {
            patient = new RealWorldSimulator(_catalog, seed, date).Apply(patient);
        }

        var builder = new FhirBuilder(_catalog, seed);
        var resources = builder.Build(patient);
        resources.UseUuidReferences(builder.FullUrl);
        var bundle = TransactionBundle(builder, resources.Resources, patient.Id);
        return new GeneratedPatient(patient, resources.Resources, bundle);
    }

    public CohortResult Generate(CohortOptions options, string outputDirectory, IProgress<CohortProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        ArgumentOutOfRangeException.ThrowIfNegative(options.PatientCount);

        var root = Path.GetFullPath(outputDirectory);
        Directory.CreateDirectory(Path.Combine(root, "ndjson"));
        Directory.CreateDirectory(Path.Combine(root, "truth"));
        if (options.WriteBundles)
        {
            Directory.CreateDirectory(Path.Combine(root, "bundles"));
        }

        var simulator = new PatientSimulator(_model, options.Seed, options.ReferenceDate);
        var realWorld = options.RealWorldShapes ? new RealWorldSimulator(_catalog, options.Seed, options.ReferenceDate) : null;
        var builder = new FhirBuilder(_catalog, options.Seed);
        var types = ResourceTypesFor(options);
        var writers = types.ToDictionary(t => t, t => NewWriter(Path.Combine(root, "ndjson", t + ".ndjson")), StringComparer.Ordinal);
        var counts = types.ToDictionary(t => t, _ => 0, StringComparer.Ordinal);
        using var truth = NewWriter(Path.Combine(root, "truth", "true-response-probabilities.csv"));
        using var quality = NewWriter(Path.Combine(root, "truth", "data-quality.csv"));
        truth.Write("patient_id,therapy_id,context_id,p_true,received,line,observed_best_response,first_line_probability,next_line_probability\n");
        quality.Write("patient_id,issue\n");

        try
        {
            const int batchSize = 64;
            var outputs = new PatientOutput[batchSize];
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxDegreeOfParallelism), CancellationToken = cancellationToken };
            for (var first = 1; first <= options.PatientCount; first += batchSize)
            {
                var count = Math.Min(batchSize, options.PatientCount - first + 1);
                Parallel.For(0, count, parallel, i => outputs[i] = Render(simulator, realWorld, builder, first + i, options.WriteBundles, types));
                for (var i = 0; i < count; i++)
                {
                    var output = outputs[i];
                    foreach (var (type, line) in output.NdjsonLines)
                    {
                        writers[type].Write(line);
                        writers[type].Write('\n');
                        counts[type]++;
                    }

                    truth.Write(output.TruthCsv);
                    quality.Write(output.QualityCsv);
                    if (output.BundleJson is { } bundleJson)
                    {
                        File.WriteAllText(Path.Combine(root, "bundles", output.PatientId + ".json"), bundleJson, Utf8);
                    }
                }

                progress?.Report(new CohortProgress(first + count - 1, options.PatientCount));
            }
        }
        finally
        {
            foreach (var writer in writers.Values)
            {
                writer.Dispose();
            }
        }

        truth.Dispose();
        quality.Dispose();

        var files = HashFiles(root);
        WriteManifest(root, options, files, counts, types);
        return new CohortResult(root, options.PatientCount, files, counts);
    }

    private sealed record PatientOutput(string PatientId, List<(string Type, string Line)> NdjsonLines, string? BundleJson, string TruthCsv, string QualityCsv);

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private static StreamWriter NewWriter(string path) => new(path, append: false, Utf8, bufferSize: 1 << 16) { NewLine = "\n" };

    private static PatientOutput Render(PatientSimulator simulator, RealWorldSimulator? realWorld, FhirBuilder builder, int index, bool bundles, IReadOnlyList<string> types)
    {
        var patient = simulator.Simulate(index);
        if (realWorld is not null)
        {
            patient = realWorld.Apply(patient);
        }

        var resources = builder.Build(patient);
        var lines = new List<(string, string)>(resources.Resources.Count);
        foreach (var type in types)
        {
            foreach (var resource in resources.Resources)
            {
                if (resource.TypeName == type)
                {
                    lines.Add((type, resource.ToJson()));
                }
            }
        }

        string? bundleJson = null;
        if (bundles)
        {
            resources.UseUuidReferences(builder.FullUrl);
            bundleJson = TransactionBundle(builder, resources.Resources, patient.Id).ToJson();
        }

        var truth = new StringBuilder();
        foreach (var row in patient.Truth)
        {
            truth.Append(row.PatientId).Append(',').Append(row.TherapyId).Append(',').Append(row.ContextId ?? "unselected").Append(',')
                .Append(row.Probability.ToString("F6", CultureInfo.InvariantCulture)).Append(',')
                .Append(row.Line is null ? "false" : "true").Append(',')
                .Append(row.Line?.ToString(CultureInfo.InvariantCulture) ?? string.Empty).Append(',')
                .Append(ResponseCode(row.ObservedResponse)).Append(',')
                .Append(row.FirstLineProbability.ToString("F6", CultureInfo.InvariantCulture)).Append(',')
                .Append(row.NextLineProbability.ToString("F6", CultureInfo.InvariantCulture)).Append('\n');
        }

        var quality = new StringBuilder();
        foreach (var label in patient.Messiness.Labels())
        {
            quality.Append(patient.Id).Append(',').Append(label).Append('\n');
        }

        foreach (var line in patient.Lines.Where(l => l.OffGuideline && !patient.Replaced))
        {
            quality.Append(patient.Id).Append(",off-guideline-line-").Append(line.LineNumber.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        foreach (var line in patient.Lines.Where(l => l.Rechallenge && !patient.Replaced))
        {
            quality.Append(patient.Id).Append(",rechallenge-line-").Append(line.LineNumber.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        if (patient.SecondPrimary is not null)
        {
            quality.Append(patient.Id).Append(",second-primary\n");
        }

        foreach (var label in patient.RealWorld?.Labels() ?? [])
        {
            quality.Append(patient.Id).Append(',').Append(label).Append('\n');
        }

        return new PatientOutput(patient.Id, lines, bundleJson, truth.ToString(), quality.ToString());
    }

    public static string ResponseCode(Precision.Clinical.RecistResponse? response) => response switch
    {
        Precision.Clinical.RecistResponse.CompleteResponse => "CR",
        Precision.Clinical.RecistResponse.PartialResponse => "PR",
        Precision.Clinical.RecistResponse.StableDisease => "SD",
        Precision.Clinical.RecistResponse.ProgressiveDisease => "PD",
        _ => string.Empty,
    };

    private static Bundle TransactionBundle(FhirBuilder builder, IReadOnlyList<Resource> resources, string patientId)
    {
        var bundle = new Bundle
        {
            Id = "bundle-" + patientId,
            Type = Bundle.BundleType.Transaction,
        };
        foreach (var resource in resources)
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = builder.FullUrl(resource.TypeName, resource.Id!),
                Resource = resource,
                Request = new Bundle.RequestComponent
                {
                    Method = Bundle.HTTPVerb.PUT,
                    Url = resource.TypeName + "/" + resource.Id,
                },
            });
        }

        return bundle;
    }

    private static List<OutputFile> HashFiles(string root)
    {
        var files = new List<OutputFile>();
        foreach (var path in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(root, p).Replace('\\', '/'))
            .Where(p => p != "manifest.json")
            .Order(StringComparer.Ordinal))
        {
            using var stream = File.OpenRead(Path.Combine(root, path));
            var hash = Convert.ToHexStringLower(SHA256.HashData(stream));
            files.Add(new OutputFile(path, stream.Length, hash));
        }

        return files;
    }

    private void WriteManifest(string root, CohortOptions options, List<OutputFile> files, Dictionary<string, int> counts, IReadOnlyList<string> types)
    {
        using var stream = File.Create(Path.Combine(root, "manifest.json"));
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("generator", GeneratorName);
        json.WriteString("generatorVersion", GeneratorVersion);
        json.WriteString("fhirVersion", "4.0.1");
        json.WriteNumber("seed", options.Seed);
        json.WriteNumber("patientCount", options.PatientCount);
        json.WriteString("referenceDate", options.ReferenceDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        json.WriteString("catalogVersion", _catalog.CatalogVersion);
        json.WriteString("notice", "Synthetic data generated for software testing. Not real patients; not for clinical use.");
        json.WriteStartObject("resourceCounts");
        foreach (var type in types)
        {
            json.WriteNumber(type, counts[type]);
        }

        json.WriteEndObject();
        json.WriteStartArray("files");
        foreach (var file in files.Where(f => !f.Path.StartsWith("bundles/", StringComparison.Ordinal)))
        {
            json.WriteStartObject();
            json.WriteString("path", file.Path);
            json.WriteNumber("bytes", file.Bytes);
            json.WriteString("sha256", file.Sha256);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        var bundles = files.Where(f => f.Path.StartsWith("bundles/", StringComparison.Ordinal)).ToList();
        json.WriteStartObject("bundles");
        json.WriteNumber("count", bundles.Count);
        json.WriteNumber("bytes", bundles.Sum(b => b.Bytes));
        json.WriteString("sha256OfHashes", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", bundles.Select(b => b.Path + " " + b.Sha256))))));
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
