using System.Net;
using System.Text.Json;
using Precision.Portal.Testing;

namespace Precision.Portal.Server.Tests.Fhir;

/// <summary>The real FHIR sandbox, loaded with infra/fhir-sandbox/test-data, answering plain HTTP.</summary>
[Collection(FhirSandboxGroup.Name)]
public sealed class FhirSandboxTests(SharedFhirSandbox shared)
{
    private const string Alice = "sandbox-alice";
    private readonly FhirSandbox _sandbox = shared.Sandbox;

    [Fact]
    public async Task Metadata_answers_with_an_R4_capability_statement_as_fhir_json()
    {
        using var client = Fhir.Client(_sandbox.BaseUrl);
        using var response = await client.GetAsync(new Uri("metadata", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        var capability = await Fhir.JsonAsync(response);
        Assert.Equal("CapabilityStatement", capability.GetProperty("resourceType").GetString());
        Assert.Equal("4.0.1", capability.GetProperty("fhirVersion").GetString());
        var rest = capability.GetProperty("rest")[0];
        var patient = rest.GetProperty("resource").EnumerateArray().Single(r => r.GetProperty("type").GetString() == "Patient");
        Assert.Contains(patient.GetProperty("searchParam").EnumerateArray(), p => p.GetProperty("name").GetString() == "name");
        Assert.Contains(rest.GetProperty("interaction").EnumerateArray(), i => i.GetProperty("code").GetString() == "transaction");
        Assert.Equal(14, _sandbox.LoadedResourceCount);
    }

    [Fact]
    public async Task Loaded_bundle_resources_can_be_read_and_urn_uuid_references_were_resolved()
    {
        using var client = Fhir.Client(_sandbox.BaseUrl);
        using var read = await client.GetAsync(new Uri($"Patient/{Alice}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.StartsWith("W/\"", read.Headers.ETag?.ToString(), StringComparison.Ordinal);
        var patient = await Fhir.JsonAsync(read);
        Assert.Equal("Sandbox", patient.GetProperty("name")[0].GetProperty("family").GetString());

        var report = await Fhir.GetJsonAsync(client, "DiagnosticReport/sandbox-alice-cbc-2025-01-10");
        Assert.Equal($"Patient/{Alice}", report.GetProperty("subject").GetProperty("reference").GetString());
        var results = report.GetProperty("result").EnumerateArray().Select(r => r.GetProperty("reference").GetString()!).ToList();
        Assert.Equal(3, results.Count);
        foreach (var reference in results)
        {
            Assert.StartsWith("Observation/", reference, StringComparison.Ordinal);
            var observation = await Fhir.GetJsonAsync(client, reference);
            Assert.Equal($"Patient/{Alice}", observation.GetProperty("subject").GetProperty("reference").GetString());
        }
    }

    [Fact]
    public async Task Search_by_name_and_by_patient_and_code_returns_absolute_full_urls_on_the_sandbox_base()
    {
        using var client = Fhir.Client(_sandbox.BaseUrl);
        var byName = await Fhir.GetJsonAsync(client, "Patient?name=Sandbox");
        var match = Assert.Single(Fhir.Matches(byName));
        Assert.Equal(new Uri(_sandbox.BaseUrl, $"Patient/{Alice}").ToString(), match.GetProperty("fullUrl").GetString());
        Assert.StartsWith(_sandbox.BaseUrl + "Patient?", Fhir.Link(byName, "self"), StringComparison.Ordinal);

        var hemoglobin = await Fhir.GetJsonAsync(client, $"Observation?patient=Patient/{Alice}&code=http://loinc.org|718-7");
        Assert.Equal(2, hemoglobin.GetProperty("total").GetInt32());
        Assert.All(Fhir.Matches(hemoglobin), e =>
        {
            Assert.Equal("718-7", e.GetProperty("resource").GetProperty("code").GetProperty("coding")[0].GetProperty("code").GetString());
            Assert.StartsWith(_sandbox.BaseUrl + "Observation/", e.GetProperty("fullUrl").GetString(), StringComparison.Ordinal);
        });

        var chained = await Fhir.GetJsonAsync(client, "Observation?subject:Patient.name=Fixture");
        Assert.Equal(2, chained.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Count_paging_follows_next_links_to_the_end_without_gaps_or_repeats()
    {
        using var client = Fhir.Client(_sandbox.BaseUrl);
        var pages = await Fhir.AllPagesAsync(client, $"Observation?patient={Alice}&_count=4");

        Assert.Equal(2, pages.Count); // 6 observations, 4 per page
        var ids = pages.SelectMany(Fhir.Matches).Select(Fhir.Id).ToList();
        Assert.Equal(6, ids.Count);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(pages, p => Assert.Equal(6, p.GetProperty("total").GetInt32()));
        Assert.StartsWith(_sandbox.BaseUrl.ToString(), Fhir.Link(pages[0], "next"), StringComparison.Ordinal);
        Assert.Null(Fhir.Link(pages[^1], "next"));
        Assert.NotNull(Fhir.Link(pages[^1], "previous"));

        var ones = await Fhir.AllPagesAsync(client, $"Observation?patient={Alice}&_count=1");
        Assert.Equal(6, ones.Count);
        Assert.Equal(ids, ones.SelectMany(Fhir.Matches).Select(Fhir.Id).ToList());
    }

    [Fact]
    public async Task Include_and_revinclude_add_the_referenced_resources()
    {
        using var client = Fhir.Client(_sandbox.BaseUrl);
        var reports = await Fhir.GetJsonAsync(client, "DiagnosticReport?subject=Patient/sandbox-alice&_include=DiagnosticReport:result");
        Assert.Single(Fhir.Matches(reports));
        var included = Fhir.Entries(reports).Where(e => e.GetProperty("search").GetProperty("mode").GetString() == "include").ToList();
        Assert.Equal(3, included.Count);
        Assert.All(included, e => Assert.Equal("Observation", e.GetProperty("resource").GetProperty("resourceType").GetString()));

        var withConditions = await Fhir.GetJsonAsync(client, "Patient?identifier=SBX-0002&_revinclude=Condition:subject");
        Assert.Equal("Condition", Assert.Single(Fhir.Entries(withConditions), e => e.GetProperty("search").GetProperty("mode").GetString() == "include")
            .GetProperty("resource").GetProperty("resourceType").GetString());
    }

    [Fact]
    public async Task Loading_a_transaction_bundle_resolves_urn_uuid_references_and_makes_it_searchable()
    {
        var family = "Loaded" + Guid.NewGuid().ToString("N")[..8];
        var bundle = $$$"""
            {"resourceType":"Bundle","type":"transaction","entry":[
              {"fullUrl":"urn:uuid:0b8e5a3c-1111-4c2d-9e0f-000000000001","resource":{"resourceType":"Patient","name":[{"family":"{{{family}}}"}]},
               "request":{"method":"POST","url":"Patient"}},
              {"fullUrl":"urn:uuid:0b8e5a3c-1111-4c2d-9e0f-000000000002","resource":{"resourceType":"Observation","status":"final",
               "code":{"coding":[{"system":"http://loinc.org","code":"2039-6"}]},
               "subject":{"reference":"urn:uuid:0b8e5a3c-1111-4c2d-9e0f-000000000001"}},
               "request":{"method":"POST","url":"Observation"}}]}
            """;
        await _sandbox.LoadBundleAsync(bundle);

        using var client = Fhir.Client(_sandbox.BaseUrl);
        var patients = await Fhir.GetJsonAsync(client, $"Patient?name={family}&_revinclude=Observation:subject");
        var patientId = Fhir.Id(Assert.Single(Fhir.Matches(patients)));
        var observation = Assert.Single(Fhir.Entries(patients), e => e.GetProperty("search").GetProperty("mode").GetString() == "include");
        Assert.Equal($"Patient/{patientId}", observation.GetProperty("resource").GetProperty("subject").GetProperty("reference").GetString());
    }

    [Fact]
    public async Task Refused_bundles_throw_with_the_servers_reason()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _sandbox.LoadBundleAsync("""{"resourceType":"Patient"}"""));
        Assert.Contains("400", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Errors_are_operation_outcomes_with_proper_status_codes()
    {
        using var client = Fhir.Client(_sandbox.BaseUrl);
        using (var missing = await client.GetAsync(new Uri("Patient/does-not-exist", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Equal("OperationOutcome", (await Fhir.JsonAsync(missing)).GetProperty("resourceType").GetString());
        }

        // The in-memory repository would silently match nothing here; the sandbox refuses instead.
        using (var quantity = await client.GetAsync(new Uri("Observation?value-quantity=gt10", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, quantity.StatusCode);
            var outcome = await Fhir.JsonAsync(quantity);
            Assert.Equal("not-supported", outcome.GetProperty("issue")[0].GetProperty("code").GetString());
        }

        using var content = new StringContent("{not json", System.Text.Encoding.UTF8, "application/fhir+json");
        using var invalid = await client.PostAsync(new Uri("Patient", UriKind.Relative), content);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
    }

    [Fact]
    public async Task Create_answers_201_with_location_and_update_puts_by_id()
    {
        using var client = Fhir.Client(_sandbox.BaseUrl);
        using var create = new StringContent("""{"resourceType":"Patient","name":[{"family":"Created"}]}""", System.Text.Encoding.UTF8, "application/fhir+json");
        using var created = await client.PostAsync(new Uri("Patient", UriKind.Relative), create);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.StartsWith(_sandbox.BaseUrl + "Patient/", created.Headers.Location?.ToString(), StringComparison.Ordinal);

        var id = "put-" + Guid.NewGuid().ToString("N")[..8];
        using var put = new StringContent($$"""{"resourceType":"Patient","id":"{{id}}","gender":"other"}""", System.Text.Encoding.UTF8, "application/fhir+json");
        using var updated = await client.PutAsync(new Uri($"Patient/{id}", UriKind.Relative), put);
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal("other", (await Fhir.GetJsonAsync(client, $"Patient/{id}")).GetProperty("gender").GetString());
    }

    [Fact]
    public async Task Links_follow_x_forwarded_host_so_paging_works_behind_a_proxy()
    {
        using var client = Fhir.Client(_sandbox.BaseUrl);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"Observation?patient={Alice}&_count=2", UriKind.Relative));
        request.Headers.Add("X-Forwarded-Host", "proxy.invalid:4443");
        request.Headers.Add("X-Forwarded-Proto", "https");
        using var response = await client.SendAsync(request);
        var page = await Fhir.JsonAsync(response);

        Assert.StartsWith("https://proxy.invalid:4443/fhir/Observation?", Fhir.Link(page, "next"), StringComparison.Ordinal);
        Assert.All(Fhir.Entries(page), e => Assert.StartsWith("https://proxy.invalid:4443/fhir/Observation/", e.GetProperty("fullUrl").GetString(), StringComparison.Ordinal));
    }
}
