using System.Reflection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Precision.Portal.Client.Status;
using Precision.Portal.Server.Audit;
using Precision.Portal.Server.Authentication;

namespace Precision.Portal.Server.Health;

/// <summary>The readiness checks and instance facts, for the Administration page and the footer.</summary>
internal sealed class SystemStatusService(HealthCheckService health, PortalIdentityProvider identityProvider, IHostEnvironment environment, PortalDataDirectory dataDirectory)
    : ISystemStatus
{
    public PortalInstanceInfo Instance { get; } = new(
        typeof(SystemStatusService).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown",
        environment.EnvironmentName,
        identityProvider.Authority.ToString(),
        identityProvider.IsDevelopmentProvider,
        dataDirectory.Path);

    public async Task<IReadOnlyList<ComponentStatus>> CheckAsync(CancellationToken cancellationToken = default)
    {
        var report = await health.CheckHealthAsync(c => c.Tags.Contains(PortalHealthChecks.ReadyTag), cancellationToken);
        return [.. report.Entries.Select(e => new ComponentStatus(
            e.Key,
            e.Value.Status switch
            {
                HealthStatus.Healthy => ComponentHealth.Healthy,
                HealthStatus.Degraded => ComponentHealth.Degraded,
                _ => ComponentHealth.Unhealthy,
            },
            e.Value.Description ?? string.Empty,
            e.Value.Duration))];
    }
}
