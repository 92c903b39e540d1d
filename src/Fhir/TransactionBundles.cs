using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Precision.Fhir;

/// <summary>Reads a transaction bundle's resources as a server would store them.</summary>
public static class TransactionBundles
{
    /// <summary>
    /// The bundle's resources with <c>urn:uuid:</c> references between entries replaced by <c>Type/id</c>, which is how a
    /// FHIR server (and a Bulk Data export) writes them, so the mapper can follow them.
    /// </summary>
    public static List<Resource> ResourcesWithLocalReferences(string bundleJson)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bundleJson);
        var deserializer = new FhirJsonDeserializer();
        if (deserializer.DeserializeResource(bundleJson) is not Bundle bundle)
        {
            throw new ArgumentException("The JSON is a FHIR resource but not a Bundle.", nameof(bundleJson));
        }

        foreach (var entry in bundle.Entry.Where(e => e.FullUrl?.StartsWith("urn:uuid:", StringComparison.Ordinal) == true && e.Resource?.Id is not null))
        {
            bundleJson = bundleJson.Replace("\"" + entry.FullUrl + "\"", "\"" + entry.Resource!.TypeName + "/" + entry.Resource.Id + "\"", StringComparison.Ordinal);
        }

        return [.. ((Bundle)deserializer.DeserializeResource(bundleJson)).Entry.Select(e => e.Resource).OfType<Resource>()];
    }
}
