using BenchmarkDotNet.Attributes;

namespace Precision.Portal.Benchmarks;

/// <summary>Time to verify the whole chain of a seeded trail.</summary>
[Config(typeof(AuditBenchmarkConfig))]
public class AuditVerifyBenchmarks
{
    private AuditBenchmarkDatabase _database = null!;

    [Params(100_000, 1_000_000)]
    public int Events { get; set; }

    [GlobalSetup]
    public async Task SetUp()
    {
        _database = new AuditBenchmarkDatabase();
        await _database.SeedAsync(Events);
    }

    [GlobalCleanup]
    public async Task CleanUp() => await _database.DisposeAsync();

    [Benchmark]
    public async Task<long> VerifyChain()
    {
        var verification = await _database.Store.VerifyChainAsync();
        if (!verification.IsValid || verification.EventsChecked != Events)
        {
            throw new InvalidOperationException($"Seeded chain did not verify: {verification.Problem} ({verification.EventsChecked} checked)");
        }

        return verification.EventsChecked;
    }
}
