namespace Precision.Clinical;

public enum CancerProcedureKind
{
    /// <summary>mCODE CancerRelatedSurgicalProcedure.</summary>
    Surgery,

    /// <summary>mCODE RadiotherapyCourseSummary (STU2+) or CancerRelatedRadiationProcedure (STU1).</summary>
    Radiotherapy,
}

/// <summary>A cancer-related surgery or radiotherapy course, shown on the timeline. The model does not use procedures.</summary>
public sealed record CancerProcedure(
    CancerProcedureKind Kind,
    CodedConcept Code,
    string Label,
    DateOnly? PerformedOn,
    DateOnly? EndedOn,
    string? BodySite,
    TreatmentIntent Intent,
    SourceReference Source);
