using Dapper;
using Microsoft.Data.Sqlite;
using Precision.Portal.Client.Audit;
using Precision.Portal.Server.Audit;

namespace Precision.Portal.Server.Tests.Audit;

/// <summary>A fresh directory for one test's audit database; removed afterwards.</summary>
internal sealed class AuditTestDirectory : IDisposable
{
    public AuditTestDirectory()
    {
        Root = Path.Combine(Path.GetTempPath(), "precision-audit-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string DatabasePath => Path.Combine(Root, "audit.db");

    public SqliteAuditStore CreateStore(TimeProvider? time = null, TimeSpan? busyTimeout = null, string? dataDirectory = null) =>
        new(new AuditStoreOptions
        {
            DataDirectory = dataDirectory ?? Root,
            BusyTimeout = busyTimeout ?? TimeSpan.FromSeconds(5),
        }, time);

    /// <summary>A connection outside the store, as an administrator or attacker with file access would have.</summary>
    public SqliteConnection OpenDirect()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>Runs SQL against the file with the append-only triggers dropped, as someone with file access could.</summary>
    public void Tamper(string sql)
    {
        using var connection = OpenDirect();
        connection.Execute("DROP TRIGGER IF EXISTS audit_event_no_update; DROP TRIGGER IF EXISTS audit_event_no_delete;");
        connection.Execute(sql);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

internal static class AuditSamples
{
    public static readonly AuditActor Clinician = new("sub-clinician-7", "Dr. Ada Example", ["clinician", "auditor"]);

    /// <summary>An event with every optional field set, varied by <paramref name="n"/>.</summary>
    public static NewAuditEvent Event(int n, string? patient = null, string action = AuditActions.PatientView) => new(
        Clinician,
        action,
        n % 3 == 0 ? AuditOutcome.Denied : AuditOutcome.Success,
        patient ?? $"Patient/{n % 4}",
        "/patients/{id}",
        $$"""{"n":{{n}},"note":"Grüße – ✓"}""",
        "10.1.2.3",
        $"corr-{n}");

    public static async Task<List<AuditEvent>> AppendManyAsync(IAuditStore store, int count)
    {
        var events = new List<AuditEvent>(count);
        for (var i = 1; i <= count; i++)
        {
            events.Add(await store.AppendAsync(Event(i)));
        }

        return events;
    }
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
