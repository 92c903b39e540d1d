using Precision.Clinical;

namespace Precision.Cohort;

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

    private const string Mcode = "http://hl7.org/fhir/us/mcode/StructureDefinition/";

    /// <summary>Genomics Reporting STU3 profile that replaced the STU2 tmb and msi profiles.</summary>
    public const string GenomicsMolecularBiomarker = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/molecular-biomarker";

    /// <summary>mCODE STU2–STU4 TNM category profiles.</summary>
    public const string McodeTnmPrimaryTumorCategory = Mcode + "mcode-tnm-primary-tumor-category";
    public const string McodeTnmRegionalNodesCategory = Mcode + "mcode-tnm-regional-nodes-category";
    public const string McodeTnmDistantMetastasesCategory = Mcode + "mcode-tnm-distant-metastases-category";

    /// <summary>mCODE STU1 clinical / pathological TNM category profiles.</summary>
    public const string McodeTnmClinicalPrimaryTumorCategory = Mcode + "mcode-tnm-clinical-primary-tumor-category";
    public const string McodeTnmClinicalRegionalNodesCategory = Mcode + "mcode-tnm-clinical-regional-nodes-category";
    public const string McodeTnmClinicalDistantMetastasesCategory = Mcode + "mcode-tnm-clinical-distant-metastases-category";
    public const string McodeTnmPathologicalPrimaryTumorCategory = Mcode + "mcode-tnm-pathological-primary-tumor-category";
    public const string McodeTnmPathologicalRegionalNodesCategory = Mcode + "mcode-tnm-pathological-regional-nodes-category";

    /// <summary>mCODE RadiotherapyCourseSummary: number of sessions delivered (unsignedInt).</summary>
    public const string RadiotherapySessions = Mcode + "mcode-radiotherapy-sessions";
}
