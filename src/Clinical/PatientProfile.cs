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

/// <summary>mCODE PrimaryCancerCondition.</summary>
public sealed record PrimaryCancerCondition(
    CancerType CancerType,
    CodedConcept Code,
    string? Icd10Code,
    DateOnly? DiagnosedOn,
    string? BodySite,
    SourceReference Source);

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
    /// <summary>Clinical label: gene and protein change ("EGFR p.L858R"), or the coding change.</summary>
    public string Label => Gene + " " + (ProteinChange ?? CodingChange ?? "variant");
}

/// <summary>A gene fusion (structural variant), e.g. EML4::ALK.</summary>
public sealed record GeneFusion(string FivePrimeGene, string ThreePrimeGene, SourceReference Source)
{
    public string Label => FivePrimeGene + "::" + ThreePrimeGene;
}

public enum CopyNumberChange
{
    Amplification,
    Loss,
}

public sealed record CopyNumberAlteration(string Gene, CopyNumberChange Change, decimal? CopyNumber, SourceReference Source)
{
    public string Label => Gene + (Change == CopyNumberChange.Amplification ? " amplification" : " loss");
}

/// <summary>Tumor mutational burden in mutations per megabase (LOINC 94076-7).</summary>
public sealed record TumorMutationalBurden(decimal MutationsPerMegabase, SourceReference Source);

public enum MicrosatelliteStatus
{
    Stable,
    InstabilityLow,
    InstabilityHigh,
}

public sealed record MicrosatelliteInstability(MicrosatelliteStatus Status, SourceReference Source);

/// <summary>PD-L1 tumor proportion score, percent of tumor cells.</summary>
public sealed record PdL1Expression(decimal TumorProportionScorePercent, SourceReference Source);

/// <summary>Estrogen receptor status (immunohistochemistry), for breast cancer.</summary>
public sealed record EstrogenReceptorStatus(bool Positive, SourceReference Source);

/// <summary>An expression signature score, e.g. the T-cell-inflamed gene expression profile (GEP).</summary>
public sealed record ExpressionSignature(string Name, decimal Score, SourceReference Source);

/// <summary>A germline pharmacogene result (DPYD, UGT1A1): genotype and metabolizer phenotype.</summary>
public sealed record PharmacogenomicResult(string Gene, string? Genotype, string? Phenotype, SourceReference Source);

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
    /// <summary>The primary cancer the portal predicts for: the most recently diagnosed one.</summary>
    public PrimaryCancerCondition? PrimaryCancer => PrimaryCancers.OrderByDescending(c => c.DiagnosedOn ?? DateOnly.MinValue).FirstOrDefault();

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
