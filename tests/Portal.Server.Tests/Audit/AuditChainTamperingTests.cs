using Dapper;
using Precision.Portal.Client.Audit;
using Precision.Portal.Server.Audit;

namespace Precision.Portal.Server.Tests.Audit;

/// <summary>Each test edits the database file directly, as someone with file access could, and expects verification to name the event.</summary>
public sealed class AuditChainTamperingTests
{
    private const int EventCount = 10;
    private const int Victim = 5;

    /// <summary>Every stored column of audit_event, with an edit an attacker might make to event 5.</summary>
    public static TheoryData<AuditEngine, string, string> ColumnEditsOnEachEngine
    {
        get
        {
            var data = new TheoryData<AuditEngine, string, string>();
            foreach (var engine in Enum.GetValues<AuditEngine>())
            {
                foreach (var (column, assignment) in ColumnEdits)
                {
                    data.Add(engine, column, assignment);
                }
            }

            return data;
        }
    }

    private static readonly (string Column, string Assignment)[] ColumnEdits =
    [
        ("sequence", "sequence = 1000"),
        ("id", "id = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b'"),
        ("occurred_utc", "occurred_utc = '2020-01-01T00:00:00.0000000Z'"),
        ("actor_subject", "actor_subject = 'sub-someone-else'"),
        ("actor_display_name", "actor_display_name = actor_display_name || '.'"),
        ("actor_roles", "actor_roles = '[\"clinician\"]'"),
        ("action", "action = 'user.sign-in'"),
        ("outcome", "outcome = 'Denied'"),
        ("patient_reference", "patient_reference = 'Patient/999'"),
        ("target", "target = NULL"),
        ("details_json", "details_json = replace(details_json, '\"n\":5', '\"n\":6')"),
        ("client_address", "client_address = '10.1.2.4'"),
        ("correlation_id", "correlation_id = correlation_id || 'x'"),
        ("previous_hash", "previous_hash = substr(previous_hash, 2) || substr(previous_hash, 1, 1)"),
        ("hash", "hash = substr(hash, 2) || substr(hash, 1, 1)"),
    ];

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task The_column_edits_cover_every_column_of_audit_event(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        await using var store = db.CreateStore();
        await store.InitializeAsync();

        var columns = db.StoredColumns();

        Assert.Equal(columns.Order(), ColumnEdits.Select(row => row.Column).Order());
    }

    [Theory]
    [MemberData(nameof(ColumnEditsOnEachEngine))]
    public async Task Editing_one_column_of_one_event_is_reported_at_that_event(AuditEngine engine, string column, string assignment)
    {
        using var db = new AuditTestDatabase(engine);
        var events = await SeedAsync(db);
        var before = events[Victim - 1];

        var snapshot = Snapshot(db);
        db.Tamper($"UPDATE audit_event SET {assignment} WHERE sequence = {Victim}");
        Assert.NotEqual(snapshot, Snapshot(db)); // the edit really changed something

        var verification = await VerifyAsync(db);

        Assert.False(verification.IsValid);
        Assert.Equal(Victim, verification.FirstBrokenSequence);
        Assert.Equal(Victim - 1, verification.EventsChecked);
        switch (column)
        {
            case "sequence":
                // The event left its place, so the chain has a hole where it was.
                Assert.Null(verification.FirstBrokenEventId);
                Assert.Contains($"event {Victim} is missing", verification.Problem, StringComparison.Ordinal);
                break;
            case "id":
                Assert.Equal(Guid.Parse("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"), verification.FirstBrokenEventId);
                Assert.Contains("was altered", verification.Problem, StringComparison.Ordinal);
                break;
            case "previous_hash":
                Assert.Equal(before.Id, verification.FirstBrokenEventId);
                Assert.Contains($"Event {Victim} (id {before.Id}) does not link to event {Victim - 1}", verification.Problem, StringComparison.Ordinal);
                break;
            default:
                Assert.Equal(before.Id, verification.FirstBrokenEventId);
                Assert.Equal($"Event {Victim} (id {before.Id}) was altered: its stored hash does not match its contents.", verification.Problem);
                break;
        }
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Editing_an_event_and_recomputing_its_hash_is_reported_at_the_next_event(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        var events = await SeedAsync(db);
        var victim = events[Victim - 1];
        var forged = new StoredAuditEvent(
            Victim, victim.Id.ToString("D"), StoredAuditEvent.FormatTime(victim.OccurredUtc), victim.Actor.Subject, victim.Actor.DisplayName,
            """["clinician","auditor"]""", victim.Action, AuditOutcome.Success.ToString(), "Patient/forged", victim.Target,
            victim.DetailsJson, victim.ClientAddress, victim.CorrelationId, victim.PreviousHash);

        db.Tamper($"UPDATE audit_event SET patient_reference = 'Patient/forged', outcome = 'Success', hash = '{AuditChainHash.Compute(forged)}' WHERE sequence = {Victim}");
        var verification = await VerifyAsync(db);

        Assert.False(verification.IsValid);
        Assert.Equal(Victim + 1, verification.FirstBrokenSequence);
        Assert.Equal(events[Victim].Id, verification.FirstBrokenEventId);
        Assert.Contains($"does not link to event {Victim}", verification.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Replacing_an_empty_value_with_null_is_reported(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        await using (var store = db.CreateStore())
        {
            await store.AppendAsync(AuditSamples.Event(1));
            await store.AppendAsync(AuditSamples.Event(2) with { Target = "" });
        }

        db.Tamper("UPDATE audit_event SET target = NULL WHERE sequence = 2");
        var verification = await VerifyAsync(db);

        Assert.False(verification.IsValid);
        Assert.Equal(2, verification.FirstBrokenSequence);
        Assert.Contains("was altered", verification.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Deleting_an_event_from_the_middle_is_reported_at_the_missing_sequence(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        var events = await SeedAsync(db);

        db.Tamper($"DELETE FROM audit_event WHERE sequence = {Victim}");
        var verification = await VerifyAsync(db);

        Assert.False(verification.IsValid);
        Assert.Equal(Victim, verification.FirstBrokenSequence);
        Assert.Null(verification.FirstBrokenEventId);
        Assert.Equal(
            $"Event {Victim + 1} (id {events[Victim].Id}) does not follow event {Victim - 1}: event {Victim} is missing or was reordered.",
            verification.Problem);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Deleting_the_first_event_is_reported_at_event_1(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        await SeedAsync(db);

        db.Tamper("DELETE FROM audit_event WHERE sequence = 1");
        var verification = await VerifyAsync(db);

        Assert.False(verification.IsValid);
        Assert.Equal(1, verification.FirstBrokenSequence);
        Assert.Contains("event 1 is missing", verification.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Deleting_the_last_event_is_reported_through_the_chain_head(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        await SeedAsync(db);

        db.Tamper($"DELETE FROM audit_event WHERE sequence = {EventCount}");
        var verification = await VerifyAsync(db);

        Assert.False(verification.IsValid);
        Assert.Equal(EventCount, verification.FirstBrokenSequence);
        Assert.Null(verification.FirstBrokenEventId);
        Assert.Equal(EventCount - 1, verification.EventsChecked);
        Assert.Equal(
            $"The chain head records event {EventCount} but the last stored event is {EventCount - 1}: events were deleted from the end.",
            verification.Problem);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Swapping_the_contents_of_two_events_is_reported_at_the_first_of_them(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        var events = await SeedAsync(db);

        db.Tamper($"""
            UPDATE audit_event SET sequence = -1 WHERE sequence = {Victim};
            UPDATE audit_event SET sequence = {Victim} WHERE sequence = {Victim + 1};
            UPDATE audit_event SET sequence = {Victim + 1} WHERE sequence = -1;
            """);
        var verification = await VerifyAsync(db);

        Assert.False(verification.IsValid);
        Assert.Equal(Victim, verification.FirstBrokenSequence);
        Assert.Equal(events[Victim].Id, verification.FirstBrokenEventId); // the event now stored at that place
        Assert.Contains($"does not link to event {Victim - 1}", verification.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task An_event_inserted_beyond_the_chain_head_is_reported(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        var events = await SeedAsync(db);
        var forgedId = Guid.CreateVersion7();

        db.Tamper($"""
            INSERT INTO audit_event (sequence, id, occurred_utc, actor_subject, actor_display_name, actor_roles, action, outcome, previous_hash, hash)
            SELECT {EventCount + 1}, '{forgedId}', occurred_utc, actor_subject, actor_display_name, actor_roles, action, outcome, hash, hash
            FROM audit_event WHERE sequence = {EventCount};
            """);
        var verification = await VerifyAsync(db);

        Assert.False(verification.IsValid);
        Assert.Equal(EventCount + 1, verification.FirstBrokenSequence);
        Assert.Contains($"Event {EventCount + 1}", verification.Problem, StringComparison.Ordinal);
        Assert.NotEqual(events[^1].Id, forgedId);

        // The store will not write over the forged event either.
        await using var store = db.CreateStore();
        var failure = await Assert.ThrowsAsync<AuditWriteException>(() => store.AppendAsync(AuditSamples.Event(99)));
        Assert.Contains("changed outside the portal", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task A_missing_chain_head_is_reported_and_blocks_appends(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        await using var store = db.CreateStore();
        await AuditSamples.AppendManyAsync(store, 3);

        db.Tamper("DELETE FROM audit_chain_head");
        var verification = await store.VerifyChainAsync();

        Assert.False(verification.IsValid);
        Assert.Contains("chain head record is missing", verification.Problem, StringComparison.Ordinal);
        var failure = await Assert.ThrowsAsync<AuditWriteException>(() => store.AppendAsync(AuditSamples.Event(4)));
        Assert.Contains("chain head record is missing", failure.Message, StringComparison.Ordinal);
    }

    private static async Task<List<AuditEvent>> SeedAsync(AuditTestDatabase db)
    {
        await using var store = db.CreateStore();
        var events = await AuditSamples.AppendManyAsync(store, EventCount);
        var verification = await store.VerifyChainAsync();
        Assert.True(verification.IsValid, verification.Problem);
        return events;
    }

    private static string Snapshot(AuditTestDatabase db)
    {
        var quoted = string.Join(" || '|' || ", AuditEventColumns.Select.Split(", ").Select(db.Quote));
        using var connection = db.OpenDirect();
        return string.Join('\n', connection.Query<string>($"SELECT {quoted} FROM audit_event ORDER BY sequence"));
    }

    private static async Task<AuditChainVerification> VerifyAsync(AuditTestDatabase db)
    {
        await using var store = db.CreateStore();
        return await store.VerifyChainAsync();
    }
}
