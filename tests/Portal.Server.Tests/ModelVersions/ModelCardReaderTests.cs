using System.Globalization;
using Precision.Portal.Client.ModelVersions;
using Precision.Portal.Server.ModelVersions;

namespace Precision.Portal.Server.Tests.ModelVersions;

/// <summary>The committed model cards through Markdig: subgroup tables from the table AST, safe HTML.</summary>
public sealed class ModelCardReaderTests
{
    private static readonly string Models = Path.Combine(RepositoryRoot(), "models", "efficacy");

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Precision.Portal.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Run the tests inside the repository.");
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("1.1.0")]
    public void The_subgroup_tables_of_the_committed_card_agree_cell_by_cell_with_its_markdown_lines(string version)
    {
        var folder = Path.Combine(Models, version);
        var lines = File.ReadAllLines(Path.Combine(folder, ModelCardReader.FileName));

        var card = ModelCardReader.Read(version, folder);

        Assert.Null(card.Problem);
        Assert.Null(card.SubgroupProblem);
        Assert.Equal(["Sex", "Age band", "Race", "Ethnicity", "Cancer type", "Therapy"], card.Subgroups.Select(t => t.Dimension));
        foreach (var table in card.Subgroups)
        {
            // An independent reading: the lines between this table's heading and the next blank line, split on '|'.
            var heading = Array.IndexOf(lines, "### " + table.Dimension);
            var rows = lines.Skip(heading + 3).TakeWhile(l => l.StartsWith('|')).Select(l => l.Trim('|').Split('|').Select(c => c.Trim()).ToArray()).ToList();
            Assert.Equal(rows.Count, table.Rows.Count);
            foreach (var (row, cells) in table.Rows.Zip(rows))
            {
                Assert.Equal(cells[0], row.Group);
                Assert.Equal(int.Parse(cells[1], CultureInfo.InvariantCulture), row.Examples);
                Assert.Equal(Parse(cells[2]), row.ObservedRate);
                Assert.Equal(Parse(cells[3]), row.MeanPredicted);
                Assert.Equal(Parse(cells[4]), row.Auroc);
                Assert.Equal(Parse(cells[5]), row.ExpectedCalibrationError);
                Assert.Equal(row.Examples < SubgroupRow.SmallGroupThreshold, row.IsSmall);
            }
        }

        static double? Parse(string cell) => cell == "—" ? null : double.Parse(cell, CultureInfo.InvariantCulture);
    }

    [Fact]
    public void The_1_1_0_card_flags_its_small_race_groups_without_metrics()
    {
        var card = ModelCardReader.Read("1.1.0", Path.Combine(Models, "1.1.0"));

        var race = card.Subgroups.Single(t => t.Dimension == "Race");
        var small = race.Rows.Where(r => r.IsSmall).ToList();
        Assert.Equal(["American Indian or Alaska Native", "Native Hawaiian or Other Pacific Islander"], small.Select(r => r.Group));
        Assert.All(small, r => Assert.Null(r.Auroc));
        Assert.All(race.Rows.Where(r => !r.IsSmall), r => Assert.NotNull(r.Auroc));
    }

    [Fact]
    public void The_rendered_card_inlines_its_calibration_diagram_and_sits_below_the_page_title()
    {
        var folder = Path.Combine(Models, "1.1.0");
        var svg = Convert.ToBase64String(File.ReadAllBytes(Path.Combine(folder, "calibration.svg")));

        var card = ModelCardReader.Read("1.1.0", folder);

        Assert.Contains($"src=\"data:image/svg+xml;base64,{svg}\"", card.Html, StringComparison.Ordinal);
        Assert.Contains("<h2", card.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("<h1", card.Html, StringComparison.Ordinal);
        Assert.Contains("<table>", card.Html, StringComparison.Ordinal);
    }

    [Fact]
    public void Raw_html_script_links_and_outside_images_are_not_passed_through()
    {
        const string markdown = """
            # Card
            <script>alert('x')</script>
            <img src="https://evil.example/x.png" onerror="alert(1)">
            [click](javascript:alert(1)) [docs](https://example.org/docs) ![remote](https://evil.example/track.png) ![up](../secret.svg)
            """;

        var card = ModelCardReader.Parse("9.9.9", markdown, Path.Combine(Models, "1.1.0"));

        Assert.DoesNotContain("<script", card.Html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img src=\"https://evil", card.Html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", card.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("javascript:", card.Html, StringComparison.Ordinal);
        Assert.Contains("href=\"https://example.org/docs\"", card.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("evil.example/track.png", card.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("secret.svg", card.Html, StringComparison.Ordinal);
    }

    [Fact]
    public void Autolinks_to_script_schemes_are_shown_as_text_and_safe_autolinks_stay_links()
    {
        const string markdown = "See <javascript:alert(1)>, <vbscript:msgbox(1)>, <JaVaScRiPt:alert(2)>, <https://example.org/evidence> and <team@example.org>.";

        var card = ModelCardReader.Parse("9.9.9", markdown, null);

        Assert.DoesNotContain("href=\"javascript:", card.Html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("href=\"vbscript:", card.Html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("javascript:alert(1)", card.Html, StringComparison.Ordinal); // as text
        Assert.Contains("href=\"https://example.org/evidence\"", card.Html, StringComparison.Ordinal);
        Assert.Contains("href=\"mailto:team@example.org\"", card.Html, StringComparison.Ordinal);
    }

    [Fact]
    public void A_card_without_subgroup_tables_says_so_and_a_missing_card_says_what_to_do()
    {
        var noSection = ModelCardReader.Parse("2.0.0", "# Card\n\n## Intended use\nResearch only.\n", null);
        var noTables = ModelCardReader.Parse("2.0.1", "# Card\n\n## Subgroups\nNot evaluated yet.\n\n## Limitations\n- many\n", null);
        var badCount = ModelCardReader.Parse("2.0.2", "## Subgroups\n### Sex\n| Group | n | AUROC |\n|---|---:|---:|\n| Female | many | 0.8 |\n", null);
        var missing = ModelCardReader.Read("3.0.0", Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N")));

        Assert.Empty(noSection.Subgroups);
        Assert.Contains("has no '## Subgroups' section", noSection.SubgroupProblem, StringComparison.Ordinal);
        Assert.Empty(noTables.Subgroups);
        Assert.Contains("holds no tables", noTables.SubgroupProblem, StringComparison.Ordinal);
        Assert.Contains("'### Sex'", badCount.SubgroupProblem, StringComparison.Ordinal);
        Assert.Contains("'many'", badCount.SubgroupProblem, StringComparison.Ordinal);
        Assert.Null(missing.Html);
        Assert.Contains("has no model-card.md", missing.Problem, StringComparison.Ordinal);
    }
}
