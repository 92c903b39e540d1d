using Precision.Portal.Client.Audit;
using Precision.Portal.Server.Audit;

namespace Precision.Portal.Server.Tests.Audit;

public sealed class AuditStoreConcurrencyTests
{
    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Eight_concurrent_writers_leave_one_valid_chain_with_contiguous_sequences(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        const int writers = 8;
        const int appendsPerWriter = 250;
        await using var store = db.CreateStore();

        var results = await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var mine = new List<AuditEvent>();
            for (var i = 0; i < appendsPerWriter; i++)
            {
                mine.Add(await store.AppendAsync(AuditSamples.Event(w * 1000 + i)));
            }

            return mine;
        })));

        AssertOneContiguousChain(results.SelectMany(r => r).ToList(), writers * appendsPerWriter);
        var verification = await store.VerifyChainAsync();
        Assert.True(verification.IsValid, verification.Problem);
        Assert.Equal(writers * appendsPerWriter, verification.EventsChecked);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Two_store_instances_on_one_file_like_two_processes_extend_one_chain(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        const int writersPerStore = 4;
        const int appendsPerWriter = 150;
        await using var first = db.CreateStore();
        await using var second = db.CreateStore();

        var results = await Task.WhenAll(
            new[] { first, second }.SelectMany(store => Enumerable.Range(0, writersPerStore).Select(w => Task.Run(async () =>
            {
                var mine = new List<AuditEvent>();
                for (var i = 0; i < appendsPerWriter; i++)
                {
                    mine.Add(await store.AppendAsync(AuditSamples.Event(w * 1000 + i)));
                }

                return mine;
            }))));

        // SQLite's lock is not fair, so one instance may do most of the concurrent work; strict alternation
        // shows that each reads the head written by the other instead of a cached one.
        var alternating = new List<long>();
        for (var i = 0; i < 20; i++)
        {
            alternating.Add((await (i % 2 == 0 ? first : second).AppendAsync(AuditSamples.Event(i))).Sequence);
        }

        var all = results.SelectMany(r => r).ToList();
        AssertOneContiguousChain(all, 2 * writersPerStore * appendsPerWriter);
        Assert.Equal(Enumerable.Range(all.Count + 1, 20).Select(i => (long)i), alternating);
        await using var verifier = db.CreateStore();
        var verification = await verifier.VerifyChainAsync();
        Assert.True(verification.IsValid, verification.Problem);
        Assert.Equal(all.Count + 20, verification.EventsChecked);
    }

    private static void AssertOneContiguousChain(List<AuditEvent> events, int expectedCount)
    {
        Assert.Equal(expectedCount, events.Count);
        var ordered = events.OrderBy(e => e.Sequence).ToList();
        Assert.Equal(Enumerable.Range(1, expectedCount).Select(i => (long)i), ordered.Select(e => e.Sequence));
        Assert.Equal(expectedCount, events.Select(e => e.Id).Distinct().Count());
        Assert.Equal(AuditChainHash.Genesis, ordered[0].PreviousHash);
        for (var i = 1; i < ordered.Count; i++)
        {
            Assert.Equal(ordered[i - 1].Hash, ordered[i].PreviousHash);
        }
    }
}
