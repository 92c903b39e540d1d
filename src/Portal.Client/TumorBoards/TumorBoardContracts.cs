using System.Globalization;

namespace Precision.Portal.Client.TumorBoards;

/// <summary>Where a case stands on the agenda.</summary>
public enum BoardCaseStatus
{
    /// <summary>No recommendation saved yet.</summary>
    AwaitingDiscussion,

    /// <summary>A recommendation is saved but not signed by the chair.</summary>
    Draft,

    /// <summary>The latest recommendation version is signed and locked.</summary>
    SignedOff,
}

/// <summary>What the board recommends for a case.</summary>
public enum RecommendationKind
{
    Therapy,
    ClinicalTrial,
    NoRecommendation,
}

/// <summary>
/// ESMO Scale for Clinical Actionability of molecular Targets (ESCAT), the evidence scale molecular tumor boards use
/// (Mateo et al., Ann Oncol 2018).
/// </summary>
public enum EvidenceLevel
{
    EscatIA,
    EscatIB,
    EscatIC,
    EscatIIA,
    EscatIIB,
    EscatIIIA,
    EscatIIIB,
    EscatIV,
    EscatX,
}

public static class EvidenceLevels
{
    public static string DisplayName(EvidenceLevel level) => level switch
    {
        EvidenceLevel.EscatIA => "ESCAT I-A — prospective randomised evidence in this tumour type",
        EvidenceLevel.EscatIB => "ESCAT I-B — prospective non-randomised evidence in this tumour type",
        EvidenceLevel.EscatIC => "ESCAT I-C — basket trial evidence across tumour types",
        EvidenceLevel.EscatIIA => "ESCAT II-A — retrospective evidence in this tumour type",
        EvidenceLevel.EscatIIB => "ESCAT II-B — prospective evidence, no clinical-outcome benefit shown",
        EvidenceLevel.EscatIIIA => "ESCAT III-A — evidence in another tumour type",
        EvidenceLevel.EscatIIIB => "ESCAT III-B — evidence for a similar alteration",
        EvidenceLevel.EscatIV => "ESCAT IV — preclinical evidence only",
        EvidenceLevel.EscatX => "ESCAT X — no evidence of actionability",
        _ => level.ToString(),
    };

    public static string ShortName(EvidenceLevel level) => level switch
    {
        EvidenceLevel.EscatIA => "ESCAT I-A",
        EvidenceLevel.EscatIB => "ESCAT I-B",
        EvidenceLevel.EscatIC => "ESCAT I-C",
        EvidenceLevel.EscatIIA => "ESCAT II-A",
        EvidenceLevel.EscatIIB => "ESCAT II-B",
        EvidenceLevel.EscatIIIA => "ESCAT III-A",
        EvidenceLevel.EscatIIIB => "ESCAT III-B",
        EvidenceLevel.EscatIV => "ESCAT IV",
        EvidenceLevel.EscatX => "ESCAT X",
        _ => level.ToString(),
    };
}

/// <summary>A meeting as listed: enough for the overview, no case details.</summary>
public sealed record TumorBoardMeetingSummary(
    Guid Id,
    string Title,
    DateTimeOffset ScheduledUtc,
    string ChairUserName,
    string ChairDisplayName,
    IReadOnlyList<string> Attendees,
    int CaseCount,
    int SignedCount);

/// <summary>A meeting with its agenda in order.</summary>
/// <param name="Attendees">Sign-in names (the provider's <c>preferred_username</c>) of everyone invited, the chair included.</param>
public sealed record TumorBoardMeeting(
    Guid Id,
    string Title,
    DateTimeOffset ScheduledUtc,
    string ChairUserName,
    string ChairDisplayName,
    IReadOnlyList<string> Attendees,
    IReadOnlyList<BoardCase> Cases,
    DateTimeOffset CreatedUtc)
{
    public bool IsAttendee(string userName) => Attendees.Contains(userName, StringComparer.OrdinalIgnoreCase);

    public bool IsChair(string userName) => string.Equals(ChairUserName, userName, StringComparison.OrdinalIgnoreCase);
}

/// <summary>One case on the agenda: a patient and the question put to the board.</summary>
/// <param name="PatientLabel">Name and MRN as read when the case was added, so the agenda needs no record reads.</param>
public sealed record BoardCase(
    Guid Id,
    int Position,
    string PatientId,
    string PatientLabel,
    string Question,
    BoardCaseStatus Status,
    int? LatestVersion);

/// <summary>What the chair enters to create a meeting.</summary>
public sealed record NewMeeting(string Title, DateTimeOffset? ScheduledUtc, IReadOnlyList<string> Attendees)
{
    public const int MaxTitleLength = 200;
    public const int MaxAttendees = 50;

    /// <summary>Problems in words; empty when the meeting can be created.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Title))
        {
            problems.Add("Give the meeting a title.");
        }
        else if (Title.Trim().Length > MaxTitleLength)
        {
            problems.Add($"Keep the title to {MaxTitleLength} characters.");
        }

        if (ScheduledUtc is null)
        {
            problems.Add("Choose the date and time of the meeting.");
        }

        if (Attendees.Count > MaxAttendees)
        {
            problems.Add($"Invite at most {MaxAttendees} attendees.");
        }

        foreach (var name in Attendees.Where(a => !UserNames.IsValid(a)))
        {
            problems.Add($"\"{name}\" is not a valid sign-in name (letters, digits, '.', '-', '_' or '@', up to 100 characters).");
        }

        return problems;
    }
}

/// <summary>What a member enters to put a case on the agenda.</summary>
public sealed record NewBoardCase(string PatientId, string Question)
{
    public const int MaxQuestionLength = 1000;

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(PatientId))
        {
            problems.Add("Choose a patient.");
        }

        if (string.IsNullOrWhiteSpace(Question))
        {
            problems.Add("State the question for the board.");
        }
        else if (Question.Trim().Length > MaxQuestionLength)
        {
            problems.Add($"Keep the question to {MaxQuestionLength} characters.");
        }

        return problems;
    }
}

/// <summary>The board's structured recommendation for one case, as a member enters it.</summary>
/// <param name="TherapyId">Catalog therapy id when <see cref="Kind"/> is <see cref="RecommendationKind.Therapy"/>.</param>
/// <param name="TrialIdentifier">Registry id (e.g. NCT01234567) and title when <see cref="Kind"/> is a clinical trial.</param>
/// <param name="AgreesWithModel">Whether the board agrees with the model's ranking for this patient.</param>
/// <param name="ModelVersion">The model version whose ranking the board discussed (filled by the page).</param>
/// <param name="ModelTopTherapy">The model's top-ranked therapy at the time (filled by the page).</param>
public sealed record RecommendationDraft(
    RecommendationKind Kind,
    string? TherapyId,
    string? TherapyName,
    string? TrialIdentifier,
    string Rationale,
    EvidenceLevel? EvidenceLevel,
    bool? AgreesWithModel,
    string? AgreementReason,
    string DiscussionNotes,
    string? ModelVersion,
    string? ModelTopTherapy)
{
    public const int MaxTextLength = 4000;

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        switch (Kind)
        {
            case RecommendationKind.Therapy when string.IsNullOrWhiteSpace(TherapyId):
                problems.Add("Choose the recommended therapy.");
                break;
            case RecommendationKind.ClinicalTrial when string.IsNullOrWhiteSpace(TrialIdentifier):
                problems.Add("Name the clinical trial (registry id and title).");
                break;
        }

        if (string.IsNullOrWhiteSpace(Rationale))
        {
            problems.Add("Give the rationale for the recommendation.");
        }

        if (EvidenceLevel is null)
        {
            problems.Add("Choose the evidence level.");
        }

        if (AgreesWithModel is null)
        {
            problems.Add("Say whether the board agrees with the model's ranking.");
        }

        if (string.IsNullOrWhiteSpace(AgreementReason))
        {
            problems.Add(AgreesWithModel == false
                ? "Say why the board disagrees with the model's ranking."
                : "Give a reason for the board's view of the model's ranking.");
        }

        foreach (var (name, value) in new[] { ("rationale", Rationale), ("reason", AgreementReason), ("discussion notes", DiscussionNotes), ("trial", TrialIdentifier) })
        {
            if (value?.Length > MaxTextLength)
            {
                problems.Add($"Keep the {name} to {MaxTextLength.ToString(CultureInfo.InvariantCulture)} characters.");
            }
        }

        return problems;
    }

    /// <summary>One line for agendas, reports and FHIR: what is recommended.</summary>
    public string Summary => Kind switch
    {
        RecommendationKind.Therapy => "Therapy: " + (TherapyName ?? TherapyId),
        RecommendationKind.ClinicalTrial => "Clinical trial: " + TrialIdentifier,
        _ => "No recommendation",
    };
}

/// <summary>The chair's signature on one recommendation version.</summary>
/// <param name="Method">How identity was confirmed, in words (e.g. re-authentication at the identity provider).</param>
/// <param name="AuthenticatedUtc">When the identity provider last authenticated the chair (the <c>auth_time</c> claim).</param>
public sealed record RecommendationSignOff(
    string UserName,
    string DisplayName,
    string Subject,
    DateTimeOffset SignedUtc,
    string Method,
    DateTimeOffset? AuthenticatedUtc);

/// <summary>One stored version of a case's recommendation. Signed versions are never changed; amendments add a version.</summary>
/// <param name="ContentHash">SHA-256 (hex) over the canonical content: what the chair signs.</param>
/// <param name="Amends">The signed version this one amends, if any.</param>
public sealed record RecommendationVersion(
    Guid CaseId,
    int Version,
    RecommendationDraft Content,
    string AuthorUserName,
    string AuthorDisplayName,
    DateTimeOffset SavedUtc,
    string ContentHash,
    int? Amends,
    RecommendationSignOff? SignOff)
{
    public bool IsSigned => SignOff is not null;
}

/// <summary>A result, or what went wrong in words for the person who asked.</summary>
/// <param name="Denied">True when the user may not do this (not an attendee, not the chair).</param>
public sealed record BoardOutcome<T>(T? Value, string? Error, bool Denied = false)
{
    public bool Succeeded => Error is null;
}

public static class BoardOutcome
{
    public static BoardOutcome<T> Success<T>(T value) => new(value, null);

    public static BoardOutcome<T> Failed<T>(string error) => new(default, error);

    public static BoardOutcome<T> Refused<T>(string error) => new(default, error, Denied: true);
}

/// <summary>Sign-in names as the portal accepts them for attendees.</summary>
public static class UserNames
{
    public static bool IsValid(string? name) =>
        name is { Length: > 0 and <= 100 } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '@');

    /// <summary>Splits "a, b; c" or one per line into distinct trimmed names.</summary>
    public static IReadOnlyList<string> Parse(string? text) =>
        [.. (text ?? string.Empty).Split([',', ';', '\n', '\r', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Distinct(StringComparer.OrdinalIgnoreCase)];
}

/// <summary>
/// Thrown when the tumor board database cannot be read or written (server down, locked, read-only, full). The
/// message says what failed, where (never a password), and what an operator should do; nothing was changed.
/// </summary>
public sealed class TumorBoardStoreException : Exception
{
    public TumorBoardStoreException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    public TumorBoardStoreException()
    {
    }

    public TumorBoardStoreException(string message)
        : base(message)
    {
    }
}
