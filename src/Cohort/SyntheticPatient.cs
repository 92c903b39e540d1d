using Precision.Clinical;
using Precision.Clinical.Catalog;
using Precision.Cohort.RealWorld;

namespace Precision.Cohort;

/// <summary>Everything simulated for one patient: the facts behind the FHIR resources and the truth behind the outcomes.</summary>
public sealed class SyntheticPatient
{
    public required int Index { get; init; }
    public required string Id { get; init; }
    public required string Mrn { get; init; }
    public required string GivenName { get; init; }
    public required string FamilyName { get; init; }
    public required AdministrativeSex Sex { get; init; }
    public required DateOnly BirthDate { get; init; }
    public required OmbCategory Race { get; init; }
    public required OmbCategory Ethnicity { get; init; }
    public required CancerType CancerType { get; init; }
    public required DateOnly DiagnosedOn { get; init; }
    public required string Stage { get; init; }
    public required SmokingStatusCategory Smoking { get; init; }
    public required Genomics Genomics { get; init; }
    public required List<TherapyLineRecord> Lines { get; init; }
    public required List<LabDraw> Labs { get; init; }
    public required List<EcogAssessment> EcogAssessments { get; init; }
    public required Messiness Messiness { get; init; }
    public required List<TruthRow> Truth { get; init; }
    public SecondPrimary? SecondPrimary { get; init; }

    /// <summary>
    /// The record's real-world shape (<see cref="CohortOptions.RealWorldShapes"/>); null: the shapes the generator always wrote.
    /// A patient with a <see cref="RealWorldRecord.Replacement"/> is an unsupported histology: its <see cref="Lines"/> give the
    /// dates and responses of the replacement regimens, and it has no truth rows.
    /// </summary>
    public RealWorldRecord? RealWorld { get; init; }

    /// <summary>Whether this patient was replaced by an unsupported-histology patient (no truth rows, not a model case).</summary>
    public bool Replaced => RealWorld?.Replacement is not null;

    /// <summary>A copy with its real-world shape (and, for a replaced patient, its changed genomics and no truth).</summary>
    public SyntheticPatient WithRealWorld(RealWorldRecord realWorld, Genomics genomics, List<TruthRow> truth) => new()
    {
        Index = Index,
        Id = Id,
        Mrn = Mrn,
        GivenName = GivenName,
        FamilyName = FamilyName,
        Sex = Sex,
        BirthDate = BirthDate,
        Race = Race,
        Ethnicity = Ethnicity,
        CancerType = CancerType,
        DiagnosedOn = DiagnosedOn,
        Stage = Stage,
        Smoking = Smoking,
        Genomics = genomics,
        Lines = Lines,
        Labs = Labs,
        EcogAssessments = EcogAssessments,
        Messiness = Messiness,
        Truth = truth,
        SecondPrimary = SecondPrimary,
        RealWorld = realWorld,
    };

    public int AgeOn(DateOnly date) => date.Year - BirthDate.Year - (date < BirthDate.AddYears(date.Year - BirthDate.Year) ? 1 : 0);
}

/// <summary>An OMB race or ethnicity category (CDC Race and Ethnicity code system), or unknown.</summary>
public sealed record OmbCategory(string System, string Code, string Display);

public sealed record SecondPrimary(CancerType CancerType, DateOnly DiagnosedOn);

/// <summary>Germline pharmacogene result.</summary>
public sealed record PgxResult(GeneInfo Gene, string Genotype, MetabolizerPhenotype Phenotype);

public sealed record SmallVariantCall(SmallVariantInfo Variant, decimal AlleleFraction, GenomicSourceClass Origin);

public sealed record FusionCall(GeneInfo FivePrime, GeneInfo ThreePrime);

public sealed record CopyNumberCall(GeneInfo Gene, decimal CopyNumber);

/// <summary>The tumour's biomarkers as tested (reported in the genomics DiagnosticReport).</summary>
public sealed class Genomics
{
    public required DateOnly ReportedOn { get; init; }
    public required HashSet<BiomarkerKind> Biomarkers { get; init; }
    public required List<SmallVariantCall> Variants { get; init; }
    public required List<FusionCall> Fusions { get; init; }
    public required List<CopyNumberCall> CopyNumbers { get; init; }
    public required decimal TmbPerMb { get; init; }
    public required MicrosatelliteStatus Msi { get; init; }
    public decimal? PdL1Tps { get; init; }
    public bool? HormoneReceptorPositive { get; init; }
    public required decimal TcellInflamedScore { get; init; }
    public required PgxResult Dpyd { get; init; }
    public required PgxResult Ugt1a1 { get; init; }

    /// <summary>T-cell-inflamed GEP "high" cut-off used by the response model (modelling assumption, docs/cohort.md).</summary>
    public const decimal TcellInflamedHighCutoff = -0.318m;

    public bool TcellInflamedHigh => TcellInflamedScore >= TcellInflamedHighCutoff;
}

/// <summary>One line of therapy as given, and its observed best overall response (null when not yet assessed).</summary>
public sealed record TherapyLineRecord(
    int LineNumber,
    string TherapyId,
    DateOnly Start,
    DateOnly? End,
    RecistResponse? BestResponse,
    DateOnly? AssessedOn,
    bool OffGuideline,
    ResponseEstimate Estimate)
{
    /// <summary>The line repeats a regimen the patient received in an earlier line.</summary>
    public bool Rechallenge { get; init; }
}

/// <summary>A blood draw: all analytes measured at one time.</summary>
public sealed record LabDraw(int Sequence, DateOnly Date, IReadOnlyList<LabValue> Values, bool SiUnits);

public sealed record LabValue(LabAnalyte Analyte, decimal Value);

public sealed record EcogAssessment(int Sequence, DateOnly Date, int Score);

/// <summary>Real-world messiness deliberately injected into this patient's record (documented in docs/cohort.md).</summary>
public sealed record Messiness(
    bool EnteredInError,
    bool DuplicateLab,
    bool SiUnitDraw,
    bool UnknownLoinc,
    bool MissingStage,
    bool UngroupedLines)
{
    public IEnumerable<string> Labels()
    {
        if (EnteredInError)
        {
            yield return "entered-in-error-observation";
        }

        if (DuplicateLab)
        {
            yield return "duplicate-lab";
        }

        if (SiUnitDraw)
        {
            yield return "non-canonical-unit";
        }

        if (UnknownLoinc)
        {
            yield return "unknown-loinc";
        }

        if (MissingStage)
        {
            yield return "missing-stage";
        }

        if (UngroupedLines)
        {
            yield return "ungrouped-medications";
        }
    }
}

/// <summary>The true response probability of one catalog therapy for one patient; never written to FHIR.</summary>
public sealed record TruthRow(
    string PatientId,
    string TherapyId,
    string? ContextId,
    double Probability,
    int? Line,
    RecistResponse? ObservedResponse)
{
    /// <summary>The probability with the facts at the start of the patient's first line (what a first-line prediction is compared with).</summary>
    public double FirstLineProbability { get; init; }

    /// <summary>The probability at the next decision after the patient's last line (line + 1, re-challenge modifiers applied): the point of care.</summary>
    public double NextLineProbability { get; init; }
}
