using Precision.Clinical;
using Precision.Fhir;
using Precision.Portal.Client.Patients;

namespace Precision.Portal.Server.Patients;

/// <summary>The pages' view of patient records: a FHIR source plus the one mapper.</summary>
internal sealed class PatientDirectory(IFhirPatientSource source, PatientProfileMapper mapper, ILogger<PatientDirectory> logger) : IPatientDirectory
{
    public string SourceDescription => source.Description;

    public async Task<PatientPage> SearchAsync(PatientQuery query, CancellationToken cancellationToken = default)
    {
        try
        {
            return await source.SearchAsync(query, cancellationToken);
        }
        catch (FhirSourceException ex)
        {
            // Kind only: the message can carry the search text, which may be a patient's name.
            logger.LogWarning("Patient search failed: {Failure}", ex.Failure);
            throw new PatientDirectoryException(ex.Message, ex);
        }
    }

    public async Task<PatientRecordResult> ReadAsync(string patientId, CancellationToken cancellationToken = default)
    {
        try
        {
            var record = await source.ReadAsync(patientId, cancellationToken);
            return new PatientRecordResult(mapper.Map(patientId, record.Resources), null, null, record.Queries, source.Description);
        }
        catch (FhirSourceException ex)
        {
            // The failure kind only: the message names the patient id, which stays out of logs.
            logger.LogWarning("Reading a patient record failed: {Failure}", ex.Failure);
            return new PatientRecordResult(null, ex.Failure, ex.Message, ex.Queries, source.Description);
        }
    }
}
