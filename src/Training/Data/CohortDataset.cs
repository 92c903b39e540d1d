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
    private CohortDataset(IReadOnlyList<LabelledExample> examples, TherapyCatalog catalog, PatientFeaturizer featurizer, IReadOnlyDictionary<(string PatientId, string TherapyId), double> truth)
    {
        Examples = examples;
        Catalog = catalog;
        Featurizer = featurizer;
        Truth = truth;
    }

    public IReadOnlyList<LabelledExample> Examples { get; }

    public TherapyCatalog Catalog { get; }

    public PatientFeaturizer Featurizer { get; }

    /// <summary>True response probability of every catalog therapy for every patient (from the generator's truth file).</summary>
    public IReadOnlyDictionary<(string PatientId, string TherapyId), double> Truth { get; }

    public static async Task<CohortDataset> LoadAsync(string cohortDirectory, TherapyCatalog catalog, long splitSeed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var ndjson = Path.Combine(cohortDirectory, "ndjson");
        if (!Directory.Exists(ndjson))
        {
            throw new DirectoryNotFoundException($"No cohort at {cohortDirectory}: expected an ndjson folder (generate one with precision-cohort).");
        }

        CheckCatalogVersion(cohortDirectory, catalog);
        var source = new NdjsonPatientSource(ndjson, NullLogger<NdjsonPatientSource>.Instance);
        var mapper = new PatientProfileMapper(new CatalogTherapyResolver(catalog));
        var featurizer = new PatientFeaturizer(catalog);
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
                        truth.TryGetValue((profile.PatientId, example.TherapyId), out var p) ? p : null));
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

        return new CohortDataset(examples, catalog, featurizer, truth);
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

    private static Dictionary<(string, string), double> ReadTruth(string path)
    {
        var truth = new Dictionary<(string, string), double>();
        if (!File.Exists(path))
        {
            return truth;
        }

        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var fields = line.Split(',');
            if (fields.Length < 4 || !double.TryParse(fields[3], NumberStyles.Float, CultureInfo.InvariantCulture, out var p) || p is < 0 or > 1)
            {
                throw new InvalidDataException($"The truth file {path} has an unreadable line: '{line}'. Regenerate the cohort.");
            }

            truth[(fields[0], fields[1])] = p;
        }

        return truth;
    }
}
