using Microsoft.Playwright;
using Precision.Portal.Testing;
using static Microsoft.Playwright.Assertions;

namespace Precision.Portal.EndToEnd.Tests;

/// <summary>The portal with its tumor board store on a PostgreSQL server that is not running (a closed loopback port).</summary>
public sealed class TumorBoardStoreDownBrowser : PortalBrowser
{
    public int Port { get; } = FreePort.Next();

    protected override Task<PortalTestHostOptions> HostOptionsAsync()
    {
        var options = new PortalTestHostOptions();
        options.Settings["TumorBoards:Provider"] = "PostgreSql";
        options.Settings["TumorBoards:ConnectionString"] = $"Host=127.0.0.1;Port={Port};Username=portal;Database=boards;Timeout=2";
        return Task.FromResult(options);
    }
}

public sealed class TumorBoardStoreDownTests(TumorBoardStoreDownBrowser browser) : IClassFixture<TumorBoardStoreDownBrowser>
{
    [Fact]
    public async Task With_the_tumor_board_database_down_board_pages_say_why_and_the_administration_page_names_it()
    {
        var page = await browser.SignInAsync("board", "board-demo");
        await page.GotoAsync(browser.Host.PortalUrl + "tumor-boards");
        await PortalBrowser.WaitForInteractiveAsync(page);

        var unavailable = page.GetByTestId("tumor-boards-unavailable");
        await Expect(unavailable).ToContainTextAsync($"Your meetings could not be loaded. The tumor board store (PostgreSQL database 'boards' on 127.0.0.1:{browser.Port}) could not be opened:");
        await Expect(unavailable).ToContainTextAsync("Check that the PostgreSQL server named in TumorBoards:ConnectionString is running and reachable from the portal");
        await Expect(page.GetByTestId("error-boundary")).ToHaveCountAsync(0);
        await PortalBrowser.ScreenshotAsync(page, "tumor-boards-store-down");
        var violations = await AccessibilityScan.SeriousViolationsAsync(page);
        Assert.True(violations.Count == 0, string.Join('\n', violations));

        await page.GotoAsync(browser.Host.PortalUrl + "tumor-boards/" + Guid.NewGuid());
        await PortalBrowser.WaitForInteractiveAsync(page);
        await Expect(page.GetByTestId("meeting-refused")).ToContainTextAsync("The meeting could not be opened. The tumor board store (PostgreSQL database 'boards'");
        await page.Context.CloseAsync();

        var admin = await browser.SignInAsync("admin", "admin-demo");
        await admin.GotoAsync(browser.Host.PortalUrl + "administration");
        await PortalBrowser.WaitForInteractiveAsync(admin);
        var row = admin.GetByTestId("dependency-status").Locator("tr", new() { HasText = "tumor-board-store" });
        await Expect(row).ToContainTextAsync("TumorBoards:ConnectionString", new() { Timeout = 30_000 });
        await admin.Context.CloseAsync();
    }
}
