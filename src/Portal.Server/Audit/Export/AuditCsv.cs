using System.Globalization;
using System.Text;
using Precision.Portal.Client.Audit;

namespace Precision.Portal.Server.Audit.Export;

/// <summary>
/// Audit events as CSV (RFC 4180: comma separated, CRLF line ends, a header row, fields with commas, quotes or line
/// breaks quoted and quotes doubled). Text that a spreadsheet would run as a formula (starting with = + - @ or a tab)
/// gets a leading apostrophe (OWASP CSV injection advice); the FHIR exports keep such text exactly.
/// </summary>
public static class AuditCsv
{
    public static readonly string[] Header =
    [
        "sequence", "id", "occurred_utc", "actor_subject", "actor_display_name", "actor_roles", "action", "outcome",
        "patient_reference", "target", "details_json", "client_address", "correlation_id", "previous_hash", "hash",
    ];

    public static string HeaderLine => string.Join(',', Header) + "\r\n";

    public static void AppendRow(StringBuilder builder, AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(e);
        string?[] fields =
        [
            e.Sequence.ToString(CultureInfo.InvariantCulture),
            e.Id.ToString("D"),
            StoredAuditEvent.FormatTime(e.OccurredUtc),
            e.Actor.Subject,
            e.Actor.DisplayName,
            string.Join(' ', e.Actor.Roles),
            e.Action,
            e.Outcome.ToString(),
            e.PatientReference,
            e.Target,
            e.DetailsJson,
            e.ClientAddress,
            e.CorrelationId,
            e.PreviousHash,
            e.Hash,
        ];
        for (var i = 0; i < fields.Length; i++)
        {
            if (i > 0)
            {
                builder.Append(',');
            }

            AppendField(builder, fields[i]);
        }

        builder.Append("\r\n");
    }

    public static void AppendField(StringBuilder builder, string? value)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0 && value[0] != ' ' && value[^1] != ' ')
        {
            builder.Append(value);
            return;
        }

        builder.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }
}
