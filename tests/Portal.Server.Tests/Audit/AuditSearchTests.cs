using Dapper;
using Precision.Portal.Client.Audit;
using Precision.Portal.Server.Audit;

namespace Precision.Portal.Server.Tests.Audit;

public sealed class AuditSearchTests
{
    private static readonly DateTimeOffset Start = new(2026, 5, 4, 8, 0, 0, TimeSpan.Zero);

    /// <summary>40 events, one per hour from <see cref="Start"/>: varied users, patients, actions, outcomes, model versions.</summary>
    private static async Task<List<AuditEvent>> SeedAsync(IChainedAuditStore store, ManualTimeProvider clock)
    {
        var events = new List<AuditEvent>();
        for (var i = 1; i <= 40; i++)
        {
            clock.Now = Start.AddHours(i - 1);
            var action = (i % 4) switch
            {
                0 => AuditActions.PredictionCreate,
                1 => AuditActions.PatientView,
                2 => AuditActions.SignIn,
                _ => AuditActions.PredictionFeedback,
            };
            var actor = i % 2 == 0 ? AuditSamples.Clinician : new AuditActor("sub-board-3", "Board Member", ["tumor-board"]);
            var details = action.StartsWith("prediction.", StringComparison.Ordinal)
                ? $$"""{"modelVersion":"{{(i % 3 == 0 ? "1.1.0" : "1.0.0")}}","n":{{i}}}"""
                : $$"""{"n":{{i}}}""";
            events.Add(await store.AppendAsync(new NewAuditEvent(actor, action, i % 5 == 0 ? AuditOutcome.Denied : AuditOutcome.Success,
                action == AuditActions.SignIn ? null : $"Patient/{i % 3}", "/patients/{id}", details, "10.0.0.1", $"c-{i}")));
        }

        return events;
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Each_filter_alone_and_combined_returns_exactly_the_matching_events_newest_first(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        var clock = new ManualTimeProvider(Start);
        await using var store = db.CreateStore(clock);
        var all = await SeedAsync(store, clock);

        async Task Check(AuditSearchQuery query, Func<AuditEvent, bool> expected)
        {
            var page = await store.SearchAsync(query with { PageSize = 500 });
            Assert.Equal(all.Where(expected).Select(e => e.Sequence).Reverse(), page.Events.Select(e => e.Sequence));
            Assert.Null(page.NextBeforeSequence);
            Assert.Equal(all.Count(expected), await store.CountAsync(query));
        }

        await Check(new AuditSearchQuery(), _ => true);
        await Check(new AuditSearchQuery { User = "sub-board-3" }, e => e.Actor.Subject == "sub-board-3");
        await Check(new AuditSearchQuery { User = "Dr. Ada Example" }, e => e.Actor.DisplayName == "Dr. Ada Example");
        await Check(new AuditSearchQuery { PatientReference = "Patient/2" }, e => e.PatientReference == "Patient/2");
        await Check(new AuditSearchQuery { Action = AuditActions.PatientView }, e => e.Action == AuditActions.PatientView);
        await Check(new AuditSearchQuery { Action = "prediction.*" }, e => e.Action.StartsWith("prediction.", StringComparison.Ordinal));
        await Check(new AuditSearchQuery { Outcome = AuditOutcome.Denied }, e => e.Outcome == AuditOutcome.Denied);
        await Check(new AuditSearchQuery { ModelVersion = "1.1.0" }, e => e.DetailsJson!.Contains("\"1.1.0\"", StringComparison.Ordinal));
        await Check(
            new AuditSearchQuery { FromUtc = Start.AddHours(10), ToUtc = Start.AddHours(20) },
            e => e.OccurredUtc >= Start.AddHours(10) && e.OccurredUtc < Start.AddHours(20));
        // A time with an offset is the same instant in UTC: 12:00+02:00 is 10:00Z.
        await Check(
            new AuditSearchQuery { FromUtc = Start.AddHours(10).ToOffset(TimeSpan.FromHours(2)) },
            e => e.OccurredUtc >= Start.AddHours(10));
        await Check(
            new AuditSearchQuery { User = "Dr. Ada Example", Action = "prediction.*", Outcome = AuditOutcome.Success, ModelVersion = "1.0.0", FromUtc = Start.AddHours(3) },
            e => e.Actor.Subject == AuditSamples.Clinician.Subject && e.Action.StartsWith("prediction.", StringComparison.Ordinal)
                && e.Outcome == AuditOutcome.Success && e.DetailsJson!.Contains("\"1.0.0\"", StringComparison.Ordinal) && e.OccurredUtc >= Start.AddHours(3));
        await Check(new AuditSearchQuery { PatientReference = "Patient/none" }, _ => false);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Keyset_pages_cover_every_match_once_newest_first_and_stay_stable_while_events_are_appended(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        var clock = new ManualTimeProvider(Start);
        await using var store = db.CreateStore(clock);
        var all = await SeedAsync(store, clock);
        var query = new AuditSearchQuery { Action = "prediction.*", PageSize = 7 };

        var seen = new List<long>();
        var first = await store.SearchAsync(query);
        seen.AddRange(first.Events.Select(e => e.Sequence));
        await store.AppendAsync(AuditSamples.Event(99, action: AuditActions.PredictionCreate)); // newer: not on the older pages
        var next = first.NextBeforeSequence;
        while (next is { } before)
        {
            var page = await store.SearchAsync(query with { BeforeSequence = before });
            Assert.InRange(page.Events.Count, 1, 7);
            seen.AddRange(page.Events.Select(e => e.Sequence));
            next = page.NextBeforeSequence;
        }

        Assert.Equal(all.Where(e => e.Action.StartsWith("prediction.", StringComparison.Ordinal)).Select(e => e.Sequence).Reverse(), seen);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Bad_filters_are_refused_with_every_problem_named(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        await using var store = db.CreateStore();

        var failure = await Assert.ThrowsAsync<AuditSearchException>(() => store.SearchAsync(new AuditSearchQuery
        {
            FromUtc = Start,
            ToUtc = Start.AddDays(-1),
            PageSize = 0,
        }));

        Assert.Equal(2, failure.Problems.Count);
        Assert.Contains("The start of the date range (from) must be before its end (to).", failure.Problems);
        Assert.Contains("The page size must be between 1 and 500 (it is 0).", failure.Problems);
        var range = await Assert.ThrowsAsync<AuditSearchException>(() => store.SearchAsync(new AuditSearchQuery { FromUtc = Start.AddYears(-50), ToUtc = Start }));
        Assert.Contains("at most 3,660 days (10 years)", range.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<AuditSearchException>(() => store.SearchAsync(new AuditSearchQuery { PageSize = 501 }));
        await Assert.ThrowsAsync<AuditSearchException>(() => store.CountAsync(new AuditSearchQuery { Outcome = (AuditOutcome)9 }));
    }

    [Fact]
    public void Query_strings_are_read_with_clear_messages_for_bad_values()
    {
        static (AuditSearchQuery? Query, IReadOnlyList<string> Problems) Parse(params (string Name, string Value)[] values) =>
            AuditSearchQueryString.Parse(name => values.FirstOrDefault(v => v.Name == name).Value);

        var (ok, none) = Parse(("user", " sub-1 "), ("outcome", "denied"), ("from", "2026-05-04"), ("to", "2026-05-05T12:00:00+02:00"), ("modelVersion", "1.1.0"));
        Assert.Empty(none);
        Assert.Equal("sub-1", ok!.User);
        Assert.Equal(AuditOutcome.Denied, ok.Outcome);
        Assert.Equal(new DateTimeOffset(2026, 5, 4, 0, 0, 0, TimeSpan.Zero), ok.FromUtc);
        Assert.Equal(new DateTimeOffset(2026, 5, 5, 10, 0, 0, TimeSpan.Zero), ok.ToUtc);
        Assert.Equal(ok with { PageSize = AuditSearchQuery.DefaultPageSize }, Parse([.. AuditSearchQueryString.Format(ok).Split('&').Select(p => (p.Split('=')[0], Uri.UnescapeDataString(p.Split('=')[1])))]).Query);

        Assert.Equal(["The outcome 'maybe' is unknown; use one of Success, Failure, Denied."], Parse(("outcome", "maybe")).Problems);
        Assert.Equal(["The outcome '2' is unknown; use one of Success, Failure, Denied."], Parse(("outcome", "2")).Problems);
        Assert.Contains("is not a date or time", Assert.Single(Parse(("from", "yesterday")).Problems), StringComparison.Ordinal);
        Assert.Equal(["The page size '-3' is not a whole number."], Parse(("pageSize", "-3")).Problems);
        Assert.Equal(["The page size must be between 1 and 500 (it is 1000)."], Parse(("pageSize", "1000")).Problems);
        Assert.Equal(["The start of the date range (from) must be before its end (to)."], Parse(("from", "2026-05-04"), ("to", "2026-05-01")).Problems);
        Assert.Contains("10 years", Assert.Single(Parse(("from", "1976-01-01"), ("to", "2026-01-01")).Problems), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_written_before_the_model_version_column_existed_verify_and_are_found_by_model_version()
    {
        using var db = new AuditTestDatabase(AuditEngine.Sqlite);
        var stored = new List<(StoredAuditEvent Event, string Hash)>();

        // A trail as the portal wrote it at schema version 1, before search existed.
        var v1 = SqlMigrator.FromEmbeddedScripts(typeof(SqliteAuditStore).Assembly, "Precision.Portal.Server.Audit.Migrations.sqlite.").Migrations.Where(m => m.Version == 1);
        using (var connection = db.Directory.OpenDirect())
        {
            await new SqlMigrator(v1, "v1 only").MigrateAsync(connection);
            var previous = AuditChainHash.Genesis;
            for (var i = 1; i <= 3; i++)
            {
                var e = StoredAuditEvent.Create(i, Guid.CreateVersion7(), Start.AddMinutes(i),
                    AuditSamples.Event(i, action: AuditActions.PredictionCreate) with { DetailsJson = $$"""{"modelVersion":"0.9.{{i}}"}""" }, previous);
                var hash = AuditChainHash.Compute(e);
                connection.Execute(
                    $"INSERT INTO audit_event ({AuditEventColumns.Select}) VALUES (@Sequence, @Id, @OccurredUtc, @ActorSubject, @ActorDisplayName, @ActorRoles, @Action, @Outcome, @PatientReference, @Target, @DetailsJson, @ClientAddress, @CorrelationId, @PreviousHash, @Hash)",
                    new { e.Sequence, e.Id, e.OccurredUtc, e.ActorSubject, e.ActorDisplayName, e.ActorRoles, e.Action, e.Outcome, e.PatientReference, e.Target, e.DetailsJson, e.ClientAddress, e.CorrelationId, e.PreviousHash, Hash = hash });
                connection.Execute("UPDATE audit_chain_head SET last_sequence = @i, last_hash = @hash", new { i, hash });
                previous = hash;
                stored.Add((e, hash));
            }
        }

        await using var store = db.CreateStore(); // migrates to the current schema
        await store.AppendAsync(AuditSamples.Event(4));

        var verification = await store.VerifyChainAsync();
        Assert.True(verification.IsValid, verification.Problem);
        Assert.Equal(4, verification.EventsChecked);
        var found = Assert.Single((await store.SearchAsync(new AuditSearchQuery { ModelVersion = "0.9.2" })).Events);
        Assert.Equal(stored[1].Hash, found.Hash);
    }
}
