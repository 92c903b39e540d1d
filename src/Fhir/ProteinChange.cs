using System.Text.RegularExpressions;

namespace Precision.Fhir;

/// <summary>Protein changes in the short form clinicians use: p.Leu858Arg → p.L858R.</summary>
internal static partial class ProteinChange
{
    private static readonly Dictionary<string, string> OneLetter = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Ala"] = "A", ["Arg"] = "R", ["Asn"] = "N", ["Asp"] = "D", ["Cys"] = "C", ["Gln"] = "Q", ["Glu"] = "E",
        ["Gly"] = "G", ["His"] = "H", ["Ile"] = "I", ["Leu"] = "L", ["Lys"] = "K", ["Met"] = "M", ["Phe"] = "F",
        ["Pro"] = "P", ["Ser"] = "S", ["Thr"] = "T", ["Trp"] = "W", ["Tyr"] = "Y", ["Val"] = "V", ["Ter"] = "*",
    };

    public static string? Short(string? hgvs)
    {
        if (string.IsNullOrWhiteSpace(hgvs))
        {
            return null;
        }

        // Drop a transcript prefix (NP_005219.2:p.(Leu858Arg)) and predicted-change parentheses.
        var change = hgvs.Contains(':', StringComparison.Ordinal) ? hgvs[(hgvs.LastIndexOf(':') + 1)..] : hgvs;
        change = change.Replace("(", string.Empty, StringComparison.Ordinal).Replace(")", string.Empty, StringComparison.Ordinal).Trim();
        return ThreeLetter().Replace(change, m => OneLetter.TryGetValue(m.Value, out var one) ? one : m.Value);
    }

    [GeneratedRegex("(Ala|Arg|Asn|Asp|Cys|Gln|Glu|Gly|His|Ile|Leu|Lys|Met|Phe|Pro|Ser|Thr|Trp|Tyr|Val|Ter)", RegexOptions.CultureInvariant)]
    private static partial Regex ThreeLetter();
}
