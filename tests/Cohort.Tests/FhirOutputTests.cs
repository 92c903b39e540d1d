using System.Globalization;
using System.Text.Json;
using Firely.Fhir.Validation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Specification.Source;
using Hl7.Fhir.Specification.Terminology;
using Hl7.Fhir.Validation;

namespace Precision.Cohort.Tests;

public sealed class FhirOutputTests(SmallCohortFixture cohort) : IClassFixture<SmallCohortFixture>
{
    private static readonly FhirJsonDeserializer StrictDeserializer = new(new DeserializerSettings().UsingMode(DeserializationMode.Strict));

    private IEnumerable<(string File, string Line)> NdjsonLines() =>
        CohortGenerator.ResourceTypes.SelectMany(type =>
            File.ReadLines(Path.Combine(cohort.Root, "ndjson", type + ".ndjson")).Select(line => (type, line)));

    private IEnumerable<string> BundleFiles() => Directory.EnumerateFiles(Path.Combine(cohort.Root, "bundles"), "*.json").Order(StringComparer.Ordinal);

    [Fact]
    public void Every_ndjson_line_parses_strictly_with_the_firely_sdk_and_has_its_file_type()
    {
        var count = 0;
        foreach (var (type, line) in NdjsonLines())
        {
            var resource = StrictDeserializer.Deserialize<Resource>(line);
            Assert.Equal(type, resource.TypeName);
            Assert.False(string.IsNullOrEmpty(resource.Id));
            count++;
        }

        Assert.Equal(cohort.Result.ResourceCounts.Values.Sum(), count);
    }

    [Fact]
    public void Every_bundle_parses_strictly_and_is_a_transaction_of_puts()
    {
        foreach (var file in BundleFiles())
        {
            var bundle = StrictDeserializer.Deserialize<Bundle>(File.ReadAllText(file));
            Assert.Equal(Bundle.BundleType.Transaction, bundle.Type);
            Assert.All(bundle.Entry, e =>
            {
                Assert.StartsWith("urn:uuid:", e.FullUrl, StringComparison.Ordinal);
                Assert.Equal(Bundle.HTTPVerb.PUT, e.Request!.Method);
                Assert.Equal(e.Resource!.TypeName + "/" + e.Resource.Id, e.Request!.Url);
            });
            Assert.Equal(bundle.Entry.Count, bundle.Entry.Select(e => e.FullUrl).Distinct(StringComparer.Ordinal).Count());
        }
    }

    [Fact]
    public void Every_reference_inside_a_bundle_resolves_to_an_entry()
    {
        foreach (var file in BundleFiles())
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            var fullUrls = doc.RootElement.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("fullUrl").GetString()!).ToHashSet(StringComparer.Ordinal);
            var references = new List<string>();
            foreach (var entry in doc.RootElement.GetProperty("entry").EnumerateArray())
            {
                CollectReferences(entry.GetProperty("resource"), references);
            }

            Assert.NotEmpty(references);
            Assert.All(references, r => Assert.True(fullUrls.Contains(r), $"{Path.GetFileName(file)}: unresolved reference {r}"));
        }
    }

    [Fact]
    public void Every_ndjson_reference_points_to_a_resource_in_the_cohort()
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var references = new List<string>();
        foreach (var (_, line) in NdjsonLines())
        {
            using var doc = JsonDocument.Parse(line);
            ids.Add(doc.RootElement.GetProperty("resourceType").GetString() + "/" + doc.RootElement.GetProperty("id").GetString());
            CollectReferences(doc.RootElement, references);
        }

        Assert.All(references, r => Assert.Contains(r, ids));
    }

    [Fact]
    public void True_probabilities_never_appear_in_fhir_output()
    {
        var truthLines = File.ReadAllLines(Path.Combine(cohort.Root, "truth", "true-response-probabilities.csv")).Skip(1).ToList();
        Assert.NotEmpty(truthLines);

        // Recompute the exact doubles (round-trip format) from the simulator: they must not occur anywhere in FHIR text.
        var generator = TestSupport.Generator();
        var probabilities = Enumerable.Range(1, 10)
            .SelectMany(i => generator.GeneratePatient(cohort.Seed, i).Patient.Truth)
            .Select(t => t.Probability.ToString("R", CultureInfo.InvariantCulture))
            .Where(s => s.Length > 8)
            .ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(probabilities);

        var fhirText = string.Join('\n', NdjsonLines().Select(l => l.Line)) + string.Join('\n', BundleFiles().Select(File.ReadAllText));
        foreach (var p in probabilities)
        {
            Assert.DoesNotContain(p, fhirText, StringComparison.Ordinal);
        }

        foreach (var word in new[] { "p_true", "probability", "truth", "unselected" })
        {
            Assert.DoesNotContain(word, fhirText, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void A_sample_passes_the_sdk_attribute_validation()
    {
        foreach (var (_, line) in NdjsonLines().Where((_, i) => i % 7 == 0))
        {
            var resource = StrictDeserializer.Deserialize<Resource>(line);
            // The SDK's own POCO validation (successor of DotNetAttributeValidation): cardinality, required elements, formats.
            var problems = resource.Validate();
            Assert.True(problems.Count == 0, resource.TypeName + "/" + resource.Id + ": " + string.Join("; ", problems.Select(p => p.Message)));
        }
    }

    [Fact]
    public void A_sample_validates_against_the_base_r4_specification()
    {
        var source = new CachedResolver(ZipSource.CreateValidationSource());
        var validator = new Validator(source, new LocalTerminologyService(source));

        // Negative control: the validator does reject an Observation without its required status and code.
        var broken = validator.Validate(new Observation { Id = "broken" });
        Assert.Contains(broken.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error);
        // Every resource type, including the real-world ones (requests, administrations, procedures, specimens, secondary cancers).
        var sample = NdjsonLines().Where((_, i) => i % 23 == 0).Take(60)
            .Concat(NdjsonLines().Where(l => l.File != "Observation").Take(20))
            .Concat(CohortGenerator.ResourceTypes.SelectMany(t => NdjsonLines().Where(l => l.File == t).Where((_, i) => i % 17 == 0).Take(8)))
            .Concat(NdjsonLines().Where(l => l.Line.Contains("-met-", StringComparison.Ordinal) && l.File == "Condition").Take(5))
            .Concat(NdjsonLines().Where(l => l.Line.Contains("\"stage\":[", StringComparison.Ordinal)).Take(5))
            .ToList();
        Assert.All(CohortGenerator.ResourceTypes, t => Assert.Contains(sample, l => l.File == t));
        foreach (var (_, line) in sample)
        {
            var resource = StrictDeserializer.Deserialize<Resource>(line);

            // The mCODE / US Core / Genomics profiles are not in the base specification package: validate against base R4.
            resource.Meta = null;
            var outcome = validator.Validate(resource);
            var errors = outcome.Issue.Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal).ToList();
            Assert.True(errors.Count == 0, resource.TypeName + "/" + resource.Id + ": " + string.Join("; ", errors.Select(e => e.Details?.Text ?? e.Diagnostics)));
        }
    }

    private static void CollectReferences(JsonElement element, List<string> references)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name == "reference" && property.Value.ValueKind == JsonValueKind.String)
                    {
                        references.Add(property.Value.GetString()!);
                    }
                    else
                    {
                        CollectReferences(property.Value, references);
                    }
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    CollectReferences(item, references);
                }

                break;
            default:
                break;
        }
    }
}
