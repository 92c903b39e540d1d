using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using Precision.Portal.Testing;

namespace Precision.Portal.Server.Tests.Fhir;

/// <summary>Sandboxes of their own: start empty, stop by PID, bearer token, and a proxy in front of a stopped sandbox.</summary>
public sealed class FhirSandboxLifecycleTests
{
    [Fact]
    public async Task Starts_empty_stops_by_pid_and_the_proxy_then_answers_502()
    {
        var sandbox = await FhirSandbox.StartAsync();
        await using var proxy = await FhirFaultProxy.StartAsync(sandbox.BaseUrl);
        using var direct = Fhir.Client(sandbox.BaseUrl);
        using var proxied = Fhir.Client(proxy.BaseUrl);
        try
        {
            Assert.Equal(0, sandbox.LoadedResourceCount);
            var empty = await Fhir.GetJsonAsync(direct, "Patient");
            Assert.Equal(0, empty.GetProperty("total").GetInt32());
            Assert.Contains("FHIR sandbox ready on", sandbox.Output, StringComparison.Ordinal);
        }
        finally
        {
            await sandbox.StopAsync();
        }

        Assert.True(sandbox.HasExited);
        Assert.Contains("FHIR sandbox stopped", sandbox.Output, StringComparison.Ordinal); // graceful (SIGTERM)
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => direct.GetAsync(new Uri("metadata", UriKind.Relative)));
        Assert.IsType<SocketException>(refused.InnerException);

        using var badGateway = await proxied.GetAsync(new Uri("metadata", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadGateway, badGateway.StatusCode);
        Assert.Equal("OperationOutcome", (await Fhir.JsonAsync(badGateway)).GetProperty("resourceType").GetString());
        Assert.Equal(1, proxy.RequestCount);
        await sandbox.DisposeAsync();
    }

    [Fact]
    public async Task Bearer_token_is_required_and_issued_by_the_client_credentials_endpoint()
    {
        await using var sandbox = await FhirSandbox.StartAsync(FhirSandbox.TestDataDirectory,
            new FhirSandboxOptions { ClientId = "portal-test", ClientSecret = "portal-test-secret" });
        using var client = Fhir.Client(sandbox.BaseUrl);

        using (var anonymous = await client.GetAsync(new Uri("Patient/sandbox-alice", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.Single().Scheme);
        }

        using (var metadata = await client.GetAsync(new Uri("metadata", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, metadata.StatusCode); // discovery stays open
            var security = (await Fhir.JsonAsync(metadata)).GetProperty("rest")[0].GetProperty("security").ToString();
            Assert.Contains(sandbox.TokenEndpoint.ToString(), security, StringComparison.Ordinal);
        }

        using var wrongSecret = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = "portal-test", ["client_secret"] = "wrong",
        });
        using (var refused = await client.PostAsync(sandbox.TokenEndpoint, wrongSecret))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = "system/*.read" });
        using var tokenRequest = new HttpRequestMessage(HttpMethod.Post, sandbox.TokenEndpoint) { Content = form };
        tokenRequest.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("portal-test:portal-test-secret"u8.ToArray()));
        using var tokenResponse = await client.SendAsync(tokenRequest);
        Assert.Equal(HttpStatusCode.OK, tokenResponse.StatusCode);
        using var token = JsonDocument.Parse(await tokenResponse.Content.ReadAsStringAsync());
        Assert.Equal("Bearer", token.RootElement.GetProperty("token_type").GetString());
        Assert.True(token.RootElement.GetProperty("expires_in").GetInt32() > 0);

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.RootElement.GetProperty("access_token").GetString());
        using var authorized = await client.GetAsync(new Uri("Patient/sandbox-alice", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
    }

    [Fact]
    public async Task A_missing_load_directory_and_a_bad_bundle_fail_the_start_with_the_sandboxs_output()
    {
        await Assert.ThrowsAsync<DirectoryNotFoundException>(() => FhirSandbox.StartAsync("/nonexistent/fhir-data"));

        var directory = Path.Combine(Path.GetTempPath(), "fhir-sandbox-bad-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory, "bad.json"), "{ this is not json");
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => FhirSandbox.StartAsync(directory));
            Assert.Contains("could not load its data", error.Message, StringComparison.Ordinal);
            Assert.Contains("bad.json", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
