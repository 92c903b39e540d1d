using System.Data.Common;

namespace Precision.Portal.Server.Audit;

/// <summary>The audit_event column list and its reader, shared by queries and the verifiers so they cannot drift apart.</summary>
internal static class AuditEventColumns
{
    public const string Select =
        "sequence, id, occurred_utc, actor_subject, actor_display_name, actor_roles, action, outcome, "
        + "patient_reference, target, details_json, client_address, correlation_id, previous_hash, hash";

    public const int HashOrdinal = 14;

    public static StoredAuditEvent Read(DbDataReader reader) => new(
        reader.GetInt64(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetString(4),
        reader.GetString(5),
        reader.GetString(6),
        reader.GetString(7),
        NullableString(reader, 8),
        NullableString(reader, 9),
        NullableString(reader, 10),
        NullableString(reader, 11),
        NullableString(reader, 12),
        reader.GetString(13));

    private static string? NullableString(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
