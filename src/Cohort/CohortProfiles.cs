using Precision.Clinical;

namespace Precision.Cohort;

/// <summary>Per-cancer-type demographics and biomarker prevalences (sources in docs/cohort.md).</summary>
public sealed record CancerTypeProfile(
    CancerType CancerType,
    double CohortShare,
    double MeanAgeAtDiagnosis,
    double AgeSd,
    double MaleFraction,
    IReadOnlyList<(string Stage, double Weight)> Stages,
    double NeverSmoker,
    double FormerSmoker,
    double TmbMedian,
    string BodySiteSnomed,
    string BodySiteDisplay);

public static class CohortProfiles
{
    private static readonly (string, double)[] NsclcStages =
        [("IA", 3), ("IB", 4), ("IIA", 3), ("IIB", 6), ("IIIA", 11), ("IIIB", 8), ("IIIC", 4), ("IVA", 30), ("IVB", 31)];

    private static readonly (string, double)[] CrcStages =
        [("IIA", 9), ("IIB", 3), ("IIIA", 3), ("IIIB", 14), ("IIIC", 8), ("IVA", 28), ("IVB", 22), ("IVC", 13)];

    private static readonly (string, double)[] BreastStages =
        [("IIA", 8), ("IIB", 10), ("IIIA", 10), ("IIIB", 6), ("IIIC", 6), ("IV", 60)];

    private static readonly (string, double)[] MelanomaStages =
        [("IIB", 5), ("IIC", 5), ("IIIA", 5), ("IIIB", 10), ("IIIC", 15), ("IIID", 5), ("IV", 55)];

    private static readonly (string, double)[] OvarianStages =
        [("IIA", 3), ("IIB", 4), ("IIIA", 8), ("IIIB", 10), ("IIIC", 45), ("IVA", 12), ("IVB", 18)];

    private static readonly (string, double)[] PancreaticStages =
        [("IIA", 5), ("IIB", 10), ("III", 25), ("IV", 60)];

    public static IReadOnlyList<CancerTypeProfile> All { get; } =
    [
        new(CancerType.NonSmallCellLungCancer, 0.30, 68, 9, 0.52, NsclcStages, 0.15, 0.55, 7.0, "39607008", "Lung structure"),
        new(CancerType.ColorectalCancer, 0.20, 63, 11, 0.54, CrcStages, 0.50, 0.35, 3.5, "71854001", "Colon structure"),
        new(CancerType.BreastCancer, 0.18, 60, 12, 0.01, BreastStages, 0.55, 0.32, 2.5, "76752008", "Breast structure"),
        new(CancerType.Melanoma, 0.10, 64, 13, 0.58, MelanomaStages, 0.50, 0.35, 14.0, "39937001", "Skin structure"),
        new(CancerType.OvarianCancer, 0.10, 62, 10, 0.0, OvarianStages, 0.55, 0.32, 2.5, "15497006", "Ovarian structure"),
        new(CancerType.PancreaticCancer, 0.12, 68, 9, 0.52, PancreaticStages, 0.45, 0.38, 1.8, "15776009", "Pancreatic structure"),
    ];

    public static CancerTypeProfile Of(CancerType type) => All.First(p => p.CancerType == type);
}

/// <summary>OMB race and ethnicity categories with rough US shares (docs/cohort.md).</summary>
public static class Demographics
{
    public const string NullFlavor = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor";

    public static readonly IReadOnlyList<(OmbCategory Item, double Weight)> Race =
    [
        (new(CodeSystems.CdcRaceEthnicity, "2106-3", "White"), 0.74),
        (new(CodeSystems.CdcRaceEthnicity, "2054-5", "Black or African American"), 0.12),
        (new(CodeSystems.CdcRaceEthnicity, "2028-9", "Asian"), 0.06),
        (new(CodeSystems.CdcRaceEthnicity, "1002-5", "American Indian or Alaska Native"), 0.01),
        (new(CodeSystems.CdcRaceEthnicity, "2076-8", "Native Hawaiian or Other Pacific Islander"), 0.005),
        (new(NullFlavor, "UNK", "Unknown"), 0.065),
    ];

    public static readonly IReadOnlyList<(OmbCategory Item, double Weight)> Ethnicity =
    [
        (new(CodeSystems.CdcRaceEthnicity, "2135-2", "Hispanic or Latino"), 0.10),
        (new(CodeSystems.CdcRaceEthnicity, "2186-5", "Not Hispanic or Latino"), 0.87),
        (new(NullFlavor, "UNK", "Unknown"), 0.03),
    ];

    // Common US given and family names; the generated names carry a number (as Synthea does) so nobody mistakes them for real people.
    public static readonly string[] FemaleGiven =
        ["Mary", "Patricia", "Linda", "Barbara", "Elizabeth", "Jennifer", "Maria", "Susan", "Margaret", "Dorothy", "Lisa", "Nancy",
         "Karen", "Betty", "Helen", "Sandra", "Donna", "Carol", "Ruth", "Sharon", "Michelle", "Laura", "Sarah", "Kimberly", "Rosa",
         "Mei", "Aisha", "Guadalupe", "Fatima", "Ngoc"];

    public static readonly string[] MaleGiven =
        ["James", "John", "Robert", "Michael", "William", "David", "Richard", "Charles", "Joseph", "Thomas", "Christopher", "Daniel",
         "Paul", "Mark", "Donald", "George", "Kenneth", "Steven", "Edward", "Brian", "Ronald", "Anthony", "Kevin", "Jose", "Wei",
         "Hiroshi", "Kwame", "Luis", "Ahmed", "Minh"];

    public static readonly string[] Family =
        ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez",
         "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson",
         "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
         "Nguyen", "Chen", "Okafor", "Kowalski", "Yamamoto"];
}
