using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using static Precision.Fhir.FhirElementReading;

namespace Precision.Fhir;

/// <summary>
/// What joins a patient's record besides the resources that name the patient, the same way for every source: resources
/// the record points at that a search by patient cannot find — Observations grouped under a DiagnosticReport
/// (<c>result</c>) or under another Observation (<c>hasMember</c>, <c>derivedFrom</c>), which real reports often write
/// without a subject, and Medications named by <c>medicationReference</c>.
/// </summary>
internal static partial class RecordReferences
{
    /// <summary>
    /// How many levels of Observation references are followed: report → result → member → member. Deeper references stay
    /// unresolved (the mapper reports them), so a cycle or a very deep chain cannot make a read unbounded.
    /// </summary>
    public const int MaxObservationLevels = 3;

    /// <summary>Reads resources of one type by id; returns those it found (any it did not find are simply absent).</summary>
    public delegate Task<IReadOnlyList<Resource>> ReadByIds(string resourceType, IReadOnlyList<string> ids);

    /// <summary>
    /// The resources <paramref name="record"/> points at (medicationReference; Observations from DiagnosticReport.result and,
    /// level by level, Observation.hasMember / derivedFrom) that it does not hold yet, read through <paramref name="read"/>.
    /// A referenced resource joins only when it names this patient or no patient at all: another patient's resource is
    /// never added to this record, whatever points at it.
    /// </summary>
    /// <param name="baseUrl">The server base against which absolute references count as local; null: relative references only.</param>
    public static async Task<List<Resource>> FollowAsync(IReadOnlyList<Resource> record, string patientId, Uri? baseUrl, ReadByIds read)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(read);
        var held = record.Select(Key).ToHashSet(StringComparer.Ordinal);
        var added = new List<Resource>();

        var medicationIds = record.Select(r => MedicationId(r, baseUrl)).OfType<string>()
            .Where(id => !held.Contains("Medication/" + id)).Distinct(StringComparer.Ordinal).ToList();
        if (medicationIds.Count > 0)
        {
            added.AddRange(Joining(await read("Medication", medicationIds).ConfigureAwait(false), "Medication", medicationIds, patientId, held));
        }

        var requested = new HashSet<string>(StringComparer.Ordinal);
        IReadOnlyList<Resource> frontier = record;
        for (var level = 1; level <= MaxObservationLevels; level++)
        {
            var ids = frontier.SelectMany(r => ObservationIds(r, baseUrl))
                .Where(id => !held.Contains("Observation/" + id) && requested.Add(id))
                .ToList();
            if (ids.Count == 0)
            {
                break;
            }

            var joined = Joining(await read("Observation", ids).ConfigureAwait(false), "Observation", ids, patientId, held);
            added.AddRange(joined);
            frontier = joined;
        }

        return added;
    }

    /// <summary>The ids of Observations a resource groups or derives from: DiagnosticReport.result, Observation.hasMember and derivedFrom.</summary>
    public static IEnumerable<string> ObservationIds(Resource resource, Uri? baseUrl)
    {
        IEnumerable<ResourceReference> references = resource switch
        {
            DiagnosticReport report => report.Result ?? [],
            Observation observation => (observation.HasMember ?? []).Concat(observation.DerivedFrom ?? []),
            _ => [],
        };
        return references.Select(r => LocalId(r?.Reference, "Observation", baseUrl)).OfType<string>();
    }

    /// <summary>The id of the Medication a medication resource names by reference (not a coded or contained medication).</summary>
    public static string? MedicationId(Resource resource, Uri? baseUrl) => resource switch
    {
        MedicationRequest request => LocalId((request.Medication as ResourceReference)?.Reference, "Medication", baseUrl),
        MedicationStatement statement => LocalId((statement.Medication as ResourceReference)?.Reference, "Medication", baseUrl),
        MedicationAdministration administration => LocalId((administration.Medication as ResourceReference)?.Reference, "Medication", baseUrl),
        _ => null,
    };

    /// <summary>
    /// The logical id in a reference to a resource of <paramref name="resourceType"/> on this source: <c>Type/id</c> (with or
    /// without <c>/_history/v</c>), or an absolute URL under <paramref name="baseUrl"/>. Contained (<c>#…</c>), other servers'
    /// and malformed references give null. Ids are checked against the FHIR id pattern, so they are safe in a query.
    /// </summary>
    public static string? LocalId(string? reference, string resourceType, Uri? baseUrl)
    {
        if (string.IsNullOrWhiteSpace(reference) || reference.StartsWith('#'))
        {
            return null;
        }

        var relative = reference;
        if (baseUrl is not null && reference.StartsWith(BaseWithSlash(baseUrl), StringComparison.Ordinal))
        {
            relative = reference[BaseWithSlash(baseUrl).Length..];
        }
        else if (reference.Contains(':', StringComparison.Ordinal))
        {
            return null; // another server's URL, urn:uuid: or some other scheme
        }

        var parts = relative.Split('/');
        var shaped = parts.Length == 2 || (parts.Length == 4 && parts[2] == "_history");
        return shaped && parts[0] == resourceType && FhirId().IsMatch(parts[1]) ? parts[1] : null;
    }

    /// <summary>Whether a referenced resource may join this patient's record: it names this patient, or no patient at all.</summary>
    public static bool MayJoin(Resource resource, string patientId) =>
        SubjectOf(resource) is null || PatientIdOf(resource) == patientId;

    /// <summary>Whether a resource has no subject at all, so it can belong to whichever record points at it.</summary>
    public static bool NamesNoSubject(Resource resource) => SubjectOf(resource) is null;

    public static string Key(Resource resource) => resource.TypeName + "/" + resource.Id;

    private static List<Resource> Joining(IReadOnlyList<Resource> found, string resourceType, List<string> ids, string patientId, HashSet<string> held)
    {
        var asked = ids.ToHashSet(StringComparer.Ordinal);
        return [.. found.Where(r => r.TypeName == resourceType && r.Id is { } id && asked.Contains(id) && MayJoin(r, patientId) && held.Add(Key(r)))];
    }

    private static string BaseWithSlash(Uri baseUrl) =>
        baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl.AbsoluteUri : baseUrl.AbsoluteUri + "/";

    [GeneratedRegex("^[A-Za-z0-9\\-\\.]{1,64}$")]
    private static partial Regex FhirId();
}
