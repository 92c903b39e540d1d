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
}
