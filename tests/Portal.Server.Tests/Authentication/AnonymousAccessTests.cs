using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Precision.Portal.Testing;

namespace Precision.Portal.Server.Tests.Authentication;

/// <summary>Every endpoint the app maps, found from its endpoint data source, refuses anonymous callers.</summary>
public sealed class AnonymousAccessTests : IAsyncLifetime
{
    // Health is the only anonymous surface; the sign-in callback is handled by middleware and has no endpoint.
    private static readonly HashSet<string> AnonymousByDesign = ["/health/live", "/health/ready"];

    private PortalTestHost _host = null!;

    public async Task InitializeAsync() => _host = await PortalTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Every_mapped_endpoint_reached_anonymously_is_redirected_to_sign_in_or_refused()
    {
        var endpoints = _host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        Assert.True(endpoints.Count > 10, $"Expected the portal's pages, hub and assets; found {endpoints.Count} endpoints.");
        Assert.Contains(endpoints, e => e.RoutePattern.RawText == "/patients/{PatientId}");

        using var client = _host.CreateClient(followRedirects: false);
        var checkedRequests = 0;
        var failures = new List<string>();
        foreach (var endpoint in endpoints)
        {
            var path = ConcretePath(endpoint.RoutePattern.RawText ?? "/");
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [HttpMethods.Get];
            foreach (var method in methods.Where(m => m != HttpMethods.Options))
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                using var response = await client.SendAsync(request);
                checkedRequests++;
                if (AnonymousByDesign.Contains(path))
                {
                    continue;
                }

                var status = (int)response.StatusCode;
                var redirectedToSignIn = response.StatusCode == HttpStatusCode.Redirect
                    && response.Headers.Location?.ToString().StartsWith(_host.IdentityProviderUrl + "connect/authorize", StringComparison.Ordinal) == true;
                var refused = status is 400 or 401 or 403 or 405;
                if (!redirectedToSignIn && !refused)
                {
                    failures.Add($"{method} {path} ({endpoint.DisplayName}) answered {status} {response.Headers.Location}");
                }
            }
        }

        Assert.True(failures.Count == 0, "Reachable anonymously:\n" + string.Join('\n', failures));
        Assert.True(checkedRequests >= endpoints.Count);
    }

    [Theory]
    [InlineData("/no-such-page")]
    [InlineData("/patients/123/../../administration")]
    public async Task Unknown_addresses_also_require_sign_in(string path)
    {
        using var client = _host.CreateClient(followRedirects: false);
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith(_host.IdentityProviderUrl + "connect/authorize", response.Headers.Location!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_endpoints_answer_anonymously_without_patient_data()
    {
        using var client = _host.CreateClient(followRedirects: false);
        using var live = await client.GetAsync(new Uri("/health/live", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);

        // The identity provider's first discovery can take seconds on a busy machine; readiness is allowed a few tries.
        var (status, body) = (HttpStatusCode.ServiceUnavailable, string.Empty);
        for (var attempt = 0; attempt < 5 && status != HttpStatusCode.OK; attempt++)
        {
            using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
            (status, body) = (ready.StatusCode, await ready.Content.ReadAsStringAsync());
        }

        Assert.True(status == HttpStatusCode.OK, body);
        Assert.Contains("\"audit-store\"", body, StringComparison.Ordinal);
        Assert.Contains("\"identity-provider\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Patient/", body, StringComparison.Ordinal);
    }

    private static string ConcretePath(string template)
    {
        var path = Regex.Replace(template, @"\{\*\*?[^}]+\}", "any/thing");
        path = Regex.Replace(path, @"\{[^}]+\}", "example-1");
        return path.StartsWith('/') ? path : "/" + path;
    }
}
