using System.Globalization;

namespace Precision.Portal.Client.Monitoring;

/// <summary>How the monitoring charts bucket time. <see cref="Auto"/>: days up to <see cref="MonitoringQuery.MaxDailyDays"/> days, else ISO weeks.</summary>
public enum MonitoringGranularity
{
    Auto,
    Day,
    Week,
}

/// <summary>
/// A monitoring window: whole UTC days from <see cref="From"/> to <see cref="To"/>, both inclusive.
/// </summary>
public sealed record MonitoringQuery(DateOnly From, DateOnly To, MonitoringGranularity Granularity = MonitoringGranularity.Auto)
{
    /// <summary>Longest window: two years of weekly points still read as a chart and stay one index range scan.</summary>
    public const int MaxRangeDays = 731;

    /// <summary>Longest window shown day by day; more daily points than this is noise on a chart.</summary>
    public const int MaxDailyDays = 92;

    /// <summary>Rates whose denominator is below this are flagged: one event moves them by more than 5 points.</summary>
    public const int SmallDenominator = 20;

    public int Days => To.DayNumber - From.DayNumber + 1;

    public DateTimeOffset FromUtc => new(From.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    /// <summary>Exclusive end: midnight after <see cref="To"/>.</summary>
    public DateTimeOffset ToUtcExclusive => new(To.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    /// <summary>The granularity actually used: <see cref="Auto"/> resolved by the window's length.</summary>
    public MonitoringGranularity Resolved => Granularity switch
    {
        MonitoringGranularity.Auto => Days <= MaxDailyDays ? MonitoringGranularity.Day : MonitoringGranularity.Week,
        _ => Granularity,
    };

    /// <summary>What is wrong with this window, in words a user can act on; empty when it can run.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!Enum.IsDefined(Granularity))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"Unknown granularity '{(int)Granularity}': choose automatic, day or week."));
        }

        if (To < From)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"The end date {To:yyyy-MM-dd} is before the start date {From:yyyy-MM-dd}: swap them."));
            return problems;
        }

        if (Days > MaxRangeDays)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture,
                $"The range spans {Days:N0} days; at most {MaxRangeDays:N0} days (two years) can be monitored at once. Move the start date to {To.AddDays(1 - MaxRangeDays):yyyy-MM-dd} or later."));
        }
        else if (Granularity == MonitoringGranularity.Day && Days > MaxDailyDays)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture,
                $"Daily points are available for ranges up to {MaxDailyDays} days (this one spans {Days:N0}). Choose weekly, or narrow the range."));
        }

        return problems;
    }

    /// <summary>Start of the bucket a day falls in: the day itself, or the Monday of its ISO week.</summary>
    public static DateOnly BucketStart(DateOnly day, MonitoringGranularity granularity) =>
        granularity == MonitoringGranularity.Week ? day.AddDays(-(((int)day.DayOfWeek + 6) % 7)) : day;
}

/// <summary>A count out of a denominator; <see cref="Value"/> is null when nothing was counted.</summary>
public readonly record struct MonitoringRate(int Count, int Denominator)
{
    public double? Value => Denominator == 0 ? null : (double)Count / Denominator;

    /// <summary>True when the denominator is too small for the rate to mean much (<see cref="MonitoringQuery.SmallDenominator"/>).</summary>
    public bool IsSmall => Denominator is > 0 and < MonitoringQuery.SmallDenominator;

    public override string ToString() => Value is { } v
        ? string.Create(CultureInfo.InvariantCulture, $"{v * 100:0.0}% ({Count:N0} of {Denominator:N0})")
        : "—";
}

/// <summary>One time bucket. Predictions are <c>prediction.create</c> + <c>prediction.what-if</c> that succeeded.</summary>
public sealed record MonitoringBucket(DateOnly Start, int Predictions, int OutOfDistribution, int Caution, int Feedback, int Disagreements)
{
    public MonitoringRate OutOfDistributionRate => new(OutOfDistribution, Predictions);

    public MonitoringRate DisagreementRate => new(Disagreements, Feedback);
}

/// <summary>Clinician feedback on one therapy's prediction.</summary>
public sealed record TherapyFeedbackRow(string TherapyId, string TherapyName, int Feedback, int Disagreements)
{
    public MonitoringRate DisagreementRate => new(Disagreements, Feedback);
}

/// <summary>The patient group a prediction was made for; <see cref="Attribute"/> is "Sex", "Age band" or "Cancer type".</summary>
public sealed record SubgroupRow(string Attribute, string Group, int Predictions, int OutOfDistribution, int Feedback, int Disagreements)
{
    public MonitoringRate OutOfDistributionRate => new(OutOfDistribution, Predictions);

    public MonitoringRate DisagreementRate => new(Disagreements, Feedback);
}

/// <summary>Model monitoring over one window, from the audit trail.</summary>
/// <param name="Buckets">Every bucket of the window in order, empty ones included, so charts show gaps as zeros.</param>
/// <param name="FeedbackWithoutPrediction">Feedback whose prediction event is not in the trail (pruned) or not readable: in the totals, not in subgroups.</param>
public sealed record MonitoringReport(
    MonitoringQuery Query,
    MonitoringGranularity Granularity,
    IReadOnlyList<MonitoringBucket> Buckets,
    IReadOnlyList<TherapyFeedbackRow> ByTherapy,
    IReadOnlyList<SubgroupRow> BySubgroup,
    int FeedbackWithoutPrediction,
    TimeSpan Elapsed)
{
    public int Predictions => Buckets.Sum(b => b.Predictions);

    public int Feedback => Buckets.Sum(b => b.Feedback);

    public bool IsEmpty => Predictions == 0 && Feedback == 0;

    public MonitoringRate OutOfDistributionRate => new(Buckets.Sum(b => b.OutOfDistribution), Predictions);

    public MonitoringRate DisagreementRate => new(Buckets.Sum(b => b.Disagreements), Feedback);
}

/// <summary>Thrown for a window that <see cref="MonitoringQuery.Validate"/> refuses; the message lists every problem.</summary>
public sealed class MonitoringQueryException : ArgumentException
{
    public MonitoringQueryException(IReadOnlyList<string> problems)
        : base(string.Join(" ", problems)) => Problems = problems;

    public MonitoringQueryException()
        : this([])
    {
    }

    public MonitoringQueryException(string message)
        : this([message])
    {
    }

    public MonitoringQueryException(string message, Exception innerException)
        : base(message, innerException) => Problems = [message];

    public IReadOnlyList<string> Problems { get; }
}

/// <summary>Prediction volume, out-of-distribution and clinician disagreement rates, computed from the audit trail.</summary>
public interface IPredictionMonitoring
{
    /// <summary>Throws <see cref="MonitoringQueryException"/> for a window that cannot run.</summary>
    Task<MonitoringReport> ReadAsync(MonitoringQuery query, CancellationToken cancellationToken = default);
}
