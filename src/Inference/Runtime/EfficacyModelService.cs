using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Precision.Clinical;
using Precision.Inference.Evaluation;
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
/// One model as served: its status, runtime and predictor. When another model replaces it, it is retired: no new
/// lease is given out, and its runtime is disposed once the last lease on it ends (an explanation that started on it
/// finishes on it).
/// </summary>
public sealed class ServedModel
{
    private readonly object _gate = new();
    private int _leases;
    private bool _retired;

    internal ServedModel(ModelServingStatus status, EfficacyModelRuntime? runtime, EfficacyPredictor? predictor)
    {
        Status = status;
        Runtime = runtime;
        Predictor = predictor;
    }

    public ModelServingStatus Status { get; }

    /// <summary>Null when no model is served; then <see cref="ModelServingStatus.Refusal"/> says why.</summary>
    public EfficacyModelRuntime? Runtime { get; }

    public EfficacyPredictor? Predictor { get; }

    internal bool TryLease()
    {
        lock (_gate)
        {
            if (_retired)
            {
                return false;
            }

            _leases++;
            return true;
        }
    }

    internal void Release()
    {
        bool dispose;
        lock (_gate)
        {
            dispose = --_leases == 0 && _retired;
        }

        if (dispose)
        {
            Runtime?.Dispose();
        }
    }

    internal void Retire()
    {
        bool dispose;
        lock (_gate)
        {
            if (_retired)
            {
                return;
            }

            _retired = true;
            dispose = _leases == 0;
        }

        if (dispose)
        {
            Runtime?.Dispose();
        }
    }
}

/// <summary>
/// The model a caller works with from start to end of one request, even if another version is activated meanwhile.
/// Dispose it when done; the replaced model's runtime is released after its last lease.
/// </summary>
public sealed class ModelLease : IDisposable
{
    private ServedModel? _model;

    internal ModelLease(ServedModel model) => _model = model;

    public ServedModel Model => _model ?? throw new ObjectDisposedException(nameof(ModelLease));

    public ModelServingStatus Status => Model.Status;

    public EfficacyPredictor? Predictor => Model.Predictor;

    public IBatchScorer? Scorer => Model.Runtime;

    public void Dispose() => Interlocked.Exchange(ref _model, null)?.Release();
}

/// <summary>
/// The served efficacy model: chosen by the registry, opened by the runtime and warmed up once at start. When the
/// registry or the runtime refuses, the service still exists and every call answers with the refusal, so the portal's
/// other functions keep working and the readiness check can say exactly what is wrong. Another verified version can be
/// served while the portal runs (<see cref="Prepare"/> then <see cref="Serve"/>): the new runtime is opened and warmed
/// up first, then swapped in atomically; calls in flight finish on the model they started with.
/// </summary>
public sealed class EfficacyModelService : IDisposable
{
    private readonly object _swapGate = new();
    private readonly EfficacyModelOptions _options;
    private readonly PatientFeaturizer _featurizer;
    private readonly CatalogEvidence _evidence;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private ServedModel _current;
    private bool _disposed;

    private EfficacyModelService(ServedModel current, ModelRegistry registry, EfficacyModelOptions options, PatientFeaturizer featurizer, CatalogEvidence evidence, ILogger logger, TimeProvider time)
    {
        _current = current;
        Registry = registry;
        _options = options;
        _featurizer = featurizer;
        _evidence = evidence;
        _logger = logger;
        _time = time;
    }

    /// <summary>Raised after another model was swapped in, with its status.</summary>
    public event EventHandler<ModelServingStatus>? Switched;

    /// <summary>The registry the served versions come from.</summary>
    public ModelRegistry Registry { get; }

    /// <summary>What is served now. A caller that needs one model for several steps takes a lease instead (<see cref="Acquire"/>).</summary>
    public ServedModel Current => Volatile.Read(ref _current);

    public ModelServingStatus Status => Current.Status;

    /// <summary>Null when no model is served; then <see cref="ModelServingStatus.Refusal"/> says why.</summary>
    public EfficacyPredictor? Predictor => Current.Predictor;

    /// <summary>The runtime as a batch scorer (for explanations); null when no model is served.</summary>
    public IBatchScorer? Scorer => Current.Runtime;

    public static EfficacyModelService Start(ModelRegistry registry, EfficacyModelOptions options, PatientFeaturizer featurizer, CatalogEvidence evidence, ILogger? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(featurizer);
        ArgumentNullException.ThrowIfNull(evidence);
        logger ??= NullLogger.Instance;
        time ??= TimeProvider.System;
        var started = Stopwatch.GetTimestamp();
        EfficacyModelService Create(ServedModel served) => new(served, registry, options, featurizer, evidence, logger, time);
        if (options.Validate() is { Count: > 0 } invalid)
        {
            return Create(Refused(registry, string.Join(" ", invalid), [], logger));
        }

        var selection = registry.Select(options.Version);
        foreach (var skipped in selection.Checked.Where(c => !c.IsValid && selection.IsServable))
        {
            logger.LogWarning("Model {Version} in {Directory} is skipped: {Problems}", skipped.Version, registry.Directory, string.Join(" ", skipped.Problems));
        }

        if (selection.Model is not { } model)
        {
            return Create(Refused(registry, selection.Refusal!, selection.Checked, logger));
        }

        var start = EfficacyModelRuntime.Start(model, options, logger);
        if (start.Runtime is not { } runtime)
        {
            return Create(Refused(registry, start.Error!, selection.Checked, logger));
        }

        LogCalibration(model, logger);
        var predictor = new EfficacyPredictor(runtime, featurizer.For(model.Schema), evidence);
        var status = new ModelServingStatus(true, model.Version, model.OnnxSha256, model.Schema.Hash, runtime.Provider, model.ReferencePopulation is not null,
            time.GetUtcNow(), Stopwatch.GetElapsedTime(started), registry.Directory, null, selection.Checked);
        return Create(new ServedModel(status, runtime, predictor));
    }

    /// <summary>
    /// A lease on the model served now: the caller predicts and explains with it, and it stays open until the lease is
    /// disposed even if another version is served meanwhile.
    /// </summary>
    public ModelLease Acquire()
    {
        while (true)
        {
            var current = Current;
            if (current.TryLease())
            {
                return new ModelLease(current);
            }

            // Retired between the read and the lease: the swap has already published its successor.
        }
    }

    /// <summary>
    /// Opens <paramref name="model"/> with this service's settings and warms it up, without serving it yet. The caller
    /// serves it (<see cref="Serve"/>) or disposes it.
    /// </summary>
    public RuntimeStart Prepare(VerifiedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_featurizer.Schema.Find(model.Schema.Hash) is null)
        {
            return new RuntimeStart(null, $"Model {model.Version} was verified against feature schema {model.Schema.Hash}, but this portal featurizes with {_featurizer.Schema.Hash} (or its earlier layouts).");
        }

        return EfficacyModelRuntime.Start(model, _options, _logger);
    }

    /// <summary>
    /// Serves <paramref name="runtime"/> (from <see cref="Prepare"/>) from now on: the next call predicts with it. The
    /// model served before is retired and released once the calls still using it are done. Returns the new status.
    /// </summary>
    public ModelServingStatus Serve(EfficacyModelRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        var model = runtime.Model;
        var predictor = new EfficacyPredictor(runtime, _featurizer.For(model.Schema), _evidence);
        ServedModel previous;
        ServedModel next;
        lock (_swapGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            previous = _current;
            var status = new ModelServingStatus(true, model.Version, model.OnnxSha256, model.Schema.Hash, runtime.Provider, model.ReferencePopulation is not null,
                _time.GetUtcNow(), runtime.StartDuration, Registry.Directory, null, [new ModelVersionCheck(model.Version, model.Directory, model, [])]);
            next = new ServedModel(status, runtime, predictor);
            Volatile.Write(ref _current, next);
        }

        previous.Retire();
        LogCalibration(model, _logger);
        _logger.LogInformation("Model {Version} (ONNX sha256 {Sha}) now served on {Provider}, replacing {Previous}.",
            model.Version, model.OnnxSha256[..12], runtime.Provider, previous.Status.Version ?? "no model");
        Switched?.Invoke(this, next.Status);
        return next.Status;
    }

    /// <inheritdoc cref="EfficacyPredictor.Predict"/>
    public PredictionResult Predict(PatientProfile profile, DateOnly asOf, int priorLines)
    {
        using var lease = Acquire();
        return lease.Predictor?.Predict(profile, asOf, priorLines) ?? PredictionResult.Failure(PredictionProblemKind.ModelUnavailable, Unavailable(lease.Status));
    }

    /// <inheritdoc cref="EfficacyPredictor.PredictAtLineStart"/>
    public PredictionResult PredictAtLineStart(PatientProfile profile, TherapyLine line)
    {
        using var lease = Acquire();
        return lease.Predictor?.PredictAtLineStart(profile, line) ?? PredictionResult.Failure(PredictionProblemKind.ModelUnavailable, Unavailable(lease.Status));
    }

    /// <inheritdoc cref="EfficacyPredictor.FindSimilarPatients(PatientProfile, DateOnly, int, int)"/>
    public SimilarPatientsResult FindSimilarPatients(PatientProfile profile, DateOnly asOf, int priorLines, int count = 10)
    {
        using var lease = Acquire();
        return lease.Predictor?.FindSimilarPatients(profile, asOf, priorLines, count) ?? new SimilarPatientsResult([], new PredictionProblem(PredictionProblemKind.ModelUnavailable, Unavailable(lease.Status)));
    }

    public void Dispose()
    {
        ServedModel current;
        lock (_swapGate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            current = _current;
        }

        current.Retire();
    }

    /// <summary>An evaluation on file that cannot be used is an operator's problem: say so when the model is served.</summary>
    private static void LogCalibration(VerifiedModel model, ILogger logger)
    {
        switch (model.Calibration.Availability)
        {
            case CalibrationAvailability.Available:
                logger.LogInformation("Model {Version}: calibration at the point of care from {Cohort}.", model.Version, model.Calibration.CohortDescription);
                break;
            case CalibrationAvailability.NotEvaluated:
                logger.LogInformation("Model {Version}: {Reason}", model.Version, model.Calibration.Reason);
                break;
            default:
                logger.LogWarning("Model {Version}: {Reason} ({Path})", model.Version, model.Calibration.Reason, Path.Combine(model.Directory, ModelEvaluationDocument.FileName));
                break;
        }
    }

    /// <summary>Why nothing is served, for a result.</summary>
    public static string Unavailable(ModelServingStatus status) => $"No efficacy model is being served: {status.Refusal}";

    private static ServedModel Refused(ModelRegistry registry, string refusal, IReadOnlyList<ModelVersionCheck> checkedVersions, ILogger logger)
    {
        logger.LogError("The efficacy model is not served: {Refusal}", refusal);
        return new ServedModel(
            new ModelServingStatus(false, null, null, registry.Schema.Hash, null, false, null, null, registry.Directory, refusal, checkedVersions), null, null);
    }
}
