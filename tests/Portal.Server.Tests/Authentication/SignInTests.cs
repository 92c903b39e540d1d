using System.Net;
using System.Security.Claims;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.Authorization;
using Precision.Portal.DevIdentity;
using Precision.Portal.Server.Authentication;
using Precision.Portal.Testing;

namespace Precision.Portal.Server.Tests.Authentication;

/// <summary>Sign-in over real OpenID Connect against the development provider, the role matrix, and bad tokens.</summary>
public sealed class SignInTests : IAsyncLifetime
{
    private PortalTestHost _host = null!;

    public async Task InitializeAsync()
    {
        var options = new PortalTestHostOptions();
        options.ExtraUsers.Add(new DevIdentityUser("visitor", "visitor-pass", "Val Visitor", ["janitor"]));
        _host = await PortalTestHost.StartAsync(options);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private IAuditReader Audit => _host.Services.GetRequiredService<IAuditReader>();

    [Theory]
    [MemberData(nameof(DemoUsers.WithRoles), MemberType = typeof(DemoUsers))]
    public async Task Each_role_reaches_its_sections_and_is_denied_the_others_with_an_audit_event(string userName, string password, string role)
    {
        using var client = await _host.SignInAsync(userName, password);

        foreach (var section in PortalSections.All)
        {
            using var response = await client.GetAsync(new Uri("/" + section.Href, UriKind.Relative));
            var landed = response.RequestMessage!.RequestUri!.AbsolutePath;
            if (section.IsOpenTo(role))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("/" + section.Href, landed);
            }
            else
            {
                Assert.Equal("/access-denied", landed);
                var events = await Audit.ReadRecentAsync(20);
                Assert.Contains(events, e => e.Action == AuditActions.AccessDenied && e.Outcome == AuditOutcome.Denied
                    && e.Actor.Subject == "dev-" + userName && e.Target == "/" + section.Href);
            }
        }
    }

    [Theory]
    [InlineData("//evil.example/")]
    [InlineData("/\\evil.example/")]
    [InlineData("//evil.example/%2F..")]
    public async Task A_return_address_that_would_leave_the_portal_after_sign_in_becomes_the_start_page(string path)
    {
        // The raw path, not resolved against the portal's address (a relative "//host" would be another site already).
        var start = new Uri(_host.PortalUrl.GetLeftPart(UriPartial.Authority) + path);

        var (client, landed) = await _host.SignInFromAsync(start, "clinician", "clinician-demo");

        using (client)
        {
            Assert.Equal(_host.PortalUrl.Authority, landed.Authority);
            Assert.Equal("/", landed.AbsolutePath);
        }
    }

    [Fact]
    public async Task Sign_out_needs_the_portals_own_form_so_a_cross_site_post_is_refused_and_the_session_stays()
    {
        using var client = await _host.SignInAsync("clinician", "clinician-demo");

        // What another site's form can send: the cookie rides along, the page's antiforgery token does not.
        using (var forged = await client.PostAsync(new Uri("/account/sign-out", UriKind.Relative), new FormUrlEncodedContent([])))
        {
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
            Assert.Contains("antiforgery token is missing or invalid", await forged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var still = await client.GetAsync(new Uri("/patients", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, still.StatusCode);
            Assert.Equal("/patients", still.RequestMessage!.RequestUri!.AbsolutePath);
        }

        // The portal's own Sign out button posts its form with the token and signs out: the browser test
        // PortalShellTests.Demo_user_signs_in_on_the_provider_page_…_and_signs_out covers that path.
    }

    [Theory]
    [InlineData("/patients?q=ramirez", "/patients?q=ramirez")]
    [InlineData("/", "/")]
    [InlineData("//evil.example/", "/")]
    [InlineData("/\\evil.example", "/")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("evil", "/")]
    [InlineData("", "/")]
    [InlineData(null, "/")]
    [InlineData("/a\u0000b", "/")]
    public void Only_a_path_inside_the_portal_is_kept_as_the_return_address(string? requested, string kept) =>
        Assert.Equal(kept, SignInEvents.LocalReturnPath(requested));

    [Theory]
    [InlineData("compliance", "compliance-demo", true)]
    [InlineData("admin", "admin-demo", true)]
    [InlineData("clinician", "clinician-demo", false)]
    [InlineData("board", "board-demo", false)]
    public async Task Compliance_pages_and_the_audit_export_are_open_to_compliance_officers_and_administrators_only(string userName, string password, bool allowed)
    {
        using var client = await _host.SignInAsync(userName, password);

        foreach (var path in new[] { "/compliance", "/compliance/monitoring", "/compliance/audit/export?format=csv" })
        {
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            var landed = response.RequestMessage!.RequestUri!;
            if (allowed)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal(path, landed.PathAndQuery);
            }
            else
            {
                Assert.Equal("/access-denied", landed.AbsolutePath);
                Assert.DoesNotContain("sequence,", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
        }

        var exports = (await Audit.ReadRecentAsync(50)).Where(e => e.Action == AuditActions.AuditExport && e.Actor.Subject == "dev-" + userName).ToList();
        Assert.Equal(allowed ? 1 : 0, exports.Count);
    }

    [Fact]
    public async Task Sign_in_is_recorded_with_actor_roles_client_address_and_correlation_id()
    {
        using var client = await _host.SignInAsync("clinician", "clinician-demo");

        var signIn = (await Audit.ReadRecentAsync(10)).First(e => e.Action == AuditActions.SignIn);
        Assert.Equal("dev-clinician", signIn.Actor.Subject);
        Assert.Equal("Dr. Clara Imhof", signIn.Actor.DisplayName);
        Assert.Equal(["clinician"], signIn.Actor.Roles);
        Assert.Equal("127.0.0.1", signIn.ClientAddress);
        Assert.False(string.IsNullOrEmpty(signIn.CorrelationId));
        var verification = await Audit.VerifyChainAsync();
        Assert.True(verification.IsValid, verification.Problem);
    }

    [Fact]
    public async Task Wrong_password_is_refused_by_the_provider_and_no_session_starts()
    {
        using var client = _host.CreateClient();
        var login = await client.GetAsync(new Uri("/", UriKind.Relative));
        var form = HtmlForm.HiddenFields(await login.Content.ReadAsStringAsync());
        form["username"] = "clinician";
        form["password"] = "not-the-password";
        using var content = new FormUrlEncodedContent(form);
        using var refused = await client.PostAsync(new Uri(login.RequestMessage!.RequestUri!, "/account/login"), content);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("Unknown user name or wrong password.", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var again = await client.GetAsync(new Uri("/patients", UriKind.Relative));
        Assert.EndsWith("/account/login", again.RequestMessage!.RequestUri!.AbsolutePath, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_role_claim_gets_no_access_and_no_crash()
    {
        using var client = await _host.SignInAsync("visitor", "visitor-pass");

        foreach (var path in new[] { "/", "/patients", "/compliance", "/administration" })
        {
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("/access-denied", response.RequestMessage!.RequestUri!.AbsolutePath);
        }

        var denied = (await Audit.ReadRecentAsync(20)).Where(e => e.Action == AuditActions.AccessDenied && e.Actor.Subject == "dev-visitor").ToList();
        Assert.True(denied.Count >= 4);
        Assert.Equal(["janitor"], denied[0].Actor.Roles);
    }

    [Fact]
    public async Task Forged_cookie_is_treated_as_signed_out()
    {
        using var client = _host.CreateClient(followRedirects: false);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/patients");
        request.Headers.Add("Cookie", "precision-portal=CfDJ8forged-ticket-value-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith(_host.IdentityProviderUrl + "connect/authorize", response.Headers.Location!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Identity_token_signed_by_another_key_is_refused_and_recorded()
    {
        using var forger = new System.Security.Cryptography.RSACryptoServiceProvider(2048);
        var token = IdentityToken(new RsaSecurityKey(forger) { KeyId = _host.SigningKey.KeyId }, DateTime.UtcNow.AddMinutes(10));

        var (status, body) = await CallbackWithIdentityTokenAsync(token);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("Sign-in failed", body, StringComparison.Ordinal);
        var failed = (await Audit.ReadRecentAsync(5)).First(e => e.Action == AuditActions.SignInFailed);
        Assert.Equal(AuditOutcome.Failure, failed.Outcome);
        Assert.Contains("IDX10", failed.DetailsJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expired_identity_token_signed_by_the_provider_is_refused()
    {
        var token = IdentityToken(_host.SigningKey, DateTime.UtcNow.AddMinutes(-30));

        var (status, body) = await CallbackWithIdentityTokenAsync(token);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("Sign-in failed", body, StringComparison.Ordinal);
        var failed = (await Audit.ReadRecentAsync(5)).First(e => e.Action == AuditActions.SignInFailed);
        Assert.Contains("expired", failed.DetailsJson, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Made_up_callbacks_are_each_refused_but_only_a_few_per_minute_are_recorded()
    {
        using var client = _host.CreateClient(followRedirects: false);
        for (var i = 0; i < 20; i++)
        {
            using var response = await client.GetAsync(new Uri($"/signin-oidc?state=made-up-{i}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Contains("Sign-in failed", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // 20 anonymous calls did not append 20 events (the probe appended 200 in 4 s).
        var failures = (await Audit.ReadRecentAsync(100)).Where(e => e.Action == AuditActions.SignInFailed).ToList();
        Assert.Equal(SignInFailureThrottle.EventsPerWindow, failures.Count);
    }

    [Fact]
    public void Failures_past_the_limit_are_counted_into_the_next_recorded_one_per_client_address()
    {
        var clock = new Tests.Audit.ManualTimeProvider(new DateTimeOffset(2026, 12, 8, 9, 0, 0, TimeSpan.Zero));
        var throttle = new SignInFailureThrottle(clock);

        var first = Enumerable.Range(0, 20).Select(_ => throttle.Admit("10.0.0.9")).ToList();
        var other = throttle.Admit("10.0.0.10");
        clock.Now = clock.Now.AddMinutes(1);
        var later = throttle.Admit("10.0.0.9");

        Assert.Equal(SignInFailureThrottle.EventsPerWindow, first.Count(a => a.Record));
        Assert.All(first, a => Assert.Equal(0, a.Unrecorded));
        Assert.Equal((true, 0), other);
        Assert.Equal((true, 20 - SignInFailureThrottle.EventsPerWindow), later);
    }

    [Fact]
    public async Task Made_up_authorization_code_is_refused()
    {
        var (status, _) = await CallbackAsync(state => $"code=made-up-code&state={Uri.EscapeDataString(state)}&iss={Uri.EscapeDataString(_host.IdentityProviderUrl.ToString())}");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    private string IdentityToken(SecurityKey key, DateTime expires)
    {
        var handler = new JsonWebTokenHandler();
        return handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _host.IdentityProviderUrl.ToString(),
            Audience = PortalTestHost.ClientId,
            Subject = new ClaimsIdentity([new Claim("sub", "dev-admin"), new Claim("name", "Mallory"), new Claim("role", "admin")]),
            IssuedAt = expires.AddMinutes(-20),
            NotBefore = expires.AddMinutes(-20),
            Expires = expires,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });
    }

    private Task<(HttpStatusCode Status, string Body)> CallbackWithIdentityTokenAsync(string idToken) =>
        CallbackAsync(state => $"code=any&id_token={idToken}&state={Uri.EscapeDataString(state)}", asFormPost: true);

    /// <summary>Starts a real challenge (so the state and correlation cookie are genuine), then answers the callback with a crafted response.</summary>
    /// <remarks>An identity token is only accepted in a form post (the handler refuses one in a query), so that is how it is sent.</remarks>
    private async Task<(HttpStatusCode Status, string Body)> CallbackAsync(Func<string, string> query, bool asFormPost = false)
    {
        using var client = _host.CreateClient(followRedirects: false);
        using var challenge = await client.GetAsync(new Uri("/patients", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, challenge.StatusCode);
        var authorize = challenge.Headers.Location!;
        var state = System.Web.HttpUtility.ParseQueryString(authorize.Query)["state"]!;
        using var form = new StringContent(query(state), System.Text.Encoding.ASCII, "application/x-www-form-urlencoded");
        using var callback = asFormPost
            ? await client.PostAsync(new Uri("/signin-oidc", UriKind.Relative), form)
            : await client.GetAsync(new Uri("/signin-oidc?" + query(state), UriKind.Relative));
        var body = await callback.Content.ReadAsStringAsync();
        using var after = await client.GetAsync(new Uri("/patients", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode); // still not signed in
        return (callback.StatusCode, body);
    }
}
