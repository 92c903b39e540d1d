using System.Globalization;
using System.Text.Json.Nodes;
using Precision.Clinical;
using Precision.Inference.Evidence;
using Precision.Inference.Features;
using Precision.Training.Data;
using Precision.Training.Model;

namespace Precision.Training.Evaluation;

/// <summary>
/// <c>reference-population.json</c>: what the portal needs to know about the training patients without the cohort itself —
/// the cancer types and feature ranges seen (applicability checks), a fixed reference sample (the baseline of Shapley
/// explanations) and a sample of training patients in embedding space with the therapy they received and their response
/// (similar patients; the distance percentiles of held-out patients mark "far from anything seen").
/// </summary>
public static class ReferencePopulation
{
    public const string FileName = "reference-population.json";

    /// <summary>Patients in the Shapley reference sample.</summary>
    public const int BackgroundSize = 100;

    /// <summary>At most this many training patients are kept for similar-patient search.</summary>
    public const int NeighbourSize = 2000;

    private const int SampleSeed = 42;

    public static JsonObject Build(string version, TrainedEnsemble ensemble, CohortDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        ArgumentNullException.ThrowIfNull(dataset);
        var schema = dataset.Featurizer.Schema;
        var train = dataset.Examples.Where(e => e.Split == DataSplit.Train).ToList();
        if (train.Count == 0)
        {
            throw new InvalidOperationException("The training split is empty; there is no reference population to describe.");
        }

        // Each training patient once, as at the start of the first catalog line they were scored on.
        var patients = train.GroupBy(e => e.Example.PatientId, StringComparer.Ordinal)
            .Select(g => g.OrderBy(e => e.Example.LineNumber).First())
            .OrderBy(e => e.Example.PatientId, StringComparer.Ordinal)
            .ToList();
        var random = new Random(SampleSeed);
        var background = patients.OrderBy(_ => random.Next()).Take(BackgroundSize).ToList();
        var neighbours = patients.OrderBy(_ => random.Next()).Take(NeighbourSize).ToList();
        var neighbourEmbeddings = Embed(ensemble, dataset, neighbours);
        var heldOut = dataset.Examples.Where(e => e.Split == DataSplit.Validation)
            .GroupBy(e => e.Example.PatientId, StringComparer.Ordinal)
            .Select(g => g.OrderBy(e => e.Example.LineNumber).First())
            .ToList();
        var nearest = Embed(ensemble, dataset, heldOut)
            .Select(e => neighbourEmbeddings.Min(n => Distance(e, n)))
            .Order()
            .ToList();

        return new JsonObject
        {
            ["modelVersion"] = version,
            ["featureSchemaHash"] = schema.Hash,
            ["cancerTypes"] = new JsonArray([.. train
                .GroupBy(e => e.Example.PatientId, StringComparer.Ordinal)
                .Select(g => g.First().Profile.PrimaryCancer?.CancerType)
                .Where(t => t is not null)
                .GroupBy(t => t!.Value)
                .OrderBy(g => g.Key.ToString(), StringComparer.Ordinal)
                .Select(g => (JsonNode)new JsonObject { ["cancerType"] = g.Key.ToString(), ["patients"] = g.Count() })]),
            ["featureRanges"] = FeatureRanges(schema, train),
            ["background"] = new JsonObject
            {
                ["description"] = $"{background.Count} training patients drawn at random (seed {SampleSeed}), each as at the start of their first scored line of therapy",
                ["seed"] = SampleSeed,
                ["rows"] = new JsonArray([.. background.Select(e => (JsonNode)new JsonObject
                {
                    ["clinical"] = Numbers(e.Example.Features.Clinical),
                    ["genomic"] = Numbers(e.Example.Features.Genomic),
                })]),
            },
            ["neighbours"] = new JsonObject
            {
                ["distance"] = "euclidean on the embedding output",
                ["nearestDistancePercentiles"] = new JsonObject
                {
                    ["p50"] = Percentile(nearest, 0.50),
                    ["p90"] = Percentile(nearest, 0.90),
                    ["p95"] = Percentile(nearest, 0.95),
                    ["p99"] = Percentile(nearest, 0.99),
                },
                ["patients"] = new JsonArray([.. neighbours.Select((e, i) => (JsonNode)new JsonObject
                {
                    ["id"] = e.Example.PatientId,
                    ["cancerType"] = e.Profile.PrimaryCancer?.CancerType.ToString(),
                    ["ageBand"] = ModelEvaluator.AgeBand(e.Profile.Demographics.AgeOn(e.Profile.TherapyLines.FirstOrDefault(l => l.LineNumber == e.Example.LineNumber)?.StartedOn ?? DateOnly.FromDateTime(DateTime.UtcNow))),
                    ["sex"] = e.Profile.Demographics.Sex.ToString(),
                    ["biomarkers"] = new JsonArray([.. CatalogEvidence.BiomarkersOf(e.Profile).Select(b => b.ToString()).Order(StringComparer.Ordinal).Select(b => (JsonNode?)b)]),
                    ["therapyId"] = e.Example.TherapyId,
                    ["lineNumber"] = e.Example.LineNumber,
                    ["responded"] = e.Example.Responded,
                    ["embedding"] = Numbers(neighbourEmbeddings[i]),
                })]),
            },
        };
    }

    private static JsonArray FeatureRanges(FeatureSchema schema, List<LabelledExample> train)
    {
        var ranges = new JsonArray();
        void Add(FeatureDefinition feature, Func<LabelledExample, float> value)
        {
            var values = train.Select(value).Order().ToList();
            ranges.Add(new JsonObject
            {
                ["name"] = feature.Name,
                ["block"] = feature.Block.ToString(),
                ["min"] = Round(values[0]),
                ["max"] = Round(values[^1]),
                ["p01"] = Round(Percentile(values, 0.01)),
                ["p99"] = Round(Percentile(values, 0.99)),
            });
        }

        for (var i = 0; i < schema.Clinical.Count; i++)
        {
            var index = i;
            Add(schema.Clinical[i], e => e.Example.Features.Clinical[index]);
        }

        for (var i = 0; i < schema.Genomic.Count; i++)
        {
            var index = i;
            Add(schema.Genomic[i], e => e.Example.Features.Genomic[index]);
        }

        return ranges;
    }

    private static float[][] Embed(TrainedEnsemble ensemble, CohortDataset dataset, List<LabelledExample> patients)
    {
        if (patients.Count == 0)
        {
            return [];
        }

        var schema = dataset.Featurizer.Schema;
        using var clinical = EnsembleTrainer.Batch.Matrix(patients.Select(e => e.Example.Features.Clinical), patients.Count, schema.Clinical.Count);
        using var genomic = EnsembleTrainer.Batch.Matrix(patients.Select(e => e.Example.Features.Genomic), patients.Count, schema.Genomic.Count);
        return ensemble.Embed(clinical, genomic, schema.TherapyIds.Count);
    }

    private static double Distance(float[] a, float[] b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var d = a[i] - b[i];
            sum += d * d;
        }

        return Math.Sqrt(sum);
    }

    private static double Percentile<T>(List<T> sorted, double q)
        where T : IConvertible =>
        sorted.Count == 0 ? double.NaN : Convert.ToDouble(sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)], CultureInfo.InvariantCulture);

    private static double Round(double value) => Math.Round(value, 6);

    private static double Round(float value) => Math.Round(value, 6);

    private static JsonArray Numbers(float[] values) => new([.. values.Select(v => (JsonNode?)Math.Round(v, 5))]);
}
