using System.Collections.Concurrent;

namespace Precision.Portal.Server.Authentication;

/// <summary>
/// How many failed sign-ins from one client address are recorded as their own audit event: anyone can call
/// <c>/signin-oidc</c> with a made-up state, and each call would otherwise append an event (200 requests, 200 events in
/// 4 s), a way to flood the trail. At most <see cref="EventsPerWindow"/> per address per <see cref="Window"/>; the
/// failures not recorded are counted and the next recorded event says how many there were. Every caller still gets the
/// refusal page.
/// </summary>
internal sealed class SignInFailureThrottle(TimeProvider time)
{
    public const int EventsPerWindow = 5;

    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    // Bounded: an address is forgotten once its window has passed, and at most this many are tracked at once.
    private const int MaxAddresses = 10_000;

    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    /// <summary>Whether to record this failure, and how many failures from the address went unrecorded before it.</summary>
    public (bool Record, int Unrecorded) Admit(string? clientAddress)
    {
        var now = time.GetUtcNow();
        var key = clientAddress ?? "unknown";
        if (_buckets.Count >= MaxAddresses)
        {
            foreach (var (address, old) in _buckets)
            {
                if (now - old.Started >= Window)
                {
                    _buckets.TryRemove(address, out _);
                }
            }
        }

        var bucket = _buckets.GetOrAdd(key, _ => new Bucket(now));
        lock (bucket)
        {
            if (now - bucket.Started >= Window)
            {
                bucket.Started = now;
                bucket.Recorded = 0;
            }

            if (bucket.Recorded < EventsPerWindow)
            {
                bucket.Recorded++;
                var unrecorded = bucket.Unrecorded;
                bucket.Unrecorded = 0;
                return (true, unrecorded);
            }

            bucket.Unrecorded++;
            return (false, 0);
        }
    }

    private sealed class Bucket(DateTimeOffset started)
    {
        public DateTimeOffset Started { get; set; } = started;

        public int Recorded { get; set; }

        public int Unrecorded { get; set; }
    }
}
