using Hl7.Fhir.Model;
using Precision.Clinical;
using static Precision.Fhir.FhirElementReading;

namespace Precision.Fhir;

/// <summary>
/// Procedures: cancer surgery (mCODE CancerRelatedSurgicalProcedure) and radiotherapy courses (RadiotherapyCourseSummary,
/// STU1 CancerRelatedRadiationProcedure), for the timeline. Surgery counts only when the record ties it to a cancer.
/// </summary>
public sealed partial class PatientProfileMapper
{
    /// <summary>SNOMED CT radiotherapy procedures (mCODE RadiationProcedureVS, CodeX Radiation Therapy; docs/clinical-codes.md).</summary>
    private static readonly HashSet<string> RadiotherapyCodes = new(StringComparer.Ordinal)
    {
        SnomedCodes.RadiotherapyCourseOfTreatment, SnomedCodes.Radiotherapy, "33195004", "448385000", "45643008", "10611004", "80347004",
        "152198000", "447759004", "113120007", "384692006", "385798007",
    };

    private static readonly HashSet<string> RadiotherapyCategories = new(StringComparer.Ordinal)
    {
        SnomedCodes.RadiationOncologyProcedure, SnomedCodes.RadiationTherapyProcedure, SnomedCodes.Radiotherapy,
    };

    private static void ReadProcedure(Procedure procedure, MappingState state)
    {
        var label = state.Bounded(Text(procedure.Code), "procedure name", procedure) ?? DescribeCode(procedure.Code);
        if (procedure.Status is EventStatus.NotDone or EventStatus.EnteredInError or EventStatus.Preparation or EventStatus.Unknown or null)
        {
            state.NotUsed(procedure, $"({label}) has status {procedure.Status?.ToString() ?? "not stated"}: it does not say the procedure was done; not used.");
            return;
        }

        var radiotherapy = HasProfile(procedure, FhirProfiles.McodeRadiotherapyCourseSummary) || HasProfile(procedure, FhirProfiles.McodeRadiationProcedure)
            || RadiotherapyCategories.Contains(CodeIn(procedure.Category, CodeSystems.Snomed) ?? string.Empty)
            || RadiotherapyCodes.Contains(CodeIn(procedure.Code, CodeSystems.Snomed) ?? string.Empty)
            || label.Contains("radiotherapy", StringComparison.OrdinalIgnoreCase) || label.Contains("radiation", StringComparison.OrdinalIgnoreCase);
        var cancerRelated = radiotherapy || HasProfile(procedure, FhirProfiles.McodeSurgicalProcedure)
            || (procedure.ReasonReference ?? []).Any(r => state.Index.Resolve<Condition>(r) is { } c && c.Code is not null && IsCancer(c, state));
        if (!cancerRelated)
        {
            state.NotUsed(procedure, $"({label}) is not tied to a cancer (no mCODE profile, no reason pointing at a cancer condition); not shown.");
            return;
        }

        var (performed, ended) = procedure.Performed switch
        {
            FhirDateTime dt => (Date(dt.Value), (DateOnly?)null),
            Period p => (Date(p.Start), Date(p.End)),
            _ => (null, null),
        };
        var code = procedure.Code?.Coding?.FirstOrDefault(c => c.Code is not null);
        var kind = radiotherapy ? CancerProcedureKind.Radiotherapy : CancerProcedureKind.Surgery;
        var intent = IntentOf(procedure);
        state.Procedures.Add(new CancerProcedure(
            kind,
            code is null ? new CodedConcept("unknown", "unknown", label) : state.Concept(code, label, procedure),
            radiotherapy && label == DescribeCode(procedure.Code) ? "Radiotherapy course" : label,
            performed,
            ended,
            state.Bounded(Text(procedure.BodySite?.FirstOrDefault()), "body site", procedure),
            intent,
            SourceOf(procedure)));
        state.Used(procedure, $"{(radiotherapy ? "radiotherapy" : "surgery")}: {label}{On(performed)} (timeline; the model does not use procedures)");
    }

    private static bool IsCancer(Condition condition, MappingState state)
    {
        var codes = new Precision.Clinical.Terminology.CancerCodes(
            [.. (condition.Code?.Coding ?? []).Where(c => c.Code is not null).Select(c => state.Concept(c, null, condition))], [], [], Text(condition.Code));
        return Precision.Clinical.Terminology.ClinicalTerminology.CancerTypes.Classify(codes).Role
            is Precision.Clinical.Terminology.CancerConditionRole.Primary or Precision.Clinical.Terminology.CancerConditionRole.Secondary;
    }
}
