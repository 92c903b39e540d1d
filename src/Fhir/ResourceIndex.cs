using Hl7.Fhir.Model;

namespace Precision.Fhir;

/// <summary>
/// The resources of one record by <c>Type/id</c>, so that references can be followed: a medication by reference, a
/// report's results, a grouping Observation's members, an implication's variant. References may be relative
/// (<c>Observation/1</c>), absolute (<c>https://server/fhir/Observation/1</c>), versioned (<c>…/_history/2</c>) or, for
/// contained resources, local (<c>#med</c>).
/// </summary>
internal sealed class ResourceIndex
{
    private readonly Dictionary<string, Resource> _byKey = new(StringComparer.Ordinal);

    public ResourceIndex(IEnumerable<Resource> resources)
    {
        foreach (var resource in resources)
        {
            if (resource.Id is { Length: > 0 } id)
            {
                _byKey.TryAdd(resource.TypeName + "/" + id, resource);
            }
        }
    }

    /// <summary>The key (<c>Type/id</c>) a reference points at, or null for local, logical (identifier-only) or unreadable references.</summary>
    public static string? KeyOf(string? reference)
    {
        if (string.IsNullOrWhiteSpace(reference) || reference.StartsWith('#') || reference.StartsWith("urn:", StringComparison.Ordinal))
        {
            return null;
        }

        var path = reference.Split('?', '#')[0].TrimEnd('/');
        var history = path.IndexOf("/_history/", StringComparison.Ordinal);
        if (history >= 0)
        {
            path = path[..history];
        }

        var parts = path.Split('/');
        return parts.Length >= 2 && parts[^2].Length > 0 && char.IsAsciiLetterUpper(parts[^2][0]) && parts[^1].Length > 0
            ? parts[^2] + "/" + parts[^1]
            : null;
    }

    public Resource? Resolve(ResourceReference? reference, DomainResource? container = null)
    {
        if (reference?.Reference is not { } text)
        {
            return null;
        }

        if (text.StartsWith('#'))
        {
            return container?.Contained?.FirstOrDefault(c => c.Id == text[1..]);
        }

        return KeyOf(text) is { } key && _byKey.TryGetValue(key, out var resource) ? resource : null;
    }

    public T? Resolve<T>(ResourceReference? reference, DomainResource? container = null)
        where T : Resource => Resolve(reference, container) as T;

    /// <summary>
    /// Observations reachable from the patient's DiagnosticReports (result), following grouping (hasMember) and
    /// implication (derivedFrom) links a few levels deep: the Genomics Reporting IG lets a lab list only groupers in
    /// <c>result</c>, and members may carry no subject of their own.
    /// </summary>
    public HashSet<string> ReachableFromReports(IEnumerable<DiagnosticReport> reports, int maxDepth = 4)
    {
        var reached = new HashSet<string>(StringComparer.Ordinal);
        var frontier = reports.SelectMany(r => r.Result ?? []).Select(r => KeyOf(r.Reference)).OfType<string>().ToList();
        for (var depth = 0; depth < maxDepth && frontier.Count > 0; depth++)
        {
            var next = new List<string>();
            foreach (var key in frontier.Where(reached.Add))
            {
                if (_byKey.TryGetValue(key, out var resource) && resource is Observation observation)
                {
                    next.AddRange((observation.HasMember ?? []).Concat(observation.DerivedFrom ?? [])
                        .Select(r => KeyOf(r.Reference)).OfType<string>());
                }
            }

            frontier = next;
        }

        return reached;
    }
}
