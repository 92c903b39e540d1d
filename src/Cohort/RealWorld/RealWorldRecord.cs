namespace Precision.Cohort.RealWorld;

/// <summary>
/// How one patient's record is shaped the way hospitals send it (mCODE STU1–STU4, Genomics Reporting STU1–STU3), and the
/// extra real-world facts around the simulated course (surgery, radiotherapy, adjuvant therapy, metastases, supportive and
/// other medicines, death). Drawn from a random stream of its own, so the simulated course and its truth never change.
/// </summary>
public sealed record RealWorldRecord(
    Replacement? Replacement,
    DiagnosisCoding Diagnosis,
    StagingShape? Staging,
    IReadOnlyList<SecondaryCancer> SecondaryCancers,
    SurgeryRecord? Surgery,
    AdjuvantCourse? Adjuvant,
    IReadOnlyList<RadiotherapyCourse> Radiotherapy,
    bool ProcedureNotDone,
    GenomicsShape Genomics,
    MedicationShape Medications,
    Death? Death)
{
    /// <summary>Labels for truth/data-quality.csv (deliberate problems and shapes a reader must handle).</summary>
    public IEnumerable<string> Labels()
    {
        if (Replacement is { } replacement)
        {
            yield return replacement.Histology switch
            {
                UnsupportedHistology.SmallCellLungCancer => "unsupported-histology-small-cell-lung-cancer",
                UnsupportedHistology.PancreaticNeuroendocrineTumor => "unsupported-histology-pancreatic-neuroendocrine-tumor",
                _ => "unsupported-histology-uveal-melanoma",
            };
        }

        if (Staging is { Style: StageStyle.SummaryOnly })
        {
            yield return "stage-only-in-condition-summary";
        }

        if (Medications.RequestsAndAdministrations)
        {
            yield return "lines-as-requests-and-administrations";
        }

        if (Adjuvant is not null)
        {
            yield return "adjuvant-course";
        }

        if (Medications.NotTaken is not null)
        {
            yield return "medication-not-taken";
        }

        if (Medications.NotGiven is not null)
        {
            yield return "antineoplastic-request-not-given";
        }

        if (Medications.EnteredInError is not null)
        {
            yield return "medication-entered-in-error";
        }

        if (ProcedureNotDone)
        {
            yield return "procedure-not-done";
        }

        if (Genomics.NoSubject)
        {
            yield return "genomic-observations-without-subject";
        }
    }
}

/// <summary>An unsupported-histology patient in place of the simulated one: its regimens per simulated line.</summary>
public sealed record Replacement(UnsupportedHistology Histology, IReadOnlyList<IReadOnlyList<DrugCode>> LineRegimens);

/// <summary>How the primary cancer is coded (Condition.code, bodySite, the histology-morphology-behavior extension).</summary>
public sealed record DiagnosisCoding(Concept? Snomed, Concept? Icd10, string Text, Concept? Morphology, Concept? BodySite, string? BodySiteText);

public enum StageStyle
{
    /// <summary>mCODE STU3/STU4 TNMStageGroup: SNOMED staging type, AJCC 8th method, focus, value as text.</summary>
    TnmStu3,

    /// <summary>mCODE STU1/STU2 stage group: LOINC 21908-9 / 21902-2, value as text or the portal's coding.</summary>
    StageGroupStu1Stu2,

    /// <summary>Only Condition.stage.summary (text), no Observation.</summary>
    SummaryOnly,
}

/// <summary>How the stage is written; T/N/M texts when category Observations are written.</summary>
public sealed record StagingShape(
    StageStyle Style,
    bool Pathologic,
    DateOnly AssessedOn,
    bool ConditionStage,
    bool PortalCoding,
    bool Stu2Profile,
    bool Focus,
    TnmCategories? Categories);

public sealed record TnmCategories(string T, string N, string M);

public enum RelatedPrimaryStyle
{
    /// <summary>Core extension condition-related (mCODE STU2+).</summary>
    ConditionRelated,

    /// <summary>mCODE STU1 mcode-related-primary-cancer-condition.</summary>
    Stu1,

    /// <summary>No link to the primary.</summary>
    None,
}

public sealed record SecondaryCancer(int Sequence, MetastaticSite Site, DateOnly Onset, bool IcdOnly, RelatedPrimaryStyle Related, bool RightSide);

public sealed record SurgeryRecord(DateOnly PerformedOn, Concept? Code, string Text);

/// <summary>Curative-intent systemic therapy after surgery, ending at least six months before the first (palliative) line.</summary>
public sealed record AdjuvantCourse(DateOnly Start, DateOnly End, IReadOnlyList<DrugCode> Drugs, IReadOnlyList<DateOnly> Cycles);

/// <summary>A radiotherapy course summary; <see cref="SecondarySequence"/> names the metastasis it treats (else the primary).</summary>
public sealed record RadiotherapyCourse(int Sequence, DateOnly Start, DateOnly End, bool Curative, int Sessions, Concept? BodySite, string BodySiteText, int? SecondarySequence);

/// <summary>How the genomics report is written.</summary>
public sealed record GenomicsShape(
    bool Stu3Report,
    bool NoSubject,
    bool LegacySignificance,
    DateOnly SpecimenCollectedOn,
    IReadOnlyList<SmallVariantInfo> PertinentNegatives,
    SmallVariantInfo? UncertainSignificance,
    SmallVariantInfo? Benign,
    IReadOnlyDictionary<string, bool> LikelyPathogenic);

/// <summary>A medication outside the lines (supportive care, other diseases), with its period.</summary>
public sealed record OtherMedication(string Key, DrugCode Drug, DateOnly Start, DateOnly? End, string? Reason);

/// <summary>An antineoplastic ordered or proposed but never given.</summary>
public sealed record NotGivenRequest(DrugCode Drug, DateOnly AuthoredOn, bool Draft, bool Proposal);

/// <summary>A medication recorded in error (status entered-in-error), a copy of a line drug with a wrong date.</summary>
public sealed record ErroneousMedication(DrugCode Drug, DateOnly Start);

public sealed record MedicationShape(
    bool RequestsAndAdministrations,
    bool IntentOnLines,
    IReadOnlyList<IReadOnlyList<DateOnly>> LineCycles,
    IReadOnlyList<OtherMedication> Supportive,
    IReadOnlyList<OtherMedication> Comorbidity,
    OtherMedication? NotTaken,
    NotGivenRequest? NotGiven,
    ErroneousMedication? EnteredInError);

public sealed record Death(DateOnly Date, bool AsBoolean);
