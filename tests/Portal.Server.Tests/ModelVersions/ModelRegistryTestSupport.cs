using System.Security.Claims;
using Microsoft.Extensions.DependencyInjection;
using Precision.Portal.Server.Audit;
using Precision.Portal.Testing;

namespace Precision.Portal.Server.Tests.ModelVersions;

/// <summary>
/// A temporary model directory with copies of the committed 1.0.0 and 1.1.0 and a "1.0.1" that is 1.0.0's folder
/// unchanged (its manifest names 1.0.0, so the registry refuses it), and a data directory that outlives one portal.
/// </summary>
internal sealed class ModelRegistryTestBed : IDisposable
{
    public ModelRegistryTestBed()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "Precision.Portal.sln")))
        {
            root = root.Parent ?? throw new InvalidOperationException("Run the tests inside the repository.");
        }

        Root = Path.Combine(Path.GetTempPath(), "precision-model-registry-tests", Guid.NewGuid().ToString("N"));
        Models = Path.Combine(Root, "models");
        DataDirectory = Path.Combine(Root, "data");
        foreach (var (version, copyAs) in new[] { ("1.0.0", "1.0.0"), ("1.1.0", "1.1.0"), ("1.0.0", "1.0.1") })
        {
            var target = Directory.CreateDirectory(Path.Combine(Models, copyAs));
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root.FullName, "models", "efficacy", version)))
            {
                File.Copy(file, Path.Combine(target.FullName, Path.GetFileName(file)));
            }
        }
    }

    public string Root { get; }

    public string Models { get; }

    public string DataDirectory { get; }

    public PortalTestHostOptions Options(IDictionary<string, string?>? extra = null)
    {
        var options = new PortalTestHostOptions();
        options.Settings["Model:Directory"] = Models;
        options.Settings["Model:ExecutionProvider"] = "Cpu";
        options.Settings["Portal:DataDirectory"] = DataDirectory;
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            options.Settings[key] = value;
        }

        return options;
    }

    /// <summary>An exclusive lock on the portal's audit database, as a stuck process or backup tool would hold it.</summary>
    public async Task<IAsyncDisposable> LockAuditDatabaseAsync()
    {
        var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(DataDirectory, "audit.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "BEGIN EXCLUSIVE;";
        await command.ExecuteNonQueryAsync();
        return connection;
    }

    public static AsyncServiceScope Scope(PortalTestHost host, string role, string subject, string name)
    {
        var scope = host.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<AuditCallContext>().User = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim("sub", subject), new Claim("name", name), new Claim("role", role)], "test", "name", "role"));
        return scope;
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory left behind is harmless.
        }
    }
}
