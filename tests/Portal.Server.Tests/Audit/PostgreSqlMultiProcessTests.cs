using System.Diagnostics;
using Precision.Portal.Server.Audit;

namespace Precision.Portal.Server.Tests.Audit;

/// <summary>Two separate processes, each with its own store, pool and writer loop, appending to one PostgreSQL trail at once.</summary>
public sealed class PostgreSqlMultiProcessTests
{
    private const int AppendsPerWriter = 300;
    private const int WritersPerProcess = 4;

    [Fact]
    public async Task Two_processes_appending_concurrently_keep_one_valid_chain_with_no_gaps_and_every_event()
    {
        using var db = new AuditTestDatabase(AuditEngine.PostgreSql);
        await using (var creator = db.CreateStore())
        {
            await creator.InitializeAsync();
        }

        var processes = new[] { Start(db.ConnectionString!, "a"), Start(db.ConnectionString!, "b") };
        try
        {
            foreach (var process in processes)
            {
                Assert.Equal("ready", await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)));
            }

            foreach (var process in processes)
            {
                await process.StandardInput.WriteLineAsync("go");
                await process.StandardInput.FlushAsync();
            }

            var outputs = new List<long[]>();
            foreach (var process in processes)
            {
                var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(3));
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
                Assert.True(process.ExitCode == 0, await process.StandardError.ReadToEndAsync());
                Assert.StartsWith("appended ", line, StringComparison.Ordinal);
                outputs.Add([.. line!["appended ".Length..].Split(',').Select(long.Parse)]);
            }

            const int perProcess = AppendsPerWriter * WritersPerProcess;
            Assert.All(outputs, o => Assert.Equal(perProcess, o.Length));
            var all = outputs.SelectMany(o => o).Order().ToList();
            Assert.Equal(Enumerable.Range(1, 2 * perProcess).Select(i => (long)i), all); // no gaps, no duplicates

            // Both processes really interleaved: each one's events are not one contiguous block.
            Assert.All(outputs, o => Assert.True(o.Max() - o.Min() + 1 > o.Length, "one process ran entirely before the other"));

            await using var verifier = db.CreateStore();
            var verification = await verifier.VerifyChainAsync();
            Assert.True(verification.IsValid, verification.Problem);
            Assert.Equal(2 * perProcess, verification.EventsChecked);
            Assert.Equal(perProcess, await verifier.CountAsync(new Client.Audit.AuditSearchQuery { User = "sub-a" }));
            Assert.Equal(perProcess, await verifier.CountAsync(new Client.Audit.AuditSearchQuery { User = "sub-b" }));
        }
        finally
        {
            foreach (var process in processes)
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }

                process.Dispose();
            }
        }
    }

    private static Process Start(string connectionString, string name)
    {
        var tool = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "Portal.AuditWriter", "bin",
            Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)))!, "net10.0", "Precision.Portal.AuditWriter.dll"));
        Assert.True(File.Exists(tool), $"The writer tool was not built at {tool}.");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { tool, connectionString, name, AppendsPerWriter.ToString(System.Globalization.CultureInfo.InvariantCulture), WritersPerProcess.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start.");
    }
}
