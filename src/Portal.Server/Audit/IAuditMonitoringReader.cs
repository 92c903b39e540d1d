namespace Precision.Portal.Server.Audit;

/// <summary>
/// Events of one UTC day with the same monitoring key (see <c>Migrations/*/0003_prediction_monitoring.sql</c>):
/// <c>p|level|sex|age decade|cancer type</c> for a successful prediction, <c>f|agrees|therapy</c> for feedback.
/// </summary>
public sealed record MonitoringDayCount(string Day, string Key, long Count);

/// <summary>Feedback of a window grouped by its key and the key of the prediction it refers to (null: not in the trail).</summary>
public sealed record MonitoringFeedbackCount(string FeedbackKey, string? PredictionKey, long Count);

/// <summary>The audit store's aggregation queries for model monitoring; both stores answer them in SQL from an index.</summary>
public interface IAuditMonitoringReader
{
    /// <summary>Counts per UTC day and key of events recorded in [<paramref name="fromUtc"/>, <paramref name="toUtc"/>).</summary>
    Task<IReadOnlyList<MonitoringDayCount>> CountMonitoringByDayAsync(DateTimeOffset fromUtc, DateTimeOffset toUtc, CancellationToken cancellationToken = default);

    /// <summary>Feedback recorded in [<paramref name="fromUtc"/>, <paramref name="toUtc"/>), joined to its prediction's key by event id.</summary>
    Task<IReadOnlyList<MonitoringFeedbackCount>> CountFeedbackByPredictionAsync(DateTimeOffset fromUtc, DateTimeOffset toUtc, CancellationToken cancellationToken = default);
}

/// <summary>The statements, identical for SQLite and PostgreSQL (parameters @from and @to; stored times sort as text).</summary>
internal static class AuditMonitoringSql
{
    // The first 10 characters of the stored time are the UTC day. "monitoring_key IS NOT NULL" selects the partial index.
    public const string ByDay = """
        SELECT substr(occurred_utc, 1, 10) AS day, monitoring_key, COUNT(*) AS count
        FROM audit_event
        WHERE occurred_utc >= @from AND occurred_utc < @to AND monitoring_key IS NOT NULL
        GROUP BY 1, 2
        ORDER BY 1, 2
        """;

    public static string FeedbackByPrediction(string predictionIdExpression) => $"""
        SELECT f.monitoring_key, p.monitoring_key AS prediction_key, COUNT(*) AS count
        FROM audit_event f
        LEFT JOIN audit_event p ON p.id = {predictionIdExpression} AND p.monitoring_key IS NOT NULL AND substr(p.monitoring_key, 1, 2) = 'p|'
        WHERE f.occurred_utc >= @from AND f.occurred_utc < @to AND f.monitoring_key IS NOT NULL AND substr(f.monitoring_key, 1, 2) = 'f|'
        GROUP BY 1, 2
        """;
}
