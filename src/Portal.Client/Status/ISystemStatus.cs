namespace Precision.Portal.Client.Status;

public enum ComponentHealth
{
    Healthy,
    Degraded,
    Unhealthy,
}

/// <summary>One dependency's state, as the readiness check sees it.</summary>
public sealed record ComponentStatus(string Name, ComponentHealth Health, string Description, TimeSpan Duration);

/// <summary>Facts about this portal instance shown to administrators and in the footer.</summary>
public sealed record PortalInstanceInfo(string Version, string Environment, string IdentityProvider, bool IsDevelopmentIdentityProvider, string DataDirectory);

public interface ISystemStatus
{
    PortalInstanceInfo Instance { get; }

    Task<IReadOnlyList<ComponentStatus>> CheckAsync(CancellationToken cancellationToken = default);
}
