using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;
using Precision.Portal.Client.Audit;
using Precision.Portal.Server.Audit;

namespace Precision.Portal.Benchmarks;

/// <summary>
/// Few, long iterations: each one does real file I/O, and the 1M-event case must finish in minutes.
/// In-process because BenchmarkDotNet 0.15 looks for a project file named after the assembly
/// (Precision.Portal.Benchmarks.csproj) and this one is Portal.Benchmarks.csproj.
/// </summary>
public sealed class AuditBenchmarkConfig : ManualConfig
{
    public AuditBenchmarkConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithStrategy(RunStrategy.Monitoring)
            .WithLaunchCount(1)
            .WithWarmupCount(1)
            .WithIterationCount(3));
        AddColumn(StatisticColumn.OperationsPerSecond);
    }
}

/// <summary>Millisecond queries: BenchmarkDotNet picks the invocation count; few iterations so 1M-event setups stay affordable.</summary>
public sealed class AuditQueryBenchmarkConfig : ManualConfig
{
    public AuditQueryBenchmarkConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(2)
            .WithIterationCount(5));
        AddColumn(StatisticColumn.P95);
    }
}

public static class AuditBenchmarkEngines
{
    public const string Sqlite = "Sqlite";
    public const string PostgreSql = "PostgreSql";

    /// <summary>Both engines, or those named in <c>PRECISION_BENCH_ENGINES</c> (comma separated).</summary>
    public static IEnumerable<string> Selected =>
        Environment.GetEnvironmentVariable("PRECISION_BENCH_ENGINES") is { Length: > 0 } names
            ? names.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            : [Sqlite, PostgreSql];
}

/// <summary>
/// A throwaway audit trail: an SQLite file in the temp directory, or a fresh schema in the PostgreSQL database named by
/// <c>PRECISION_BENCH_POSTGRES</c> (else <c>PRECISION_TEST_POSTGRES</c>; <c>bash infra/test/postgres.sh -- dotnet run …</c> starts one).
/// </summary>
internal sealed class AuditBenchmarkDatabase : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "precision-audit-bench", Guid.NewGuid().ToString("N"));
    private readonly string? _schema;
    private readonly string? _adminConnectionString;

    public AuditBenchmarkDatabase(string engine = AuditBenchmarkEngines.Sqlite, TimeProvider? time = null)
    {
        if (engine == AuditBenchmarkEngines.Sqlite)
        {
            Store = new SqliteAuditStore(new AuditStoreOptions { DataDirectory = _directory }, time);
            return;
        }

        _adminConnectionString = Environment.GetEnvironmentVariable("PRECISION_BENCH_POSTGRES") is { Length: > 0 } bench ? bench
            : Environment.GetEnvironmentVariable("PRECISION_TEST_POSTGRES") is { Length: > 0 } test ? test
            : throw new InvalidOperationException("Set PRECISION_BENCH_POSTGRES (or run through 'bash infra/test/postgres.sh -- dotnet run …') for the PostgreSQL benchmarks.");
        _schema = "audit_bench_" + Guid.NewGuid().ToString("N");
        using (var admin = new NpgsqlConnection(_adminConnectionString))
        {
            admin.Open();
            admin.Execute($"CREATE SCHEMA {_schema}");
        }

        Store = new PostgreSqlAuditStore(new AuditStoreOptions
        {
            Provider = engine,
            ConnectionString = new NpgsqlConnectionStringBuilder(_adminConnectionString) { SearchPath = _schema }.ToString(),
        }, time);
    }

    public IChainedAuditStore Store { get; }

    /// <summary>A realistic mix: clinicians viewing patients, sign-ins, and predictions that carry a model version.</summary>
    public static NewAuditEvent SampleEvent(int n) => new(
        new AuditActor($"sub-{n % 50:D4}", $"Clinician {n % 50}", ["clinician"]),
        (n % 10) switch
        {
            0 => AuditActions.SignIn,
            1 or 2 => AuditActions.PredictionCreate,
            _ => AuditActions.PatientView,
        },
        n % 97 == 0 ? AuditOutcome.Denied : AuditOutcome.Success,
        $"Patient/{n % 5000}",
        "/patients/{id}/timeline",
        n % 10 is 1 or 2
            ? $$"""{"modelVersion":"{{(n % 1000 == 1 ? "1.0.0" : "1.1.0")}}","therapies":12,"rows":{{n % 100}}}"""
            : $$"""{"tab":"labs","rows":{{n % 100}},"filter":"last-90-days"}""",
        "10.20.30.40",
        Guid.NewGuid().ToString("N"));

    /// <summary>Fills the trail through the public API, many appends in flight at once so group commit batches them.</summary>
    public async Task SeedAsync(int count)
    {
        const int inFlight = 8192;
        for (var start = 0; start < count; start += inFlight)
        {
            var size = Math.Min(inFlight, count - start);
            var appends = new Task<AuditEvent>[size];
            for (var i = 0; i < size; i++)
            {
                appends[i] = Store.AppendAsync(SampleEvent(start + i));
            }

            await Task.WhenAll(appends);
        }
    }

    /// <summary>
    /// Planner statistics, as autovacuum gathers them on a table that grew gradually; right after a bulk load of 1M rows
    /// PostgreSQL has none yet (SQLite plans without statistics here, so it gets none either).
    /// </summary>
    public async Task AnalyzeAsync()
    {
        if (_schema is not null)
        {
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_adminConnectionString) { SearchPath = _schema }.ToString());
            await connection.OpenAsync();
            await connection.ExecuteAsync("VACUUM ANALYZE audit_event");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        if (_schema is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var admin = new NpgsqlConnection(_adminConnectionString);
            await admin.OpenAsync();
            await admin.ExecuteAsync($"DROP SCHEMA IF EXISTS {_schema} CASCADE");
        }
        else
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}

/// <summary>Seeded trails shared by every benchmark case of one run (in-process), so 1M events are written once per engine.</summary>
internal static class SeededTrails
{
    private static readonly Dictionary<(string, int), AuditBenchmarkDatabase> Trails = [];

    public static async Task<AuditBenchmarkDatabase> GetAsync(string engine, int events)
    {
        if (!Trails.TryGetValue((engine, events), out var database))
        {
            database = new AuditBenchmarkDatabase(engine);
            var started = System.Diagnostics.Stopwatch.StartNew();
            await database.SeedAsync(events);
            Console.WriteLine($"// Seeded {events:N0} events on {engine} in {started.Elapsed.TotalSeconds:0.0} s ({events / started.Elapsed.TotalSeconds:N0} appends/s with 8,192 in flight)");
            await database.AnalyzeAsync();
            Trails[(engine, events)] = database;
        }

        return database;
    }
}
