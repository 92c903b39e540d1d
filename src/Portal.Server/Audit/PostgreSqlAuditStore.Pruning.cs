using System.Data;
using System.Globalization;
using Npgsql;
using Precision.Portal.Client.Audit;

namespace Precision.Portal.Server.Audit;

public sealed partial class PostgreSqlAuditStore
{
    public async Task<AuditPruneResult> PruneAsync(DateTimeOffset cutoffUtc, int maxPerTransaction = 20_000, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPerTransaction);
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        var cutoff = StoredAuditEvent.FormatTime(cutoffUtc);
        long deleted = 0;
        long? checkpointSequence = null;
        string? checkpointHash = null;
        var pruneEvents = new List<AuditEvent>();
        try
        {
            var connection = await OpenWriteConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                while (true)
                {
                    // Each round is one short transaction, so appends wait at most one round, not the whole run.
                    var round = await PruneRoundAsync(connection, cutoffUtc, cutoff, maxPerTransaction, cancellationToken).ConfigureAwait(false);
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
        catch (Exception ex) when (ex is NpgsqlException or InvalidDataException)
        {
            throw AuditStoreFailure.Write(Location, ex, _busyTimeout);
        }

        return new AuditPruneResult(deleted, checkpointSequence, checkpointHash, pruneEvents);
    }

    private async Task<(long Deleted, long Checkpoint, string Hash, AuditEvent Event)?> PruneRoundAsync(
        NpgsqlConnection connection, DateTimeOffset cutoffUtc, string cutoff, int max, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            // The chain head's row lock first, as appends take it: no instance extends the chain meanwhile.
            var head = await ReadPairAsync(connection, transaction, "SELECT last_sequence, last_hash FROM audit_chain_head WHERE id = 1 FOR UPDATE", cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidDataException("the chain head record is missing");
            var start = (await ReadPairAsync(connection, transaction, "SELECT sequence, hash FROM audit_checkpoint WHERE id = 1", cancellationToken).ConfigureAwait(false))?.Item1 ?? 0;

            long through = 0;
            string? throughHash = null;
            long count = 0;
            var scan = new NpgsqlCommand("SELECT sequence, occurred_utc, hash FROM audit_event WHERE sequence > @start ORDER BY sequence LIMIT @max", connection, transaction);
            await using (scan.ConfigureAwait(false))
            {
                scan.Parameters.AddWithValue("start", start);
                scan.Parameters.AddWithValue("max", max);
                var reader = await scan.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false) && string.CompareOrdinal(reader.GetString(1), cutoff) < 0)
                    {
                        through = reader.GetInt64(0);
                        throughHash = reader.GetString(2);
                        count++;
                    }
                }
            }

            if (count == 0)
            {
                return null;
            }

            var occurred = _time.GetUtcNow();
            var prune = new NewAuditEvent(AuditSystemActor.Instance, AuditActions.AuditPrune, AuditOutcome.Success, null, "audit-trail",
                AuditEventRules.PruneDetails(cutoffUtc, count, through, throughHash!), null, null);
            var stored = StoredAuditEvent.Create(head.Item1 + 1, Guid.CreateVersion7(occurred), occurred, prune, head.Item2);
            var hash = AuditChainHash.Compute(stored);

            var batch = new NpgsqlBatch(connection, transaction);
            await using (batch.ConfigureAwait(false))
            {
                var guard = new NpgsqlBatchCommand("SELECT set_config('precision.audit_prune_through', @through, true)");
                guard.Parameters.AddWithValue("through", through.ToString(CultureInfo.InvariantCulture));
                var delete = new NpgsqlBatchCommand("DELETE FROM audit_event WHERE sequence > @start AND sequence <= @through");
                delete.Parameters.AddWithValue("start", start);
                delete.Parameters.AddWithValue("through", through);
                var checkpoint = new NpgsqlBatchCommand(
                    "INSERT INTO audit_checkpoint (id, sequence, hash) VALUES (1, @through, @hash) ON CONFLICT (id) DO UPDATE SET sequence = excluded.sequence, hash = excluded.hash");
                checkpoint.Parameters.AddWithValue("through", through);
                checkpoint.Parameters.AddWithValue("hash", throughHash!);
                var insert = new NpgsqlBatchCommand($"INSERT INTO audit_event ({AuditEventColumns.Select}) VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10, @p11, @p12, @p13, @p14)");
                insert.Parameters.AddWithValue("p0", stored.Sequence);
                var values = new[] { stored.Id, stored.OccurredUtc, stored.ActorSubject, stored.ActorDisplayName, stored.ActorRoles, stored.Action, stored.Outcome, stored.PatientReference, stored.Target, stored.DetailsJson, stored.ClientAddress, stored.CorrelationId, stored.PreviousHash, hash };
                for (var i = 0; i < values.Length; i++)
                {
                    insert.Parameters.Add(new NpgsqlParameter($"p{i + 1}", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)values[i] ?? DBNull.Value });
                }

                var updateHead = new NpgsqlBatchCommand("UPDATE audit_chain_head SET last_sequence = @sequence, last_hash = @hash WHERE id = 1");
                updateHead.Parameters.AddWithValue("sequence", stored.Sequence);
                updateHead.Parameters.AddWithValue("hash", hash);
                batch.BatchCommands.Add(guard);
                batch.BatchCommands.Add(delete);
                batch.BatchCommands.Add(checkpoint);
                batch.BatchCommands.Add(insert);
                batch.BatchCommands.Add(updateHead);
                await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return (count, through, throughHash!, AuditEventRules.Written(stored, occurred, prune, hash));
        }
    }
}
