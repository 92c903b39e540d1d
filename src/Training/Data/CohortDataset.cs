using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Precision.Clinical;
using Precision.Clinical.Catalog;
using Precision.Fhir;
using Precision.Inference.Features;

namespace Precision.Training.Data;

/// <summary>One labelled example with its split, and — because the data is synthetic — its true response probability.</summary>
public sealed record LabelledExample(ResponseExample Example, PatientProfile Profile, DataSplit Split, double? TrueProbability);

/// <summary>
/// A generated cohort read the way the portal reads records: Bulk Data ndjson → <see cref="PatientProfileMapper"/> →
/// <see cref="PatientFeaturizer"/>. Rows are (patient, therapy received, observed response), split by patient.
/// </summary>
public sealed class CohortDataset
{
    private CohortDataset(IReadOnlyList<LabelledExample> examples, TherapyCatalog catalog, PatientFeaturizer featurizer, CohortTruth truth, CohortIdentity identity, long splitSeed)
    {
        Examples = examples;
        Catalog = catalog;
        Featurizer = featurizer;
        Truth = truth.AtLine;
        FirstLineTruth = truth.FirstLine;
        FirstLineTruthColumn = truth.FirstLineColumn;
        Identity = identity;
        SplitSeed = splitSeed;
    }

    public IReadOnlyList<LabelledExample> Examples { get; }

    public TherapyCatalog Catalog { get; }

    public PatientFeaturizer Featurizer { get; }

    /// <summary>
    /// True response probability of every catalog therapy for every patient (the truth file's <c>true_probability</c>, or
    /// <c>p_true</c> in older cohorts): at the (first) line the therapy was given, else at first line. Observed rows take
    /// the probability at their own line (a re-challenge's differs from the first time); this is their fallback.
    /// </summary>
    public IReadOnlyDictionary<(string PatientId, string TherapyId), double> Truth { get; }

    /// <summary>
    /// True probability of every catalog therapy at the start of the patient's first line (<c>first_line_probability</c>);
    /// the same as <see cref="Truth"/> when the truth file lacks that column (see <see cref="FirstLineTruthColumn"/>).
    /// </summary>
    public IReadOnlyDictionary<(string PatientId, string TherapyId), double> FirstLineTruth { get; }

    /// <summary>The column <see cref="FirstLineTruth"/> was read from; null when the cohort has no truth file.</summary>
    public string? FirstLineTruthColumn { get; }

    /// <summary>Seed, size and manifest hash of the cohort (how a model's training cohort is recognised).</summary>
    public CohortIdentity Identity { get; }

    /// <summary>The seed of the patient split (<see cref="PatientSplit"/>) behind each example's <see cref="LabelledExample.Split"/>.</summary>
    public long SplitSeed { get; }

    public static Task<CohortDataset> LoadAsync(string cohortDirectory, TherapyCatalog catalog, long splitSeed, CancellationToken cancellationToken = default) =>
        LoadAsync(cohortDirectory, catalog, splitSeed, FeatureSchema.CurrentLayout, cancellationToken);

    /// <summary>The cohort with features in <paramref name="layout"/> (the layout of the model being trained or evaluated).</summary>
    public static async Task<CohortDataset> LoadAsync(string cohortDirectory, TherapyCatalog catalog, long splitSeed, FeatureLayout layout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var ndjson = Path.Combine(cohortDirectory, "ndjson");
        if (!Directory.Exists(ndjson))
        {
            throw new DirectoryNotFoundException($"No cohort at {cohortDirectory}: expected an ndjson folder (generate one with precision-cohort).");
        }

        CheckCatalogVersion(cohortDirectory, catalog);
        var identity = CohortIdentity.Read(cohortDirectory);
        var source = new NdjsonPatientSource(ndjson, NullLogger<NdjsonPatientSource>.Instance);
        var mapper = new PatientProfileMapper(new CatalogTherapyResolver(catalog));
        var featurizer = new PatientFeaturizer(catalog, layout);
        var split = new PatientSplit(splitSeed);
        var truth = ReadTruth(Path.Combine(cohortDirectory, "truth", "true-response-probabilities.csv"));
        var examples = new List<LabelledExample>();
        var first = await source.SearchAsync(new PatientQuery(null, null, 0, 1), cancellationToken).ConfigureAwait(false);
        for (var page = 0; page * PatientQuery.MaxPageSize < first.TotalCount; page++)
        {
            var patients = await source.SearchAsync(new PatientQuery(null, null, page, PatientQuery.MaxPageSize), cancellationToken).ConfigureAwait(false);
            foreach (var patient in patients.Patients)
            {
                var profile = mapper.Map(patient.PatientId, (await source.ReadAsync(patient.PatientId, cancellationToken).ConfigureAwait(false)).Resources);
                foreach (var example in ResponseExamples.From(profile, featurizer))
                {
                    examples.Add(new LabelledExample(example, profile, split.Of(profile.PatientId),
                        truth.Given.TryGetValue((profile.PatientId, example.TherapyId, example.LineNumber), out var p)
                        || truth.AtLine.TryGetValue((profile.PatientId, example.TherapyId), out p) ? p : null));
                }
            }
        }

        if (await source.GetLoadProblemsAsync().ConfigureAwait(false) is { Count: > 0 } problems)
        {
            throw new InvalidDataException($"The cohort at {cohortDirectory} has {problems.Count} unreadable ndjson lines (first: {problems[0]}); regenerate it rather than train on part of it.");
        }

        if (examples.Count == 0)
        {
            throw new InvalidDataException($"The cohort at {cohortDirectory} has no assessed catalog-therapy lines to learn from.");
        }

        return new CohortDataset(examples, catalog, featurizer, truth, identity, splitSeed);
    }

    /// <summary>A cohort made with another catalog labels therapies the featurizer would encode differently: refuse it.</summary>
    private static void CheckCatalogVersion(string cohortDirectory, TherapyCatalog catalog)
    {
        var manifestPath = Path.Combine(cohortDirectory, "manifest.json");
        if (!File.Exists(manifestPath))
        {
            return;
        }

        string? version;
        try
        {
            version = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifestPath))?["catalogVersion"]?.GetValue<string>();
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"The cohort manifest {manifestPath} is not valid JSON ({e.Message}); regenerate the cohort.", e);
        }

        if (version is not null && version != catalog.CatalogVersion)
        {
            throw new InvalidDataException($"The cohort at {cohortDirectory} was generated with therapy catalog {version}, but training uses catalog {catalog.CatalogVersion}: the feature schema would not match. Regenerate the cohort with this catalog.");
        }
    }

    /// <summary>The columns the truth probability has had: <c>p_true</c> until the first-line column was added, then <c>true_probability</c>.</summary>
    private static readonly string[] AtLineColumns = ["true_probability", "p_true"];

    private const string FirstLineColumn = "first_line_probability";

    /// <param name="AtLine">Per (patient, therapy): the first row's probability (the first line it was given, else first line).</param>
    /// <param name="Given">Per (patient, therapy, line): the probability at each line a therapy was given (a re-challenge has two).</param>
    private sealed record CohortTruth(
        Dictionary<(string, string), double> AtLine, Dictionary<(string, string, int), double> Given, Dictionary<(string, string), double> FirstLine, string? FirstLineColumn);

    /// <summary>Reads the truth file by its header names, so added or reordered columns do not shift what is read.</summary>
    private static CohortTruth ReadTruth(string path)
    {
        var atLine = new Dictionary<(string, string), double>();
        var given = new Dictionary<(string, string, int), double>();
        var firstLine = new Dictionary<(string, string), double>();
        if (!File.Exists(path))
        {
            return new CohortTruth(atLine, given, firstLine, null);
        }

        using var lines = File.ReadLines(path).GetEnumerator();
        if (!lines.MoveNext())
        {
            throw new InvalidDataException($"The truth file {path} is empty. Regenerate the cohort.");
        }

        var header = lines.Current.Split(',').Select(h => h.Trim()).ToList();
        int patient = header.IndexOf("patient_id"), therapy = header.IndexOf("therapy_id");
        var probability = AtLineColumns.Select(c => header.IndexOf(c)).FirstOrDefault(i => i >= 0, -1);
        var first = header.IndexOf(FirstLineColumn);
        var lineColumn = header.IndexOf("line");
        if (patient < 0 || therapy < 0 || probability < 0)
        {
            throw new InvalidDataException($"The truth file {path} has no patient_id, therapy_id and true_probability (or p_true) columns (header: '{lines.Current}'). Regenerate the cohort.");
        }

        while (lines.MoveNext())
        {
            var line = lines.Current;
            var fields = line.Split(',');
            if (fields.Length != header.Count
                || !TryProbability(fields[probability], out var p)
                || (first >= 0 && !TryProbability(fields[first], out _)))
            {
                throw new InvalidDataException($"The truth file {path} has an unreadable line: '{line}'. Regenerate the cohort.");
            }

            var key = (fields[patient], fields[therapy]);
            atLine.TryAdd(key, p);
            firstLine[key] = first >= 0 && TryProbability(fields[first], out var f) ? f : p;
            if (lineColumn >= 0 && int.TryParse(fields[lineColumn], NumberStyles.None, CultureInfo.InvariantCulture, out var lineNumber))
            {
                given[(fields[patient], fields[therapy], lineNumber)] = p;
            }
        }

        return new CohortTruth(atLine, given, firstLine, first >= 0 ? FirstLineColumn : header[probability]);
    }

    private static bool TryProbability(string text, out double p) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out p) && p is >= 0 and <= 1;
}

/// <summary>What identifies a generated cohort: its seed and size, and the SHA-256 of its manifest.json (which hashes every file).</summary>
public sealed record CohortIdentity(string Directory, long? Seed, int? PatientCount, string? ManifestSha256)
{
    public static CohortIdentity Read(string cohortDirectory)
    {
        var path = Path.Combine(cohortDirectory, "manifest.json");
        if (!File.Exists(path))
        {
            return new CohortIdentity(cohortDirectory, null, null, null);
        }

        var bytes = File.ReadAllBytes(path);
        try
        {
            var manifest = System.Text.Json.Nodes.JsonNode.Parse(bytes);
            return new CohortIdentity(cohortDirectory, manifest?["seed"]?.GetValue<long>(), manifest?["patientCount"]?.GetValue<int>(),
                Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"The cohort manifest {path} is not valid ({e.Message}); regenerate the cohort.", e);
        }
    }
}
