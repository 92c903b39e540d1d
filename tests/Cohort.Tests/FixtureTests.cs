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
    public void Committed_real_world_fixtures_are_what_the_generator_produces_for_seed_42()
    {
        var fixtures = FixtureSelector.SelectRealWorld(TestSupport.Generator(), 42);
        var folder = Path.Combine(FixtureDirectory, FixtureSelector.RealWorldFolder);
        Assert.Equal(10, fixtures.Count);
        Assert.Equal(fixtures.Select(f => f.Name + ".json").Order(StringComparer.Ordinal),
            Directory.EnumerateFiles(folder, "*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var fixture in fixtures)
        {
            var path = Path.Combine(folder, fixture.Name + ".json");
            Assert.True(File.ReadAllText(path) == fixture.Patient.Bundle.ToJson(pretty: true) + "\n",
                $"{FixtureSelector.RealWorldFolder}/{fixture.Name}.json is stale; regenerate with: precision-cohort fixtures --seed 42 --out tests/fixtures/fhir");
        }
    }

    [Fact]
    public void Real_world_fixtures_together_cover_the_new_shapes()
    {
        var deserializer = new FhirJsonDeserializer();
        var entries = Directory.EnumerateFiles(Path.Combine(FixtureDirectory, FixtureSelector.RealWorldFolder), "*.json")
            .SelectMany(f => deserializer.Deserialize<Bundle>(File.ReadAllText(f)).Entry)
            .ToList();
        var resources = entries.Select(e => e.Resource!).ToList();
        var byUrl = entries.ToDictionary(e => e.FullUrl!, e => e.Resource!, StringComparer.Ordinal);
        static IEnumerable<string> Codes(CodeableConcept? concept) => concept?.Coding.Select(c => c.Code).OfType<string>() ?? [];
        Assert.Contains(resources.OfType<Patient>(), p => p.Deceased is FhirDateTime);
        Assert.Contains(resources.OfType<Condition>(), c => Codes(c.Code).Any(x => x is "254632001" or "67811000119102" or "67821000119109" or "67831000119107" or "67841000119103"));
        Assert.Contains(resources.OfType<Condition>(), c => Codes(c.Code).Contains("C25.4"));
        Assert.Contains(resources.OfType<Condition>(), c => Codes(c.Code).Any(x => x.StartsWith("C69", StringComparison.Ordinal)));
        Assert.True(resources.OfType<Condition>().Count(c => c.Meta?.Profile.Contains("http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-secondary-cancer-condition") == true) >= 2);
        Assert.Contains(resources.OfType<Condition>(), c => c.Stage.Any(s => s.Summary?.Text?.StartsWith("Stage ", StringComparison.Ordinal) == true));
        Assert.Contains(resources.OfType<Observation>(), o => o.Code.Coding.Any(x => x.Code is "399537006" or "399588009"));
        Assert.Contains(resources.OfType<Observation>(), o => o.Code.Coding.Any(x => x.Code is "21905-5" or "21899-0"));
        Assert.NotEmpty(resources.OfType<MedicationAdministration>());
        Assert.Contains(resources.OfType<Observation>(), o => Codes(o.Code).Contains("88040-1")
            && o.PartOf.Count > 0 && o.PartOf.All(r => byUrl[r.Reference!] is MedicationAdministration));
        Assert.Contains(resources.OfType<MedicationRequest>(), m => m.Intent is MedicationRequest.MedicationRequestIntent.Proposal or MedicationRequest.MedicationRequestIntent.Plan);
        Assert.Contains(resources.OfType<Observation>(), o => o.Value is CodeableConcept { } v && v.Coding.Any(x => x.Code == "LA9634-2"));
        Assert.Contains(resources.OfType<Observation>(), o => o.Component.Any(c => c.Value is CodeableConcept { } v && v.Coding.Any(x => x.Code == "LA26333-7")));
        Assert.Contains(resources.OfType<Observation>(), o => o.Code.Coding.Any(x => x.Code == "diagnostic-implication") && o.DerivedFrom.Count > 0);
        Assert.Contains(resources.OfType<DiagnosticReport>(), d => d.Code.Coding.Any(x => x.Code == "51969-4"));
        Assert.Contains(resources.OfType<Observation>(), o => o.HasMember.Count > 0 && o.Code.Coding.Any(x => x.Code == "81247-9"));
        Assert.Contains(resources.OfType<Observation>(), o => o.Subject is null);
        Assert.NotEmpty(resources.OfType<Specimen>());
        Assert.Contains(resources.OfType<Procedure>(), p => Codes(p.Category).Contains("387713003"));
        Assert.Contains(resources.OfType<Procedure>(), p => Codes(p.Code).Contains("1217123003") && p.Performed is Period);
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
