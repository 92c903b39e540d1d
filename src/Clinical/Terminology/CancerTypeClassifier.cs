using System.Globalization;

namespace Precision.Clinical.Terminology;

/// <summary>
/// Places a Condition among the cancer types the model covers, by the SNOMED CT concepts of
/// <c>data/terminology/cancer-type-classification.v1.json</c>, then ICD-10-CM, then the ICD-O-3 morphology. Never guesses a
/// neighbour type: a histology the model does not cover (small cell, neuroendocrine, sarcoma …), codes that disagree, or a
/// lung cancer without its histology give <see cref="CancerType.Other"/> with the reason.
/// </summary>
public sealed class CancerTypeClassifier
{
    private readonly CancerTypeTable _table;

    internal CancerTypeClassifier(CancerTypeTable table) => _table = table;

    /// <summary>The table's version, recorded with what the mapper reads (data quality, audit).</summary>
    public string Version => _table.Version;

    /// <summary>Whether the table lists this SNOMED CT concept (as anything).</summary>
    public bool Knows(string snomedCode) => _table.Snomed.ContainsKey(snomedCode);

    public CancerClassification Classify(CancerCodes codes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        // ICD-O-3 codes count as morphology wherever they appear (the histology extension or Condition.code).
        codes = codes with { Morphology = [.. codes.Morphology, .. codes.Codes.Where(c => c.System == CodeSystems.IcdO3)] };
        var findings = Findings(codes).ToList();
        var text = codes.Text ?? string.Empty;

        if (findings.Any(f => f.Role == "not-a-diagnosis"))
        {
            return new(CancerConditionRole.NotCancer, CancerType.Other, null, "is a suspicion, not a diagnosis");
        }

        var site = findings.Select(f => f.Site).FirstOrDefault(s => s is not null);
        if (codes.DeclaredSecondary || findings.Any(f => f.Role == "secondary") || codes.Morphology.Any(m => Behaviour(m) == '6'))
        {
            var conflicting = findings.Any(f => f.Role == "primary" && f.Source != "icd10-c");
            return new(CancerConditionRole.Secondary, CancerType.Other, SecondarySite(findings) ?? site,
                conflicting ? "has codes for both a primary and a metastatic cancer; read as a metastatic site, not as the diagnosis" : null);
        }

        if (findings.Any(f => f.Role == "in-situ") || codes.Morphology.Any(m => Behaviour(m) == '2'))
        {
            return new(CancerConditionRole.InSitu, CancerType.Other, site, "is a carcinoma in situ, not an invasive cancer");
        }

        if (findings.Any(f => f.Role == "history"))
        {
            return new(CancerConditionRole.History, CancerType.Other, site, "is a personal history of cancer, not a cancer under care");
        }

        if (codes.Morphology.Any(m => Behaviour(m) is '0' or '1'))
        {
            return new(CancerConditionRole.NotCancer, CancerType.Other, site, "has a benign or uncertain-behaviour morphology");
        }

        var isCancer = codes.DeclaredPrimary || findings.Any(f => f.Role is "primary" or "malignant" or "morphology")
            || codes.Morphology.Count > 0 || LooksLikeCancer(text);
        if (!isCancer)
        {
            return new CancerClassification(CancerConditionRole.NotCancer, CancerType.Other, null, null);
        }

        if (LooksSecondary(text) && findings.All(f => f.Role is not ("primary" or "malignant")))
        {
            return new(CancerConditionRole.Secondary, CancerType.Other, site, "is described as metastatic or secondary in its text");
        }

        return Primary(codes, findings);
    }

    private CancerClassification Primary(CancerCodes codes, List<Finding> findings)
    {
        var asserted = findings.Where(f => f.CancerType is not null).Select(f => f.CancerType!.Value).Distinct().ToList();
        var sites = findings.Where(f => f.Site is not null && f.Role is "primary" or "body-site").Select(f => f.Site!).Distinct(StringComparer.Ordinal).ToList();
        var histologies = findings.Where(f => f.Histology is not null).Select(f => f.Histology!).Distinct(StringComparer.Ordinal).ToList();
        var site = sites.Count == 1 ? sites[0] : null;

        if (asserted.Count > 1)
        {
            return Other(site, $"has codes for different cancer types ({string.Join(", ", asserted.Select(CancerTypes.DisplayName))})");
        }

        if (sites.Count > 1)
        {
            return Other(null, $"has codes for different sites ({string.Join(", ", sites)})");
        }

        var unsupported = histologies.FirstOrDefault(h => h is not ("carcinoma" or "melanoma"));
        if (unsupported is not null)
        {
            var what = HistologyName(unsupported);
            return Other(site, asserted.Count == 1
                ? $"is coded as {CancerTypes.DisplayName(asserted[0])} but its histology is {what}: the model does not cover it, and it is not treated as the neighbouring type"
                : $"is a {what}{(site is null ? string.Empty : " of the " + site)}, which the model does not cover");
        }

        if (histologies.Count > 1)
        {
            return Other(site, "has histologies that disagree (carcinoma and melanoma)");
        }

        var histology = histologies.Count == 1 ? histologies[0] : null;
        if (site == "eye")
        {
            return Other(site, histology == "melanoma" || asserted.Contains(CancerType.Melanoma)
                ? "is an uveal (eye) melanoma, a different disease from skin melanoma; the model does not cover it"
                : "is a cancer of the eye, which the model does not cover");
        }

        if (asserted.Count == 1)
        {
            var type = asserted[0];
            return Compatible(type, site, histology)
                ? new(CancerConditionRole.Primary, type, site ?? SiteOf(type), null)
                : Other(site, $"is coded as {CancerTypes.DisplayName(type)} but its {(site is not null && !SiteFits(type, site) ? "site (" + site + ")" : "histology (" + HistologyName(histology!) + ")")} does not fit");
        }

        switch (site)
        {
            case "lung":
                return histology == "carcinoma"
                    ? new(CancerConditionRole.Primary, CancerType.NonSmallCellLungCancer, site, "is read as non-small cell lung cancer from the lung site and a non-small cell carcinoma histology")
                    : Other(site, "is a lung cancer without a histology: non-small cell and small cell lung cancer are treated differently, so the portal does not assume either. Add the histology (mCODE histology-morphology-behavior) or a specific SNOMED CT code");
            case "colorectum" or "breast" or "ovary" or "pancreas":
                var byType = site switch
                {
                    "colorectum" => CancerType.ColorectalCancer,
                    "breast" => CancerType.BreastCancer,
                    "ovary" => CancerType.OvarianCancer,
                    _ => CancerType.PancreaticCancer,
                };
                return histology is null or "carcinoma"
                    ? new(CancerConditionRole.Primary, byType, site, null)
                    : Other(site, $"is a {HistologyName(histology)} of the {site}, which the model does not cover");
            case "skin":
                return histology == "melanoma"
                    ? new(CancerConditionRole.Primary, CancerType.Melanoma, site, null)
                    : Other(site, "is a skin cancer other than melanoma, which the model does not cover");
            case null when histology == "melanoma":
                return new(CancerConditionRole.Primary, CancerType.Melanoma, null, null);
        }

        var unknown = codes.Codes.FirstOrDefault(c => c.System == CodeSystems.Snomed && !_table.Snomed.ContainsKey(c.Code));
        return Other(site, site is not null
            ? $"is a cancer of the {site}, which the model does not cover"
            : unknown is not null
                ? $"has SNOMED CT {unknown.Code} ({unknown.Display ?? "no display"}), which is not in the portal's cancer-type table {Version}; add an ICD-10-CM code or the histology, or extend data/terminology/cancer-type-classification"
                : "names no site or histology the portal can place");
    }

    private static CancerClassification Other(string? site, string note) => new(CancerConditionRole.Primary, CancerType.Other, site, note);

    private static bool Compatible(CancerType type, string? site, string? histology) =>
        (site is null || SiteFits(type, site)) && (histology is null || HistologyFits(type, histology));

    private static bool SiteFits(CancerType type, string site) => type switch
    {
        CancerType.NonSmallCellLungCancer => site == "lung",
        CancerType.ColorectalCancer => site == "colorectum",
        CancerType.BreastCancer => site == "breast",
        CancerType.Melanoma => site == "skin",
        CancerType.OvarianCancer => site == "ovary",
        CancerType.PancreaticCancer => site == "pancreas",
        _ => false,
    };

    private static bool HistologyFits(CancerType type, string histology) =>
        type == CancerType.Melanoma ? histology == "melanoma" : histology == "carcinoma";

    private static string SiteOf(CancerType type) => type switch
    {
        CancerType.NonSmallCellLungCancer => "lung",
        CancerType.ColorectalCancer => "colorectum",
        CancerType.BreastCancer => "breast",
        CancerType.Melanoma => "skin",
        CancerType.OvarianCancer => "ovary",
        CancerType.PancreaticCancer => "pancreas",
        _ => "unknown site",
    };

    private static string HistologyName(string histology) => histology switch
    {
        "small-cell" => "small cell carcinoma",
        "neuroendocrine" => "neuroendocrine tumour or carcinoma",
        "germ-cell" => "germ cell tumour",
        "hematologic" => "lymphoma or leukaemia",
        _ => histology,
    };

    private static string? SecondarySite(List<Finding> findings) =>
        findings.Where(f => f.Role == "secondary").Select(f => f.Site).FirstOrDefault(s => s is not null);

    private static readonly string[] CancerWords =
        ["cancer", "malignan", "carcinoma", "melanoma", "sarcoma", "lymphoma", "leukemia", "leukaemia", "neoplasm", "tumor", "tumour", "metasta"];

    private static bool LooksLikeCancer(string text) => CancerWords.Any(w => text.Contains(w, StringComparison.OrdinalIgnoreCase));

    private static bool LooksSecondary(string text) =>
        text.Contains("metasta", StringComparison.OrdinalIgnoreCase) || text.Contains("secondary", StringComparison.OrdinalIgnoreCase);

    /// <summary>The behaviour digit of an ICD-O-3 morphology code ("8140/3" → '3'), when the code has one.</summary>
    private static char? Behaviour(CodedConcept morphology) =>
        morphology.System == CodeSystems.IcdO3 && morphology.Code.Length >= 6 && morphology.Code[4] == '/' ? morphology.Code[5] : null;

    private IEnumerable<Finding> Findings(CancerCodes codes)
    {
        foreach (var coding in codes.Codes)
        {
            if (coding.System == CodeSystems.Snomed && _table.Snomed.TryGetValue(coding.Code, out var row))
            {
                yield return new Finding(row.Role, row.Site, row.Histology, row.CancerType, "snomed");
            }
            else if (coding.System == CodeSystems.Icd10Cm && _table.Icd10(coding.Code) is { } icd)
            {
                // A bare "C" category says only "malignant": it never decides a type or a site.
                yield return new Finding(icd.Role, icd.Site, icd.Histology, null, icd.Prefix == "C" ? "icd10-c" : "icd10");
            }
        }

        foreach (var site in codes.BodySites.Where(s => s.System == CodeSystems.Snomed))
        {
            if (_table.Snomed.TryGetValue(site.Code, out var row) && row.Role == "body-site")
            {
                yield return new Finding("body-site", row.Site, null, null, "body-site");
            }
        }

        foreach (var morphology in codes.Morphology)
        {
            if (morphology.System == CodeSystems.IcdO3 && _table.Morphology(morphology.Code) is { } histology)
            {
                yield return new Finding("morphology", null, histology, null, "icdo3");
            }
            else if (morphology.System == CodeSystems.Snomed && _table.Snomed.TryGetValue(morphology.Code, out var row) && row.Histology is not null)
            {
                yield return new Finding("morphology", null, row.Histology, null, "snomed-morphology");
            }
        }
    }

    private sealed record Finding(string Role, string? Site, string? Histology, CancerType? CancerType, string Source);
}

/// <summary>The classification table as loaded (and checked) from its versioned data file.</summary>
internal sealed class CancerTypeTable
{
    public required string Version { get; init; }

    public required IReadOnlyDictionary<string, CancerTypeTableRow> Snomed { get; init; }

    public required IReadOnlyList<(string Prefix, string Role, string? Site, string? Histology)> Icd10Rows { get; init; }

    public required IReadOnlyList<(int From, int To, string Histology)> MorphologyRanges { get; init; }

    /// <summary>The longest listed prefix of an ICD-10-CM code (dots ignored): C25.4 before C25 before C.</summary>
    public (string Prefix, string Role, string? Site, string? Histology)? Icd10(string code)
    {
        var compact = code.Replace(".", string.Empty, StringComparison.Ordinal).Trim().ToUpperInvariant();
        return Icd10Rows
            .Where(r => compact.StartsWith(r.Prefix.Replace(".", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal))
            .OrderByDescending(r => r.Prefix.Length)
            .Select(r => ((string, string, string?, string?)?)r)
            .FirstOrDefault();
    }

    /// <summary>The histology family of an ICD-O-3 morphology code ("8041/3", "80413", "8041").</summary>
    public string? Morphology(string code)
    {
        var digits = new string([.. code.Where(char.IsAsciiDigit).Take(4)]);
        if (digits.Length != 4)
        {
            return null;
        }

        var value = int.Parse(digits, CultureInfo.InvariantCulture);
        return MorphologyRanges.Where(r => value >= r.From && value <= r.To).Select(r => r.Histology).FirstOrDefault();
    }
}

internal sealed record CancerTypeTableRow(string Code, string Display, string Role, string? Site, string? Histology, CancerType? CancerType, string Source);
