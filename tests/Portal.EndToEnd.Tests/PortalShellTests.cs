using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.Authorization;
using Precision.Portal.Testing;
using static Microsoft.Playwright.Assertions;

namespace Precision.Portal.EndToEnd.Tests;

public sealed class PortalShellTests(PortalBrowser browser) : IClassFixture<PortalBrowser>
{
    private IAuditReader Audit => browser.Host.Services.GetRequiredService<IAuditReader>();

    [Theory]
    [MemberData(nameof(DemoUsers.WithRoles), MemberType = typeof(DemoUsers))]
    public async Task Demo_user_signs_in_on_the_provider_page_sees_the_role_navigation_is_denied_elsewhere_and_signs_out(string userName, string password, string role)
    {
        var page = await browser.SignInAsync(userName, password);

        await Expect(page.GetByTestId("signed-in-role")).ToHaveTextAsync(PortalRoles.DisplayName(role));
        await Expect(page.GetByTestId("research-use-notice")).ToBeVisibleAsync();
        foreach (var section in PortalSections.All)
        {
            await Expect(page.GetByTestId("nav-" + section.Href)).ToHaveCountAsync(section.IsOpenTo(role) ? 1 : 0);
        }

        var own = PortalSections.OpenTo(role)[^1];
        await page.GetByTestId("nav-" + own.Href).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync(own.Title);
        await PortalBrowser.ScreenshotAsync(page, $"section-{own.Href}");

        // A full page load of another role's page is refused by the server...
        var other = PortalSections.All.First(s => !s.IsOpenTo(role));
        await page.GotoAsync(browser.Host.PortalUrl + other.Href);
        await PortalBrowser.WaitForInteractiveAsync(page);
        await Expect(page.GetByTestId("access-denied")).ToBeVisibleAsync();
        Assert.EndsWith("/access-denied?ReturnUrl=%2F" + other.Href, page.Url, StringComparison.Ordinal);

        // ...and in-app navigation to it is refused by the router, both recorded.
        await page.GetByTestId("nav-" + own.Href).ClickAsync();
        await Expect(page.GetByTestId("access-denied")).ToHaveCountAsync(0);
        var third = PortalSections.All.Last(s => !s.IsOpenTo(role));
        await page.EvaluateAsync("href => Blazor.navigateTo(href)", third.Href);
        await Expect(page.GetByTestId("access-denied")).ToBeVisibleAsync();
        var denied = await WaitForAuditAsync(events => events.Count(e => e.Action == AuditActions.AccessDenied && e.Actor.Subject == "dev-" + userName) >= 2);
        Assert.Contains(denied, e => e.Action == AuditActions.AccessDenied && e.Target == "/" + other.Href);
        Assert.Contains(denied, e => e.Action == AuditActions.AccessDenied && e.Target == "/" + third.Href && e.CorrelationId!.StartsWith("circuit-", StringComparison.Ordinal));

        Assert.True(browser.ConsoleProblems(page).Count == 0, string.Join('\n', browser.ConsoleProblems(page)));
        await page.GetByTestId("sign-out").ClickAsync();
        // Both sessions ended: coming back asks for the password again.
        await Expect(page.Locator("#username")).ToBeVisibleAsync();
        await page.GotoAsync(browser.Host.PortalUrl + own.Href);
        await Expect(page.Locator("#username")).ToBeVisibleAsync();
        await WaitForAuditAsync(events => events.Any(e => e.Action == AuditActions.SignOut && e.Actor.Subject == "dev-" + userName));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Patient_page_read_is_recorded_with_its_queries_before_it_is_shown_and_no_identifier_reaches_the_logs()
    {
        var patient = await FirstPatientAsync();
        var page = await browser.SignInAsync("clinician", "clinician-demo");

        await page.GotoAsync(browser.Host.PortalUrl + "patients/" + patient.PatientId);
        await PortalBrowser.WaitForInteractiveAsync(page);
        await Expect(page.GetByTestId("patient-name")).ToHaveTextAsync(patient.DisplayName);

        var view = (await WaitForAuditAsync(events => events.Any(e => e.PatientReference == "Patient/" + patient.PatientId))).First(e => e.Action == AuditActions.PatientView);
        Assert.Equal(AuditOutcome.Success, view.Outcome);
        Assert.Equal("dev-clinician", view.Actor.Subject);
        Assert.Equal("127.0.0.1", view.ClientAddress);
        Assert.Contains("queries", view.DetailsJson, StringComparison.Ordinal);
        await Expect(page.GetByTestId("audit-receipt")).ToContainTextAsync(view.Id.ToString());

        // A navigation in the open page that only changes the tab is not a second read of the record: the tab switches and
        // the receipt still names the first read (a re-read would show the progress bar, then a new event).
        var views = (await Audit.ReadForPatientAsync("Patient/" + patient.PatientId, 1000)).Count(e => e.Action == AuditActions.PatientView);
        await page.EvaluateAsync($"Blazor.navigateTo('/patients/{patient.PatientId}?tab=genomics')");
        await Expect(page.GetByRole(AriaRole.Tab, new() { Name = "Genomics" })).ToHaveAttributeAsync("aria-selected", "true");
        await Expect(page.GetByTestId("audit-receipt")).ToContainTextAsync(view.Id.ToString());
        Assert.Equal(views, (await Audit.ReadForPatientAsync("Patient/" + patient.PatientId, 1000)).Count(e => e.Action == AuditActions.PatientView));

        Assert.NotEmpty(browser.Host.Logs.Lines);
        foreach (var identifier in new[] { patient.PatientId, patient.DisplayName, patient.MedicalRecordNumber! })
        {
            var leaks = browser.Host.Logs.Lines.Where(l => l.Contains(identifier, StringComparison.Ordinal)).ToList();
            Assert.True(leaks.Count == 0, $"Patient identifier '{identifier}' in logs:\n" + string.Join('\n', leaks));
        }

        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Patient_page_shows_nothing_when_the_audit_store_is_locked_by_another_process()
    {
        var patient = await FirstPatientAsync();
        var page = await browser.SignInAsync("clinician", "clinician-demo");
        var viewsBefore = (await Audit.ReadForPatientAsync("Patient/" + patient.PatientId, 1000)).Count;
        await using (await browser.Host.LockAuditDatabaseAsync())
        {
            await page.GotoAsync(browser.Host.PortalUrl + "patients/" + patient.PatientId);
            await PortalBrowser.WaitForInteractiveAsync(page);
            await Expect(page.GetByTestId("audit-failure")).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 20_000 });
            await Expect(page.GetByTestId("audit-failure")).ToContainTextAsync("could not be recorded");
            await Expect(page.GetByTestId("patient-name")).ToHaveCountAsync(0);
            await Expect(page.Locator("body")).Not.ToContainTextAsync(patient.DisplayName);
            await PortalBrowser.ScreenshotAsync(page, "patient-audit-failure");
        }

        Assert.Equal(viewsBefore, (await Audit.ReadForPatientAsync("Patient/" + patient.PatientId, 1000)).Count);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Compliance_officer_sees_the_activity_chart_and_verifies_the_chain()
    {
        var page = await browser.SignInAsync("compliance", "compliance-demo");
        await page.GetByTestId("nav-compliance").ClickAsync();

        await Expect(page.Locator("#audit-activity .main-svg").First).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 20_000 });
        await Expect(page.Locator("#audit-activity .legendtext", new PageLocatorOptions { HasText = AuditActions.SignIn })).ToHaveCountAsync(1);
        await page.GetByTestId("verify-chain").ClickAsync();
        await Expect(page.GetByTestId("verify-result")).ToContainTextAsync("Intact");
        await Expect(page.GetByTestId("recent-events")).ToContainTextAsync(AuditActions.AuditChainVerify);
        await PortalBrowser.ScreenshotAsync(page, "compliance");

        await page.GetByTestId("theme-toggle").ClickAsync();
        await PortalBrowser.ScreenshotAsync(page, "compliance-dark");
        Assert.True(browser.ConsoleProblems(page).Count == 0, string.Join('\n', browser.ConsoleProblems(page)));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Administrator_sees_dependency_status_and_unknown_addresses_show_not_found()
    {
        var page = await browser.SignInAsync("admin", "admin-demo");
        await PortalBrowser.ScreenshotAsync(page, "home-admin");
        await page.GetByTestId("nav-administration").ClickAsync();
        await Expect(page.GetByTestId("dependency-status")).ToContainTextAsync("audit-store");
        await Expect(page.GetByTestId("dependency-status")).ToContainTextAsync("identity-provider");
        await Expect(page.GetByTestId("footer")).ToContainTextAsync("Research use only", new LocatorAssertionsToContainTextOptions { IgnoreCase = true });
        await PortalBrowser.ScreenshotAsync(page, "administration");

        await page.GotoAsync(browser.Host.PortalUrl + "no/such/page");
        await PortalBrowser.WaitForInteractiveAsync(page);
        await Expect(page.GetByTestId("not-found")).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    private async Task<Precision.Clinical.PatientSummary> FirstPatientAsync()
    {
        await using var scope = browser.Host.Services.CreateAsyncScope();
        var directory = scope.ServiceProvider.GetRequiredService<Precision.Portal.Client.Patients.IPatientDirectory>();
        var page = await directory.SearchAsync(new Precision.Clinical.PatientQuery(null, null, 0, 1));
        return Assert.Single(page.Patients);
    }

    /// <summary>The browser shows a page while its audit write may still be finishing in another task; wait for it, briefly.</summary>
    private async Task<IReadOnlyList<AuditEvent>> WaitForAuditAsync(Func<IReadOnlyList<AuditEvent>, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var events = await Audit.ReadRecentAsync(100);
            if (condition(events) || DateTime.UtcNow > deadline)
            {
                Assert.True(condition(events), "The expected audit events did not appear within 10 s.");
                return events;
            }

            await Task.Delay(100);
        }
    }
}
