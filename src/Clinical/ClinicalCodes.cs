namespace Precision.Clinical;

/// <summary>Code systems and codes used to read and write the record. One place, shared by the cohort generator and the mapper.</summary>
public static class CodeSystems
{
    public const string Loinc = "http://loinc.org";
    public const string Snomed = "http://snomed.info/sct";
    public const string Icd10Cm = "http://hl7.org/fhir/sid/icd-10-cm";
    public const string RxNorm = "http://www.nlm.nih.gov/research/umls/rxnorm";
    public const string Hgnc = "http://www.genenames.org/geneId";
    public const string HgvsNomenclature = "http://varnomen.hgvs.org";
    public const string Ucum = "http://unitsofmeasure.org";
    public const string ObservationCategory = "http://terminology.hl7.org/CodeSystem/observation-category";
    public const string V2Table0074 = "http://terminology.hl7.org/CodeSystem/v2-0074";
    public const string V2Table0203 = "http://terminology.hl7.org/CodeSystem/v2-0203";
    public const string UsCoreRace = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race";
    public const string UsCoreEthnicity = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity";
    public const string CdcRaceEthnicity = "urn:oid:2.16.840.1.113883.6.238";
    public const string SequenceOntology = "http://www.sequenceontology.org";

    /// <summary>The Sequence Ontology as the Genomics Reporting IG's FSH aliases it (its guidance pages write the www. form).</summary>
    public const string SequenceOntologyAlternative = "http://sequenceontology.org";

    /// <summary>HGNC gene ids in Genomics Reporting STU3 (STU2 used <see cref="Hgnc"/>); both are read.</summary>
    public const string HgncStu3 = "http://www.genenames.org";

    public const string IcdO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3";
    public const string WhoAtc = "http://www.whocc.no/atc";
    public const string ConditionClinical = "http://terminology.hl7.org/CodeSystem/condition-clinical";
    public const string ConditionVerification = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
    public const string AjccCancerStaging = "http://cancerstaging.org";

    /// <summary>Codes this project defines where no standard code exists (the expression signature, catalog therapy ids).</summary>
    public const string PrecisionPortal = "https://precision-portal.example.org/fhir/CodeSystem/precision-portal";
    public const string MedicalRecordNumber = "https://precision-portal.example.org/fhir/sid/mrn";
}

/// <summary>LOINC codes for the observations the portal reads.</summary>
public static class LoincCodes
{
    public const string EcogPerformanceStatus = "89247-1";
    public const string TobaccoSmokingStatus = "72166-2";
    public const string StageGroupClinical = "21908-9";
    public const string StageGroupPathological = "21902-2";

    /// <summary>Stage group.other Cancer (mCODE STU2 CancerStageGroup, non-TNM systems).</summary>
    public const string StageGroupOther = "21914-7";

    /// <summary>TNM category observations (STU1 clinical T/N/M, pathological T/N/M, STU2 other): read and listed, not used.</summary>
    public static readonly IReadOnlySet<string> TnmCategories = new HashSet<string>(StringComparer.Ordinal)
    {
        "21905-5", "21906-3", "21907-1", "21899-0", "21900-6", "21901-4", "21911-3",
    };

    /// <summary>Cancer disease status (mCODE STU2+; STU1 used 88040-1): listed, not used by the model.</summary>
    public const string CancerDiseaseStatus = "97509-4";

    /// <summary>Genetic analysis report (Genomics Reporting STU3 genomic-report code).</summary>
    public const string GeneticAnalysisReport = "51969-4";

    /// <summary>Clinical significance of a variant (on a diagnostic implication, or on the variant in older feeds).</summary>
    public const string ClinicalSignificance = "53037-8";

    /// <summary>Variant assessment answers (LL1971-2).</summary>
    public const string PresentAnswer = "LA9633-4";
    public const string AbsentAnswer = "LA9634-2";
    public const string NoCallAnswer = "LA18198-4";
    public const string IndeterminateAnswer = "LA11884-6";

    /// <summary>Clinical significance answers (LL4034-6) and the pre-2017 ones.</summary>
    public const string PathogenicAnswer = "LA6668-3";
    public const string LikelyPathogenicAnswer = "LA26332-9";
    public const string UncertainSignificanceAnswer = "LA26333-7";
    public const string LikelyBenignAnswer = "LA26334-5";
    public const string BenignAnswer = "LA6675-8";
    public const string PresumedPathogenicAnswer = "LA6669-1";
    public const string UnknownSignificanceAnswer = "LA6682-4";
    public const string PresumedBenignAnswer = "LA6674-1";

    /// <summary>Genomic source class answers beyond somatic/germline (LL378-1).</summary>
    public const string LikelyGermlineAnswer = "LA18194-3";
    public const string LikelySomaticAnswer = "LA18195-0";

    /// <summary>Genomic structural variant ISCN (81291-7) and genomic HGVS (81290-9).</summary>
    public const string CytogenomicNomenclature = "81291-7";
    public const string GenomicHgvs = "81290-9";

    public const string GenomicsReport = "81247-9";
    public const string GeneticVariantAssessment = "69548-6";
    public const string GeneStudied = "48018-6";
    public const string DnaChangeCHgvs = "48004-6";
    public const string AminoAcidChangePHgvs = "48005-3";
    public const string SampleVariantAlleleFrequency = "81258-6";
    public const string GenomicSourceClass = "48002-0";
    public const string DnaChangeType = "48019-4";
    public const string CopyNumber = "82155-3";
    public const string TumorMutationalBurden = "94076-7";
    public const string MicrosatelliteInstability = "81695-9";
    public const string GenotypeDisplayName = "84413-4";
    public const string PharmacogenomicPhenotype = "53040-2";

    /// <summary>Somatic / germline answers to 48002-0.</summary>
    public const string SomaticAnswer = "LA6684-0";
    public const string GermlineAnswer = "LA6683-2";

    /// <summary>MSI answers to 81695-9.</summary>
    public const string MsiHighAnswer = "LA26203-2";
    public const string MsiLowAnswer = "LA26202-4";
    public const string MsiStableAnswer = "LA14122-8";

    /// <summary>Response to cancer treatment; the cohort's RECIST best overall response per line.</summary>
    public const string ResponseToCancerTreatment = "88040-1";

    /// <summary>RECIST answers: complete response, partial response, stable disease, progressive disease.</summary>
    public const string CompleteResponseAnswer = "LA28366-5";
    public const string PartialResponseAnswer = "LA28369-9";
    public const string StableDiseaseAnswer = "LA28371-5";
    public const string ProgressiveDiseaseAnswer = "LA28370-7";

    /// <summary>PD-L1 by clone 22C3 in tissue by immune stain; the cohort puts the tumor proportion score (%) in valueQuantity.</summary>
    public const string PdL1TumorProportionScore = "85147-7";

    /// <summary>Estrogen receptor Ag, immune stain, qualitative (breast cancer specimen).</summary>
    public const string EstrogenReceptorStatus = "85337-4";
}

/// <summary>SNOMED CT codes the record uses outside the cancer types.</summary>
public static class SnomedCodes
{
    public const string NeverSmoker = "266919005";
    public const string FormerSmoker = "8517006";
    public const string CurrentEveryDaySmoker = "449868002";

    /// <summary>mCODE STU3/STU4 TNMStageGroup codes (TNMStageGroupStagingTypeVS).</summary>
    public const string TnmStageGrouping = "399390009";
    public const string ClinicalTnmStageGrouping = "399537006";
    public const string PathologicTnmStageGrouping = "399588009";

    /// <summary>AJCC Cancer Staging Manual 8th edition (staging method).</summary>
    public const string Ajcc8thEdition = "897275008";

    /// <summary>Treatment intent (mCODE TreatmentIntentVS / ProcedureIntentVS).</summary>
    public const string CurativeIntent = "373808002";
    public const string PalliativeIntent = "363676003";
    public const string SupportiveIntent = "399707004";

    /// <summary>Procedure categories: surgical procedure (CancerRelatedSurgicalProcedure), radiotherapy (STU1 / STU2+).</summary>
    public const string SurgicalProcedure = "387713003";
    public const string RadiationTherapyProcedure = "53438000";
    public const string RadiationOncologyProcedure = "108290001";
    public const string Radiotherapy = "1287742003";

    /// <summary>Radiotherapy course of treatment (CodeX Radiation Therapy course profiles, which extend mCODE).</summary>
    public const string RadiotherapyCourseOfTreatment = "1217123003";
}

/// <summary>Profile canonical URLs (meta.profile) and extension URLs of mCODE STU1–STU4, US Core and Genomics Reporting STU1–STU3.</summary>
public static class FhirProfiles
{
    private const string Mcode = "http://hl7.org/fhir/us/mcode/StructureDefinition/";
    private const string Genomics = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/";

    public const string McodeCancerPatient = Mcode + "mcode-cancer-patient";
    public const string UsCorePatient = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient";
    public const string McodePrimaryCancerCondition = Mcode + "mcode-primary-cancer-condition";
    public const string McodeSecondaryCancerCondition = Mcode + "mcode-secondary-cancer-condition";
    public const string McodeTnmStageGroup = Mcode + "mcode-tnm-stage-group";
    public const string McodeCancerStage = Mcode + "mcode-cancer-stage";
    public const string McodeCancerStageGroup = Mcode + "mcode-cancer-stage-group";
    public const string McodeTnmClinicalStageGroup = Mcode + "mcode-tnm-clinical-stage-group";
    public const string McodeTnmPathologicalStageGroup = Mcode + "mcode-tnm-pathological-stage-group";
    public const string McodeEcog = Mcode + "mcode-ecog-performance-status";
    public const string UsCoreSmokingStatus = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-smokingstatus";
    public const string UsCoreLab = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab";
    public const string McodeMedicationStatement = Mcode + "mcode-cancer-related-medication-statement";
    public const string McodeMedicationRequest = Mcode + "mcode-cancer-related-medication-request";
    public const string McodeMedicationAdministration = Mcode + "mcode-cancer-related-medication-administration";
    public const string McodeSurgicalProcedure = Mcode + "mcode-cancer-related-surgical-procedure";
    public const string McodeRadiotherapyCourseSummary = Mcode + "mcode-radiotherapy-course-summary";
    public const string McodeRadiationProcedure = Mcode + "mcode-cancer-related-radiation-procedure";
    public const string McodeHumanSpecimen = Mcode + "mcode-human-specimen";
    public const string GenomicsReport = Genomics + "genomics-report";
    public const string GenomicReport = Genomics + "genomic-report";
    public const string GenomicsVariant = Genomics + "variant";
    public const string GenomicsDiagnosticImplication = Genomics + "diagnostic-implication";
    public const string GenomicsTmb = Genomics + "tmb";
    public const string GenomicsMsi = Genomics + "msi";
    public const string GenomicsGenotype = Genomics + "genotype";

    /// <summary>Genomics Reporting STU3 profile that replaced the STU2 tmb and msi profiles.</summary>
    public const string GenomicsMolecularBiomarker = Genomics + "molecular-biomarker";

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

    /// <summary>Extensions.</summary>
    public const string HistologyMorphologyBehavior = Mcode + "mcode-histology-morphology-behavior";
    public const string RelatedPrimaryCancerConditionStu1 = Mcode + "mcode-related-primary-cancer-condition";
    public const string ConditionRelated = "http://hl7.org/fhir/StructureDefinition/condition-related";
    public const string McodeRelatedCondition = Mcode + "mcode-related-condition";
    public const string TreatmentIntentStu1 = Mcode + "mcode-treatment-intent";
    public const string ProcedureIntent = Mcode + "mcode-procedure-intent";
}

/// <summary>Codes this project defines in <see cref="CodeSystems.PrecisionPortal"/> where no standard code exists.</summary>
public static class PortalCodes
{
    public const string TCellInflamedSignature = "tcell-inflamed-gep";
}

/// <summary>A laboratory analyte the portal understands, with its canonical UCUM unit and adult reference range.</summary>
public sealed record LabAnalyteDefinition(
    LabAnalyte Analyte,
    string DisplayName,
    string LoincCode,
    string CanonicalUnit,
    ReferenceRange ReferenceRange,
    decimal PlausibleLow,
    decimal PlausibleHigh,
    IReadOnlyDictionary<string, decimal> ConversionToCanonical)
{
    /// <summary>Other LOINC codes labs use for the same analyte (specimen or method variants), read like the main one.</summary>
    public IReadOnlyList<string> AlternativeLoincCodes { get; init; } = [];

    /// <summary>The unit as written, in the canonical unit's spelling when it means the same (see <see cref="LabAnalytes.NormalizeUnit"/>).</summary>
    public decimal? ToCanonical(decimal value, string unit)
    {
        var normalized = LabAnalytes.NormalizeUnit(unit);
        if (string.Equals(normalized, CanonicalUnit, StringComparison.Ordinal))
        {
            return value;
        }

        return ConversionToCanonical.TryGetValue(normalized, out var factor) ? decimal.Round(value * factor, 4) : null;
    }
}

public enum LabAnalyte
{
    Hemoglobin,
    Neutrophils,
    Platelets,
    Creatinine,
    AlanineAminotransferase,
    AspartateAminotransferase,
    TotalBilirubin,
    Albumin,
    LactateDehydrogenase,
    CarcinoembryonicAntigen,
    Ca125,
    Ca199,
}

public static class LabAnalytes
{
    private static readonly Dictionary<string, decimal> EnzymeUnits = new(StringComparer.Ordinal) { ["[IU]/L"] = 1m, ["IU/L"] = 1m };

    // Canonical units as UCUM; conversions multiply a value in the other unit to reach the canonical one.
    public static IReadOnlyList<LabAnalyteDefinition> All { get; } =
    [
        new(LabAnalyte.Hemoglobin, "Hemoglobin", "718-7", "g/dL", new(12.0m, 17.5m), 2m, 25m,
            new Dictionary<string, decimal> { ["g/L"] = 0.1m, ["mmol/L"] = 1.611m }) { AlternativeLoincCodes = ["30350-3"] },
        new(LabAnalyte.Neutrophils, "Neutrophils", "751-8", "10*3/uL", new(1.8m, 7.7m), 0m, 100m,
            new Dictionary<string, decimal> { ["10*9/L"] = 1m, ["/uL"] = 0.001m }) { AlternativeLoincCodes = ["26499-4"] },
        new(LabAnalyte.Platelets, "Platelets", "777-3", "10*3/uL", new(150m, 400m), 1m, 2000m,
            new Dictionary<string, decimal> { ["10*9/L"] = 1m }) { AlternativeLoincCodes = ["26515-7"] },
        new(LabAnalyte.Creatinine, "Creatinine", "2160-0", "mg/dL", new(0.6m, 1.3m), 0.1m, 20m,
            new Dictionary<string, decimal> { ["umol/L"] = 1m / 88.42m }) { AlternativeLoincCodes = ["38483-4", "14682-9", "77140-2"] },
        // U/L and [IU]/L are different UCUM atoms, but labs use both for enzyme activity in international units: read as equal.
        new(LabAnalyte.AlanineAminotransferase, "ALT", "1742-6", "U/L", new(7m, 56m), 1m, 5000m, EnzymeUnits) { AlternativeLoincCodes = ["1743-4", "1744-2", "76625-3"] },
        new(LabAnalyte.AspartateAminotransferase, "AST", "1920-8", "U/L", new(10m, 40m), 1m, 5000m, EnzymeUnits) { AlternativeLoincCodes = ["30239-8"] },
        new(LabAnalyte.TotalBilirubin, "Bilirubin (total)", "1975-2", "mg/dL", new(0.1m, 1.2m), 0.05m, 40m,
            new Dictionary<string, decimal> { ["umol/L"] = 1m / 17.104m }) { AlternativeLoincCodes = ["42719-5", "59828-4"] },
        new(LabAnalyte.Albumin, "Albumin", "1751-7", "g/dL", new(3.5m, 5.0m), 1m, 7m,
            new Dictionary<string, decimal> { ["g/L"] = 0.1m }),
        new(LabAnalyte.LactateDehydrogenase, "LDH", "2532-0", "U/L", new(140m, 280m), 20m, 10000m, EnzymeUnits),
        new(LabAnalyte.CarcinoembryonicAntigen, "CEA", "2039-6", "ng/mL", new(0m, 3.0m), 0m, 10000m,
            new Dictionary<string, decimal> { ["ug/L"] = 1m }),
        new(LabAnalyte.Ca125, "CA-125", "10334-1", "U/mL", new(0m, 35m), 0m, 50000m,
            new Dictionary<string, decimal> { ["[U]/mL"] = 1m, ["k[U]/L"] = 1m }),
        new(LabAnalyte.Ca199, "CA 19-9", "24108-3", "U/mL", new(0m, 37m), 0m, 100000m,
            new Dictionary<string, decimal> { ["[U]/mL"] = 1m, ["k[U]/L"] = 1m }),
    ];

    public static LabAnalyteDefinition Of(LabAnalyte analyte) => All.First(a => a.Analyte == analyte);

    public static LabAnalyteDefinition? ByLoinc(string? code) =>
        code is null ? null : All.FirstOrDefault(a => a.LoincCode == code || a.AlternativeLoincCodes.Contains(code, StringComparer.Ordinal));

    /// <summary>
    /// A unit as labs write it, in UCUM's canonical spelling: UCUM defines both "l" and "L" as the litre (so g/dl is g/dL and
    /// 10*3/ul is 10*3/uL), "10^9/L" is the common way of writing 10*9/L, and µ is u.
    /// </summary>
    public static string NormalizeUnit(string unit)
    {
        ArgumentNullException.ThrowIfNull(unit);
        var u = unit.Trim().Replace('µ', 'u').Replace("10^", "10*", StringComparison.Ordinal).Replace("x10*", "10*", StringComparison.OrdinalIgnoreCase);
        return u.EndsWith('l') && (u.Length == 1 || !char.IsAsciiLetter(u[^2]) || u[^2] is 'd' or 'u' or 'm' or 'n')
            ? u[..^1] + "L"
            : u;
    }
}
