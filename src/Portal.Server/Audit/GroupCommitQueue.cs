using System.Threading.Channels;
using Precision.Portal.Client.Audit;

namespace Precision.Portal.Server.Audit;

/// <summary>
/// The one writer loop of a store instance: appends queue here and whatever is queued when the loop comes round is
/// committed as one transaction (group commit), so concurrent circuits share commits instead of queueing on a lock.
/// Either every event of a batch is committed or none, and every caller learns which.
/// </summary>
internal sealed class GroupCommitQueue : IAsyncDisposable
{
    private const int MaxBatchSize = 1024;

    private readonly Channel<PendingAppend> _pending = Channel.CreateUnbounded<PendingAppend>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });
    private readonly Func<IReadOnlyList<NewAuditEvent>, Task<AuditEvent[]>> _commit;
    private readonly Func<Exception, AuditWriteException> _failure;
    private readonly Action _reset;
    private readonly string _location;
    private readonly Task _loop;
    private int _disposed;

    /// <param name="commit">Commits a batch in one transaction and returns the stored events in order; throws when nothing was committed.</param>
    /// <param name="failure">Turns a commit failure into the message callers see.</param>
    /// <param name="reset">Called after a failure and at the end, so the next batch reopens its connection.</param>
    public GroupCommitQueue(Func<IReadOnlyList<NewAuditEvent>, Task<AuditEvent[]>> commit, Func<Exception, AuditWriteException> failure, Action reset, string location)
    {
        _commit = commit;
        _failure = failure;
        _reset = reset;
        _location = location;
        _loop = Task.Run(RunAsync);
    }

    public async Task<AuditEvent> AppendAsync(NewAuditEvent auditEvent, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var pending = new PendingAppend(auditEvent, cancellationToken);
        if (!_pending.Writer.TryWrite(pending))
        {
            throw new AuditWriteException($"The audit trail at {_location} is shutting down; the event was not recorded.");
        }

        return await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops taking appends; events already queued are still written.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _pending.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var reader = _pending.Reader;
        var batch = new List<PendingAppend>(MaxBatchSize);
        var events = new List<NewAuditEvent>(MaxBatchSize);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatchSize && reader.TryRead(out var pending))
            {
                if (pending.CancellationToken.IsCancellationRequested)
                {
                    pending.Completion.TrySetCanceled(pending.CancellationToken);
                }
                else
                {
                    batch.Add(pending);
                    events.Add(pending.Event);
                }
            }

            if (batch.Count == 0)
            {
                continue;
            }

            try
            {
                var written = await _commit(events).ConfigureAwait(false);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Completion.TrySetResult(written[i]);
                }
            }
#pragma warning disable CA1031 // every failure must reach the callers, and the loop must survive it
            catch (Exception ex)
#pragma warning restore CA1031
            {
                // Nothing of this batch was committed. Reopen next time in case the connection is the problem.
                _reset();
                var failure = _failure(ex);
                foreach (var pending in batch)
                {
                    pending.Completion.TrySetException(failure);
                }
            }

            batch.Clear();
            events.Clear();
        }

        _reset();
    }

    private sealed class PendingAppend(NewAuditEvent auditEvent, CancellationToken cancellationToken)
    {
        public NewAuditEvent Event { get; } = auditEvent;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public TaskCompletionSource<AuditEvent> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
