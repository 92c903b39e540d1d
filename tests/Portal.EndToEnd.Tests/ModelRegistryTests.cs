using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Precision.Portal.EndToEnd.Tests;

/// <summary>
/// The model registry in Chromium against its own portal (this class's fixture: its own data directory), serving the
/// committed models 1.0.0–2.0.0 (feature layout V1) and 2.0.0 (V2). The test ends on 2.0.0, the version served by default;
/// switching to 1.1.0 and back changes the layout the portal featurizes in.
/// </summary>
public sealed class ModelRegistryTests(PortalBrowser browser) : IClassFixture<PortalBrowser>
{
    private const string ActivationReason = "Validation report VR-17: 1.1.0 calibrates better on the site's data";
    private const string RollbackReason = "Site review of VR-17 disagreed: back to 2.0.0 until it is repeated";

    [Fact]
    public async Task Administrator_activates_1_1_0_with_a_reason_sees_it_served_and_recorded_then_rolls_back_to_2_0_0()
    {
        var page = await browser.SignInAsync("admin", "admin-demo");
        await page.GetByTestId("nav-administration").ClickAsync();
        await page.GetByTestId("link-model-registry").ClickAsync();
        await PortalBrowser.WaitForInteractiveAsync(page);
        await Expect(page.GetByTestId("active-version")).ToHaveTextAsync("2.0.0");
        await Expect(page.GetByTestId("model-version-2.0.0").GetByTestId("active-badge")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("model-card")).ToContainTextAsync("Model card — treatment-efficacy ensemble 2.0.0");
        await Expect(page.GetByTestId("history-empty")).ToBeVisibleAsync();

        // A reason is mandatory: the dialog says so and nothing changes.
        await page.GetByTestId("activate-1.1.0").ClickAsync();
        await page.GetByTestId("confirm-activation").ClickAsync();
        await Expect(page.GetByTestId("activation-problem")).ToContainTextAsync("A reason is required");
        await page.GetByLabel("Reason (required)").FillAsync(ActivationReason);
        await page.GetByTestId("confirm-activation").ClickAsync();

        await Expect(page.GetByTestId("activation-result")).ToContainTextAsync("Activated model 1.1.0");
        await Expect(page.GetByTestId("active-version")).ToHaveTextAsync("1.1.0");
        await Expect(page.GetByTestId("model-version-1.1.0").GetByTestId("active-badge")).ToBeVisibleAsync();
        var history = page.GetByTestId("activation-history").Locator("tbody tr");
        await Expect(history).ToHaveCountAsync(1);
        await Expect(history.First).ToContainTextAsync(ActivationReason);
        await Expect(history.First).ToContainTextAsync("Ada Lindqvist"); // the demo administrator's name from the identity provider
        await Expect(page.GetByTestId("model-status")).ToHaveTextAsync("Model 1.1.0 · CPU");
        await Expect(page.GetByTestId("activate-2.0.0")).ToHaveTextAsync("Roll back");
        // The top of the page (versions, history, start of the card); the rendered card continues below.
        await page.ScreenshotAsync(new PageScreenshotOptions
        {
            Path = Path.Combine(PortalBrowser.ScreenshotDirectory, "model-registry.png"),
            FullPage = true,
            Clip = new Clip { X = 0, Y = 0, Width = 1366, Height = 1500 },
        });

        // Fairness: the subgroup tables of the 1.1.0 card and the chart, small groups flagged.
        await page.GotoAsync(browser.Host.PortalUrl + "compliance/models/1.1.0?tab=subgroups&subgroup=Race");
        await PortalBrowser.WaitForInteractiveAsync(page);
        await Expect(page.Locator("[data-testid=subgroup-chart] .main-svg").First).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await Expect(page.GetByTestId("subgroup-chart")).ToHaveAttributeAsync("aria-label", new System.Text.RegularExpressions.Regex("AUROC of model 1.1.0 by race: .*White 0.802 \\(n = 1805\\)"));
        await Expect(page.GetByTestId("subgroup-table-race").GetByTestId("small-group")).ToHaveCountAsync(2);
        await Expect(page.GetByTestId("subgroup-table-sex")).ToContainTextAsync("Female");
        // The fixed app bar would cover the top of a tall element's picture: hidden for the shot.
        await page.GetByTestId("model-detail").ScreenshotAsync(new LocatorScreenshotOptions
        {
            Path = Path.Combine(PortalBrowser.ScreenshotDirectory, "model-subgroups.png"),
            Style = ".mud-appbar { visibility: hidden; }",
        });
        var violations = await AccessibilityScan.SeriousViolationsAsync(page);
        Assert.True(violations.Count == 0, string.Join('\n', violations));

        // Roll back to the version served before, with its own reason.
        await page.GotoAsync(browser.Host.PortalUrl + "compliance/models");
        await PortalBrowser.WaitForInteractiveAsync(page);
        await page.GetByTestId("activate-2.0.0").ClickAsync();
        await page.GetByLabel("Reason (required)").FillAsync(RollbackReason);
        await page.GetByTestId("confirm-activation").ClickAsync();
        await Expect(page.GetByTestId("activation-result")).ToContainTextAsync("Rolled back to model 2.0.0");
        await Expect(page.GetByTestId("active-version")).ToHaveTextAsync("2.0.0");
        await Expect(history).ToHaveCountAsync(2);
        await Expect(history.First).ToContainTextAsync("Rollback");
        await Expect(history.First).ToContainTextAsync(RollbackReason);
        await Expect(page.GetByTestId("model-status")).ToHaveTextAsync("Model 2.0.0 · CPU");
        Assert.True(browser.ConsoleProblems(page).Count == 0, string.Join('\n', browser.ConsoleProblems(page)));
        await page.Context.CloseAsync();

        // A compliance officer sees the same history but no switch.
        var officer = await browser.SignInAsync("compliance", "compliance-demo");
        await officer.GetByTestId("nav-compliance").ClickAsync();
        await officer.GetByTestId("link-model-registry").ClickAsync();
        await PortalBrowser.WaitForInteractiveAsync(officer);
        await Expect(officer.GetByTestId("activation-history").Locator("tbody tr")).ToHaveCountAsync(2);
        await Expect(officer.GetByTestId("active-version")).ToHaveTextAsync("2.0.0");
        await Expect(officer.GetByTestId("activate-1.1.0")).ToHaveCountAsync(0);
        await officer.Context.CloseAsync();
    }
}
