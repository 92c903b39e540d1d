using System.Diagnostics;
using System.Text;
using Microsoft.Data.Sqlite;
using Precision.Portal.Client.Audit;
using SQLitePCL;

namespace Precision.Portal.Server.Audit;

/// <summary>
/// Walks the whole chain in sequence order, streaming rows, and reports the first event that fails:
/// a gap in the sequence, a broken previous-hash link, a hash that no longer matches the stored contents,
/// or a head row that disagrees with the last event.
/// </summary>
internal static class AuditChainVerifier
{
    // Bit n set when column n is NULL: one call per row instead of one per column. A NULL must hash
    // differently from an empty string even where the schema forbids NULLs, since the schema can be changed too.
    // SQLite gives << and | the same precedence, hence the parentheses.
    private const string NullMask =
        "((id IS NULL) << 1) | ((occurred_utc IS NULL) << 2) | ((actor_subject IS NULL) << 3) | ((actor_display_name IS NULL) << 4) "
        + "| ((actor_roles IS NULL) << 5) | ((action IS NULL) << 6) | ((outcome IS NULL) << 7) | ((patient_reference IS NULL) << 8) "
        + "| ((target IS NULL) << 9) | ((details_json IS NULL) << 10) | ((client_address IS NULL) << 11) | ((correlation_id IS NULL) << 12) "
        + "| ((previous_hash IS NULL) << 13)";

    private const int NullMaskOrdinal = AuditEventColumns.HashOrdinal + 1;

    public static AuditChainVerification Verify(SqliteConnection connection, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();

        // One read transaction: the head, the checkpoint and the events come from the same snapshot while appends continue.
        using var transaction = connection.BeginTransaction(deferred: true);
        var head = ReadHead(connection, transaction);
        var checkpoint = ReadCheckpoint(connection, transaction);

        // Rows are read through SQLite's own API so the hash is computed over the stored UTF-8 bytes (the
        // database encoding is SQLite's default, UTF-8) without decoding 14 strings per event; with
        // SqliteDataReader.GetString 1M events took ~3.7 s here instead of ~2.7 s.
        var database = connection.Handle!;
        var rc = raw.sqlite3_prepare_v2(database, $"SELECT {AuditEventColumns.Select}, {NullMask} FROM audit_event WHERE sequence > ?1 ORDER BY sequence", out var statement);
        if (rc != raw.SQLITE_OK)
        {
            statement.Dispose();
            return Broken(1, null, $"The audit events could not be read: {raw.sqlite3_errmsg(database).utf8_to_string()}.", 0, stopwatch);
        }

        var canonical = new CanonicalEventWriter();
        Span<byte> digest = stackalloc byte[32];
        Span<byte> previousHash = stackalloc byte[AuditChainHash.HexLength];
        Encoding.ASCII.GetBytes(checkpoint?.Hash ?? AuditChainHash.Genesis, previousHash);
        var start = checkpoint?.Sequence ?? 0;
        var expected = start + 1;
        PruneRecord? lastPrune = null;
        using (statement)
        {
            raw.sqlite3_bind_int64(statement, 1, start);
            while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
            {
                if ((expected & 0xFFF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                var sequence = raw.sqlite3_column_int64(statement, 0);
                if (sequence != expected)
                {
                    return Broken(expected, null, Gap(sequence, IdOf(statement), expected, start), expected - 1 - start, stopwatch);
                }

                if (!raw.sqlite3_column_blob(statement, 13).SequenceEqual(previousHash))
                {
                    var id = IdOf(statement);
                    return Broken(expected, id, DoesNotLink(expected, id, start), expected - 1 - start, stopwatch);
                }

                canonical.Start(sequence);
                var nulls = raw.sqlite3_column_int64(statement, NullMaskOrdinal);
                for (var column = 1; column <= 13; column++)
                {
                    if ((nulls & (1L << column)) != 0)
                    {
                        canonical.Null();
                    }
                    else
                    {
                        canonical.Field(raw.sqlite3_column_blob(statement, column));
                    }
                }

                canonical.Hash(digest);
                var storedHash = raw.sqlite3_column_blob(statement, AuditEventColumns.HashOrdinal);
                if (!AuditChainHash.EqualsHex(digest, storedHash))
                {
                    return Broken(expected, IdOf(statement), $"Event {expected} (id {IdOf(statement)}) was altered: its stored hash does not match its contents.", expected - 1 - start, stopwatch);
                }

                if (raw.sqlite3_column_blob(statement, 6).SequenceEqual(PruneAction))
                {
                    lastPrune = PruneRecord.From(sequence, raw.sqlite3_column_blob(statement, 10));
                }

                storedHash.CopyTo(previousHash);
                expected++;
            }

            if (rc != raw.SQLITE_DONE)
            {
                return Broken(
                    expected,
                    null,
                    $"The audit database could not be read at event {expected}: {raw.sqlite3_errmsg(database).utf8_to_string()}. The file may be damaged; keep it as evidence and restore the latest backup.",
                    expected - 1 - start,
                    stopwatch);
            }
        }

        return CheckTail(head, checkpoint, lastPrune, expected - 1, Encoding.ASCII.GetString(previousHash), s => IdAt(connection, transaction, s), stopwatch);
    }

    internal static ReadOnlySpan<byte> PruneAction => "audit.prune"u8;

    /// <summary>The checks after the walk: the checkpoint is backed by the latest prune event, and the head matches the last event.</summary>
    internal static AuditChainVerification CheckTail(
        (long LastSequence, string LastHash)? head,
        (long Sequence, string Hash)? checkpoint,
        PruneRecord? lastPrune,
        long last,
        string lastHash,
        Func<long, Guid?> idAt,
        Stopwatch stopwatch)
    {
        var start = checkpoint?.Sequence ?? 0;
        var checkedCount = last - start;
        if (checkpoint is { } cp && (lastPrune is not { } prune || prune.CheckpointSequence != cp.Sequence || !string.Equals(prune.CheckpointHash, cp.Hash, StringComparison.Ordinal)))
        {
            var problem = lastPrune is { } p
                ? $"The trail starts after a pruning checkpoint at event {cp.Sequence}, but the latest audit.prune event ({p.Sequence}) records a checkpoint at event {p.CheckpointSequence}: events were deleted or the checkpoint was changed outside the portal."
                : $"The trail starts after a pruning checkpoint at event {cp.Sequence}, but no audit.prune event in the chain records that checkpoint: events were deleted or the checkpoint was changed outside the portal.";
            return Broken(cp.Sequence + 1, last > start ? idAt(cp.Sequence + 1) : null, problem, checkedCount, stopwatch);
        }

        if (head is not { } recorded)
        {
            return Broken(null, null, "The chain head record is missing, so deletions from the end cannot be ruled out. The audit database was changed outside the portal.", checkedCount, stopwatch);
        }

        if (recorded.LastSequence > last)
        {
            return Broken(
                last + 1,
                null,
                $"The chain head records event {recorded.LastSequence} but the last stored event is {last}: events were deleted from the end.",
                checkedCount,
                stopwatch);
        }

        if (recorded.LastSequence < last)
        {
            var extra = idAt(recorded.LastSequence + 1);
            return Broken(
                recorded.LastSequence + 1,
                extra,
                $"Event {recorded.LastSequence + 1} (id {extra}) is beyond the chain head, which ends at event {recorded.LastSequence}: events were added outside the portal.",
                checkedCount,
                stopwatch);
        }

        if (!string.Equals(recorded.LastHash, lastHash, StringComparison.Ordinal))
        {
            if (last == 0)
            {
                return Broken(null, null, "The chain head of the empty trail does not hold the genesis hash: the head was altered.", 0, stopwatch);
            }

            var lastId = idAt(last);
            return Broken(last, lastId, $"The chain head's hash does not match event {last} (id {lastId}): the last event was replaced or the head was altered.", checkedCount, stopwatch);
        }

        return new AuditChainVerification(true, checkedCount, null, null, null, stopwatch.Elapsed);
    }

    internal static string DoesNotLink(long expected, Guid? id, long start) => expected == 1
        ? $"Event 1 (id {id}) does not start the chain: its previous hash should be the genesis value. It was altered or replaced."
        : expected == start + 1
            ? $"Event {expected} (id {id}) does not link to the pruning checkpoint: its recorded previous hash differs from the hash of pruned event {start}. It was altered or replaced, or the checkpoint was changed."
            : $"Event {expected} (id {id}) does not link to event {expected - 1}: its recorded previous hash differs from event {expected - 1}'s hash. It was altered, moved or replaced.";

    internal static (long Sequence, string Hash)? ReadCheckpoint(SqliteConnection connection, SqliteTransaction? transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT sequence, hash FROM audit_checkpoint WHERE id = 1";
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), reader.GetString(1)) : null;
    }

    internal static (long LastSequence, string LastHash)? ReadHead(SqliteConnection connection, SqliteTransaction? transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT last_sequence, last_hash FROM audit_chain_head WHERE id = 1";
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), reader.GetString(1)) : null;
    }

    private static Guid? IdOf(sqlite3_stmt statement) =>
        Guid.TryParse(raw.sqlite3_column_blob(statement, 1), out var id) ? id : null;

    private static Guid? IdAt(SqliteConnection connection, SqliteTransaction transaction, long sequence)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT id FROM audit_event WHERE sequence = $sequence";
        command.Parameters.AddWithValue("$sequence", sequence);
        return Guid.TryParse(command.ExecuteScalar() as string, out var id) ? id : null;
    }

    internal static string Gap(long found, Guid? foundId, long expected, long start)
    {
        if (found < expected)
        {
            return $"Event {found} (id {foundId}) appears after event {expected - 1}: the sequence is out of order.";
        }

        var missing = found - expected == 1
            ? $"event {expected} is missing or was reordered"
            : $"events {expected} to {found - 1} are missing or were reordered";
        return expected == start + 1
            ? start == 0
                ? $"Event {found} (id {foundId}) is the first stored event, but the chain starts at event 1: {missing}."
                : $"Event {found} (id {foundId}) is the first stored event, but after the pruning checkpoint at event {start} the chain continues at event {expected}: {missing}."
            : $"Event {found} (id {foundId}) does not follow event {expected - 1}: {missing}.";
    }

    internal static AuditChainVerification Broken(long? sequence, Guid? id, string problem, long checkedCount, Stopwatch stopwatch) =>
        new(false, checkedCount, sequence, id, problem, stopwatch.Elapsed);
}

/// <summary>The checkpoint an <c>audit.prune</c> event records in its details.</summary>
internal readonly record struct PruneRecord(long Sequence, long? CheckpointSequence, string? CheckpointHash)
{
    public static PruneRecord From(long sequence, ReadOnlySpan<byte> detailsUtf8)
    {
        try
        {
            var reader = new System.Text.Json.Utf8JsonReader(detailsUtf8);
            using var document = System.Text.Json.JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            long? checkpointSequence = root.TryGetProperty("checkpointSequence", out var s) && s.TryGetInt64(out var value) ? value : null;
            var checkpointHash = root.TryGetProperty("checkpointHash", out var h) && h.ValueKind == System.Text.Json.JsonValueKind.String ? h.GetString() : null;
            return new PruneRecord(sequence, checkpointSequence, checkpointHash);
        }
        catch (System.Text.Json.JsonException)
        {
            return new PruneRecord(sequence, null, null);
        }
    }

    public static PruneRecord From(long sequence, string? details) =>
        From(sequence, details is null ? default : Encoding.UTF8.GetBytes(details));
}
