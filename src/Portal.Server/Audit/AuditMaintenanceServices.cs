using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Precision.Portal.Client.Audit;

namespace Precision.Portal.Server.Audit;

/// <summary>
/// Verifies the whole chain every <see cref="AuditStoreOptions.VerifyInterval"/> (first run shortly after start),
/// logs the result (an error naming the first broken event when broken), records it in the trail as an
/// <c>audit.chain-verify</c> event by the system actor, and keeps it for the Compliance page.
/// </summary>
internal sealed partial class AuditChainMonitor(IAuditReader reader, IAuditStore store, IOptions<AuditStoreOptions> options, TimeProvider time, ILogger<AuditChainMonitor> logger)
    : BackgroundService, IAuditChainMonitor
{
    private readonly TimeSpan _interval = options.Value.VerifyInterval;
    private volatile ScheduledVerificationStatus _status = new(options.Value.VerifyInterval > TimeSpan.Zero ? options.Value.VerifyInterval : null, null, null, null);

    public ScheduledVerificationStatus Status => _status;

    /// <summary>Runs one verification now, as the schedule does.</summary>
    public async Task<ScheduledVerificationStatus> RunOnceAsync(CancellationToken cancellationToken)
    {
        var started = time.GetUtcNow();
        try
        {
            var result = await reader.VerifyChainAsync(cancellationToken).ConfigureAwait(false);
            if (result.IsValid)
            {
                LogIntact(logger, result.EventsChecked, result.Elapsed.TotalMilliseconds);
            }
            else
            {
                LogBroken(logger, result.FirstBrokenSequence, result.FirstBrokenEventId, result.Problem);
            }

            _status = _status with { LastRunUtc = started, LastResult = result, LastError = null };
            await store.AppendAsync(
                new NewAuditEvent(AuditSystemActor.Instance, AuditActions.AuditChainVerify, result.IsValid ? AuditOutcome.Success : AuditOutcome.Failure, null, "audit-chain",
                    new JsonObject
                    {
                        ["scheduled"] = true,
                        ["eventsChecked"] = result.EventsChecked,
                        ["firstBrokenSequence"] = result.FirstBrokenSequence,
                    }.ToJsonString(),
                    null,
                    null),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AuditWriteException or InvalidOperationException)
        {
            LogFailed(logger, ex, ex.Message);
            _status = _status with { LastRunUtc = started, LastError = ex.Message };
        }

        return _status;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_interval <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            // A short delay so start-up (migrations, first requests) comes first.
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, _interval.TotalSeconds)), time, stoppingToken).ConfigureAwait(false);
            using var timer = new PeriodicTimer(_interval, time);
            do
            {
                await RunOnceAsync(stoppingToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 7101, Level = LogLevel.Information, Message = "Scheduled audit chain verification: intact, {EventsChecked} events in {ElapsedMs:0} ms")]
    private static partial void LogIntact(ILogger logger, long eventsChecked, double elapsedMs);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Error, Message = "Scheduled audit chain verification: THE AUDIT TRAIL HAS BEEN ALTERED. First broken event {FirstBrokenSequence} (id {FirstBrokenEventId}): {Problem}")]
    private static partial void LogBroken(ILogger logger, long? firstBrokenSequence, Guid? firstBrokenEventId, string? problem);

    [LoggerMessage(EventId = 7103, Level = LogLevel.Error, Message = "Scheduled audit chain verification could not run: {Problem}")]
    private static partial void LogFailed(ILogger logger, Exception exception, string problem);
}

/// <summary>Prunes events older than <see cref="AuditStoreOptions.RetentionDays"/> every <see cref="AuditStoreOptions.RetentionInterval"/>; off by default.</summary>
internal sealed partial class AuditRetentionService(IAuditMaintenance store, IOptions<AuditStoreOptions> options, TimeProvider time, ILogger<AuditRetentionService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.RetentionDays <= 0)
        {
            return;
        }

        try
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, settings.RetentionInterval.TotalSeconds)), time, stoppingToken).ConfigureAwait(false);
            using var timer = new PeriodicTimer(settings.RetentionInterval, time);
            do
            {
                var cutoff = time.GetUtcNow().AddDays(-settings.RetentionDays);
                try
                {
                    var result = await store.PruneAsync(cutoff, cancellationToken: stoppingToken).ConfigureAwait(false);
                    LogPruned(logger, result.Deleted, settings.RetentionDays, result.CheckpointSequence);
                }
                catch (AuditWriteException ex)
                {
                    LogFailed(logger, ex, ex.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 7111, Level = LogLevel.Information, Message = "Audit retention: pruned {Deleted} events older than {RetentionDays} days; the chain now starts after event {CheckpointSequence}")]
    private static partial void LogPruned(ILogger logger, long deleted, int retentionDays, long? checkpointSequence);

    [LoggerMessage(EventId = 7112, Level = LogLevel.Error, Message = "Audit retention could not prune: {Problem}")]
    private static partial void LogFailed(ILogger logger, Exception exception, string problem);
}
