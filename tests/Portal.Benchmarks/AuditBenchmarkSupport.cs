using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.Data.Sqlite;
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

/// <summary>A throwaway audit database in the temp directory.</summary>
internal sealed class AuditBenchmarkDatabase : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "precision-audit-bench", Guid.NewGuid().ToString("N"));

    public AuditBenchmarkDatabase()
    {
        Store = new SqliteAuditStore(new AuditStoreOptions { DataDirectory = _directory });
    }

    public SqliteAuditStore Store { get; }

    /// <summary>A realistic event: a clinician viewing a patient, with a small details object.</summary>
    public static NewAuditEvent SampleEvent(int n) => new(
        new AuditActor($"sub-{n % 50:D4}", $"Clinician {n % 50}", ["clinician"]),
        n % 10 == 0 ? AuditActions.SignIn : AuditActions.PatientView,
        AuditOutcome.Success,
        $"Patient/{n % 5000}",
        "/patients/{id}/timeline",
        $$"""{"tab":"labs","rows":{{n % 100}},"filter":"last-90-days"}""",
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

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
