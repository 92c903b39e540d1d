using Precision.Portal.Client.Audit;

namespace Precision.Portal.Server.Audit;

/// <summary>Migrates the audit database at start-up so problems show in the log at once, without stopping the host.</summary>
internal sealed class AuditStoreStartup(IAuditMaintenance store, ILogger<AuditStoreStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (AuditWriteException ex)
        {
            // Not rethrown: pages that record nothing keep working; appends and the readiness check fail clearly.
            logger.LogError(ex, "The audit trail is unavailable: {Problem}", ex.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
