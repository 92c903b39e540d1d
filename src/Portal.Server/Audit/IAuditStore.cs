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

/// <summary>Schema, retention and description of a store, for start-up, background jobs and messages.</summary>
public interface IAuditMaintenance
{
    /// <summary>Where the trail lives, for messages and logs (never a password).</summary>
    string Location { get; }

    /// <summary>Brings the schema up to date; throws <see cref="AuditWriteException"/>; a later call tries again.</summary>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes the oldest events, those recorded before <paramref name="cutoffUtc"/> (a prefix of the chain: it stops at
    /// the first newer event), in transactions of at most <paramref name="maxPerTransaction"/> events. Each
    /// transaction moves the checkpoint (sequence and hash of the last deleted event) and appends a chained
    /// <c>audit.prune</c> event carrying it, so verification starts from the checkpoint and still detects tampering.
    /// </summary>
    Task<AuditPruneResult> PruneAsync(DateTimeOffset cutoffUtc, int maxPerTransaction = 20_000, CancellationToken cancellationToken = default);
}

/// <summary>What a pruning run did.</summary>
/// <param name="CheckpointSequence">Sequence of the last deleted event; the chain now starts after it.</param>
public sealed record AuditPruneResult(long Deleted, long? CheckpointSequence, string? CheckpointHash, IReadOnlyList<AuditEvent> PruneEvents);

/// <summary>The portal itself as the actor of background work (scheduled verification, retention).</summary>
public static class AuditSystemActor
{
    public static readonly AuditActor Instance = new("system", "Precision Portal", []);
}

internal static class AuditEventRules
{
    public static void Validate(NewAuditEvent auditEvent)
    {
        // Checked before queueing: one bad event must not fail the others committed with it.
        ArgumentNullException.ThrowIfNull(auditEvent);
        ArgumentNullException.ThrowIfNull(auditEvent.Actor, nameof(auditEvent.Actor));
        ArgumentException.ThrowIfNullOrWhiteSpace(auditEvent.Actor.Subject, nameof(auditEvent.Actor.Subject));
        ArgumentNullException.ThrowIfNull(auditEvent.Actor.DisplayName, nameof(auditEvent.Actor.DisplayName));
        ArgumentException.ThrowIfNullOrWhiteSpace(auditEvent.Action, nameof(auditEvent.Action));
        if (!Enum.IsDefined(auditEvent.Outcome))
        {
            throw new ArgumentOutOfRangeException(nameof(auditEvent), auditEvent.Outcome, "Unknown audit outcome.");
        }
    }

    /// <summary>The event as the caller gets it back after commit.</summary>
    public static AuditEvent Written(in StoredAuditEvent stored, DateTimeOffset occurred, NewAuditEvent e, string hash) => new(
        stored.Sequence,
        Guid.Parse(stored.Id),
        new DateTimeOffset(occurred.UtcTicks, TimeSpan.Zero),
        new AuditActor(e.Actor.Subject, e.Actor.DisplayName, [.. e.Actor.Roles ?? []]),
        e.Action,
        e.Outcome,
        e.PatientReference,
        e.Target,
        e.DetailsJson,
        e.ClientAddress,
        e.CorrelationId,
        stored.PreviousHash,
        hash);

    /// <summary>Details of an <c>audit.prune</c> event: the checkpoint the verifier compares with the stored one.</summary>
    public static string PruneDetails(DateTimeOffset cutoffUtc, long deleted, long checkpointSequence, string checkpointHash) =>
        new System.Text.Json.Nodes.JsonObject
        {
            ["cutoffUtc"] = StoredAuditEvent.FormatTime(cutoffUtc),
            ["deleted"] = deleted,
            ["checkpointSequence"] = checkpointSequence,
            ["checkpointHash"] = checkpointHash,
        }.ToJsonString();
}

/// <summary>Everything one audit store instance offers: the SQLite and the PostgreSQL store.</summary>
public interface IChainedAuditStore : IAuditStore, Client.Audit.IAuditReader, IAuditMaintenance, IAuditMonitoringReader, IAsyncDisposable
{
}
