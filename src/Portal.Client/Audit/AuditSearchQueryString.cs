using System.Globalization;
using System.Text;

namespace Precision.Portal.Client.Audit;

/// <summary>
/// An <see cref="AuditSearchQuery"/> as URL query parameters (<c>user</c>, <c>patient</c>, <c>action</c>, <c>outcome</c>,
/// <c>from</c>, <c>to</c>, <c>modelVersion</c>, <c>pageSize</c>, <c>before</c>): how the Compliance page links its
/// exports, and how the export endpoint reads them. Times are UTC: a date (<c>2026-05-04</c>) is midnight UTC, a time
/// without offset is UTC, a time with an offset is converted.
/// </summary>
public static class AuditSearchQueryString
{
    /// <summary>The export endpoint (compliance policy): <c>?format=fhir|ndjson|csv</c> plus the filter.</summary>
    public const string ExportPath = "/compliance/audit/export";

    public static string ExportLink(AuditSearchQuery query, string format)
    {
        var filter = Format(query);
        return $"{ExportPath}?format={format}" + (filter.Length == 0 ? string.Empty : "&" + filter);
    }

    public static string Format(AuditSearchQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var parts = new List<string>();
        void Add(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                parts.Add(name + "=" + Uri.EscapeDataString(value));
            }
        }

        Add("user", query.User);
        Add("patient", query.PatientReference);
        Add("action", query.Action);
        Add("outcome", query.Outcome?.ToString());
        Add("from", query.FromUtc?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        Add("to", query.ToUtc?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        Add("modelVersion", query.ModelVersion);
        return string.Join('&', parts);
    }

    /// <summary>Reads the parameters; every problem (unparseable value or invalid query) is listed, never thrown.</summary>
    public static (AuditSearchQuery? Query, IReadOnlyList<string> Problems) Parse(Func<string, string?> get)
    {
        ArgumentNullException.ThrowIfNull(get);
        var problems = new List<string>();
        AuditOutcome? outcome = null;
        if (!AuditSearchQuery.TryParseOutcome(get("outcome"), out var parsedOutcome, out var outcomeProblem))
        {
            problems.Add(outcomeProblem!);
        }
        else
        {
            outcome = parsedOutcome;
        }

        var from = Time(get("from"), "from", problems);
        var to = Time(get("to"), "to", problems);
        var pageSize = AuditSearchQuery.DefaultPageSize;
        if (get("pageSize") is { Length: > 0 } size && !int.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize))
        {
            problems.Add($"The page size '{size}' is not a whole number.");
        }

        long? before = null;
        if (get("before") is { Length: > 0 } cursor)
        {
            if (long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var b))
            {
                before = b;
            }
            else
            {
                problems.Add($"The page cursor '{cursor}' is not an event number.");
            }
        }

        var query = new AuditSearchQuery
        {
            User = get("user"),
            PatientReference = get("patient"),
            Action = get("action"),
            Outcome = outcome,
            FromUtc = from,
            ToUtc = to,
            ModelVersion = get("modelVersion"),
            PageSize = pageSize,
            BeforeSequence = before,
        }.Normalized();
        if (problems.Count == 0)
        {
            problems.AddRange(query.Validate());
        }

        return (problems.Count == 0 ? query : null, problems);
    }

    private static DateTimeOffset? Time(string? text, string name, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            return time.ToUniversalTime();
        }

        problems.Add($"'{Truncate(text)}' in {name} is not a date or time; use yyyy-MM-dd or an ISO 8601 time such as 2026-05-04T10:00:00Z.");
        return null;
    }

    private static string Truncate(string text) => text.Length <= 40 ? text : new StringBuilder(text, 0, 40, 43).Append("...").ToString();
}
