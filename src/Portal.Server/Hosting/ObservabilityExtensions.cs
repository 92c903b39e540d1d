using System.Diagnostics;
using System.Text.RegularExpressions;
using Precision.Portal.Server.Audit;

namespace Precision.Portal.Server.Hosting;

public static partial class ObservabilityExtensions
{
    public const string CorrelationHeader = "X-Correlation-Id";

    /// <summary>Structured (JSON) console logs with scopes; request logs name route templates, never raw paths.</summary>
    public static WebApplicationBuilder AddPortalObservability(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // The hosting layer logs raw request paths and puts them in every log scope ("RequestPath"); paths carry
        // patient ids, so it is silenced and our own request log names the route template instead.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        // HttpClient logs every request URL at Information; FHIR URLs name patients (Patient/123, ?patient=…).
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
        builder.Services.AddHttpContextAccessor();
        return builder;
    }

    /// <summary>
    /// Takes the caller's correlation id (or makes one), returns it in the response, puts it in the log scope and the
    /// audit context, and logs one line per request with the endpoint's route template — patient ids in paths stay out of logs.
    /// </summary>
    internal static IApplicationBuilder UseCorrelationAndRequestLogging(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Precision.Portal.Requests");
            var incoming = context.Request.Headers[CorrelationHeader].ToString();
            var correlationId = SafeCorrelationId().IsMatch(incoming) ? incoming : Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier;
            context.Response.Headers[CorrelationHeader] = correlationId;

            var call = context.RequestServices.GetRequiredService<AuditCallContext>();
            call.CorrelationId = correlationId;
            call.ClientAddress = context.Connection.RemoteIpAddress?.ToString();

            using var scope = logger.BeginScope(new CorrelationScope(correlationId));
            var started = Stopwatch.GetTimestamp();
            await next(context);
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(no endpoint)";
            logger.LogInformation("HTTP {Method} {RouteTemplate} responded {StatusCode} in {ElapsedMs:0.0} ms",
                context.Request.Method, route, context.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        });

    /// <summary>Makes the signed-in user available to the audit trail for the rest of the request.</summary>
    internal static IApplicationBuilder UseAuditCallUser(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            context.RequestServices.GetRequiredService<AuditCallContext>().User = context.User;
            await next(context);
        });

    /// <summary>Log scope carrying the correlation id as a structured value.</summary>
    private sealed class CorrelationScope(string correlationId) : IReadOnlyList<KeyValuePair<string, object>>
    {
        public int Count => 1;

        public KeyValuePair<string, object> this[int index] =>
            index == 0 ? new("CorrelationId", correlationId) : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<KeyValuePair<string, object>> GetEnumerator()
        {
            yield return this[0];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => "CorrelationId:" + correlationId;
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{8,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex SafeCorrelationId();
}
