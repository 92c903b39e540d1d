using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.Status;
using Precision.Portal.Testing;

namespace Precision.Portal.Server.Tests.Authentication;

/// <summary>The embedded default: Development with no authority configured starts the development provider beside the portal.</summary>
public sealed class EmbeddedIdentityProviderTests
{
    [Fact]
    public async Task Development_without_an_authority_starts_the_development_provider_and_signs_in_against_it_over_oidc()
    {
        await using var host = await PortalTestHost.StartAsync(new PortalTestHostOptions { UseEmbeddedIdentityProvider = true });

        var status = host.Services.GetRequiredService<ISystemStatus>();
        Assert.True(status.Instance.IsDevelopmentIdentityProvider);
        Assert.Equal(host.IdentityProviderUrl.ToString(), status.Instance.IdentityProvider);

        using var anonymous = host.CreateClient();
        using var loginPage = await anonymous.GetAsync(new Uri("/", UriKind.Relative));
        var html = await loginPage.Content.ReadAsStringAsync();
        Assert.Equal(host.IdentityProviderUrl.Authority, loginPage.RequestMessage!.RequestUri!.Authority);
        Assert.Contains("clinician-demo", html, StringComparison.Ordinal); // passwords shown on purpose

        using var client = await host.SignInAsync("board", "board-demo");
        using var boards = await client.GetAsync(new Uri("/tumor-boards", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, boards.StatusCode);
        Assert.Equal("/tumor-boards", boards.RequestMessage!.RequestUri!.AbsolutePath);
        var signIn = (await host.Services.GetRequiredService<IAuditReader>().ReadRecentAsync(5)).First(e => e.Action == AuditActions.SignIn);
        Assert.Equal("dev-board", signIn.Actor.Subject);

        // The embedded provider logs through the portal's loggers (captured here at Debug): OpenIddict's request logs, which
        // carry the parameters of each request, must not reach them — no PKCE verifier, code or token in the portal's log.
        Assert.Contains("Precision", host.Logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain("code_verifier", host.Logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain("\"code\":", host.Logs.AllText, StringComparison.Ordinal);
    }
}
