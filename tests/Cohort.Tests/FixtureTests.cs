using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Precision.Cohort.Tests;

public sealed class FixtureTests
{
    private static string FixtureDirectory => Path.Combine(TestSupport.RepositoryRoot(), "tests", "fixtures", "fhir");

    [Fact]
    public void Committed_fixtures_are_what_the_generator_produces_for_seed_42()
    {
        var fixtures = FixtureSelector.Select(TestSupport.Generator(), 42);
        Assert.Contains(fixtures, f => f.Name == "example-patient-bundle");
        foreach (var fixture in fixtures)
        {
            var path = Path.Combine(FixtureDirectory, fixture.Name + ".json");
            Assert.True(File.Exists(path), $"missing fixture {path}; regenerate with: precision-cohort fixtures --seed 42 --out tests/fixtures/fhir");
            Assert.True(File.ReadAllText(path) == fixture.Patient.Bundle.ToJson(pretty: true) + "\n",
                $"{fixture.Name}.json is stale; regenerate with: precision-cohort fixtures --seed 42 --out tests/fixtures/fhir");
        }
    }

    [Fact]
    public void Fixtures_together_cover_every_resource_shape()
    {
        var deserializer = new FhirJsonDeserializer();
        var resources = Directory.EnumerateFiles(FixtureDirectory, "*.json")
            .SelectMany(f => deserializer.Deserialize<Bundle>(File.ReadAllText(f)).Entry.Select(e => e.Resource!))
            .ToList();
        var observationCodes = resources.OfType<Observation>().SelectMany(o => o.Code.Coding).Select(c => c.Code).ToHashSet(StringComparer.Ordinal);
        foreach (var code in new[] { "21908-9", "89247-1", "72166-2", "718-7", "2039-6", "88040-1", "69548-6", "94076-7", "81695-9", "85147-7", "84413-4", "53040-2", "tcell-inflamed-gep" })
        {
            Assert.Contains(code, observationCodes);
        }

        Assert.Contains(resources.OfType<Observation>(), o => o.Status == ObservationStatus.EnteredInError);
        Assert.Contains(resources.OfType<Observation>(), o => o.Value is Quantity { Code: "g/L" });
        Assert.Contains(resources.OfType<Observation>(), o => o.Component.Count(c => c.Code.Coding.Any(x => x.Code == "48018-6")) == 2);
        Assert.Contains(resources.OfType<Observation>(), o => o.Component.Any(c => c.Code.Coding.Any(x => x.Code == "82155-3")));
        Assert.Contains(resources.OfType<MedicationStatement>(), m => m.Identifier.Count == 0);
        Assert.Contains(resources.OfType<Condition>(), c => c.ClinicalStatus?.Coding.Any(x => x.Code == "remission") == true);
        Assert.NotEmpty(resources.OfType<DiagnosticReport>());
    }
}
