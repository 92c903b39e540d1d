using System.Text.Json;
using Bundle = Hl7.Fhir.Model.Bundle;
using Patient = Hl7.Fhir.Model.Patient;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Precision.Portal.Client.Audit;
using Precision.Portal.Testing;
using static Microsoft.Playwright.Assertions;

namespace Precision.Portal.EndToEnd.Tests;

/// <summary>The portal reading from the real FHIR sandbox through the fault-injecting proxy.</summary>
public sealed class RestPortalBrowser : PortalBrowser
{
    public FhirSandbox Sandbox { get; private set; } = null!;

    public FhirFaultProxy Proxy { get; private set; } = null!;

    /// <summary>A generated patient loaded into the sandbox.</summary>
    public string PatientId { get; private set; } = null!;

    public string PatientName { get; private set; } = null!;

    protected override async Task<PortalTestHostOptions> HostOptionsAsync()
    {
        var fixture = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "tests", "fixtures", "fhir", "example-patient-bundle.json"));
        Sandbox = await FhirSandbox.StartAsync();
        await Sandbox.LoadBundleAsync(fixture);
        var patient = ((Bundle)new FhirJsonDeserializer().DeserializeResource(fixture)).Entry.Select(e => e.Resource).OfType<Patient>().Single();
        PatientId = patient.Id!;
        PatientName = string.Join(' ', patient.Name[0].Given.Append(patient.Name[0].Family));
        Proxy = await FhirFaultProxy.StartAsync(Sandbox.BaseUrl);
        var options = new PortalTestHostOptions();
        options.Settings["Fhir:BaseUrl"] = Proxy.BaseUrl.ToString();
        options.Settings["Fhir:MaxRetries"] = "2";
        options.Settings["Fhir:AttemptTimeout"] = "00:00:01";
        options.Settings["Fhir:TotalTimeout"] = "00:00:04";
        return options;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Proxy.DisposeAsync();
        await Sandbox.DisposeAsync();
    }
}

public sealed class FhirServerFaultTests(RestPortalBrowser browser) : IClassFixture<RestPortalBrowser>
{
    private IAuditReader Audit => browser.Host.Services.GetRequiredService<IAuditReader>();

    [Fact]
    public async Task Over_rest_the_patient_page_shows_the_record_and_the_audit_event_names_the_fhir_queries()
    {
        browser.Proxy.Reset();
        var page = await browser.SignInAsync("clinician", "clinician-demo");

        await page.GotoAsync(browser.Host.PortalUrl + "patients/" + browser.PatientId);
        await PortalBrowser.WaitForInteractiveAsync(page);

        await Expect(page.GetByTestId("patient-name")).ToHaveTextAsync(browser.PatientName);
        var view = await LatestViewAsync();
        Assert.Equal(AuditOutcome.Success, view.Outcome);
        var queries = JsonDocument.Parse(view.DetailsJson!).RootElement.GetProperty("queries").EnumerateArray().Select(q => q.GetString()).ToList();
        Assert.Contains($"GET Patient/{browser.PatientId}", queries);
        Assert.Contains(queries, q => q!.StartsWith("GET Observation?patient=Patient/" + browser.PatientId, StringComparison.Ordinal));
        foreach (var identifier in new[] { browser.PatientId, browser.PatientName })
        {
            var leaks = browser.Host.Logs.Lines.Where(l => l.Contains(identifier, StringComparison.Ordinal)).ToList();
            Assert.True(leaks.Count == 0, $"Patient identifier '{identifier}' in logs:\n" + string.Join('\n', leaks.Take(5)));
        }

        await page.Context.CloseAsync();
    }

    public static TheoryData<string, string> Faults() => new()
    {
        { "down", "could not be reached" },
        { "slow", "did not answer" },
        { "server-error", "HTTP 500" },
        { "malformed", "not valid FHIR JSON" },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task A_failing_fhir_server_gives_a_clear_message_no_crash_bounded_retries_and_an_audit_event(string fault, string message)
    {
        var page = await browser.SignInAsync("clinician", "clinician-demo");
        browser.Proxy.Reset();
        browser.Proxy.Inject(fault switch
        {
            "down" => FhirFault.Down,
            "slow" => FhirFault.Slow(TimeSpan.FromSeconds(30)),
            "server-error" => FhirFault.ServerError(times: 1000),
            _ => FhirFault.MalformedJson,
        });

        await page.GotoAsync(browser.Host.PortalUrl + "patients/" + browser.PatientId);
        await PortalBrowser.WaitForInteractiveAsync(page);

        await Expect(page.GetByTestId("patient-read-failure")).ToContainTextAsync(message, new() { Timeout = 30_000 });
        await Expect(page.GetByTestId("patient-name")).ToHaveCountAsync(0);
        Assert.InRange(browser.Proxy.RequestCount, 1, 3); // the Patient read: first attempt + at most 2 retries, then no further queries
        var view = await LatestViewAsync();
        Assert.Equal(AuditOutcome.Failure, view.Outcome);
        Assert.Contains("failure", view.DetailsJson, StringComparison.Ordinal);
        if (fault == "server-error")
        {
            await PortalBrowser.ScreenshotAsync(page, "patient-fhir-server-error");
        }

        // No crash: the portal keeps working once the server recovers.
        browser.Proxy.Reset();
        await page.GetByRole(AriaRole.Button, new() { Name = "Try again" }).ClickAsync();
        await Expect(page.GetByTestId("patient-name")).ToHaveTextAsync(browser.PatientName, new() { Timeout = 30_000 });
        await page.Context.CloseAsync();
    }

    private async Task<AuditEvent> LatestViewAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var views = await Audit.ReadForPatientAsync("Patient/" + browser.PatientId, 1);
            var view = views.Count > 0 ? views[0] : null;
            if (view is not null && view.OccurredUtc > DateTimeOffset.UtcNow.AddSeconds(-20) || DateTime.UtcNow > deadline)
            {
                return view ?? throw new InvalidOperationException("No patient.view event was recorded.");
            }

            await Task.Delay(100);
        }
    }
}
