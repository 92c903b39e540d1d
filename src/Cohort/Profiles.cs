using Precision.Clinical;

namespace Precision.Cohort;

/// <summary>Profile canonical URLs set in meta.profile (mCODE STU3/STU4, US Core, Genomics Reporting STU2).</summary>
public static class FhirProfiles
{
    public const string McodeCancerPatient = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-patient";
    public const string UsCorePatient = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient";
    public const string McodePrimaryCancerCondition = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-primary-cancer-condition";
    public const string McodeTnmStageGroup = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-tnm-stage-group";
    public const string McodeEcog = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-ecog-performance-status";
    public const string UsCoreSmokingStatus = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-smokingstatus";
    public const string UsCoreLab = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab";
    public const string McodeMedicationStatement = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-related-medication-statement";
    public const string GenomicsReport = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/genomics-report";
    public const string GenomicsVariant = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/variant";
    public const string GenomicsTmb = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/tmb";
    public const string GenomicsMsi = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/msi";
    public const string GenomicsGenotype = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/genotype";
}

/// <summary>Identifier systems and extra codes the generator writes.</summary>
public static class CohortSystems
{
    /// <summary>Identifier shared by all MedicationStatements of one line of therapy (value: <c>pat-000001-line-2</c>).</summary>
    public const string TherapyLine = "https://precision-portal.example.org/fhir/sid/therapy-line";

    public const string ConditionCategory = "http://terminology.hl7.org/CodeSystem/condition-category";
    public const string ConditionClinical = "http://terminology.hl7.org/CodeSystem/condition-clinical";
    public const string ConditionVerification = "http://terminology.hl7.org/CodeSystem/condition-ver-status";

    /// <summary>Code of the T-cell-inflamed gene expression profile score in <see cref="CodeSystems.PrecisionPortal"/>.</summary>
    public const string TcellInflamedGepCode = "tcell-inflamed-gep";
}
