namespace Precision.Portal.Client.Audit;

/// <summary>
/// The one way for pages and services to record what a user did. Record first, then show:
/// when <see cref="RecordAsync"/> throws <see cref="AuditWriteException"/>, the action has failed.
/// </summary>
public interface IAuditTrail
{
    Task<AuditReceipt> RecordAsync(AuditEntry entry, CancellationToken cancellationToken = default);
}

/// <summary>Read side of the audit trail for compliance pages.</summary>
public interface IAuditReader
{
    Task<IReadOnlyList<AuditEvent>> ReadRecentAsync(int count, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<AuditEvent>> ReadForPatientAsync(string patientReference, int count, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<AuditActivityBucket>> ReadActivityByHourAsync(DateTimeOffset sinceUtc, CancellationToken cancellationToken = default);

    Task<AuditChainVerification> VerifyChainAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Events matching <paramref name="query"/>, newest first, one keyset page. Throws <see cref="AuditSearchException"/>
    /// (an <see cref="ArgumentException"/>) naming every problem when <see cref="AuditSearchQuery.Validate"/> finds any.
    /// </summary>
    /// <remarks>Default members throw, so readers written before search (test fakes) keep compiling.</remarks>
    Task<AuditSearchPage> SearchAsync(AuditSearchQuery query, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{GetType().Name} does not support audit search.");

    /// <summary>How many events match <paramref name="query"/> (its page size and nothing else ignored); for exports.</summary>
    Task<long> CountAsync(AuditSearchQuery query, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{GetType().Name} does not support audit search.");

    /// <summary>One event by its sequence number; null when there is none (never written, or pruned).</summary>
    Task<AuditEvent?> ReadEventAsync(long sequence, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{GetType().Name} does not support reading single events.");
}
