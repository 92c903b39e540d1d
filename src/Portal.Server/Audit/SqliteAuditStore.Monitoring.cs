using Dapper;
using Microsoft.Data.Sqlite;

namespace Precision.Portal.Server.Audit;

public sealed partial class SqliteAuditStore : IAuditMonitoringReader
{
    public async Task<IReadOnlyList<MonitoringDayCount>> CountMonitoringByDayAsync(DateTimeOffset fromUtc, DateTimeOffset toUtc, CancellationToken cancellationToken = default)
    {
        var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                var rows = await connection.QueryAsync<(string Day, string Key, long Count)>(new CommandDefinition(
                    AuditMonitoringSql.ByDay, Range(fromUtc, toUtc), cancellationToken: cancellationToken)).ConfigureAwait(false);
                return [.. rows.Select(r => new MonitoringDayCount(r.Day, r.Key, r.Count))];
            }
            catch (SqliteException ex)
            {
                throw AuditStoreFailure.Read(DatabasePath, ex, _busyTimeout);
            }
        }
    }

    public async Task<IReadOnlyList<MonitoringFeedbackCount>> CountFeedbackByPredictionAsync(DateTimeOffset fromUtc, DateTimeOffset toUtc, CancellationToken cancellationToken = default)
    {
        var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                var rows = await connection.QueryAsync<(string FeedbackKey, string? PredictionKey, long Count)>(new CommandDefinition(
                    AuditMonitoringSql.FeedbackByPrediction("json_extract(f.details_json, '$.predictionAuditId')"),
                    Range(fromUtc, toUtc),
                    cancellationToken: cancellationToken)).ConfigureAwait(false);
                return [.. rows.Select(r => new MonitoringFeedbackCount(r.FeedbackKey, r.PredictionKey, r.Count))];
            }
            catch (SqliteException ex)
            {
                throw AuditStoreFailure.Read(DatabasePath, ex, _busyTimeout);
            }
        }
    }

    private static object Range(DateTimeOffset fromUtc, DateTimeOffset toUtc) =>
        new { from = StoredAuditEvent.FormatTime(fromUtc), to = StoredAuditEvent.FormatTime(toUtc) };
}
