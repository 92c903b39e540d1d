using System.Globalization;

namespace Precision.Portal.Client.Audit;

/// <summary>
/// A filtered, newest-first page of the audit trail. Every filter is optional and they combine with AND.
/// Paging is by keyset: pass the previous page's <see cref="AuditSearchPage.NextBeforeSequence"/> as
/// <see cref="BeforeSequence"/> to get the next (older) page, so a page costs the same at any depth.
/// </summary>
/// <remarks>Times are UTC: <see cref="FromUtc"/> is inclusive, <see cref="ToUtc"/> exclusive.</remarks>
public sealed record AuditSearchQuery
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;
    public const int MaxRangeDays = 3660;
    public const int MaxFilterLength = 256;

    /// <summary>Actor subject (<c>sub</c>) or display name, exactly.</summary>
    public string? User { get; init; }

    /// <summary>FHIR reference such as <c>Patient/123</c>, exactly.</summary>
    public string? PatientReference { get; init; }

    /// <summary>An action such as <c>patient.view</c>, or a family ending in <c>.*</c> such as <c>prediction.*</c>.</summary>
    public string? Action { get; init; }

    public AuditOutcome? Outcome { get; init; }

    public DateTimeOffset? FromUtc { get; init; }

    public DateTimeOffset? ToUtc { get; init; }

    /// <summary>The <c>modelVersion</c> recorded in the event's details (predictions), exactly.</summary>
    public string? ModelVersion { get; init; }

    public int PageSize { get; init; } = DefaultPageSize;

    /// <summary>Keyset cursor: only events with a smaller sequence number (older) are returned.</summary>
    public long? BeforeSequence { get; init; }

    /// <summary>What is wrong with this query, in words a user can act on; empty when it can run.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (PageSize is < 1 or > MaxPageSize)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"The page size must be between 1 and {MaxPageSize} (it is {PageSize})."));
        }

        if (FromUtc is { } from && ToUtc is { } to)
        {
            if (from >= to)
            {
                problems.Add("The start of the date range (from) must be before its end (to).");
            }
            else if ((to - from).TotalDays > MaxRangeDays)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture,
                    $"The date range spans {(to - from).TotalDays:N0} days; at most {MaxRangeDays:N0} days (10 years) can be searched at once. Narrow it or leave one end open."));
            }
        }

        if (Outcome is { } outcome && !Enum.IsDefined(outcome))
        {
            problems.Add(UnknownOutcome(((int)outcome).ToString(CultureInfo.InvariantCulture)));
        }

        if (BeforeSequence is <= 0)
        {
            problems.Add("The page cursor (before) must be a positive event number.");
        }

        foreach (var (name, value) in new[] { ("user", User), ("patient", PatientReference), ("action", Action), ("model version", ModelVersion) })
        {
            if (value is { Length: > MaxFilterLength })
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"The {name} filter is longer than {MaxFilterLength} characters."));
            }
        }

        // Recorded as the export's patient reference and matched exactly: only a FHIR Patient reference is a patient filter.
        if (PatientReference is { Length: <= MaxFilterLength } patient && !IsPatientReference(patient))
        {
            problems.Add($"The patient filter '{patient}' is not a patient reference: use Patient/<id> (or the id alone), the id made of letters, digits, '-' and '.' (at most 64).");
        }

        if (Action is { } action && action.EndsWith(".*", StringComparison.Ordinal) && action.Length == 2)
        {
            problems.Add("The action filter '.*' names no action family; use e.g. 'prediction.*' or leave it empty.");
        }

        return problems;
    }

    /// <summary>Reads an outcome name (case-insensitive); empty means no filter.</summary>
    public static bool TryParseOutcome(string? text, out AuditOutcome? outcome, out string? problem)
    {
        outcome = null;
        problem = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (!int.TryParse(text, out _) && Enum.TryParse<AuditOutcome>(text.Trim(), ignoreCase: true, out var parsed))
        {
            outcome = parsed;
            return true;
        }

        problem = UnknownOutcome(text);
        return false;
    }

    private static string UnknownOutcome(string text) =>
        $"The outcome '{text}' is unknown; use one of {string.Join(", ", Enum.GetNames<AuditOutcome>())}.";

    /// <summary>"Patient/" and a FHIR id (1–64 of A–Z, a–z, 0–9, '-', '.').</summary>
    public static bool IsPatientReference(string reference) =>
        reference.StartsWith("Patient/", StringComparison.Ordinal) && IsFhirId(reference["Patient/".Length..]);

    private static bool IsFhirId(string id) =>
        id.Length is >= 1 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.');

    /// <summary>Trims filters and turns empty ones into no filter.</summary>
    public AuditSearchQuery Normalized() => this with
    {
        User = Clean(User),
        // A bare id is the patient with that id (references are stored as "Patient/<id>").
        PatientReference = Clean(PatientReference) is { } patient && IsFhirId(patient) ? "Patient/" + patient : Clean(PatientReference),
        Action = Clean(Action),
        ModelVersion = Clean(ModelVersion),
        FromUtc = FromUtc?.ToUniversalTime(),
        ToUtc = ToUtc?.ToUniversalTime(),
    };

    private static string? Clean(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

/// <summary>One page of search results, newest first.</summary>
/// <param name="NextBeforeSequence">Cursor for the next (older) page; null on the last page.</param>
public sealed record AuditSearchPage(IReadOnlyList<AuditEvent> Events, long? NextBeforeSequence);

/// <summary>Thrown for a search the store cannot run; the message lists every problem.</summary>
public sealed class AuditSearchException : ArgumentException
{
    public AuditSearchException(IReadOnlyList<string> problems)
        : base(string.Join(" ", problems)) => Problems = problems;

    public AuditSearchException()
        : this([])
    {
    }

    public AuditSearchException(string message)
        : this([message])
    {
    }

    public AuditSearchException(string message, Exception innerException)
        : base(message, innerException) => Problems = [message];

    public IReadOnlyList<string> Problems { get; }
}

/// <summary>The last scheduled verification of the chain, as the portal instance ran it.</summary>
/// <param name="Interval">How often verification is scheduled; null when scheduling is off.</param>
public sealed record ScheduledVerificationStatus(TimeSpan? Interval, DateTimeOffset? LastRunUtc, AuditChainVerification? LastResult, string? LastError);

/// <summary>What the scheduled chain verification last found; for the Compliance page.</summary>
public interface IAuditChainMonitor
{
    ScheduledVerificationStatus Status { get; }
}
