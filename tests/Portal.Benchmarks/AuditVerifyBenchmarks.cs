using BenchmarkDotNet.Attributes;
using Precision.Portal.Client.Audit;

namespace Precision.Portal.Benchmarks;

/// <summary>Time to verify the whole chain of a seeded trail.</summary>
[Config(typeof(AuditBenchmarkConfig))]
public class AuditVerifyBenchmarks
{
    private AuditBenchmarkDatabase _database = null!;

    [ParamsSource(typeof(AuditBenchmarkEngines), nameof(AuditBenchmarkEngines.Selected))]
    public string Engine { get; set; } = AuditBenchmarkEngines.Sqlite;

    [Params(1_000_000)]
    public int Events { get; set; }

    [GlobalSetup]
    public async Task SetUp() => _database = await SeededTrails.GetAsync(Engine, Events);

    [Benchmark]
    public async Task<long> VerifyChain()
    {
        var verification = await _database.Store.VerifyChainAsync();
        if (!verification.IsValid || verification.EventsChecked < Events)
        {
            throw new InvalidOperationException($"Seeded chain did not verify: {verification.Problem} ({verification.EventsChecked} checked)");
        }

        return verification.EventsChecked;
    }
}

/// <summary>One filtered page (50 events, newest first) from a 1M-event trail, as the Compliance page asks for it.</summary>
[Config(typeof(AuditQueryBenchmarkConfig))]
public class AuditSearchBenchmarks
{
    private AuditBenchmarkDatabase _database = null!;

    [ParamsSource(typeof(AuditBenchmarkEngines), nameof(AuditBenchmarkEngines.Selected))]
    public string Engine { get; set; } = AuditBenchmarkEngines.Sqlite;

    [Params("none", "patient", "user+action", "action-family+outcome", "model-version", "one-day", "wide-range", "deep-page")]
    public string Filter { get; set; } = "none";

    private AuditSearchQuery _query = new();

    [GlobalSetup]
    public async Task SetUp()
    {
        _database = await SeededTrails.GetAsync(Engine, 1_000_000);
        var first = (await _database.Store.ReadEventAsync(1))!.OccurredUtc;
        var span = (await _database.Store.ReadRecentAsync(1))[0].OccurredUtc - first;
        _query = Filter switch
        {
            "patient" => new AuditSearchQuery { PatientReference = "Patient/1234" },
            "user+action" => new AuditSearchQuery { User = "sub-0007", Action = AuditActions.PatientView },
            "action-family+outcome" => new AuditSearchQuery { Action = "prediction.*", Outcome = AuditOutcome.Denied },
            "model-version" => new AuditSearchQuery { ModelVersion = "1.0.0" },
            // The seeded events span a minute or two. "One day" is 1/365 of that span in the middle of the trail (~2,700
            // events: a day if the million events covered a year); "wide-range" is 10 % of it (~100,000 events).
            "one-day" => new AuditSearchQuery { FromUtc = first + (span * 0.5), ToUtc = first + (span * (0.5 + (1.0 / 365))) },
            "wide-range" => new AuditSearchQuery { FromUtc = first + (span * 0.45), ToUtc = first + (span * 0.55) },
            // Page 10,001 of an unfiltered search: keyset paging makes depth free.
            "deep-page" => new AuditSearchQuery { BeforeSequence = 500_000 },
            _ => new AuditSearchQuery(),
        };
    }

    [Benchmark]
    public async Task<int> SearchPage()
    {
        var page = await _database.Store.SearchAsync(_query);
        return page.Events.Count == 0 ? throw new InvalidOperationException($"No events for {Filter}") : page.Events.Count;
    }
}
