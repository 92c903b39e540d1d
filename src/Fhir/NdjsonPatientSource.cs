using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Logging;
using Precision.Clinical;

namespace Precision.Fhir;

/// <summary>
/// Reads a FHIR Bulk Data export (one <c>Type.ndjson</c> file per resource type) into memory once and serves
/// patients from it. Resources are filed under the patient their subject names; those naming no patient (Medications,
/// Observations reported without a subject) are kept by type and id and join a patient's record when that record points
/// at them (<see cref="RecordReferences"/>, as the REST source does). Lines that do not parse or are longer than
/// <see cref="MaxLineBytes"/> are skipped and counted; they never stop the others loading.
/// </summary>
public sealed class NdjsonPatientSource : IFhirPatientSource
{
    /// <summary>The longest ndjson line read (8 MiB); a longer one is skipped as a load problem without being held in memory.</summary>
    public const int MaxLineBytes = 8 * 1024 * 1024;

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

        // Nothing here is asynchronous: the referenced resources are looked up in the index.
        var referenced = await RecordReferences.FollowAsync(resources, patientId, baseUrl: null, (type, ids) =>
            System.Threading.Tasks.Task.FromResult<IReadOnlyList<Resource>>(
                [.. ids.Select(id => index.WithoutPatient.GetValueOrDefault(type + "/" + id)).OfType<Resource>()])).ConfigureAwait(false);
        resources.AddRange(referenced);
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
        var withoutPatient = new Dictionary<string, Resource>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var file in Directory.EnumerateFiles(_directory, "*.ndjson").Order(StringComparer.Ordinal))
        {
            await foreach (var line in ReadLinesAsync(file).ConfigureAwait(false))
            {
                if (line.Text is null)
                {
                    problems.Add($"{Path.GetFileName(file)}:{line.Number}: longer than {MaxLineBytes / (1024 * 1024)} MiB ({MaxLineBytes} bytes); skipped.");
                    continue;
                }

                if (string.IsNullOrWhiteSpace(line.Text))
                {
                    continue;
                }

                Resource? resource;
                try
                {
                    resource = deserializer.DeserializeResource(line.Text);
                }
                catch (Exception ex) when (ex is DeserializationFailedException or System.Text.Json.JsonException or FormatException)
                {
                    problems.Add($"{Path.GetFileName(file)}:{line.Number}: not a readable FHIR resource ({ex.GetType().Name}).");
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
                else if (resource is Observation or Medication && resource.Id is not null && RecordReferences.NamesNoSubject(resource))
                {
                    // No subject at all (one naming a Group, a Device or a patient only by identifier does not qualify): it
                    // joins whichever patient's record points at it.
                    withoutPatient[RecordReferences.Key(resource)] = resource;
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
        return new Index(patients, byPatient, withoutPatient, summaries, problems);
    }

    /// <summary>
    /// The file's lines, numbered from 1, as UTF-8 text; a line over <see cref="MaxLineBytes"/> comes back with null text
    /// and is never held whole (the rest of it is read past up to its newline).
    /// </summary>
    private static async IAsyncEnumerable<(int Number, string? Text)> ReadLinesAsync(string file)
    {
        var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[64 * 1024];
            var line = new MemoryStream();
            var tooLong = false;
            var number = 0;
            int read;
            while ((read = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                var start = 0;
                while (start < read)
                {
                    var newline = Array.IndexOf(buffer, (byte)'\n', start, read - start);
                    var end = newline < 0 ? read : newline;
                    if (!tooLong)
                    {
                        if (line.Length + (end - start) > MaxLineBytes + 1)
                        {
                            tooLong = true; // +1 above leaves room for a '\r' before the newline
                            line.SetLength(0);
                        }
                        else
                        {
                            line.Write(buffer, start, end - start);
                        }
                    }

                    if (newline < 0)
                    {
                        break;
                    }

                    number++;
                    yield return (number, Decode(line, tooLong, atFileStart: number == 1));
                    line.SetLength(0);
                    tooLong = false;
                    start = newline + 1;
                }
            }

            if (line.Length > 0 || tooLong)
            {
                number++;
                yield return (number, Decode(line, tooLong, atFileStart: number == 1));
            }
        }
    }

    private static string? Decode(MemoryStream line, bool tooLong, bool atFileStart)
    {
        var bytes = line.GetBuffer().AsSpan(0, (int)line.Length);
        if (atFileStart && bytes.StartsWith("\uFEFF"u8))
        {
            bytes = bytes[3..]; // a UTF-8 byte order mark at the start of the file
        }

        if (bytes.EndsWith("\r"u8))
        {
            bytes = bytes[..^1];
        }

        return tooLong || bytes.Length > MaxLineBytes ? null : System.Text.Encoding.UTF8.GetString(bytes);
    }

    internal static PatientSummary Summarize(Patient patient, IEnumerable<Resource> related)
    {
        // The same mapper as the patient page, restricted to the patient and conditions: one reading of the record.
        // Both sources' lists (filtered or not) come through here, so the list shows what the patient page shows.
        var profile = new PatientProfileMapper().Map(patient.Id!, related.OfType<Condition>().Cast<Resource>().Prepend(patient));
        var primary = profile.PrimaryCancer;
        return new PatientSummary(patient.Id!, profile.Demographics.DisplayName, profile.Demographics.MedicalRecordNumber,
            profile.Demographics.BirthDate, profile.Demographics.Sex, primary?.CancerType, primary?.DisplayName)
        {
            VitalStatus = profile.VitalStatus,
        };
    }

    /// <summary>The id of the patient a resource's subject names (<see cref="FhirElementReading.PatientIdOf(Resource)"/>).</summary>
    internal static string? PatientIdOf(Resource resource) => FhirElementReading.PatientIdOf(resource);

    private sealed record Index(
        Dictionary<string, Patient> Patients,
        Dictionary<string, List<Resource>> ByPatient,
        Dictionary<string, Resource> WithoutPatient,
        List<PatientSummary> Summaries,
        List<string> Problems);
}
