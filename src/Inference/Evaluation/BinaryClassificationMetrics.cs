namespace Precision.Inference.Evaluation;

/// <summary>One bin of a reliability diagram: predicted vs observed response rate.</summary>
public sealed record CalibrationBin(double Lower, double Upper, int Count, double MeanPredicted, double ObservedRate);

/// <summary>
/// Metrics for predicted probabilities of response against observed outcomes (1 = responded). Used by the model's
/// evaluation and model card, and later by monitoring. Each method rejects inputs it cannot score, with the reason.
/// </summary>
public static class BinaryClassificationMetrics
{
    /// <summary>Area under the ROC curve (probability a random responder scores above a random non-responder; ties count half).</summary>
    public static double Auroc(IReadOnlyList<double> scores, IReadOnlyList<bool> outcomes)
    {
        Validate(scores, outcomes, needBothClasses: true);
        // Mann–Whitney U with average ranks for ties.
        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        var ranks = new double[scores.Count];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && scores[order[end + 1]] == scores[order[start]])
            {
                end++;
            }

            var averageRank = ((start + end) / 2.0) + 1;
            for (var k = start; k <= end; k++)
            {
                ranks[order[k]] = averageRank;
            }

            start = end + 1;
        }

        double positives = outcomes.Count(o => o), negatives = outcomes.Count - positives;
        var rankSum = Enumerable.Range(0, ranks.Length).Where(i => outcomes[i]).Sum(i => ranks[i]);
        return (rankSum - (positives * (positives + 1) / 2)) / (positives * negatives);
    }

    /// <summary>Area under the precision–recall curve as average precision (step-wise, as scikit-learn computes it).</summary>
    public static double AveragePrecision(IReadOnlyList<double> scores, IReadOnlyList<bool> outcomes)
    {
        Validate(scores, outcomes, needBothClasses: true);
        var positives = outcomes.Count(o => o);
        var ordered = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ToArray();
        double truePositives = 0, falsePositives = 0, previousRecall = 0, area = 0;
        for (var k = 0; k < ordered.Length; k++)
        {
            if (outcomes[ordered[k]])
            {
                truePositives++;
            }
            else
            {
                falsePositives++;
            }

            // Only at the end of a run of tied scores does a threshold exist.
            if (k + 1 < ordered.Length && scores[ordered[k + 1]] == scores[ordered[k]])
            {
                continue;
            }

            var recall = truePositives / positives;
            var precision = truePositives / (truePositives + falsePositives);
            area += (recall - previousRecall) * precision;
            previousRecall = recall;
        }

        return area;
    }

    /// <summary>Mean squared difference between predicted probability and outcome.</summary>
    public static double Brier(IReadOnlyList<double> probabilities, IReadOnlyList<bool> outcomes)
    {
        Validate(probabilities, outcomes, needBothClasses: false, probabilitiesOnly: true);
        return Enumerable.Range(0, probabilities.Count).Average(i => Math.Pow(probabilities[i] - (outcomes[i] ? 1 : 0), 2));
    }

    /// <summary>Equal-width bins over [0, 1]; a probability of exactly 1 falls in the last bin.</summary>
    public static IReadOnlyList<CalibrationBin> CalibrationCurve(IReadOnlyList<double> probabilities, IReadOnlyList<bool> outcomes, int bins = 10)
    {
        Validate(probabilities, outcomes, needBothClasses: false, probabilitiesOnly: true);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        var result = new List<CalibrationBin>();
        for (var b = 0; b < bins; b++)
        {
            double lower = (double)b / bins, upper = (double)(b + 1) / bins;
            var members = Enumerable.Range(0, probabilities.Count)
                .Where(i => probabilities[i] >= lower && (probabilities[i] < upper || (b == bins - 1 && probabilities[i] <= upper)))
                .ToList();
            result.Add(new CalibrationBin(lower, upper, members.Count,
                members.Count == 0 ? double.NaN : members.Average(i => probabilities[i]),
                members.Count == 0 ? double.NaN : members.Average(i => outcomes[i] ? 1.0 : 0.0)));
        }

        return result;
    }

    /// <summary>Expected calibration error: the count-weighted mean |observed − predicted| over equal-width bins.</summary>
    public static double ExpectedCalibrationError(IReadOnlyList<double> probabilities, IReadOnlyList<bool> outcomes, int bins = 10) =>
        CalibrationCurve(probabilities, outcomes, bins).Where(b => b.Count > 0)
            .Sum(b => (double)b.Count / probabilities.Count * Math.Abs(b.ObservedRate - b.MeanPredicted));

    /// <summary>Spearman rank correlation (ties get average ranks).</summary>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count || x.Count < 2)
        {
            throw new ArgumentException($"Spearman correlation needs two series of equal length ≥ 2 (got {x.Count} and {y.Count}).");
        }

        return Pearson(AverageRanks(x), AverageRanks(y));
    }

    private static double Pearson(double[] a, double[] b)
    {
        double meanA = a.Average(), meanB = b.Average();
        double covariance = 0, varianceA = 0, varianceB = 0;
        for (var i = 0; i < a.Length; i++)
        {
            covariance += (a[i] - meanA) * (b[i] - meanB);
            varianceA += (a[i] - meanA) * (a[i] - meanA);
            varianceB += (b[i] - meanB) * (b[i] - meanB);
        }

        return varianceA == 0 || varianceB == 0 ? double.NaN : covariance / Math.Sqrt(varianceA * varianceB);
    }

    private static double[] AverageRanks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]])
            {
                end++;
            }

            for (var k = start; k <= end; k++)
            {
                ranks[order[k]] = ((start + end) / 2.0) + 1;
            }

            start = end + 1;
        }

        return ranks;
    }

    private static void Validate(IReadOnlyList<double> scores, IReadOnlyList<bool> outcomes, bool needBothClasses, bool probabilitiesOnly = false)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(outcomes);
        if (scores.Count != outcomes.Count)
        {
            throw new ArgumentException($"{scores.Count} predictions but {outcomes.Count} outcomes.");
        }

        if (scores.Count == 0)
        {
            throw new ArgumentException("No predictions to score.");
        }

        if (scores.Any(s => !double.IsFinite(s) || (probabilitiesOnly && s is < 0 or > 1)))
        {
            throw new ArgumentException(probabilitiesOnly ? "Probabilities must be finite numbers between 0 and 1." : "Scores must be finite numbers.");
        }

        if (needBothClasses && (outcomes.All(o => o) || outcomes.All(o => !o)))
        {
            throw new ArgumentException("The outcomes contain only one class, so the metric is undefined.");
        }
    }
}
