using Precision.Clinical;

namespace Precision.Portal.Client.Patients;

/// <summary>Patient records for the pages: the list, and one patient's profile with the queries that produced it.</summary>
public interface IPatientDirectory
{
    /// <summary>Where records come from, in words (a FHIR server URL or a Bulk Data directory).</summary>
    string SourceDescription { get; }

    /// <summary>Throws <see cref="PatientDirectoryException"/> with a message the user can act on.</summary>
    Task<PatientPage> SearchAsync(PatientQuery query, CancellationToken cancellationToken = default);

    /// <summary>Never throws for source failures: they come back as <see cref="PatientRecordResult.Failure"/>.</summary>
    Task<PatientRecordResult> ReadAsync(string patientId, CancellationToken cancellationToken = default);
}

public sealed class PatientDirectoryException : Exception
{
    public PatientDirectoryException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public PatientDirectoryException()
    {
    }

    public PatientDirectoryException(string message)
        : base(message)
    {
    }
}
