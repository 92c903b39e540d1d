using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Hl7.Fhir.Serialization;
using Microsoft.ML.OnnxRuntime;
using Precision.Clinical;
using Precision.Clinical.Catalog;
using Precision.Cohort;
using Precision.Fhir;
using Precision.Inference.Explanations;
using Precision.Inference.Features;
using Precision.Inference.Runtime;
using Precision.Portal.Testing;

namespace Precision.Portal.Benchmarks;

public sealed class ShapleyBenchmarkConfig : ManualConfig
{
    public ShapleyBenchmarkConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithStrategy(RunStrategy.Monitoring)
            .WithLaunchCount(1)
            .WithWarmupCount(1)
            .WithIterationCount(3));
        AddColumn(StatisticColumn.P50, StatisticColumn.Min, StatisticColumn.Max);
    }
}

/// <summary>
/// Exact Shapley explanations of one patient for all 22 therapies of the served model (2.0.0) (ONNX Runtime CPU, one intra-op
/// thread), at k = 8, 10, 12, 14 players: the portal's way (clinical and genomic halves evaluated once each,
/// <see cref="SeparableEnsemble"/>, on every core and on one), every distinct row through the runtime, against the
/// naive way (one Run per coalition) and against raw <c>InferenceSession.Run</c> on the same number of rows. Patients are generated (seed 42) and chosen
/// as the first with exactly k players; the reference sample is the served model's reference population (same cohort and
/// feature schema), cut to the default 32 rows.
/// </summary>
[Config(typeof(ShapleyBenchmarkConfig))]
public class ShapleyBenchmarks
{
    private ShapleySetup _setup = null!;
    private ShapleyEngine _engine = null!;
    private ShapleyEngine _engineAllRows = null!;
    private ShapleyEngine _engineSeparable = null!;
    private ShapleyEngine _engineSeparableOneThread = null!;
    private PatientFeatures _patient = null!;
    private IReadOnlyList<ExplanationPlayer> _players = [];
    private long _allRows;
    private long _distinctRows;

    [Params(8, 10, 12, 14)]
    public int Players { get; set; }

    [GlobalSetup]
    public void SetUp()
    {
        _setup = new ShapleySetup();
        (_patient, _players) = _setup.PatientWithPlayers(Players);
        _engine = new ShapleyEngine(_setup.Scorer, _setup.Reference);
        _engineAllRows = new ShapleyEngine(_setup.Scorer, _setup.Reference, new ShapleyOptions { SkipIdenticalRows = false });
        _engineSeparable = new ShapleyEngine(_setup.Scorer, _setup.Reference, null, _setup.Separable);
        _engineSeparableOneThread = new ShapleyEngine(_setup.Scorer, _setup.Reference, new ShapleyOptions { MaxDegreeOfParallelism = 1 }, _setup.Separable);
        var (separable, rows) = (_engineSeparable.Compute(_patient, _players, _setup.Therapies), _engine.Compute(_patient, _players, _setup.Therapies));
        var largest = _setup.Therapies.SelectMany((_, t) => Enumerable.Range(0, _players.Count).Select(p => Math.Abs(separable.Value(t, p) - rows.Value(t, p)))).Max();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// separable vs every distinct row through the runtime: largest |phi| difference {largest:E1}; parity at setup {_setup.Separable.MaxDifference:E1}"));
        _allRows = _engineAllRows.ExactRowCount(_patient, _players, _setup.Therapies.Length);
        _distinctRows = _engine.ExactRowCount(_patient, _players, _setup.Therapies.Length);
        Console.WriteLine($"// k = {Players}: {string.Join(" | ", _players.Select(p => p.Name))}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// rows: all {_allRows:N0}, distinct {_distinctRows:N0} ({(double)_allRows / _distinctRows:F2}x fewer); reference {_engine.Reference.Count}"));
    }

    [GlobalCleanup]
    public void CleanUp() => _setup.Dispose();

    [Benchmark(Description = "Exact Shapley, separable halves (portal default)")]
    public double ExactSeparable() => Sum(_engineSeparable.Compute(_patient, _players, _setup.Therapies));

    [Benchmark(Description = "Exact Shapley, separable halves, one thread")]
    public double ExactSeparableOneThread() => Sum(_engineSeparableOneThread.Compute(_patient, _players, _setup.Therapies));

    [Benchmark(Description = "Exact Shapley, batched runtime rows, identical rows skipped")]
    public double Exact() => Sum(_engine.Compute(_patient, _players, _setup.Therapies));

    [Benchmark(Description = "Exact Shapley, batched, every row scored")]
    public double ExactAllRows() => Sum(_engineAllRows.Compute(_patient, _players, _setup.Therapies));

    [Benchmark(Description = "Naive: one Run per coalition (reference x therapies rows each)")]
    public double Naive() => NaiveShapley.Sum(_setup.Scorer, _setup.Reference, _patient, _players, _setup.Therapies);

    [Benchmark(Description = "Raw Run, as many rows as every row scored")]
    public float RawAllRows() => _setup.RawRun(_allRows);

    [Benchmark(Description = "Raw Run, as many rows as the distinct rows")]
    public float RawDistinctRows() => _setup.RawRun(_distinctRows);

    private static double Sum(ShapleyValues values) => Enumerable.Range(0, values.PlayerCount).Sum(p => values.Value(0, p));
}

/// <summary>Exact Shapley at k = 12 for all therapies as the reference sample grows: the cost/precision trade-off.</summary>
[Config(typeof(ShapleyBenchmarkConfig))]
public class ShapleyReferenceSizeBenchmarks
{
    private ShapleySetup _setup = null!;
    private ShapleyEngine _engine = null!;
    private PatientFeatures _patient = null!;
    private IReadOnlyList<ExplanationPlayer> _players = [];

    [Params(4, 8, 16, 32, 64)]
    public int ReferenceRows { get; set; }

    [GlobalSetup]
    public void SetUp()
    {
        _setup = new ShapleySetup();
        (_patient, _players) = _setup.PatientWithPlayers(12);
        _engine = new ShapleyEngine(_setup.Scorer, _setup.FullReference, new ShapleyOptions { ReferenceSize = ReferenceRows });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// reference {ReferenceRows}: distinct rows {_engine.ExactRowCount(_patient, _players, _setup.Therapies.Length):N0}"));

        // Precision: the same explanation against all 100 reference rows of the model's reference population.
        var all = new ShapleyEngine(_setup.Scorer, _setup.FullReference, new ShapleyOptions { ReferenceSize = 100 }).Compute(_patient, _players, _setup.Therapies);
        var some = _engine.Compute(_patient, _players, _setup.Therapies);
        var deviations = _setup.Therapies.Select((_, t) => Enumerable.Range(0, _players.Count).Select(p => Math.Abs(some.Value(t, p) - all.Value(t, p)))).SelectMany(d => d).ToList();
        var baselines = _setup.Therapies.Select((_, t) => Math.Abs(some.Baseline(t) - all.Baseline(t))).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"// reference {ReferenceRows} vs 100: |phi| deviation mean {deviations.Average():F4}, p95 {deviations.Order().ElementAt((int)(0.95 * deviations.Count)):F4}, max {deviations.Max():F4}; baseline deviation mean {baselines.Average():F4}, max {baselines.Max():F4}; mean |phi| at 100: {_setup.Therapies.Select((_, t) => Enumerable.Range(0, _players.Count).Average(p => Math.Abs(all.Value(t, p)))).Average():F4}"));
    }

    [GlobalCleanup]
    public void CleanUp() => _setup.Dispose();

    [Benchmark(Description = "Exact Shapley k = 12, all therapies")]
    public double Exact()
    {
        var values = _engine.Compute(_patient, _players, _setup.Therapies);
        return values.Value(0, 0);
    }
}

/// <summary>Exact Shapley at k = 8, 10, 12, 14 for one therapy (the explanation a clinician opens), default 32 reference rows.</summary>
[Config(typeof(ShapleyBenchmarkConfig))]
public class ShapleyOneTherapyBenchmarks
{
    private ShapleySetup _setup = null!;
    private ShapleyEngine _engine = null!;
    private ShapleyEngine _separable = null!;
    private PatientFeatures _patient = null!;
    private IReadOnlyList<ExplanationPlayer> _players = [];

    [Params(8, 10, 12, 14)]
    public int Players { get; set; }

    [GlobalSetup]
    public void SetUp()
    {
        _setup = new ShapleySetup();
        (_patient, _players) = _setup.PatientWithPlayers(Players);
        _engine = new ShapleyEngine(_setup.Scorer, _setup.Reference);
        _separable = new ShapleyEngine(_setup.Scorer, _setup.Reference, null, _setup.Separable);
    }

    [GlobalCleanup]
    public void CleanUp() => _setup.Dispose();

    [Benchmark(Description = "Exact Shapley, one therapy, runtime rows")]
    public double Exact() => _engine.Compute(_patient, _players, [9]).Value(0, 0);

    [Benchmark(Description = "Exact Shapley, one therapy, separable halves")]
    public double ExactSeparable() => _separable.Compute(_patient, _players, [9]).Value(0, 0);
}

/// <summary>Exact Shapley at k = 10 for all therapies by the number of rows per Run call (the engine's chunk size).</summary>
[Config(typeof(ShapleyBenchmarkConfig))]
public class ShapleyRunSizeBenchmarks
{
    private ShapleySetup _setup = null!;
    private ShapleyEngine _engine = null!;
    private PatientFeatures _patient = null!;
    private IReadOnlyList<ExplanationPlayer> _players = [];

    [Params(704, 2048, 4096, 16384, 65536)]
    public int RowsPerRun { get; set; }

    [GlobalSetup]
    public void SetUp()
    {
        _setup = new ShapleySetup();
        (_patient, _players) = _setup.PatientWithPlayers(10);
        _engine = new ShapleyEngine(_setup.Scorer, _setup.Reference, new ShapleyOptions { MaxRowsPerRun = RowsPerRun });
    }

    [GlobalCleanup]
    public void CleanUp() => _setup.Dispose();

    [Benchmark(Description = "Exact Shapley k = 10, all therapies")]
    public double Exact() => _engine.Compute(_patient, _players, _setup.Therapies).Value(0, 0);
}

/// <summary>The engine's own cost: exact Shapley for all therapies with a scorer that returns at once (every row scored).</summary>
[Config(typeof(ShapleyBenchmarkConfig))]
public class ShapleyOverheadBenchmarks
{
    private ShapleySetup _setup = null!;
    private ShapleyEngine _engine = null!;
    private PatientFeatures _patient = null!;
    private IReadOnlyList<ExplanationPlayer> _players = [];

    [Params(8, 10, 12, 14)]
    public int Players { get; set; }

    [GlobalSetup]
    public void SetUp()
    {
        _setup = new ShapleySetup();
        (_patient, _players) = _setup.PatientWithPlayers(Players);
        _engine = new ShapleyEngine(new ConstantScorer(_setup.Scorer), _setup.Reference, new ShapleyOptions { SkipIdenticalRows = false });
    }

    [GlobalCleanup]
    public void CleanUp() => _setup.Dispose();

    [Benchmark(Description = "Exact Shapley, every row built, no model")]
    public double Exact() => _engine.Compute(_patient, _players, _setup.Therapies).Value(0, 0);

    private sealed class ConstantScorer(IBatchScorer shape) : IBatchScorer
    {
        public int ClinicalWidth => shape.ClinicalWidth;

        public int GenomicWidth => shape.GenomicWidth;

        public int TherapyWidth => shape.TherapyWidth;

        public void Score(ReadOnlySpan<float> clinical, ReadOnlySpan<float> genomic, ReadOnlySpan<float> therapy, Span<float> output) => output.Fill(0.5f);
    }
}

/// <summary>The naive way, for comparison: every coalition its own Run of reference rows × therapies.</summary>
internal static class NaiveShapley
{
    public static double Sum(IBatchScorer scorer, ReferenceSample reference, PatientFeatures x, IReadOnlyList<ExplanationPlayer> players, int[] therapies)
    {
        int k = players.Count, t = therapies.Length, r = reference.Count, c = scorer.ClinicalWidth, g = scorer.GenomicWidth, tw = scorer.TherapyWidth;
        var clinical = new float[r * t * c];
        var genomic = new float[r * t * g];
        var therapy = new float[r * t * tw];
        var output = new float[r * t];
        for (var row = 0; row < r * t; row++)
        {
            therapy[(row * tw) + therapies[row % t]] = 1f;
        }

        var value = new double[(1 << k) * t];
        for (var s = 0; s < 1 << k; s++)
        {
            for (var i = 0; i < r; i++)
            {
                var rowClinical = reference.Clinical.Slice(i * c, c).ToArray();
                var rowGenomic = reference.Genomic.Slice(i * g, g).ToArray();
                for (var p = 0; p < k; p++)
                {
                    if ((s & (1 << p)) != 0)
                    {
                        foreach (var f in players[p].ClinicalFeatures)
                        {
                            rowClinical[f] = x.Clinical[f];
                        }

                        foreach (var f in players[p].GenomicFeatures)
                        {
                            rowGenomic[f] = x.Genomic[f];
                        }
                    }
                }

                for (var j = 0; j < t; j++)
                {
                    rowClinical.CopyTo(clinical, ((i * t) + j) * c);
                    rowGenomic.CopyTo(genomic, ((i * t) + j) * g);
                }
            }

            scorer.Score(clinical, genomic, therapy, output);
            for (var row = 0; row < r * t; row++)
            {
                value[(s * t) + (row % t)] += output[row] / (double)r;
            }
        }

        var sum = 0.0;
        for (var p = 0; p < k; p++)
        {
            for (var s = 0; s < 1 << k; s++)
            {
                if ((s & (1 << p)) == 0)
                {
                    var size = System.Numerics.BitOperations.PopCount((uint)s);
                    var weight = 1.0 / (k * Binomial(k - 1, size));
                    sum += weight * (value[(s | (1 << p)) * t] - value[s * t]);
                }
            }
        }

        return sum;
    }

    private static double Binomial(int n, int k)
    {
        var result = 1.0;
        for (var i = 1; i <= k; i++)
        {
            result = result * (n - k + i) / i;
        }

        return result;
    }
}

/// <summary>The served model in ONNX Runtime (CPU, one intra-op thread) and its separable evaluation, the reference sample, generated patients by player count.</summary>
internal sealed class ShapleySetup : IDisposable
{
    /// <summary>The version the portal serves by default (feature layout V2: its head also reads the re-challenge input).</summary>
    public const string ServedVersion = "2.0.0";

    public static readonly DateOnly AsOf = new(2025, 6, 30);

    /// <summary>The model version timed.</summary>
    public string Version { get; }
    private static readonly string[] InputNames = ["clinical", "genomic", "therapy"];
    private static readonly string[] OutputNames = ["probability"];
    private readonly InferenceSession _session;
    private readonly PatientFeaturizer _featurizer;
    private readonly TherapyCatalog _catalog;
    private readonly OrtValue[] _rawInputs;
    private readonly OrtValue _rawOutput;
    private readonly RunOptions _runOptions = new();
    private readonly int _rawRows;

    /// <param name="version">The committed model version (default the served one; <c>PRECISION_BENCH_MODEL</c> overrides it, to compare versions in one session).</param>
    public ShapleySetup(string? version = null)
    {
        var root = RepositoryRoot.Path;
        version ??= Environment.GetEnvironmentVariable("PRECISION_BENCH_MODEL") ?? ServedVersion;
        Version = version;
        _catalog = TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault(root));
        // The model's own feature layout, as the portal featurizes for it (1.x: V1).
        var current = new PatientFeaturizer(_catalog);
        var hash = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(root, "models", "efficacy", version, "manifest.json")))!["featureSchema"]!["hash"]!.GetValue<string>();
        _featurizer = current.For(current.Schema.Find(hash) ?? throw new InvalidOperationException($"Model {version} has a feature schema this featurizer cannot produce."));
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        var model = Path.Combine(root, "models", "efficacy", version, "model.onnx");
        _session = new InferenceSession(model, options);
        var schema = _featurizer.Schema;
        Scorer = new OrtSessionScorer(_session, schema.Clinical.Count, schema.Genomic.Count, schema.TherapyIds.Count);
        FullReference = ReferenceSample.Load(Path.Combine(root, "models", "efficacy", version, "reference-population.json"), schema);
        Separable = SeparableEnsemble.TryCreate(File.ReadAllBytes(model), out var reason) ?? throw new InvalidOperationException(reason);
        Separable.CheckAgainst(Scorer, FullReference);
        Reference = FullReference.Take(new ShapleyOptions().ReferenceSize);
        Therapies = [.. Enumerable.Range(0, schema.TherapyIds.Count)];

        // Raw Run: the engine's run size (4,096 rows rounded down to a multiple of the 22 therapies), inputs prepared once.
        _rawRows = new ShapleyOptions().MaxRowsPerRun / Therapies.Length * Therapies.Length;
        var random = new Random(1);
        float[] Random(int n) => [.. Enumerable.Range(0, n).Select(_ => random.NextSingle())];
        var therapy = new float[_rawRows * schema.TherapyIds.Count];
        for (var row = 0; row < _rawRows; row++)
        {
            therapy[(row * schema.TherapyIds.Count) + (row % schema.TherapyIds.Count)] = 1f;
        }

        _rawInputs =
        [
            OrtValue.CreateTensorValueFromMemory(Random(_rawRows * schema.Clinical.Count), [_rawRows, schema.Clinical.Count]),
            OrtValue.CreateTensorValueFromMemory(Random(_rawRows * schema.Genomic.Count), [_rawRows, schema.Genomic.Count]),
            OrtValue.CreateTensorValueFromMemory(therapy, [_rawRows, schema.TherapyIds.Count]),
        ];
        _rawOutput = OrtValue.CreateTensorValueFromMemory(new float[_rawRows], [_rawRows]);
    }

    public OrtSessionScorer Scorer { get; }

    /// <summary>The model's separable evaluation, checked against <see cref="Scorer"/> on the full reference population.</summary>
    public SeparableEnsemble Separable { get; }

    public ReferenceSample FullReference { get; }

    public ReferenceSample Reference { get; }

    public int[] Therapies { get; }

    /// <summary>
    /// The first generated patient (seed 42, as of 2025-06-30, at their next line) with exactly <paramref name="k"/>
    /// players; when none of the first 300 has (generated records are rich: most have 10–14), the first with more,
    /// its last fact players folded into the residual player.
    /// </summary>
    public (PatientFeatures Features, IReadOnlyList<ExplanationPlayer> Players) PatientWithPlayers(int k)
    {
        var generator = new CohortGenerator(_catalog);
        var mapper = new PatientProfileMapper(new CatalogTherapyResolver(_catalog));
        (PatientFeatures, IReadOnlyList<ExplanationPlayer>, string)? larger = null;
        for (var index = 1; index <= 300; index++)
        {
            var generated = generator.GeneratePatient(42, index);
            var profile = mapper.Map(generated.Patient.Id, TransactionBundles.ResourcesWithLocalReferences(generated.Bundle.ToJson()));
            var features = _featurizer.Featurize(profile, AsOf, profile.TherapyLines.Count);
            var players = ExplanationPlayers.Build(profile, features, _featurizer.Schema, AsOf, profile.TherapyLines.Count);
            if (players.Count == k)
            {
                Console.WriteLine($"// patient {profile.PatientId} has {k} players");
                return (features, players);
            }

            larger ??= players.Count > k ? (features, players, profile.PatientId) : null;
        }

        var (x, all, id) = larger ?? throw new InvalidOperationException($"No generated patient among the first 300 has {k} or more players.");
        var folded = all.Skip(k - 1).ToList();
        Console.WriteLine($"// patient {id} has {all.Count} players; folded into the residual: {string.Join(" | ", folded.SkipLast(1).Select(p => p.Name))}");
        return (x, [.. all.Take(k - 1), new ExplanationPlayer(
            ExplanationPlayers.OtherFactsName, PlayerKind.OtherFacts,
            [.. folded.SelectMany(p => p.ClinicalFeatures)], [.. folded.SelectMany(p => p.GenomicFeatures)], [.. folded.SelectMany(p => p.Sources)])]);
    }

    /// <summary>InferenceSession.Run on prepared inputs until <paramref name="rows"/> rows are scored (the last run is a full one).</summary>
    public float RawRun(long rows)
    {
        for (long done = 0; done < rows; done += _rawRows)
        {
            _session.Run(_runOptions, InputNames, _rawInputs, OutputNames, [_rawOutput]);
        }

        return _rawOutput.GetTensorDataAsSpan<float>()[0];
    }

    public void Dispose()
    {
        foreach (var input in _rawInputs)
        {
            input.Dispose();
        }

        _rawOutput.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }
}

/// <summary>A minimal <see cref="IBatchScorer"/> over one session (the portal's own adapter is in src/Inference/Runtime): copies spans into reused buffers.</summary>
internal sealed class OrtSessionScorer(InferenceSession session, int clinicalWidth, int genomicWidth, int therapyWidth) : IBatchScorer
{
    private static readonly string[] InputNames = ["clinical", "genomic", "therapy"];
    private static readonly string[] OutputNames = ["probability"];
    private readonly RunOptions _runOptions = new();
    private float[] _clinical = [];
    private float[] _genomic = [];
    private float[] _therapy = [];
    private float[] _output = [];

    public int ClinicalWidth => clinicalWidth;

    public int GenomicWidth => genomicWidth;

    public int TherapyWidth => therapyWidth;

    public void Score(ReadOnlySpan<float> clinical, ReadOnlySpan<float> genomic, ReadOnlySpan<float> therapy, Span<float> output)
    {
        var rows = output.Length;
        if (_output.Length < rows)
        {
            _clinical = new float[rows * clinicalWidth];
            _genomic = new float[rows * genomicWidth];
            _therapy = new float[rows * therapyWidth];
            _output = new float[rows];
        }

        clinical.CopyTo(_clinical);
        genomic.CopyTo(_genomic);
        therapy.CopyTo(_therapy);
        using var c = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _clinical.AsMemory(0, rows * clinicalWidth), [rows, clinicalWidth]);
        using var g = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _genomic.AsMemory(0, rows * genomicWidth), [rows, genomicWidth]);
        using var t = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _therapy.AsMemory(0, rows * therapyWidth), [rows, therapyWidth]);
        using var o = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _output.AsMemory(0, rows), [rows]);
        session.Run(_runOptions, InputNames, [c, g, t], OutputNames, [o]);
        _output.AsSpan(0, rows).CopyTo(output);
    }
}
