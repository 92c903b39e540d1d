using Bunit;
using MudBlazor.Services;
using Precision.Portal.Client.ModelVersions;
using Precision.Portal.Client.Pages.Models;

namespace Precision.Portal.Client.Tests;

/// <summary>The model registry's subgroup view with hand-made card data (the real card is parsed by the server tests).</summary>
public sealed class SubgroupResultsTests : BunitContext, IAsyncLifetime
{
    public SubgroupResultsTests()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    [Fact]
    public void A_version_without_subgroup_tables_says_so_instead_of_an_empty_chart()
    {
        var card = new ModelCardView("0.9.0", "<p>card</p>", null, [], "The model card of 0.9.0 has no '## Subgroups' section, so no subgroup results can be shown for this version.");

        var cut = Render<SubgroupResults>(p => p.Add(c => c.Card, card));

        Assert.Contains("has no '## Subgroups' section", cut.Find("[data-testid=subgroups-missing]").TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=subgroup-chart]"));
    }

    [Fact]
    public void Each_table_is_shown_small_groups_are_flagged_and_the_chart_is_described_for_screen_readers()
    {
        var card = new ModelCardView("1.1.0", "<p>card</p>", null,
        [
            new SubgroupTable("Sex", [new SubgroupRow("Female", 1534, 0.32, 0.34, 0.812, 0.030), new SubgroupRow("Male", 882, 0.32, 0.35, 0.765, 0.033)]),
            new SubgroupTable("Race", [new SubgroupRow("Asian", 154, 0.31, 0.34, 0.802, 0.052), new SubgroupRow("Native Hawaiian or Other Pacific Islander", 6, 0.17, 0.33, null, null)]),
        ], null);

        var cut = Render<SubgroupResults>(p => p.Add(c => c.Card, card).Add(c => c.InitialDimension, "race").Add(c => c.OverallAuroc, 0.794));

        Assert.Equal(2, cut.FindAll("[data-testid^=subgroup-table-]").Count);
        var race = cut.Find("[data-testid=subgroup-table-race]");
        Assert.Single(race.QuerySelectorAll("[data-testid=small-group]"));
        Assert.Contains("—", race.TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.Find("[data-testid=subgroup-table-sex]").QuerySelectorAll("[data-testid=small-group]"));
        var chart = cut.Find("[data-testid=subgroup-chart]");
        Assert.Equal("figure", chart.GetAttribute("role"));
        Assert.Equal("AUROC of model 1.1.0 by race: Asian 0.802 (n = 154); Native Hawaiian or Other Pacific Islander — (n = 6)", chart.GetAttribute("aria-label"));
        Assert.Contains("Whole test set: AUROC 0.794", cut.Markup, StringComparison.Ordinal);
    }
}
