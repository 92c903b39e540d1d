using Precision.Clinical;

namespace Precision.Cohort;

/// <summary>Identifier systems and extra codes the generator writes.</summary>
public static class CohortSystems
{
    /// <summary>Identifier shared by all MedicationStatements of one line of therapy (value: <c>pat-000001-line-2</c>).</summary>
    public const string TherapyLine = "https://precision-portal.example.org/fhir/sid/therapy-line";

    public const string ConditionCategory = "http://terminology.hl7.org/CodeSystem/condition-category";

    /// <summary>Code of the T-cell-inflamed gene expression profile score in <see cref="CodeSystems.PrecisionPortal"/>.</summary>
    public const string TcellInflamedGepCode = "tcell-inflamed-gep";
}
