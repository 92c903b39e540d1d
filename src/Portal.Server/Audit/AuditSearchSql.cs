using System.Data.Common;
using Precision.Portal.Client.Audit;

namespace Precision.Portal.Server.Audit;

/// <summary>
/// The search statement, the same text for SQLite and PostgreSQL (both take <c>@name</c> parameters): filters
/// combined with AND, keyset on the sequence number, newest first, one row more than the page to know whether
/// another page follows. Each filter has an index that ends in (or, in SQLite, implies) the sequence number.
/// </summary>
internal static class AuditSearchSql
{
    public static (string Sql, List<(string Name, object Value)> Parameters) Build(AuditSearchQuery query, bool count = false)
    {
        var where = new List<string>();
        var parameters = new List<(string, object)>();
        void Add(string condition, string name, object value)
        {
            where.Add(condition);
            parameters.Add((name, value));
        }

        if (query.BeforeSequence is { } before)
        {
            Add("sequence < @before", "before", before);
        }

        if (query.User is { } user)
        {
            Add("(actor_subject = @user OR actor_display_name = @user)", "user", user);
        }

        if (query.PatientReference is { } patient)
        {
            Add("patient_reference = @patient", "patient", patient);
        }

        if (query.Action is { } action)
        {
            if (action.EndsWith(".*", StringComparison.Ordinal))
            {
                // A family: every action starting with "prediction." — '/' is the character after '.', so this is a range scan.
                var prefix = action[..^1];
                Add("action >= @actionFrom", "actionFrom", prefix);
                Add("action < @actionTo", "actionTo", prefix[..^1] + "/");
            }
            else
            {
                Add("action = @action", "action", action);
            }
        }

        if (query.Outcome is { } outcome)
        {
            Add("outcome = @outcome", "outcome", outcome.ToString());
        }

        if (query.FromUtc is not null || query.ToUtc is not null)
        {
            var range = new List<string>();
            if (query.FromUtc is { } from)
            {
                Add("occurred_utc >= @from", "from", StoredAuditEvent.FormatTime(from));
                range.Add("occurred_utc >= @from");
            }

            if (query.ToUtc is { } to)
            {
                Add("occurred_utc < @to", "to", StoredAuditEvent.FormatTime(to));
                range.Add("occurred_utc < @to");
            }

            // Redundant but exact: every event in the time range has a sequence between the smallest and largest
            // sequence of that range (found on the time index). With these bounds the newest-first walk starts at the
            // range instead of skipping everything newer, whatever the clocks of the instances did.
            var inRange = string.Join(" AND ", range);
            // "+ 0" keeps PostgreSQL from answering MIN/MAX by walking the primary key from one end until a row is in the range.
            where.Add($"sequence >= (SELECT MIN(sequence + 0) FROM audit_event WHERE {inRange})");
            where.Add($"sequence <= (SELECT MAX(sequence + 0) FROM audit_event WHERE {inRange})");
        }

        if (query.ModelVersion is { } modelVersion)
        {
            Add("model_version = @modelVersion", "modelVersion", modelVersion);
        }

        var filter = where.Count == 0 ? string.Empty : " WHERE " + string.Join(" AND ", where);
        if (count)
        {
            return ("SELECT COUNT(*) FROM audit_event" + filter, parameters);
        }

        parameters.Add(("limit", query.PageSize + 1));
        return ($"SELECT {AuditEventColumns.Select} FROM audit_event{filter} ORDER BY sequence DESC LIMIT @limit", parameters);
    }

    /// <summary>Validates and normalizes, or throws <see cref="AuditSearchException"/> naming every problem.</summary>
    public static AuditSearchQuery Check(AuditSearchQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var normalized = query.Normalized();
        var problems = normalized.Validate();
        return problems.Count > 0 ? throw new AuditSearchException(problems) : normalized;
    }

    public static async Task<AuditSearchPage> ReadPageAsync(DbCommand command, int pageSize, CancellationToken cancellationToken)
    {
        var events = new List<AuditEvent>(pageSize + 1);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                events.Add(AuditEventColumns.Read(reader).ToAuditEvent(reader.GetString(AuditEventColumns.HashOrdinal)));
            }
        }

        if (events.Count > pageSize)
        {
            events.RemoveAt(events.Count - 1);
            return new AuditSearchPage(events, events[^1].Sequence);
        }

        return new AuditSearchPage(events, null);
    }
}
