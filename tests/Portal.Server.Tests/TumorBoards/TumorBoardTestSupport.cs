using System.Security.Claims;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Precision.Clinical;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.Patients;
using Precision.Portal.Client.TumorBoards;
using Precision.Portal.Server.TumorBoards;

namespace Precision.Portal.Server.Tests.TumorBoards;

/// <summary>A real SQLite tumor board store in a temp directory, with the service around it and fakes at its edges.</summary>
internal sealed class BoardTestBed : IDisposable
{
    public BoardTestBed()
    {
        Root = Path.Combine(Path.GetTempPath(), "precision-board-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Store = new SqliteTumorBoardStore(new TumorBoardStoreOptions { DataDirectory = Root });
        Sessions = new BoardSessionCoordinator(TimeProvider.System, NullLogger<BoardSessionCoordinator>.Instance);
        Tickets = new SignOffTickets(TimeProvider.System);
    }

    public string Root { get; }

    public SqliteTumorBoardStore Store { get; }

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
    public TumorBoardService As(string userName, string? displayName = null, string role = "tumor-board", DateTimeOffset? authTime = null)
    {
        var user = new FakeUser { Principal = Principal(userName, displayName ?? userName, role, authTime) };
        return new TumorBoardService(Store, Audit, Sessions, Tickets, new FakePatients(), user, new BoardCircuitPresence(), TimeProvider.System);
    }

    public static NewMeeting Meeting(params string[] attendees) =>
        new("Thoracic MTB", new DateTimeOffset(2026, 12, 3, 16, 0, 0, TimeSpan.Zero), attendees);

    public static RecommendationDraft Draft(string rationale = "EGFR L858R with no prior TKI.") =>
        new(RecommendationKind.Therapy, "osimertinib", "Osimertinib", null, rationale, EvidenceLevel.EscatIA, true,
            "The model ranks osimertinib first, as the board does.", "Discussed resistance testing at progression.", "1.1.0", "Osimertinib");

    public void Dispose()
    {
        Store.Dispose();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
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
