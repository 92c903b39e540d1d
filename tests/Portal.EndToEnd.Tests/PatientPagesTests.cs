using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Precision.Clinical;
using Precision.Portal.Client.Patients;
using static Microsoft.Playwright.Assertions;

namespace Precision.Portal.EndToEnd.Tests;

/// <summary>A clinician finds a generated patient and reads every tab of the record.</summary>
public sealed class PatientPagesTests(PortalBrowser browser) : IClassFixture<PortalBrowser>
{
    [Fact]
    public async Task Clinician_finds_a_patient_by_name_and_sees_each_tab_with_the_generated_facts()
    {
        var profile = await RichPatientAsync();
        var family = profile.Demographics.DisplayName.Split(' ')[^1];
        var page = await browser.SignInAsync("clinician", "clinician-demo");

        await page.GetByTestId("nav-patients").ClickAsync();
        await Expect(page.GetByTestId("patient-link").First).ToBeVisibleAsync();
        await PortalBrowser.ScreenshotAsync(page, "patient-list");
        await page.GetByLabel("Search by name or MRN").First.FillAsync(family);
        await Expect(page.GetByTestId("patient-link").Filter(new() { HasText = profile.Demographics.DisplayName })).ToBeVisibleAsync();
        await page.GetByTestId("patient-link").Filter(new() { HasText = profile.Demographics.DisplayName }).First.ClickAsync();

        await Expect(page.GetByTestId("patient-name")).ToHaveTextAsync(profile.Demographics.DisplayName);
        await Expect(page.GetByTestId("patient-mrn")).ToHaveTextAsync(profile.Demographics.MedicalRecordNumber!);
        await Expect(page.GetByTestId("patient-diagnosis")).ToContainTextAsync(CancerTypes.DisplayName(profile.PrimaryCancer!.CancerType));
        await Expect(page.GetByTestId("key-labs")).ToContainTextAsync(LabAnalytes.Of(profile.LatestLabs[0].Analyte).DisplayName);
        await PortalBrowser.ScreenshotAsync(page, "patient-summary");

        await page.GetByRole(AriaRole.Tab, new() { Name = "Timeline" }).ClickAsync();
        await Expect(page.Locator("#therapy-timeline .main-svg").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(page.GetByTestId("therapy-lines")).ToContainTextAsync(profile.TherapyLines[0].Label);
        await Expect(page.Locator("#lab-trend .main-svg").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await PortalBrowser.ScreenshotAsync(page, "patient-timeline");

        await page.GetByRole(AriaRole.Tab, new() { Name = "Genomics" }).ClickAsync();
        await Expect(page.GetByTestId("variant-table")).ToContainTextAsync(profile.Variants[0].Gene);
        await Expect(page.GetByTestId("biomarkers")).ToBeVisibleAsync();
        await PortalBrowser.ScreenshotAsync(page, "patient-genomics");

        await page.GetByRole(AriaRole.Tab, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Data quality") }).ClickAsync();
        await PortalBrowser.ScreenshotAsync(page, "patient-data-quality");
        Assert.True(browser.ConsoleProblems(page).Count == 0, string.Join('\n', browser.ConsoleProblems(page)));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_patient_list_and_every_record_tab_have_no_serious_or_critical_accessibility_violations()
    {
        var profile = await RichPatientAsync();
        var page = await browser.SignInAsync("clinician", "clinician-demo");
        var found = new List<string>();
        async Task ScanAsync(string where) => found.AddRange((await AccessibilityScan.SeriousViolationsAsync(page)).Select(v => $"{where}: {v}"));

        await page.GetByTestId("nav-patients").ClickAsync();
        await Expect(page.GetByTestId("patient-link").First).ToBeVisibleAsync();
        await ScanAsync("patient list");
        await page.GotoAsync(browser.Host.PortalUrl + "patients/" + profile.PatientId);
        await PortalBrowser.WaitForInteractiveAsync(page);
        await Expect(page.GetByTestId("patient-name")).ToBeVisibleAsync();
        await ScanAsync("summary");
        foreach (var tab in new[] { "Timeline", "Genomics" })
        {
            await page.GetByRole(AriaRole.Tab, new() { Name = tab }).ClickAsync();
            await page.WaitForTimeoutAsync(500);
            await ScanAsync(tab);
        }

        Assert.True(found.Count == 0, string.Join('\n', found));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Unknown_and_malformed_patient_ids_get_a_clear_message()
    {
        var page = await browser.SignInAsync("clinician", "clinician-demo");

        await page.GotoAsync(browser.Host.PortalUrl + "patients/no-such-patient-42");
        await PortalBrowser.WaitForInteractiveAsync(page);
        await Expect(page.GetByTestId("patient-read-failure")).ToContainTextAsync("No such patient", new() { Timeout = 20_000 });

        await page.GotoAsync(browser.Host.PortalUrl + "patients/bad%20id%3B");
        await PortalBrowser.WaitForInteractiveAsync(page);
        await Expect(page.GetByTestId("invalid-patient-id")).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    /// <summary>A patient whose record exercises every tab: variants, therapy lines with responses, labs.</summary>
    private async Task<PatientProfile> RichPatientAsync()
    {
        await using var scope = browser.Host.Services.CreateAsyncScope();
        var directory = scope.ServiceProvider.GetRequiredService<IPatientDirectory>();
        var candidates = await directory.SearchAsync(new PatientQuery(null, null, 0, 100));
        foreach (var candidate in candidates.Patients)
        {
            var record = await directory.ReadAsync(candidate.PatientId);
            if (record.Profile is { Variants.Count: > 0, TherapyLines.Count: > 0, LatestLabs.Count: > 0, PrimaryCancer: not null } profile
                && profile.Demographics.MedicalRecordNumber is not null && PredictionEligibility.WhyNot(profile) is null)
            {
                return profile;
            }
        }

        throw new InvalidOperationException("The test cohort has no patient with variants, therapy lines and labs.");
    }
}
