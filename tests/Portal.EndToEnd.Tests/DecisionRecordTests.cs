using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Precision.Clinical;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.Patients;
using Precision.Portal.Client.Predictions;
using Precision.Portal.Server.Audit;
using static Microsoft.Playwright.Assertions;

namespace Precision.Portal.EndToEnd.Tests;

/// <summary>
/// A compliance officer opens the decision record of a real prediction (recorded through the clinician's prediction
/// service on the real model) and replays it; a clinician is refused the page.
/// </summary>
public sealed class DecisionRecordTests(PortalBrowser browser) : IClassFixture<PortalBrowser>
{
    private IAuditReader Audit => browser.Host.Services.GetRequiredService<IAuditReader>();

    [Fact]
    public async Task Compliance_officer_opens_a_decision_record_from_the_list_and_the_audit_search_and_its_replay_matches_and_a_clinician_is_denied()
    {
        var prediction = await RecordPredictionAsync();
        var sequence = prediction.Audit.Sequence;

        var page = await browser.SignInAsync("compliance", "compliance-demo");
        await page.GetByTestId("nav-compliance").ClickAsync();
        await PortalBrowser.WaitForInteractiveAsync(page);
        await PortalBrowser.ScreenshotOfAsync(page.GetByTestId("decision-records-link"), "compliance-decision-link");
        await page.GetByTestId("open-decision-records").ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Decision records");
        await Expect(page.GetByTestId($"open-decision-{sequence}")).ToBeVisibleAsync();
        await PortalBrowser.ScreenshotAsync(page, "compliance-decisions");
        await page.GetByTestId($"open-decision-{sequence}").ClickAsync();

        await Expect(page.Locator("h1")).ToHaveTextAsync($"Decision record #{sequence}");
        await Expect(page.GetByTestId("decision-model-version")).ToHaveTextAsync(prediction.Model.Version);
        await Expect(page.GetByTestId("decision-onnx-sha")).ToHaveTextAsync(prediction.Model.OnnxSha256);
        await Expect(page.GetByTestId("decision-patient")).ToHaveTextAsync("Patient/" + prediction.PatientId);
        await Expect(page.GetByTestId("decision-training-data")).ToContainTextAsync("synthetic training data — research use only");
        await Expect(page.GetByTestId("decision-output-row")).ToHaveCountAsync(prediction.Therapies.Count);
        await Expect(page.GetByTestId("decision-input-row").First).ToContainTextAsync("age_decades");
        await Expect(page.GetByTestId("decision-sources")).ToContainTextAsync("Patient/" + prediction.PatientId);
        await Expect(page.GetByTestId("decision-viewers")).ToContainTextAsync("Requested the prediction and saw it");
        await Expect(page.GetByTestId("decision-explanation")).ToContainTextAsync(prediction.Therapies[0].DisplayName);
        await Expect(page.GetByTestId("decision-feedback-row")).ToContainTextAsync("Disagrees");

        await page.GetByTestId("replay-button").ClickAsync();
        var verdict = page.GetByTestId("replay-verdict");
        // Identical on this CPU-only machine; a portal serving on CUDA replays on the CPU within tolerance.
        await Expect(verdict).ToHaveAttributeAsync("data-verdict", new Regex("^(Identical|WithinTolerance)$"), new() { Timeout = 30_000 });
        await Expect(verdict).ToContainTextAsync("outputs compared");
        await Expect(page.GetByTestId("decision-output-difference").First).ToBeVisibleAsync();
        await PortalBrowser.ScreenshotAsync(page, "compliance-decision-record");

        var violations = await AccessibilityScan.SeriousViolationsAsync(page);
        Assert.True(violations.Count == 0, string.Join('\n', violations));

        var replays = await Audit.SearchAsync(new AuditSearchQuery { Action = AuditActions.PredictionReplay, PatientReference = "Patient/" + prediction.PatientId });
        var replay = Assert.Single(replays.Events);
        Assert.Equal("dev-compliance", replay.Actor.Subject);
        Assert.Equal(AuditOutcome.Success, replay.Outcome);
        Assert.Equal("audit-event/" + sequence, replay.Target);

        // From a prediction row of the audit search, too.
        await page.GetByTestId("nav-compliance").ClickAsync();
        await page.GetByLabel("Action", new() { Exact = true }).FillAsync(AuditActions.PredictionCreate);
        await page.GetByTestId("search-audit").ClickAsync();
        await page.GetByTestId($"event-decision-{sequence}").ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync($"Decision record #{sequence}");
        await Expect(page.GetByTestId("decision-replays")).ToContainTextAsync("#" + replay.Sequence);

        // A decision whose recorded output is not what the model gives: the banner says so, loudly.
        var altered = await RecordAlteredCopyAsync(sequence);
        await page.GotoAsync(browser.Host.PortalUrl + $"compliance/decisions/{altered}");
        await PortalBrowser.WaitForInteractiveAsync(page);
        await page.GetByTestId("replay-button").ClickAsync();
        await Expect(page.GetByTestId("replay-verdict")).ToHaveAttributeAsync("data-verdict", "Mismatch", new() { Timeout = 30_000 });
        await Expect(page.GetByTestId("replay-verdict")).ToContainTextAsync("MUST SEE");
        await Expect(page.GetByTestId("decision-output-difference").Filter(new() { HasText = "over tolerance" })).ToHaveCountAsync(1);
        await PortalBrowser.ScreenshotOfAsync(page.GetByTestId("replay-panel"), "compliance-decision-mismatch");
        Assert.True(browser.ConsoleProblems(page).Count == 0, string.Join('\n', browser.ConsoleProblems(page)));
        await page.Context.CloseAsync();

        // A clinician is refused the page, and nothing of the record is read on their behalf.
        var clinician = await browser.SignInAsync("clinician", "clinician-demo");
        await clinician.GotoAsync(browser.Host.PortalUrl + $"compliance/decisions/{sequence}");
        await PortalBrowser.WaitForInteractiveAsync(clinician);
        await Expect(clinician.GetByTestId("access-denied")).ToBeVisibleAsync();
        await Expect(clinician.GetByTestId("decision-identity")).ToHaveCountAsync(0);
        var views = await Audit.SearchAsync(new AuditSearchQuery { Action = AuditActions.DecisionRecordView, User = "dev-clinician" });
        Assert.Empty(views.Events);
        await clinician.Context.CloseAsync();
    }

    /// <summary>A prediction event like <paramref name="sequence"/> but with its first output recorded 0.05 higher.</summary>
    private async Task<long> RecordAlteredCopyAsync(long sequence)
    {
        var original = (await Audit.ReadEventAsync(sequence))!;
        var details = System.Text.Json.Nodes.JsonNode.Parse(original.DetailsJson!)!.AsObject();
        var output = details["outputs"]!.AsArray()[0]!;
        output["probability"] = output["probability"]!.GetValue<double>() + 0.05;
        await using var scope = browser.Host.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<AuditCallContext>().User = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim("sub", "dev-clinician"), new Claim("name", "Dr. Demo Clinician"), new Claim("role", "clinician")], "test", "name", "role"));
        var receipt = await scope.ServiceProvider.GetRequiredService<IAuditTrail>().RecordAsync(
            new AuditEntry(AuditActions.PredictionCreate, AuditOutcome.Success, original.PatientReference, original.Target, details));
        return receipt.Sequence;
    }

    /// <summary>A prediction made as the portal makes it for a signed-in clinician: the real service, model and audit trail.</summary>
    private async Task<PatientPredictions> RecordPredictionAsync()
    {
        await using var scope = browser.Host.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<AuditCallContext>().User = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim("sub", "dev-clinician"), new Claim("name", "Dr. Demo Clinician"), new Claim("role", "clinician")], "test", "name", "role"));
        var directory = scope.ServiceProvider.GetRequiredService<IPatientDirectory>();
        foreach (var candidate in (await directory.SearchAsync(new PatientQuery(null, null, 0, 60))).Patients)
        {
            if ((await directory.ReadAsync(candidate.PatientId)).Profile is { PrimaryCancer: not null, Variants.Count: > 0 } profile && PredictionEligibility.WhyNot(profile) is null)
            {
                // As on the predictions tab: the prediction, the top therapy's explanation, and the clinician's feedback on it.
                var predictions = scope.ServiceProvider.GetRequiredService<IPatientPredictions>();
                var outcome = await predictions.PredictAsync(profile, null);
                var value = outcome.Value ?? throw new InvalidOperationException(outcome.Error);
                var top = value.Therapies[0].TherapyId;
                _ = (await predictions.ExplainAsync(profile, null, [top])).Value ?? throw new InvalidOperationException("The explanation failed.");
                await predictions.RecordFeedbackAsync(new PredictionFeedback(profile.PatientId, top, value.Audit.EventId, false, FeedbackReason.PatientFactorsNotCaptured, "Recent weight loss is not in the record."));
                return value;
            }
        }

        throw new InvalidOperationException("No patient with a genomic variant in the test cohort.");
    }
}
