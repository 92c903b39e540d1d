using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Precision.Clinical;
using Precision.Inference.Evidence;
using Precision.Inference.Features;

namespace Precision.Inference.Runtime;

/// <summary>What is being served (or why nothing is): for the readiness check, the footer and the administration page.</summary>
public sealed record ModelServingStatus(
    bool IsServing,
    string? Version,
    string? OnnxSha256,
    string? FeatureSchemaHash,
    ExecutionProviderInfo? Provider,
    bool HasReferencePopulation,
    DateTimeOffset? LoadedAt,
    TimeSpan? StartDuration,
    string ModelDirectory,
    string? Refusal,
    IReadOnlyList<ModelVersionCheck> CheckedVersions);

/// <summary>
/// The served efficacy model: chosen by the registry, opened by the runtime and warmed up once at start. When the
/// registry or the runtime refuses, the service still exists and every call answers with the refusal, so the portal's
/// other functions keep working and the readiness check can say exactly what is wrong.
/// </summary>
public sealed class EfficacyModelService : IDisposable
{
    private readonly EfficacyModelRuntime? _runtime;

    private EfficacyModelService(ModelServingStatus status, EfficacyModelRuntime? runtime, EfficacyPredictor? predictor)
    {
        Status = status;
        _runtime = runtime;
        Predictor = predictor;
    }

    public ModelServingStatus Status { get; }

    /// <summary>Null when no model is served; then <see cref="ModelServingStatus.Refusal"/> says why.</summary>
    public EfficacyPredictor? Predictor { get; }

    /// <summary>The runtime as a batch scorer (for explanations); null when no model is served.</summary>
    public IBatchScorer? Scorer => _runtime;

    public static EfficacyModelService Start(ModelRegistry registry, EfficacyModelOptions options, PatientFeaturizer featurizer, CatalogEvidence evidence, ILogger? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(featurizer);
        ArgumentNullException.ThrowIfNull(evidence);
        logger ??= NullLogger.Instance;
        time ??= TimeProvider.System;
        var started = Stopwatch.GetTimestamp();
        if (options.Validate() is { Count: > 0 } invalid)
        {
            return Refused(registry, string.Join(" ", invalid), [], logger);
        }

        var selection = registry.Select(options.Version);
        foreach (var skipped in selection.Checked.Where(c => !c.IsValid && selection.IsServable))
        {
            logger.LogWarning("Model {Version} in {Directory} is skipped: {Problems}", skipped.Version, registry.Directory, string.Join(" ", skipped.Problems));
        }

        if (selection.Model is not { } model)
        {
            return Refused(registry, selection.Refusal!, selection.Checked, logger);
        }

        var start = EfficacyModelRuntime.Start(model, options, logger);
        if (start.Runtime is not { } runtime)
        {
            return Refused(registry, start.Error!, selection.Checked, logger);
        }

        var predictor = new EfficacyPredictor(runtime, featurizer, evidence);
        var status = new ModelServingStatus(true, model.Version, model.OnnxSha256, model.Schema.Hash, runtime.Provider, model.ReferencePopulation is not null,
            time.GetUtcNow(), Stopwatch.GetElapsedTime(started), registry.Directory, null, selection.Checked);
        return new EfficacyModelService(status, runtime, predictor);
    }

    /// <inheritdoc cref="EfficacyPredictor.Predict"/>
    public PredictionResult Predict(PatientProfile profile, DateOnly asOf, int priorLines) =>
        Predictor?.Predict(profile, asOf, priorLines) ?? PredictionResult.Failure(PredictionProblemKind.ModelUnavailable, Unavailable);

    /// <inheritdoc cref="EfficacyPredictor.PredictAtLineStart"/>
    public PredictionResult PredictAtLineStart(PatientProfile profile, TherapyLine line) =>
        Predictor?.PredictAtLineStart(profile, line) ?? PredictionResult.Failure(PredictionProblemKind.ModelUnavailable, Unavailable);

    /// <inheritdoc cref="EfficacyPredictor.FindSimilarPatients(PatientProfile, DateOnly, int, int)"/>
    public SimilarPatientsResult FindSimilarPatients(PatientProfile profile, DateOnly asOf, int priorLines, int count = 10) =>
        Predictor?.FindSimilarPatients(profile, asOf, priorLines, count) ?? new SimilarPatientsResult([], new PredictionProblem(PredictionProblemKind.ModelUnavailable, Unavailable));

    public void Dispose() => _runtime?.Dispose();

    private string Unavailable => $"No efficacy model is being served: {Status.Refusal}";

    private static EfficacyModelService Refused(ModelRegistry registry, string refusal, IReadOnlyList<ModelVersionCheck> checkedVersions, ILogger logger)
    {
        logger.LogError("The efficacy model is not served: {Refusal}", refusal);
        return new EfficacyModelService(
            new ModelServingStatus(false, null, null, registry.Schema.Hash, null, false, null, null, registry.Directory, refusal, checkedVersions), null, null);
    }
}
