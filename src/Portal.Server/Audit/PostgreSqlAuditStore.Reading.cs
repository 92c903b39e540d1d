using System.Data;
using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Precision.Portal.Client.Audit;

namespace Precision.Portal.Server.Audit;

public sealed partial class PostgreSqlAuditStore
{
    public Task<IReadOnlyList<AuditEvent>> ReadRecentAsync(int count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return ReadEventsAsync(
            $"SELECT {AuditEventColumns.Select} FROM audit_event ORDER BY sequence DESC LIMIT @count",
            command => command.Parameters.AddWithValue("count", count),
            cancellationToken);
    }

    public Task<IReadOnlyList<AuditEvent>> ReadForPatientAsync(string patientReference, int count, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(patientReference);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return ReadEventsAsync(
            $"SELECT {AuditEventColumns.Select} FROM audit_event WHERE patient_reference = @patient ORDER BY sequence DESC LIMIT @count",
            command =>
            {
                command.Parameters.AddWithValue("patient", patientReference);
                command.Parameters.AddWithValue("count", count);
            },
            cancellationToken);
    }

    public async Task<AuditEvent?> ReadEventAsync(long sequence, CancellationToken cancellationToken = default)
    {
        var events = await ReadEventsAsync(
            $"SELECT {AuditEventColumns.Select} FROM audit_event WHERE sequence = @sequence",
            command => command.Parameters.AddWithValue("sequence", sequence),
            cancellationToken).ConfigureAwait(false);
        return events.Count == 0 ? null : events[0];
    }

    /// <summary>Counts per UTC hour and action for events at or after <paramref name="sinceUtc"/>, oldest hour first.</summary>
    public async Task<IReadOnlyList<AuditActivityBucket>> ReadActivityByHourAsync(DateTimeOffset sinceUtc, CancellationToken cancellationToken = default)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var command = new NpgsqlCommand(
                    """
                    SELECT substr(occurred_utc, 1, 13) AS hour, action, COUNT(*) AS count
                    FROM audit_event
                    WHERE occurred_utc >= @since
                    GROUP BY 1, 2
                    ORDER BY 1, 2
                    """,
                    connection);
                await using (command.ConfigureAwait(false))
                {
                    command.Parameters.AddWithValue("since", StoredAuditEvent.FormatTime(sinceUtc));
                    var buckets = new List<AuditActivityBucket>();
                    var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                        {
                            buckets.Add(new AuditActivityBucket(
                                new DateTimeOffset(DateTime.ParseExact(reader.GetString(0), "yyyy-MM-dd'T'HH", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal), TimeSpan.Zero),
                                reader.GetString(1),
                                checked((int)reader.GetInt64(2))));
                        }
                    }

                    return buckets;
                }
            }
        }
        catch (NpgsqlException ex)
        {
            throw AuditStoreFailure.Read(Location, ex, _busyTimeout);
        }
    }

    public async Task<AuditSearchPage> SearchAsync(AuditSearchQuery query, CancellationToken cancellationToken = default)
    {
        query = AuditSearchSql.Check(query);
        var (sql, parameters) = AuditSearchSql.Build(query);
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var command = new NpgsqlCommand(sql, connection);
                await using (command.ConfigureAwait(false))
                {
                    foreach (var (name, value) in parameters)
                    {
                        command.Parameters.AddWithValue(name, value);
                    }

                    return await AuditSearchSql.ReadPageAsync(command, query.PageSize, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (NpgsqlException ex)
        {
            throw AuditStoreFailure.Read(Location, ex, _busyTimeout);
        }
    }

    public async Task<long> CountAsync(AuditSearchQuery query, CancellationToken cancellationToken = default)
    {
        query = AuditSearchSql.Check(query);
        var (sql, parameters) = AuditSearchSql.Build(query, count: true);
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var command = new NpgsqlCommand(sql, connection);
                await using (command.ConfigureAwait(false))
                {
                    foreach (var (name, value) in parameters)
                    {
                        command.Parameters.AddWithValue(name, value);
                    }

                    return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (NpgsqlException ex)
        {
            throw AuditStoreFailure.Read(Location, ex, _busyTimeout);
        }
    }

    public async Task<AuditChainVerification> VerifyChainAsync(CancellationToken cancellationToken = default)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                return await VerifyAsync(connection, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (NpgsqlException ex)
        {
            throw AuditStoreFailure.Read(Location, ex, _busyTimeout);
        }
    }

    /// <summary>The chain walk of <see cref="AuditChainVerifier"/>, over rows streamed from one snapshot.</summary>
    private static async Task<AuditChainVerification> VerifyAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            var head = await ReadPairAsync(connection, transaction, "SELECT last_sequence, last_hash FROM audit_chain_head WHERE id = 1", cancellationToken).ConfigureAwait(false);
            var checkpoint = await ReadPairAsync(connection, transaction, "SELECT sequence, hash FROM audit_checkpoint WHERE id = 1", cancellationToken).ConfigureAwait(false);
            var start = checkpoint?.Item1 ?? 0;
            var previousHash = checkpoint?.Item2 ?? AuditChainHash.Genesis;
            var expected = start + 1;
            PruneRecord? lastPrune = null;

            var command = new NpgsqlCommand($"SELECT {AuditEventColumns.Select} FROM audit_event WHERE sequence > @start ORDER BY sequence", connection, transaction);
            await using (command.ConfigureAwait(false))
            {
                command.Parameters.AddWithValue("start", start);
                var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        var stored = AuditEventColumns.Read(reader);
                        var hash = reader.GetString(AuditEventColumns.HashOrdinal);
                        var id = Guid.TryParse(stored.Id, out var parsed) ? parsed : (Guid?)null;
                        if (stored.Sequence != expected)
                        {
                            return AuditChainVerifier.Broken(expected, null, AuditChainVerifier.Gap(stored.Sequence, id, expected, start), expected - 1 - start, stopwatch);
                        }

                        if (!string.Equals(stored.PreviousHash, previousHash, StringComparison.Ordinal))
                        {
                            return AuditChainVerifier.Broken(expected, id, AuditChainVerifier.DoesNotLink(expected, id, start), expected - 1 - start, stopwatch);
                        }

                        if (!AuditChainHash.Matches(stored, hash))
                        {
                            return AuditChainVerifier.Broken(expected, id, $"Event {expected} (id {id}) was altered: its stored hash does not match its contents.", expected - 1 - start, stopwatch);
                        }

                        if (string.Equals(stored.Action, AuditActions.AuditPrune, StringComparison.Ordinal))
                        {
                            lastPrune = PruneRecord.From(stored.Sequence, stored.DetailsJson);
                        }

                        previousHash = hash;
                        expected++;
                    }
                }
            }

            var ids = new Dictionary<long, Guid?>();
            foreach (var sequence in new[] { start + 1, expected - 1, (head?.Item1 ?? 0) + 1 })
            {
                ids[sequence] = await IdAtAsync(connection, transaction, sequence, cancellationToken).ConfigureAwait(false);
            }

            return AuditChainVerifier.CheckTail(
                head is { } h ? (h.Item1, h.Item2) : null,
                checkpoint is { } c ? (c.Item1, c.Item2) : null,
                lastPrune,
                expected - 1,
                previousHash,
                s => ids.TryGetValue(s, out var id) ? id : null,
                stopwatch);
        }
    }

    private static async Task<(long, string)?> ReadPairAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? (reader.GetInt64(0), reader.GetString(1)) : null;
            }
        }
    }

    private static async Task<Guid?> IdAtAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long sequence, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand("SELECT id FROM audit_event WHERE sequence = @sequence", connection, transaction);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.AddWithValue("sequence", sequence);
            return Guid.TryParse(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string, out var id) ? id : null;
        }
    }

    private async Task<IReadOnlyList<AuditEvent>> ReadEventsAsync(string sql, Action<NpgsqlCommand> bind, CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var command = new NpgsqlCommand(sql, connection);
                await using (command.ConfigureAwait(false))
                {
                    bind(command);
                    var events = new List<AuditEvent>();
                    var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                        {
                            events.Add(AuditEventColumns.Read(reader).ToAuditEvent(reader.GetString(AuditEventColumns.HashOrdinal)));
                        }
                    }

                    return events;
                }
            }
        }
        catch (NpgsqlException ex)
        {
            throw AuditStoreFailure.Read(Location, ex, _busyTimeout);
        }
    }
}
