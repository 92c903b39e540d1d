namespace Precision.Clinical;

/// <summary>The cancer types the cohort and the model know. <see cref="Other"/> is any primary cancer outside them.</summary>
public enum CancerType
{
    Other,
    NonSmallCellLungCancer,
    ColorectalCancer,
    BreastCancer,
    Melanoma,
    OvarianCancer,
    PancreaticCancer,
}

/// <summary>
/// How the generator codes each cancer type in FHIR (SNOMED CT for the condition, ICD-10-CM alongside). Reading a record's
/// codes is <see cref="Terminology.CancerTypeClassifier"/>'s job: exact codes alone would miss descendants and misread C34.
/// </summary>
public sealed record CancerTypeCoding(CancerType CancerType, string DisplayName, string SnomedCode, string SnomedDisplay, string Icd10Code);

public static class CancerTypes
{
    // SNOMED CT and ICD-10-CM codes; see docs/clinical-codes.md for the source of each.
    public static IReadOnlyList<CancerTypeCoding> All { get; } =
    [
        new(CancerType.NonSmallCellLungCancer, "Non-small cell lung cancer", "254637007", "Non-small cell lung cancer (disorder)", "C34.90"),
        new(CancerType.ColorectalCancer, "Colorectal cancer", "363406005", "Malignant neoplasm of colon (disorder)", "C18.9"),
        new(CancerType.BreastCancer, "Breast cancer", "254837009", "Malignant neoplasm of breast (disorder)", "C50.919"),
        new(CancerType.Melanoma, "Melanoma", "372244006", "Malignant melanoma (disorder)", "C43.9"),
        new(CancerType.OvarianCancer, "Ovarian cancer", "363443007", "Malignant tumor of ovary (disorder)", "C56.9"),
        new(CancerType.PancreaticCancer, "Pancreatic cancer", "363418001", "Malignant tumor of pancreas (disorder)", "C25.9"),
    ];

    public static string DisplayName(CancerType type) => All.FirstOrDefault(c => c.CancerType == type)?.DisplayName ?? "Other cancer";
}
