using System.Text.Json;
using Dapper;
using Precision.Portal.Client.Audit;
using Precision.Portal.Server.Audit;

namespace Precision.Portal.Server.Tests.Audit;

public sealed class AuditRetentionTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>30 events, one a day from <see cref="Start"/>.</summary>
    private static async Task<List<AuditEvent>> SeedAsync(IChainedAuditStore store, ManualTimeProvider clock, int count = 30)
    {
        var events = new List<AuditEvent>();
        for (var i = 1; i <= count; i++)
        {
            clock.Now = Start.AddDays(i - 1);
            events.Add(await store.AppendAsync(AuditSamples.Event(i)));
        }

        clock.Now = Start.AddDays(count + 1);
        return events;
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Pruning_deletes_the_old_prefix_appends_a_chained_checkpoint_and_the_chain_still_verifies(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        var clock = new ManualTimeProvider(Start);
        await using var store = db.CreateStore(clock);
        var events = await SeedAsync(store, clock);

        var result = await store.PruneAsync(Start.AddDays(10));

        Assert.Equal(10, result.Deleted);
        Assert.Equal(10, result.CheckpointSequence);
        Assert.Equal(events[9].Hash, result.CheckpointHash);
        var prune = Assert.Single(result.PruneEvents);
        Assert.Equal(31, prune.Sequence);
        Assert.Equal(AuditActions.AuditPrune, prune.Action);
        Assert.Equal(AuditSystemActor.Instance.Subject, prune.Actor.Subject);
        Assert.Equal(events[^1].Hash, prune.PreviousHash);
        using (var details = JsonDocument.Parse(prune.DetailsJson!))
        {
            Assert.Equal(10, details.RootElement.GetProperty("checkpointSequence").GetInt64());
            Assert.Equal(events[9].Hash, details.RootElement.GetProperty("checkpointHash").GetString());
            Assert.Equal(10, details.RootElement.GetProperty("deleted").GetInt64());
        }

        Assert.Null(await store.ReadEventAsync(10));
        Assert.NotNull(await store.ReadEventAsync(11));
        Assert.Equal(21, await store.CountAsync(new AuditSearchQuery()));
        var verification = await store.VerifyChainAsync();
        Assert.True(verification.IsValid, verification.Problem);
        Assert.Equal(21, verification.EventsChecked);

        // Appends continue the chain; a second run with nothing older prunes nothing and records nothing.
        await store.AppendAsync(AuditSamples.Event(32));
        Assert.Equal(0, (await store.PruneAsync(Start.AddDays(10))).Deleted);
        Assert.True((await store.VerifyChainAsync()).IsValid);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Pruning_in_small_transactions_leaves_one_checkpoint_per_round_and_a_valid_chain(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        var clock = new ManualTimeProvider(Start);
        await using var store = db.CreateStore(clock);
        await SeedAsync(store, clock);

        var result = await store.PruneAsync(Start.AddDays(25), maxPerTransaction: 10);

        Assert.Equal(25, result.Deleted);
        Assert.Equal([10L, 10L, 5L], result.PruneEvents.Select(e => JsonDocument.Parse(e.DetailsJson!).RootElement.GetProperty("deleted").GetInt64()));
        Assert.Equal(25, result.CheckpointSequence);
        var verification = await store.VerifyChainAsync();
        Assert.True(verification.IsValid, verification.Problem);
        Assert.Equal(5 + 3, verification.EventsChecked);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Pruning_stops_at_the_first_event_newer_than_the_cutoff_even_if_older_ones_follow(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        var clock = new ManualTimeProvider(Start);
        await using var store = db.CreateStore(clock);
        await store.AppendAsync(AuditSamples.Event(1));
        clock.Now = Start.AddDays(20); // an instance with a clock ahead
        await store.AppendAsync(AuditSamples.Event(2));
        clock.Now = Start.AddDays(1);
        await store.AppendAsync(AuditSamples.Event(3));

        var result = await store.PruneAsync(Start.AddDays(10));

        Assert.Equal(1, result.Deleted);
        Assert.NotNull(await store.ReadEventAsync(3));
        Assert.True((await store.VerifyChainAsync()).IsValid);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task After_pruning_tampering_is_still_detected(AuditEngine engine)
    {
        async Task<AuditChainVerification> PrunedThenTampered(string sql)
        {
            using var db = new AuditTestDatabase(engine);
            var clock = new ManualTimeProvider(Start);
            await using var store = db.CreateStore(clock);
            await SeedAsync(store, clock);
            await store.PruneAsync(Start.AddDays(10));
            db.Tamper(sql);
            return await store.VerifyChainAsync();
        }

        var edited = await PrunedThenTampered("UPDATE audit_event SET patient_reference = 'Patient/999' WHERE sequence = 15");
        Assert.False(edited.IsValid);
        Assert.Equal(15, edited.FirstBrokenSequence);

        var firstRetainedDeleted = await PrunedThenTampered("DELETE FROM audit_event WHERE sequence = 11");
        Assert.False(firstRetainedDeleted.IsValid);
        Assert.Equal(11, firstRetainedDeleted.FirstBrokenSequence);
        Assert.Contains("pruning checkpoint at event 10", firstRetainedDeleted.Problem, StringComparison.Ordinal);

        // More deleted and the checkpoint moved to match: the chained audit.prune event still says 10.
        var moved = await PrunedThenTampered(
            "DELETE FROM audit_event WHERE sequence <= 12; UPDATE audit_checkpoint SET sequence = 12, hash = (SELECT previous_hash FROM audit_event WHERE sequence = 13)");
        Assert.False(moved.IsValid);
        Assert.Equal(13, moved.FirstBrokenSequence);
        Assert.Contains("records a checkpoint at event 10", moved.Problem, StringComparison.Ordinal);

        var checkpointGone = await PrunedThenTampered("DELETE FROM audit_checkpoint");
        Assert.False(checkpointGone.IsValid);
        Assert.Equal(1, checkpointGone.FirstBrokenSequence);

        var checkpointHashEdited = await PrunedThenTampered("UPDATE audit_checkpoint SET hash = substr(hash, 2) || substr(hash, 1, 1)");
        Assert.False(checkpointHashEdited.IsValid);
        Assert.Equal(11, checkpointHashEdited.FirstBrokenSequence);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Deleting_outside_retention_is_still_refused_by_the_append_only_rule(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        var clock = new ManualTimeProvider(Start);
        await using var store = db.CreateStore(clock);
        await SeedAsync(store, clock, count: 5);
        await store.PruneAsync(Start.AddDays(2));
        using var connection = db.OpenDirect();

        var delete = Assert.ThrowsAny<Exception>(() => connection.Execute("DELETE FROM audit_event WHERE sequence = 4"));

        Assert.Contains("append-only", delete.Message, StringComparison.Ordinal);
        Assert.True((await store.VerifyChainAsync()).IsValid);
    }
}
