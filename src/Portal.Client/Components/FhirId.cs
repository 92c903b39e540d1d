using System.Text.RegularExpressions;

namespace Precision.Portal.Client.Components;

/// <summary>The FHIR R4 <c>id</c> datatype: 1–64 characters of [A-Za-z0-9\-\.].</summary>
public static partial class FhirId
{
    public static bool IsValid(string? id) => id is not null && Pattern().IsMatch(id);

    [GeneratedRegex(@"^[A-Za-z0-9\-\.]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
