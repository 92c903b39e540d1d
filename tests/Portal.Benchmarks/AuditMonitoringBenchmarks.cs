using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;
using Precision.Clinical.Catalog;
using Precision.Inference.Features;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.Monitoring;
using Precision.Portal.Server.Audit;
using Precision.Portal.Server.Compliance.Monitoring;

namespace Precision.Portal.Benchmarks;

/// <summary>
/// Compliance → Model monitoring on a 1M-event trail spread over one year, as the page asks for it (both aggregation
/// queries and the folding into buckets and tables). Its own seed: 20 % predictions with realistic details (≈ 5 KB: full
/// feature vectors, sources, 22 outputs, applicability), 5 % feedback naming earlier predictions, the rest views and sign-ins.
/// </summary>
[Config(typeof(AuditMonitoringBenchmarkConfig))]
public class AuditMonitoringBenchmarks
{
    private static readonly Dictionary<string, AuditBenchmarkDatabase> Trails = [];
    private PredictionMonitoringService _monitoring = null!;

    [ParamsSource(typeof(AuditBenchmarkEngines), nameof(AuditBenchmarkEngines.Selected))]
    public string Engine { get; set; } = AuditBenchmarkEngines.Sqlite;

    [Params("7-days", "30-days", "1-year")]
    public string Window { get; set; } = "30-days";

    private MonitoringQuery _query = null!;

    [GlobalSetup]
    public async Task SetUp()
    {
        var catalog = TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault(AppContext.BaseDirectory));
        if (!Trails.TryGetValue(Engine, out var database))
        {
            var seed = new MonitoringSeed(catalog);
            database = new AuditBenchmarkDatabase(Engine, seed.Clock);
            var started = System.Diagnostics.Stopwatch.StartNew();
            await seed.SeedAsync(database.Store, 1_000_000);
            Console.WriteLine($"// Seeded 1,000,000 monitoring events on {Engine} in {started.Elapsed.TotalSeconds:0.0} s");
            await database.AnalyzeAsync();
            Trails[Engine] = database;
        }

        _monitoring = new PredictionMonitoringService(database.Store, catalog);
        _query = Window switch
        {
            "7-days" => new MonitoringQuery(new DateOnly(2025, 6, 2), new DateOnly(2025, 6, 8)),
            "1-year" => new MonitoringQuery(MonitoringSeed.FirstDay, MonitoringSeed.FirstDay.AddDays(364)),
            _ => new MonitoringQuery(new DateOnly(2025, 6, 1), new DateOnly(2025, 6, 30)),
        };
    }

    [Benchmark]
    public async Task<int> Monitoring()
    {
        var report = await _monitoring.ReadAsync(_query);
        return report.Predictions == 0 ? throw new InvalidOperationException($"No predictions in {Window}") : report.Predictions;
    }
}

/// <summary>As <see cref="AuditQueryBenchmarkConfig"/>, with room for seeding 1M large events in the global setup (minutes on a busy machine).</summary>
public sealed class AuditMonitoringBenchmarkConfig : BenchmarkDotNet.Configs.ManualConfig
{
    public AuditMonitoringBenchmarkConfig()
    {
        AddJob(BenchmarkDotNet.Jobs.Job.Default
            .WithToolchain(new BenchmarkDotNet.Toolchains.InProcess.Emit.InProcessEmitToolchain(TimeSpan.FromMinutes(40), logOutput: true))
            .WithLaunchCount(1)
            .WithWarmupCount(2)
            .WithIterationCount(5));
        AddColumn(BenchmarkDotNet.Columns.StatisticColumn.P95);
    }
}

/// <summary>Events as the portal records them, one every 31.5 s of 2025 (1M events = one year).</summary>
internal sealed class MonitoringSeed(TherapyCatalog catalog)
{
    public static readonly DateOnly FirstDay = new(2025, 1, 1);

    private static readonly string[] Cancers = ["NonSmallCellLungCancer", "ColorectalCancer", "BreastCancer", "Melanoma", "OvarianCancer", "PancreaticCancer", "Other"];
    private readonly FeatureSchema _schema = new PatientFeaturizer(catalog, FeatureLayout.V1).Schema; // 1.1.0 events, read by position
    private readonly List<Guid> _recentPredictions = [];

    public AdvancingClock Clock { get; } = new(new DateTimeOffset(FirstDay.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero), TimeSpan.FromSeconds(31.5));

    public async Task SeedAsync(IChainedAuditStore store, int count)
    {
        const int inFlight = 8192;
        for (var start = 0; start < count; start += inFlight)
        {
            var size = Math.Min(inFlight, count - start);
            var appends = new Task<AuditEvent>[size];
            for (var i = 0; i < size; i++)
            {
                appends[i] = store.AppendAsync(Event(start + i));
            }

            var written = await Task.WhenAll(appends);
            _recentPredictions.Clear();
            _recentPredictions.AddRange(written.Where(e => e.Action is AuditActions.PredictionCreate or AuditActions.PredictionWhatIf).Select(e => e.Id));
        }
    }

    private NewAuditEvent Event(int n)
    {
        var actor = new AuditActor($"sub-{n % 50:D4}", $"Clinician {n % 50}", ["clinician"]);
        var patient = $"Patient/{n % 5000}";
        return (n % 20) switch
        {
            0 or 1 => new(actor, AuditActions.SignIn, AuditOutcome.Success, null, "portal-session", null, "10.20.30.40", $"c-{n}"),
            2 or 3 or 4 => new(actor, n % 3 == 0 ? AuditActions.PredictionWhatIf : AuditActions.PredictionCreate, AuditOutcome.Success, patient, "efficacy-model", PredictionDetails(n), "10.20.30.40", $"c-{n}"),
            5 => new(actor, AuditActions.PredictionCreate, AuditOutcome.Success, patient, "efficacy-model", PredictionDetails(n), "10.20.30.40", $"c-{n}"),
            6 => new(actor, AuditActions.PredictionFeedback, AuditOutcome.Success, patient, "efficacy-model", FeedbackDetails(n), "10.20.30.40", $"c-{n}"),
            _ => new(actor, AuditActions.PatientView, AuditOutcome.Success, patient, "/patients/{id}", """{"queries":["Patient","Condition","Observation","MedicationStatement","DiagnosticReport"]}""", "10.20.30.40", $"c-{n}"),
        };
    }

    private string PredictionDetails(int n)
    {
        var random = new Random(n);
        var clinical = new float[_schema.Clinical.Count];
        for (var i = 28; i < clinical.Length; i++)
        {
            clinical[i] = MathF.Round(random.NextSingle(), 4);
        }

        clinical[0] = (35 + random.Next(50)) / 10f; // age_decades
        clinical[2 + (n % 2)] = 1; // sex_female / sex_male
        clinical[4 + (((n / 7) % Cancers.Length + 1) % Cancers.Length)] = 1;
        var level = (n % 25) switch { 0 or 1 => "OutOfDistribution", 2 or 3 or 4 => "Caution", _ => "InDistribution" };
        var json = new StringBuilder(6000);
        json.Append(CultureInfo.InvariantCulture, $$"""{"modelVersion":"1.1.0","onnxSha256":"06fc9da4e1d39f451b77f1d4eb203b5e87007557d70db7d930e31bd7445a7624","featureSchemaHash":"{{_schema.Hash}}","executionProvider":"CPU","asOf":"2025-06-01","priorLines":1,"whatIf":[],"inputs":{"clinical":[""");
        json.AppendJoin(',', clinical.Select(v => v.ToString(CultureInfo.InvariantCulture)));
        json.Append("],\"genomic\":[");
        json.AppendJoin(',', Enumerable.Range(0, _schema.Genomic.Count).Select(i => (i % 9 == n % 9 ? 1 : 0).ToString(CultureInfo.InvariantCulture)));
        json.Append("],\"sources\":[");
        json.AppendJoin(',', Enumerable.Range(0, 30).Select(i => $"\"Observation/obs-{n}-{i}/_history/1\""));
        json.Append("]},\"outputs\":[");
        json.AppendJoin(',', catalog.Therapies.Select(t => string.Create(CultureInfo.InvariantCulture,
            $$"""{"therapy":"{{t.Id}}","probability":{{random.NextDouble()}},"ensembleMean":{{random.NextDouble()}},"intervalLow":{{random.NextDouble()}},"intervalHigh":{{random.NextDouble()}}}""")));
        json.Append("],\"applicability\":{\"level\":\"").Append(level).Append("\",\"reasons\":[]}}");
        return json.ToString();
    }

    private string FeedbackDetails(int n)
    {
        var prediction = _recentPredictions.Count > 0 ? _recentPredictions[n % _recentPredictions.Count] : Guid.CreateVersion7();
        var agrees = n % 5 != 0;
        return string.Create(CultureInfo.InvariantCulture,
            $$"""{"predictionAuditId":"{{prediction}}","therapy":"{{catalog.Therapies[n % catalog.Therapies.Count].Id}}","agrees":{{(agrees ? "true" : "false")}},"reason":{{(agrees ? "null" : "\"PatientPreference\"")}},"comment":null,"modelVersion":"1.1.0"}""");
    }
}

/// <summary>Each reading is one step later: appends get evenly spread times whatever their batching.</summary>
internal sealed class AdvancingClock(DateTimeOffset start, TimeSpan step) : TimeProvider
{
    private long _readings;

    public override DateTimeOffset GetUtcNow() => start + (step * Interlocked.Increment(ref _readings));
}
