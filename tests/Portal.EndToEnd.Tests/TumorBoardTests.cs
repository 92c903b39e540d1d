using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Precision.Clinical;
using Precision.Clinical.Catalog;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.Patients;
using Precision.Portal.DevIdentity;
using Precision.Portal.Testing;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Precision.Portal.EndToEnd.Tests;

/// <summary>The portal with one more tumor board member who is invited to nothing.</summary>
public sealed class TumorBoardBrowser : PortalBrowser
{
    protected override Task<PortalTestHostOptions> HostOptionsAsync()
    {
        var options = new PortalTestHostOptions();
        options.ExtraUsers.Add(new DevIdentityUser("outsider", "outsider-demo", "Dr. Olga Outsider", ["tumor-board"]));
        return Task.FromResult(options);
    }
}

/// <summary>
/// A tumor board meeting run end to end in three browser contexts (chair and two members) on the real portal,
/// identity provider, model and audit trail: agenda, live session, recommendation, sign-off with re-authentication,
/// printed report and FHIR export.
/// </summary>
public sealed partial class TumorBoardTests(TumorBoardBrowser browser, ITestOutputHelper output) : IClassFixture<TumorBoardBrowser>
{
    private static readonly TimeSpan Follow = TimeSpan.FromSeconds(1);

    private IAuditReader Audit => browser.Host.Services.GetRequiredService<IAuditReader>();

    [Fact]
    public async Task Chair_and_two_members_run_a_meeting_sign_off_locks_and_the_printed_report_has_the_recommendation()
    {
        var patients = await PatientsAsync(2, p => p.PrimaryCancer?.CancerType == CancerType.NonSmallCellLungCancer && BiomarkerDefinitions.BiomarkersOf(p).Count > 0 && p.Variants.Count > 0
            && CatalogCandidates(p) >= 2);

        // The chair creates the meeting; bad input first.
        var chair = await browser.SignInAsync("board", "board-demo");
        await chair.GotoAsync(browser.Host.PortalUrl + "tumor-boards");
        await PortalBrowser.WaitForInteractiveAsync(chair);
        await Expect(chair.GetByTestId("tumor-boards-empty")).ToBeVisibleAsync();
        await chair.GetByTestId("meeting-create").ClickAsync();
        await Expect(chair.GetByTestId("meeting-create-error")).ToContainTextAsync("Give the meeting a title.");
        await chair.FillAsync("#meeting-title", "Thoracic molecular tumor board");
        await chair.FillAsync("#meeting-when", "2026-12-03T16:00");
        await chair.FillAsync("#meeting-attendees", "board2, board3");
        await chair.GetByTestId("meeting-create").ClickAsync();
        await chair.WaitForURLAsync(MeetingUrl());
        var meetingUrl = chair.Url;
        await Expect(chair.GetByTestId("meeting-heading")).ToHaveTextAsync("Thoracic molecular tumor board");

        // Two cases on the agenda, through the patient search.
        foreach (var (patient, question) in patients.Zip(["First-line options after EGFR-negative testing?", "Eligible for a targeted trial?"]))
        {
            await chair.FillAsync("#case-patient-search", patient.Demographics.MedicalRecordNumber ?? patient.Demographics.DisplayName);
            await chair.GetByTestId("case-patient-search-button").ClickAsync();
            await chair.GetByTestId("case-patient-choice").First.ClickAsync();
            await chair.FillAsync("#case-question", question);
            await chair.GetByTestId("case-add").ClickAsync();
            await Expect(chair.GetByTestId("agenda-case").Filter(new() { HasText = patient.Demographics.DisplayName })).ToBeVisibleAsync();
        }

        await Expect(chair.GetByTestId("agenda-case")).ToHaveCountAsync(2);
        await Expect(chair.GetByTestId("case-heading")).ToContainTextAsync("Case 1: " + patients[0].Demographics.DisplayName);

        // Two members join; everyone sees three people.
        var member1 = await JoinAsync("board2", "board2-demo", meetingUrl);
        var member2 = await JoinAsync("board3", "board3-demo", meetingUrl);
        foreach (var page in new[] { chair, member1, member2 })
        {
            await Expect(page.GetByTestId("participant")).ToHaveCountAsync(3);
        }

        await Expect(member1.GetByTestId("presenter")).ToContainTextAsync("Dr. Tomas Berg");
        await Expect(member1.GetByTestId("case-heading")).ToContainTextAsync("Case 1:");
        Assert.Equal(0, await member1.GetByTestId("case-present").CountAsync());

        // The presenter changes case and tab; both members follow within a second.
        var caseLatency = await TimeFollowAsync(
            () => chair.GetByTestId("case-present").ClickAsync(),
            [member1, member2], p => Expect(p.GetByTestId("case-heading")).ToContainTextAsync("Case 2: " + patients[1].Demographics.DisplayName, new() { Timeout = 5000 }));
        var tabLatency = await TimeFollowAsync(
            () => chair.GetByTestId("board-tab-genomics").ClickAsync(),
            [member1, member2], p => Expect(p.GetByTestId("board-tab-panel")).ToHaveAttributeAsync("data-tab", "genomics", new() { Timeout = 5000 }));
        output.WriteLine($"Followed in: case {caseLatency.TotalMilliseconds:0} ms, tab {tabLatency.TotalMilliseconds:0} ms (click to the last member's DOM, Playwright polling included)");
        Assert.True(caseLatency < Follow, $"case change took {caseLatency.TotalMilliseconds} ms");
        Assert.True(tabLatency < Follow, $"tab change took {tabLatency.TotalMilliseconds} ms");
        await Expect(member1.GetByTestId("board-tab-genomics")).ToHaveAttributeAsync("aria-selected", "true");

        // Predictions: the presenter picks the second-ranked candidate; everyone sees it selected.
        await chair.GetByTestId("board-tab-predictions").ClickAsync();
        await Expect(member2.GetByTestId("board-prediction-row").Nth(1)).ToBeVisibleAsync(new() { Timeout = 30_000 });
        var second = chair.GetByTestId("board-prediction-row").Nth(1);
        var therapyId = await second.GetAttributeAsync("data-therapy");
        await second.GetByTestId("select-therapy").ClickAsync();
        await Expect(member2.Locator($"[data-testid=board-prediction-row][data-therapy='{therapyId}'] [data-testid=selected-therapy]")).ToBeVisibleAsync(new() { Timeout = 5000 });
        await Expect(member1.GetByTestId("board-prediction-model")).ToContainTextAsync("Model 2.0.0");
        await PortalBrowser.ScreenshotAsync(member1, "tumor-board-member-following");

        // Explanation of the selected therapy, as plain bars.
        await chair.GetByTestId("board-tab-explanation").ClickAsync();
        await Expect(member1.GetByTestId("contribution-row").First).ToBeVisibleAsync(new() { Timeout = 90_000 });
        await Expect(chair.GetByTestId("contribution-row").First).ToBeVisibleAsync(new() { Timeout = 90_000 });
        await PortalBrowser.ScreenshotAsync(chair, "tumor-board-session-explanation");

        // A member leaves: presence updates for the others.
        await member2.Context.CloseAsync();
        await Expect(chair.GetByTestId("participant")).ToHaveCountAsync(2, new() { Timeout = 10_000 });
        await Expect(member1.GetByTestId("participant-count")).ToHaveTextAsync("2", new() { Timeout = 10_000 });

        // A late joiner lands on the current case, tab and therapy.
        var late = await JoinAsync("board3", "board3-demo", meetingUrl);
        await Expect(late.GetByTestId("case-heading")).ToContainTextAsync("Case 2:");
        await Expect(late.GetByTestId("board-tab-panel")).ToHaveAttributeAsync("data-tab", "explanation");
        await Expect(chair.GetByTestId("participant")).ToHaveCountAsync(3);

        // Hand the presenter role over and take it back.
        await chair.GetByTestId("hand-over-to").ClickAsync();
        await chair.Locator(".mud-popover-open .mud-list-item", new() { HasText = "Dr. Amira Haddad" }).ClickAsync();
        await chair.GetByTestId("hand-over").ClickAsync();
        await Expect(member1.GetByTestId("presenter-self")).ToBeVisibleAsync(new() { Timeout = 5000 });
        await Expect(late.GetByTestId("presenter")).ToContainTextAsync("Dr. Amira Haddad");
        await member1.GetByTestId("board-tab-recommendation").ClickAsync();
        await Expect(chair.GetByTestId("board-tab-panel")).ToHaveAttributeAsync("data-tab", "recommendation", new() { Timeout = 5000 });
        await chair.GetByTestId("take-over").ClickAsync();
        await Expect(chair.GetByTestId("presenter-self")).ToBeVisibleAsync();

        // Recommendation: an empty one is refused in words; the chair saves a complete one.
        await Expect(member1.GetByTestId("recommendation-none")).ToBeVisibleAsync();
        await member1.GetByTestId("recommendation-save").ClickAsync();
        await Expect(member1.GetByTestId("recommendation-error")).ToContainTextAsync("The recommendation was not saved. ");
        await Expect(member1.GetByTestId("recommendation-error")).ToContainTextAsync("Give the rationale for the recommendation.");

        await chair.FillAsync("#recommendation-notes", "Discussed tissue availability; liquid biopsy concordant.");
        await chair.FillAsync("#recommendation-rationale", "Actionable alteration with trial-level evidence; performance status allows treatment.");
        await chair.GetByTestId("recommendation-evidence").ClickAsync();
        await chair.Locator(".mud-popover-open .mud-list-item", new() { HasText = "ESCAT I-A" }).ClickAsync();
        await chair.GetByTestId("agree-no").ClickAsync();
        await chair.FillAsync("#recommendation-reason", "The board ranks the biomarker-matched therapy above the model's first choice.");
        await chair.GetByTestId("recommendation-save").ClickAsync();
        await Expect(chair.GetByTestId("recommendation-message")).ToContainTextAsync("Saved as version 1.");
        var summary = await chair.GetByTestId("recommendation-summary").First.InnerTextAsync();
        Assert.StartsWith("Therapy: ", summary, StringComparison.Ordinal);
        await Expect(member1.GetByTestId("recommendation-draft")).ToBeVisibleAsync(new() { Timeout = 5000 });
        await Expect(late.Locator("[data-testid=agenda-case]").Nth(1).GetByTestId("case-status")).ToHaveTextAsync("Draft recommendation", new() { Timeout = 5000 });
        await Expect(member1.GetByTestId("sign-off-chair-only")).ToContainTextAsync("Only the chair, Dr. Tomas Berg, signs");

        // Sign-off: the chair confirms, re-enters the password at the identity provider, and the version is locked.
        await chair.GetByTestId("sign-off-confirm").ClickAsync();
        await PortalBrowser.ScreenshotOfAsync(chair.GetByTestId("current-case"), "tumor-board-sign-off");
        await chair.GetByTestId("sign-off").ClickAsync();
        await chair.WaitForURLAsync(url => url.StartsWith(browser.Host.IdentityProviderUrl.ToString(), StringComparison.Ordinal));
        await chair.FillAsync("#username", "board");
        await chair.FillAsync("#password", "board-demo");
        await chair.ClickAsync("#sign-in");
        await chair.WaitForURLAsync(url => url.StartsWith(meetingUrl, StringComparison.Ordinal) && url.Contains("signoff=", StringComparison.Ordinal));
        await PortalBrowser.WaitForInteractiveAsync(chair);
        await Expect(chair.GetByTestId("sign-off-result")).ToHaveTextAsync("Version 1 is signed by Dr. Tomas Berg and locked.");
        await Expect(chair.GetByTestId("recommendation-locked")).ToBeVisibleAsync();
        await Expect(chair.GetByTestId("sign-off")).ToHaveCountAsync(0);
        await Expect(chair.GetByTestId("recommendation-save")).ToHaveTextAsync("Save amendment");
        await Expect(member1.GetByTestId("recommendation-locked")).ToBeVisibleAsync(new() { Timeout = 5000 });
        await Expect(member1.Locator("[data-testid=agenda-case]").Nth(1).GetByTestId("case-status")).ToHaveTextAsync("Signed off");
        await Expect(chair.GetByTestId("recommendation-sign-off").First).ToContainTextAsync("Re-authenticated at the identity provider");
        await PortalBrowser.ScreenshotAsync(chair, "tumor-board-signed");

        // Signing twice: the used sign-off link does not sign again.
        var signOffs = (await Audit.ReadRecentAsync(500)).Count(e => e.Action == AuditActions.TumorBoardSignOff);
        Assert.Equal(1, signOffs);

        // The meeting page and the list have no serious accessibility problems.
        var violations = await AccessibilityScan.SeriousViolationsAsync(chair);
        Assert.True(violations.Count == 0, string.Join('\n', violations));
        await chair.GotoAsync(browser.Host.PortalUrl + "tumor-boards");
        await Expect(chair.GetByTestId("meeting-row")).ToContainTextAsync("1 signed off");
        await PortalBrowser.ScreenshotAsync(chair, "tumor-board-meetings");
        violations = await AccessibilityScan.SeriousViolationsAsync(chair);
        Assert.True(violations.Count == 0, string.Join('\n', violations));

        // Someone not invited gets a clear refusal, recorded as access.denied.
        var outsider = await browser.SignInAsync("outsider", "outsider-demo");
        await outsider.GotoAsync(meetingUrl);
        await PortalBrowser.WaitForInteractiveAsync(outsider);
        await Expect(outsider.GetByTestId("meeting-refused")).ToContainTextAsync("You are not an attendee of \"Thoracic molecular tumor board\". Ask the chair, Dr. Tomas Berg, to invite you (sign-in name \"outsider\").");
        await PortalBrowser.ScreenshotAsync(outsider, "tumor-board-not-invited");
        var meetingPath = new Uri(meetingUrl).AbsolutePath;
        Assert.Contains(await Audit.ReadRecentAsync(500), e => e.Action == AuditActions.AccessDenied && e.Actor.DisplayName == "Dr. Olga Outsider" && e.Target == meetingPath);

        // The printed report: Chromium's PDF holds the recommendation, the model version and the research-use notice.
        await chair.GotoAsync(meetingUrl);
        await PortalBrowser.WaitForInteractiveAsync(chair);
        var reportLink = chair.Locator("[data-testid=agenda-case]").Nth(1).GetByTestId("case-report-link");
        await reportLink.ClickAsync();
        await Expect(chair.GetByTestId("case-report")).ToBeVisibleAsync(new() { Timeout = 90_000 });
        await Expect(chair.GetByTestId("report-model")).ToContainTextAsync("Efficacy model 2.0.0");
        await PortalBrowser.ScreenshotAsync(chair, "tumor-board-report");
        violations = await AccessibilityScan.SeriousViolationsAsync(chair);
        Assert.True(violations.Count == 0, string.Join('\n', violations));
        await chair.EmulateMediaAsync(new() { Media = Media.Print });
        await PortalBrowser.ScreenshotAsync(chair, "tumor-board-report-print-media");
        Assert.False(await chair.Locator(".mud-appbar").IsVisibleAsync());
        var pdfPath = Path.Combine(PortalBrowser.ScreenshotDirectory, "tumor-board-report.pdf");
        await chair.PdfAsync(new() { Path = pdfPath, Format = "A4", PrintBackground = true });
        var raw = await PdfTextAsync(pdfPath);
        var text = Normalize(raw);
        output.WriteLine($"PDF: {new FileInfo(pdfPath).Length} bytes, {raw.Count(c => c == '\f')} pages");
        Assert.Contains(Normalize(summary), text, StringComparison.Ordinal);
        Assert.Contains("Actionable alteration with trial-level evidence", text, StringComparison.Ordinal);
        Assert.Contains("Efficacy model 2.0.0", text, StringComparison.Ordinal);
        Assert.Contains("Signed by Dr. Tomas Berg", text, StringComparison.Ordinal);
        Assert.Contains("research use only", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Sign out", text, StringComparison.Ordinal);
        await chair.EmulateMediaAsync(new() { Media = Media.Screen });

        // FHIR export with the chair's cookies: a final DiagnosticReport and a Provenance with the signature.
        var caseId = Regex.Match(chair.Url, "cases/([0-9a-f-]{36})/report").Groups[1].Value;
        var fhir = await chair.APIRequest.GetAsync($"{browser.Host.PortalUrl}api/tumor-boards/{new Uri(meetingUrl).Segments[^1]}/cases/{caseId}/fhir");
        Assert.Equal(200, fhir.Status);
        var json = await fhir.TextAsync();
        Assert.Contains("\"resourceType\": \"DiagnosticReport\"", json, StringComparison.Ordinal);
        Assert.Contains("\"status\": \"final\"", json, StringComparison.Ordinal);
        Assert.Contains("\"resourceType\": \"Provenance\"", json, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(PortalBrowser.ScreenshotDirectory, "tumor-board-report.fhir.json"), json);

        // Everything the issue names is in the audit trail.
        var actions = (await Audit.ReadRecentAsync(1000)).Select(e => e.Action).ToHashSet();
        foreach (var action in new[]
        {
            AuditActions.TumorBoardMeetingCreate, AuditActions.TumorBoardCaseChange, AuditActions.TumorBoardSessionJoin,
            AuditActions.TumorBoardRecommendation, AuditActions.TumorBoardSignOff, AuditActions.TumorBoardReportExport,
        })
        {
            Assert.Contains(action, actions);
        }

        var exports = (await Audit.ReadRecentAsync(1000)).Where(e => e.Action == AuditActions.TumorBoardReportExport).Select(e => e.DetailsJson!).ToList();
        Assert.Contains(exports, d => d.Contains("\"format\":\"print\"", StringComparison.Ordinal));
        Assert.Contains(exports, d => d.Contains("\"format\":\"fhir\"", StringComparison.Ordinal));
        foreach (var page in new[] { chair, member1, late })
        {
            Assert.True(browser.ConsoleProblems(page).Count == 0, string.Join('\n', browser.ConsoleProblems(page)));
        }
    }

    private async Task<IPage> JoinAsync(string user, string password, string meetingUrl)
    {
        var page = await browser.SignInAsync(user, password);
        await page.GotoAsync(meetingUrl);
        await PortalBrowser.WaitForInteractiveAsync(page);
        await Expect(page.GetByTestId("presence")).ToBeVisibleAsync();
        return page;
    }

    private static async Task<TimeSpan> TimeFollowAsync(Func<Task> act, IPage[] followers, Func<IPage, Task> followed)
    {
        var watch = Stopwatch.StartNew();
        await act();
        await Task.WhenAll(followers.Select(followed));
        return watch.Elapsed;
    }

    /// <summary>Therapies not yet received with a catalog context for the patient's next line: the board ranks these.</summary>
    private int CatalogCandidates(PatientProfile p)
    {
        var catalog = browser.Host.Services.GetRequiredService<TherapyCatalog>();
        var model = new ResponseModel(catalog);
        var received = p.TherapyLines.Concat(p.CurativeIntentTherapies).Select(l => l.CatalogTherapyId).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var biomarkers = BiomarkerDefinitions.BiomarkersOf(p);
        var cancerType = p.PrimaryCancer?.CancerType ?? CancerType.Other;
        return catalog.Therapies.Count(t => !received.Contains(t.Id) && model.BestContext(t.Id, cancerType, biomarkers, p.TherapyLines.Count + 1) is not null);
    }

    private async Task<List<PatientProfile>> PatientsAsync(int count, Func<PatientProfile, bool> wanted)
    {
        await using var scope = browser.Host.Services.CreateAsyncScope();
        var directory = scope.ServiceProvider.GetRequiredService<IPatientDirectory>();
        var found = new List<PatientProfile>();
        foreach (var candidate in (await directory.SearchAsync(new PatientQuery(null, null, 0, 100))).Patients)
        {
            if ((await directory.ReadAsync(candidate.PatientId)).Profile is { } profile && PredictionEligibility.WhyNot(profile) is null && wanted(profile)
                && found.All(f => f.Demographics.DisplayName != profile.Demographics.DisplayName))
            {
                found.Add(profile);
                if (found.Count == count)
                {
                    return found;
                }
            }
        }

        throw new InvalidOperationException("The test cohort has too few patients of the kind this test needs.");
    }

    /// <summary>Text of a PDF through poppler's pdftotext (Chromium compresses its text streams).</summary>
    private static async Task<string> PdfTextAsync(string pdfPath)
    {
        using var process = Process.Start(new ProcessStartInfo("pdftotext", ["-layout", pdfPath, "-"]) { RedirectStandardOutput = true, UseShellExecute = false })
            ?? throw new InvalidOperationException("pdftotext did not start; install poppler-utils.");
        var text = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
        return text;
    }

    private static string Normalize(string text) => WhiteSpace().Replace(text, " ");

    private Regex MeetingUrl() => new("^" + Regex.Escape(browser.Host.PortalUrl.ToString()) + "tumor-boards/[0-9a-f-]{36}$");

    [GeneratedRegex(@"[ \t\r\n]+")]
    private static partial Regex WhiteSpace();
}
