namespace Precision.Clinical;

/// <summary>The FHIR resource a fact was read from: type, logical id and version (when the server gave one).</summary>
public sealed record SourceReference(string ResourceType, string Id, string? VersionId = null)
{
    public string Reference => ResourceType + "/" + Id;

    public override string ToString() => VersionId is null ? Reference : $"{Reference}/_history/{VersionId}";
}

/// <summary>A coded concept as it appeared in the record: system, code and display.</summary>
public sealed record CodedConcept(string System, string Code, string? Display = null);

public enum AdministrativeSex
{
    Unknown,
    Female,
    Male,
    Other,
}

/// <summary>US Core demographics. Name, birth date and MRN are identifiers: shown to authorized users, never logged.</summary>
public sealed record PatientDemographics(
    string DisplayName,
    string? MedicalRecordNumber,
    DateOnly? BirthDate,
    AdministrativeSex Sex,
    string? Race,
    string? Ethnicity,
    SourceReference Source)
{
    public int? AgeOn(DateOnly date) => BirthDate is { } born
        ? date.Year - born.Year - (date < born.AddYears(date.Year - born.Year) ? 1 : 0)
        : null;
}

/// <summary>
/// mCODE PrimaryCancerCondition. <see cref="CancerType"/> is <see cref="CancerType.Other"/> when the codes name a cancer the
/// model does not cover, or one the portal cannot place with confidence; <see cref="ClassificationNote"/> then says why.
/// </summary>
public sealed record PrimaryCancerCondition(
    CancerType CancerType,
    CodedConcept Code,
    string? Icd10Code,
    DateOnly? DiagnosedOn,
    string? BodySite,
    SourceReference Source)
{
    /// <summary>Condition.clinicalStatus (active, recurrence, relapse, remission, resolved, inactive), when recorded.</summary>
    public string? ClinicalStatus { get; init; }

    /// <summary>The mCODE histology-morphology-behavior extension (ICD-O-3 or SNOMED morphology), when recorded.</summary>
    public CodedConcept? Histology { get; init; }

    /// <summary>Why the cancer type is what it is when it is not plain (not supported, codes disagree, histology missing).</summary>
    public string? ClassificationNote { get; init; }

    /// <summary>The classification note as a sentence for the clinician ("This diagnosis is a small cell carcinoma of the lung, …").</summary>
    public string? ClassificationSentence => ClassificationNote is { Length: > 0 } note ? "This diagnosis " + note.TrimEnd('.') + "." : null;

    /// <summary>Active, recurrence, relapse or not stated: a cancer under care, not one in remission or resolved.</summary>
    public bool IsActive => ClinicalStatus is null or "active" or "recurrence" or "relapse";

    /// <summary>What the clinician reads: the cancer type, or for other cancers the record's own words.</summary>
    public string DisplayName => CancerType == CancerType.Other
        ? Code.Display ?? "Other cancer"
        : CancerTypes.DisplayName(CancerType);
}

/// <summary>Stage group (mCODE TNMStageGroup), clinical or pathological.</summary>
public sealed record StageGroup(string Stage, bool IsPathological, DateOnly? AssessedOn, SourceReference Source)
{
    /// <summary>0–4 from the roman stage (I, IIB, IVA …); null when it cannot be read.</summary>
    public int? StageNumber => StageParsing.Number(Stage);
}

/// <summary>ECOG performance status 0–5 (LOINC 89247-1).</summary>
public sealed record EcogPerformanceStatus(int Score, DateOnly? AssessedOn, SourceReference Source);

public enum SmokingStatusCategory
{
    Unknown,
    Never,
    Former,
    Current,
}

public sealed record SmokingStatus(SmokingStatusCategory Category, DateOnly? AssessedOn, SourceReference Source);

/// <summary>A laboratory result in the canonical unit of its analyte (converted when the record used another UCUM unit).</summary>
public sealed record LabResult(
    LabAnalyte Analyte,
    decimal Value,
    string Unit,
    DateOnly? EffectiveOn,
    ReferenceRange? ReferenceRange,
    SourceReference Source)
{
    public LabInterpretation Interpretation => ReferenceRange is null ? LabInterpretation.Unknown
        : Value < ReferenceRange.Low ? LabInterpretation.Low
        : Value > ReferenceRange.High ? LabInterpretation.High
        : LabInterpretation.Normal;
}

public sealed record ReferenceRange(decimal Low, decimal High);

public enum LabInterpretation
{
    Unknown,
    Low,
    Normal,
    High,
}

/// <summary>The origin of a variant (LOINC 48002-0).</summary>
public enum GenomicSourceClass
{
    Unknown,
    Somatic,
    Germline,
}

/// <summary>A small variant per the HL7 Genomics Reporting IG (LOINC 69548-6).</summary>
public sealed record GenomicVariant(
    string Gene,
    string? HgncId,
    string? CodingChange,
    string? ProteinChange,
    decimal? AlleleFrequency,
    GenomicSourceClass Origin,
    SourceReference Source)
{
    /// <summary>Clinical significance (LOINC 53037-8) as reported, on the variant or on a diagnostic implication derived from it.</summary>
    public ClinicalSignificance Significance { get; init; } = ClinicalSignificance.NotReported;

    /// <summary>When the result became known: the report's issued date, else the observation's effective date.</summary>
    public DateOnly? ReportedOn { get; init; }

    /// <summary>Clinical label: gene and protein change ("EGFR p.L858R"), or the coding change.</summary>
    public string Label => Gene + " " + (ProteinChange ?? CodingChange ?? "variant");

    /// <summary>A variant of uncertain significance: shown, never counted as a biomarker.</summary>
    public bool IsUncertainSignificance => Significance == ClinicalSignificance.UncertainSignificance;
}

/// <summary>A gene fusion (structural variant), e.g. EML4::ALK. <see cref="FivePrimeGene"/> is empty when the report names one gene.</summary>
public sealed record GeneFusion(string FivePrimeGene, string ThreePrimeGene, SourceReference Source)
{
    /// <summary>When the result became known: the report's issued date, else the observation's effective date.</summary>
    public DateOnly? ReportedOn { get; init; }

    public string Label => FivePrimeGene.Length == 0 ? ThreePrimeGene + " fusion (partner not reported)" : FivePrimeGene + "::" + ThreePrimeGene;
}

public enum CopyNumberChange
{
    /// <summary>Amplification: the lab said so (feature_amplification), or a gain to at least <see cref="CopyNumberAlteration.AmplificationThreshold"/> copies.</summary>
    Amplification,
    Loss,

    /// <summary>A gain below the amplification threshold, or a gain without a copy number: shown, not counted as amplification.</summary>
    Gain,
}

public sealed record CopyNumberAlteration(string Gene, CopyNumberChange Change, decimal? CopyNumber, SourceReference Source)
{
    /// <summary>When the result became known: the report's issued date, else the observation's effective date.</summary>
    public DateOnly? ReportedOn { get; init; }

    /// <summary>Copies at which a gain counts as an amplification (ASCO/CAP HER2 ISH: an average of ≥ 6 signals per cell is amplified).</summary>
    public const decimal AmplificationThreshold = 6m;

    public string Label => Gene + Change switch
    {
        CopyNumberChange.Amplification => " amplification",
        CopyNumberChange.Gain => " copy number gain",
        _ => " loss",
    };
}

/// <summary>Tumor mutational burden in mutations per megabase (LOINC 94076-7).</summary>
public sealed record TumorMutationalBurden(decimal MutationsPerMegabase, SourceReference Source)
{
    public DateOnly? ReportedOn { get; init; }
}

public enum MicrosatelliteStatus
{
    Stable,
    InstabilityLow,
    InstabilityHigh,
}

public sealed record MicrosatelliteInstability(MicrosatelliteStatus Status, SourceReference Source)
{
    public DateOnly? ReportedOn { get; init; }
}

/// <summary>PD-L1 tumor proportion score, percent of tumor cells.</summary>
public sealed record PdL1Expression(decimal TumorProportionScorePercent, SourceReference Source)
{
    public DateOnly? ReportedOn { get; init; }
}

/// <summary>Estrogen receptor status (immunohistochemistry), for breast cancer.</summary>
public sealed record EstrogenReceptorStatus(bool Positive, SourceReference Source)
{
    public DateOnly? ReportedOn { get; init; }
}

/// <summary>An expression signature score, e.g. the T-cell-inflamed gene expression profile (GEP).</summary>
public sealed record ExpressionSignature(string Name, decimal Score, SourceReference Source)
{
    public DateOnly? ReportedOn { get; init; }
}

/// <summary>A germline pharmacogene result (DPYD, UGT1A1): genotype and metabolizer phenotype.</summary>
public sealed record PharmacogenomicResult(string Gene, string? Genotype, string? Phenotype, SourceReference Source)
{
    public DateOnly? ReportedOn { get; init; }
}

/// <summary>RECIST 1.1 best overall response.</summary>
public enum RecistResponse
{
    CompleteResponse,
    PartialResponse,
    StableDisease,
    ProgressiveDisease,
}

/// <summary>A medication given as part of a line of therapy (RxNorm).</summary>
public sealed record TherapyMedication(string Name, CodedConcept Code, SourceReference Source);

/// <summary>One line of systemic therapy with its medications and best overall response.</summary>
public sealed record TherapyLine(
    int LineNumber,
    string? CatalogTherapyId,
    IReadOnlyList<TherapyMedication> Medications,
    DateOnly? StartedOn,
    DateOnly? EndedOn,
    RecistResponse? BestResponse,
    DateOnly? ResponseAssessedOn,
    SourceReference? ResponseSource)
{
    /// <summary>mCODE treatment intent of the medications (procedure-intent / treatment-intent extension), when recorded.</summary>
    public TreatmentIntent Intent { get; init; } = TreatmentIntent.NotRecorded;

    public string Label => string.Join(" + ", Medications.Select(m => m.Name));

    /// <summary>Objective response = complete or partial response.</summary>
    public bool? ObjectiveResponse => BestResponse is null ? null
        : BestResponse is RecistResponse.CompleteResponse or RecistResponse.PartialResponse;
}

public enum DataQualitySeverity
{
    Information,
    Warning,
    Error,
}

/// <summary>Something in the record the mapper could not use, and why: shown to the clinician, never a crash.</summary>
public sealed record DataQualityIssue(DataQualitySeverity Severity, string Message, SourceReference? Source);

/// <summary>
/// One patient's record as the portal and the model use it: typed facts, each with the FHIR resource it came from.
/// Built only by the FHIR mapper; everything downstream (featurizer, explanations, pages) reads this.
/// </summary>
public sealed record PatientProfile(
    string PatientId,
    PatientDemographics Demographics,
    IReadOnlyList<PrimaryCancerCondition> PrimaryCancers,
    StageGroup? Stage,
    EcogPerformanceStatus? Ecog,
    SmokingStatus? Smoking,
    IReadOnlyList<LabResult> Labs,
    IReadOnlyList<TherapyLine> TherapyLines,
    IReadOnlyList<GenomicVariant> Variants,
    IReadOnlyList<GeneFusion> Fusions,
    IReadOnlyList<CopyNumberAlteration> CopyNumberAlterations,
    TumorMutationalBurden? TumorMutationalBurden,
    MicrosatelliteInstability? Microsatellite,
    PdL1Expression? PdL1,
    ExpressionSignature? TCellInflamedSignature,
    EstrogenReceptorStatus? EstrogenReceptor,
    IReadOnlyList<PharmacogenomicResult> Pharmacogenomics,
    IReadOnlyList<DataQualityIssue> DataQuality)
{
    /// <summary>
    /// The primary cancer the portal predicts for, decided here and only here (list, header, predictions): the most recently
    /// diagnosed active one (active, recurrence, relapse or status not recorded); a cancer in remission or resolved only when
    /// no active one is recorded.
    /// </summary>
    public PrimaryCancerCondition? PrimaryCancer => PrimaryCancers
        .OrderByDescending(c => c.IsActive)
        .ThenByDescending(c => c.DiagnosedOn ?? DateOnly.MinValue)
        .FirstOrDefault();

    /// <summary>mCODE SecondaryCancerCondition: metastatic sites, each with the primary it belongs to when the record says.</summary>
    public IReadOnlyList<SecondaryCancerCondition> SecondaryCancers { get; init; } = [];

    /// <summary>Patient.deceased[x]; null when the record does not say the patient died.</summary>
    public VitalStatus? VitalStatus { get; init; }

    /// <summary>Cancer-related surgery and radiotherapy courses (mCODE), for the timeline; the model does not use them.</summary>
    public IReadOnlyList<CancerProcedure> Procedures { get; init; } = [];

    /// <summary>Antineoplastic courses given with curative intent (adjuvant, neoadjuvant, definitive): not lines for advanced disease.</summary>
    public IReadOnlyList<TherapyLine> CurativeIntentTherapies { get; init; } = [];

    /// <summary>Variant results reported as Absent (LA9634-2): the assayed change was looked for and not found.</summary>
    public IReadOnlyList<NegativeGenomicFinding> NegativeFindings { get; init; } = [];

    /// <summary>Values refused as impossible for a fact the model reads (also data-quality errors); each is named beside every prediction.</summary>
    public IReadOnlyList<ImplausibleValue> ImplausibleValues { get; init; } = [];

    /// <summary>Every performance status in the record, oldest first (<see cref="Ecog"/> is the latest): the as-of rule picks from it.</summary>
    public IReadOnlyList<EcogPerformanceStatus> EcogHistory { get; init; } = [];

    /// <summary>Every stage of the primary cancer in the record, oldest first (<see cref="Stage"/> is the latest).</summary>
    public IReadOnlyList<StageGroup> StageHistory { get; init; } = [];

    /// <summary>Every resource the mapper was given: used (and as what) or not used (and why).</summary>
    public IReadOnlyList<ResourceAccount> ResourceAccounts { get; init; } = [];

    /// <summary>Latest result per analyte.</summary>
    public IReadOnlyList<LabResult> LatestLabs => [.. Labs.GroupBy(l => l.Analyte).Select(g => g.OrderByDescending(l => l.EffectiveOn ?? DateOnly.MinValue).First())];
}

internal static class StageParsing
{
    public static int? Number(string stage)
    {
        var s = stage.Trim().ToUpperInvariant().Replace("STAGE", string.Empty, StringComparison.Ordinal).Trim();
        if (s.StartsWith("IV", StringComparison.Ordinal))
        {
            return 4;
        }

        if (s.StartsWith("III", StringComparison.Ordinal))
        {
            return 3;
        }

        if (s.StartsWith("II", StringComparison.Ordinal))
        {
            return 2;
        }

        if (s.StartsWith('I'))
        {
            return 1;
        }

        return s.StartsWith('0') ? 0 : null;
    }
}
