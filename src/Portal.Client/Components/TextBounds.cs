using System.Globalization;
using System.Text;

namespace Precision.Portal.Client.Components;

/// <summary>
/// Text from a patient record (names, displays, notes) can be any length: real FHIR servers send megabytes. On screen it is
/// shortened to a bounded number of characters with an ellipsis; the whole text goes into a title, itself capped.
/// </summary>
public static class TextBounds
{
    /// <summary>Characters shown by default: a table cell or a header fact.</summary>
    public const int DefaultLength = 100;

    /// <summary>
    /// Characters of a title (tooltip). The mapper already caps what it keeps; this is the page's own guard against a title
    /// the browser would have to lay out in full.
    /// </summary>
    public const int MaxTitleLength = 4000;

    /// <summary>
    /// At most <paramref name="maxLength"/> characters, whitespace runs (new lines, tabs) collapsed to one space and control
    /// characters dropped, with "…" when the text was longer. Reads only as much of the text as it shows.
    /// </summary>
    public static string Shorten(string? text, int maxLength = DefaultLength) => Bound(text, maxLength).Shown;

    /// <summary>Whether <see cref="Shorten"/> leaves something out (the text is longer than shown).</summary>
    public static bool IsShortened(string? text, int maxLength = DefaultLength) => Bound(text, maxLength).Shortened;

    /// <summary>The shown text and whether something was left out.</summary>
    public static (string Shown, bool Shortened) Bound(string? text, int maxLength = DefaultLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        if (string.IsNullOrEmpty(text))
        {
            return (string.Empty, false);
        }

        var shown = new StringBuilder(Math.Min(text.Length, maxLength));
        var pendingSpace = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                pendingSpace = shown.Length > 0;
                continue;
            }

            if (shown.Length + (pendingSpace ? 1 : 0) >= maxLength)
            {
                // Room for the ellipsis; the cut falls between text elements, never inside a surrogate pair or an accented letter.
                return (WholeTextElements(shown.ToString(), maxLength - 1).TrimEnd() + "…", true);
            }

            if (pendingSpace)
            {
                shown.Append(' ');
                pendingSpace = false;
            }

            shown.Append(c);
        }

        return (shown.ToString(), false);
    }

    /// <summary>The longest prefix of <paramref name="text"/> of at most <paramref name="maxChars"/> UTF-16 characters that ends between text elements.</summary>
    private static string WholeTextElements(string text, int maxChars)
    {
        var length = 0;
        while (length < text.Length)
        {
            var next = StringInfo.GetNextTextElementLength(text, length);
            if (length + next > maxChars)
            {
                break;
            }

            length += next;
        }

        return text[..length];
    }

    /// <summary>The whole text for a title, capped at <see cref="MaxTitleLength"/> characters (saying how long it was).</summary>
    public static string Title(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length <= MaxTitleLength)
        {
            return text;
        }

        var length = char.IsHighSurrogate(text[MaxTitleLength - 1]) ? MaxTitleLength - 1 : MaxTitleLength;
        return text[..length] + string.Create(CultureInfo.InvariantCulture, $"… ({text.Length:N0} characters in the record)");
    }
}
