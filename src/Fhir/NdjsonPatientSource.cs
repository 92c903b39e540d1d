using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Logging;
using Precision.Clinical;

namespace Precision.Fhir;

/// <summary>
/// Reads a FHIR Bulk Data export (one <c>Type.ndjson</c> file per resource type) into memory once and serves
/// patients from it. Lines that do not parse are skipped and counted; they never stop the others loading.
/// </summary>
public sealed class NdjsonPatientSource : IFhirPatientSource
{
    private readonly string _directory;
    private readonly ILogger _logger;
    private readonly Lazy<Task<Index>> _index;

    /// <param name="prepare">Runs once before the first read, e.g. to generate the demo cohort into <paramref name="directory"/>.</param>
    public NdjsonPatientSource(string directory, ILogger<NdjsonPatientSource> logger, Func<System.Threading.Tasks.Task>? prepare = null)
    {
        _directory = directory;
        _logger = logger;
        _index = new Lazy<Task<Index>>(() => System.Threading.Tasks.Task.Run(async () =>
        {
            if (prepare is not null)
            {
                await prepare().ConfigureAwait(false);
            }

            return await LoadAsync().ConfigureAwait(false);
        }));
    }

    public string Description => "FHIR Bulk Data files in " + _directory;

    /// <summary>Lines that could not be read, as "file:line: reason" (no patient content).</summary>
    public async Task<IReadOnlyList<string>> GetLoadProblemsAsync() => (await _index.Value.ConfigureAwait(false)).Problems;

    public async Task<FhirPatientRecord> ReadAsync(string patientId, CancellationToken cancellationToken = default)
    {
        var index = await _index.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        var query = $"ndjson:{_directory} patient={patientId}";
        if (!index.Patients.TryGetValue(patientId, out var patient))
        {
            throw new FhirSourceException(PatientRecordFailure.NotFound, $"Patient/{patientId} is not in {Description}.", [query]);
        }

        var resources = new List<Resource> { patient };
        if (index.ByPatient.TryGetValue(patientId, out var related))
        {
            resources.AddRange(related);
        }

        return new FhirPatientRecord(patientId, resources, [query]);
    }

    public async Task<PatientPage> SearchAsync(PatientQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Problem is { } problem)
        {
            throw new FhirSourceException(PatientRecordFailure.InvalidRequest, problem);
        }

        var index = await _index.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        var text = query.Text?.Trim();
        var matches = index.Summaries
            .Where(s => string.IsNullOrEmpty(text)
                || s.DisplayName.Contains(text, StringComparison.OrdinalIgnoreCase)
                || (s.MedicalRecordNumber?.Contains(text, StringComparison.OrdinalIgnoreCase) ?? false))
            .Where(s => query.CancerType is null || s.CancerType == query.CancerType)
            .ToList();
        return new PatientPage([.. matches.Skip(query.PageIndex * query.PageSize).Take(query.PageSize)], matches.Count, query.PageIndex, query.PageSize);
    }

    private async Task<Index> LoadAsync()
    {
        if (!Directory.Exists(_directory))
        {
            throw new FhirSourceException(PatientRecordFailure.SourceUnavailable, $"The patient data directory {_directory} does not exist. Check the Fhir:NdjsonDirectory setting.");
        }

        var deserializer = new FhirJsonDeserializer(new DeserializerSettings().UsingMode(DeserializationMode.Recoverable));
        var patients = new Dictionary<string, Patient>(StringComparer.Ordinal);
        var byPatient = new Dictionary<string, List<Resource>>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var file in Directory.EnumerateFiles(_directory, "*.ndjson").Order(StringComparer.Ordinal))
        {
            var lineNumber = 0;
            foreach (var line in await File.ReadAllLinesAsync(file).ConfigureAwait(false))
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                Resource? resource;
                try
                {
                    resource = deserializer.DeserializeResource(line);
                }
                catch (Exception ex) when (ex is DeserializationFailedException or System.Text.Json.JsonException or FormatException)
                {
                    problems.Add($"{Path.GetFileName(file)}:{lineNumber}: not a readable FHIR resource ({ex.GetType().Name}).");
                    continue;
                }

                if (resource is Patient patient && patient.Id is not null)
                {
                    patients[patient.Id] = patient;
                }
                else if (PatientIdOf(resource) is { } patientId)
                {
                    if (!byPatient.TryGetValue(patientId, out var list))
                    {
                        byPatient[patientId] = list = [];
                    }

                    list.Add(resource);
                }
            }
        }

        if (problems.Count > 0)
        {
            _logger.LogWarning("Skipped {Count} unreadable lines in the FHIR Bulk Data directory; first: {First}", problems.Count, problems[0]);
        }

        var summaries = patients.Values
            .Select(p => Summarize(p, byPatient.GetValueOrDefault(p.Id!) ?? []))
            .OrderBy(s => s.DisplayName, StringComparer.OrdinalIgnoreCase)
            .ThenBy(s => s.PatientId, StringComparer.Ordinal)
            .ToList();
        return new Index(patients, byPatient, summaries, problems);
    }

    internal static PatientSummary Summarize(Patient patient, IEnumerable<Resource> related)
    {
        // The same mapper as the patient page, restricted to the patient and conditions: one reading of the record.
        var profile = new PatientProfileMapper().Map(patient.Id!, related.OfType<Condition>().Cast<Resource>().Prepend(patient));
        return new PatientSummary(patient.Id!, profile.Demographics.DisplayName, profile.Demographics.MedicalRecordNumber,
            profile.Demographics.BirthDate, profile.Demographics.Sex, profile.PrimaryCancer?.CancerType);
    }

    internal static string? PatientIdOf(Resource resource) =>
        FhirElementReading.SubjectOf(resource)?.Reference is { } reference && reference.StartsWith("Patient/", StringComparison.Ordinal)
            ? reference["Patient/".Length..]
            : null;

    private sealed record Index(
        Dictionary<string, Patient> Patients,
        Dictionary<string, List<Resource>> ByPatient,
        List<PatientSummary> Summaries,
        List<string> Problems);
}
