using System.Globalization;

namespace Precision.Portal.Client.Patients;

/// <summary>A patient's diagnosis as a list shows it: the record's words, bounded so a long one cannot stretch the row.</summary>
public static class PatientDiagnosisText
{
    /// <summary>The most text elements (what a reader counts as characters) a list shows, the ellipsis included.</summary>
    public const int MaxLength = 80;

    /// <summary>The label whole when it fits, else its first <see cref="MaxLength"/> − 1 text elements and "…".</summary>
    public static string Bounded(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        var text = new StringInfo(label.Trim());
        return text.LengthInTextElements <= MaxLength
            ? text.String
            : text.SubstringByTextElements(0, MaxLength - 1).TrimEnd() + "…";
    }
}
