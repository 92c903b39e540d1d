using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Precision.Portal.Server.Audit;
using Precision.Portal.Server.Authentication;

namespace Precision.Portal.Server.Health;

public static class PortalHealthChecks
{
    public const string ReadyTag = "ready";
    internal const string IdentityProviderClient = "identity-provider-discovery";

    public static WebApplicationBuilder AddPortalHealthChecks(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddHttpClient(IdentityProviderClient, c => c.Timeout = TimeSpan.FromSeconds(5));
        builder.Services.AddHealthChecks()
            .AddCheck<AuditStoreHealthCheck>("audit-store", tags: [ReadyTag])
            .AddCheck<IdentityProviderHealthCheck>("identity-provider", tags: [ReadyTag]);
        return builder;
    }

    /// <summary>Anonymous liveness and readiness; neither says anything about patients.</summary>
    public static IEndpointRouteBuilder MapPortalHealthChecks(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteJsonAsync }).AllowAnonymous();
        endpoints.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteJsonAsync }).AllowAnonymous();
        return endpoints;
    }

    private static Task WriteJsonAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        return JsonSerializer.SerializeAsync(context.Response.Body, new
        {
            status = report.Status.ToString(),
            durationMs = Math.Round(report.TotalDuration.TotalMilliseconds, 1),
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
                data = e.Value.Data.Count > 0 ? e.Value.Data : null,
                durationMs = Math.Round(e.Value.Duration.TotalMilliseconds, 1),
            }),
        });
    }
}

/// <summary>Ready only when the audit store accepts writes: without it no patient page may be shown.</summary>
internal sealed class AuditStoreHealthCheck(IAuditStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.CheckWritableAsync(cancellationToken);
            return HealthCheckResult.Healthy("The audit store accepts writes.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy(ex.Message);
        }
    }
}

/// <summary>Ready only when the identity provider's discovery document answers; otherwise nobody can sign in.</summary>
internal sealed class IdentityProviderHealthCheck(PortalIdentityProvider provider, IHttpClientFactory httpClients) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var discovery = new Uri(provider.Authority, ".well-known/openid-configuration");
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await httpClients.CreateClient(PortalHealthChecks.IdentityProviderClient).GetAsync(discovery, cancellationToken);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy($"Discovery document at {discovery} answered in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms.")
                : HealthCheckResult.Unhealthy($"The identity provider's discovery document at {discovery} answered {(int)response.StatusCode}. Users cannot sign in.");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return HealthCheckResult.Unhealthy($"The identity provider at {provider.Authority} did not answer ({ex.Message}). Users cannot sign in until it is reachable.");
        }
    }
}
