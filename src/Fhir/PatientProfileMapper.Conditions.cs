using Hl7.Fhir.Model;
using Precision.Clinical;
using Precision.Clinical.Terminology;
using static Precision.Fhir.FhirElementReading;

namespace Precision.Fhir;

/// <summary>Conditions: primary cancers, metastatic sites (mCODE SecondaryCancerCondition), in situ and history codes, other conditions.</summary>
public sealed partial class PatientProfileMapper
{
    private static void ReadCondition(Condition condition, MappingState state)
    {
        var verification = CodeIn(condition.VerificationStatus, CodeSystems.ConditionVerification);
        if (verification is "entered-in-error" or "refuted")
        {
            state.NotUsed(condition, $"is marked {verification}; ignored.");
            return;
        }

        var text = state.Bounded(Text(condition.Code), "diagnosis text", condition);
        var codes = new CancerCodes(
            [.. (condition.Code?.Coding ?? []).Where(c => c.Code is not null).Select(c => state.Concept(c, text, condition))],
            [.. (condition.BodySite ?? []).SelectMany(b => b.Coding ?? []).Where(c => c.Code is not null).Select(c => state.Concept(c, null, condition))],
            [.. Histology(condition).SelectMany(h => h.Coding ?? []).Where(c => c.Code is not null).Select(c => state.Concept(c, null, condition))],
            text,
            DeclaredSecondary: HasProfile(condition, FhirProfiles.McodeSecondaryCancerCondition) || RelatedPrimary(condition) is not null,
            DeclaredPrimary: HasProfile(condition, FhirProfiles.McodePrimaryCancerCondition));
        var classification = ClinicalTerminology.CancerTypes.Classify(codes);
        var first = codes.Codes.Count > 0 ? codes.Codes[0] : null;
        var label = text ?? first?.Display ?? first?.Code ?? "uncoded";

        if (classification.Role != CancerConditionRole.NotCancer && verification is "unconfirmed" or "provisional" or "differential")
        {
            state.NotUsed(condition, $"is a {verification} diagnosis ({label}), not a confirmed one; not used as a diagnosis.", DataQualitySeverity.Warning);
            return;
        }

        switch (classification.Role)
        {
            case CancerConditionRole.NotCancer:
                state.NotUsed(condition, classification.Note is null
                    ? $"is a condition other than cancer ({label}); not used."
                    : $"({label}) {classification.Note}; not used as a cancer diagnosis.");
                return;
            case CancerConditionRole.InSitu or CancerConditionRole.History:
                state.NotUsed(condition, $"({label}) {classification.Note}; not used as the diagnosis.");
                return;
            case CancerConditionRole.Secondary:
                ReadSecondary(condition, classification, label, state);
                return;
        }

        var onset = Onset(condition);
        var snomed = condition.Code?.Coding?.FirstOrDefault(c => c.System == CodeSystems.Snomed && c.Code is not null);
        var code = snomed is not null ? state.Concept(snomed, text, condition)
            : first ?? new CodedConcept("unknown", "unknown", text);
        var cancer = new PrimaryCancerCondition(
            classification.CancerType,
            code with { Display = code.Display ?? text },
            state.Bounded(CodeIn(condition.Code, CodeSystems.Icd10Cm), "ICD-10-CM code", condition, 20),
            onset,
            state.Bounded(Text(condition.BodySite?.FirstOrDefault()), "body site", condition),
            SourceOf(condition))
        {
            ClinicalStatus = CodeIn(condition.ClinicalStatus, CodeSystems.ConditionClinical),
            Histology = codes.Morphology.Count > 0 ? codes.Morphology[0] : null,
            ClassificationNote = classification.Note,
        };
        state.Cancers.Add((cancer, condition));
        if (classification.IsSupported)
        {
            state.Used(condition, $"primary cancer: {CancerTypes.DisplayName(cancer.CancerType)}{(classification.Note is null ? string.Empty : " (" + classification.Note + ")")}");
        }
        else
        {
            state.Used(condition, $"primary cancer not covered by the model: {label}");
            state.Issue(DataQualitySeverity.Warning, $"({label}) {classification.Note}. Predictions are flagged as outside the training data.", condition);
        }
    }

    private static void ReadSecondary(Condition condition, CancerClassification classification, string label, MappingState state)
    {
        var related = RelatedPrimary(condition);
        var snomed = condition.Code?.Coding?.FirstOrDefault(c => c.System == CodeSystems.Snomed && c.Code is not null) ?? condition.Code?.Coding?.FirstOrDefault(c => c.Code is not null);
        var site = classification.Site ?? state.Bounded(Text(condition.BodySite?.FirstOrDefault()), "body site", condition) ?? label;
        var secondary = new SecondaryCancerCondition(
            snomed is null ? new CodedConcept("unknown", "unknown", label) : state.Concept(snomed, label, condition),
            site,
            Onset(condition),
            related is null ? null : new SourceReference(related.Split('/')[0], related.Split('/')[1]),
            SourceOf(condition));
        state.Secondaries.Add(secondary);
        state.Used(condition, $"metastatic site: {site}{(related is null ? " (primary not linked)" : " of " + related)}{(classification.Note is null ? string.Empty : "; " + classification.Note)}");
        if (related is not null && state.Index.Resolve(new ResourceReference(related)) is null)
        {
            state.Issue(DataQualitySeverity.Information, $"names its primary cancer {related}, which is not in the record.", condition);
        }
    }

    /// <summary>The primary a metastasis belongs to: the core condition-related extension (mCODE STU2+) or mCODE STU1's own.</summary>
    private static string? RelatedPrimary(Condition condition)
    {
        var extension = condition.Extension?.FirstOrDefault(e => e.Url is FhirProfiles.ConditionRelated or FhirProfiles.RelatedPrimaryCancerConditionStu1 or FhirProfiles.McodeRelatedCondition);
        return ResourceIndex.KeyOf((extension?.Value as ResourceReference)?.Reference);
    }

    private static IEnumerable<CodeableConcept> Histology(Condition condition) =>
        condition.Extension?.Where(e => e.Url == FhirProfiles.HistologyMorphologyBehavior).Select(e => e.Value).OfType<CodeableConcept>() ?? [];

    private static DateOnly? Onset(Condition condition) => condition.Onset switch
    {
        FhirDateTime dt => Date(dt.Value),
        Period p => Date(p.Start),
        _ => Date(condition.RecordedDate),
    };
}
