using Precision.Clinical.Catalog;

namespace Precision.Fhir;

/// <summary>A line is a catalog therapy when its RxNorm ingredients are exactly that regimen's.</summary>
public sealed class CatalogTherapyResolver(TherapyCatalog catalog) : ITherapyResolver
{
    private readonly Dictionary<string, string> _byIngredients = catalog.Therapies
        .GroupBy(t => Key(t.Medications.Select(m => m.RxNormCode)))
        .ToDictionary(g => g.Key, g => g.First().Id, StringComparer.Ordinal);

    public string? ResolveTherapyId(IReadOnlyCollection<string> rxNormCodes) =>
        _byIngredients.GetValueOrDefault(Key(rxNormCodes));

    private static string Key(IEnumerable<string> codes) => string.Join('+', codes.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
}
