using System.Diagnostics;
using System.Globalization;
using Precision.Clinical;
using Precision.Clinical.Catalog;
using Precision.Portal.Client.Monitoring;
using Precision.Portal.Server.Audit;

namespace Precision.Portal.Server.Compliance.Monitoring;

/// <summary>
/// Model monitoring from the audit trail: the store counts events per UTC day and monitoring key in SQL (an index range,
/// see <c>0003_prediction_monitoring.sql</c>); this folds days into the requested buckets and the therapy and subgroup
/// tables. Subgroups (sex, age band, cancer type) come from the prediction's recorded clinical feature vector; feedback
/// gets the subgroup of the prediction it names.
/// </summary>
internal sealed class PredictionMonitoringService(IAuditMonitoringReader reader, TherapyCatalog catalog) : IPredictionMonitoring
{
    public const string SexAttribute = "Sex";
    public const string AgeBandAttribute = "Age band";
    public const string CancerTypeAttribute = "Cancer type";
    public const string NotRecorded = "Not recorded";
    public const string NotDerivable = "Not derivable (feature schema not known to monitoring)";

    public async Task<MonitoringReport> ReadAsync(MonitoringQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Validate() is { Count: > 0 } problems)
        {
            throw new MonitoringQueryException(problems);
        }

        var started = Stopwatch.StartNew();
        var byDay = await reader.CountMonitoringByDayAsync(query.FromUtc, query.ToUtcExclusive, cancellationToken).ConfigureAwait(false);
        var feedback = await reader.CountFeedbackByPredictionAsync(query.FromUtc, query.ToUtcExclusive, cancellationToken).ConfigureAwait(false);

        var granularity = query.Resolved;
        var buckets = new SortedDictionary<DateOnly, BucketCounts>();
        var step = granularity == MonitoringGranularity.Week ? 7 : 1;
        for (var start = MonitoringQuery.BucketStart(query.From, granularity); start <= query.To; start = start.AddDays(step))
        {
            buckets[start] = new BucketCounts();
        }

        var therapies = new Dictionary<string, (int Feedback, int Disagreements)>(StringComparer.Ordinal);
        var subgroups = new Dictionary<(string Attribute, string Group), SubgroupCounts>();
        foreach (var row in byDay)
        {
            var day = DateOnly.ParseExact(row.Day, "yyyy-MM-dd", CultureInfo.InvariantCulture);
            var bucket = buckets[MonitoringQuery.BucketStart(day, granularity)];
            var count = checked((int)row.Count);
            if (PredictionKey.TryParse(row.Key, out var prediction))
            {
                bucket.Predictions += count;
                bucket.OutOfDistribution += prediction.IsOutOfDistribution ? count : 0;
                bucket.Caution += prediction.IsCaution ? count : 0;
                foreach (var group in prediction.Groups)
                {
                    var counts = Subgroup(subgroups, group);
                    counts.Predictions += count;
                    counts.OutOfDistribution += prediction.IsOutOfDistribution ? count : 0;
                }
            }
            else if (FeedbackKey.TryParse(row.Key, out var given))
            {
                bucket.Feedback += count;
                bucket.Disagreements += given.Disagrees ? count : 0;
                var (total, disagreements) = therapies.GetValueOrDefault(given.TherapyId);
                therapies[given.TherapyId] = (total + count, disagreements + (given.Disagrees ? count : 0));
            }
        }

        var withoutPrediction = 0;
        foreach (var row in feedback)
        {
            if (!FeedbackKey.TryParse(row.FeedbackKey, out var given))
            {
                continue;
            }

            var count = checked((int)row.Count);
            if (!PredictionKey.TryParse(row.PredictionKey, out var prediction))
            {
                withoutPrediction += count;
                continue;
            }

            foreach (var group in prediction.Groups)
            {
                var counts = Subgroup(subgroups, group);
                counts.Feedback += count;
                counts.Disagreements += given.Disagrees ? count : 0;
            }
        }

        return new MonitoringReport(
            query,
            granularity,
            [.. buckets.Select(b => new MonitoringBucket(b.Key, b.Value.Predictions, b.Value.OutOfDistribution, b.Value.Caution, b.Value.Feedback, b.Value.Disagreements))],
            [.. therapies
                .Select(t => new TherapyFeedbackRow(t.Key, catalog.Therapies.FirstOrDefault(x => x.Id == t.Key)?.DisplayName ?? t.Key + " (not in the current catalog)", t.Value.Feedback, t.Value.Disagreements))
                .OrderByDescending(t => t.Feedback).ThenBy(t => t.TherapyName, StringComparer.Ordinal)],
            [.. subgroups
                .OrderBy(s => AttributeOrder(s.Key.Attribute)).ThenBy(s => s.Value.Order).ThenBy(s => s.Key.Group, StringComparer.Ordinal)
                .Select(s => new SubgroupRow(s.Key.Attribute, s.Key.Group, s.Value.Predictions, s.Value.OutOfDistribution, s.Value.Feedback, s.Value.Disagreements))],
            withoutPrediction,
            started.Elapsed);
    }

    private static SubgroupCounts Subgroup(Dictionary<(string, string), SubgroupCounts> subgroups, (string Attribute, string Group, int Order) group)
    {
        if (!subgroups.TryGetValue((group.Attribute, group.Group), out var counts))
        {
            counts = new SubgroupCounts { Order = group.Order };
            subgroups[(group.Attribute, group.Group)] = counts;
        }

        return counts;
    }

    private static int AttributeOrder(string attribute) => attribute switch
    {
        SexAttribute => 0,
        AgeBandAttribute => 1,
        _ => 2,
    };

    private sealed class BucketCounts
    {
        public int Predictions { get; set; }

        public int OutOfDistribution { get; set; }

        public int Caution { get; set; }

        public int Feedback { get; set; }

        public int Disagreements { get; set; }
    }

    private sealed class SubgroupCounts
    {
        public int Order { get; init; }

        public int Predictions { get; set; }

        public int OutOfDistribution { get; set; }

        public int Feedback { get; set; }

        public int Disagreements { get; set; }
    }

    /// <summary><c>p|level|sex|age decade|cancer type</c>; '?' where the feature schema is not known, 'unknown' where the record has no value.</summary>
    private readonly record struct PredictionKey(string Level, string Sex, string AgeDecade, string Cancer)
    {
        public bool IsOutOfDistribution => Level == "OutOfDistribution";

        public bool IsCaution => Level == "Caution";

        /// <summary>(attribute, group shown, sort order within the attribute); not-recorded and not-derivable sort last.</summary>
        public IEnumerable<(string Attribute, string Group, int Order)> Groups
        {
            get
            {
                yield return Sex switch
                {
                    "female" => (SexAttribute, "Female", 0),
                    "male" => (SexAttribute, "Male", 1),
                    _ => (SexAttribute, Missing(Sex), Missing(Sex) == NotRecorded ? 1000 : 1001),
                };
                yield return int.TryParse(AgeDecade, NumberStyles.Integer, CultureInfo.InvariantCulture, out var decade)
                    ? (AgeBandAttribute, string.Create(CultureInfo.InvariantCulture, $"{decade}–{decade + 9}"), decade)
                    : (AgeBandAttribute, Missing(AgeDecade), Missing(AgeDecade) == NotRecorded ? 1000 : 1001);
                yield return Enum.TryParse<CancerType>(Cancer, out var type) && Enum.IsDefined(type) && !int.TryParse(Cancer, CultureInfo.InvariantCulture, out _)
                    ? (CancerTypeAttribute, CancerTypes.DisplayName(type), type == CancerType.Other ? 999 : 0)
                    : (CancerTypeAttribute, Missing(Cancer), Missing(Cancer) == NotRecorded ? 1000 : 1001);
            }
        }

        public static bool TryParse(string? key, out PredictionKey parsed)
        {
            var parts = key?.Split('|');
            if (parts is not ["p", var level, var sex, var age, var cancer])
            {
                parsed = default;
                return false;
            }

            parsed = new PredictionKey(level, sex, age, cancer);
            return true;
        }

        private static string Missing(string value) => value == "?" ? NotDerivable : NotRecorded;
    }

    /// <summary><c>f|1 or 0|therapy id</c>.</summary>
    private readonly record struct FeedbackKey(bool Disagrees, string TherapyId)
    {
        public static bool TryParse(string? key, out FeedbackKey parsed)
        {
            var parts = key?.Split('|', 3);
            if (parts is not ["f", "0" or "1", { Length: > 0 } therapy])
            {
                parsed = default;
                return false;
            }

            parsed = new FeedbackKey(parts[1] == "0", therapy);
            return true;
        }
    }
}

public static class PredictionMonitoringExtensions
{
    /// <summary>Model monitoring for the compliance pages (<see cref="IPredictionMonitoring"/>), from the audit store's aggregation queries.</summary>
    public static WebApplicationBuilder AddPortalMonitoring(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<IPredictionMonitoring>(sp => new PredictionMonitoringService(
            sp.GetRequiredService<IAuditMonitoringReader>(), sp.GetRequiredService<TherapyCatalog>()));
        return builder;
    }
}
