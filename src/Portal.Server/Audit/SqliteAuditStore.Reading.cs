using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;
using Precision.Portal.Client.Audit;

namespace Precision.Portal.Server.Audit;

public sealed partial class SqliteAuditStore
{
    public Task<IReadOnlyList<AuditEvent>> ReadRecentAsync(int count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return ReadEventsAsync(
            $"SELECT {AuditEventColumns.Select} FROM audit_event ORDER BY sequence DESC LIMIT $count",
            command => command.Parameters.AddWithValue("$count", count),
            cancellationToken);
    }

    public Task<IReadOnlyList<AuditEvent>> ReadForPatientAsync(string patientReference, int count, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(patientReference);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return ReadEventsAsync(
            $"SELECT {AuditEventColumns.Select} FROM audit_event WHERE patient_reference = $patient ORDER BY sequence DESC LIMIT $count",
            command =>
            {
                command.Parameters.AddWithValue("$patient", patientReference);
                command.Parameters.AddWithValue("$count", count);
            },
            cancellationToken);
    }

    /// <summary>Counts per UTC hour and action for events at or after <paramref name="sinceUtc"/>, oldest hour first.</summary>
    public async Task<IReadOnlyList<AuditActivityBucket>> ReadActivityByHourAsync(DateTimeOffset sinceUtc, CancellationToken cancellationToken = default)
    {
        var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                // The first 13 characters of the stored time are the hour: yyyy-MM-ddTHH.
                var rows = await connection.QueryAsync<(string Hour, string Action, long Count)>(new CommandDefinition(
                    """
                    SELECT substr(occurred_utc, 1, 13) AS hour, action, COUNT(*) AS count
                    FROM audit_event
                    WHERE occurred_utc >= @Since
                    GROUP BY hour, action
                    ORDER BY hour, action
                    """,
                    new { Since = StoredAuditEvent.FormatTime(sinceUtc) },
                    cancellationToken: cancellationToken)).ConfigureAwait(false);
                return [.. rows.Select(r => new AuditActivityBucket(
                    new DateTimeOffset(DateTime.ParseExact(r.Hour, "yyyy-MM-dd'T'HH", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal), TimeSpan.Zero),
                    r.Action,
                    checked((int)r.Count)))];
            }
            catch (SqliteException ex)
            {
                throw AuditStoreFailure.Read(DatabasePath, ex, _busyTimeout);
            }
        }
    }

    public async Task<AuditSearchPage> SearchAsync(AuditSearchQuery query, CancellationToken cancellationToken = default)
    {
        query = AuditSearchSql.Check(query);
        var (sql, parameters) = AuditSearchSql.Build(query);
        var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                using var command = connection.CreateCommand();
                command.CommandText = sql;
                foreach (var (name, value) in parameters)
                {
                    command.Parameters.AddWithValue("@" + name, value);
                }

                return await AuditSearchSql.ReadPageAsync(command, query.PageSize, cancellationToken).ConfigureAwait(false);
            }
            catch (SqliteException ex)
            {
                throw AuditStoreFailure.Read(DatabasePath, ex, _busyTimeout);
            }
        }
    }

    public async Task<long> CountAsync(AuditSearchQuery query, CancellationToken cancellationToken = default)
    {
        query = AuditSearchSql.Check(query);
        var (sql, parameters) = AuditSearchSql.Build(query, count: true);
        var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                using var command = connection.CreateCommand();
                command.CommandText = sql;
                foreach (var (name, value) in parameters)
                {
                    command.Parameters.AddWithValue("@" + name, value);
                }

                return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
            }
            catch (SqliteException ex)
            {
                throw AuditStoreFailure.Read(DatabasePath, ex, _busyTimeout);
            }
        }
    }

    public async Task<AuditEvent?> ReadEventAsync(long sequence, CancellationToken cancellationToken = default)
    {
        var events = await ReadEventsAsync(
            $"SELECT {AuditEventColumns.Select} FROM audit_event WHERE sequence = $sequence",
            command => command.Parameters.AddWithValue("$sequence", sequence),
            cancellationToken).ConfigureAwait(false);
        return events.Count == 0 ? null : events[0];
    }

    public async Task<AuditChainVerification> VerifyChainAsync(CancellationToken cancellationToken = default)
    {
        var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                // Seconds of synchronous I/O for large trails: keep it off the caller's thread.
                return await Task.Run(() => AuditChainVerifier.Verify(connection, cancellationToken), cancellationToken).ConfigureAwait(false);
            }
            catch (SqliteException ex)
            {
                throw AuditStoreFailure.Read(DatabasePath, ex, _busyTimeout);
            }
        }
    }

    private async Task<IReadOnlyList<AuditEvent>> ReadEventsAsync(string sql, Action<SqliteCommand> bind, CancellationToken cancellationToken)
    {
        var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                using var command = connection.CreateCommand();
                command.CommandText = sql;
                bind(command);
                var events = new List<AuditEvent>();
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    events.Add(AuditEventColumns.Read(reader).ToAuditEvent(reader.GetString(AuditEventColumns.HashOrdinal)));
                }

                return events;
            }
            catch (SqliteException ex)
            {
                throw AuditStoreFailure.Read(DatabasePath, ex, _busyTimeout);
            }
        }
    }

    private async Task<SqliteConnection> OpenReaderAsync(CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return OpenConnection(_readConnectionString);
        }
        catch (SqliteException ex)
        {
            throw AuditStoreFailure.Read(DatabasePath, ex, _busyTimeout);
        }
    }
}
