using Microsoft.Data.Sqlite;

namespace Precision.Portal.Server.Audit;

public sealed partial class SqliteAuditStore
{
    public async Task<AuditPruneResult> PruneAsync(DateTimeOffset cutoffUtc, int maxPerTransaction = 20_000, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPerTransaction);
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        var cutoff = StoredAuditEvent.FormatTime(cutoffUtc);
        long deleted = 0;
        long? checkpointSequence = null;
        string? checkpointHash = null;
        var pruneEvents = new List<Client.Audit.AuditEvent>();
        try
        {
            var connection = OpenConnection(_writeConnectionString);
            await using (connection.ConfigureAwait(false))
            {
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();

                    // Each round is one short write transaction, so appends wait at most one round, not the whole run.
                    var round = await Task.Run(() => PruneRound(connection, cutoffUtc, cutoff, maxPerTransaction), cancellationToken).ConfigureAwait(false);
                    if (round is null)
                    {
                        break;
                    }

                    deleted += round.Value.Deleted;
                    checkpointSequence = round.Value.Checkpoint;
                    checkpointHash = round.Value.Hash;
                    pruneEvents.Add(round.Value.Event);
                    if (round.Value.Deleted < maxPerTransaction)
                    {
                        break;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is SqliteException or InvalidDataException)
        {
            throw AuditStoreFailure.Write(DatabasePath, ex, _busyTimeout);
        }

        return new AuditPruneResult(deleted, checkpointSequence, checkpointHash, pruneEvents);
    }

    private (long Deleted, long Checkpoint, string Hash, Client.Audit.AuditEvent Event)? PruneRound(SqliteConnection connection, DateTimeOffset cutoffUtc, string cutoff, int max)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        var head = AuditChainVerifier.ReadHead(connection, transaction) ?? throw new InvalidDataException("the chain head record is missing");
        var start = AuditChainVerifier.ReadCheckpoint(connection, transaction)?.Sequence ?? 0;

        // Walk from the oldest stored event: prune the prefix older than the cutoff, never an event after a newer one.
        long through = 0;
        string? throughHash = null;
        long count = 0;
        using (var scan = connection.CreateCommand())
        {
            scan.Transaction = transaction;
            scan.CommandText = "SELECT sequence, occurred_utc, hash FROM audit_event WHERE sequence > $start ORDER BY sequence LIMIT $max";
            scan.Parameters.AddWithValue("$start", start);
            scan.Parameters.AddWithValue("$max", max);
            using var reader = scan.ExecuteReader();
            while (reader.Read() && string.CompareOrdinal(reader.GetString(1), cutoff) < 0)
            {
                through = reader.GetInt64(0);
                throughHash = reader.GetString(2);
                count++;
            }
        }

        if (count == 0)
        {
            return null;
        }

        using (var delete = connection.CreateCommand())
        {
            delete.Transaction = transaction;
            delete.CommandText = """
                INSERT INTO audit_prune_guard (id, through_sequence) VALUES (1, $through);
                DELETE FROM audit_event WHERE sequence <= $through;
                DELETE FROM audit_prune_guard WHERE id = 1;
                INSERT INTO audit_checkpoint (id, sequence, hash) VALUES (1, $through, $hash)
                    ON CONFLICT (id) DO UPDATE SET sequence = excluded.sequence, hash = excluded.hash;
                """;
            delete.Parameters.AddWithValue("$through", through);
            delete.Parameters.AddWithValue("$hash", throughHash);
            delete.ExecuteNonQuery();
        }

        var occurred = _time.GetUtcNow();
        var prune = new NewAuditEvent(AuditSystemActor.Instance, Client.Audit.AuditActions.AuditPrune, Client.Audit.AuditOutcome.Success, null, "audit-trail",
            AuditEventRules.PruneDetails(cutoffUtc, count, through, throughHash!), null, null);
        var stored = StoredAuditEvent.Create(head.LastSequence + 1, Guid.CreateVersion7(occurred), occurred, prune, head.LastHash);
        var hash = AuditChainHash.Compute(stored);
        using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = $"INSERT INTO audit_event ({AuditEventColumns.Select}) VALUES ($p0, $p1, $p2, $p3, $p4, $p5, $p6, $p7, $p8, $p9, $p10, $p11, $p12, $p13, $p14); "
                + "UPDATE audit_chain_head SET last_sequence = $p0, last_hash = $p14 WHERE id = 1";
            var parameters = new SqliteParameter[15];
            for (var i = 0; i < parameters.Length; i++)
            {
                parameters[i] = insert.Parameters.Add(new SqliteParameter { ParameterName = $"$p{i}" });
            }

            ChainWriter.Bind(parameters, stored, hash);
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
        return (count, through, throughHash!, AuditEventRules.Written(stored, occurred, prune, hash));
    }
}
