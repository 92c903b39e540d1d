using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;
using Precision.Clinical;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.Patients;
using Precision.Portal.Client.Predictions;
using Precision.Portal.Server.Audit;
using static Microsoft.Playwright.Assertions;

namespace Precision.Portal.EndToEnd.Tests;

/// <summary>
/// An administrator opens Compliance → Model monitoring on the real portal and audit store: charts drawn by Plotly,
/// therapy and subgroup tables, a refused window.
/// </summary>
public sealed class ComplianceMonitoringTests(PortalBrowser browser) : IClassFixture<PortalBrowser>
{
    [Fact]
    public async Task Administrator_sees_four_weeks_of_monitoring_from_recorded_predictions_and_feedback_and_a_bad_window_is_explained()
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var seeded = await SeedFourWeeksAsync(today);

        var page = await browser.SignInAsync("admin", "admin-demo");
        await page.GetByTestId("nav-compliance").ClickAsync();
        await page.GetByTestId("link-monitoring").ClickAsync();
        await PortalBrowser.WaitForInteractiveAsync(page);

        await Expect(page.Locator("h1")).ToHaveTextAsync("Model monitoring");
        await Expect(page.GetByTestId("monitoring-research-notice")).ToContainTextAsync("Synthetic training data — research use only");
        foreach (var chart in new[] { "chart-volume", "chart-ood", "chart-disagreement" })
        {
            await Expect(page.GetByTestId(chart).Locator(".main-svg").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        }

        // The default window is the last 30 days: every seeded event (and the real predictions made to get their content).
        await Expect(page.GetByTestId("monitoring-summary")).ToContainTextAsync($"{seeded.Predictions + seeded.Real} predictions");
        await Expect(page.GetByTestId("monitoring-summary")).ToContainTextAsync($"{seeded.Feedback} feedback, disagreement");
        await Expect(page.GetByTestId("therapy-row").First).ToBeVisibleAsync();
        await Expect(page.GetByTestId("by-subgroup")).ToContainTextAsync("Female");
        await Expect(page.GetByTestId("by-subgroup")).ToContainTextAsync("Age band");
        await page.SetViewportSizeAsync(1600, 1000);
        await Expect(page.GetByTestId("chart-volume").Locator(".main-svg").First).ToBeVisibleAsync();
        await page.WaitForTimeoutAsync(500); // Plotly re-lays out on resize
        await PortalBrowser.ScreenshotAsync(page, "compliance-monitoring");
        var violations = await AccessibilityScan.SeriousViolationsAsync(page);
        Assert.True(violations.Count == 0, string.Join('\n', violations));

        await page.GetByLabel("From (UTC date, inclusive)").FillAsync(today.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByLabel("To (UTC date, inclusive)").FillAsync(today.AddDays(-3).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByTestId("monitoring-apply").ClickAsync();
        await Expect(page.GetByTestId("monitoring-problems")).ToContainTextAsync("is before the start date");
        await Expect(page.GetByTestId("chart-volume")).ToHaveCountAsync(0);
        violations = await AccessibilityScan.SeriousViolationsAsync(page);
        Assert.True(violations.Count == 0, string.Join('\n', violations));

        Assert.True(browser.ConsoleProblems(page).Count == 0, string.Join('\n', browser.ConsoleProblems(page)));
        await page.Context.CloseAsync();
    }

    private sealed record Seeded(int Predictions, int Feedback, int Real);

    /// <summary>
    /// Real predictions for a few cohort patients (so details carry real feature vectors and applicability), then their
    /// recorded details replayed on each of the last 28 days through a second store on the same file with its own clock —
    /// as another portal instance would write. Two in ten are marked out of distribution in the last week, a drift to see.
    /// </summary>
    private async Task<Seeded> SeedFourWeeksAsync(DateOnly today)
    {
        var details = new List<(string PatientId, JsonObject Details)>();
        await using (var scope = browser.Host.Services.CreateAsyncScope())
        {
            var directory = scope.ServiceProvider.GetRequiredService<IPatientDirectory>();
            var predictions = scope.ServiceProvider.GetRequiredService<IPatientPredictions>();
            var reader = scope.ServiceProvider.GetRequiredService<IAuditReader>();
            // Outside a circuit the trail takes the user from the call context, as for plain HTTP requests.
            scope.ServiceProvider.GetRequiredService<AuditCallContext>().User = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(
                [new System.Security.Claims.Claim("sub", "dev-clinician"), new System.Security.Claims.Claim("name", "Dr. Clara Imhof"), new System.Security.Claims.Claim("role", "clinician")],
                "seed", "name", "role"));
            foreach (var candidate in (await directory.SearchAsync(new PatientQuery(null, null, 0, 16))).Patients)
            {
                if ((await directory.ReadAsync(candidate.PatientId)).Profile is { } profile
                    && (await predictions.PredictAsync(profile, null)).Value is { } result)
                {
                    var recorded = await reader.ReadEventAsync(result.Audit.Sequence);
                    details.Add((profile.PatientId, JsonNode.Parse(recorded!.DetailsJson!)!.AsObject()));
                }
            }
        }

        Assert.True(details.Count >= 6, "The cohort should give at least six patients with predictions.");
        var clock = new SeedClock();
        var options = browser.Host.Services.GetRequiredService<IOptions<AuditStoreOptions>>().Value;
        await using var store = new SqliteAuditStore(options, clock);
        var clinician = new AuditActor("dev-clinician", "Dr. Clara Imhof", ["clinician"]);
        var random = new Random(7);
        int predictionCount = 0, feedbackCount = 0;
        for (var day = today.AddDays(-27); day <= today.AddDays(-1); day = day.AddDays(1))
        {
            var weekend = day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;
            var count = weekend ? random.Next(0, 3) : random.Next(5, 13);
            for (var i = 0; i < count; i++)
            {
                var (patientId, original) = details[random.Next(details.Count)];
                var copy = original.DeepClone().AsObject();
                if (day > today.AddDays(-8) && random.NextDouble() < 0.2)
                {
                    copy["applicability"] = new JsonObject { ["level"] = "OutOfDistribution", ["reasons"] = new JsonArray("Seeded for the monitoring screenshot.") };
                }

                clock.Now = new DateTimeOffset(day.ToDateTime(new TimeOnly(8 + i % 9, random.Next(60))), TimeSpan.Zero);
                var prediction = await store.AppendAsync(new NewAuditEvent(clinician, i % 4 == 3 ? AuditActions.PredictionWhatIf : AuditActions.PredictionCreate,
                    AuditOutcome.Success, "Patient/" + patientId, "efficacy-model", copy.ToJsonString(), "127.0.0.1", "seed"));
                predictionCount++;
                if (random.NextDouble() < 0.5)
                {
                    var outputs = copy["outputs"]!.AsArray();
                    var therapy = outputs[random.Next(Math.Min(4, outputs.Count))]!["therapy"]!.GetValue<string>();
                    var agrees = random.NextDouble() < 0.75;
                    clock.Now = clock.Now.AddMinutes(20);
                    await store.AppendAsync(new NewAuditEvent(clinician, AuditActions.PredictionFeedback, AuditOutcome.Success, "Patient/" + patientId, "efficacy-model",
                        new JsonObject
                        {
                            ["predictionAuditId"] = prediction.Id.ToString(),
                            ["therapy"] = therapy,
                            ["agrees"] = agrees,
                            ["reason"] = agrees ? null : "PatientPreference",
                            ["comment"] = null,
                            ["modelVersion"] = copy["modelVersion"]!.GetValue<string>(),
                        }.ToJsonString(), "127.0.0.1", "seed"));
                    feedbackCount++;
                }
            }
        }

        return new Seeded(predictionCount, feedbackCount, details.Count);
    }

    private sealed class SeedClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = DateTimeOffset.UtcNow;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
