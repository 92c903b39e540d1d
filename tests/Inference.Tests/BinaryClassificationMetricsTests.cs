using Precision.Inference.Evaluation;

namespace Precision.Inference.Tests;

/// <summary>Known values, computed by hand (and matching scikit-learn 1.x on the same inputs).</summary>
public sealed class BinaryClassificationMetricsTests
{
    private static readonly double[] Scores = [0.1, 0.4, 0.35, 0.8];
    private static readonly bool[] Outcomes = [false, false, true, true];

    [Fact]
    public void Auroc_matches_the_pairwise_definition_including_ties()
    {
        Assert.Equal(0.75, BinaryClassificationMetrics.Auroc(Scores, Outcomes), 10);
        Assert.Equal(0.5, BinaryClassificationMetrics.Auroc([0.5, 0.5, 0.5, 0.5], Outcomes), 10);
        Assert.Equal(1.0, BinaryClassificationMetrics.Auroc([0.1, 0.2, 0.8, 0.9], Outcomes), 10);
    }

    [Fact]
    public void Average_precision_matches_the_step_definition()
    {
        // sklearn.metrics.average_precision_score([0,0,1,1],[0.1,0.4,0.35,0.8]) = 0.8333…
        Assert.Equal(0.8333333333, BinaryClassificationMetrics.AveragePrecision(Scores, Outcomes), 8);
    }

    [Fact]
    public void Brier_is_the_mean_squared_error_of_the_probabilities()
    {
        // ((0.1)^2 + (0.4)^2 + (0.65)^2 + (0.2)^2) / 4
        Assert.Equal(0.158125, BinaryClassificationMetrics.Brier(Scores, Outcomes), 10); // 0.6325 / 4
    }

    [Fact]
    public void Perfectly_calibrated_predictions_have_zero_ece_and_a_constant_guess_has_its_gap()
    {
        var probabilities = Enumerable.Repeat(0.25, 400).ToArray();
        var outcomes = Enumerable.Range(0, 400).Select(i => i % 4 == 0).ToArray();
        Assert.Equal(0, BinaryClassificationMetrics.ExpectedCalibrationError(probabilities, outcomes), 10);

        var overconfident = Enumerable.Repeat(0.75, 400).ToArray();
        Assert.Equal(0.5, BinaryClassificationMetrics.ExpectedCalibrationError(overconfident, outcomes), 10);
        var bins = BinaryClassificationMetrics.CalibrationCurve(overconfident, outcomes);
        Assert.Equal(10, bins.Count);
        Assert.Equal(400, bins[7].Count);
        Assert.Equal(0.25, bins[7].ObservedRate, 10);
    }

    [Fact]
    public void Spearman_is_one_for_any_monotone_relation_and_minus_one_for_a_reversed_one()
    {
        Assert.Equal(1.0, BinaryClassificationMetrics.Spearman([1, 2, 3, 4], [10, 20, 300, 4000]), 10);
        Assert.Equal(-1.0, BinaryClassificationMetrics.Spearman([1, 2, 3, 4], [4, 3, 2, 1]), 10);
    }

    [Fact]
    public void Inputs_that_cannot_be_scored_are_refused_with_the_reason()
    {
        Assert.Contains("only one class", Assert.Throws<ArgumentException>(() => BinaryClassificationMetrics.Auroc([0.2, 0.3], [true, true])).Message, StringComparison.Ordinal);
        Assert.Contains("2 predictions but 1 outcomes", Assert.Throws<ArgumentException>(() => BinaryClassificationMetrics.Brier([0.2, 0.3], [true])).Message, StringComparison.Ordinal);
        Assert.Contains("between 0 and 1", Assert.Throws<ArgumentException>(() => BinaryClassificationMetrics.Brier([1.2], [true])).Message, StringComparison.Ordinal);
        Assert.Contains("No predictions", Assert.Throws<ArgumentException>(() => BinaryClassificationMetrics.Auroc([], [])).Message, StringComparison.Ordinal);
    }
}
