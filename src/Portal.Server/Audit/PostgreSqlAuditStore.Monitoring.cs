using Dapper;
using Npgsql;

namespace Precision.Portal.Server.Audit;

public sealed partial class PostgreSqlAuditStore : IAuditMonitoringReader
{
    public async Task<IReadOnlyList<MonitoringDayCount>> CountMonitoringByDayAsync(DateTimeOffset fromUtc, DateTimeOffset toUtc, CancellationToken cancellationToken = default)
    {
        var rows = await QueryMonitoringAsync<(string Day, string Key, long Count)>(AuditMonitoringSql.ByDay, fromUtc, toUtc, cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(r => new MonitoringDayCount(r.Day, r.Key, r.Count))];
    }

    public async Task<IReadOnlyList<MonitoringFeedbackCount>> CountFeedbackByPredictionAsync(DateTimeOffset fromUtc, DateTimeOffset toUtc, CancellationToken cancellationToken = default)
    {
        // Only feedback rows reach the cast: their key exists, so their details parsed as JSON when they were written.
        var rows = await QueryMonitoringAsync<(string FeedbackKey, string? PredictionKey, long Count)>(
            AuditMonitoringSql.FeedbackByPrediction("(f.details_json::jsonb ->> 'predictionAuditId')"), fromUtc, toUtc, cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(r => new MonitoringFeedbackCount(r.FeedbackKey, r.PredictionKey, r.Count))];
    }

    private async Task<IEnumerable<T>> QueryMonitoringAsync<T>(string sql, DateTimeOffset fromUtc, DateTimeOffset toUtc, CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                return await connection.QueryAsync<T>(new CommandDefinition(
                    sql,
                    new { from = StoredAuditEvent.FormatTime(fromUtc), to = StoredAuditEvent.FormatTime(toUtc) },
                    cancellationToken: cancellationToken)).ConfigureAwait(false);
            }
        }
        catch (NpgsqlException ex)
        {
            throw AuditStoreFailure.Read(Location, ex, _busyTimeout);
        }
    }
}
