using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Precision.Clinical;
using Precision.Clinical.Catalog;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.Patients;
using static Microsoft.Playwright.Assertions;

namespace Precision.Portal.EndToEnd.Tests;

/// <summary>
/// A clinician sees a patient's predictions and their explanation, runs a what-if, gives feedback and finds it in the
/// audit panel — on the real portal, model (ONNX Runtime, CPU), audit store and identity provider.
/// </summary>
public sealed class PredictionPagesTests(PortalBrowser browser) : IClassFixture<PortalBrowser>
{
    private IAuditReader Audit => browser.Host.Services.GetRequiredService<IAuditReader>();

    [Fact]
    public async Task Clinician_sees_predictions_and_explanation_runs_a_what_if_and_gives_feedback_found_in_the_audit_panel()
    {
        // A lung cancer patient with a driver and a first line already given: candidates, received and no-evidence groups.
        var profile = await PatientAsync(p => p.PrimaryCancer?.CancerType == CancerType.NonSmallCellLungCancer && BiomarkerDefinitions.BiomarkersOf(p).Count > 0
            && p.LatestLabs.Any(l => l.Analyte == LabAnalyte.Albumin) && p.TherapyLines.Any(l => l.CatalogTherapyId is not null && l.BestResponse is not null));
        var firstLine = profile.TherapyLines.First(l => l.CatalogTherapyId is not null && l.BestResponse is not null);
        var page = await browser.SignInAsync("clinician", "clinician-demo");
        await page.GotoAsync(browser.Host.PortalUrl + "patients/" + profile.PatientId);
        await PortalBrowser.WaitForInteractiveAsync(page);
        await page.GetByRole(AriaRole.Tab, new() { Name = "Predictions" }).ClickAsync();

        // Candidates ranked, the therapy already received apart with its history, the rest collapsed; model version and research-use label.
        await Expect(page.GetByTestId("prediction-row").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(page.GetByTestId("prediction-model")).ToContainTextAsync("Model 2.0.0");
        await Expect(page.GetByTestId("research-use-notice").First).ToContainTextAsync("research use only");
        var probabilities = await page.GetByTestId("prediction-table").GetByTestId("prediction-probability").AllInnerTextsAsync();
        var values = probabilities.Select(p => int.Parse(p.TrimEnd('%'), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(values.OrderByDescending(v => v), values);
        await Expect(page.Locator($"[data-testid=prediction-row][data-therapy='{firstLine.CatalogTherapyId}']")).ToHaveCountAsync(0);
        var received = page.Locator($"[data-testid=received-row][data-therapy='{firstLine.CatalogTherapyId}']");
        await Expect(received).ToContainTextAsync($"Line {firstLine.LineNumber}, {firstLine.StartedOn:yyyy-MM-dd} – ");
        await Expect(received).ToContainTextAsync("best response: ");
        // Model 2.0.0 reads progression: a regimen that progressed gets a re-challenge estimate, with what it means.
        await Expect(received).ToContainTextAsync(firstLine.BestResponse == RecistResponse.ProgressiveDisease ? "Re-challenge after progression" : "Estimate as for a patient not treated with it before");
        await Expect(received.GetByTestId("prediction-probability")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("no-evidence-title")).ToContainTextAsync("Not ranked:");
        await Expect(page.GetByTestId("no-evidence-row").First).Not.ToBeVisibleAsync();
        var shown = await page.GetByTestId("prediction-row").CountAsync() + await page.GetByTestId("received-row").CountAsync()
            + int.Parse(System.Text.RegularExpressions.Regex.Match(await page.GetByTestId("no-evidence-title").InnerTextAsync(), @"Not ranked: (\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(22, shown);
        await Expect(page.GetByTestId("similarity-basis")).ToContainTextAsync("same cancer type and the same driver biomarkers");
        await page.SetViewportSizeAsync(1366, 2600); // the three groups in one shot (no-evidence collapsed), clear of the sticky header
        await PortalBrowser.ScreenshotOfAsync(page.GetByTestId("prediction-groups"), "patient-predictions-groups");
        await page.SetViewportSizeAsync(1366, 900);

        // Recorded before shown: the prediction event carries the model identity and the inputs.
        var created = (await Audit.ReadForPatientAsync("Patient/" + profile.PatientId, 20)).First(e => e.Action == AuditActions.PredictionCreate);
        var details = JsonNode.Parse(created.DetailsJson!)!;
        Assert.Equal("2.0.0", details["modelVersion"]!.GetValue<string>());
        Assert.Equal(64, details["onnxSha256"]!.GetValue<string>().Length);
        Assert.NotEmpty(details["inputs"]!["sources"]!.AsArray());
        Assert.Equal(22, details["outputs"]!.AsArray().Count);
        Assert.Equal("Received", details["outputs"]!.AsArray().Single(o => o!["therapy"]!.GetValue<string>() == firstLine.CatalogTherapyId)!["group"]!.GetValue<string>());
        await Expect(page.GetByTestId("prediction-audit-identity")).ToContainTextAsync(created.Id.ToString());

        // The explanation of the top therapy: waterfall, sentences, factors with their FHIR sources.
        await Expect(page.Locator("#explanation-waterfall .main-svg").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(page.GetByTestId("explanation-summary")).ToContainTextAsync("the estimated response to");
        await Expect(page.GetByTestId("explanation-method")).ToContainTextAsync("exact");
        await Expect(page.GetByTestId("explanation-factors")).ToContainTextAsync("Observation/");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(PortalBrowser.ScreenshotDirectory, "patient-predictions.png") });
        await PortalBrowser.ScreenshotOfAsync(page.Locator("section[aria-labelledby=candidates-heading]"), "patient-predictions-candidates");
        await PortalBrowser.ScreenshotOfAsync(page.GetByTestId("received-therapies"), "patient-predictions-received");
        await PortalBrowser.ScreenshotOfAsync(page.Locator("section[aria-labelledby=explanation-heading]"), "patient-explanation");

        var violations = await AccessibilityScan.SeriousViolationsAsync(page);
        Assert.True(violations.Count == 0, string.Join('\n', violations));

        await page.GetByTestId("heatmap-panel").ClickAsync();
        await Expect(page.Locator("#factor-heatmap .main-svg").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await PortalBrowser.ScreenshotOfAsync(page.GetByTestId("factor-heatmap"), "patient-explanation-heatmap");

        // A what-if outside the plausible range is refused; a valid one moves the predictions and is audited.
        var albumin = page.Locator("input[data-testid=what-if-lab-Albumin], [data-testid=what-if-lab-Albumin] input").First;
        await albumin.FillAsync("45");
        await albumin.BlurAsync();
        await page.GetByTestId("what-if-apply").ClickAsync();
        await Expect(page.GetByTestId("what-if-errors")).ToContainTextAsync("outside the plausible range");
        var before = await page.GetByTestId("prediction-probability").AllInnerTextsAsync();

        await albumin.FillAsync("2.1");
        await albumin.BlurAsync();
        await page.GetByTestId("what-if-apply").ClickAsync();
        await Expect(page.GetByTestId("what-if-banner")).ToContainTextAsync("Albumin");
        await Expect(page.GetByTestId("prediction-delta").First).ToBeVisibleAsync();
        var deltas = await page.GetByTestId("prediction-delta").AllInnerTextsAsync();
        Assert.Contains(deltas, d => d.Trim() != "±0");
        Assert.NotEqual(before, await page.GetByTestId("prediction-probability").AllInnerTextsAsync());
        await PortalBrowser.ScreenshotOfAsync(page.GetByTestId("prediction-table"), "patient-what-if-predictions");

        // The no-evidence group opens on request: each therapy with its reason, never a published rate.
        await page.GetByTestId("no-evidence-title").ClickAsync();
        await Expect(page.GetByTestId("no-evidence-row").First).ToBeVisibleAsync(new() { Timeout = 5000 });
        await Expect(page.GetByTestId("no-evidence-table")).Not.ToContainTextAsync("published");
        await page.SetViewportSizeAsync(1366, 2600);
        await PortalBrowser.ScreenshotOfAsync(page.GetByTestId("no-evidence-table"), "patient-predictions-no-evidence");
        await page.SetViewportSizeAsync(1366, 900);
        await PortalBrowser.ScreenshotOfAsync(page.GetByTestId("what-if-panel"), "patient-what-if");

        // Feedback: disagreeing needs a reason; then it is recorded and listed in the audit panel.
        await page.GetByTestId("what-if-reset").ClickAsync();
        await Expect(page.GetByTestId("what-if-banner")).ToHaveCountAsync(0);
        await page.GetByTestId("feedback-button").First.ClickAsync();
        await page.GetByText("I disagree").ClickAsync();
        await page.GetByTestId("feedback-submit").ClickAsync();
        await Expect(page.GetByTestId("feedback-error")).ToContainTextAsync("Choose a reason");
        await page.GetByTestId("feedback-reason").ClickAsync();
        await page.GetByText("Patient factors the model does not capture").ClickAsync();
        await page.Locator("textarea[data-testid=feedback-comment], [data-testid=feedback-comment] textarea").First.FillAsync("Rapid decline since the last visit.");
        await page.GetByTestId("feedback-submit").ClickAsync();
        await Expect(page.GetByTestId("feedback-recorded")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("patient-audit-events")).ToContainTextAsync("Gave feedback on a prediction");
        await Expect(page.GetByTestId("patient-audit-events")).ToContainTextAsync("Ran a what-if");
        var feedback = (await Audit.ReadForPatientAsync("Patient/" + profile.PatientId, 20)).First(e => e.Action == AuditActions.PredictionFeedback);
        Assert.Contains("PatientFactorsNotCaptured", feedback.DetailsJson, StringComparison.Ordinal);
        Assert.Contains("Rapid decline", feedback.DetailsJson, StringComparison.Ordinal);
        await PortalBrowser.ScreenshotOfAsync(page.GetByTestId("patient-audit-panel"), "patient-feedback-audit");
        await PortalBrowser.ScreenshotOfAsync(page.Locator("section[aria-labelledby=similar-heading]"), "patient-similar");

        Assert.True(browser.ConsoleProblems(page).Count == 0, string.Join('\n', browser.ConsoleProblems(page)));
        await page.Context.CloseAsync();
    }

    private async Task<PatientProfile> PatientAsync(Func<PatientProfile, bool> wanted)
    {
        await using var scope = browser.Host.Services.CreateAsyncScope();
        var directory = scope.ServiceProvider.GetRequiredService<IPatientDirectory>();
        var candidates = await directory.SearchAsync(new PatientQuery(null, null, 0, 100));
        foreach (var candidate in candidates.Patients)
        {
            if ((await directory.ReadAsync(candidate.PatientId)).Profile is { } profile && PredictionEligibility.WhyNot(profile) is null && wanted(profile))
            {
                return profile;
            }
        }

        throw new InvalidOperationException("The test cohort has no patient of the kind this test needs.");
    }
}
