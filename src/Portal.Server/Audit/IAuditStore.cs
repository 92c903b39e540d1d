using Precision.Portal.Client.Audit;

namespace Precision.Portal.Server.Audit;

/// <summary>An event to append; the store adds id, time, sequence and the chain hashes.</summary>
/// <param name="DetailsJson">Stored and hashed exactly as given.</param>
public sealed record NewAuditEvent(
    AuditActor Actor,
    string Action,
    AuditOutcome Outcome,
    string? PatientReference,
    string? Target,
    string? DetailsJson,
    string? ClientAddress,
    string? CorrelationId);

/// <summary>Durable, hash-chained storage behind the audit trail.</summary>
public interface IAuditStore
{
    /// <summary>
    /// Appends one event and returns it as stored, after it is committed. Throws <see cref="AuditWriteException"/>
    /// when it could not be written; the chain is then unchanged. Cancelling after the call was made may still
    /// leave the event recorded.
    /// </summary>
    Task<AuditEvent> AppendAsync(NewAuditEvent auditEvent, CancellationToken cancellationToken = default);

    /// <summary>Takes and releases the write lock without changing anything; throws <see cref="AuditWriteException"/> when appends would fail.</summary>
    Task CheckWritableAsync(CancellationToken cancellationToken = default);
}
