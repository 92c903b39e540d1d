using Bunit;
using MudBlazor;
using Precision.Clinical;
using Precision.Portal.Client.Pages.Patients.Record;

namespace Precision.Portal.Client.Tests.Patients;

public sealed class DataQualityTabTests : MudTestContext
{
    /// <summary>A 2,000-resource record: 1,500 Observations (1,200 used), 400 Conditions (all used), 100 DocumentReferences (none used).</summary>
    private static PatientProfile Large()
    {
        var accounts = new List<ResourceAccount>();
        for (var i = 0; i < 1500; i++)
        {
            accounts.Add(i < 1200
                ? new ResourceAccount(new SourceReference("Observation", $"obs-{i:D4}"), ResourceUse.Used, "Lab result: hemoglobin")
                : new ResourceAccount(new SourceReference("Observation", $"obs-{i:D4}"), ResourceUse.NotUsed, "Unknown LOINC code 99999-9: not a laboratory test the portal reads"));
        }

        for (var i = 0; i < 400; i++)
        {
            accounts.Add(new ResourceAccount(new SourceReference("Condition", $"cond-{i:D3}"), ResourceUse.Used, "Comorbidity"));
        }

        for (var i = 0; i < 100; i++)
        {
            accounts.Add(new ResourceAccount(new SourceReference("DocumentReference", $"doc-{i:D3}"), ResourceUse.NotUsed, "Clinical notes are not read"));
        }

        return TestProfiles.Build(issues:
        [
            new DataQualityIssue(DataQualitySeverity.Warning, "Observation obs-1200 has an unknown code.", new SourceReference("Observation", "obs-1200")),
            new DataQualityIssue(DataQualitySeverity.Error, "Condition cond-x refers to a missing patient.", null),
        ]) with { ResourceAccounts = accounts };
    }

    [Fact]
    public void Counts_by_resource_type_come_first_with_received_used_and_not_used()
    {
        var cut = Render<DataQualityTab>(p => p.Add(c => c.Profile, Large()));

        Assert.Equal("2,000 received · 1,600 used · 400 not used", Normalize(cut.Find("[data-testid=accounts-summary]").TextContent));
        var rows = cut.FindAll("[data-testid=resource-count-row]");
        Assert.Equal(["Observation", "Condition", "DocumentReference"], rows.Select(r => r.GetAttribute("data-type")));
        Assert.Equal(("1,500", "1,200", "300"), Counts(rows[0]));
        Assert.Equal(("400", "400", "0"), Counts(rows[1]));
        Assert.Equal(("100", "0", "100"), Counts(rows[2]));
        var headings = cut.FindAll("h2").Select(h => h.TextContent.Trim()).ToList();
        Assert.Equal(["Resources received", "Issues", "Every resource"], headings);
    }

    [Fact]
    public void Issues_keep_their_severity_table_errors_first()
    {
        var cut = Render<DataQualityTab>(p => p.Add(c => c.Profile, Large()));

        var rows = cut.FindAll("[data-testid=data-quality-table] tbody tr");
        Assert.Contains("Error", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("Warning", rows[1].TextContent, StringComparison.Ordinal);
        Assert.Contains("Observation/obs-1200", rows[1].TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void The_resource_list_is_paged_with_every_resources_use_and_detail()
    {
        var cut = Render<DataQualityTab>(p => p.Add(c => c.Profile, Large()));

        Assert.Equal(DataQualityTab.PageSize, cut.FindAll("[data-testid=resource-account]").Count);
        Assert.Equal("Showing 1–50 of 2,000 resources", Normalize(cut.Find("[data-testid=accounts-showing]").TextContent));
        Assert.Equal("Page 1 of 40", Normalize(cut.Find("[data-testid=accounts-page]").TextContent));
        var first = cut.FindAll("[data-testid=resource-account]")[0];
        Assert.Contains("Condition/cond-000", first.TextContent, StringComparison.Ordinal);
        Assert.Contains("Used", first.TextContent, StringComparison.Ordinal);
        Assert.Contains("Comorbidity", first.TextContent, StringComparison.Ordinal);

        cut.Find("[data-testid=accounts-last]").Click();

        Assert.Equal("Page 40 of 40", Normalize(cut.Find("[data-testid=accounts-page]").TextContent));
        Assert.Contains("Observation/obs-1499", cut.FindAll("[data-testid=resource-account]")[^1].TextContent, StringComparison.Ordinal);
        Assert.True(cut.Find("[data-testid=accounts-next]").HasAttribute("disabled"));

        cut.Find("[data-testid=accounts-previous]").Click();
        Assert.Equal("Page 39 of 40", Normalize(cut.Find("[data-testid=accounts-page]").TextContent));
    }

    [Fact]
    public async Task Filtering_by_use_and_type_narrows_the_list_and_says_how_much()
    {
        var cut = Render<DataQualityTab>(p => p.Add(c => c.Profile, Large()));
        cut.Find("[data-testid=accounts-next]").Click();

        await cut.InvokeAsync(() => cut.FindComponents<MudSelect<string>>().Single().Instance.ValueChanged.InvokeAsync("Observation"));
        await cut.InvokeAsync(() => cut.FindComponent<MudSelect<DataQualityTab.UseFilter>>().Instance.ValueChanged.InvokeAsync(DataQualityTab.UseFilter.NotUsed));

        Assert.Equal("Showing 1–50 of 300 (filtered from 2,000)", Normalize(cut.Find("[data-testid=accounts-showing]").TextContent));
        Assert.Equal("Page 1 of 6", Normalize(cut.Find("[data-testid=accounts-page]").TextContent));
        Assert.All(cut.FindAll("[data-testid=resource-account]"), r =>
        {
            Assert.Equal("NotUsed", r.GetAttribute("data-use"));
            Assert.Contains("Unknown LOINC code 99999-9", r.TextContent, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void A_type_in_the_counts_table_lists_that_types_resources()
    {
        var cut = Render<DataQualityTab>(p => p.Add(c => c.Profile, Large()));

        cut.FindAll("[data-testid=resource-count-show]")[2].Click();

        Assert.Equal("Showing 1–50 of 100 (filtered from 2,000)", Normalize(cut.Find("[data-testid=accounts-showing]").TextContent));
        Assert.All(cut.FindAll("[data-testid=resource-account]"), r => Assert.Contains("DocumentReference/doc-", r.TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Searching_by_id_or_detail_finds_single_resources()
    {
        var cut = Render<DataQualityTab>(p => p.Add(c => c.Profile, Large()));

        await cut.InvokeAsync(() => cut.FindComponent<MudTextField<string>>().Instance.ValueChanged.InvokeAsync("obs-0042"));

        var row = Assert.Single(cut.FindAll("[data-testid=resource-account]"));
        Assert.Contains("Observation/obs-0042", row.TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=accounts-page]"));

        await cut.InvokeAsync(() => cut.FindComponent<MudTextField<string>>().Instance.ValueChanged.InvokeAsync("no such thing"));
        Assert.NotNull(cut.Find("[data-testid=accounts-empty]"));
    }

    [Fact]
    public void Long_details_are_shortened_with_the_whole_text_in_the_title()
    {
        var detail = "Not used: " + new string('z', 3000);
        var profile = TestProfiles.Build() with { ResourceAccounts = [new ResourceAccount(new SourceReference("Observation", "big"), ResourceUse.NotUsed, detail)] };

        var cut = Render<DataQualityTab>(p => p.Add(c => c.Profile, profile));

        var text = cut.Find("[data-testid=resource-account] .bounded-text");
        Assert.Equal(160, text.TextContent.Length);
        Assert.Equal(detail, text.GetAttribute("title"));
    }

    [Fact]
    public void A_record_without_accounts_or_issues_says_so()
    {
        var cut = Render<DataQualityTab>(p => p.Add(c => c.Profile, TestProfiles.Build()));

        Assert.NotNull(cut.Find("[data-testid=accounts-none]"));
        Assert.NotNull(cut.Find("[data-testid=data-quality-none]"));
        Assert.Empty(cut.FindAll("[data-testid=resource-accounts]"));
    }

    private static (string, string, string) Counts(AngleSharp.Dom.IElement row) =>
        (row.QuerySelector("[data-testid=count-received]")!.TextContent, row.QuerySelector("[data-testid=count-used]")!.TextContent, row.QuerySelector("[data-testid=count-not-used]")!.TextContent);

    private static string Normalize(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
