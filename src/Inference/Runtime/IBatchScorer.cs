namespace Precision.Inference.Runtime;

/// <summary>
/// Scores many rows of model input in one run: the seam between the model runtime and what needs many evaluations
/// (cohort scoring, Shapley coalitions). Inputs are row-major; every span holds <c>rows × width</c> values.
/// </summary>
public interface IBatchScorer
{
    int ClinicalWidth { get; }

    int GenomicWidth { get; }

    int TherapyWidth { get; }

    /// <summary>Writes one value per row (the calibrated probability for the efficacy model) into <paramref name="output"/>.</summary>
    void Score(ReadOnlySpan<float> clinical, ReadOnlySpan<float> genomic, ReadOnlySpan<float> therapy, Span<float> output);
}
