namespace Precision.Clinical.Terminology;

/// <summary>What a cancer Condition is, from its codes alone.</summary>
public enum CancerConditionRole
{
    /// <summary>Nothing in the codes or text says cancer (diabetes, hypertension …).</summary>
    NotCancer,

    /// <summary>A primary malignant neoplasm.</summary>
    Primary,

    /// <summary>A metastatic site (SNOMED is-a 128462008, ICD-10-CM C77–C79, ICD-O-3 behaviour /6, mCODE SecondaryCancerCondition).</summary>
    Secondary,

    /// <summary>Carcinoma in situ (ICD-10-CM D00–D09, ICD-O-3 behaviour /2): not an invasive cancer.</summary>
    InSitu,

    /// <summary>Personal history of a malignant neoplasm (ICD-10-CM Z85): not a cancer under care.</summary>
    History,
}

/// <summary>
/// The result of classifying one Condition: its role, the cancer type (Other when not covered or not placeable), the site
/// in words, and — whenever the type is not plainly read — why, in a sentence for the Data quality tab.
/// </summary>
public sealed record CancerClassification(CancerConditionRole Role, CancerType CancerType, string? Site, string? Note)
{
    public bool IsSupported => Role == CancerConditionRole.Primary && CancerType != CancerType.Other;
}

/// <summary>The codes of a Condition as the classifier reads them; the FHIR mapper fills it (Clinical has no FHIR SDK).</summary>
public sealed record CancerCodes(
    IReadOnlyList<CodedConcept> Codes,
    IReadOnlyList<CodedConcept> BodySites,
    IReadOnlyList<CodedConcept> Morphology,
    string? Text,
    bool DeclaredSecondary = false,
    bool DeclaredPrimary = false);
