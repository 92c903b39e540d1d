using System.Security.Cryptography;
using System.Text;

namespace Precision.Inference.Features;

/// <summary>Which encoder of the model a feature feeds.</summary>
public enum FeatureBlock
{
    Clinical,
    Genomic,
}

/// <summary>
/// One input feature: its stable name (part of the schema hash), the block it belongs to, and the clinical fact group
/// it comes from ("ECOG", "Labs: Albumin", "EGFR") — the unit explanations are built from.
/// </summary>
public sealed record FeatureDefinition(string Name, FeatureBlock Block, string FactGroup)
{
    /// <summary>The smallest value the featurizer writes (flags and most features are 0–1).</summary>
    public float Minimum { get; init; }

    /// <summary>The largest value the featurizer writes; batch inputs outside [Minimum, Maximum] are refused.</summary>
    public float Maximum { get; init; } = 1f;
}

/// <summary>
/// The model's input layout: clinical and genomic features in order, and the catalog therapies the model is conditioned on.
/// The hash identifies it exactly; a model trained on another layout must be refused.
/// </summary>
public sealed class FeatureSchema
{
    public const string CurrentVersion = "1";

    public FeatureSchema(IReadOnlyList<FeatureDefinition> clinical, IReadOnlyList<FeatureDefinition> genomic, IReadOnlyList<string> therapyIds, string catalogVersion)
    {
        Clinical = clinical;
        Genomic = genomic;
        TherapyIds = therapyIds;
        CatalogVersion = catalogVersion;
        var canonical = new StringBuilder().Append("precision-portal/feature-schema/v" + CurrentVersion + "\n");
        foreach (var feature in clinical.Concat(genomic))
        {
            canonical.Append(feature.Block).Append(':').Append(feature.Name).Append('\n');
        }

        canonical.Append("therapies:").Append(string.Join(',', therapyIds)).Append('\n');
        Hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())));
    }

    public IReadOnlyList<FeatureDefinition> Clinical { get; }

    public IReadOnlyList<FeatureDefinition> Genomic { get; }

    public IReadOnlyList<string> TherapyIds { get; }

    public string CatalogVersion { get; }

    /// <summary>Lowercase hex SHA-256 of the version, every feature name in order, and the therapy order.</summary>
    public string Hash { get; }
}
