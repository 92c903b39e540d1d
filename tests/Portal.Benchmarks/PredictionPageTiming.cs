using System.Diagnostics;
using System.Globalization;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Playwright;
using Precision.Portal.Testing;

namespace Precision.Portal.Benchmarks;

/// <summary>
/// <c>page-timing [runs]</c>: how long a clinician waits from navigating to a patient's predictions until the ranked
/// predictions and the explanation chart are on screen — real portal, FHIR sandbox, identity provider and Debian's
/// Chromium. A wall-clock measurement of the whole path, so it is a command, not a BenchmarkDotNet job.
/// </summary>
public static class PredictionPageTiming
{
    public static async Task<int> RunAsync(int runs)
    {
        var fixture = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "tests", "fixtures", "fhir", "example-patient-bundle.json"));
        await using var sandbox = await FhirSandbox.StartAsync();
        await sandbox.LoadBundleAsync(fixture);
        var patientId = ((Bundle)new FhirJsonDeserializer().DeserializeResource(fixture)).Entry.Select(e => e.Resource).OfType<Patient>().Single().Id!;
        // Outside a test project WebApplicationFactory needs to be told where the portal's content root is.
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_PRECISION_PORTAL_SERVER", Path.Combine(RepositoryRoot.Path, "src", "Portal.Server"));
        var options = new PortalTestHostOptions();
        options.Settings["Fhir:BaseUrl"] = sandbox.BaseUrl.ToString();
        await using var host = await PortalTestHost.StartAsync(options);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("PORTAL_CHROMIUM") ?? "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await (await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1366, Height = 900 } })).NewPageAsync();
        await page.GotoAsync(host.PortalUrl.ToString());
        await page.FillAsync("#username", "clinician");
        await page.FillAsync("#password", "clinician-demo");
        await page.ClickAsync("#sign-in");
        await page.WaitForURLAsync(url => url.StartsWith(host.PortalUrl.ToString(), StringComparison.Ordinal));

        var url = $"{host.PortalUrl}patients/{patientId}?tab=predictions";
        var timings = new List<double>();
        for (var run = -2; run < runs; run++)
        {
            await page.GotoAsync(host.PortalUrl + "patients");
            var clock = Stopwatch.StartNew();
            await page.GotoAsync(url);
            await page.Locator("[data-testid=prediction-row]").First.WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
            await page.Locator("#explanation-waterfall .main-svg").First.WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
            clock.Stop();
            if (run >= 0)
            {
                timings.Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        timings.Sort();
        double Percentile(double q) => timings[Math.Clamp((int)Math.Ceiling(q * timings.Count) - 1, 0, timings.Count - 1)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Navigation → predictions (22 therapies) and explanation chart visible, {timings.Count} runs after 2 warm-ups: p50 {Percentile(0.5):0} ms, p90 {Percentile(0.9):0} ms, min {timings[0]:0} ms, max {timings[^1]:0} ms"));
        return 0;
    }
}
