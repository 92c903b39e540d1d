using Hl7.Fhir.Model;
using Precision.Clinical;

namespace Precision.Fhir;

/// <summary>The resources of one patient as a source returned them, with the queries made (for the audit trail).</summary>
public sealed record FhirPatientRecord(string PatientId, IReadOnlyList<Resource> Resources, IReadOnlyList<string> Queries);

/// <summary>A failure to read from a FHIR source, with a message a clinician or administrator can act on.</summary>
public sealed class FhirSourceException : Exception
{
    public FhirSourceException(PatientRecordFailure failure, string message, IReadOnlyList<string>? queries = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
        Queries = queries ?? [];
    }

    public FhirSourceException()
    {
    }

    public FhirSourceException(string message)
        : base(message)
    {
    }

    public FhirSourceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public PatientRecordFailure Failure { get; } = PatientRecordFailure.InvalidResponse;

    public IReadOnlyList<string> Queries { get; } = [];
}

/// <summary>
/// Where patient records come from: a FHIR REST server or a Bulk Data ndjson directory. Both give raw resources;
/// <see cref="PatientProfileMapper"/> turns them into the same <see cref="PatientProfile"/>.
/// </summary>
public interface IFhirPatientSource
{
    /// <summary>What this source is, for messages and the audit trail (e.g. "FHIR server https://…/fhir").</summary>
    string Description { get; }

    Task<FhirPatientRecord> ReadAsync(string patientId, CancellationToken cancellationToken = default);

    Task<PatientPage> SearchAsync(PatientQuery query, CancellationToken cancellationToken = default);
}
