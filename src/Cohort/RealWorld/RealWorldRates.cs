namespace Precision.Cohort.RealWorld;

/// <summary>
/// Per-patient rates of the real-world shapes (basis of each in docs/cohort.md, "Real-world shapes"). Most are modelling
/// assumptions chosen so every shape appears often enough to test a reader; where a published figure exists it is named there.
/// </summary>
public static class RealWorldRates
{
    // Unsupported histologies replacing a simulated patient.
    public const double SmallCellOfLung = 0.12;
    public const double NeuroendocrineOfPancreas = 0.05;
    public const double UvealOfMelanoma = 0.04;

    // Diagnosis coding.
    public const double SpecificSnomed = 0.40;
    public const double RectumOfColorectal = 0.30;
    public const double SpecificIcd10 = 0.50;
    public const double MorphologyExtension = 0.50;

    // Staging (of patients with a stage).
    public const double StageTnmStu3 = 0.45;
    public const double StageGroupStu1Stu2 = 0.45;
    public const double StageSummaryOnly = 0.10;
    public const double ConditionStageWithObservation = 0.40;
    public const double TnmCategoryObservations = 0.30;

    // Secondary cancers.
    public const double SecondaryInStageFour = 0.70;
    public const double SecondaryBeforeRelapse = 0.50;
    public const double SecondaryIcd10Only = 0.15;
    public const double SecondaryWithoutRelatedPrimary = 0.15;
    public const double SecondaryStu1RelatedPrimary = 0.20;

    // Curative treatment of stage I–III.
    public const double Adjuvant = 0.60;
    public const double RadiotherapyAfterLumpectomy = 0.90;
    public const double ChemoradiationNsclcStageThree = 0.50;
    public const double PalliativeRadiotherapyBoneOrBrain = 0.30;
    public const double ProcedureNotDone = 0.02;

    // Genomics.
    public const double Stu3Report = 0.30;
    public const double GenomicsWithoutSubject = 0.05;
    public const double LegacySignificanceOnVariant = 0.30;
    public const double LikelyPathogenic = 0.20;
    public const double PertinentNegatives = 0.30;
    public const double UncertainSignificanceVariant = 0.25;
    public const double BenignVariant = 0.02;

    // Medications.
    public const double LinesAsRequestsAndAdministrations = 0.25;
    public const double IntentOnLines = 0.85;
    public const double Ondansetron = 0.80;
    public const double Dexamethasone = 0.50;
    public const double Filgrastim = 0.15;
    public const double Metformin = 0.12;
    public const double Atorvastatin = 0.25;
    public const double Lisinopril = 0.20;
    public const double NotTaken = 0.03;
    public const double AntineoplasticNotGiven = 0.05;
    public const double MedicationEnteredInError = 0.02;

    // Death (of patients whose last line has ended before the cut-off).
    public const double DeathAfterProgressionOnLastLine = 0.36;
    public const double DeathOtherwise = 0.16;
    public const double DeceasedAsBoolean = 0.10;

    /// <summary>Share of stage I–III patients (of the type, kept) who had cancer surgery before relapse.</summary>
    public static double Surgery(Precision.Clinical.CancerType type, string stageGroup) => (type, stageGroup) switch
    {
        (Precision.Clinical.CancerType.NonSmallCellLungCancer, "I" or "II") => 0.90,
        (Precision.Clinical.CancerType.NonSmallCellLungCancer, "III") => 0.50, // of those without chemoradiation
        (Precision.Clinical.CancerType.ColorectalCancer, _) => 0.95,
        (Precision.Clinical.CancerType.BreastCancer, _) => 0.95,
        (Precision.Clinical.CancerType.Melanoma, _) => 0.95,
        (Precision.Clinical.CancerType.OvarianCancer, "IV") => 0.50,
        (Precision.Clinical.CancerType.OvarianCancer, _) => 0.90,
        (Precision.Clinical.CancerType.PancreaticCancer, "II") => 0.60,
        (Precision.Clinical.CancerType.PancreaticCancer, _) => 0.15,
        _ => 0,
    };

    public const double LumpectomyOfBreastSurgery = 0.55;
}
