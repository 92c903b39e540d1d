using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Precision.Portal.Client.Audit;
using Precision.Portal.Server.Audit;
using static Microsoft.Playwright.Assertions;

namespace Precision.Portal.EndToEnd.Tests;

public sealed class ComplianceSearchTests(PortalBrowser browser) : IClassFixture<PortalBrowser>
{
    [Fact]
    public async Task Compliance_officer_filters_the_trail_pages_opens_an_event_and_gets_export_links_for_the_filter()
    {
        var store = browser.Host.Services.GetRequiredService<IAuditStore>();
        for (var i = 0; i < 30; i++)
        {
            await store.AppendAsync(new NewAuditEvent(new AuditActor("sub-e2e", "E2E Clinician", ["clinician"]), AuditActions.PredictionCreate, AuditOutcome.Success,
                "Patient/e2e-7", "/patients/{id}/predictions", $$"""{"modelVersion":"9.9.{{i % 2}}","rank":{{i}}}""", "127.0.0.1", $"e2e-{i}"));
        }

        var page = await browser.SignInAsync("compliance", "compliance-demo");
        await page.GetByTestId("nav-compliance").ClickAsync();
        await PortalBrowser.WaitForInteractiveAsync(page);

        await page.GetByLabel("Patient reference").FillAsync("Patient/e2e-7");
        await page.GetByLabel("Model version").FillAsync("9.9.1");
        await page.GetByTestId("search-audit").ClickAsync();

        var table = page.GetByTestId("recent-events");
        await Expect(table.Locator("tbody tr")).ToHaveCountAsync(15);
        await Expect(page.GetByTestId("export-csv")).ToHaveAttributeAsync("href", "/compliance/audit/export?format=csv&patient=Patient%2Fe2e-7&modelVersion=9.9.1");
        await Expect(page.GetByTestId("page-older")).ToBeDisabledAsync();

        // Labelled fields (found by their labels above) and keyboard: the first row's details button, then the detail region with pretty-printed JSON.
        var details = table.Locator("tbody tr").First.Locator("button");
        await details.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByTestId("event-detail-json")).ToContainTextAsync("\"modelVersion\": \"9.9.1\"");
        await PortalBrowser.ScreenshotAsync(page, "compliance-search");

        // A bad filter is explained, not a crash.
        await page.GetByLabel("From (UTC date, inclusive)").FillAsync("2026-05-04");
        await page.GetByLabel("To (UTC date, inclusive)").FillAsync("2026-05-01");
        await page.GetByTestId("search-audit").ClickAsync();
        await Expect(page.GetByTestId("search-problems")).ToContainTextAsync("must be before its end");

        var searches = await browser.Host.Services.GetRequiredService<IAuditReader>().SearchAsync(new AuditSearchQuery { Action = AuditActions.AuditSearch });
        Assert.Contains(searches.Events, e => e.PatientReference == "Patient/e2e-7" && e.Actor.Roles.Contains("compliance"));
        Assert.True(browser.ConsoleProblems(page).Count == 0, string.Join('\n', browser.ConsoleProblems(page)));
        await page.Context.CloseAsync();
    }
}
