using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Precision.Portal.Client.Audit;
using Precision.Portal.Server.Audit;

namespace Precision.Portal.Server.Tests.Audit;

public sealed class AuditStoreRegistrationTests : IDisposable
{
    private readonly AuditTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task AddAuditStore_binds_the_Audit_section_and_serves_writer_and_reader_from_one_store()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Audit:DataDirectory"] = _directory.Root,
                ["Audit:FileName"] = "trail.db",
                ["Audit:BusyTimeout"] = "00:00:02",
            })
            .Build();
        var services = new ServiceCollection().AddLogging().AddAuditStore(configuration);
        await using var provider = services.BuildServiceProvider();

        var store = provider.GetRequiredService<IAuditStore>();
        var reader = provider.GetRequiredService<IAuditReader>();
        await store.AppendAsync(AuditSamples.Event(1));

        Assert.Same(store, reader);
        Assert.Equal(Path.Combine(_directory.Root, "trail.db"), provider.GetRequiredService<SqliteAuditStore>().DatabasePath);
        Assert.Single(await reader.ReadRecentAsync(5));
    }

    [Fact]
    public async Task The_configure_callback_runs_after_binding()
    {
        var configuration = new ConfigurationBuilder().Build();
        var services = new ServiceCollection().AddLogging().AddAuditStore(configuration, o =>
        {
            if (string.IsNullOrEmpty(o.DataDirectory))
            {
                o.DataDirectory = Path.Combine(_directory.Root, "App_Data");
            }
        });
        await using var provider = services.BuildServiceProvider();

        Assert.Equal(Path.Combine(_directory.Root, "App_Data", "audit.db"), provider.GetRequiredService<SqliteAuditStore>().DatabasePath);
    }

    [Fact]
    public async Task Start_up_with_an_unusable_data_directory_logs_but_does_not_stop_the_host()
    {
        var blocker = Path.Combine(_directory.Root, "file");
        await File.WriteAllTextAsync(blocker, "x");
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Audit:DataDirectory"] = Path.Combine(blocker, "data") })
            .Build();
        var services = new ServiceCollection().AddLogging().AddAuditStore(configuration);
        await using var provider = services.BuildServiceProvider();

        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        await Assert.ThrowsAsync<AuditWriteException>(() => provider.GetRequiredService<IAuditStore>().CheckWritableAsync());
    }
}
