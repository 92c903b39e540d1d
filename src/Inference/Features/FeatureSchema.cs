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
/// The featurizer's input layouts. A model declares the one it was trained on (its schema hash in the manifest); the
/// portal featurizes for each served model in that model's layout, so earlier versions keep serving and replaying.
/// </summary>
public enum FeatureLayout
{
    /// <summary>Models 1.x: clinical and genomic facts as of the date.</summary>
    V1 = 1,

    /// <summary>
    /// V1 with, per catalog therapy, whether the patient progressed on it in an earlier line (appended to the clinical
    /// block, so V1 is its prefix): what lets a model learn re-challenge after progression.
    /// </summary>
    V2 = 2,
}

/// <summary>
/// The model's input layout: clinical and genomic features in order, and the catalog therapies the model is conditioned on.
/// The hash identifies it exactly; a model trained on another layout must be refused.
/// </summary>
public sealed class FeatureSchema
{
    /// <summary>The layout new models are trained with.</summary>
    public const FeatureLayout CurrentLayout = FeatureLayout.V2;

    public FeatureSchema(IReadOnlyList<FeatureDefinition> clinical, IReadOnlyList<FeatureDefinition> genomic, IReadOnlyList<string> therapyIds, string catalogVersion)
        : this(clinical, genomic, therapyIds, catalogVersion, CurrentLayout)
    {
    }

    public FeatureSchema(IReadOnlyList<FeatureDefinition> clinical, IReadOnlyList<FeatureDefinition> genomic, IReadOnlyList<string> therapyIds, string catalogVersion, FeatureLayout layout)
    {
        Clinical = clinical;
        Genomic = genomic;
        TherapyIds = therapyIds;
        CatalogVersion = catalogVersion;
        Layout = layout;
        var canonical = new StringBuilder().Append("precision-portal/feature-schema/v" + Version + "\n");
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

    public FeatureLayout Layout { get; }

    /// <summary>The layout's version as written in manifests ("1", "2").</summary>
    public string Version => ((int)Layout).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Schemas of earlier layouts the same featurizer can also produce (models trained on them still serve).</summary>
    public IReadOnlyList<FeatureSchema> Earlier { get; init; } = [];

    /// <summary>This schema or an earlier one with <paramref name="hash"/>; null when the featurizer cannot produce it.</summary>
    public FeatureSchema? Find(string? hash) => hash == Hash ? this : Earlier.FirstOrDefault(s => s.Hash == hash);

    /// <summary>Lowercase hex SHA-256 of the version, every feature name in order, and the therapy order.</summary>
    public string Hash { get; }
}
