using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Precision.Portal.Testing;

public enum FhirFaultKind
{
    None,

    /// <summary>The connection is aborted before any answer (the client sees a reset / premature end).</summary>
    Down,

    /// <summary>Waits before forwarding.</summary>
    Slow,

    /// <summary>429 with <c>Retry-After</c>.</summary>
    TooManyRequests,

    /// <summary>500 with an OperationOutcome.</summary>
    ServerError,

    /// <summary>503 with <c>Retry-After</c> and an OperationOutcome.</summary>
    ServiceUnavailable,

    /// <summary>Forwards, then answers 200 with the real body cut in half (invalid JSON), as <c>application/fhir+json</c>.</summary>
    MalformedJson,

    /// <summary>Forwards; in Bundle responses every <c>Type/id</c> reference inside entries points at an id that does not exist.</summary>
    BrokenReferences,
}

/// <summary>A fault for <see cref="FhirFaultProxy.Inject"/>. <see cref="Times"/> null: until the next Inject or Reset.</summary>
public sealed record FhirFault(FhirFaultKind Kind, int? Times = null, TimeSpan Delay = default, int RetryAfterSeconds = 0)
{
    /// <summary>Prefix given to ids by <see cref="FhirFaultKind.BrokenReferences"/>.</summary>
    public const string BrokenIdPrefix = "missing-";

    public static FhirFault None { get; } = new(FhirFaultKind.None);

    public static FhirFault Down { get; } = new(FhirFaultKind.Down);

    public static FhirFault MalformedJson { get; } = new(FhirFaultKind.MalformedJson);

    public static FhirFault BrokenReferences { get; } = new(FhirFaultKind.BrokenReferences);

    public static FhirFault Slow(TimeSpan delay, int? times = null) => new(FhirFaultKind.Slow, Positive(times), delay);

    public static FhirFault TooManyRequests(int retryAfterSeconds, int times) =>
        new(FhirFaultKind.TooManyRequests, Positive(times), RetryAfterSeconds: retryAfterSeconds);

    public static FhirFault ServerError(int times) => new(FhirFaultKind.ServerError, Positive(times));

    public static FhirFault ServiceUnavailable(int retryAfterSeconds, int times) =>
        new(FhirFaultKind.ServiceUnavailable, Positive(times), RetryAfterSeconds: retryAfterSeconds);

    /// <summary>This fault for the next <paramref name="times"/> requests only, e.g. <c>FhirFault.Down.ForNext(2)</c>.</summary>
    public FhirFault ForNext(int times) => this with { Times = Positive(times) };

    private static int? Positive(int? times) =>
        times is null or > 0 ? times : throw new ArgumentOutOfRangeException(nameof(times), times, "Must be positive.");
}

/// <summary>One request the proxy received: when, what, and how it was answered (status 0: connection aborted).</summary>
public sealed record FhirProxyRequest(DateTimeOffset ReceivedAt, string Method, string PathAndQuery, FhirFaultKind Fault, int StatusCode);

public sealed class FhirFaultProxyOptions
{
    /// <summary>
    /// Also rewrite the target's absolute base URL to the proxy's in JSON response bodies, for targets that ignore
    /// <c>X-Forwarded-Host</c>. Off by default: the sandbox builds its links from X-Forwarded-*, and bodies stream.
    /// </summary>
    public bool RewriteAbsoluteUrls { get; set; }

    /// <summary>Timeout for one forwarded request.</summary>
    public TimeSpan ForwardTimeout { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>
/// A reverse proxy on a free loopback port in front of a FHIR server, forwarding every request (headers and bodies
/// streamed; <c>X-Forwarded-Host/-Proto</c> set, so the sandbox's paging links and fullUrls point at the proxy), that can
/// be switched at run time into a fault mode, and counts the requests it received.
/// </summary>
public sealed class FhirFaultProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Host",
    };

    private readonly FhirFaultProxyOptions _options;
    private readonly HttpClient _client;
    private readonly Lock _gate = new();
    private readonly ConcurrentQueue<FhirProxyRequest> _requests = new();
    private readonly ConcurrentDictionary<FhirFaultKind, int> _faultCounts = new();
    private readonly string _targetOrigin;
    private FhirFault _fault = FhirFault.None;
    private int? _remaining;
    private int _requestCount;
    private int _forwardedCount;
    private WebApplication? _app;
    private int _port;

    private FhirFaultProxy(Uri targetBaseUrl, FhirFaultProxyOptions options)
    {
        TargetBaseUrl = targetBaseUrl;
        _options = options;
        _targetOrigin = targetBaseUrl.GetLeftPart(UriPartial.Authority);
#pragma warning disable CA2000 // the client owns its handler
        _client = new HttpClient(
            new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, AutomaticDecompression = DecompressionMethods.None },
            disposeHandler: true)
        { Timeout = options.ForwardTimeout };
#pragma warning restore CA2000
        BaseUrl = targetBaseUrl; // replaced once listening
    }

    /// <summary>The target's FHIR base as seen through the proxy: same path, the proxy's host and port.</summary>
    public Uri BaseUrl { get; private set; }

    public Uri TargetBaseUrl { get; }

    /// <summary>The fault in force now (<see cref="FhirFault.None"/> once a counted fault is used up).</summary>
    public FhirFault Fault
    {
        get
        {
            lock (_gate)
            {
                return _fault;
            }
        }
    }

    /// <summary>Requests received since start or <see cref="Reset"/>, faulted or not.</summary>
    public int RequestCount => Volatile.Read(ref _requestCount);

    /// <summary>Requests passed on to the target (including Slow, MalformedJson and BrokenReferences ones).</summary>
    public int ForwardedCount => Volatile.Read(ref _forwardedCount);

    /// <summary>Every request received since start or <see cref="Reset"/>, in arrival order.</summary>
    public IReadOnlyList<FhirProxyRequest> Requests => [.. _requests];

    public static async Task<FhirFaultProxy> StartAsync(Uri targetBaseUrl, FhirFaultProxyOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(targetBaseUrl);
        var proxy = new FhirFaultProxy(targetBaseUrl, options ?? new FhirFaultProxyOptions());
        await proxy.StartListeningAsync();
        return proxy;
    }

    /// <summary>Requests answered with <paramref name="kind"/> since start or <see cref="Reset"/>.</summary>
    public int CountOf(FhirFaultKind kind) => _faultCounts.GetValueOrDefault(kind);

    /// <summary>Switches the fault mode; the counters go on (see <see cref="Reset"/>).</summary>
    public void Inject(FhirFault fault)
    {
        ArgumentNullException.ThrowIfNull(fault);
        lock (_gate)
        {
            _fault = fault;
            _remaining = fault.Times;
        }
    }

    /// <summary>No fault, all counters and the request log cleared.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _fault = FhirFault.None;
            _remaining = null;
            _requests.Clear();
            _faultCounts.Clear();
            _requestCount = 0;
            _forwardedCount = 0;
        }
    }

    /// <summary>Closes the listening socket: connections are refused (and not counted) until <see cref="StartListeningAsync"/>.</summary>
    public async Task StopListeningAsync()
    {
        var app = Interlocked.Exchange(ref _app, null);
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>Listens again, on the same port as before.</summary>
    public async Task StartListeningAsync()
    {
        if (_app is not null)
        {
            return;
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(FhirFaultProxy).Assembly.GetName().Name,
            EnvironmentName = Environments.Production,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, _port);
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.AddServerHeader = false;
        });
        var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync();
        if (_port == 0)
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            _port = new Uri(address).Port;
            BaseUrl = new UriBuilder(TargetBaseUrl) { Scheme = Uri.UriSchemeHttp, Host = "127.0.0.1", Port = _port }.Uri;
        }

        _app = app;
    }

    public async ValueTask DisposeAsync()
    {
        await StopListeningAsync();
        _client.Dispose();
    }

    private FhirFault Take()
    {
        lock (_gate)
        {
            var fault = _fault;
            if (_remaining is { } remaining)
            {
                if (remaining <= 1)
                {
                    _fault = FhirFault.None;
                    _remaining = null;
                }
                else
                {
                    _remaining = remaining - 1;
                }
            }

            Interlocked.Increment(ref _requestCount);
            if (fault.Kind != FhirFaultKind.None)
            {
                _faultCounts.AddOrUpdate(fault.Kind, 1, (_, n) => n + 1);
            }

            return fault;
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var receivedAt = DateTimeOffset.UtcNow;
        var fault = Take();
        try
        {
            switch (fault.Kind)
            {
                case FhirFaultKind.Down:
                    context.Abort();
                    return;
                case FhirFaultKind.TooManyRequests:
                    context.Response.Headers.RetryAfter = fault.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                    await WriteOutcomeAsync(context, StatusCodes.Status429TooManyRequests, "throttled", "Too many requests (injected by FhirFaultProxy)");
                    return;
                case FhirFaultKind.ServerError:
                    await WriteOutcomeAsync(context, StatusCodes.Status500InternalServerError, "exception", "Internal server error (injected by FhirFaultProxy)");
                    return;
                case FhirFaultKind.ServiceUnavailable:
                    context.Response.Headers.RetryAfter = fault.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                    await WriteOutcomeAsync(context, StatusCodes.Status503ServiceUnavailable, "transient", "Service unavailable (injected by FhirFaultProxy)");
                    return;
                case FhirFaultKind.Slow:
                    await Task.Delay(fault.Delay, context.RequestAborted);
                    break;
                default:
                    break;
            }

            Interlocked.Increment(ref _forwardedCount);
            await ForwardAsync(context, fault.Kind);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client gave up (e.g. its timeout during Slow).
        }
        finally
        {
            var status = fault.Kind == FhirFaultKind.Down || context.RequestAborted.IsCancellationRequested ? 0 : context.Response.StatusCode;
            _requests.Enqueue(new FhirProxyRequest(receivedAt, context.Request.Method,
                context.Request.Path + context.Request.QueryString, fault.Kind, status));
        }
    }

    private async Task ForwardAsync(HttpContext context, FhirFaultKind fault)
    {
        var request = context.Request;
        using var upstream = new HttpRequestMessage(new HttpMethod(request.Method), _targetOrigin + request.PathBase + request.Path + request.QueryString);
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            upstream.Content = new StreamContent(request.Body);
        }

        foreach (var (name, values) in request.Headers)
        {
            if (HopByHop.Contains(name) || name.StartsWith("X-Forwarded-", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!upstream.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                upstream.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        upstream.Headers.TryAddWithoutValidation("X-Forwarded-Host", request.Host.Value);
        upstream.Headers.TryAddWithoutValidation("X-Forwarded-Proto", request.Scheme);

        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(upstream, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        }
        catch (HttpRequestException ex)
        {
            await WriteOutcomeAsync(context, StatusCodes.Status502BadGateway, "transient", $"FhirFaultProxy could not reach {_targetOrigin}: {ex.Message}");
            return;
        }

        using (response)
        {
            var mediaType = response.Content.Headers.ContentType?.MediaType ?? string.Empty;
            var isJson = mediaType.Contains("json", StringComparison.OrdinalIgnoreCase);
            var rewrite = fault is FhirFaultKind.MalformedJson or FhirFaultKind.BrokenReferences || (_options.RewriteAbsoluteUrls && isJson);
            context.Response.StatusCode = (int)response.StatusCode;
            CopyHeaders(response, context.Response, skipContentLength: rewrite);
            if (!rewrite)
            {
                await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
                return;
            }

            var body = await response.Content.ReadAsStringAsync(context.RequestAborted);
            if (_options.RewriteAbsoluteUrls && isJson)
            {
                body = body.Replace(_targetOrigin, $"{request.Scheme}://{request.Host.Value}", StringComparison.Ordinal);
            }

            if (fault == FhirFaultKind.BrokenReferences && isJson)
            {
                body = BreakReferences(body);
            }
            else if (fault == FhirFaultKind.MalformedJson)
            {
                context.Response.StatusCode = StatusCodes.Status200OK;
                context.Response.ContentType = "application/fhir+json; charset=utf-8";
                body = body.Length > 1 ? body[..(body.Length / 2)] : "{";
            }

            var bytes = Encoding.UTF8.GetBytes(body);
            context.Response.ContentLength = bytes.Length;
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
        }
    }

    private static void CopyHeaders(HttpResponseMessage from, HttpResponse to, bool skipContentLength)
    {
        foreach (var (name, values) in from.Headers.Concat(from.Content.Headers))
        {
            if (HopByHop.Contains(name) || (skipContentLength && name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            to.Headers[name] = values.ToArray();
        }
    }

    /// <summary>In a Bundle, makes every relative or absolute <c>Type/id</c> reference inside the entries point at a missing id.</summary>
    private static string BreakReferences(string body)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return body;
        }

        if (root?["resourceType"]?.GetValue<string>() != "Bundle" || root["entry"] is not JsonArray entries)
        {
            return body;
        }

        foreach (var entry in entries)
        {
            if (entry?["resource"] is JsonObject resource)
            {
                BreakReferencesIn(resource);
            }
        }

        return root.ToJsonString();
    }

    private static void BreakReferencesIn(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj["reference"] is JsonValue value && value.TryGetValue<string>(out var reference) && Broken(reference) is { } broken)
                {
                    obj["reference"] = broken;
                }

                foreach (var (_, child) in obj.ToList())
                {
                    if (child is not null)
                    {
                        BreakReferencesIn(child);
                    }
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    if (child is not null)
                    {
                        BreakReferencesIn(child);
                    }
                }

                break;
            default:
                break;
        }
    }

    private static string? Broken(string reference)
    {
        // Type/id or http(s)://base/Type/id (optionally /_history/v); contained (#x) and urn: references stay.
        if (reference.StartsWith('#') || reference.StartsWith("urn:", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var history = reference.IndexOf("/_history/", StringComparison.Ordinal);
        var path = history >= 0 ? reference[..history] : reference;
        var slash = path.LastIndexOf('/');
        if (slash <= 0 || slash == path.Length - 1)
        {
            return null;
        }

        return path[..(slash + 1)] + FhirFault.BrokenIdPrefix + path[(slash + 1)..];
    }

    private static async Task WriteOutcomeAsync(HttpContext context, int status, string code, string text)
    {
        var outcome = new JsonObject
        {
            ["resourceType"] = "OperationOutcome",
            ["issue"] = new JsonArray(new JsonObject
            {
                ["severity"] = "error",
                ["code"] = code,
                ["details"] = new JsonObject { ["text"] = text },
            }),
        };
        var bytes = Encoding.UTF8.GetBytes(outcome.ToJsonString());
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/fhir+json; charset=utf-8";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }
}
