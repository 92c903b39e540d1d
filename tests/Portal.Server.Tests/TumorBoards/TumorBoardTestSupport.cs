using System.Data.Common;
using System.Security.Claims;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Precision.Clinical;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.Patients;
using Precision.Portal.Client.TumorBoards;
using Precision.Portal.Server.Tests.Audit;
using Precision.Portal.Server.TumorBoards;

namespace Precision.Portal.Server.Tests.TumorBoards;

/// <summary>
/// A real tumor board store — a SQLite file in a temp directory, or a fresh schema in the test PostgreSQL database —
/// with the service around it and fakes at its edges.
/// </summary>
internal sealed class BoardTestBed : IDisposable
{
    private readonly string? _schema;
    private readonly List<TumorBoardSqlStore> _stores = [];

    public BoardTestBed(AuditEngine engine = AuditEngine.Sqlite)
    {
        Engine = engine;
        Root = Path.Combine(Path.GetTempPath(), "precision-board-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        if (engine == AuditEngine.PostgreSql)
        {
            _schema = "board_test_" + Guid.NewGuid().ToString("N");
            ConnectionString = new NpgsqlConnectionStringBuilder(AuditEngines.PostgresConnectionString) { SearchPath = _schema, Pooling = true }.ToString();
            using var admin = new NpgsqlConnection(AuditEngines.PostgresConnectionString);
            admin.Open();
            admin.Execute($"CREATE SCHEMA {_schema}");
        }

        Store = CreateStore();
        Sessions = new BoardSessionCoordinator(TimeProvider.System, NullLogger<BoardSessionCoordinator>.Instance);
        Tickets = new SignOffTickets(TimeProvider.System);
    }

    public AuditEngine Engine { get; }

    /// <summary>The PostgreSQL connection string with this test's schema; null for SQLite.</summary>
    public string? ConnectionString { get; }

    public TumorBoardStoreOptions Options(TimeSpan? busyTimeout = null) => Engine == AuditEngine.Sqlite
        ? new TumorBoardStoreOptions { DataDirectory = Root, BusyTimeout = busyTimeout ?? TimeSpan.FromSeconds(30) }
        : new TumorBoardStoreOptions { Provider = "PostgreSql", ConnectionString = ConnectionString, BusyTimeout = busyTimeout ?? TimeSpan.FromSeconds(30) };

    /// <summary>
    /// Another store on the same database, as a second portal process would open it (its own connection pool); disposed
    /// with the bed.
    /// </summary>
    public TumorBoardSqlStore CreateStore(TimeSpan? busyTimeout = null)
    {
        TumorBoardSqlStore store = Engine == AuditEngine.Sqlite
            ? new SqliteTumorBoardStore(Options(busyTimeout))
            : new PostgreSqlTumorBoardStore(Options(busyTimeout));
        _stores.Add(store);
        return store;
    }

    /// <summary>
    /// Holds what a write to <paramref name="caseId"/> needs, from outside the store, until disposed: SQLite's database
    /// write lock, or the case row in PostgreSQL — as a stuck process or a long transaction would.
    /// </summary>
    public IDisposable HoldWriteLock(Guid caseId)
    {
        var connection = OpenDirect();
        var transaction = connection.BeginTransaction();
        if (Engine == AuditEngine.Sqlite)
        {
            connection.Execute("INSERT INTO board_attendee (meeting_id, user_name) SELECT meeting_id, 'lock-holder' FROM board_case WHERE id = @id", new { id = caseId.ToString() }, transaction);
        }
        else
        {
            connection.Execute("SELECT id FROM board_case WHERE id = @id FOR UPDATE", new { id = caseId.ToString() }, transaction);
        }

        return new LockHolder(connection, transaction);
    }

    /// <summary>A connection outside the store, as an administrator with database access would have.</summary>
    public DbConnection OpenDirect()
    {
        DbConnection connection = Engine == AuditEngine.Sqlite
            ? new SqliteConnection($"Data Source={Path.Combine(Root, "tumor-boards.db")};Pooling=False")
            : new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    public string Root { get; }

    public TumorBoardSqlStore Store { get; }

    public BoardSessionCoordinator Sessions { get; }

    public SignOffTickets Tickets { get; }

    public RecordingAuditTrail Audit { get; } = new();

    public FakeUser User { get; } = new();

    public static ClaimsPrincipal Principal(string userName, string displayName, string role = "tumor-board", DateTimeOffset? authTime = null)
    {
        var claims = new List<Claim>
        {
            new("sub", "dev-" + userName),
            new("preferred_username", userName),
            new("name", displayName),
            new("role", role),
        };
        if (authTime is { } at)
        {
            claims.Add(new Claim("auth_time", at.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, "test", "name", "role"));
    }

    /// <summary>The service as <paramref name="userName"/> would call it from their own circuit.</summary>
    public TumorBoardService As(string userName, string? displayName = null, string role = "tumor-board", DateTimeOffset? authTime = null) =>
        As(Store, Audit, userName, displayName, role, authTime);

    /// <summary>The service on <paramref name="store"/> (e.g. another portal instance's) recording to <paramref name="audit"/>.</summary>
    public TumorBoardService As(ITumorBoardStore store, IAuditTrail audit, string userName, string? displayName = null, string role = "tumor-board", DateTimeOffset? authTime = null)
    {
        var user = new FakeUser { Principal = Principal(userName, displayName ?? userName, role, authTime) };
        return new TumorBoardService(store, audit, Sessions, Tickets, new FakePatients(), user, new BoardCircuitPresence(), TimeProvider.System);
    }

    public static NewMeeting Meeting(params string[] attendees) =>
        new("Thoracic MTB", new DateTimeOffset(2026, 12, 3, 16, 0, 0, TimeSpan.Zero), attendees);

    public static RecommendationDraft Draft(string rationale = "EGFR L858R with no prior TKI.") =>
        new(RecommendationKind.Therapy, "osimertinib", "Osimertinib", null, rationale, EvidenceLevel.EscatIA, true,
            "The model ranks osimertinib first, as the board does.", "Discussed resistance testing at progression.", "1.1.0", "Osimertinib");

    public void Dispose()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
        }

        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }

        if (_schema is not null)
        {
            NpgsqlConnection.ClearAllPools();
            using var admin = new NpgsqlConnection(AuditEngines.PostgresConnectionString);
            admin.Open();
            admin.Execute($"DROP SCHEMA IF EXISTS {_schema} CASCADE");
        }
    }
}

internal sealed class FakeUser : IBoardUserSource
{
    public ClaimsPrincipal Principal { get; set; } = new();

    public Task<ClaimsPrincipal> UserAsync() => Task.FromResult(Principal);
}

/// <summary>Keeps every entry; can be made to fail like a locked audit database.</summary>
internal sealed class RecordingAuditTrail : IAuditTrail
{
    private readonly List<AuditEntry> _entries = [];

    public bool Fail { get; set; }

    public IReadOnlyList<AuditEntry> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public Task<AuditReceipt> RecordAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        if (Fail)
        {
            throw new AuditWriteException("The audit database is locked.");
        }

        lock (_entries)
        {
            _entries.Add(entry);
            return Task.FromResult(new AuditReceipt(Guid.NewGuid(), _entries.Count, DateTimeOffset.UtcNow));
        }
    }
}

/// <summary>Every id names a patient, except "missing".</summary>
internal sealed class FakePatients : IPatientDirectory
{
    public string SourceDescription => "test patients";

    public Task<PatientPage> SearchAsync(PatientQuery query, CancellationToken cancellationToken = default) =>
        Task.FromResult(new PatientPage([], 0, 0, query.PageSize));

    public Task<PatientRecordResult> ReadAsync(string patientId, CancellationToken cancellationToken = default)
    {
        if (patientId == "missing")
        {
            return Task.FromResult(new PatientRecordResult(null, PatientRecordFailure.NotFound, "No such patient.", [], SourceDescription));
        }

        var source = new SourceReference("Patient", patientId);
        var profile = new PatientProfile(patientId, new PatientDemographics("Test Patient " + patientId, "MRN-" + patientId, new DateOnly(1960, 1, 1), AdministrativeSex.Female, null, null, source),
            [], null, null, null, [], [], [], [], [], null, null, null, null, null, [], []);
        return Task.FromResult(new PatientRecordResult(profile, null, null, ["Patient/" + patientId], SourceDescription));
    }
}

internal sealed class LockHolder(DbConnection connection, DbTransaction transaction) : IDisposable
{
    public void Dispose()
    {
        transaction.Rollback();
        transaction.Dispose();
        connection.Dispose();
    }
}
