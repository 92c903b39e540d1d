using System.Runtime.CompilerServices;
using Precision.Inference.Explanations;
using Precision.Inference.Features;
using Precision.Inference.Runtime;

namespace Precision.Portal.Server.Predictions;

/// <summary>
/// The Shapley explainer of a served model, over the reference sample that model version ships (read from its
/// verified reference population, so the baseline is the one the model was released with). Built once per served
/// model (a model activated later gets its own); null, with the reason, when no model is served or the version ships
/// no sample.
/// </summary>
internal sealed class PredictionExplainer(PatientFeaturizer featurizer, ShapleyOptions options, ILogger<PredictionExplainer> logger)
{
    private readonly ConditionalWeakTable<ServedModel, Entry> _byModel = [];

    /// <summary>The explainer for the model the lease holds, or why there is none.</summary>
    public (ShapleyExplainer? Explainer, string? Unavailable) For(ModelLease lease)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var entry = _byModel.GetValue(lease.Model, Create);
        return (entry.Explainer, entry.Unavailable);
    }

    private Entry Create(ServedModel model)
    {
        if (model.Runtime is not { } scorer || model.Predictor is not { } predictor)
        {
            return new Entry(null, EfficacyModelService.Unavailable(model.Status));
        }

        var verified = predictor.Runtime.Model;
        if (verified.ReferencePopulation?.Background is not { Rows: { Count: > 0 } rows } background)
        {
            return new Entry(null, $"Model {verified.Version} ships no reference sample, so its predictions cannot be explained; serve a version trained with precision-train 1.1 or later.");
        }

        var sample = ReferenceSample.Create(
            [.. rows.Select(r => new PatientFeatures(r.Clinical, r.Genomic))],
            $"{background.Description ?? "training patients"}; reference population of model {verified.Version}");
        return new Entry(new ShapleyExplainer(scorer, featurizer.For(verified.Schema), sample, options, Separable(verified, scorer, sample, logger)), null);
    }

    /// <summary>
    /// The separable evaluation of the served model's weights when it matches the runtime on the reference sample;
    /// otherwise null (explanations then score every row through the runtime) and the reason is logged.
    /// </summary>
    private static SeparableEnsemble? Separable(VerifiedModel model, IBatchScorer scorer, ReferenceSample sample, ILogger logger)
    {
        if (SeparableEnsemble.TryCreate(model.OnnxBytes, out var reason) is not { } separable)
        {
            logger.LogWarning("Explanations of model {Version} score every row through ONNX Runtime: {Reason}", model.Version, reason);
            return null;
        }

        var difference = separable.CheckAgainst(scorer, sample);
        if (!separable.IsVerified)
        {
            logger.LogWarning(
                "Explanations of model {Version} score every row through ONNX Runtime: the separable evaluation differs from it by {Difference} (tolerance {Tolerance}).",
                model.Version, difference, SeparableEnsemble.ParityTolerance);
            return null;
        }

        logger.LogInformation("Explanations of model {Version} evaluate clinical and genomic parts separately (max difference from ONNX Runtime {Difference}).", model.Version, difference);
        return separable;
    }

    private sealed record Entry(ShapleyExplainer? Explainer, string? Unavailable);
}
