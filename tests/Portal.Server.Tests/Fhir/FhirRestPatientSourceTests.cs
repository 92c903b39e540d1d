using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Precision.Clinical;
using Precision.Fhir;
using Precision.Portal.Server.Patients;
using Precision.Portal.Testing;

namespace Precision.Portal.Server.Tests.Fhir;

/// <summary>The portal's REST source (Firely client + resilience pipeline) against the real sandbox, through the fault proxy.</summary>
[Collection(FhirSandboxGroup.Name)]
public sealed class FhirRestPatientSourceTests(SharedFhirSandbox shared) : IAsyncLifetime
{
    private const string Alice = "sandbox-alice";
    private FhirFaultProxy _proxy = null!;

    public async System.Threading.Tasks.Task InitializeAsync() => _proxy = await FhirFaultProxy.StartAsync(shared.Sandbox.BaseUrl);

    public async System.Threading.Tasks.Task DisposeAsync() => await _proxy.DisposeAsync();

    [Fact]
    public async System.Threading.Tasks.Task The_rest_and_ndjson_adapters_give_equal_profiles_for_the_same_patients()
    {
        using var provider = Provider(_proxy.BaseUrl);
        var rest = provider.GetRequiredService<IFhirPatientSource>();
        var directory = await ExportSandboxAsNdjsonAsync();
        try
        {
            var ndjson = new NdjsonPatientSource(directory, provider.GetRequiredService<ILogger<NdjsonPatientSource>>());
            var mapper = new PatientProfileMapper();
            foreach (var patientId in new[] { Alice, "sandbox-bruno" })
            {
                var overRest = mapper.Map(patientId, (await rest.ReadAsync(patientId)).Resources);
                var fromFiles = mapper.Map(patientId, (await ndjson.ReadAsync(patientId)).Resources);
                Assert.Equal(Comparable(fromFiles), Comparable(overRest));
            }

            var record = await rest.ReadAsync(Alice);
            Assert.Contains(record.Queries, q => q.StartsWith("GET Observation?patient=Patient/" + Alice, StringComparison.Ordinal));
            Assert.Equal(1 + 8, record.Queries.Count); // the Patient, then one search per type; every referenced Observation names Alice
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async System.Threading.Tasks.Task Server_down_is_a_clear_failure_after_bounded_retries()
    {
        using var provider = Provider(_proxy.BaseUrl);
        _proxy.Inject(FhirFault.Down);

        var error = await Assert.ThrowsAsync<FhirSourceException>(() => provider.GetRequiredService<IFhirPatientSource>().ReadAsync(Alice));

        Assert.Equal(PatientRecordFailure.SourceUnavailable, error.Failure);
        Assert.Contains("could not be reached", error.Message, StringComparison.Ordinal);
        Assert.Equal(1 + 2, _proxy.RequestCount); // first attempt + MaxRetries, then it stops
    }

    [Fact]
    public async System.Threading.Tasks.Task Slow_server_beyond_the_timeout_fails_with_a_timeout_message()
    {
        using var provider = Provider(_proxy.BaseUrl, attemptTimeout: TimeSpan.FromMilliseconds(300), totalTimeout: TimeSpan.FromSeconds(1.5));
        _proxy.Inject(FhirFault.Slow(TimeSpan.FromSeconds(10)));

        var started = DateTime.UtcNow;
        var error = await Assert.ThrowsAsync<FhirSourceException>(() => provider.GetRequiredService<IFhirPatientSource>().ReadAsync(Alice));

        Assert.Equal(PatientRecordFailure.SourceTimedOut, error.Failure);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5), "The total timeout bounds the wait.");
    }

    [Fact]
    public async System.Threading.Tasks.Task Too_many_requests_with_retry_after_is_retried_after_the_asked_delay_and_succeeds()
    {
        using var provider = Provider(_proxy.BaseUrl);
        _proxy.Inject(FhirFault.TooManyRequests(retryAfterSeconds: 1, times: 1));

        var record = await provider.GetRequiredService<IFhirPatientSource>().ReadAsync(Alice);

        Assert.Contains(record.Resources, r => r is Patient);
        var first = _proxy.Requests[0];
        var retry = _proxy.Requests[1];
        Assert.Equal(429, first.StatusCode);
        Assert.Equal(first.PathAndQuery, retry.PathAndQuery);
        Assert.True(retry.ReceivedAt - first.ReceivedAt >= TimeSpan.FromSeconds(0.9), $"Retried after {(retry.ReceivedAt - first.ReceivedAt).TotalMilliseconds} ms.");
    }

    [Fact]
    public async System.Threading.Tasks.Task Persistent_server_errors_fail_after_bounded_retries()
    {
        using var provider = Provider(_proxy.BaseUrl);
        _proxy.Inject(FhirFault.ServerError(times: 100));

        var error = await Assert.ThrowsAsync<FhirSourceException>(() => provider.GetRequiredService<IFhirPatientSource>().ReadAsync(Alice));

        Assert.Equal(PatientRecordFailure.SourceUnavailable, error.Failure);
        Assert.Contains("HTTP 500", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, _proxy.RequestCount);
    }

    [Fact]
    public async System.Threading.Tasks.Task Malformed_json_is_reported_as_an_invalid_response()
    {
        using var provider = Provider(_proxy.BaseUrl);
        _proxy.Inject(FhirFault.MalformedJson);

        var error = await Assert.ThrowsAsync<FhirSourceException>(() => provider.GetRequiredService<IFhirPatientSource>().ReadAsync(Alice));

        Assert.Equal(PatientRecordFailure.InvalidResponse, error.Failure);
        Assert.Contains("not valid FHIR JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async System.Threading.Tasks.Task Broken_references_in_search_results_become_data_quality_entries()
    {
        using var provider = Provider(_proxy.BaseUrl);
        _proxy.Inject(FhirFault.BrokenReferences);

        var record = await provider.GetRequiredService<IFhirPatientSource>().ReadAsync(Alice);
        var profile = new PatientProfileMapper().Map(Alice, record.Resources);

        Assert.Contains(profile.DataQuality, i => i.Message.Contains("another patient", StringComparison.Ordinal));
        Assert.Null(profile.Ecog);
    }

    [Fact]
    public async System.Threading.Tasks.Task Unknown_patient_is_not_found_without_retries()
    {
        using var provider = Provider(_proxy.BaseUrl);

        var error = await Assert.ThrowsAsync<FhirSourceException>(() => provider.GetRequiredService<IFhirPatientSource>().ReadAsync("nobody-here"));

        Assert.Equal(PatientRecordFailure.NotFound, error.Failure);
        Assert.Equal(1, _proxy.RequestCount);
    }

    [Fact]
    public async System.Threading.Tasks.Task Patient_search_by_name_and_by_cancer_type_over_rest()
    {
        using var provider = Provider(_proxy.BaseUrl);
        var source = provider.GetRequiredService<IFhirPatientSource>();

        // Other tests in this group load more patients into the shared sandbox; the two test patients are always there.
        var all = await source.SearchAsync(new PatientQuery(null, null, 0, 100));
        Assert.Contains(all.Patients, p => p.PatientId == Alice);
        Assert.Contains(all.Patients, p => p.PatientId == "sandbox-bruno");
        Assert.Equal(all.Patients.Count, all.TotalCount);
        var alice = await source.SearchAsync(new PatientQuery("Alice", null, 0, 10));
        Assert.Equal(Alice, Assert.Single(alice.Patients).PatientId);
        var byMrn = await source.SearchAsync(new PatientQuery(alice.Patients[0].MedicalRecordNumber, null, 0, 10));
        Assert.Equal(Alice, Assert.Single(byMrn.Patients).PatientId);
        var lungs = await source.SearchAsync(new PatientQuery(null, CancerType.NonSmallCellLungCancer, 0, 10));
        Assert.All(lungs.Patients, p => Assert.Equal(CancerType.NonSmallCellLungCancer, p.CancerType));
    }

    [Fact]
    public async System.Threading.Tasks.Task A_server_that_requires_a_token_is_read_with_client_credentials_and_a_wrong_secret_is_a_clear_failure()
    {
        await using var secured = await FhirSandbox.StartAsync(FhirSandbox.TestDataDirectory, new FhirSandboxOptions { ClientId = "portal", ClientSecret = "s3cret" });

        using (var anonymous = Provider(secured.BaseUrl))
        {
            var refused = await Assert.ThrowsAsync<FhirSourceException>(() => anonymous.GetRequiredService<IFhirPatientSource>().ReadAsync(Alice));
            Assert.Contains("HTTP 401", refused.Message, StringComparison.Ordinal);
        }

        using (var withToken = Provider(secured.BaseUrl, token: (secured.TokenEndpoint, "portal", "s3cret")))
        {
            var record = await withToken.GetRequiredService<IFhirPatientSource>().ReadAsync(Alice);
            Assert.Contains(record.Resources, r => r is Patient);
        }

        using var wrongSecret = Provider(secured.BaseUrl, token: (secured.TokenEndpoint, "portal", "wrong"));
        var error = await Assert.ThrowsAsync<FhirSourceException>(() => wrongSecret.GetRequiredService<IFhirPatientSource>().ReadAsync(Alice));
        Assert.Contains("refused the portal's client credentials", error.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Provider(Uri baseUrl, TimeSpan? attemptTimeout = null, TimeSpan? totalTimeout = null, (Uri Endpoint, string ClientId, string Secret)? token = null)
    {
        var services = new ServiceCollection().AddLogging();
        services.AddFhirPatientSource(
            new FhirSourceOptions
            {
                BaseUrl = baseUrl,
                MaxRetries = 2,
                AttemptTimeout = attemptTimeout ?? TimeSpan.FromSeconds(5),
                TotalTimeout = totalTimeout ?? TimeSpan.FromSeconds(20),
                TokenEndpoint = token?.Endpoint,
                ClientId = token?.ClientId,
                ClientSecret = token?.Secret,
            },
            _ => throw new InvalidOperationException("REST only."));
        return services.BuildServiceProvider();
    }

    /// <summary>
    /// A Bulk Data-style export of everything the sandbox holds (one ndjson file per type, as a server would write it),
    /// so the ndjson adapter reads exactly the resources the REST adapter queries.
    /// </summary>
    private async Task<string> ExportSandboxAsNdjsonAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), "precision-rest-vs-ndjson-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        using var client = shared.Sandbox.CreateClient();
        var deserializer = new FhirJsonDeserializer();
        foreach (var type in new[] { "Patient", "Condition", "Observation", "MedicationStatement", "MedicationRequest", "MedicationAdministration", "DiagnosticReport", "Procedure", "Specimen", "Medication" })
        {
            var json = await client.GetStringAsync(new Uri(shared.Sandbox.BaseUrl, type + "?_count=1000"));
            var bundle = (Bundle)deserializer.DeserializeResource(json);
            await File.WriteAllLinesAsync(Path.Combine(directory, type + ".ndjson"), bundle.Entry.Select(e => e.Resource).OfType<Resource>().Select(r => r.ToJson()));
        }

        return directory;
    }

    private static string Comparable(PatientProfile profile) => JsonSerializer.Serialize(profile);
}
