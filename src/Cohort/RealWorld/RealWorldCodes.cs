using Precision.Clinical;

namespace Precision.Cohort.RealWorld;

/// <summary>A coded concept as written: a coding (when one was verified) and the text.</summary>
public sealed record Concept(string System, string Value, string? Display);

/// <summary>
/// A medication as written: RxNorm and/or WHO ATC codings when a code was verified (docs/clinical-codes.md), else text only,
/// as real systems also send.
/// </summary>
public sealed record DrugCode(string Text, string? RxNorm = null, string? RxNormDisplay = null, string? Atc = null, string? AtcDisplay = null)
{
    public bool TextOnly => RxNorm is null && Atc is null;
}

/// <summary>A metastatic site a secondary cancer can be coded at.</summary>
public enum MetastaticSite
{
    Bone,
    Liver,
    Lung,
    Brain,
    Peritoneum,
}

/// <summary>A histology the model does not cover that replaces a simulated patient (docs/cohort.md).</summary>
public enum UnsupportedHistology
{
    SmallCellLungCancer,
    PancreaticNeuroendocrineTumor,
    UvealMelanoma,
}

/// <summary>
/// Every code the real-world shapes write that is not already in <c>src/Clinical</c>, each verified as listed in
/// docs/clinical-codes.md ("Real-world shapes"). Where no code was verified the concept is written as text only.
/// </summary>
public static class RealWorldCodes
{
    public const string TbdCodes = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs";
    public const string DiagnosticImplicationCode = "diagnostic-implication";

    // Specific primary cancer diagnoses (SNOMED CT; the cancer-type table lists each).
    public static readonly Concept NsclcStage1 = new(CodeSystems.Snomed, "424132000", "Non-small cell carcinoma of lung, TNM stage 1 (disorder)");
    public static readonly Concept NsclcStage2 = new(CodeSystems.Snomed, "425048006", "Non-small cell carcinoma of lung, TNM stage 2 (disorder)");
    public static readonly Concept NsclcStage3 = new(CodeSystems.Snomed, "422968005", "Non-small cell carcinoma of lung, TNM stage 3 (disorder)");
    public static readonly Concept NsclcStage4 = new(CodeSystems.Snomed, "423121009", "Non-small cell carcinoma of lung, TNM stage 4 (disorder)");
    public static readonly Concept AdenocarcinomaOfLung = new(CodeSystems.Snomed, "254626006", "Adenocarcinoma of lung (disorder)");
    public static readonly Concept PrimaryBreast = new(CodeSystems.Snomed, "372137005", "Primary malignant neoplasm of breast (disorder)");
    public static readonly Concept InfiltratingDuctBreast = new(CodeSystems.Snomed, "408643008", "Infiltrating duct carcinoma of breast (disorder)");
    public static readonly Concept PrimaryColon = new(CodeSystems.Snomed, "93761005", "Primary malignant neoplasm of colon (disorder)");
    public static readonly Concept Rectum = new(CodeSystems.Snomed, "363351006", "Malignant tumor of rectum (disorder)");
    public static readonly Concept PrimaryOvary = new(CodeSystems.Snomed, "93934004", "Primary malignant neoplasm of ovary (disorder)");
    public static readonly Concept PrimaryPancreas = new(CodeSystems.Snomed, "372003004", "Primary malignant neoplasm of pancreas (disorder)");
    public static readonly Concept SmallCellLung = new(CodeSystems.Snomed, "254632001", "Small cell carcinoma of lung (disorder)");

    public static readonly IReadOnlyList<Concept> SmallCellLungByStage =
    [
        new(CodeSystems.Snomed, "67811000119102", "Primary small cell malignant neoplasm of lung, TNM stage 1 (disorder)"),
        new(CodeSystems.Snomed, "67821000119109", "Primary small cell malignant neoplasm of lung, TNM stage 2 (disorder)"),
        new(CodeSystems.Snomed, "67831000119107", "Primary small cell malignant neoplasm of lung, TNM stage 3 (disorder)"),
        new(CodeSystems.Snomed, "67841000119103", "Primary small cell malignant neoplasm of lung, TNM stage 4 (disorder)"),
    ];

    // ICD-10-CM.
    public static readonly Concept IcdLungUnspecified = new(CodeSystems.Icd10Cm, "C34.90", "Malignant neoplasm of unspecified part of unspecified bronchus or lung");
    public static readonly Concept IcdRectum = new(CodeSystems.Icd10Cm, "C20", "Malignant neoplasm of rectum");
    public static readonly Concept IcdEndocrinePancreas = new(CodeSystems.Icd10Cm, "C25.4", "Malignant neoplasm of endocrine pancreas");
    public static readonly Concept IcdChoroid = new(CodeSystems.Icd10Cm, "C69.30", "Malignant neoplasm of unspecified choroid");
    public static readonly Concept IcdRightCiliaryBody = new(CodeSystems.Icd10Cm, "C69.41", "Malignant neoplasm of right ciliary body");
    public static readonly Concept IcdLeftCiliaryBody = new(CodeSystems.Icd10Cm, "C69.42", "Malignant neoplasm of left ciliary body");

    /// <summary>C34 with the lobe (4th character: 1 upper, 3 lower, 9 unspecified) and side (5th: 1 right, 2 left).</summary>
    public static Concept IcdLung(char lobe, bool right)
    {
        var side = right ? "right" : "left";
        var display = lobe switch
        {
            '1' => $"Malignant neoplasm of upper lobe, {side} bronchus or lung",
            '3' => $"Malignant neoplasm of lower lobe, {side} bronchus or lung",
            _ => $"Malignant neoplasm of unspecified part of {side} bronchus or lung",
        };
        return new(CodeSystems.Icd10Cm, $"C34.{lobe}{(right ? '1' : '2')}", display);
    }

    /// <summary>C50.9x: unspecified site of the right / left female (C50.91x) or male (C50.92x) breast.</summary>
    public static Concept IcdBreast(bool female, bool right) =>
        new(CodeSystems.Icd10Cm, $"C50.9{(female ? '1' : '2')}{(right ? '1' : '2')}",
            $"Malignant neoplasm of unspecified site of {(right ? "right" : "left")} {(female ? "female" : "male")} breast");

    // ICD-O-3 morphology (histology/behaviour) for the mCODE histology-morphology-behavior extension.
    public static readonly Concept Adenocarcinoma = new(CodeSystems.IcdO3, "8140/3", "Adenocarcinoma, NOS");
    public static readonly Concept SquamousCellCarcinoma = new(CodeSystems.IcdO3, "8070/3", "Squamous cell carcinoma, NOS");
    public static readonly Concept NonSmallCellCarcinoma = new(CodeSystems.IcdO3, "8046/3", "Non-small cell carcinoma");
    public static readonly Concept InfiltratingDuctCarcinoma = new(CodeSystems.IcdO3, "8500/3", "Infiltrating duct carcinoma, NOS");
    public static readonly Concept LobularCarcinoma = new(CodeSystems.IcdO3, "8520/3", "Lobular carcinoma, NOS");
    public static readonly Concept Melanoma = new(CodeSystems.IcdO3, "8720/3", "Malignant melanoma, NOS");
    public static readonly Concept NodularMelanoma = new(CodeSystems.IcdO3, "8721/3", "Nodular melanoma");
    public static readonly Concept SuperficialSpreadingMelanoma = new(CodeSystems.IcdO3, "8743/3", "Superficial spreading melanoma");
    public static readonly Concept SmallCellCarcinoma = new(CodeSystems.IcdO3, "8041/3", "Small cell carcinoma, NOS");
    public static readonly Concept NeuroendocrineTumor = new(CodeSystems.IcdO3, "8240/3", "Neuroendocrine tumor, grade 1");

    // Body sites.
    public static readonly Concept LeftBreastStructure = new(CodeSystems.Snomed, "80248007", "Left breast structure (body structure)");
    public static readonly Concept RectumStructure = new(CodeSystems.Snomed, "34402009", "Rectum structure (body structure)");
    public static readonly Concept EntireBreast = new(CodeSystems.Snomed, "181131000", "Entire breast (body structure)");
    public static readonly Concept EntireLung = new(CodeSystems.Snomed, "181216001", "Entire lung (body structure)");
    public static readonly Concept BrainStructure = new(CodeSystems.Snomed, "12738006", "Brain structure (body structure)");

    /// <summary>The secondary (metastatic) disorder of a site: SNOMED CT (none verified for the peritoneum) and ICD-10-CM.</summary>
    public static (Concept? Snomed, Concept Icd10, string Text) Secondary(MetastaticSite site, bool right) => site switch
    {
        MetastaticSite.Bone => (new(CodeSystems.Snomed, "94222008", "Secondary malignant neoplasm of bone (disorder)"),
            new(CodeSystems.Icd10Cm, "C79.51", "Secondary malignant neoplasm of bone"), "Bone metastases"),
        MetastaticSite.Liver => (new(CodeSystems.Snomed, "94381002", "Secondary malignant neoplasm of liver (disorder)"),
            new(CodeSystems.Icd10Cm, "C78.7", "Secondary malignant neoplasm of liver and intrahepatic bile duct"), "Liver metastases"),
        MetastaticSite.Lung => (new(CodeSystems.Snomed, "94391008", "Metastatic malignant neoplasm to lung (disorder)"),
            new(CodeSystems.Icd10Cm, right ? "C78.01" : "C78.02", $"Secondary malignant neoplasm of {(right ? "right" : "left")} lung"), "Lung metastases"),
        MetastaticSite.Brain => (new(CodeSystems.Snomed, "94225005", "Secondary malignant neoplasm of brain (disorder)"),
            new(CodeSystems.Icd10Cm, "C79.31", "Secondary malignant neoplasm of brain"), "Brain metastases"),
        // C78.6 is in the portal's cancer-type table; its display was not verified, so none is written.
        _ => (null, new(CodeSystems.Icd10Cm, "C78.6", null), "Peritoneal metastases"),
    };

    // Staging (mCODE STU1 T/N/M category LOINC codes; the stage-group codes are in LoincCodes / SnomedCodes).
    public const string ClinicalPrimaryTumor = "21905-5";
    public const string ClinicalRegionalNodes = "21906-3";
    public const string ClinicalDistantMetastases = "21907-1";
    public const string PathologicalPrimaryTumor = "21899-0";
    public const string PathologicalRegionalNodes = "21900-6";
    public const string PathologicalDistantMetastases = "21901-4";

    // Procedures (SNOMED CT).
    public static readonly Concept SurgicalProcedure = new(CodeSystems.Snomed, SnomedCodes.SurgicalProcedure, "Surgical procedure");
    public static readonly Concept Lumpectomy = new(CodeSystems.Snomed, "392021009", "Lumpectomy of breast (procedure)");
    public static readonly Concept ExcisionOfBreastTissue = new(CodeSystems.Snomed, "69031006", "Excision of breast tissue (procedure)");
    public static readonly Concept PartialResectionOfColon = new(CodeSystems.Snomed, "43075005", "Partial resection of colon");
    public static readonly Concept PartialLobectomyOfLung = new(CodeSystems.Snomed, "359615001", "Partial lobectomy of lung (procedure)");
    public static readonly Concept HysterectomyWithBso = new(CodeSystems.Snomed, "116144002", "Total abdominal hysterectomy with bilateral salpingo-oophorectomy (procedure)");
    public static readonly Concept RadiationOncology = new(CodeSystems.Snomed, SnomedCodes.RadiationOncologyProcedure, "Radiation oncology AND/OR radiotherapy (procedure)");
    public static readonly Concept RadiotherapyCourse = new(CodeSystems.Snomed, SnomedCodes.RadiotherapyCourseOfTreatment, "Radiotherapy course of treatment (regime/therapy)");

    public static readonly Concept Curative = new(CodeSystems.Snomed, SnomedCodes.CurativeIntent, "Curative - procedure intent");
    public static readonly Concept Palliative = new(CodeSystems.Snomed, SnomedCodes.PalliativeIntent, "Palliative - procedure intent");

    // Medications outside the therapy catalog.
    public static readonly DrugCode Ondansetron = new("Ondansetron", RxNorm: "26225", RxNormDisplay: "ondansetron");
    public static readonly DrugCode Dexamethasone = new("Dexamethasone", RxNorm: "3264", RxNormDisplay: "dexamethasone", Atc: "H02AB02", AtcDisplay: "dexamethasone");
    public static readonly DrugCode Filgrastim = new("Filgrastim", Atc: "L03AA02", AtcDisplay: "filgrastim");
    public static readonly DrugCode MetforminIngredient = new("Metformin", RxNorm: "6809", RxNormDisplay: "metformin", Atc: "A10BA02", AtcDisplay: "metformin");
    public static readonly DrugCode MetforminTablet = new("Metformin ER 500 mg tablet", RxNorm: "860975", RxNormDisplay: "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet");
    public static readonly DrugCode AtorvastatinIngredient = new("Atorvastatin", RxNorm: "83367", RxNormDisplay: "atorvastatin", Atc: "C10AA05", AtcDisplay: "atorvastatin");
    public static readonly DrugCode AtorvastatinTablet = new("Atorvastatin 20 mg tablet", RxNorm: "617310", RxNormDisplay: "atorvastatin 20 MG Oral Tablet");
    public static readonly DrugCode LisinoprilTablet = new("Lisinopril 10 mg tablet", RxNorm: "314076", RxNormDisplay: "lisinopril 10 MG Oral Tablet");

    public static readonly DrugCode Cisplatin = new("Cisplatin", RxNorm: "2555", RxNormDisplay: "cisplatin", Atc: "L01XA01", AtcDisplay: "cisplatin");
    public static readonly DrugCode Etoposide = new("Etoposide", RxNorm: "4179", RxNormDisplay: "etoposide", Atc: "L01CB01", AtcDisplay: "etoposide");
    public static readonly DrugCode Atezolizumab = new("Atezolizumab", RxNorm: "1792776", RxNormDisplay: "atezolizumab", Atc: "L01FF05", AtcDisplay: "atezolizumab");
    public static readonly DrugCode Cyclophosphamide = new("Cyclophosphamide", RxNorm: "3002", RxNormDisplay: "cyclophosphamide");

    // Text-only regimens (no verified code; real systems send such free text too).
    public static readonly DrugCode Lurbinectedin = new("Lurbinectedin");
    public static readonly DrugCode Lanreotide = new("Lanreotide (somatostatin analogue)");
    public static readonly DrugCode Captem = new("Capecitabine and temozolomide (CAPTEM)");
    public static readonly DrugCode Everolimus = new("Everolimus");
    public static readonly DrugCode Tebentafusp = new("Tebentafusp");
    public static readonly DrugCode InvestigationalAgent = new("Investigational agent (clinical trial)");
}
