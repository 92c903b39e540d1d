using Precision.Clinical;
using Precision.Inference.Features;

namespace Precision.Inference.Runtime;

/// <summary>
/// Checks a reference population against its manifest and this code: it must describe the same model and features,
/// or the applicability checks and similar-patient search would compare the patient with the wrong yardstick.
/// </summary>
internal static class ReferencePopulationCheck
{
    public static void Check(ReferencePopulation reference, string file, ModelManifest manifest, FeatureSchema schema, int embeddingWidth, List<string> problems)
    {
        const string Fix = "Restore the version folder from the repository or retrain.";
        if (reference.ModelVersion != manifest.ModelVersion)
        {
            problems.Add($"{file}: modelVersion is {reference.ModelVersion ?? "(missing)"} but the manifest is for {manifest.ModelVersion}. {Fix}");
        }

        if (reference.FeatureSchemaHash != schema.Hash)
        {
            problems.Add($"{file}: featureSchemaHash is {reference.FeatureSchemaHash ?? "(missing)"} but this portal's featurizer has {schema.Hash}. {Fix}");
        }

        foreach (var type in reference.CancerTypes ?? [])
        {
            if (!Enum.TryParse<CancerType>(type.CancerType, ignoreCase: false, out _))
            {
                problems.Add($"{file}: cancer type '{type.CancerType}' is not one this code knows ({string.Join(", ", Enum.GetNames<CancerType>())}). {Fix}");
            }
        }

        var features = schema.Clinical.Concat(schema.Genomic).ToList();
        var ranges = reference.FeatureRanges ?? [];
        if (ranges.Count != features.Count || !ranges.Select(r => r.Name).SequenceEqual(features.Select(f => f.Name), StringComparer.Ordinal))
        {
            problems.Add($"{file}: featureRanges must list every schema feature in order ({features.Count}; it lists {ranges.Count}). {Fix}");
        }
        else if (ranges.FirstOrDefault(r => !(r.Min <= r.P01 && r.P01 <= r.P99 && r.P99 <= r.Max)) is { } bad)
        {
            problems.Add($"{file}: featureRanges '{bad.Name}' is not ordered min ≤ p01 ≤ p99 ≤ max ({bad.Min}, {bad.P01}, {bad.P99}, {bad.Max}). {Fix}");
        }

        var rows = reference.Background?.Rows ?? [];
        if (rows.FirstOrDefault(r => r.Clinical?.Length != schema.Clinical.Count || r.Genomic?.Length != schema.Genomic.Count) is { } row)
        {
            problems.Add($"{file}: background row {rows.ToList().IndexOf(row) + 1} has {row.Clinical?.Length ?? 0} clinical and {row.Genomic?.Length ?? 0} genomic values; the schema has {schema.Clinical.Count} and {schema.Genomic.Count}. {Fix}");
        }

        var neighbours = reference.Neighbours;
        if (neighbours?.NearestDistancePercentiles is not { } p || !(p.P50 >= 0 && p.P50 <= p.P90 && p.P90 <= p.P95 && p.P95 <= p.P99))
        {
            problems.Add($"{file}: neighbours.nearestDistancePercentiles must hold p50 ≤ p90 ≤ p95 ≤ p99. {Fix}");
        }

        foreach (var patient in neighbours?.Patients ?? [])
        {
            if (patient.Embedding?.Length != embeddingWidth)
            {
                problems.Add($"{file}: reference patient {patient.Id} has an embedding of {patient.Embedding?.Length ?? 0} values; the model's embedding output has {embeddingWidth}. {Fix}");
                break;
            }

            if (!schema.TherapyIds.Contains(patient.TherapyId) || !Enum.TryParse<CancerType>(patient.CancerType, ignoreCase: false, out _))
            {
                problems.Add($"{file}: reference patient {patient.Id} names therapy '{patient.TherapyId}' or cancer type '{patient.CancerType}' unknown to this code. {Fix}");
                break;
            }
        }
    }
}
