using System.Data.Common;
using Dapper;
using Npgsql;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.TumorBoards;
using Precision.Portal.Server.Audit;
using Precision.Portal.Server.Tests.Audit;
using Precision.Portal.Server.TumorBoards;
using Precision.Portal.Testing;

namespace Precision.Portal.Server.Tests.TumorBoards;

/// <summary>
/// The store on both engines as several portal instances use it: two stores on one database stand for two portal
/// processes (each with its own connections); PostgreSQL-only cases below.
/// </summary>
public sealed class TumorBoardStoreTests
{
    private const string Chair = "Dr. Tomas Berg";

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Two_instances_signing_the_same_version_at_once_exactly_one_signs_and_the_other_is_told_who_did(AuditEngine engine)
    {
        using var bed = new BoardTestBed(engine);
        var (meetingId, caseId, v1) = await DraftAsync(bed);
        var otherStore = bed.CreateStore();
        var otherAudit = new RecordingAuditTrail();
        var first = bed.Tickets.Issue(meetingId, caseId, 1, v1.ContentHash, new BoardMember("board", Chair, "dev-board"));
        var second = bed.Tickets.Issue(meetingId, caseId, 1, v1.ContentHash, new BoardMember("board", Chair, "dev-board"));
        var now = DateTimeOffset.UtcNow;

        var results = await Task.WhenAll(
            Task.Run(() => bed.As(bed.Store, bed.Audit, "board", Chair, authTime: now).CompleteSignOffAsync(first)),
            Task.Run(() => bed.As(otherStore, otherAudit, "board", Chair, authTime: now).CompleteSignOffAsync(second)));

        var signed = Assert.Single(results, r => r.Succeeded);
        Assert.Equal("Version 1 is signed by Dr. Tomas Berg and locked.", signed.Message);
        var refused = Assert.Single(results, r => !r.Succeeded);
        Assert.StartsWith("Version 1 was already signed by Dr. Tomas Berg on ", refused.Message, StringComparison.Ordinal);
        Assert.Single(bed.Audit.Entries.Concat(otherAudit.Entries), e => e.Action == AuditActions.TumorBoardSignOff);
        var stored = Assert.Single(await otherStore.ReadRecommendationsAsync(caseId));
        Assert.True(stored.IsSigned);
        Assert.Equal(v1.ContentHash, stored.ContentHash);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Two_instances_amending_a_signed_version_at_once_add_one_version_and_keep_the_signed_one(AuditEngine engine)
    {
        using var bed = new BoardTestBed(engine);
        var (meetingId, caseId, v1) = await DraftAsync(bed);
        await SignAsync(bed, meetingId, caseId, v1);
        var otherStore = bed.CreateStore();

        var saved = await Task.WhenAll(
            Task.Run(() => bed.As("board2").SaveRecommendationAsync(meetingId, caseId, BoardTestBed.Draft("Amended on instance A."))),
            Task.Run(() => bed.As(otherStore, new RecordingAuditTrail(), "board3").SaveRecommendationAsync(meetingId, caseId, BoardTestBed.Draft("Amended on instance B."))));

        Assert.All(saved, s => Assert.Equal(2, s.Value!.Version));
        Assert.All(saved, s => Assert.Equal(1, s.Value!.Amends));
        var versions = await bed.Store.ReadRecommendationsAsync(caseId);
        Assert.Equal([2, 1], versions.Select(v => v.Version));
        Assert.Contains(versions[0].Content.Rationale, new[] { "Amended on instance A.", "Amended on instance B." });
        Assert.False(versions[0].IsSigned);
        Assert.True(versions[1].IsSigned);
        Assert.Equal(v1.ContentHash, versions[1].ContentHash);
        Assert.Equal(v1.Content.Rationale, versions[1].Content.Rationale);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Cases_added_from_two_instances_at_once_get_distinct_positions_in_order(AuditEngine engine)
    {
        using var bed = new BoardTestBed(engine);
        var meeting = (await bed.As("board", Chair).CreateMeetingAsync(BoardTestBed.Meeting("board2"))).Value!;
        var otherStore = bed.CreateStore();
        var a = bed.As("board", Chair);
        var b = bed.As(otherStore, new RecordingAuditTrail(), "board2");

        await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(() =>
            (i % 2 == 0 ? a : b).AddCaseAsync(meeting.Id, new NewBoardCase("p" + i, "Options?")))));

        var cases = (await otherStore.ReadMeetingAsync(meeting.Id))!.Cases;
        Assert.Equal([1, 2, 3, 4, 5, 6], cases.Select(c => c.Position));
        Assert.Equal(6, cases.Select(c => c.PatientId).Distinct().Count());

        // Moving keeps positions dense and ordered.
        var moved = (await b.MoveCaseAsync(meeting.Id, cases[5].Id, -5)).Value!;
        Assert.Equal([cases[5].Id, cases[0].Id, cases[1].Id], moved.Cases.Take(3).Select(c => c.Id));
        Assert.Equal([1, 2, 3, 4, 5, 6], moved.Cases.Select(c => c.Position));
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Meetings_list_by_scheduled_time_and_sign_in_names_match_whatever_their_case(AuditEngine engine)
    {
        using var bed = new BoardTestBed(engine);
        var created = DateTimeOffset.UtcNow;
        foreach (var (title, day) in new[] { ("Late", 20), ("Early", 5), ("Middle", 12) })
        {
            await bed.Store.CreateMeetingAsync(
                new MeetingRecord(Guid.NewGuid(), title, new DateTimeOffset(2026, 12, day, 16, 0, 0, TimeSpan.FromHours(1)), "Board", Chair,
                    ["Board", "zeta", "Alpha", "board2"], created, "dev-board"),
                () => Task.CompletedTask);
        }

        Assert.Equal(["Early", "Middle", "Late"], (await bed.Store.ListForUserAsync("BOARD2")).Select(m => m.Title));
        Assert.Equal(3, (await bed.Store.ListForUserAsync("board")).Count); // the chair, by another spelling
        Assert.Empty(await bed.Store.ListForUserAsync("board3"));
        var listed = (await bed.Store.ListForUserAsync("alpha"))[0];
        Assert.Equal(["Alpha", "Board", "board2", "zeta"], listed.Attendees);
        Assert.Equal(new DateTimeOffset(2026, 12, 5, 15, 0, 0, TimeSpan.Zero), listed.ScheduledUtc);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task A_restarted_instance_applies_no_migration_again_and_keeps_the_data(AuditEngine engine)
    {
        using var bed = new BoardTestBed(engine);
        var (_, caseId, v1) = await DraftAsync(bed);
        var versionTable = engine == AuditEngine.PostgreSql ? "board_schema_version" : "schema_version";
        using var direct = bed.OpenDirect();
        var before = direct.Query<(long Version, string Name, string AppliedUtc)>($"SELECT version, name, applied_utc FROM {versionTable} ORDER BY version").ToList();

        // Two instances starting at once on the migrated database, then a restart.
        await Task.WhenAll(bed.CreateStore().InitializeAsync(), bed.CreateStore().InitializeAsync());
        var restarted = bed.CreateStore();
        await restarted.InitializeAsync();

        Assert.Equal([(1L, "tumor_boards")], before.Select(r => (r.Version, r.Name)));
        Assert.Equal(before, direct.Query<(long Version, string Name, string AppliedUtc)>($"SELECT version, name, applied_utc FROM {versionTable} ORDER BY version").ToList());
        Assert.Equal(v1.ContentHash, Assert.Single(await restarted.ReadRecommendationsAsync(caseId)).ContentHash);
        await restarted.CheckWritableAsync();
    }

    [Fact]
    public async Task PostgreSQL_a_second_instance_signing_waits_for_the_first_on_the_case_row_then_is_told_it_is_signed()
    {
        using var bed = new BoardTestBed(AuditEngine.PostgreSql);
        var (meetingId, caseId, v1) = await DraftAsync(bed);
        var held = new HeldSignOffAuditTrail();
        var otherStore = bed.CreateStore();
        var otherAudit = new RecordingAuditTrail();
        var now = DateTimeOffset.UtcNow;
        var first = bed.Tickets.Issue(meetingId, caseId, 1, v1.ContentHash, new BoardMember("board", Chair, "dev-board"));
        var second = bed.Tickets.Issue(meetingId, caseId, 1, v1.ContentHash, new BoardMember("board", Chair, "dev-board"));

        // Instance A is inside its sign transaction (recording the audit event) when instance B starts signing.
        var a = Task.Run(() => bed.As(bed.Store, held, "board", Chair, authTime: now).CompleteSignOffAsync(first));
        await held.Entered.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var b = Task.Run(() => bed.As(otherStore, otherAudit, "board", Chair, authTime: now).CompleteSignOffAsync(second));
        await WaitForLockWaitAsync(bed, b);
        Assert.False(b.IsCompleted);

        held.Release.SetResult();
        var (signed, refused) = (await a, await b);

        Assert.True(signed.Succeeded, signed.Message);
        Assert.False(refused.Succeeded);
        Assert.StartsWith("Version 1 was already signed by Dr. Tomas Berg on ", refused.Message, StringComparison.Ordinal);
        Assert.Single(held.Entries, e => e.Action == AuditActions.TumorBoardSignOff);
        Assert.DoesNotContain(otherAudit.Entries, e => e.Action == AuditActions.TumorBoardSignOff);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task A_write_blocked_longer_than_the_busy_timeout_is_refused_clearly_and_saves_and_signs_nothing(AuditEngine engine)
    {
        using var bed = new BoardTestBed(engine);
        var (meetingId, caseId, v1) = await DraftAsync(bed);
        var impatient = bed.CreateStore(busyTimeout: TimeSpan.FromSeconds(1));
        var ticket = bed.Tickets.Issue(meetingId, caseId, 1, v1.ContentHash, new BoardMember("board", Chair, "dev-board"));
        using (bed.HoldWriteLock(caseId))
        {
            var error = await Assert.ThrowsAsync<TumorBoardStoreException>(() =>
                bed.As(impatient, bed.Audit, "board2").SaveRecommendationAsync(meetingId, caseId, BoardTestBed.Draft("Never saved.")));
            var signOff = await bed.As(impatient, bed.Audit, "board", Chair, authTime: DateTimeOffset.UtcNow).CompleteSignOffAsync(ticket);

            var expected = engine == AuditEngine.Sqlite
                ? "Another connection or process held the tumor board database locked for more than 1 s. Try again"
                : "Another portal instance held this meeting or case locked for more than 1 s; nothing was saved. Try again";
            Assert.StartsWith($"The tumor board store ({impatient.Location}) could not be written: ", error.Message, StringComparison.Ordinal);
            Assert.Contains(expected, error.Message, StringComparison.Ordinal);
            Assert.False(signOff.Succeeded);
            Assert.StartsWith("Not signed: The tumor board store (", signOff.Message, StringComparison.Ordinal);
            Assert.Contains(expected, signOff.Message, StringComparison.Ordinal);
        }

        var stored = Assert.Single(await bed.Store.ReadRecommendationsAsync(caseId));
        Assert.Equal(v1.Content.Rationale, stored.Content.Rationale);
        Assert.False(stored.IsSigned);
        Assert.DoesNotContain(bed.Audit.Entries, e => e.Action == AuditActions.TumorBoardSignOff);
    }

    [Fact]
    public async Task PostgreSQL_an_unreachable_server_or_a_missing_database_gives_a_clear_error_naming_the_setting_and_never_the_password()
    {
        var port = FreePort.Next();
        using var down = new PostgreSqlTumorBoardStore(new TumorBoardStoreOptions
        {
            Provider = "PostgreSql",
            ConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Password=s3cret-value;Database=boards;Timeout=2",
        });

        var unreachable = await Assert.ThrowsAsync<TumorBoardStoreException>(() => down.ListForUserAsync("board"));
        Assert.StartsWith($"The tumor board store (PostgreSQL database 'boards' on 127.0.0.1:{port}) could not be opened: ", unreachable.Message, StringComparison.Ordinal);
        Assert.EndsWith("Check that the PostgreSQL server named in TumorBoards:ConnectionString is running and reachable from the portal, and that its credentials are right.", unreachable.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-value", unreachable.Message, StringComparison.Ordinal);
        var notReady = await Assert.ThrowsAsync<TumorBoardStoreException>(() => down.CheckWritableAsync());
        Assert.Contains("running and reachable", notReady.Message, StringComparison.Ordinal);

        var missingDatabase = new NpgsqlConnectionStringBuilder(AuditEngines.PostgresConnectionString) { Database = "no_such_board_db_" + Guid.NewGuid().ToString("N")[..8] };
        using var missing = new PostgreSqlTumorBoardStore(new TumorBoardStoreOptions { Provider = "PostgreSql", ConnectionString = missingDatabase.ToString() });
        var noDatabase = await Assert.ThrowsAsync<TumorBoardStoreException>(() => missing.InitializeAsync());
        Assert.Contains($"database \"{missingDatabase.Database}\" does not exist", noDatabase.Message, StringComparison.Ordinal);
        Assert.EndsWith("The database named in TumorBoards:ConnectionString does not exist. Create it; the portal creates its tables itself.", noDatabase.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostgreSQL_the_tumor_boards_and_the_audit_trail_can_share_one_schema_each_with_its_own_migrations()
    {
        using var bed = new BoardTestBed(AuditEngine.PostgreSql);
        await using var audit = new PostgreSqlAuditStore(new AuditStoreOptions { Provider = "PostgreSql", ConnectionString = bed.ConnectionString });
        await audit.InitializeAsync();
        var (_, caseId, _) = await DraftAsync(bed);
        await audit.AppendAsync(new NewAuditEvent(AuditActor.Anonymous, AuditActions.SignInFailed, AuditOutcome.Failure, null, null, null, null, null));

        using var direct = bed.OpenDirect();
        Assert.Equal([1L], direct.Query<long>("SELECT version FROM board_schema_version"));
        Assert.True(direct.ExecuteScalar<long>("SELECT MAX(version) FROM schema_version") >= 2); // the audit trail's scripts
        Assert.Single(await bed.CreateStore().ReadRecommendationsAsync(caseId));
        Assert.True((await audit.VerifyChainAsync()).IsValid);
    }

    [Fact]
    public async Task PostgreSQL_truncating_recommendations_is_refused_while_one_is_signed()
    {
        using var bed = new BoardTestBed(AuditEngine.PostgreSql);
        var (meetingId, caseId, v1) = await DraftAsync(bed);
        await SignAsync(bed, meetingId, caseId, v1);

        using var direct = bed.OpenDirect();
        var error = Assert.ThrowsAny<DbException>(() => direct.Execute("TRUNCATE board_recommendation"));
        Assert.Contains("signed recommendation is locked", error.Message, StringComparison.Ordinal);
        Assert.Single(await bed.Store.ReadRecommendationsAsync(caseId));
    }

    [Fact]
    public async Task Both_engines_ship_the_same_numbered_scripts_and_create_the_same_tables_and_columns()
    {
        var prefix = "Precision.Portal.Server.TumorBoards.Migrations.";
        var sqlite = SqlMigrator.FromEmbeddedScripts(typeof(TumorBoardSqlStore).Assembly, prefix + "sqlite.");
        var postgres = SqlMigrator.FromEmbeddedScripts(typeof(TumorBoardSqlStore).Assembly, prefix + "postgresql.");
        Assert.Equal(sqlite.Migrations.Select(m => (m.Version, m.Name)), postgres.Migrations.Select(m => (m.Version, m.Name)));

        using var sqliteBed = new BoardTestBed(AuditEngine.Sqlite);
        using var postgresBed = new BoardTestBed(AuditEngine.PostgreSql);
        await sqliteBed.Store.InitializeAsync();
        await postgresBed.Store.InitializeAsync();
        using var sqliteDb = sqliteBed.OpenDirect();
        using var postgresDb = postgresBed.OpenDirect();
        var sqliteColumns = sqliteDb.Query<string>(
            "SELECT m.name || '.' || c.name FROM sqlite_master m, pragma_table_info(m.name) c WHERE m.type = 'table' AND m.name LIKE 'board%' ORDER BY 1").ToList();
        var postgresColumns = postgresDb.Query<string>(
            "SELECT table_name || '.' || column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name LIKE 'board%' AND table_name <> 'board_schema_version' ORDER BY (table_name || '.' || column_name) COLLATE \"C\"").ToList();
        Assert.Equal(sqliteColumns, postgresColumns);
        Assert.Contains("board_recommendation.signed_utc", postgresColumns);
    }

    [Fact]
    public async Task Version_tables_are_per_store_and_must_be_plain_names()
    {
        var root = Path.Combine(Path.GetTempPath(), "precision-board-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        try
        {
            using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(root, "shared.db")};Pooling=False");
            await new SqlMigrator([new SqlMigration(1, "a", "CREATE TABLE a (x INTEGER);"), new SqlMigration(2, "a2", "CREATE TABLE a2 (x INTEGER);")], "store a").MigrateAsync(connection);
            var applied = await new SqlMigrator([new SqlMigration(1, "b", "CREATE TABLE b (x INTEGER);")], "store b", "b_schema_version").MigrateAsync(connection);

            Assert.Equal([1], applied.Select(m => m.Version)); // not refused as "newer" because store a is at version 2
            Assert.Equal(["b"], connection.Query<string>("SELECT name FROM b_schema_version"));
            Assert.Throws<ArgumentException>(() => new SqlMigrator([], "bad", "x; DROP TABLE a"));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<(Guid MeetingId, Guid CaseId, RecommendationVersion V1)> DraftAsync(BoardTestBed bed)
    {
        var chair = bed.As("board", Chair);
        var meeting = (await chair.CreateMeetingAsync(BoardTestBed.Meeting("board2", "board3"))).Value!;
        var caseId = (await chair.AddCaseAsync(meeting.Id, new NewBoardCase("p1", "Options?"))).Value!.Cases[0].Id;
        var v1 = (await chair.SaveRecommendationAsync(meeting.Id, caseId, BoardTestBed.Draft())).Value!;
        return (meeting.Id, caseId, v1);
    }

    private static async Task SignAsync(BoardTestBed bed, Guid meetingId, Guid caseId, RecommendationVersion version)
    {
        var ticket = bed.Tickets.Issue(meetingId, caseId, version.Version, version.ContentHash, new BoardMember("board", Chair, "dev-board"));
        var signed = await bed.As("board", Chair, authTime: DateTimeOffset.UtcNow).CompleteSignOffAsync(ticket);
        Assert.True(signed.Succeeded, signed.Message);
    }

    /// <summary>Waits until a backend of this test's database waits for a row lock (PostgreSQL reports it), or the task ends.</summary>
    private static async Task WaitForLockWaitAsync(BoardTestBed bed, Task other)
    {
        using var monitor = bed.OpenDirect();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && !other.IsCompleted)
        {
            var waiting = monitor.ExecuteScalar<long>(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FROM board_case WHERE id = %FOR NO KEY UPDATE%'");
            if (waiting > 0)
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail("The second instance never waited for the case row: " + (other.IsCompleted ? "it finished first." : "timed out."));
    }

    /// <summary>Records like <see cref="RecordingAuditTrail"/>, but holds the sign-off record (inside the store's transaction) until released.</summary>
    private sealed class HeldSignOffAuditTrail : IAuditTrail
    {
        private readonly RecordingAuditTrail _inner = new();

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<AuditEntry> Entries => _inner.Entries;

        public async Task<AuditReceipt> RecordAsync(AuditEntry entry, CancellationToken cancellationToken = default)
        {
            if (entry.Action == AuditActions.TumorBoardSignOff)
            {
                Entered.TrySetResult();
                await Release.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
            }

            return await _inner.RecordAsync(entry, cancellationToken);
        }
    }
}
