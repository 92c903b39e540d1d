using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Logging.Abstractions;
using Precision.Clinical;

namespace Precision.Fhir.Tests;

public sealed class NdjsonPatientSourceTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "precision-ndjson-" + Guid.NewGuid().ToString("N"));

    public NdjsonPatientSourceTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async System.Threading.Tasks.Task Reading_from_bulk_files_gives_the_same_profile_as_mapping_the_resources_directly()
    {
        var lung = new RecordBuilder("lung-1").Patient("Lena", "Lung");
        lung.Cancer("254637007", "C34.90", "2023-05-02");
        lung.Variant("EGFR", null, "p.Leu858Arg", 0.2m);
        lung.Lab("1751-7", 31m, "g/L");
        var colon = new RecordBuilder("colon-1").Patient("Carl", "Colon", gender: AdministrativeGender.Male);
        colon.Cancer("363406005", "C18.9", "2022-01-01");
        WriteNdjson([.. lung.Resources, .. colon.Resources], "{ this is not json");

        var source = new NdjsonPatientSource(_directory, NullLogger<NdjsonPatientSource>.Instance);
        var record = await source.ReadAsync("lung-1");
        var mapper = new PatientProfileMapper();

        Assert.Equal(Json(mapper.Map("lung-1", lung.Resources)), Json(mapper.Map("lung-1", record.Resources)));
        Assert.Single(record.Queries);
        var problem = Assert.Single(await source.GetLoadProblemsAsync());
        Assert.Contains("Observation.ndjson:", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async System.Threading.Tasks.Task Search_matches_name_or_mrn_filters_by_cancer_type_and_pages()
    {
        var resources = new List<Resource>();
        for (var i = 0; i < 25; i++)
        {
            var record = new RecordBuilder($"p{i:00}").Patient("Pat", $"Person{i:00}");
            record.Cancer(i % 2 == 0 ? "254637007" : "363406005", i % 2 == 0 ? "C34.90" : "C18.9", "2023-01-01");
            resources.AddRange(record.Resources);
        }

        WriteNdjson(resources);
        var source = new NdjsonPatientSource(_directory, NullLogger<NdjsonPatientSource>.Instance);

        var all = await source.SearchAsync(new PatientQuery(null, null, 0, 10));
        Assert.Equal(25, all.TotalCount);
        Assert.Equal(10, all.Patients.Count);
        var lastPage = await source.SearchAsync(new PatientQuery(null, null, 2, 10));
        Assert.Equal(5, lastPage.Patients.Count);
        var byName = await source.SearchAsync(new PatientQuery("person07", null, 0, 10));
        Assert.Equal("p07", Assert.Single(byName.Patients).PatientId);
        var byMrn = await source.SearchAsync(new PatientQuery("MRN-p12", null, 0, 10));
        Assert.Equal("p12", Assert.Single(byMrn.Patients).PatientId);
        var lungs = await source.SearchAsync(new PatientQuery(null, CancerType.NonSmallCellLungCancer, 0, 50));
        Assert.Equal(13, lungs.TotalCount);
        Assert.All(lungs.Patients, p => Assert.Equal(CancerType.NonSmallCellLungCancer, p.CancerType));
    }

    [Theory]
    [InlineData(-1, 10, "negative")]
    [InlineData(0, 0, "between 1 and")]
    [InlineData(0, 5000, "between 1 and")]
    public async System.Threading.Tasks.Task Invalid_queries_are_refused_with_a_reason(int page, int size, string expected)
    {
        WriteNdjson([]);
        var source = new NdjsonPatientSource(_directory, NullLogger<NdjsonPatientSource>.Instance);
        var error = await Assert.ThrowsAsync<FhirSourceException>(() => source.SearchAsync(new PatientQuery(null, null, page, size)));
        Assert.Equal(PatientRecordFailure.InvalidRequest, error.Failure);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async System.Threading.Tasks.Task Unknown_patient_and_missing_directory_give_clear_failures()
    {
        WriteNdjson([]);
        var source = new NdjsonPatientSource(_directory, NullLogger<NdjsonPatientSource>.Instance);
        var notFound = await Assert.ThrowsAsync<FhirSourceException>(() => source.ReadAsync("nobody"));
        Assert.Equal(PatientRecordFailure.NotFound, notFound.Failure);

        var missing = new NdjsonPatientSource(Path.Combine(_directory, "absent"), NullLogger<NdjsonPatientSource>.Instance);
        var unavailable = await Assert.ThrowsAsync<FhirSourceException>(() => missing.ReadAsync("anyone"));
        Assert.Equal(PatientRecordFailure.SourceUnavailable, unavailable.Failure);
        Assert.Contains("does not exist", unavailable.Message, StringComparison.Ordinal);
    }

    private void WriteNdjson(IEnumerable<Resource> resources, string? badObservationLine = null)
    {
        foreach (var group in resources.GroupBy(r => r.TypeName))
        {
            var lines = group.Select(r => r.ToJson()).ToList();
            if (group.Key == "Observation" && badObservationLine is not null)
            {
                lines.Insert(0, badObservationLine);
            }

            File.WriteAllLines(Path.Combine(_directory, group.Key + ".ndjson"), lines);
        }

        if (badObservationLine is not null && !File.Exists(Path.Combine(_directory, "Observation.ndjson")))
        {
            File.WriteAllLines(Path.Combine(_directory, "Observation.ndjson"), [badObservationLine]);
        }
    }

    private static string Json(PatientProfile profile) => JsonSerializer.Serialize(profile);
}

public sealed class TransactionBundlesTests
{
    [Fact]
    public void Urn_uuid_references_become_type_and_id_and_a_non_bundle_is_refused()
    {
        const string bundle = """
            {"resourceType":"Bundle","type":"transaction","entry":[
              {"fullUrl":"urn:uuid:11111111-1111-4111-8111-111111111111","resource":{"resourceType":"Patient","id":"p1"},"request":{"method":"PUT","url":"Patient/p1"}},
              {"fullUrl":"urn:uuid:22222222-2222-4222-8222-222222222222","resource":{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},
                "subject":{"reference":"urn:uuid:11111111-1111-4111-8111-111111111111"}},"request":{"method":"PUT","url":"Observation/o1"}}]}
            """;

        var resources = TransactionBundles.ResourcesWithLocalReferences(bundle);

        Assert.Equal("Patient/p1", resources.OfType<Observation>().Single().Subject!.Reference);
        var error = Assert.Throws<ArgumentException>(() => TransactionBundles.ResourcesWithLocalReferences("""{"resourceType":"Patient","id":"p1"}"""));
        Assert.Contains("not a Bundle", error.Message, StringComparison.Ordinal);
    }
}
