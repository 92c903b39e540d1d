using BenchmarkDotNet.Attributes;

namespace Precision.Portal.Benchmarks;

/// <summary>Append throughput: each writer awaits its append before the next, like a circuit recording an action.</summary>
[Config(typeof(AuditBenchmarkConfig))]
public class AuditAppendBenchmarks
{
    private const int AppendsPerInvocation = 4_800;

    private AuditBenchmarkDatabase _database = null!;

    [ParamsSource(typeof(AuditBenchmarkEngines), nameof(AuditBenchmarkEngines.Selected))]
    public string Engine { get; set; } = AuditBenchmarkEngines.Sqlite;

    [Params(1, 8)]
    public int Writers { get; set; }

    [GlobalSetup]
    public async Task SetUp()
    {
        _database = new AuditBenchmarkDatabase(Engine);
        await _database.Store.InitializeAsync();
    }

    [GlobalCleanup]
    public async Task CleanUp() => await _database.DisposeAsync();

    [Benchmark(OperationsPerInvoke = AppendsPerInvocation)]
    public Task Append()
    {
        var perWriter = AppendsPerInvocation / Writers;
        return Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < perWriter; i++)
            {
                await _database.Store.AppendAsync(AuditBenchmarkDatabase.SampleEvent(w * perWriter + i));
            }
        })));
    }
}
