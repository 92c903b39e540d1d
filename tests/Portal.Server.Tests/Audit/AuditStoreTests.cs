using Dapper;
using Precision.Portal.Client.Audit;
using Precision.Portal.Server.Audit;

namespace Precision.Portal.Server.Tests.Audit;

public sealed class AuditStoreTests
{
    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Append_then_read_returns_every_field_as_appended_and_the_chain_verifies(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        await using var store = db.CreateStore();

        var first = await store.AppendAsync(AuditSamples.Event(1));
        var second = await store.AppendAsync(new NewAuditEvent(AuditActor.Anonymous, AuditActions.SignInFailed, AuditOutcome.Failure, null, null, null, null, null));

        Assert.Equal(1, first.Sequence);
        Assert.Equal(AuditChainHash.Genesis, first.PreviousHash);
        Assert.Equal(2, second.Sequence);
        Assert.Equal(first.Hash, second.PreviousHash);
        Assert.Matches("^[0-9a-f]{64}$", first.Hash);
        Assert.Equal(7, first.Id.Version);

        var recent = await store.ReadRecentAsync(10);
        Assert.Equal([2L, 1L], recent.Select(e => e.Sequence));
        AssertSameEvent(second, recent[0]);
        AssertSameEvent(first, recent[1]);
        Assert.Null(recent[0].PatientReference);
        Assert.Null(recent[0].DetailsJson);
        Assert.Equal(AuditSamples.Event(1).DetailsJson, recent[1].DetailsJson);

        var verification = await store.VerifyChainAsync();
        Assert.True(verification.IsValid, verification.Problem);
        Assert.Equal(2, verification.EventsChecked);
        Assert.Null(verification.FirstBrokenSequence);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Verify_on_an_empty_trail_is_valid(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        await using var store = db.CreateStore();

        var verification = await store.VerifyChainAsync();

        Assert.True(verification.IsValid, verification.Problem);
        Assert.Equal(0, verification.EventsChecked);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Times_are_stored_as_utc_text_and_round_trip_to_the_tick_whatever_the_clock_offset(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        var local = new DateTimeOffset(2026, 3, 29, 1, 30, 0, TimeSpan.FromHours(2)).AddTicks(1_234_567);
        await using var store = db.CreateStore(new ManualTimeProvider(local));

        var appended = await store.AppendAsync(AuditSamples.Event(1));
        var read = Assert.Single(await store.ReadRecentAsync(1));

        Assert.Equal(TimeSpan.Zero, appended.OccurredUtc.Offset);
        Assert.Equal(local.UtcTicks, appended.OccurredUtc.UtcTicks);
        Assert.Equal(TimeSpan.Zero, read.OccurredUtc.Offset);
        Assert.Equal(appended.OccurredUtc.UtcTicks, read.OccurredUtc.UtcTicks);
        using var connection = db.OpenDirect();
        Assert.Equal("2026-03-28T23:30:00.1234567Z", connection.ExecuteScalar<string>("SELECT occurred_utc FROM audit_event"));
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Read_for_patient_returns_only_that_patient_newest_first_up_to_count(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        await using var store = db.CreateStore();
        for (var i = 1; i <= 12; i++)
        {
            await store.AppendAsync(AuditSamples.Event(i, patient: i % 2 == 0 ? "Patient/even" : "Patient/odd"));
        }

        var events = await store.ReadForPatientAsync("Patient/even", 4);

        Assert.Equal([12L, 10L, 8L, 6L], events.Select(e => e.Sequence));
        Assert.All(events, e => Assert.Equal("Patient/even", e.PatientReference));
        Assert.Empty(await store.ReadForPatientAsync("Patient/none", 4));
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Activity_by_hour_counts_each_action_per_utc_hour_from_the_given_time(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 5, 4, 9, 59, 59, TimeSpan.Zero));
        await using var store = db.CreateStore(clock);
        await store.AppendAsync(AuditSamples.Event(1)); // before the window

        clock.Now = new DateTimeOffset(2026, 5, 4, 10, 0, 0, TimeSpan.Zero);
        await store.AppendAsync(AuditSamples.Event(2));
        clock.Now = clock.Now.AddMinutes(30);
        await store.AppendAsync(AuditSamples.Event(3));
        await store.AppendAsync(AuditSamples.Event(4, action: AuditActions.SignIn));
        clock.Now = new DateTimeOffset(2026, 5, 4, 10, 59, 59, TimeSpan.Zero).AddTicks(9_999_999);
        await store.AppendAsync(AuditSamples.Event(5));
        clock.Now = new DateTimeOffset(2026, 5, 4, 11, 0, 0, TimeSpan.Zero);
        await store.AppendAsync(AuditSamples.Event(6));

        // 12:00 at +02:00 is 10:00 UTC.
        var buckets = await store.ReadActivityByHourAsync(new DateTimeOffset(2026, 5, 4, 12, 0, 0, TimeSpan.FromHours(2)));

        var hour10 = new DateTimeOffset(2026, 5, 4, 10, 0, 0, TimeSpan.Zero);
        Assert.Equal(
            [
                new AuditActivityBucket(hour10, AuditActions.PatientView, 3),
                new AuditActivityBucket(hour10, AuditActions.SignIn, 1),
                new AuditActivityBucket(hour10.AddHours(1), AuditActions.PatientView, 1),
            ],
            buckets);
        Assert.All(buckets, b => Assert.Equal(TimeSpan.Zero, b.HourUtc.Offset));
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Stored_events_cannot_be_updated_or_deleted_through_sql_while_the_triggers_are_in_place(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        await using var store = db.CreateStore();
        await store.AppendAsync(AuditSamples.Event(1));
        using var connection = db.OpenDirect();

        var update = Assert.ThrowsAny<Exception>(() => connection.Execute("UPDATE audit_event SET action = 'x'"));
        var delete = Assert.ThrowsAny<Exception>(() => connection.Execute("DELETE FROM audit_event"));

        Assert.Contains("append-only", update.Message, StringComparison.Ordinal);
        Assert.Contains("append-only", delete.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Invalid_events_are_rejected_before_they_can_fail_a_shared_commit(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        await using var store = db.CreateStore();

        await Assert.ThrowsAsync<ArgumentException>(() => store.AppendAsync(AuditSamples.Event(1) with { Action = " " }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.AppendAsync(AuditSamples.Event(1) with { Outcome = (AuditOutcome)42 }));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.AppendAsync(AuditSamples.Event(1) with { Actor = null! }));

        Assert.Equal(1, (await store.AppendAsync(AuditSamples.Event(1))).Sequence);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task An_append_cancelled_before_it_is_queued_records_nothing(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        await using var store = db.CreateStore();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.AppendAsync(AuditSamples.Event(1), cancelled.Token));

        Assert.Empty(await store.ReadRecentAsync(10));
        Assert.Equal(1, (await store.AppendAsync(AuditSamples.Event(2))).Sequence);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Check_writable_succeeds_on_a_healthy_store_and_changes_nothing(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        await using var store = db.CreateStore();
        await store.AppendAsync(AuditSamples.Event(1));

        await store.CheckWritableAsync();

        var verification = await store.VerifyChainAsync();
        Assert.True(verification.IsValid, verification.Problem);
        Assert.Equal(1, verification.EventsChecked);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Events_queued_before_dispose_are_still_written(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        var store = db.CreateStore();
        var pending = Enumerable.Range(1, 200).Select(i => store.AppendAsync(AuditSamples.Event(i))).ToList();

        await store.DisposeAsync();

        Assert.Equal(200, (await Task.WhenAll(pending)).Length);
        await using var reopened = db.CreateStore();
        var verification = await reopened.VerifyChainAsync();
        Assert.True(verification.IsValid, verification.Problem);
        Assert.Equal(200, verification.EventsChecked);
        await Assert.ThrowsAsync<AuditWriteException>(() => store.AppendAsync(AuditSamples.Event(1)));
    }

    private static void AssertSameEvent(AuditEvent expected, AuditEvent actual)
    {
        Assert.Equal(expected.Sequence, actual.Sequence);
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.OccurredUtc, actual.OccurredUtc);
        Assert.Equal(expected.Actor.Subject, actual.Actor.Subject);
        Assert.Equal(expected.Actor.DisplayName, actual.Actor.DisplayName);
        Assert.Equal(expected.Actor.Roles, actual.Actor.Roles);
        Assert.Equal(expected.Action, actual.Action);
        Assert.Equal(expected.Outcome, actual.Outcome);
        Assert.Equal(expected.PatientReference, actual.PatientReference);
        Assert.Equal(expected.Target, actual.Target);
        Assert.Equal(expected.DetailsJson, actual.DetailsJson);
        Assert.Equal(expected.ClientAddress, actual.ClientAddress);
        Assert.Equal(expected.CorrelationId, actual.CorrelationId);
        Assert.Equal(expected.PreviousHash, actual.PreviousHash);
        Assert.Equal(expected.Hash, actual.Hash);
    }
}
