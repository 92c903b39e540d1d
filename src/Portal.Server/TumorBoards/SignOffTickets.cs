using System.Collections.Concurrent;
using System.Security.Cryptography;
using Precision.Portal.Client.TumorBoards;

namespace Precision.Portal.Server.TumorBoards;

/// <summary>A sign-off the chair started and the identity provider has yet to confirm.</summary>
public sealed class PendingSignOff(string ticket, Guid meetingId, Guid caseId, int version, string contentHash, BoardMember chair, DateTimeOffset startedUtc)
{
    public string Ticket { get; } = ticket;

    public Guid MeetingId { get; } = meetingId;

    public Guid CaseId { get; } = caseId;

    public int Version { get; } = version;

    public string ContentHash { get; } = contentHash;

    public BoardMember Chair { get; } = chair;

    public DateTimeOffset StartedUtc { get; } = startedUtc;

    /// <summary>Set when the browser was sent to the identity provider, so a second visit without fresh sign-in fails.</summary>
    public bool ChallengeSent { get; set; }

    public SignOffResult? Result { get; set; }
}

/// <summary>
/// One-time sign-off tickets (random, 256 bits), bound to the chair's subject, valid for 10 minutes. They carry the
/// version and hash the chair was shown through the round trip to the identity provider.
/// </summary>
public sealed class SignOffTickets(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, PendingSignOff> _tickets = new(StringComparer.Ordinal);

    public PendingSignOff Issue(Guid meetingId, Guid caseId, int version, string contentHash, BoardMember chair)
    {
        Sweep();
        var ticket = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
        var pending = new PendingSignOff(ticket, meetingId, caseId, version, contentHash, chair, time.GetUtcNow());
        _tickets[ticket] = pending;
        return pending;
    }

    public PendingSignOff? Find(string ticket)
    {
        Sweep();
        return _tickets.TryGetValue(ticket, out var pending) ? pending : null;
    }

    private void Sweep()
    {
        var cutoff = time.GetUtcNow() - Lifetime;
        foreach (var (key, value) in _tickets)
        {
            if (value.StartedUtc < cutoff)
            {
                _tickets.TryRemove(key, out _);
            }
        }
    }
}
