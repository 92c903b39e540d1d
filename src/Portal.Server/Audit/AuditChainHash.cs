using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Precision.Portal.Client.Audit;

namespace Precision.Portal.Server.Audit;

/// <summary>An audit event exactly as its columns are stored, which is what the hash covers.</summary>
internal readonly record struct StoredAuditEvent(
    long Sequence,
    string Id,
    string OccurredUtc,
    string ActorSubject,
    string ActorDisplayName,
    string ActorRoles,
    string Action,
    string Outcome,
    string? PatientReference,
    string? Target,
    string? DetailsJson,
    string? ClientAddress,
    string? CorrelationId,
    string PreviousHash)
{
    // Seven fractional digits keep every tick, and the fixed width makes text order equal time order.
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    public static DateTimeOffset ParseTime(string text) =>
        new(DateTime.ParseExact(text, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal), TimeSpan.Zero);

    public static StoredAuditEvent Create(long sequence, Guid id, DateTimeOffset occurredUtc, NewAuditEvent e, string previousHash) => new(
        sequence,
        id.ToString("D"),
        FormatTime(occurredUtc),
        e.Actor.Subject,
        e.Actor.DisplayName,
        JsonSerializer.Serialize(e.Actor.Roles ?? []),
        e.Action,
        e.Outcome.ToString(),
        e.PatientReference,
        e.Target,
        e.DetailsJson,
        e.ClientAddress,
        e.CorrelationId,
        previousHash);

    public AuditEvent ToAuditEvent(string hash) => new(
        Sequence,
        Guid.Parse(Id),
        ParseTime(OccurredUtc),
        new AuditActor(ActorSubject, ActorDisplayName, JsonSerializer.Deserialize<string[]>(ActorRoles) ?? []),
        Action,
        Enum.Parse<AuditOutcome>(Outcome),
        PatientReference,
        Target,
        DetailsJson,
        ClientAddress,
        CorrelationId,
        PreviousHash,
        hash);
}

/// <summary>
/// The chain hash: lowercase hex SHA-256 of a canonical byte form of the stored event.
/// <para>Canonical form v1: the ASCII tag <c>precision-portal/audit-event/v1</c>, then these fields in this
/// order: sequence, id, occurred_utc, actor_subject, actor_display_name, actor_roles, action, outcome,
/// patient_reference, target, details_json, client_address, correlation_id, previous_hash. Each field is
/// the exact stored text (sequence as invariant decimal digits) written as byte 0x00 when null, otherwise
/// byte 0x01, the UTF-8 byte length as a 4-byte big-endian integer, and the UTF-8 bytes. Length prefixes
/// make field boundaries unambiguous; nothing depends on culture, JSON formatting or the platform, and the
/// verifier can hash the UTF-8 bytes SQLite stores without decoding them.</para>
/// </summary>
internal static class AuditChainHash
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    public const int HexLength = SHA256.HashSizeInBytes * 2;

    [ThreadStatic]
    private static CanonicalEventWriter? t_writer;

    public static string Compute(in StoredAuditEvent e)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        Write(e).Hash(digest);
        return Convert.ToHexStringLower(digest);
    }

    public static bool Matches(in StoredAuditEvent e, string storedHash)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        Write(e).Hash(digest);
        return storedHash.Length == HexLength && EqualsHex(digest, Encoding.ASCII.GetBytes(storedHash));
    }

    /// <summary>Whether <paramref name="utf8Hex"/> is exactly the lowercase hex form of <paramref name="digest"/>.</summary>
    public static bool EqualsHex(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> utf8Hex)
    {
        if (utf8Hex.Length != digest.Length * 2)
        {
            return false;
        }

        ReadOnlySpan<byte> hex = "0123456789abcdef"u8;
        for (var i = 0; i < digest.Length; i++)
        {
            if (utf8Hex[2 * i] != hex[digest[i] >> 4] || utf8Hex[(2 * i) + 1] != hex[digest[i] & 0xF])
            {
                return false;
            }
        }

        return true;
    }

    private static CanonicalEventWriter Write(in StoredAuditEvent e)
    {
        var writer = t_writer ??= new CanonicalEventWriter();
        writer.Start(e.Sequence);
        writer.Field(e.Id);
        writer.Field(e.OccurredUtc);
        writer.Field(e.ActorSubject);
        writer.Field(e.ActorDisplayName);
        writer.Field(e.ActorRoles);
        writer.Field(e.Action);
        writer.Field(e.Outcome);
        writer.Field(e.PatientReference);
        writer.Field(e.Target);
        writer.Field(e.DetailsJson);
        writer.Field(e.ClientAddress);
        writer.Field(e.CorrelationId);
        writer.Field(e.PreviousHash);
        return writer;
    }
}

/// <summary>Builds the canonical form (see <see cref="AuditChainHash"/>) in a buffer reused from event to event.</summary>
internal sealed class CanonicalEventWriter
{
    private byte[] _buffer = new byte[2048];
    private int _length;

    private static ReadOnlySpan<byte> FormatTag => "precision-portal/audit-event/v1"u8;

    /// <summary>Starts a new event with its sequence, the first field.</summary>
    public void Start(long sequence)
    {
        FormatTag.CopyTo(_buffer);
        _length = FormatTag.Length;
        Span<byte> digits = stackalloc byte[20];
        sequence.TryFormat(digits, out var count, default, CultureInfo.InvariantCulture);
        Field(digits[..count]);
    }

    public void Field(string? value)
    {
        if (value is null)
        {
            Null();
            return;
        }

        var span = Reserve(5 + Encoding.UTF8.GetMaxByteCount(value.Length));
        var count = Encoding.UTF8.GetBytes(value, span[5..]);
        Commit(span, count);
    }

    public void Field(ReadOnlySpan<byte> utf8)
    {
        var span = Reserve(5 + utf8.Length);
        utf8.CopyTo(span[5..]);
        Commit(span, utf8.Length);
    }

    public void Null() => Reserve(1)[0] = 0;

    public void Hash(Span<byte> digest) => SHA256.HashData(_buffer.AsSpan(0, _length), digest);

    private Span<byte> Reserve(int size)
    {
        if (_length + size > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + size));
        }

        var span = _buffer.AsSpan(_length, size);
        _length++; // a null marker is complete here; a value moves on in Commit
        return span;
    }

    private void Commit(Span<byte> span, int count)
    {
        span[0] = 1;
        BinaryPrimitives.WriteInt32BigEndian(span.Slice(1, 4), count);
        _length += 4 + count;
    }
}
