namespace Precision.Clinical;

/// <summary>
/// mCODE SecondaryCancerCondition: a metastatic site. <see cref="RelatedPrimary"/> is the primary cancer the record links it
/// to (condition-related / related-primary-cancer-condition extension), when it does.
/// </summary>
public sealed record SecondaryCancerCondition(
    CodedConcept Code,
    string Site,
    DateOnly? DiagnosedOn,
    SourceReference? RelatedPrimary,
    SourceReference Source);
