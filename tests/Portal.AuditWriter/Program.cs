using System.Globalization;
using Precision.Portal.Client.Audit;
using Precision.Portal.Server.Audit;

// A separate process appending to a shared PostgreSQL audit trail, as a second portal instance would: its own store,
// its own connection pool and writer loop. Used by the multi-process test.
// Usage: Precision.Portal.AuditWriter <connection string> <name> <appends per writer> <writers>
if (args.Length != 4)
{
    Console.Error.WriteLine("usage: Precision.Portal.AuditWriter <connection string> <name> <appends per writer> <writers>");
    return 2;
}

var name = args[1];
var count = int.Parse(args[2], CultureInfo.InvariantCulture);
var writers = int.Parse(args[3], CultureInfo.InvariantCulture);
await using var store = new PostgreSqlAuditStore(new AuditStoreOptions { Provider = "PostgreSql", ConnectionString = args[0], BusyTimeout = TimeSpan.FromSeconds(30) });
await store.InitializeAsync();
Console.WriteLine("ready");

// Start together: wait for the test to say go, so the processes overlap.
await Console.In.ReadLineAsync();
var actor = new AuditActor("sub-" + name, "Writer " + name, ["clinician"]);
var sequences = await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
{
    var mine = new List<long>(count);
    for (var i = 0; i < count; i++)
    {
        var e = await store.AppendAsync(new NewAuditEvent(actor, AuditActions.PatientView, AuditOutcome.Success, $"Patient/{i}", name,
            $$"""{"writer":"{{name}}-{{w}}","n":{{i}}}""", "127.0.0.1", $"{name}-{w}-{i}"));
        mine.Add(e.Sequence);
    }

    return mine;
})));
Console.WriteLine("appended " + string.Join(',', sequences.SelectMany(s => s)));
return 0;
