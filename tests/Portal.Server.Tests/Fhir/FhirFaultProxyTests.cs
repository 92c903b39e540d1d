using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Precision.Portal.Testing;

namespace Precision.Portal.Server.Tests.Fhir;

/// <summary>The fault proxy in front of the real sandbox: pass-through, paging through it, and each fault.</summary>
[Collection(FhirSandboxGroup.Name)]
public sealed class FhirFaultProxyTests(SharedFhirSandbox shared) : IAsyncLifetime
{
    private const string AliceObservations = "Observation?patient=sandbox-alice&_count=2";
    private readonly FhirSandbox _sandbox = shared.Sandbox;
    private FhirFaultProxy _proxy = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _proxy = await FhirFaultProxy.StartAsync(_sandbox.BaseUrl);
        _client = Fhir.Client(_proxy.BaseUrl);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _proxy.DisposeAsync();
    }

    [Fact]
    public async Task Passes_through_and_paging_links_point_at_the_proxy()
    {
        Assert.Equal("/fhir/", _proxy.BaseUrl.AbsolutePath);
        Assert.NotEqual(_sandbox.BaseUrl.Port, _proxy.BaseUrl.Port);

        var metadata = await Fhir.GetJsonAsync(_client, "metadata");
        Assert.Equal("CapabilityStatement", metadata.GetProperty("resourceType").GetString());

        var pages = await Fhir.AllPagesAsync(_client, AliceObservations);
        Assert.Equal(3, pages.Count);
        Assert.Equal(6, pages.SelectMany(Fhir.Matches).Select(Fhir.Id).Distinct().Count());
        foreach (var page in pages)
        {
            Assert.StartsWith(_proxy.BaseUrl.ToString(), Fhir.Link(page, "self"), StringComparison.Ordinal);
            Assert.All(Fhir.Entries(page), e => Assert.StartsWith(_proxy.BaseUrl.ToString(), e.GetProperty("fullUrl").GetString(), StringComparison.Ordinal));
        }

        Assert.Equal(4, _proxy.RequestCount); // metadata + 3 pages, all through the proxy
        Assert.Equal(4, _proxy.ForwardedCount);
    }

    [Fact]
    public async Task Rewrites_absolute_urls_in_bodies_for_targets_that_ignore_forwarded_headers()
    {
        // The inner proxy replaces the outer one's X-Forwarded-Host, so the sandbox links to the inner proxy: as a
        // server that ignores X-Forwarded-* would link to itself. The outer proxy rewrites those links to its own base.
        await using var outer = await FhirFaultProxy.StartAsync(_proxy.BaseUrl, new FhirFaultProxyOptions { RewriteAbsoluteUrls = true });
        using var client = Fhir.Client(outer.BaseUrl);

        var pages = await Fhir.AllPagesAsync(client, AliceObservations);
        Assert.Equal(3, pages.Count);
        Assert.All(pages, p => Assert.StartsWith(outer.BaseUrl.ToString(), Fhir.Link(p, "self"), StringComparison.Ordinal));
        Assert.Equal(3, outer.RequestCount);
        Assert.Equal(3, _proxy.RequestCount);
    }

    [Fact]
    public async Task Forwards_request_bodies_so_transactions_work_through_the_proxy()
    {
        var family = "Proxied" + Guid.NewGuid().ToString("N")[..8];
        using var content = new StringContent($$$"""
            {"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:7d7f1c52-2222-4b7e-8d0e-000000000001",
             "resource":{"resourceType":"Patient","name":[{"family":"{{{family}}}"}]},"request":{"method":"POST","url":"Patient"}}]}
            """, Encoding.UTF8, "application/fhir+json");
        using var response = await _client.PostAsync(_proxy.BaseUrl, content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var found = await Fhir.GetJsonAsync(_client, $"Patient?name={family}");
        Assert.Single(Fhir.Matches(found));
    }

    [Fact]
    public async Task Too_many_requests_answers_429_with_retry_after_for_the_next_n_requests_then_passes_through()
    {
        _proxy.Inject(FhirFault.TooManyRequests(1, times: 2));

        for (var i = 0; i < 2; i++)
        {
            using var throttled = await _client.GetAsync(new Uri("Patient/sandbox-alice", UriKind.Relative));
            Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), throttled.Headers.RetryAfter?.Delta);
            Assert.Equal("application/fhir+json", throttled.Content.Headers.ContentType?.MediaType);
            Assert.Equal("throttled", (await Fhir.JsonAsync(throttled)).GetProperty("issue")[0].GetProperty("code").GetString());
        }

        using var ok = await _client.GetAsync(new Uri("Patient/sandbox-alice", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(3, _proxy.RequestCount);
        Assert.Equal(2, _proxy.CountOf(FhirFaultKind.TooManyRequests));
        Assert.Equal(1, _proxy.ForwardedCount);
        Assert.Equal(FhirFaultKind.None, _proxy.Fault.Kind);
        Assert.Equal([429, 429, 200], _proxy.Requests.Select(r => r.StatusCode));
    }

    [Fact]
    public async Task Server_error_answers_500_with_an_operation_outcome_n_times()
    {
        _proxy.Inject(FhirFault.ServerError(times: 1));

        using var failed = await _client.GetAsync(new Uri(AliceObservations, UriKind.Relative));
        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        var outcome = await Fhir.JsonAsync(failed);
        Assert.Equal("OperationOutcome", outcome.GetProperty("resourceType").GetString());
        Assert.Equal("error", outcome.GetProperty("issue")[0].GetProperty("severity").GetString());

        using var ok = await _client.GetAsync(new Uri(AliceObservations, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(1, _proxy.CountOf(FhirFaultKind.ServerError));
        Assert.Equal(2, _proxy.RequestCount);
    }

    [Fact]
    public async Task Service_unavailable_answers_503_with_retry_after()
    {
        _proxy.Inject(FhirFault.ServiceUnavailable(retryAfterSeconds: 7, times: 3));

        for (var i = 0; i < 3; i++)
        {
            using var unavailable = await _client.GetAsync(new Uri("metadata", UriKind.Relative));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(7), unavailable.Headers.RetryAfter?.Delta);
        }

        using var ok = await _client.GetAsync(new Uri("metadata", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(3, _proxy.CountOf(FhirFaultKind.ServiceUnavailable));
        Assert.Equal(4, _proxy.RequestCount);
    }

    [Fact]
    public async Task Slow_delays_the_answer_and_a_client_timeout_fires()
    {
        _proxy.Inject(FhirFault.Slow(TimeSpan.FromMilliseconds(600)));

        var clock = Stopwatch.StartNew();
        using (var slow = await _client.GetAsync(new Uri("Patient/sandbox-alice", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, slow.StatusCode);
        }

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(590), $"Answered after {clock.ElapsedMilliseconds} ms");

        using var impatient = Fhir.Client(_proxy.BaseUrl, timeout: TimeSpan.FromMilliseconds(150));
        await Assert.ThrowsAsync<TaskCanceledException>(() => impatient.GetAsync(new Uri("Patient/sandbox-alice", UriKind.Relative)));
        Assert.Equal(2, _proxy.CountOf(FhirFaultKind.Slow));
    }

    [Fact]
    public async Task Malformed_json_answers_200_fhir_json_with_a_truncated_body()
    {
        _proxy.Inject(FhirFault.MalformedJson);

        using var response = await _client.GetAsync(new Uri(AliceObservations, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("{\"resourceType\":\"Bundle\"", body, StringComparison.Ordinal);
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(body));
        Assert.Equal(1, _proxy.CountOf(FhirFaultKind.MalformedJson));
    }

    [Fact]
    public async Task Broken_references_point_bundle_references_at_ids_that_do_not_exist()
    {
        _proxy.Inject(FhirFault.BrokenReferences);
        var page = await Fhir.GetJsonAsync(_client, "DiagnosticReport?subject=Patient/sandbox-alice");
        var report = Assert.Single(Fhir.Matches(page)).GetProperty("resource");
        var references = report.GetProperty("result").EnumerateArray().Select(r => r.GetProperty("reference").GetString()!)
            .Append(report.GetProperty("subject").GetProperty("reference").GetString()!).ToList();
        Assert.Equal(4, references.Count);
        Assert.All(references, r => Assert.Contains("/" + FhirFault.BrokenIdPrefix, r, StringComparison.Ordinal));

        // A single read is not a Bundle: untouched. The broken references really lead nowhere.
        var direct = await Fhir.GetJsonAsync(_client, "DiagnosticReport/sandbox-alice-cbc-2025-01-10");
        Assert.Equal("Patient/sandbox-alice", direct.GetProperty("subject").GetProperty("reference").GetString());
        _proxy.Inject(FhirFault.None);
        foreach (var reference in references)
        {
            using var missing = await _client.GetAsync(new Uri(reference, UriKind.Relative));
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }
    }

    [Fact]
    public async Task Down_aborts_the_connection_and_counts_each_attempt_until_reset()
    {
        _proxy.Inject(FhirFault.Down);

        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => _client.GetAsync(new Uri("metadata", UriKind.Relative)));
        }

        Assert.Equal(3, _proxy.RequestCount);
        Assert.Equal(3, _proxy.CountOf(FhirFaultKind.Down));
        Assert.All(_proxy.Requests, r => Assert.Equal(0, r.StatusCode));

        _proxy.Reset();
        Assert.Equal(0, _proxy.RequestCount);
        Assert.Equal(0, _proxy.CountOf(FhirFaultKind.Down));
        using var ok = await _client.GetAsync(new Uri("metadata", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(1, _proxy.RequestCount);
    }

    [Fact]
    public async Task Down_for_next_n_recovers_by_itself()
    {
        _proxy.Inject(FhirFault.Down.ForNext(1));

        await Assert.ThrowsAsync<HttpRequestException>(() => _client.GetAsync(new Uri("metadata", UriKind.Relative)));
        using var ok = await _client.GetAsync(new Uri("metadata", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(2, _proxy.RequestCount);
    }

    [Fact]
    public async Task Stopped_listening_refuses_connections_and_listens_again_on_the_same_port()
    {
        await _proxy.StopListeningAsync();
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => _client.GetAsync(new Uri("metadata", UriKind.Relative)));
        Assert.Equal(SocketError.ConnectionRefused, Assert.IsType<SocketException>(refused.InnerException).SocketErrorCode);
        Assert.Equal(0, _proxy.RequestCount);

        await _proxy.StartListeningAsync();
        using var ok = await _client.GetAsync(new Uri("metadata", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }
}
