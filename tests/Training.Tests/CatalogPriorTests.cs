using Precision.Clinical.Catalog;
using Precision.Cohort;
using Precision.Inference.Evidence;
using Precision.Inference.Features;
using Precision.Training.Data;
using Precision.Training.Model;
using static TorchSharp.torch;

namespace Precision.Training.Tests;

/// <summary>The catalog prior computed from input vectors (in C# and as tensors) is the catalog evidence computed from the profile.</summary>
public sealed class CatalogPriorTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "precision-prior-" + Guid.NewGuid().ToString("N"));
    private readonly TherapyCatalog _catalog = TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault(AppContext.BaseDirectory));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task The_prior_from_feature_vectors_equals_the_catalog_evidence_for_every_patient_and_therapy()
    {
        new CohortGenerator(_catalog).Generate(new CohortOptions { PatientCount = 500, Seed = 31, WriteBundles = false }, _directory);
        var dataset = await CohortDataset.LoadAsync(_directory, _catalog, splitSeed: 3);
        var featurizer = dataset.Featurizer;
        var prior = new CatalogPrior(_catalog, featurizer.Schema);
        var evidence = new CatalogEvidence(_catalog);
        // Every line's row, so first-line-only and pretreated-only contexts and the exclusions are all exercised.
        var rows = new List<(float[] Clinical, float[] Genomic, float[] Therapy, EvidenceMatch Expected)>();
        foreach (var example in dataset.Examples)
        {
            var line = example.Profile.TherapyLines.First(l => l.LineNumber == example.Example.LineNumber);
            foreach (var therapyId in featurizer.Schema.TherapyIds)
            {
                rows.Add((example.Example.Features.Clinical, example.Example.Features.Genomic, featurizer.EncodeTherapy(therapyId), evidence.MatchAtLineStart(example.Profile, line, therapyId)));
            }
        }

        Assert.Contains(rows, r => r.Expected.ContextId == "crc-pretreated");
        Assert.Contains(rows, r => r.Expected.ContextId == "nsclc-kras-g12c");

        var biomarkerContexts = 0;
        foreach (var (clinical, genomic, therapy, expected) in rows)
        {
            var (rate, biomarkerContext) = prior.Evaluate(clinical, genomic, therapy);
            Assert.Equal(expected.PublishedResponseRate, rate, 5);
            Assert.Equal(expected.ContextId is not null && expected.Biomarker != BiomarkerKind.BiomarkerNegative, biomarkerContext);
            biomarkerContexts += biomarkerContext ? 1 : 0;
        }

        Assert.True(biomarkerContexts > 100, $"only {biomarkerContexts} biomarker-defined matches: the cohort should exercise them");

        // The tensor form the network and the ONNX graph use gives the same logits.
        using var c = tensor(rows.SelectMany(r => r.Clinical).ToArray(), [rows.Count, featurizer.Schema.Clinical.Count]);
        using var g = tensor(rows.SelectMany(r => r.Genomic).ToArray(), [rows.Count, featurizer.Schema.Genomic.Count]);
        using var t = tensor(rows.SelectMany(r => r.Therapy).ToArray(), [rows.Count, featurizer.Schema.TherapyIds.Count]);
        var (logit, flag) = EfficacyNetwork.PriorOf(prior, c, g, t);
        var logits = logit.data<float>().ToArray();
        var flags = flag.data<float>().ToArray();
        for (var i = 0; i < rows.Count; i++)
        {
            var p = rows[i].Expected.PublishedResponseRate;
            Assert.Equal(Math.Log(p / (1 - p)), logits[i], 3);
            Assert.Equal(rows[i].Expected.ContextId is not null && rows[i].Expected.Biomarker != BiomarkerKind.BiomarkerNegative ? 1f : 0f, flags[i]);
        }
    }

    [Fact]
    public void A_schema_without_a_biomarker_flag_the_catalog_needs_is_refused_with_its_name()
    {
        var schema = new PatientFeaturizer(_catalog).Schema;
        var withoutRos1 = new FeatureSchema(schema.Clinical, [.. schema.Genomic.Where(f => f.Name != "ros1_fusion")], schema.TherapyIds, schema.CatalogVersion);

        var error = Assert.Throws<InvalidOperationException>(() => new CatalogPrior(_catalog, withoutRos1));

        Assert.Contains("ros1_fusion", error.Message, StringComparison.Ordinal);
    }
}
