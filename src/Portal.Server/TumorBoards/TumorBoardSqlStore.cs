using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dapper;
using Precision.Portal.Client.TumorBoards;
using Precision.Portal.Server.Audit;

namespace Precision.Portal.Server.TumorBoards;

/// <summary>
/// Meetings, agendas and recommendation versions: the SQL both engines share (the same tables, columns and stored text;
/// see <c>Migrations/sqlite</c> and <c>Migrations/postgresql</c>). Each write is one transaction that serializes with
/// other writers to the same meeting or case before it reads anything (<see cref="BeginWriteAsync"/>,
/// <see cref="LockAsync"/>), runs the caller's audit record inside it, then commits. Database failures become
/// <see cref="TumorBoardStoreException"/>s that say what failed and what to do.
/// </summary>
public abstract class TumorBoardSqlStore : ITumorBoardStore, IDisposable
{
    internal static readonly JsonSerializerOptions ContentJson = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    private readonly SemaphoreSlim _initializeLock = new(1, 1);
    private volatile bool _initialized;

    /// <summary>Which database, for messages: a file path, or server, database and schema (never a password).</summary>
    public abstract string Location { get; }

    /// <summary>A row lock that is held until commit: which table.</summary>
    protected enum LockScope
    {
        /// <summary>The meeting's row: agenda changes (positions) serialize on it.</summary>
        Meeting,

        /// <summary>The case's row: saving and signing its recommendation serialize on it.</summary>
        Case,
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _initializeLock.Dispose();
        }
    }

    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        if (_initialized)
        {
            return;
        }

        await _initializeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialized)
            {
                return;
            }

            try
            {
                await MigrateAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsStoreFailure(ex))
            {
                throw Failure("be opened", ex);
            }

            _initialized = true;
        }
        finally
        {
            _initializeLock.Release();
        }
    }

    /// <summary>
    /// Whether the store can take writes now: the schema is current and a write transaction starts (for PostgreSQL,
    /// on a server that accepts writes). Nothing is written. For the readiness check.
    /// </summary>
    public async Task CheckWritableAsync(CancellationToken cancellationToken = default)
    {
        await WriteAsync("be written", async (connection, transaction) =>
        {
            await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                "SELECT COUNT(*) FROM board_meeting", transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await CheckAcceptsWritesAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken, commit: false).ConfigureAwait(false);
    }

    /// <summary>Creates the database when missing and applies this engine's migration scripts.</summary>
    protected abstract Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>An open connection (the schema is already migrated).</summary>
    protected abstract Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);

    /// <summary>A transaction that may write; SQLite takes the database's write lock here.</summary>
    protected abstract Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>
    /// Locks one meeting or case row until commit, so writers on several portal instances serialize on it and each
    /// reads what the one before committed. SQLite needs nothing here: it holds the whole database's write lock.
    /// </summary>
    protected virtual Task LockAsync(DbConnection connection, DbTransaction transaction, LockScope scope, string id, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    /// <summary>Throws when the database would refuse writes (a read-only server); nothing to check for SQLite.</summary>
    protected virtual Task CheckAcceptsWritesAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    /// <summary>What an operator should do about <paramref name="exception"/> (names the setting to check).</summary>
    protected abstract string Advice(Exception exception);

    public Task<IReadOnlyList<TumorBoardMeetingSummary>> ListForUserAsync(string userName, CancellationToken cancellationToken = default) =>
        ReadAsync("be read", connection => ListForUserAsync(connection, userName, cancellationToken), cancellationToken);

    private static async Task<IReadOnlyList<TumorBoardMeetingSummary>> ListForUserAsync(DbConnection connection, string userName, CancellationToken cancellationToken)
    {
        // lower(): sign-in names compare case-insensitively (ASCII), as SQLite's NOCASE columns did.
        var meetings = (await connection.QueryAsync<MeetingRow>(new CommandDefinition(
            """
            SELECT m.id AS Id, m.title AS Title, m.scheduled_utc AS ScheduledUtc, m.chair_user_name AS ChairUserName,
                   m.chair_display_name AS ChairDisplayName, m.created_utc AS CreatedUtc
            FROM board_meeting m
            WHERE lower(m.chair_user_name) = lower(@userName)
               OR EXISTS (SELECT 1 FROM board_attendee a WHERE a.meeting_id = m.id AND lower(a.user_name) = lower(@userName))
            ORDER BY m.scheduled_utc, m.created_utc, m.id
            """, new { userName }, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();

        var result = new List<TumorBoardMeetingSummary>(meetings.Count);
        foreach (var m in meetings)
        {
            var attendees = await AttendeesAsync(connection, m.Id, cancellationToken).ConfigureAwait(false);
            var cases = await CasesAsync(connection, m.Id, cancellationToken).ConfigureAwait(false);
            result.Add(new TumorBoardMeetingSummary(Guid.Parse(m.Id), m.Title, ParseUtc(m.ScheduledUtc), m.ChairUserName, m.ChairDisplayName,
                attendees, cases.Count, cases.Count(c => c.Status == BoardCaseStatus.SignedOff)));
        }

        return result;
    }

    public Task<TumorBoardMeeting?> ReadMeetingAsync(Guid meetingId, CancellationToken cancellationToken = default) =>
        ReadAsync("be read", connection => ReadMeetingAsync(connection, meetingId, cancellationToken), cancellationToken);

    private static async Task<TumorBoardMeeting?> ReadMeetingAsync(DbConnection connection, Guid meetingId, CancellationToken cancellationToken)
    {
        var m = await connection.QuerySingleOrDefaultAsync<MeetingRow>(new CommandDefinition(
            """
            SELECT id AS Id, title AS Title, scheduled_utc AS ScheduledUtc, chair_user_name AS ChairUserName,
                   chair_display_name AS ChairDisplayName, created_utc AS CreatedUtc
            FROM board_meeting WHERE id = @id
            """, new { id = Key(meetingId) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (m is null)
        {
            return null;
        }

        return new TumorBoardMeeting(meetingId, m.Title, ParseUtc(m.ScheduledUtc), m.ChairUserName, m.ChairDisplayName,
            await AttendeesAsync(connection, m.Id, cancellationToken).ConfigureAwait(false),
            await CasesAsync(connection, m.Id, cancellationToken).ConfigureAwait(false),
            ParseUtc(m.CreatedUtc));
    }

    public async Task CreateMeetingAsync(MeetingRecord meeting, Func<Task> beforeCommit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(meeting);
        ArgumentNullException.ThrowIfNull(beforeCommit);
        await WriteAsync("be written", async (connection, transaction) =>
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO board_meeting (id, title, scheduled_utc, chair_user_name, chair_display_name, created_utc, created_by_subject)
                VALUES (@Id, @Title, @ScheduledUtc, @ChairUserName, @ChairDisplayName, @CreatedUtc, @CreatedBySubject)
                """,
                new
                {
                    Id = Key(meeting.Id),
                    meeting.Title,
                    ScheduledUtc = FormatUtc(meeting.ScheduledUtc),
                    meeting.ChairUserName,
                    meeting.ChairDisplayName,
                    CreatedUtc = FormatUtc(meeting.CreatedUtc),
                    meeting.CreatedBySubject,
                }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            foreach (var attendee in meeting.Attendees.Distinct(StringComparer.OrdinalIgnoreCase))
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO board_attendee (meeting_id, user_name) VALUES (@MeetingId, @UserName)",
                    new { MeetingId = Key(meeting.Id), UserName = attendee }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            await beforeCommit().ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task AddCaseAsync(CaseRecord boardCase, Func<Task> beforeCommit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(boardCase);
        ArgumentNullException.ThrowIfNull(beforeCommit);
        await WriteAsync("be written", async (connection, transaction) =>
        {
            await LockAsync(connection, transaction, LockScope.Meeting, Key(boardCase.MeetingId), cancellationToken).ConfigureAwait(false);
            var next = await connection.QuerySingleAsync<long>(new CommandDefinition(
                "SELECT CAST(COALESCE(MAX(position), 0) + 1 AS BIGINT) FROM board_case WHERE meeting_id = @MeetingId",
                new { MeetingId = Key(boardCase.MeetingId) }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO board_case (id, meeting_id, position, patient_id, patient_label, question, added_utc, added_by)
                VALUES (@Id, @MeetingId, @Position, @PatientId, @PatientLabel, @Question, @AddedUtc, @AddedBy)
                """,
                new
                {
                    Id = Key(boardCase.Id),
                    MeetingId = Key(boardCase.MeetingId),
                    Position = next,
                    boardCase.PatientId,
                    boardCase.PatientLabel,
                    boardCase.Question,
                    AddedUtc = FormatUtc(boardCase.AddedUtc),
                    boardCase.AddedBy,
                }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await beforeCommit().ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> MoveCaseAsync(Guid meetingId, Guid caseId, int offset, Func<int, int, Task> beforeCommit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(beforeCommit);
        return await WriteAsync("be written", async (connection, transaction) =>
        {
            await LockAsync(connection, transaction, LockScope.Meeting, Key(meetingId), cancellationToken).ConfigureAwait(false);
            var ids = (await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT id FROM board_case WHERE meeting_id = @MeetingId ORDER BY position",
                new { MeetingId = Key(meetingId) }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();
            var from = ids.IndexOf(Key(caseId));
            if (from < 0)
            {
                return false;
            }

            var to = Math.Clamp(from + offset, 0, ids.Count - 1);
            if (to == from)
            {
                return false;
            }

            var moved = ids[from];
            ids.RemoveAt(from);
            ids.Insert(to, moved);
            for (var i = 0; i < ids.Count; i++)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE board_case SET position = @Position WHERE id = @Id",
                    new { Position = i + 1, Id = ids[i] }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            await beforeCommit(from + 1, to + 1).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<RecommendationVersion>> ReadRecommendationsAsync(Guid caseId, CancellationToken cancellationToken = default) =>
        ReadAsync("be read", connection => ReadVersionsAsync(connection, null, caseId, cancellationToken), cancellationToken);

    public async Task<RecommendationVersion> SaveRecommendationAsync(
        Guid caseId,
        Func<int, int?, RecommendationVersion> build,
        Func<RecommendationVersion, Task> beforeCommit,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(build);
        ArgumentNullException.ThrowIfNull(beforeCommit);
        return await WriteAsync("be written", async (connection, transaction) =>
        {
            await LockAsync(connection, transaction, LockScope.Case, Key(caseId), cancellationToken).ConfigureAwait(false);
            var existing = await ReadVersionsAsync(connection, transaction, caseId, cancellationToken).ConfigureAwait(false);
            var latest = existing.Count > 0 ? existing[0] : null;
            RecommendationVersion row;
            if (latest is { IsSigned: false })
            {
                row = build(latest.Version, latest.Amends);
                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    UPDATE board_recommendation
                    SET kind = @Kind, content_json = @ContentJson, content_hash = @ContentHash, author_user_name = @AuthorUserName,
                        author_display_name = @AuthorDisplayName, saved_utc = @SavedUtc
                    WHERE case_id = @CaseId AND version = @Version AND signed_utc IS NULL
                    """, Parameters(row), transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }
            else
            {
                row = build((latest?.Version ?? 0) + 1, latest?.Version);
                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO board_recommendation (case_id, version, kind, content_json, content_hash, amends, author_user_name, author_display_name, saved_utc)
                    VALUES (@CaseId, @Version, @Kind, @ContentJson, @ContentHash, @Amends, @AuthorUserName, @AuthorDisplayName, @SavedUtc)
                    """, Parameters(row), transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            await beforeCommit(row).ConfigureAwait(false);
            return row;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<(SignOffStoreResult Result, RecommendationVersion? Version)> SignAsync(
        Guid caseId,
        int version,
        string contentHash,
        RecommendationSignOff signOff,
        Func<Task> beforeCommit,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signOff);
        ArgumentNullException.ThrowIfNull(beforeCommit);
        return await WriteAsync("be written", async (connection, transaction) =>
        {
            await LockAsync(connection, transaction, LockScope.Case, Key(caseId), cancellationToken).ConfigureAwait(false);
            var versions = await ReadVersionsAsync(connection, transaction, caseId, cancellationToken).ConfigureAwait(false);
            var target = versions.FirstOrDefault(v => v.Version == version);
            if (target is null)
            {
                return (SignOffStoreResult.NotFound, (RecommendationVersion?)null);
            }

            if (target.IsSigned)
            {
                return (SignOffStoreResult.AlreadySigned, target);
            }

            if (versions[0].Version != version || !string.Equals(target.ContentHash, contentHash, StringComparison.OrdinalIgnoreCase))
            {
                return (SignOffStoreResult.NotLatestOrChanged, versions[0]);
            }

            var changed = await connection.ExecuteAsync(new CommandDefinition(
                """
                UPDATE board_recommendation
                SET signed_user_name = @UserName, signed_display_name = @DisplayName, signed_subject = @Subject,
                    signed_utc = @SignedUtc, sign_method = @Method, authenticated_utc = @AuthenticatedUtc
                WHERE case_id = @CaseId AND version = @Version AND content_hash = @ContentHash AND signed_utc IS NULL
                """,
                new
                {
                    signOff.UserName,
                    signOff.DisplayName,
                    signOff.Subject,
                    SignedUtc = FormatUtc(signOff.SignedUtc),
                    signOff.Method,
                    AuthenticatedUtc = signOff.AuthenticatedUtc is { } at ? FormatUtc(at) : null,
                    CaseId = Key(caseId),
                    Version = version,
                    ContentHash = target.ContentHash,
                }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (changed != 1)
            {
                return (SignOffStoreResult.NotLatestOrChanged, target);
            }

            await beforeCommit().ConfigureAwait(false);
            return (SignOffStoreResult.SignedNow, target with { SignOff = signOff });
        }, cancellationToken).ConfigureAwait(false);
    }

    private static object Parameters(RecommendationVersion row) => new
    {
        CaseId = Key(row.CaseId),
        row.Version,
        Kind = row.Content.Kind.ToString(),
        ContentJson = JsonSerializer.Serialize(row.Content, ContentJson),
        row.ContentHash,
        row.Amends,
        row.AuthorUserName,
        row.AuthorDisplayName,
        SavedUtc = FormatUtc(row.SavedUtc),
    };

    private static async Task<IReadOnlyList<RecommendationVersion>> ReadVersionsAsync(DbConnection connection, DbTransaction? transaction, Guid caseId, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<RecommendationRow>(new CommandDefinition(
            """
            SELECT case_id AS CaseId, version AS Version, content_json AS ContentJson, content_hash AS ContentHash, amends AS Amends,
                   author_user_name AS AuthorUserName, author_display_name AS AuthorDisplayName, saved_utc AS SavedUtc,
                   signed_user_name AS SignedUserName, signed_display_name AS SignedDisplayName, signed_subject AS SignedSubject,
                   signed_utc AS SignedUtc, sign_method AS SignMethod, authenticated_utc AS AuthenticatedUtc
            FROM board_recommendation WHERE case_id = @CaseId ORDER BY version DESC
            """, new { CaseId = Key(caseId) }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. rows.Select(r => new RecommendationVersion(
            Guid.Parse(r.CaseId),
            (int)r.Version,
            JsonSerializer.Deserialize<RecommendationDraft>(r.ContentJson, ContentJson)!,
            r.AuthorUserName,
            r.AuthorDisplayName,
            ParseUtc(r.SavedUtc),
            r.ContentHash,
            r.Amends is { } a ? (int)a : null,
            r.SignedUtc is null ? null : new RecommendationSignOff(
                r.SignedUserName!, r.SignedDisplayName!, r.SignedSubject!, ParseUtc(r.SignedUtc), r.SignMethod!,
                r.AuthenticatedUtc is null ? null : ParseUtc(r.AuthenticatedUtc))))];
    }

    private static async Task<IReadOnlyList<string>> AttendeesAsync(DbConnection connection, string meetingId, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT user_name FROM board_attendee WHERE meeting_id = @meetingId ORDER BY lower(user_name), user_name",
            new { meetingId }, cancellationToken: cancellationToken)).ConfigureAwait(false)];

    private static async Task<IReadOnlyList<BoardCase>> CasesAsync(DbConnection connection, string meetingId, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<CaseRow>(new CommandDefinition(
            """
            SELECT c.id AS Id, c.position AS Position, c.patient_id AS PatientId, c.patient_label AS PatientLabel, c.question AS Question,
                   (SELECT MAX(r.version) FROM board_recommendation r WHERE r.case_id = c.id) AS LatestVersion,
                   (SELECT r.signed_utc FROM board_recommendation r WHERE r.case_id = c.id ORDER BY r.version DESC LIMIT 1) AS LatestSignedUtc
            FROM board_case c WHERE c.meeting_id = @meetingId ORDER BY c.position
            """, new { meetingId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. rows.Select(r => new BoardCase(
            Guid.Parse(r.Id),
            (int)r.Position,
            r.PatientId,
            r.PatientLabel,
            r.Question,
            r.LatestVersion is null ? BoardCaseStatus.AwaitingDiscussion : r.LatestSignedUtc is null ? BoardCaseStatus.Draft : BoardCaseStatus.SignedOff,
            r.LatestVersion is { } v ? (int)v : null))];
    }

    private async Task<T> ReadAsync<T>(string operation, Func<DbConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                return await work(connection).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (IsStoreFailure(ex))
        {
            throw Failure(operation, ex);
        }
    }

    private async Task<T> WriteAsync<T>(string operation, Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken, bool commit = true)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var transaction = await BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    // An exception (the audit record in beforeCommit included) leaves without commit: disposing rolls back.
                    var result = await work(connection, transaction).ConfigureAwait(false);
                    if (commit)
                    {
                        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    }

                    return result;
                }
            }
        }
        catch (Exception ex) when (IsStoreFailure(ex))
        {
            throw Failure(operation, ex);
        }
    }

    /// <summary>Database trouble, as opposed to the caller's audit failure or cancellation, which pass through unchanged.</summary>
    private static bool IsStoreFailure(Exception exception) =>
        exception is DbException or IOException or UnauthorizedAccessException or TimeoutException
            or InvalidOperationException or System.Net.Sockets.SocketException;

    private TumorBoardStoreException Failure(string operation, Exception exception)
    {
        var advice = Advice(exception);
        return new TumorBoardStoreException(
            $"The tumor board store ({Location}) could not {operation}: {AuditStoreFailure.Reason(exception)}." + (advice.Length > 0 ? " " + advice : string.Empty),
            exception);
    }

    private static string Key(Guid id) => id.ToString("D", CultureInfo.InvariantCulture);

    internal static string FormatUtc(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    internal static DateTimeOffset ParseUtc(string value) =>
        DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

#pragma warning disable CA1812 // instantiated by Dapper
    // Classes with setters, not positional records: SQLite reports a NULL subquery result as a BLOB column,
    // which Dapper converts for properties but not for constructor parameters.
    private sealed class MeetingRow
    {
        public string Id { get; set; } = string.Empty;

        public string Title { get; set; } = string.Empty;

        public string ScheduledUtc { get; set; } = string.Empty;

        public string ChairUserName { get; set; } = string.Empty;

        public string ChairDisplayName { get; set; } = string.Empty;

        public string CreatedUtc { get; set; } = string.Empty;
    }

    private sealed class CaseRow
    {
        public string Id { get; set; } = string.Empty;

        public long Position { get; set; }

        public string PatientId { get; set; } = string.Empty;

        public string PatientLabel { get; set; } = string.Empty;

        public string Question { get; set; } = string.Empty;

        public long? LatestVersion { get; set; }

        public string? LatestSignedUtc { get; set; }
    }

    private sealed class RecommendationRow
    {
        public string CaseId { get; set; } = string.Empty;

        public long Version { get; set; }

        public string ContentJson { get; set; } = string.Empty;

        public string ContentHash { get; set; } = string.Empty;

        public long? Amends { get; set; }

        public string AuthorUserName { get; set; } = string.Empty;

        public string AuthorDisplayName { get; set; } = string.Empty;

        public string SavedUtc { get; set; } = string.Empty;

        public string? SignedUserName { get; set; }

        public string? SignedDisplayName { get; set; }

        public string? SignedSubject { get; set; }

        public string? SignedUtc { get; set; }

        public string? SignMethod { get; set; }

        public string? AuthenticatedUtc { get; set; }
    }
#pragma warning restore CA1812
}
