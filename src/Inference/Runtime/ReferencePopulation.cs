namespace Precision.Inference.Runtime;

/// <summary>
/// <c>reference-population.json</c>: what the training split looked like, shipped beside a model version so the portal
/// can say when a patient is unlike anyone the model learned from (cancer types, feature ranges, embedding distances),
/// find similar training patients, and give Shapley explanations a fixed background sample.
/// </summary>
public sealed record ReferencePopulation(
    string? ModelVersion,
    string? FeatureSchemaHash,
    IReadOnlyList<ReferenceCancerType>? CancerTypes,
    IReadOnlyList<ReferenceFeatureRange>? FeatureRanges,
    ReferenceBackground? Background,
    ReferenceNeighbours? Neighbours)
{
    public const string DefaultFileName = "reference-population.json";
}

/// <summary>A cancer type (a <see cref="Clinical.CancerType"/> name) seen in the training split, with its patient count.</summary>
public sealed record ReferenceCancerType(string CancerType, int Patients);

/// <summary>One schema feature over the training rows: observed minimum and maximum, and the 1st and 99th percentiles.</summary>
public sealed record ReferenceFeatureRange(string Name, string Block, float Min, float Max, float P01, float P99);

/// <summary>Fixed training patients at first-line start: the reference sample for Shapley explanations.</summary>
public sealed record ReferenceBackground(string? Description, long? Seed, IReadOnlyList<ReferenceRow>? Rows);

public sealed record ReferenceRow(float[] Clinical, float[] Genomic);

/// <summary>Training patients in embedding space, and how far held-out patients usually are from their nearest one.</summary>
public sealed record ReferenceNeighbours(string? Distance, NearestDistancePercentiles? NearestDistancePercentiles, IReadOnlyList<ReferencePatient>? Patients);

/// <summary>Held-out patients' Euclidean distance to their nearest reference patient: the yardstick for "unusual".</summary>
public sealed record NearestDistancePercentiles(double P50, double P90, double P95, double P99);

/// <summary>A training patient at the start of a line of a catalog therapy, with the outcome and its embedding.</summary>
public sealed record ReferencePatient(
    string Id,
    string CancerType,
    string? AgeBand,
    string? Sex,
    IReadOnlyList<string>? Biomarkers,
    string TherapyId,
    int LineNumber,
    bool Responded,
    float[] Embedding);
