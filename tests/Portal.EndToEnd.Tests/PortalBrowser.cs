using Microsoft.Playwright;
using Precision.Portal.Testing;

namespace Precision.Portal.EndToEnd.Tests;

/// <summary>Debian's Chromium driven by Playwright, against a real portal and identity provider.</summary>
public class PortalBrowser : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public PortalTestHost Host { get; private set; } = null!;

    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<IPage, List<string>> _consoleProblems = [];

    /// <summary>Console errors (Content-Security-Policy violations among them) and script errors seen by this page.</summary>
    public IReadOnlyList<string> ConsoleProblems(IPage page) => _consoleProblems.TryGetValue(page, out var problems) ? problems : [];

    public static string ScreenshotDirectory { get; } = FindScreenshotDirectory();

    /// <summary>How the portal under test is configured; subclasses point it at other record sources.</summary>
    protected virtual Task<PortalTestHostOptions> HostOptionsAsync() => Task.FromResult(new PortalTestHostOptions());

    /// <summary>
    /// How long an expectation waits for its condition: a busy two-core machine (a build, other browsers) can take seconds to
    /// answer a click over the live session; five seconds (Playwright's default) once failed a correct page.
    /// </summary>
    public const float ExpectTimeoutMilliseconds = 20_000;

    public virtual async Task InitializeAsync()
    {
        Assertions.SetDefaultExpectTimeout(ExpectTimeoutMilliseconds);
        Host = await PortalTestHost.StartAsync(await HostOptionsAsync());
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("PORTAL_CHROMIUM") ?? "/usr/bin/chromium",
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        });
    }

    public virtual async Task DisposeAsync()
    {
        await Browser.CloseAsync();
        _playwright?.Dispose();
        await Host.DisposeAsync();
    }

    /// <summary>A fresh browser context (its own cookies), one page, signed in through the provider's login page.</summary>
    public async Task<IPage> SignInAsync(string userName, string password)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1366, Height = 900 } });
        var page = await context.NewPageAsync();
        var problems = _consoleProblems.GetValue(page, _ => []);
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase) || message.Type == "error")
            {
                lock (problems)
                {
                    problems.Add($"{page.Url}: {message.Text}");
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (problems)
            {
                problems.Add($"{page.Url}: page error {error}");
            }
        };

        await page.GotoAsync(Host.PortalUrl.ToString());
        await page.FillAsync("#username", userName);
        await page.FillAsync("#password", password);
        await page.ClickAsync("#sign-in");
        await page.WaitForURLAsync(url => url.StartsWith(Host.PortalUrl.ToString(), StringComparison.Ordinal));
        await WaitForInteractiveAsync(page);
        return page;
    }

    /// <summary>Clicks before the live session is attached are lost: wait for the layout's marker.</summary>
    public static async Task WaitForInteractiveAsync(IPage page) =>
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 20_000 });

    public static async Task ScreenshotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });

    /// <summary>Only the element (a section of a long page), so the picture stays readable.</summary>
    public static async Task ScreenshotOfAsync(ILocator element, string name) =>
        await element.ScreenshotAsync(new LocatorScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png") });

    private static string FindScreenshotDirectory()
    {
        var path = Path.Combine(RepositoryRoot.Path, "artifacts", "screenshots");
        Directory.CreateDirectory(path);
        return path;
    }
}
