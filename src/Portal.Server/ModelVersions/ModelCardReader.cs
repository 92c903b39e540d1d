using System.Globalization;
using System.Text;
using Markdig;
using Markdig.Extensions.Tables;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;
using Precision.Portal.Client.ModelVersions;

namespace Precision.Portal.Server.ModelVersions;

/// <summary>
/// Reads a version's <c>model-card.md</c> with Markdig: safe HTML for the page (raw HTML disabled, images from the
/// version folder inlined, other images and unsafe links dropped, headings moved one level down under the page's own
/// title) and the subgroup tables under <c>## Subgroups</c> from the parsed table AST.
/// </summary>
public static class ModelCardReader
{
    public const string FileName = "model-card.md";

    /// <summary>Images larger than this are not inlined (the card's reliability diagram is 2 kB).</summary>
    private const long MaxInlineImageBytes = 512 * 1024;

    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UsePipeTables().DisableHtml().Build();

    private static readonly Dictionary<string, string> ImageTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
    };

    /// <summary>The card of the version in <paramref name="folder"/>; a missing or unreadable card is a problem in words, not an exception.</summary>
    public static ModelCardView Read(string version, string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var path = Path.Combine(folder, FileName);
        string markdown;
        try
        {
            markdown = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return new ModelCardView(version, null, $"Model {version} has no {FileName} in {folder}. Restore it from the repository or retrain (precision-train writes it).", [],
                $"Model {version} has no model card, so it has no subgroup results to show.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new ModelCardView(version, null, $"{path} could not be read: {ex.Message}", [], $"The model card of {version} could not be read.");
        }

        return Parse(version, markdown, folder);
    }

    /// <summary>Parses card text; images are looked up in <paramref name="folder"/> (null: none are inlined).</summary>
    public static ModelCardView Parse(string version, string markdown, string? folder)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        var document = Markdown.Parse(markdown, Pipeline);
        var (subgroups, subgroupProblem) = ReadSubgroups(version, document);
        MakeSafe(document, folder);
        return new ModelCardView(version, Markdown.ToHtml(document, Pipeline), null, subgroups, subgroupProblem);
    }

    /// <summary>Every <c>### Dimension</c> table under <c>## Subgroups</c>, up to the next level-2 heading.</summary>
    public static (IReadOnlyList<SubgroupTable> Tables, string? Problem) ReadSubgroups(string version, MarkdownDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var blocks = document.ToList();
        var start = blocks.FindIndex(b => b is HeadingBlock { Level: 2 } h && string.Equals(Text(h.Inline).Trim(), "Subgroups", StringComparison.OrdinalIgnoreCase));
        if (start < 0)
        {
            return ([], $"The model card of {version} has no '## Subgroups' section, so no subgroup results can be shown for this version.");
        }

        var tables = new List<SubgroupTable>();
        var problems = new List<string>();
        string? dimension = null;
        foreach (var block in blocks.Skip(start + 1))
        {
            if (block is HeadingBlock heading)
            {
                if (heading.Level <= 2)
                {
                    break;
                }

                dimension = heading.Level == 3 ? Text(heading.Inline).Trim() : dimension;
            }
            else if (block is Table table && dimension is not null)
            {
                var (rows, problem) = ReadTable(table);
                if (problem is not null)
                {
                    problems.Add($"'### {dimension}': {problem}");
                }
                else
                {
                    tables.Add(new SubgroupTable(dimension, rows));
                }

                dimension = null;
            }
        }

        if (tables.Count == 0)
        {
            return ([], problems.Count > 0
                ? $"The subgroup tables of model {version} could not be read: {string.Join(" ", problems)}"
                : $"The '## Subgroups' section of model {version} holds no tables (one '### Dimension' heading followed by a pipe table each).");
        }

        return (tables, problems.Count > 0 ? $"Some subgroup tables of model {version} were left out: {string.Join(" ", problems)}" : null);
    }

    private static (IReadOnlyList<SubgroupRow> Rows, string? Problem) ReadTable(Table table)
    {
        var rows = table.OfType<TableRow>().ToList();
        var header = rows.FirstOrDefault(r => r.IsHeader);
        if (header is null)
        {
            return ([], "the table has no header row.");
        }

        var columns = header.OfType<TableCell>().Select((c, i) => (Name: Normalize(CellText(c)), Index: i)).ToDictionary(c => c.Name, c => c.Index, StringComparer.Ordinal);
        if (!columns.TryGetValue("group", out var group) || !columns.TryGetValue("n", out var n))
        {
            return ([], "the table needs a 'Group' and an 'n' column.");
        }

        var observed = columns.GetValueOrDefault("observed rate", -1);
        var predicted = columns.GetValueOrDefault("mean predicted", -1);
        var auroc = columns.GetValueOrDefault("auroc", -1);
        var ece = columns.Where(c => c.Key.StartsWith("ece", StringComparison.Ordinal)).Select(c => c.Value).DefaultIfEmpty(-1).First();
        var result = new List<SubgroupRow>();
        foreach (var row in rows.Where(r => !r.IsHeader))
        {
            var cells = row.OfType<TableCell>().Select(CellText).ToList();
            string Cell(int index) => index >= 0 && index < cells.Count ? cells[index].Trim() : string.Empty;
            if (!int.TryParse(Cell(n), NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var examples) || examples < 0)
            {
                return ([], $"the row '{Cell(group)}' has '{Cell(n)}' as its number of examples (n), not a whole number.");
            }

            result.Add(new SubgroupRow(Cell(group), examples, Number(Cell(observed)), Number(Cell(predicted)), Number(Cell(auroc)), Number(Cell(ece))));
        }

        return (result, null);
    }

    /// <summary>A metric cell: a number, or null for "—" (left out for small groups) and empty cells.</summary>
    private static double? Number(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) ? value : null;

    private static string Normalize(string header)
    {
        var text = header.Trim().ToLowerInvariant();
        var bracket = text.IndexOf('(', StringComparison.Ordinal);
        return (bracket > 0 ? text[..bracket] : text).Trim();
    }

    private static string CellText(TableCell cell) =>
        string.Concat(cell.OfType<LeafBlock>().Select(b => Text(b.Inline)));

    /// <summary>The plain text of inline content (emphasis and code keep their text).</summary>
    private static string Text(ContainerInline? inline)
    {
        if (inline is null)
        {
            return string.Empty;
        }

        var text = new StringBuilder();
        foreach (var child in inline)
        {
            switch (child)
            {
                case LiteralInline literal:
                    text.Append(literal.Content.ToString());
                    break;
                case CodeInline code:
                    text.Append(code.Content);
                    break;
                case HtmlEntityInline entity:
                    text.Append(entity.Transcoded.ToString());
                    break;
                case LineBreakInline:
                    text.Append(' ');
                    break;
                case ContainerInline container:
                    text.Append(Text(container));
                    break;
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// Headings one level down (the page has its own h1); images from the version folder inlined as data URIs (the
    /// portal's CSP allows <c>img-src data:</c>; an SVG shown as an image runs no script); any other image or a link
    /// (autolinks included) that is not http(s), mailto or an anchor loses its address.
    /// </summary>
    private static void MakeSafe(MarkdownDocument document, string? folder)
    {
        foreach (var heading in document.Descendants<HeadingBlock>())
        {
            heading.Level = Math.Min(6, heading.Level + 1);
        }

        foreach (var link in document.Descendants<LinkInline>())
        {
            if (link.IsImage)
            {
                link.Url = InlineImage(link.Url, folder) ?? string.Empty;
                if (link.Url.Length == 0)
                {
                    link.Title = "Image not shown: only images shipped in the model's version folder are displayed.";
                }
            }
            else if (!IsSafeLink(link.Url))
            {
                link.Url = "#";
            }
        }

        // Autolinks (<javascript:…>, <vbscript:…>) are their own inline: an unsafe one is shown as plain text, not as a link.
        foreach (var autolink in document.Descendants<AutolinkInline>().ToList())
        {
            if (!autolink.IsEmail && !IsSafeLink(autolink.Url))
            {
                autolink.ReplaceBy(new LiteralInline(autolink.Url));
            }
        }
    }

    private static bool IsSafeLink(string? url) =>
        url is not null && (url.StartsWith('#')
            || (Uri.TryCreate(url, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https" or "mailto"));

    private static string? InlineImage(string? url, string? folder)
    {
        if (folder is null || string.IsNullOrWhiteSpace(url) || url.Contains('/', StringComparison.Ordinal) || url.Contains('\\', StringComparison.Ordinal)
            || url.Contains("..", StringComparison.Ordinal) || !ImageTypes.TryGetValue(Path.GetExtension(url), out var mediaType))
        {
            return null;
        }

        var file = new FileInfo(Path.Combine(folder, url));
        if (!file.Exists || file.Length > MaxInlineImageBytes)
        {
            return null;
        }

        return $"data:{mediaType};base64,{Convert.ToBase64String(File.ReadAllBytes(file.FullName))}";
    }
}
