using System.Globalization;
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

    /// <summary>
    /// Largest FHIR response body read, in bytes (default 16 MiB); a larger one fails the read with a message naming this
    /// setting, and is not retried.
    /// </summary>
    public long MaxResponseBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>
    /// Most resources read for one patient (default 10,000): search results, included Medications and Observations read
    /// by reference together. A record over it fails with a message naming this setting rather than being read in part.
    /// </summary>
    public int MaxResourcesPerPatient { get; set; } = 10_000;

    /// <summary>
    /// Most patients the patient list checks when it is filtered by cancer type (default 5,000): the filter maps each
    /// patient's conditions, as the unfiltered list does, so beyond this many the page says its result may be incomplete.
    /// </summary>
    public int MaxPatientsScanned { get; set; } = 5_000;
}

/// <summary>
/// Reads a patient over FHIR REST with the Firely client: the Patient, then every resource type the mapper uses by
/// patient search, in parallel, following paging links, with the Medications they name (<c>_include=…:medication</c>);
/// then what the record points at that a patient search cannot find (<see cref="RecordReferences"/>: Medications not
/// included, Observations under a DiagnosticReport or another Observation, often without a subject), read by id.
/// Retries, timeouts, the circuit breaker and the response size limit live in the HttpClient pipeline; the number of
/// resources per patient is bounded here.
/// </summary>
public sealed class FhirRestPatientSource(HttpClient httpClient, FhirSourceOptions options) : IFhirPatientSource
{
    private static readonly string[] PatientScopedTypes =
    [
        "Condition", "Observation", "MedicationStatement", "MedicationRequest", "MedicationAdministration", "DiagnosticReport", "Procedure", "Specimen",
    ];

    private static readonly HashSet<string> TypesNamingMedications = ["MedicationStatement", "MedicationRequest", "MedicationAdministration"];

    /// <summary>Ids per query when resources are read by id (<c>_id=a,b,…</c>) or conditions by patient (<c>subject=…</c>): keeps URLs short.</summary>
    internal const int IdsPerQuery = 50;

    /// <summary>
    /// Matches per page of a search that includes Medications: the matches and their included Medications together stay
    /// within the 1,000 entries some servers allow a page (Medplum refuses a larger one).
    /// </summary>
    private const int MaxPageWithIncludes = 500;

    private readonly Uri _baseUrl = options.BaseUrl ?? throw new ArgumentException("Fhir:BaseUrl is required for the REST source.", nameof(options));

    public string Description => "FHIR server " + _baseUrl;

    private FhirSourceOptions Options => options;

    public async Task<FhirPatientRecord> ReadAsync(string patientId, CancellationToken cancellationToken = default)
    {
        var queries = new QueryLog();
        var client = CreateClient();
        var budget = new ResourceBudget(this, patientId, queries);
        var patientQuery = $"GET Patient/{patientId}";
        queries.Add(patientQuery);
        var patient = await CallAsync(() => client.ReadAsync<Patient>($"Patient/{patientId}", ct: cancellationToken), patientQuery, queries).ConfigureAwait(false);
        budget.Add(1);

        var searches = PatientScopedTypes.Select(type =>
        {
            var includesMedications = TypesNamingMedications.Contains(type);
            var count = includesMedications ? Math.Min(options.SearchPageSize, MaxPageWithIncludes) : options.SearchPageSize;
            var parameters = new SearchParams().Where("patient=Patient/" + patientId).LimitTo(count);
            var description = $"GET {type}?patient=Patient/{patientId}";
            if (includesMedications)
            {
                parameters.Add("_include", type + ":medication");
                description += $"&_include={type}:medication";
            }

            return SearchAllAsync(client, type, parameters, description + $"&_count={count}", queries, budget, cancellationToken);
        });
        var found = await Task.WhenAll(searches).ConfigureAwait(false);

        // A Medication included by several pages (or a resource a server repeats across pages) is kept once.
        var record = new List<Resource> { patient };
        var held = new HashSet<string>(StringComparer.Ordinal) { RecordReferences.Key(patient) };
        record.AddRange(found.SelectMany(r => r).Where(r => r.Id is null || held.Add(RecordReferences.Key(r))));

        var referenced = await RecordReferences.FollowAsync(record, patientId, _baseUrl, (type, ids) =>
            ReadByIdsAsync(client, type, ids, queries, budget, cancellationToken)).ConfigureAwait(false);
        record.AddRange(referenced);
        return new FhirPatientRecord(patientId, record, queries.Snapshot());
    }

    public async Task<PatientPage> SearchAsync(PatientQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Problem is { } problem)
        {
            throw new FhirSourceException(PatientRecordFailure.InvalidRequest, problem);
        }

        var client = CreateClient();
        var queries = new QueryLog();
        var text = query.Text?.Trim() is { Length: > 0 } trimmed ? trimmed : null;
        if (query.CancerType is not { } cancerType)
        {
            var page = await FirstPatientPageAsync(client, text, query.PageSize, query.PageIndex * query.PageSize, queries, cancellationToken).ConfigureAwait(false);
            var rows = await SummariesAsync(client, Patients(page), queries, cancellationToken).ConfigureAwait(false);
            return new PatientPage(rows, page.Total ?? rows.Count, query.PageIndex, query.PageSize);
        }

        return await SearchByCancerTypeAsync(client, query, text, cancerType, queries, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The patients whose mapped primary cancer has <paramref name="cancerType"/>: the unfiltered list's own query (same
    /// text criterion, same order), page after page, each patient summarized as the unfiltered list does, keeping the
    /// matches; so the two lists always agree on a patient's diagnosis. At most <see cref="FhirSourceOptions.MaxPatientsScanned"/>
    /// patients are checked; past that the page carries a notice.
    /// </summary>
    private async Task<PatientPage> SearchByCancerTypeAsync(FhirClient client, PatientQuery query, string? text, CancerType cancerType, QueryLog queries, CancellationToken cancellationToken)
    {
        var page = await FirstPatientPageAsync(client, text, options.SearchPageSize, 0, queries, cancellationToken).ConfigureAwait(false);
        var total = page.Total;
        var matches = new List<PatientSummary>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var scanned = 0;
        var complete = false;
        while (true)
        {
            var onPage = Patients(page).Where(p => seen.Add(p.Id!)).ToList();
            var patients = onPage.Take(options.MaxPatientsScanned - scanned).ToList();
            scanned += patients.Count;
            var rows = await SummariesAsync(client, patients, queries, cancellationToken).ConfigureAwait(false);
            matches.AddRange(rows.Where(r => r.CancerType == cancerType));
            if (patients.Count < onPage.Count)
            {
                break; // the limit fell inside this page
            }

            if (page.NextLink is null || onPage.Count == 0)
            {
                complete = true;
                break;
            }

            if (scanned >= options.MaxPatientsScanned)
            {
                break;
            }

            var current = page;
            var next = "GET " + page.NextLink;
            queries.Add(next);
            page = await CallAsync(() => client.ContinueAsync(current, ct: cancellationToken), next, queries).ConfigureAwait(false);
        }

        var notice = complete || (total is { } all && all <= scanned) ? null : string.Create(CultureInfo.InvariantCulture,
            $"Only the first {scanned:N0} of {(total is { } n ? n.ToString("N0", CultureInfo.InvariantCulture) : "more")} patients (in name order) were checked for {CancerTypes.DisplayName(cancerType)}: the portal checks at most {options.MaxPatientsScanned:N0} (Fhir:MaxPatientsScanned), so more patients may match. Search by name or MRN as well to narrow the list.");
        return new PatientPage([.. matches.Skip(query.PageIndex * query.PageSize).Take(query.PageSize)], matches.Count, query.PageIndex, query.PageSize) { Notice = notice };
    }

    /// <summary>A page of patients in name order by name, or — when the text matches no name — by identifier (an MRN).</summary>
    private async Task<Bundle> FirstPatientPageAsync(FhirClient client, string? text, int count, int offset, QueryLog queries, CancellationToken cancellationToken)
    {
        var page = await PatientPageAsync(client, text is null ? null : ("name", text), count, offset, queries, cancellationToken).ConfigureAwait(false);
        if (text is not null && (page.Total ?? Patients(page).Count) == 0)
        {
            // Not a name: perhaps an MRN (identifier token search matches the whole value).
            page = await PatientPageAsync(client, ("identifier", text), count, offset, queries, cancellationToken).ConfigureAwait(false);
        }

        return page;
    }

    private async Task<Bundle> PatientPageAsync(FhirClient client, (string Name, string Value)? criterion, int count, int offset, QueryLog queries, CancellationToken cancellationToken)
    {
        var parameters = new SearchParams().LimitTo(count);
        parameters.Add("_offset", offset.ToString(CultureInfo.InvariantCulture));
        parameters.Add("_total", "accurate");
        parameters.OrderBy("name");
        if (criterion is { } c)
        {
            parameters.Add(c.Name, c.Value);
        }

        var description = "GET Patient?" + string.Join('&', parameters.ToUriParamList().Select(p => p.Item1 + "=" + p.Item2));
        queries.Add(description);
        return await CallAsync(() => client.SearchAsync<Patient>(parameters, ct: cancellationToken), description, queries).ConfigureAwait(false);
    }

    private static List<Patient> Patients(Bundle bundle) =>
        [.. bundle.Entry.Select(e => e.Resource).OfType<Patient>().Where(p => p.Id is not null).DistinctBy(p => p.Id)];

    /// <summary>
    /// The list rows of these patients: each one's conditions (<c>Condition?subject=…</c> for up to <see cref="IdsPerQuery"/>
    /// patients at a time, every page) through <see cref="NdjsonPatientSource.Summarize"/>, the mapper's reading. Not
    /// <c>_revinclude</c>: servers cap the resources one page may include (Medplum refuses a page past 1,000, others cut
    /// silently), and a patient missing a condition would show the wrong diagnosis.
    /// </summary>
    private async Task<List<PatientSummary>> SummariesAsync(FhirClient client, List<Patient> patients, QueryLog queries, CancellationToken cancellationToken)
    {
        var conditions = new List<Resource>();
        foreach (var chunk in patients.Select(p => p.Id!).Chunk(IdsPerQuery))
        {
            var subjects = string.Join(',', chunk.Select(id => "Patient/" + id));
            var parameters = new SearchParams().Where("subject=" + subjects).LimitTo(options.SearchPageSize);
            var budget = new ResourceBudget(this, null, queries, (long)options.MaxResourcesPerPatient * chunk.Length);
            conditions.AddRange(await SearchAllAsync(client, "Condition", parameters, $"GET Condition?subject={subjects}&_count={options.SearchPageSize}", queries, budget, cancellationToken).ConfigureAwait(false));
        }

        var byPatient = conditions.OfType<Condition>().ToLookup(c => NdjsonPatientSource.PatientIdOf(c) ?? string.Empty, StringComparer.Ordinal);
        return [.. patients.Select(p => NdjsonPatientSource.Summarize(p, byPatient[p.Id!]))];
    }

    /// <summary>Resources of one type by id, <see cref="IdsPerQuery"/> ids per query (<c>Type?_id=a,b,…</c>).</summary>
    private async Task<IReadOnlyList<Resource>> ReadByIdsAsync(FhirClient client, string type, IReadOnlyList<string> ids, QueryLog queries, ResourceBudget budget, CancellationToken cancellationToken)
    {
        var found = new List<Resource>();
        foreach (var chunk in ids.Chunk(IdsPerQuery))
        {
            var joined = string.Join(',', chunk);
            var parameters = new SearchParams().Where("_id=" + joined).LimitTo(chunk.Length);
            found.AddRange(await SearchAllAsync(client, type, parameters, $"GET {type}?_id={joined}&_count={chunk.Length}", queries, budget, cancellationToken).ConfigureAwait(false));
        }

        return found;
    }

    /// <summary>Every entry of a search (matches and included resources), following <c>next</c> links; each page counts against the budget.</summary>
    private async Task<List<Resource>> SearchAllAsync(FhirClient client, string type, SearchParams parameters, string description, QueryLog queries, ResourceBudget budget, CancellationToken cancellationToken)
    {
        queries.Add(description);
        var resources = new List<Resource>();
        var page = await CallAsync(() => client.SearchAsync(parameters, type, ct: cancellationToken), description, queries).ConfigureAwait(false);
        while (true)
        {
            var entries = page.Entry.Where(e => e.Search?.Mode != Bundle.SearchEntryMode.Outcome).Select(e => e.Resource).OfType<Resource>().ToList();
            budget.Add(entries.Count);
            resources.AddRange(entries);
            if (page.NextLink is null || entries.Count == 0)
            {
                break; // an empty page that still links onward would otherwise page without end
            }

            var next = "GET " + page.NextLink;
            queries.Add(next);
            var current = page;
            page = await CallAsync(() => client.ContinueAsync(current, ct: cancellationToken), next, queries).ConfigureAwait(false);
        }

        return resources;
    }

    private FhirClient CreateClient() => new(_baseUrl, httpClient, new FhirClientSettings
    {
        PreferredFormat = ResourceFormat.Json,
        VerifyFhirVersion = false,
        // Real servers send elements this SDK version does not know; read what can be read.
        SerializationEngine = FhirSerializationEngineFactory.Recoverable(ModelInfo.ModelInspector),
    });

    /// <summary>Turns every way a FHIR call can fail into a <see cref="FhirSourceException"/> that says what to do.</summary>
    private async Task<T> CallAsync<T>(Func<Task<T?>> call, string query, QueryLog log)
        where T : class
    {
        var queries = log.Snapshot();
        try
        {
            return await call().ConfigureAwait(false)
                ?? throw new FhirSourceException(PatientRecordFailure.InvalidResponse, $"{Description} answered {query} with nothing.", queries);
        }
        catch (Exception ex) when (FhirResponseTooLargeException.Find(ex) is { } tooLarge)
        {
            throw new FhirSourceException(PatientRecordFailure.RecordTooLarge, string.Create(CultureInfo.InvariantCulture,
                $"{Description} answered {query} with more than {tooLarge.MaxBytes:N0} bytes, the most the portal reads in one response (Fhir:MaxResponseBytes). Tell your administrator: a smaller Fhir:SearchPageSize or a larger limit may help."), queries, ex);
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

    /// <summary>The queries one read or search made, in order, for the audit trail; safe to add to from parallel searches.</summary>
    private sealed class QueryLog
    {
        private readonly List<string> _queries = [];

        public void Add(string query)
        {
            lock (_queries)
            {
                _queries.Add(query);
            }
        }

        public IReadOnlyList<string> Snapshot()
        {
            lock (_queries)
            {
                return [.. _queries];
            }
        }
    }

    /// <summary>Counts the resources read and fails the read, naming the limit, once they pass it.</summary>
    private sealed class ResourceBudget(FhirRestPatientSource source, string? patientId, QueryLog queries, long? max = null)
    {
        private readonly long _max = max ?? source.Options.MaxResourcesPerPatient;
        private long _count;

        public void Add(int resources)
        {
            if (Interlocked.Add(ref _count, resources) <= _max)
            {
                return;
            }

            var message = patientId is null
                ? string.Create(CultureInfo.InvariantCulture, $"{source.Description} returned more than {_max:N0} conditions for one page of the patient list, more than the portal reads (Fhir:MaxResourcesPerPatient per patient). Tell your administrator.")
                : string.Create(CultureInfo.InvariantCulture, $"Patient/{patientId} has more than {_max:N0} resources at {source.Description}, the most the portal reads for one patient (Fhir:MaxResourcesPerPatient); nothing was shown rather than part of the record. Tell your administrator.");
            throw new FhirSourceException(PatientRecordFailure.RecordTooLarge, message, queries.Snapshot());
        }
    }
}
