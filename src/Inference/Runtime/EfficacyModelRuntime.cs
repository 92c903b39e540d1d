using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace Precision.Inference.Runtime;

/// <summary>Where the model runs: <c>CPU</c> or <c>CUDA</c> (with its device), and why CUDA was not used when it was wanted.</summary>
public sealed record ExecutionProviderInfo(string Name, int? DeviceId, string? FallbackReason)
{
    public const string Cpu = "CPU";
    public const string Cuda = "CUDA";

    public override string ToString() => DeviceId is { } device ? $"{Name} (device {device})" : Name;
}

/// <summary>The runtime, or why it could not start (a message an operator can act on).</summary>
public sealed record RuntimeStart(EfficacyModelRuntime? Runtime, string? Error)
{
    public bool Started => Runtime is not null;
}

/// <summary>
/// One ONNX Runtime session over a verified model, shared by all callers. <c>InferenceSession.Run</c> is thread-safe;
/// each call rents its own pinned input/output buffers (with <see cref="OrtValue"/>s bound to them, reused per batch
/// size), so concurrent callers never share memory and the hot path allocates nothing native per run.
/// </summary>
public sealed class EfficacyModelRuntime : IBatchScorer, IDisposable
{
    private static readonly string[] InputNames = [OnnxNames.Clinical, OnnxNames.Genomic, OnnxNames.Therapy];
    private static readonly string[] AllOutputNames = [OnnxNames.MemberProbabilities, OnnxNames.Probability, OnnxNames.Embedding];
    private static readonly string[] ProbabilityOutputName = [OnnxNames.Probability];

    private readonly InferenceSession _session;
    private readonly SessionOptions _sessionOptions;
    private readonly ConcurrentBag<RunBuffers> _pool = [];
    private readonly int _batchSize;
    private readonly int _maxPooled = Math.Max(4, Environment.ProcessorCount * 2);
    private bool _disposed;

    // Runs in flight; Dispose waits for them, so the native session is never released under a running call
    // (a portal shutting down while an explanation is still being computed).
    private readonly object _lifetime = new();
    private int _running;

    private EfficacyModelRuntime(VerifiedModel model, InferenceSession session, SessionOptions sessionOptions, ExecutionProviderInfo provider, int batchSize)
    {
        Model = model;
        _session = session;
        _sessionOptions = sessionOptions;
        Provider = provider;
        _batchSize = batchSize;
        ClinicalWidth = model.Schema.Clinical.Count;
        GenomicWidth = model.Schema.Genomic.Count;
        TherapyWidth = model.Schema.TherapyIds.Count;
    }

    public VerifiedModel Model { get; }

    public ExecutionProviderInfo Provider { get; }

    public int ClinicalWidth { get; }

    public int GenomicWidth { get; }

    public int TherapyWidth { get; }

    public int MemberCount => Model.EnsembleMembers;

    public int EmbeddingWidth => Model.EmbeddingWidth;

    /// <summary>Session creation plus warm-up run.</summary>
    public TimeSpan StartDuration { get; private set; }

    /// <summary>
    /// Opens the model on the requested provider and runs it once on a full therapy batch (warm-up: the first run
    /// allocates the arena and plans memory, so no patient request pays for it).
    /// </summary>
    public static RuntimeStart Start(VerifiedModel model, EfficacyModelOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        logger ??= NullLogger.Instance;
        if (options.Validate() is { Count: > 0 } invalid)
        {
            return new RuntimeStart(null, string.Join(" ", invalid));
        }

        var started = Stopwatch.GetTimestamp();
        var onnx = model.OnnxBytes.ToArray();
        InferenceSession? session = null;
        SessionOptions? sessionOptions = null;
        ExecutionProviderInfo? provider = null;
        string? cudaFailure = null;
        if (options.ExecutionProvider != ExecutionProviderPreference.Cpu)
        {
            (session, sessionOptions, cudaFailure) = TryCuda(onnx, options);
            if (session is not null)
            {
                provider = new ExecutionProviderInfo(ExecutionProviderInfo.Cuda, options.DeviceId, null);
            }
            else if (options.ExecutionProvider == ExecutionProviderPreference.Cuda)
            {
                return new RuntimeStart(null,
                    $"Model:ExecutionProvider is Cuda, but the CUDA execution provider could not start on device {options.DeviceId}: {cudaFailure} "
                    + "It needs an NVIDIA GPU with its driver, CUDA 13 and cuDNN 9 on this host. Install them, or set Model:ExecutionProvider to Auto (CUDA when available, else CPU) or Cpu.");
            }
            else
            {
                logger.LogWarning("Model {Version}: the CUDA execution provider is unavailable ({Reason}); serving on the CPU.", model.Version, cudaFailure);
            }
        }

        if (session is null)
        {
            sessionOptions = NewSessionOptions(options);
            try
            {
                session = new InferenceSession(onnx, sessionOptions);
            }
            catch (OnnxRuntimeException ex)
            {
                sessionOptions.Dispose();
                return new RuntimeStart(null, $"Model {model.Version}: ONNX Runtime could not open {model.Manifest.Onnx?.File} on the CPU ({ex.Message}).");
            }

            provider = new ExecutionProviderInfo(ExecutionProviderInfo.Cpu, null, cudaFailure);
        }

        var runtime = new EfficacyModelRuntime(model, session, sessionOptions!, provider!, options.BatchSize);
        if (runtime.WarmUp() is { } warmUpFailure)
        {
            runtime.Dispose();
            return new RuntimeStart(null, $"Model {model.Version} on {provider}: the warm-up run failed ({warmUpFailure}).");
        }

        runtime.StartDuration = Stopwatch.GetElapsedTime(started);
        logger.LogInformation("Model {Version} (ONNX sha256 {Sha}) serving on {Provider}; started and warmed up in {Milliseconds:0} ms.",
            model.Version, model.OnnxSha256[..12], provider, runtime.StartDuration.TotalMilliseconds);
        return new RuntimeStart(runtime, null);
    }

    /// <summary>Writes the calibrated probability of each row (<see cref="IBatchScorer"/>).</summary>
    public void Score(ReadOnlySpan<float> clinical, ReadOnlySpan<float> genomic, ReadOnlySpan<float> therapy, Span<float> output) =>
        Run(clinical, genomic, therapy, output, [], []);

    /// <summary>
    /// Runs the model on <c>probability.Length</c> rows. Member probabilities (rows × members) and embeddings
    /// (rows × embedding width) are written when their spans are given; pass empty spans to skip them.
    /// </summary>
    public void Run(ReadOnlySpan<float> clinical, ReadOnlySpan<float> genomic, ReadOnlySpan<float> therapy, Span<float> probability, Span<float> memberProbabilities, Span<float> embedding)
    {
        lock (_lifetime)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _running++;
        }

        try
        {
            RunUnguarded(clinical, genomic, therapy, probability, memberProbabilities, embedding);
        }
        finally
        {
            lock (_lifetime)
            {
                if (--_running == 0)
                {
                    Monitor.PulseAll(_lifetime);
                }
            }
        }
    }

    private void RunUnguarded(ReadOnlySpan<float> clinical, ReadOnlySpan<float> genomic, ReadOnlySpan<float> therapy, Span<float> probability, Span<float> memberProbabilities, Span<float> embedding)
    {
        var rows = probability.Length;
        RequireLength(clinical.Length, rows * ClinicalWidth, nameof(clinical));
        RequireLength(genomic.Length, rows * GenomicWidth, nameof(genomic));
        RequireLength(therapy.Length, rows * TherapyWidth, nameof(therapy));
        var full = !memberProbabilities.IsEmpty || !embedding.IsEmpty;
        if (full)
        {
            RequireLength(memberProbabilities.Length, rows * MemberCount, nameof(memberProbabilities));
            RequireLength(embedding.Length, rows * EmbeddingWidth, nameof(embedding));
        }

        if (rows == 0)
        {
            return;
        }

        var buffers = Rent();
        try
        {
            for (var start = 0; start < rows; start += _batchSize)
            {
                var n = Math.Min(_batchSize, rows - start);
                clinical.Slice(start * ClinicalWidth, n * ClinicalWidth).CopyTo(buffers.Clinical);
                genomic.Slice(start * GenomicWidth, n * GenomicWidth).CopyTo(buffers.Genomic);
                therapy.Slice(start * TherapyWidth, n * TherapyWidth).CopyTo(buffers.Therapy);
                var bound = buffers.Bind(n);
                try
                {
                    if (full)
                    {
                        _session.Run(buffers.RunOptions, InputNames, bound.Inputs, AllOutputNames, bound.AllOutputs);
                        buffers.Members.AsSpan(0, n * MemberCount).CopyTo(memberProbabilities.Slice(start * MemberCount));
                        buffers.Embedding.AsSpan(0, n * EmbeddingWidth).CopyTo(embedding.Slice(start * EmbeddingWidth));
                    }
                    else
                    {
                        _session.Run(buffers.RunOptions, InputNames, bound.Inputs, ProbabilityOutputName, bound.ProbabilityOutput);
                    }

                    buffers.Probability.AsSpan(0, n).CopyTo(probability.Slice(start));
                }
                finally
                {
                    bound.Release();
                }
            }
        }
        finally
        {
            Return(buffers);
        }
    }

    public void Dispose()
    {
        lock (_lifetime)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            while (_running > 0)
            {
                Monitor.Wait(_lifetime);
            }
        }

        while (_pool.TryTake(out var buffers))
        {
            buffers.Dispose();
        }

        _session.Dispose();
        _sessionOptions.Dispose();
    }

    private static SessionOptions NewSessionOptions(EfficacyModelOptions options) => new()
    {
        IntraOpNumThreads = options.IntraOpThreads,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
    };

    private static (InferenceSession? Session, SessionOptions? Options, string? Failure) TryCuda(byte[] onnx, EfficacyModelOptions options)
    {
        var sessionOptions = NewSessionOptions(options);
        // Why catch everything: a missing CUDA library surfaces as OnnxRuntimeException at append time, a host with the
        // libraries but no driver or device fails later in session creation, and an ORT build without CUDA throws
        // EntryPointNotFoundException. Each means "not on CUDA here"; the caller decides between fallback and refusal.
#pragma warning disable CA1031
        try
        {
            sessionOptions.AppendExecutionProvider_CUDA(options.DeviceId);
            return (new InferenceSession(onnx, sessionOptions), sessionOptions, null);
        }
        catch (Exception ex)
        {
            sessionOptions.Dispose();
            var message = ex.GetBaseException().Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? ex.GetType().Name;
            return (null, null, $"{ex.GetType().Name}: {message}");
        }
#pragma warning restore CA1031
    }

    private static void RequireLength(int actual, int expected, string name)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"{name} holds {actual} values; {expected} expected for this many rows.", name);
        }
    }

    /// <summary>One row per therapy with neutral features; every output must come back finite.</summary>
    private string? WarmUp()
    {
        var rows = TherapyWidth;
        var therapy = new float[rows * TherapyWidth];
        for (var i = 0; i < rows; i++)
        {
            therapy[(i * TherapyWidth) + i] = 1f;
        }

        var probability = new float[rows];
        var members = new float[rows * MemberCount];
        var embedding = new float[rows * EmbeddingWidth];
        try
        {
            Run(new float[rows * ClinicalWidth], new float[rows * GenomicWidth], therapy, probability, members, embedding);
        }
        catch (OnnxRuntimeException ex)
        {
            return ex.Message;
        }

        return probability.Concat(members).Concat(embedding).All(float.IsFinite) ? null : "the model returned non-finite values";
    }

    private RunBuffers Rent() => _pool.TryTake(out var buffers) ? buffers : new RunBuffers(this, _batchSize);

    private void Return(RunBuffers buffers)
    {
        if (_disposed || _pool.Count >= _maxPooled)
        {
            buffers.Dispose();
        }
        else
        {
            _pool.Add(buffers);
        }
    }

    /// <summary>
    /// Pinned input and output arrays for one chunk, used by one caller at a time, with <see cref="OrtValue"/>s over
    /// them cached per row count (a patient's all-therapy batch and full chunks repeat; odd sizes are bound per run).
    /// </summary>
    private sealed class RunBuffers : IDisposable
    {
        private const int MaxCachedShapes = 8;
        private readonly EfficacyModelRuntime _runtime;
        private readonly Dictionary<int, Bound> _bound = [];

        public RunBuffers(EfficacyModelRuntime runtime, int capacity)
        {
            _runtime = runtime;
            Clinical = new float[capacity * runtime.ClinicalWidth];
            Genomic = new float[capacity * runtime.GenomicWidth];
            Therapy = new float[capacity * runtime.TherapyWidth];
            Members = new float[capacity * runtime.MemberCount];
            Probability = new float[capacity];
            Embedding = new float[capacity * runtime.EmbeddingWidth];
        }

        public RunOptions RunOptions { get; } = new();

        public float[] Clinical { get; }

        public float[] Genomic { get; }

        public float[] Therapy { get; }

        public float[] Members { get; }

        public float[] Probability { get; }

        public float[] Embedding { get; }

        public Bound Bind(int rows)
        {
            if (_bound.TryGetValue(rows, out var bound))
            {
                return bound;
            }

            bound = Create(rows, cached: _bound.Count < MaxCachedShapes);
            if (bound.Cached)
            {
                _bound[rows] = bound;
            }

            return bound;
        }

        public void Dispose()
        {
            foreach (var bound in _bound.Values)
            {
                bound.Dispose();
            }

            _bound.Clear();
            RunOptions.Dispose();
        }

        private Bound Create(int rows, bool cached)
        {
            var r = _runtime;
            OrtValue Tensor(float[] array, int width) => width == 0
                ? OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, array.AsMemory(0, rows), [rows])
                : OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, array.AsMemory(0, rows * width), [rows, width]);
            var probability = Tensor(Probability, 0);
            return new Bound(
                [Tensor(Clinical, r.ClinicalWidth), Tensor(Genomic, r.GenomicWidth), Tensor(Therapy, r.TherapyWidth)],
                [Tensor(Members, r.MemberCount), probability, Tensor(Embedding, r.EmbeddingWidth)],
                [probability],
                cached);
        }
    }

    private sealed record Bound(OrtValue[] Inputs, OrtValue[] AllOutputs, OrtValue[] ProbabilityOutput, bool Cached) : IDisposable
    {
        /// <summary>After a run: uncached bindings (unusual batch sizes) are freed at once.</summary>
        public void Release()
        {
            if (!Cached)
            {
                Dispose();
            }
        }

        public void Dispose()
        {
            foreach (var value in Inputs.Concat(AllOutputs))
            {
                value.Dispose();
            }
        }
    }
}
