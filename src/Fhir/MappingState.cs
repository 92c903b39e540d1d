using Hl7.Fhir.Model;
using Precision.Clinical;
using static Precision.Fhir.FhirElementReading;

namespace Precision.Fhir;

internal sealed record MedicationFact(TherapyMedication Medication, DateOnly? StartedOn, DateOnly? EndedOn, string? GroupKey);

internal sealed record ResponseFact(RecistResponse Response, DateOnly? AssessedOn, HashSet<string> LinkedTo, SourceReference Source);

/// <summary>Facts collected while one patient's resources are read.</summary>
internal sealed class MappingState(string patientId)
{
    public string PatientId { get; } = patientId;

    public List<PrimaryCancerCondition> Cancers { get; } = [];

    public List<StageGroup> Stages { get; } = [];

    public List<EcogPerformanceStatus> Ecogs { get; } = [];

    public List<SmokingStatus> Smoking { get; } = [];

    public List<LabResult> Labs { get; } = [];

    public List<MedicationFact> Medications { get; } = [];

    public List<ResponseFact> Responses { get; } = [];

    public List<GenomicVariant> Variants { get; } = [];

    public List<GeneFusion> Fusions { get; } = [];

    public List<CopyNumberAlteration> CopyNumbers { get; } = [];

    public TumorMutationalBurden? Tmb { get; set; }

    public MicrosatelliteInstability? Msi { get; set; }

    public PdL1Expression? PdL1 { get; set; }

    public ExpressionSignature? Signature { get; set; }

    public EstrogenReceptorStatus? EstrogenReceptor { get; set; }

    public Dictionary<string, PharmacogenomicResult> Pharmacogenomics { get; } = new(StringComparer.OrdinalIgnoreCase);

    public List<DataQualityIssue> Issues { get; } = [];

    public void Issue(DataQualitySeverity severity, string problem, Resource resource)
    {
        var source = SourceOf(resource);
        Issues.Add(new DataQualityIssue(severity, $"{source.Reference} {problem}", source));
    }
}
