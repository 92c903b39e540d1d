using Precision.Clinical;

namespace Precision.Inference.Explanations;

/// <summary>What kind of clinical fact a player stands for (the UI can group or colour by it).</summary>
public enum PlayerKind
{
    Diagnosis,
    Stage,
    PerformanceStatus,
    Demographics,
    PriorTherapy,
    Smoking,
    Laboratory,
    Biomarker,
    Pharmacogene,

    /// <summary>The one residual player: every feature no other player holds (absent facts, normal findings).</summary>
    OtherFacts,
}

/// <summary>
/// One Shapley player: a clinically meaningful fact present for this patient ("EGFR p.L858R", "ECOG 2",
/// "Albumin low (2.9 g/dL)"), the model input features it sets, and the FHIR resources it was read from.
/// Indices are positions in <see cref="Features.FeatureSchema.Clinical"/> and <see cref="Features.FeatureSchema.Genomic"/>.
/// </summary>
public sealed record ExplanationPlayer(
    string Name,
    PlayerKind Kind,
    IReadOnlyList<int> ClinicalFeatures,
    IReadOnlyList<int> GenomicFeatures,
    IReadOnlyList<SourceReference> Sources);

public enum ExplanationNoteSeverity
{
    Information,
    Warning,
}

/// <summary>Something the clinician should know beside the numbers: a fact the model cannot use, a data-quality issue.</summary>
public sealed record ExplanationNote(ExplanationNoteSeverity Severity, string Message, SourceReference? Source);
