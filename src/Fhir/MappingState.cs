using Hl7.Fhir.Model;
using Precision.Clinical;
using static Precision.Fhir.FhirElementReading;

namespace Precision.Fhir;

/// <summary>One medication resource as the mapper reads it: an antineoplastic agent (or a regimen companion) that was given.</summary>
internal sealed record MedicationFact(
    TherapyMedication Medication,
    string Ingredient,
    string? IngredientRxNorm,
    bool RegimenCompanion,
    DateOnly? StartedOn,
    DateOnly? EndedOn,
    string? GroupKey,
    TreatmentIntent Intent,
    IReadOnlyList<Resource> Resources);

internal sealed record ResponseFact(RecistResponse Response, DateOnly? AssessedOn, HashSet<string> LinkedTo, SourceReference Source, Observation Resource);

/// <summary>A stage group as read, with the condition it stages (Observation.focus or Condition.stage) when the record says.</summary>
internal sealed record StageFact(StageGroup Stage, string? ConditionReference, Resource Resource);

/// <summary>Facts collected while one patient's resources are read, and what became of every resource.</summary>
internal sealed class MappingState(string patientId, ResourceIndex index)
{
    /// <summary>Longest text kept from a record (names, displays, HGVS); longer text is cut and the cut reported.</summary>
    public const int MaxTextLength = 500;

    private readonly Dictionary<string, ResourceAccount> _accounts = new(StringComparer.Ordinal);

    public string PatientId { get; } = patientId;

    public ResourceIndex Index { get; } = index;

    public List<(PrimaryCancerCondition Cancer, Condition Resource)> Cancers { get; } = [];

    public List<SecondaryCancerCondition> Secondaries { get; } = [];

    public List<StageFact> Stages { get; } = [];

    public List<EcogPerformanceStatus> Ecogs { get; } = [];

    public List<SmokingStatus> Smoking { get; } = [];

    public List<LabResult> Labs { get; } = [];

    public List<MedicationFact> Medications { get; } = [];

    public List<ResponseFact> Responses { get; } = [];

    public List<CancerProcedure> Procedures { get; } = [];

    public List<GenomicVariant> Variants { get; } = [];

    public List<NegativeGenomicFinding> NegativeFindings { get; } = [];

    public List<GeneFusion> Fusions { get; } = [];

    public List<CopyNumberAlteration> CopyNumbers { get; } = [];

    public TumorMutationalBurden? Tmb { get; set; }

    public MicrosatelliteInstability? Msi { get; set; }

    public PdL1Expression? PdL1 { get; set; }

    public ExpressionSignature? Signature { get; set; }

    public EstrogenReceptorStatus? EstrogenReceptor { get; set; }

    public Dictionary<string, PharmacogenomicResult> Pharmacogenomics { get; } = new(StringComparer.OrdinalIgnoreCase);

    public List<DataQualityIssue> Issues { get; } = [];

    public List<ImplausibleValue> Implausible { get; } = [];

    /// <summary>A value no patient can have for a fact the model reads: not used, a data-quality error, and named beside every prediction.</summary>
    public void Refuse(Resource resource, string fact, string value, string plausibleRange)
    {
        var refused = new ImplausibleValue(fact, value, plausibleRange, SourceOf(resource));
        Implausible.Add(refused);
        NotUsed(resource, $"gives {fact} {value}, outside {plausibleRange}; refused as implausible (not read as \"not tested\"). Check the source system.", DataQualitySeverity.Error);
    }

    /// <summary>Clinical significance that a diagnostic implication gives a variant (key: the variant's Type/id).</summary>
    public Dictionary<string, (ClinicalSignificance Significance, SourceReference Implication)> ImplicationSignificance { get; } = new(StringComparer.Ordinal);

    /// <summary>Variants a molecular consequence calls a gene fusion (key: Type/id).</summary>
    public HashSet<string> FusionConsequences { get; } = new(StringComparer.Ordinal);

    public IReadOnlyCollection<ResourceAccount> Accounts => _accounts.Values;

    /// <summary>A data-quality finding about a resource, without deciding whether it is used.</summary>
    public void Issue(DataQualitySeverity severity, string problem, Resource resource)
    {
        var source = SourceOf(resource);
        Issues.Add(new DataQualityIssue(severity, $"{source.Reference} {problem}", source));
    }

    /// <summary>The resource became <paramref name="fact"/> (several calls add to the detail).</summary>
    public void Used(Resource resource, string fact)
    {
        var source = SourceOf(resource);
        _accounts[source.Reference] = _accounts.TryGetValue(source.Reference, out var existing) && existing.Use == ResourceUse.Used
            ? existing with { Detail = existing.Detail + "; " + fact }
            : new ResourceAccount(source, ResourceUse.Used, fact);
    }

    /// <summary>The resource is not used, and why; the reason is also a data-quality entry at <paramref name="severity"/>.</summary>
    public void NotUsed(Resource resource, string reason, DataQualitySeverity severity = DataQualitySeverity.Information)
    {
        Issue(severity, reason, resource);
        var source = SourceOf(resource);
        if (!_accounts.TryGetValue(source.Reference, out var existing) || existing.Use == ResourceUse.NotUsed)
        {
            _accounts[source.Reference] = new ResourceAccount(source, ResourceUse.NotUsed, reason);
        }
    }

    public bool IsAccounted(Resource resource) => _accounts.ContainsKey(SourceOf(resource).Reference);

    /// <summary>
    /// Text from the record, cut to <see cref="MaxTextLength"/> characters: real servers send megabytes in a name or an HGVS
    /// string, which would make every page that shows it unusable. The cut is reported once per resource and field.
    /// </summary>
    public string? Bounded(string? text, string what, Resource resource, int maxLength = MaxTextLength)
    {
        if (text is null || text.Length <= maxLength)
        {
            return text;
        }

        Issue(DataQualitySeverity.Warning, $"has a {what} of {text.Length:N0} characters; the first {maxLength} are kept (the full text is in the source record).", resource);
        return text[..maxLength] + "…";
    }

    /// <summary>A coded concept with its display bounded (codes themselves are short or not codes at all).</summary>
    public CodedConcept Concept(Coding coding, string? fallbackDisplay, Resource resource) =>
        new(Bounded(coding.System, "code system", resource, 200) ?? "unknown",
            Bounded(coding.Code, "code", resource, 100) ?? "unknown",
            Bounded(coding.Display ?? fallbackDisplay, "display", resource));
}
