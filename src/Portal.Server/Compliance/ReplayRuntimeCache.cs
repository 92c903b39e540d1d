using Precision.Inference.Runtime;

namespace Precision.Portal.Server.Compliance;

/// <summary>
/// ONNX Runtime sessions for replays, one per (model version, file hash), the most recently used few kept open.
/// Callers hold a lease while they run; an evicted session is disposed when its last lease ends, so a session is never
/// released under a running replay (and <see cref="EfficacyModelRuntime.Dispose"/> waits for runs in flight anyway).
/// </summary>
internal sealed class ReplayRuntimeCache(EfficacyModelOptions options, int capacity, ILogger logger) : IDisposable
{
    private readonly object _gate = new();
    private readonly List<Slot> _slots = []; // least recently used first
    private bool _disposed;

    /// <summary>How many sessions are open now (for tests and diagnostics).</summary>
    public int OpenCount
    {
        get
        {
            lock (_gate)
            {
                return _slots.Count;
            }
        }
    }

    /// <summary>A lease on a session for <paramref name="model"/>, starting one when none is open; or why it could not start.</summary>
    public (Lease? Lease, string? Error) Acquire(VerifiedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (Find(model) is { } open)
            {
                return (Take(open), null);
            }
        }

        // Opening a session takes a few hundred milliseconds: outside the lock, so other versions' replays go on.
        var start = EfficacyModelRuntime.Start(model, options, logger);
        if (start.Runtime is not { } runtime)
        {
            return (null, start.Error);
        }

        List<EfficacyModelRuntime> released = [];
        Lease lease;
        lock (_gate)
        {
            if (_disposed)
            {
                runtime.Dispose();
                throw new ObjectDisposedException(nameof(ReplayRuntimeCache));
            }

            if (Find(model) is { } raced)
            {
                // Another replay opened the same model meanwhile: use that one.
                released.Add(runtime);
                lease = Take(raced);
            }
            else
            {
                var slot = new Slot(model.Version, model.OnnxSha256, runtime);
                _slots.Add(slot);
                lease = Take(slot);
                while (_slots.Count > capacity)
                {
                    var oldest = _slots[0];
                    _slots.RemoveAt(0);
                    oldest.Evicted = true;
                    if (oldest.Leases == 0)
                    {
                        released.Add(oldest.Runtime);
                    }
                }
            }
        }

        foreach (var r in released)
        {
            r.Dispose();
        }

        return (lease, null);
    }

    public void Dispose()
    {
        List<EfficacyModelRuntime> released = [];
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var slot in _slots)
            {
                slot.Evicted = true;
                if (slot.Leases == 0)
                {
                    released.Add(slot.Runtime);
                }
            }

            _slots.Clear();
        }

        foreach (var runtime in released)
        {
            runtime.Dispose();
        }
    }

    private Slot? Find(VerifiedModel model) =>
        _slots.FirstOrDefault(s => s.Version == model.Version && string.Equals(s.OnnxSha256, model.OnnxSha256, StringComparison.OrdinalIgnoreCase));

    private Lease Take(Slot slot)
    {
        slot.Leases++;
        _slots.Remove(slot);
        _slots.Add(slot);
        return new Lease(this, slot);
    }

    private void Release(Slot slot)
    {
        EfficacyModelRuntime? release = null;
        lock (_gate)
        {
            slot.Leases--;
            if (slot.Evicted && slot.Leases == 0)
            {
                release = slot.Runtime;
            }
        }

        release?.Dispose();
    }

    internal sealed class Slot(string version, string onnxSha256, EfficacyModelRuntime runtime)
    {
        public string Version { get; } = version;

        public string OnnxSha256 { get; } = onnxSha256;

        public EfficacyModelRuntime Runtime { get; } = runtime;

        public int Leases { get; set; }

        public bool Evicted { get; set; }
    }

    /// <summary>Use of one session; dispose it when the run is done.</summary>
    internal sealed class Lease : IDisposable
    {
        private readonly ReplayRuntimeCache _cache;
        private readonly Slot _slot;
        private int _released;

        internal Lease(ReplayRuntimeCache cache, Slot slot)
        {
            _cache = cache;
            _slot = slot;
        }

        public EfficacyModelRuntime Runtime => _slot.Runtime;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                _cache.Release(_slot);
            }
        }
    }
}
