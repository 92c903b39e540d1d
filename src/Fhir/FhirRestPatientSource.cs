using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;
using Precision.Clinical;
using Task = System.Threading.Tasks.Task;

namespace Precision.Fhir;

/// <summary>Settings of the <c>Fhir</c> configuration section.</summary>
public sealed class FhirSourceOptions
{
    public const string SectionName = "Fhir";

    /// <summary>FHIR R4 base URL of a REST server; when empty, the ndjson directory is the source.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>Bulk Data directory read when no base URL is set; default: the demo cohort under the data directory.</summary>
    public string? NdjsonDirectory { get; set; }

    /// <summary>OAuth token endpoint for client-credentials access (SMART Backend Services style); optional.</summary>
    public Uri? TokenEndpoint { get; set; }

    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    /// <summary>Timeout of one HTTP attempt.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Timeout of one request including its retries.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Retries after the first attempt on 429, 5xx, timeouts and connection failures.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>Entries per search page requested from the server.</summary>
    public int SearchPageSize { get; set; } = 200;
}

/// <summary>
/// Reads a patient over FHIR REST with the Firely client: the Patient, then every resource type the mapper uses,
/// in parallel, following paging links. Retries, timeouts and the circuit breaker live in the HttpClient pipeline.
/// </summary>
public sealed class FhirRestPatientSource(HttpClient httpClient, FhirSourceOptions options) : IFhirPatientSource
{
    private static readonly string[] PatientScopedTypes = ["Condition", "Observation", "MedicationStatement", "MedicationRequest", "DiagnosticReport"];

    private readonly Uri _baseUrl = options.BaseUrl ?? throw new ArgumentException("Fhir:BaseUrl is required for the REST source.", nameof(options));

    public string Description => "FHIR server " + _baseUrl;

    public async Task<FhirPatientRecord> ReadAsync(string patientId, CancellationToken cancellationToken = default)
    {
        var queries = new List<string>();
        var client = CreateClient();
        var patientQuery = $"GET Patient/{patientId}";
        queries.Add(patientQuery);
        var patient = await CallAsync(() => client.ReadAsync<Patient>($"Patient/{patientId}", ct: cancellationToken), patientQuery, queries).ConfigureAwait(false);

        var searches = PatientScopedTypes.Select(async type =>
        {
            var parameters = new SearchParams().Where("patient=Patient/" + patientId).LimitTo(options.SearchPageSize);
            var first = $"GET {type}?patient=Patient/{patientId}&_count={options.SearchPageSize}";
            lock (queries)
            {
                queries.Add(first);
            }

            var resources = new List<Resource>();
            var page = await CallAsync(() => client.SearchAsync(parameters, type, ct: cancellationToken), first, queries).ConfigureAwait(false);
            while (page is not null)
            {
                resources.AddRange(page.Entry.Where(e => e.Search?.Mode != Bundle.SearchEntryMode.Outcome).Select(e => e.Resource).OfType<Resource>());
                if (page.NextLink is null)
                {
                    break;
                }

                var next = "GET " + page.NextLink;
                lock (queries)
                {
                    queries.Add(next);
                }

                var current = page;
                page = await CallAsync(() => client.ContinueAsync(current, ct: cancellationToken), next, queries).ConfigureAwait(false);
            }

            return resources;
        });
        var related = await Task.WhenAll(searches).ConfigureAwait(false);
        return new FhirPatientRecord(patientId, [patient, .. related.SelectMany(r => r)], queries);
    }

    public async Task<PatientPage> SearchAsync(PatientQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Problem is { } problem)
        {
            throw new FhirSourceException(PatientRecordFailure.InvalidRequest, problem);
        }

        var client = CreateClient();
        var queries = new List<string>();
        if (query.CancerType is { } cancerType)
        {
            return await SearchByCancerTypeAsync(client, query, cancerType, queries, cancellationToken).ConfigureAwait(false);
        }

        var text = query.Text?.Trim();
        var page = await SearchPatientsAsync(client, query, string.IsNullOrEmpty(text) ? null : ("name", text), queries, cancellationToken).ConfigureAwait(false);
        if (page.TotalCount == 0 && !string.IsNullOrEmpty(text))
        {
            // Not a name: perhaps an MRN (identifier token search matches the whole value).
            page = await SearchPatientsAsync(client, query, ("identifier", text), queries, cancellationToken).ConfigureAwait(false);
        }

        return page;
    }

    private async Task<PatientPage> SearchPatientsAsync(FhirClient client, PatientQuery query, (string Name, string Value)? criterion, List<string> queries, CancellationToken cancellationToken)
    {
        var parameters = new SearchParams().LimitTo(query.PageSize);
        parameters.Add("_revinclude", "Condition:subject");
        parameters.Add("_offset", (query.PageIndex * query.PageSize).ToString(System.Globalization.CultureInfo.InvariantCulture));
        parameters.Add("_total", "accurate");
        parameters.OrderBy("name");
        if (criterion is { } c)
        {
            parameters.Add(c.Name, c.Value);
        }

        var description = "GET Patient?" + string.Join('&', parameters.ToUriParamList().Select(p => p.Item1 + "=" + p.Item2));
        var bundle = await CallAsync(() => client.SearchAsync<Patient>(parameters, ct: cancellationToken), description, queries).ConfigureAwait(false);
        var rows = Summaries(bundle);
        return new PatientPage(rows, bundle.Total ?? rows.Count, query.PageIndex, query.PageSize);
    }

    private async Task<PatientPage> SearchByCancerTypeAsync(FhirClient client, PatientQuery query, CancerType cancerType, List<string> queries, CancellationToken cancellationToken)
    {
        var coding = CancerTypes.All.First(c => c.CancerType == cancerType);
        var parameters = new SearchParams()
            .Where($"code={CodeSystems.Snomed}|{coding.SnomedCode}")
            .LimitTo(options.SearchPageSize);
        parameters.Add("_include", "Condition:subject");
        var description = $"GET Condition?code={CodeSystems.Snomed}|{coding.SnomedCode}&_include=Condition:subject";
        var rows = new List<PatientSummary>();
        var page = await CallAsync(() => client.SearchAsync<Condition>(parameters, ct: cancellationToken), description, queries).ConfigureAwait(false);
        while (page is not null)
        {
            rows.AddRange(Summaries(page));
            if (page.NextLink is null)
            {
                break;
            }

            var current = page;
            page = await CallAsync(() => client.ContinueAsync(current, ct: cancellationToken), "GET " + page.NextLink, queries).ConfigureAwait(false);
        }

        var text = query.Text?.Trim();
        var matching = rows
            .DistinctBy(r => r.PatientId)
            .Where(r => string.IsNullOrEmpty(text) || r.DisplayName.Contains(text, StringComparison.OrdinalIgnoreCase) || (r.MedicalRecordNumber?.Contains(text, StringComparison.OrdinalIgnoreCase) ?? false))
            .OrderBy(r => r.DisplayName, StringComparer.OrdinalIgnoreCase)
            .ToList();
        return new PatientPage([.. matching.Skip(query.PageIndex * query.PageSize).Take(query.PageSize)], matching.Count, query.PageIndex, query.PageSize);
    }

    private static List<PatientSummary> Summaries(Bundle bundle)
    {
        var resources = bundle.Entry.Select(e => e.Resource).OfType<Resource>().ToList();
        return [.. resources.OfType<Patient>().Where(p => p.Id is not null)
            .Select(p => NdjsonPatientSource.Summarize(p, resources.Where(r => NdjsonPatientSource.PatientIdOf(r) == p.Id)))];
    }

    private FhirClient CreateClient() => new(_baseUrl, httpClient, new FhirClientSettings
    {
        PreferredFormat = ResourceFormat.Json,
        VerifyFhirVersion = false,
        // Real servers send elements this SDK version does not know; read what can be read.
        SerializationEngine = FhirSerializationEngineFactory.Recoverable(ModelInfo.ModelInspector),
    });

    /// <summary>Turns every way a FHIR call can fail into a <see cref="FhirSourceException"/> that says what to do.</summary>
    private async Task<T> CallAsync<T>(Func<Task<T?>> call, string query, IReadOnlyList<string> queries)
        where T : class
    {
        try
        {
            return await call().ConfigureAwait(false)
                ?? throw new FhirSourceException(PatientRecordFailure.InvalidResponse, $"{Description} answered {query} with nothing.", queries);
        }
        catch (FhirOperationException ex) when (ex.Status == HttpStatusCode.NotFound || ex.Status == HttpStatusCode.Gone)
        {
            throw new FhirSourceException(PatientRecordFailure.NotFound, $"{Description} has no resource for {query} (HTTP {(int)ex.Status}).", queries, ex);
        }
        catch (FhirOperationException ex) when (ex.Status == HttpStatusCode.TooManyRequests)
        {
            throw new FhirSourceException(PatientRecordFailure.SourceRateLimited, $"{Description} is limiting requests (HTTP 429) and kept doing so after {options.MaxRetries} retries. Try again in a minute.", queries, ex);
        }
        catch (FhirOperationException ex) when ((int)ex.Status is >= 200 and < 300)
        {
            throw new FhirSourceException(PatientRecordFailure.InvalidResponse, $"{Description} answered {query} with something that is not valid FHIR JSON. Tell your administrator; the server may be misconfigured.", queries, ex);
        }
        catch (FhirOperationException ex)
        {
            throw new FhirSourceException(PatientRecordFailure.SourceUnavailable, $"{Description} answered {query} with HTTP {(int)ex.Status}. Try again; if it persists, tell your administrator.", queries, ex);
        }
        catch (Exception ex) when (ex is TimeoutException or TaskCanceledException or OperationCanceledException or Polly.Timeout.TimeoutRejectedException)
        {
            throw new FhirSourceException(PatientRecordFailure.SourceTimedOut, $"{Description} did not answer {query} within {options.TotalTimeout.TotalSeconds:0} s. Try again; if it persists, tell your administrator.", queries, ex);
        }
        catch (Polly.CircuitBreaker.BrokenCircuitException ex)
        {
            throw new FhirSourceException(PatientRecordFailure.SourceUnavailable, $"{Description} failed repeatedly, so the portal paused calls to it for a short while. Try again in a minute.", queries, ex);
        }
        catch (HttpRequestException ex)
        {
            throw new FhirSourceException(PatientRecordFailure.SourceUnavailable, $"{Description} could not be reached ({ex.Message}). Try again; if it persists, tell your administrator.", queries, ex);
        }
        catch (Exception ex) when (ex is DeserializationFailedException or FormatException or System.Text.Json.JsonException or InvalidOperationException)
        {
            throw new FhirSourceException(PatientRecordFailure.InvalidResponse, $"{Description} answered {query} with something that is not valid FHIR JSON. Tell your administrator; the server may be misconfigured.", queries, ex);
        }
    }
}
