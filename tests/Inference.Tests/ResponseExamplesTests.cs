using Precision.Clinical;
using Precision.Clinical.Catalog;
using Precision.Inference.Features;

namespace Precision.Inference.Tests;

public sealed class ResponseExamplesTests
{
    private static readonly SourceReference Source = new("MedicationStatement", "m");

    [Fact]
    public void Only_assessed_lines_of_catalog_therapies_become_examples_with_features_at_line_start()
    {
        var catalog = TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault(AppContext.BaseDirectory));
        var featurizer = new PatientFeaturizer(catalog);
        var medication = new TherapyMedication("osimertinib", new CodedConcept("rx", "1"), Source);
        var profile = new PatientProfile(
            "p1",
            new PatientDemographics("T", null, new DateOnly(1960, 1, 1), AdministrativeSex.Female, null, null, new SourceReference("Patient", "p1")),
            [], null, null, null, [],
            [
                new TherapyLine(1, "osimertinib", [medication], new DateOnly(2023, 1, 1), null, RecistResponse.PartialResponse, new DateOnly(2023, 3, 1), Source),
                new TherapyLine(2, "docetaxel", [medication], new DateOnly(2024, 1, 1), null, null, null, null),          // not assessed
                new TherapyLine(3, null, [medication], new DateOnly(2024, 6, 1), null, RecistResponse.StableDisease, null, Source), // not in catalog
                new TherapyLine(4, "docetaxel", [medication], new DateOnly(2025, 1, 1), null, RecistResponse.ProgressiveDisease, null, Source),
            ],
            [], [], [], null, null, null, null, null, [], []);

        var examples = ResponseExamples.From(profile, featurizer).ToList();

        Assert.Equal([1, 4], examples.Select(e => e.LineNumber));
        Assert.True(examples[0].Responded);
        Assert.False(examples[1].Responded);
        var priorLines = featurizer.Schema.Clinical.ToList().FindIndex(f => f.Name == "prior_lines");
        Assert.Equal(0f, examples[0].Features.Clinical[priorLines]);
        Assert.Equal(0.75f, examples[1].Features.Clinical[priorLines]);
    }

    [Fact]
    public void The_split_is_by_patient_deterministic_seeded_and_close_to_its_fractions()
    {
        var split = new PatientSplit(seed: 7);
        var ids = Enumerable.Range(0, 5000).Select(i => $"pat-{i:000000}").ToList();

        var first = ids.Select(split.Of).ToList();
        Assert.Equal(first, ids.Select(new PatientSplit(seed: 7).Of));
        Assert.NotEqual(first, ids.Select(new PatientSplit(seed: 8).Of));
        Assert.InRange(first.Count(s => s == DataSplit.Train) / 5000.0, 0.67, 0.73);
        Assert.InRange(first.Count(s => s == DataSplit.Validation) / 5000.0, 0.13, 0.17);
        Assert.InRange(first.Count(s => s == DataSplit.Test) / 5000.0, 0.13, 0.17);
    }
}
