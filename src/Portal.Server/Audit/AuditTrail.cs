using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.Authorization;

namespace Precision.Portal.Server.Audit;

/// <summary>Where the current call comes from: filled per HTTP request by middleware, per circuit by <see cref="AuditCircuitHandler"/>.</summary>
public sealed class AuditCallContext
{
    public string? ClientAddress { get; set; }

    public string? CorrelationId { get; set; }

    /// <summary>Set for plain HTTP requests; in a Blazor circuit the user comes from the authentication state.</summary>
    public ClaimsPrincipal? User { get; set; }
}

/// <summary>Adds who, from where and under which correlation id to each entry, and stores it in the chain.</summary>
public sealed class AuditTrail(IAuditStore store, AuditCallContext call, IServiceProvider services, ILogger<AuditTrail> logger) : IAuditTrail
{
    public async Task<AuditReceipt> RecordAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        var user = call.User;
        if (user is null)
        {
            var state = services.GetRequiredService<AuthenticationStateProvider>();
            user = (await state.GetAuthenticationStateAsync()).User;
        }

        return await RecordAsync(entry, user, cancellationToken);
    }

    public async Task<AuditReceipt> RecordAsync(AuditEntry entry, ClaimsPrincipal user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(user);
        try
        {
            var stored = await store.AppendAsync(
                new NewAuditEvent(ActorOf(user), entry.Action, entry.Outcome, entry.PatientReference, entry.Target,
                    entry.Details?.ToJsonString(), call.ClientAddress, call.CorrelationId),
                cancellationToken);
            return new AuditReceipt(stored.Id, stored.Sequence, stored.OccurredUtc);
        }
        catch (AuditWriteException ex)
        {
            // Action and outcome only: targets and patient references stay out of the logs.
            logger.LogError(ex, "Audit write failed for action {AuditAction}; the action was refused", entry.Action);
            throw;
        }
    }

    /// <summary>The actor as the identity provider named them; unknown role values are kept, since they are facts about the token.</summary>
    public static AuditActor ActorOf(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.Identity?.IsAuthenticated != true)
        {
            return AuditActor.Anonymous;
        }

        var subject = user.FindFirst("sub")?.Value ?? user.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? "unknown";
        var name = user.FindFirst("name")?.Value ?? user.Identity.Name ?? subject;
        var roles = user.FindAll(PortalRoles.ClaimType).Select(c => c.Value).Order(StringComparer.Ordinal).ToList();
        return new AuditActor(subject, name, roles);
    }
}
