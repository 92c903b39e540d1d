using Precision.Training.Evaluation;

namespace Precision.Training.Tests;

public sealed class EvaluationMarkdownTests
{
    [Theory]
    [InlineData(-0.04, "0.0")]
    [InlineData(0.04, "0.0")]
    [InlineData(0.0, "0.0")]
    [InlineData(-4.56, "-4.6")]
    [InlineData(5.5, "+5.5")]
    public void A_difference_in_points_that_rounds_to_zero_has_no_sign(double value, string expected) =>
        Assert.Equal(expected, EvaluationMarkdown.Points(value));
}
