using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Precision.Inference.Features;

namespace Precision.Inference.Explanations;

/// <summary>
/// The fixed reference population of interventional Shapley values: feature rows of real training patients, in a fixed
/// order. Absent players take a reference row's values; the baseline is the mean prediction over these rows.
/// </summary>
public sealed class ReferenceSample
{
    private readonly float[] _clinical;
    private readonly float[] _genomic;

    private ReferenceSample(float[] clinical, float[] genomic, int count, int clinicalWidth, int genomicWidth, string description)
    {
        _clinical = clinical;
        _genomic = genomic;
        Count = count;
        ClinicalWidth = clinicalWidth;
        GenomicWidth = genomicWidth;
        Description = description;
    }

    /// <summary>Number of reference rows.</summary>
    public int Count { get; }

    public int ClinicalWidth { get; }

    public int GenomicWidth { get; }

    /// <summary>Where the rows come from, for the explanation's output ("64 training-split patients of cohort seed 42 …").</summary>
    public string Description { get; }

    /// <summary>Row-major clinical features, <see cref="Count"/> × <see cref="ClinicalWidth"/>.</summary>
    public ReadOnlySpan<float> Clinical => _clinical;

    /// <summary>Row-major genomic features, <see cref="Count"/> × <see cref="GenomicWidth"/>.</summary>
    public ReadOnlySpan<float> Genomic => _genomic;

    /// <summary>A sample from feature rows (each as the featurizer made it); every row must have the same, finite widths.</summary>
    public static ReferenceSample Create(IReadOnlyList<PatientFeatures> rows, string description)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        if (rows.Count == 0)
        {
            throw new ArgumentException("A reference sample needs at least one row.", nameof(rows));
        }

        var clinicalWidth = rows[0].Clinical.Length;
        var genomicWidth = rows[0].Genomic.Length;
        var clinical = new float[rows.Count * clinicalWidth];
        var genomic = new float[rows.Count * genomicWidth];
        for (var r = 0; r < rows.Count; r++)
        {
            if (rows[r].Clinical.Length != clinicalWidth || rows[r].Genomic.Length != genomicWidth)
            {
                throw new ArgumentException($"Reference row {r} has widths {rows[r].Clinical.Length}/{rows[r].Genomic.Length}; row 0 has {clinicalWidth}/{genomicWidth}.", nameof(rows));
            }

            if (!rows[r].Clinical.All(float.IsFinite) || !rows[r].Genomic.All(float.IsFinite))
            {
                throw new ArgumentException($"Reference row {r} has a non-finite feature value.", nameof(rows));
            }

            rows[r].Clinical.CopyTo(clinical, r * clinicalWidth);
            rows[r].Genomic.CopyTo(genomic, r * genomicWidth);
        }

        return new ReferenceSample(clinical, genomic, rows.Count, clinicalWidth, genomicWidth, description);
    }

    /// <summary>
    /// The fixed reference sample a model version ships with: the <c>background</c> of its
    /// <c>reference-population.json</c> (written by precision-train), refused unless it was made with <paramref name="schema"/>.
    /// </summary>
    public static ReferenceSample Load(string referencePopulationPath, FeatureSchema schema)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(referencePopulationPath);
        ArgumentNullException.ThrowIfNull(schema);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(referencePopulationPath));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{referencePopulationPath} is not valid JSON: {e.Message}", e);
        }

        var hash = root?["featureSchemaHash"]?.GetValue<string>();
        if (hash != schema.Hash)
        {
            throw new InvalidDataException($"{referencePopulationPath} was made with feature schema {hash ?? "(none)"}, not {schema.Hash}; use the reference population of the model being explained.");
        }

        var background = root?["background"] ?? throw new InvalidDataException($"{referencePopulationPath} has no background (reference sample).");
        var rows = (background["rows"]?.AsArray() ?? throw new InvalidDataException($"{referencePopulationPath} has no background rows."))
            .Select((row, i) => new PatientFeatures(Floats(row?["clinical"], referencePopulationPath, i), Floats(row?["genomic"], referencePopulationPath, i)))
            .ToList();
        if (rows.Any(r => r.Clinical.Length != schema.Clinical.Count || r.Genomic.Length != schema.Genomic.Count))
        {
            throw new InvalidDataException($"{referencePopulationPath} has background rows whose widths do not match feature schema {schema.Hash[..12]}.");
        }

        var version = root?["modelVersion"]?.GetValue<string>();
        var description = (background["description"]?.GetValue<string>() ?? "training patients")
            + (version is null ? string.Empty : string.Create(CultureInfo.InvariantCulture, $"; reference population of model {version}"));
        return Create(rows, description);
    }

    private static float[] Floats(JsonNode? node, string path, int row) =>
        node is JsonArray array
            ? [.. array.Select(v => v?.GetValue<float>() ?? throw new InvalidDataException($"{path}: background row {row} has an empty value."))]
            : throw new InvalidDataException($"{path}: background row {row} lacks its clinical or genomic values.");

    /// <summary>
    /// The training population's rows: of <paramref name="profiles"/> in their given order, the patients
    /// <paramref name="split"/> puts in the training split, each with the features at the start of their first assessed
    /// catalog-therapy line (the first training example of that patient), until <paramref name="count"/> are found.
    /// </summary>
    public static ReferenceSample FromTrainingProfiles(IEnumerable<Clinical.PatientProfile> profiles, PatientFeaturizer featurizer, PatientSplit split, int count, string description)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(featurizer);
        ArgumentNullException.ThrowIfNull(split);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var rows = profiles
            .Where(p => split.Of(p.PatientId) == DataSplit.Train)
            .Select(p => ResponseExamples.From(p, featurizer).FirstOrDefault())
            .OfType<ResponseExample>()
            .Take(count)
            .Select(e => e.Features)
            .ToList();
        if (rows.Count < count)
        {
            throw new ArgumentException($"Only {rows.Count} training-split patients with an assessed catalog-therapy line were found; {count} were asked for.", nameof(profiles));
        }

        return Create(rows, description);
    }

    /// <summary>The first <paramref name="count"/> rows (the sample's order is fixed, so this is deterministic).</summary>
    public ReferenceSample Take(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Count);
        return count == Count ? this : new ReferenceSample(
            _clinical[..(count * ClinicalWidth)], _genomic[..(count * GenomicWidth)], count, ClinicalWidth, GenomicWidth,
            $"the first {count} rows of: {Description}");
    }

    public PatientFeatures Row(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return new PatientFeatures(
            _clinical.AsSpan(index * ClinicalWidth, ClinicalWidth).ToArray(),
            _genomic.AsSpan(index * GenomicWidth, GenomicWidth).ToArray());
    }
}
