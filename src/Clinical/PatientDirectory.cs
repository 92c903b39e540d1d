namespace Precision.Clinical;

/// <summary>
/// One row of the patient list. <see cref="CancerType"/> and <see cref="DiagnosisLabel"/> are the patient's
/// <see cref="PatientProfile.PrimaryCancer"/> as the mapper reads it (its type and <see cref="PrimaryCancerCondition.DisplayName"/>,
/// the record's own words for an other cancer); both null when no primary cancer is recorded.
/// </summary>
public sealed record PatientSummary(
    string PatientId,
    string DisplayName,
    string? MedicalRecordNumber,
    DateOnly? BirthDate,
    AdministrativeSex Sex,
    CancerType? CancerType,
    string? DiagnosisLabel)
{
    /// <summary>Patient.deceased[x], so the list shows who has died before anyone opens the record.</summary>
    public VitalStatus? VitalStatus { get; init; }
}

/// <summary>A patient list query: free text matches name or MRN; pages count from 0.</summary>
public sealed record PatientQuery(string? Text, CancerType? CancerType, int PageIndex, int PageSize)
{
    public const int MaxPageSize = 200;
    public const int MaxTextLength = 100;

    /// <summary>Why the query cannot run, in words for the person who typed it; null when it is fine.</summary>
    public string? Problem =>
        PageIndex < 0 ? "The page number cannot be negative."
        : PageSize is < 1 or > MaxPageSize ? $"Choose between 1 and {MaxPageSize} patients per page."
        : Text?.Length > MaxTextLength ? $"Search for at most {MaxTextLength} characters."
        : null;
}

public sealed record PatientPage(IReadOnlyList<PatientSummary> Patients, int TotalCount, int PageIndex, int PageSize)
{
    /// <summary>Set when the page may be incomplete (e.g. a filter checked only part of a large source): what happened and how to narrow the search.</summary>
    public string? Notice { get; init; }
}

/// <summary>Why a patient record could not be read, so the page can say what to do.</summary>
public enum PatientRecordFailure
{
    NotFound,
    SourceUnavailable,
    SourceTimedOut,
    SourceRateLimited,
    InvalidResponse,
    InvalidRequest,

    /// <summary>The record is larger than the portal reads (a response over the size limit, or more resources than the per-patient limit).</summary>
    RecordTooLarge,
}

/// <summary>A profile, or the reason there is none, with the source queries made for the audit trail.</summary>
public sealed record PatientRecordResult(
    PatientProfile? Profile,
    PatientRecordFailure? Failure,
    string? FailureMessage,
    IReadOnlyList<string> Queries,
    string SourceDescription)
{
    public bool Succeeded => Profile is not null;
}
