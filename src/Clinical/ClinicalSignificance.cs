namespace Precision.Clinical;

/// <summary>
/// Clinical significance of a variant, LOINC 53037-8 (answer list LL4034-6; the pre-2017 answers "presumed pathogenic",
/// "unknown significance" and "presumed benign" map to the nearest term).
/// </summary>
public enum ClinicalSignificance
{
    NotReported,
    Pathogenic,
    LikelyPathogenic,
    UncertainSignificance,
    LikelyBenign,
    Benign,
}
