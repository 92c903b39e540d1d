using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Precision.Portal.Client.Monitoring;
using Precision.Portal.Client.Pages.Compliance;

namespace Precision.Portal.Client.Tests;

/// <summary>
/// The monitoring page with a scripted monitoring service: what it shows for a report, an empty window and bad windows
/// (the real aggregation runs on real SQLite and PostgreSQL in the server tests, the real page in the browser tests).
/// </summary>
public sealed class MonitoringPageTests : BunitContext, IAsyncLifetime
{
    private readonly ScriptedMonitoring _monitoring = new();

    public MonitoringPageTests()
    {
        Services.AddMudServices();
        Services.AddSingleton<IPredictionMonitoring>(_monitoring);
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    private IRenderedComponent<ComplianceMonitoring> RenderAt(string query)
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo("compliance/monitoring" + query);
        return Render<ComplianceMonitoring>();
    }

    [Fact]
    public void A_report_shows_three_labelled_charts_the_therapy_and_subgroup_tables_and_flags_small_denominators()
    {
        _monitoring.Report = query => new MonitoringReport(
            query,
            MonitoringGranularity.Day,
            [new MonitoringBucket(query.From, 40, 6, 3, 5, 2), new MonitoringBucket(query.From.AddDays(1), 60, 3, 0, 30, 6)],
            [new TherapyFeedbackRow("osimertinib", "Osimertinib", 30, 6), new TherapyFeedbackRow("pembrolizumab", "Pembrolizumab", 5, 2)],
            [new SubgroupRow("Sex", "Female", 55, 5, 20, 4), new SubgroupRow("Age band", "60–69", 12, 3, 4, 1)],
            FeedbackWithoutPrediction: 2,
            TimeSpan.FromMilliseconds(12));

        var cut = RenderAt("?from=2026-05-04&to=2026-05-05");

        cut.WaitForElement("[data-testid=by-therapy]");
        Assert.Equal(new MonitoringQuery(new DateOnly(2026, 5, 4), new DateOnly(2026, 5, 5)), _monitoring.Asked.Single());
        foreach (var chart in new[] { "chart-volume", "chart-ood", "chart-disagreement" })
        {
            var figure = cut.Find($"[data-testid={chart}]");
            Assert.Equal("figure", figure.GetAttribute("role"));
            Assert.Contains("per day", figure.GetAttribute("aria-label"), StringComparison.Ordinal);
        }

        Assert.Contains("100 predictions, out of distribution 9.0% (9 of 100); 35 feedback, disagreement 22.9% (8 of 35)", cut.Find("[data-testid=monitoring-summary]").TextContent, StringComparison.Ordinal);
        var therapies = cut.FindAll("[data-testid=therapy-row]");
        Assert.Equal(2, therapies.Count);
        Assert.Contains("20.0% (6 of 30)", therapies[0].TextContent, StringComparison.Ordinal);
        Assert.Empty(therapies[0].QuerySelectorAll("[data-testid=few-events]"));
        Assert.Contains("40.0% (2 of 5)", therapies[1].TextContent, StringComparison.Ordinal);
        Assert.Single(therapies[1].QuerySelectorAll("[data-testid=few-events]"));
        var subgroups = cut.FindAll("[data-testid=subgroup-row]");
        Assert.Equal(["Female", "60–69"], subgroups.Select(r => r.Children[1].TextContent));
        Assert.Equal(2, subgroups[1].QuerySelectorAll("[data-testid=few-events]").Length);
        Assert.Contains("read from each prediction's recorded clinical feature", cut.Find("[data-testid=subgroup-source]").TextContent, StringComparison.Ordinal);
        Assert.Contains("2 feedback event(s) name a prediction no longer in the trail", cut.Find("[data-testid=feedback-without-prediction]").TextContent, StringComparison.Ordinal);
        Assert.Contains("Synthetic training data — research use only", cut.Find("[data-testid=monitoring-research-notice]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void A_window_without_events_says_so_instead_of_empty_charts()
    {
        _monitoring.Report = query => new MonitoringReport(query, MonitoringGranularity.Week, [new MonitoringBucket(query.From, 0, 0, 0, 0, 0)], [], [], 0, TimeSpan.Zero);

        var cut = RenderAt("?from=2025-01-01&to=2025-06-30&granularity=week");

        Assert.Contains("No predictions and no clinician feedback were recorded from 2025-01-01 to 2025-06-30", cut.WaitForElement("[data-testid=monitoring-empty]").TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[role=figure]"));
        Assert.Equal(MonitoringGranularity.Week, _monitoring.Asked.Single().Granularity);
    }

    [Theory]
    [InlineData("?from=2026-05-10&to=2026-05-01", "The end date 2026-05-01 is before the start date 2026-05-10: swap them.")]
    [InlineData("?from=2020-01-01&to=2026-05-01", "at most 731 days (two years) can be monitored at once. Move the start date to 2024-05-01 or later.")]
    [InlineData("?from=2026-01-01&to=2026-05-01&granularity=day", "Daily points are available for ranges up to 92 days (this one spans 121). Choose weekly, or narrow the range.")]
    [InlineData("?from=04.05.2026&to=2026-05-01", "The start (from) date '04.05.2026' is not a date: use the form yyyy-mm-dd")]
    [InlineData("?from=&to=2026-05-01", "Enter the start (from) date.")]
    public void A_bad_window_is_explained_and_never_queried(string query, string message)
    {
        var cut = RenderAt(query);

        Assert.Contains(message, cut.WaitForElement("[data-testid=monitoring-problems]").TextContent, StringComparison.Ordinal);
        Assert.Empty(_monitoring.Asked);
        Assert.Empty(cut.FindAll("[role=figure]"));
    }

    private sealed class ScriptedMonitoring : IPredictionMonitoring
    {
        public Func<MonitoringQuery, MonitoringReport> Report { get; set; } = q => new MonitoringReport(q, q.Resolved, [], [], [], 0, TimeSpan.Zero);

        public List<MonitoringQuery> Asked { get; } = [];

        public Task<MonitoringReport> ReadAsync(MonitoringQuery query, CancellationToken cancellationToken = default)
        {
            Asked.Add(query);
            return Task.FromResult(Report(query));
        }
    }
}
