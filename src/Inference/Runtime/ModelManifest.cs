using System.Text.Json;
using System.Text.Json.Serialization;

namespace Precision.Inference.Runtime;

/// <summary>
/// <c>manifest.json</c> of one model version, as <c>precision-train train --out</c> writes it: what the model was trained
/// on (feature schema, therapies, catalog) and what the ONNX file must look like (inputs, outputs, hash).
/// Every member is nullable because the file comes from disk: the registry names what is missing instead of crashing.
/// </summary>
public sealed record ModelManifest(
    string? ModelVersion,
    string? Date,
    string? IntendedUse,
    ManifestFeatureSchema? FeatureSchema,
    string? TherapyCatalogVersion,
    IReadOnlyList<string>? Therapies,
    IReadOnlyList<ManifestTensor>? Inputs,
    IReadOnlyList<ManifestTensor>? Outputs,
    ManifestFile? Onnx,
    int? EnsembleMembers,
    ManifestCalibration? Calibration,
    ManifestFile? ReferencePopulation)
{
    public const string FileName = "manifest.json";

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };
}

public sealed record ManifestFeatureSchema(string? Version, string? Hash, IReadOnlyList<string>? Clinical, IReadOnlyList<string>? Genomic);

/// <summary>An input or output tensor: name, element type and shape, where <c>"N"</c> is the dynamic batch.</summary>
public sealed record ManifestTensor(string? Name, string? ElementType, IReadOnlyList<JsonElement>? Shape)
{
    /// <summary>The shape as text, e.g. <c>[N, 52]</c>.</summary>
    [JsonIgnore]
    public string ShapeText => Shape is null ? "(none)" : "[" + string.Join(", ", Shape.Select(d => d.ValueKind == JsonValueKind.String ? d.GetString() : d.GetRawText())) + "]";
}

/// <summary>An artifact file beside the manifest and its SHA-256 (lowercase hex).</summary>
public sealed record ManifestFile(string? File, string? Sha256, int? Opset, int? IrVersion);

public sealed record ManifestCalibration(string? Method, double? Temperature);
