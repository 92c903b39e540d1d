using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Precision.Inference.Evaluation;
using Precision.Inference.Features;

namespace Precision.Inference.Runtime;

/// <summary>A model version whose artifacts passed every check against this code: safe to serve.</summary>
public sealed class VerifiedModel
{
    internal VerifiedModel(string directory, Version version, ModelManifest manifest, byte[] onnx, string onnxSha256, FeatureSchema schema, int members, int embeddingWidth, ReferencePopulation? reference)
    {
        Directory = directory;
        SemanticVersion = version;
        Manifest = manifest;
        OnnxBytes = onnx;
        OnnxSha256 = onnxSha256;
        Schema = schema;
        EnsembleMembers = members;
        EmbeddingWidth = embeddingWidth;
        ReferencePopulation = reference;
        Calibration = ModelCalibration.Load(directory, Version, onnxSha256);
    }

    public string Version => SemanticVersion.ToString(3);

    public Version SemanticVersion { get; }

    public string Directory { get; }

    public ModelManifest Manifest { get; }

    /// <summary>The bytes that were hashed; the runtime loads exactly these, so the served model is the verified one.</summary>
    public ReadOnlyMemory<byte> OnnxBytes { get; }

    public string OnnxSha256 { get; }

    public FeatureSchema Schema { get; }

    public int EnsembleMembers { get; }

    public int EmbeddingWidth { get; }

    /// <summary>Null for versions trained before reference populations were shipped (1.0.0).</summary>
    public ReferencePopulation? ReferencePopulation { get; }

    /// <summary>
    /// The reliability bins of <c>evaluation.json</c> when it was measured on exactly this ONNX file; otherwise unavailable
    /// with the reason (no evaluation, another model file, unreadable). Never a reason to refuse the model.
    /// </summary>
    public ModelCalibration Calibration { get; }
}

/// <summary>The outcome of checking one version folder: the verified model, or every problem found.</summary>
public sealed record ModelVersionCheck(string Version, string Directory, VerifiedModel? Model, IReadOnlyList<string> Problems)
{
    public bool IsValid => Model is not null;

    public override string ToString() => IsValid ? $"{Version}: valid" : $"{Version}: refused — {string.Join(" ", Problems)}";
}

/// <summary>Which version the registry would serve, or why it serves none.</summary>
public sealed record ModelSelection(VerifiedModel? Model, string? Refusal, IReadOnlyList<ModelVersionCheck> Checked)
{
    public bool IsServable => Model is not null;
}

/// <summary>
/// The model versions in a directory (<c>&lt;directory&gt;/&lt;MAJOR.MINOR.PATCH&gt;/manifest.json</c>), each checked
/// against this code before it may serve: file hashes, the featurizer's schema hash, the therapy list and catalog
/// version, and the ONNX graph's input and output names and shapes. A model that disagrees in any of these would
/// silently score the wrong features, so it is refused with a message naming what differs and what to do.
/// </summary>
public sealed class ModelRegistry
{
    public const string DefaultRelativePath = "models/efficacy";

    public ModelRegistry(string directory, FeatureSchema schema)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(schema);
        Directory = Path.GetFullPath(directory);
        Schema = schema;
    }

    public string Directory { get; }

    /// <summary>
    /// The layout this code feeds new models; a model must have been trained on exactly this or on one of its
    /// <see cref="FeatureSchema.Earlier"/> layouts (then <see cref="VerifiedModel.Schema"/> is that one).
    /// </summary>
    public FeatureSchema Schema { get; }

    /// <summary>
    /// Finds <c>models/efficacy</c> by walking up from each start folder in turn (e.g. the content root, then the
    /// application base directory, where the portal's build copies the committed models). Null when none has it.
    /// </summary>
    public static string? FindDefaultDirectory(params IEnumerable<string?> starts)
    {
        ArgumentNullException.ThrowIfNull(starts);
        foreach (var start in starts.Where(s => !string.IsNullOrWhiteSpace(s)))
        {
            for (var dir = new DirectoryInfo(start!); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, DefaultRelativePath);
                if (System.IO.Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>Parses <c>MAJOR.MINOR.PATCH</c>; null for anything else.</summary>
    public static Version? ParseVersion(string? text) =>
        text is not null && text.Count(c => c == '.') == 2 && System.Version.TryParse(text, out var v) && v.Build >= 0 && v.Revision < 0 ? v : null;

    /// <summary>The version folders present (names that parse as versions), highest first, without checking them.</summary>
    public IReadOnlyList<string> PresentVersions() => PresentVersions(Directory);

    /// <summary>The version folders in <paramref name="directory"/>, highest first, without checking them.</summary>
    public static IReadOnlyList<string> PresentVersions(string directory) =>
        System.IO.Directory.Exists(directory)
            ? [.. System.IO.Directory.EnumerateDirectories(directory)
                .Select(Path.GetFileName)
                .Select(name => (name, version: ParseVersion(name)))
                .Where(p => p.version is not null)
                .OrderByDescending(p => p.version)
                .Select(p => p.name!)]
            : [];

    /// <summary>Every version folder, highest first, each checked.</summary>
    public IReadOnlyList<ModelVersionCheck> ListVersions() => [.. PresentVersions().Select(Verify)];

    /// <summary>
    /// The configured version (it must be present and valid), or else the highest valid version present.
    /// </summary>
    public ModelSelection Select(string? configuredVersion)
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return new ModelSelection(null, $"The model directory {Directory} does not exist. Set Model:Directory to the folder holding one subfolder per model version (the repository's {DefaultRelativePath}).", []);
        }

        var present = PresentVersions();
        if (!string.IsNullOrWhiteSpace(configuredVersion))
        {
            if (!present.Contains(configuredVersion, StringComparer.Ordinal))
            {
                return new ModelSelection(null, $"Model:Version is {configuredVersion}, but {Directory} holds {Describe(present)}. Set Model:Version to one of them, or leave it empty to serve the highest valid version.", []);
            }

            var check = Verify(configuredVersion);
            return check.IsValid
                ? new ModelSelection(check.Model, null, [check])
                : new ModelSelection(null, $"Model {configuredVersion} (set by Model:Version) is refused: {string.Join(" ", check.Problems)}", [check]);
        }

        var checks = new List<ModelVersionCheck>();
        foreach (var version in present)
        {
            var check = Verify(version);
            checks.Add(check);
            if (check.IsValid)
            {
                return new ModelSelection(check.Model, null, checks);
            }
        }

        return present.Count == 0
            ? new ModelSelection(null, $"{Directory} holds no model version folder (MAJOR.MINOR.PATCH with a manifest.json). Train one with precision-train train --out {Path.Combine(Directory, "X.Y.Z")}, or set Model:Directory.", checks)
            : new ModelSelection(null, $"No model version in {Directory} can be served. " + string.Join(" ", checks.Select(c => $"{c.Version}: {string.Join(" ", c.Problems)}")), checks);
    }

    /// <summary>Checks one version folder against this code.</summary>
    public ModelVersionCheck Verify(string version)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        var folder = Path.Combine(Directory, version);
        var problems = new List<string>();
        var model = Verify(version, folder, problems);
        return new ModelVersionCheck(version, folder, problems.Count == 0 ? model : null, problems);
    }

    private static string Describe(IReadOnlyList<string> versions) => versions.Count == 0 ? "no model version" : "only " + string.Join(", ", versions);

    private VerifiedModel? Verify(string version, string folder, List<string> problems)
    {
        var semantic = ParseVersion(version);
        if (semantic is null)
        {
            problems.Add($"The folder name '{version}' is not a version (MAJOR.MINOR.PATCH).");
            return null;
        }

        var manifestPath = Path.Combine(folder, ModelManifest.FileName);
        if (!File.Exists(manifestPath))
        {
            problems.Add($"{manifestPath} is missing. Copy the whole version folder written by precision-train, or retrain.");
            return null;
        }

        ModelManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ModelManifest>(File.ReadAllBytes(manifestPath), ModelManifest.JsonOptions);
        }
        catch (JsonException ex)
        {
            problems.Add($"{manifestPath} is not valid JSON ({ex.Message}). Restore it from the repository or retrain.");
            return null;
        }

        if (manifest is null)
        {
            problems.Add($"{manifestPath} is empty. Restore it from the repository or retrain.");
            return null;
        }

        if (manifest.ModelVersion != version)
        {
            problems.Add($"{ModelManifest.FileName} says modelVersion '{manifest.ModelVersion}' but it sits in folder '{version}'. Put each version in the folder named after it.");
        }

        // The schema the model was trained on, when this featurizer can produce it (the current layout or an earlier one);
        // for an unknown hash the layout whose feature names the manifest lists (the hash alone differs), else the current one.
        var schema = Schema.Find(manifest.FeatureSchema?.Hash)
            ?? new[] { Schema }.Concat(Schema.Earlier).FirstOrDefault(s =>
                manifest.FeatureSchema?.Clinical is { } clinical && clinical.SequenceEqual(s.Clinical.Select(f => f.Name), StringComparer.Ordinal)
                && manifest.FeatureSchema?.Genomic is { } genomic && genomic.SequenceEqual(s.Genomic.Select(f => f.Name), StringComparer.Ordinal))
            ?? Schema;
        CheckSchema(manifest, schema, problems);
        CheckTensors(manifest, schema, problems);
        var onnx = ReadOnnx(folder, manifest, problems);
        var (members, embeddingWidth) = onnx is null ? (0, 0) : CheckOnnxGraph(onnx.Value.Bytes, manifest, schema, problems);
        var reference = ReadReferencePopulation(folder, manifest, schema, embeddingWidth, problems);
        return problems.Count == 0 && onnx is { } file
            ? new VerifiedModel(folder, semantic, manifest, file.Bytes, file.Sha256, schema, members, embeddingWidth, reference)
            : null;
    }

    private static void CheckSchema(ModelManifest manifest, FeatureSchema schema, List<string> problems)
    {
        var hash = manifest.FeatureSchema?.Hash;
        if (hash != schema.Hash)
        {
            // Not a layout the featurizer knows: compare with the current one to name the first difference.
            var difference = FirstDifference("clinical", manifest.FeatureSchema?.Clinical, [.. schema.Clinical.Select(f => f.Name)])
                ?? FirstDifference("genomic", manifest.FeatureSchema?.Genomic, [.. schema.Genomic.Select(f => f.Name)])
                ?? FirstDifference("therapy", manifest.Therapies, schema.TherapyIds)
                ?? "the feature and therapy names agree, so the schema version differs";
            problems.Add($"{ModelManifest.FileName}: feature schema hash is {hash ?? "(missing)"} but this portal's featurizer has {schema.Hash} ({difference}). "
                + "The model was trained on other features; retrain it with this code (precision-train train) or run the portal version it was trained for.");
        }

        if (manifest.TherapyCatalogVersion != schema.CatalogVersion)
        {
            problems.Add($"{ModelManifest.FileName}: therapy catalog version is {manifest.TherapyCatalogVersion ?? "(missing)"} but the portal loads catalog {schema.CatalogVersion}. Serve a model trained on catalog {schema.CatalogVersion}, or load the catalog the model was trained on.");
        }
        else if (manifest.Therapies is null || !manifest.Therapies.SequenceEqual(schema.TherapyIds, StringComparer.Ordinal))
        {
            problems.Add($"{ModelManifest.FileName}: therapy list differs from catalog {schema.CatalogVersion} ({FirstDifference("therapy", manifest.Therapies, schema.TherapyIds) ?? "order differs"}). Retrain on this catalog.");
        }
    }

    private static string? FirstDifference(string kind, IReadOnlyList<string>? model, IReadOnlyList<string> code)
    {
        if (model is null)
        {
            return $"the manifest lists no {kind} names";
        }

        for (var i = 0; i < Math.Max(model.Count, code.Count); i++)
        {
            var m = i < model.Count ? model[i] : null;
            var c = i < code.Count ? code[i] : null;
            if (m != c)
            {
                return $"{kind} #{i + 1} is {Quote(m)} in the model and {Quote(c)} in the code";
            }
        }

        return null;

        static string Quote(string? name) => name is null ? "absent" : $"'{name}'";
    }

    /// <summary>The tensors the code feeds and reads; the manifest must describe the same ones.</summary>
    private static IReadOnlyList<(string Name, int? Width)> ExpectedInputs(FeatureSchema schema) =>
    [
        (OnnxNames.Clinical, schema.Clinical.Count),
        (OnnxNames.Genomic, schema.Genomic.Count),
        (OnnxNames.Therapy, schema.TherapyIds.Count),
    ];

    private static void CheckTensors(ModelManifest manifest, FeatureSchema schema, List<string> problems)
    {
        foreach (var (name, width) in ExpectedInputs(schema))
        {
            var tensor = manifest.Inputs?.FirstOrDefault(t => t.Name == name);
            var expected = $"[N, {width}]";
            if (tensor is null)
            {
                problems.Add($"{ModelManifest.FileName}: input '{name}' is not listed (expected float32 {expected}). The model does not take the inputs this code feeds; retrain.");
            }
            else if (tensor.ShapeText != expected || tensor.ElementType != "float32")
            {
                problems.Add($"{ModelManifest.FileName}: input '{name}' is {tensor.ElementType} {tensor.ShapeText}, expected float32 {expected}. Retrain with this code.");
            }
        }

        foreach (var name in new[] { OnnxNames.MemberProbabilities, OnnxNames.Probability, OnnxNames.Embedding })
        {
            if (manifest.Outputs?.Any(t => t.Name == name) != true)
            {
                problems.Add($"{ModelManifest.FileName}: output '{name}' is not listed. This code reads member_probabilities, probability and embedding; retrain.");
            }
        }
    }

    private static (byte[] Bytes, string Sha256)? ReadOnnx(string folder, ModelManifest manifest, List<string> problems)
    {
        var name = manifest.Onnx?.File;
        if (string.IsNullOrWhiteSpace(name) || string.IsNullOrWhiteSpace(manifest.Onnx?.Sha256))
        {
            problems.Add($"{ModelManifest.FileName}: onnx.file or onnx.sha256 is missing. Restore the manifest from the repository or retrain.");
            return null;
        }

        var path = Path.Combine(folder, name);
        if (!File.Exists(path))
        {
            problems.Add($"{path} is missing. Restore it from the repository (git checkout) or retrain.");
            return null;
        }

        var bytes = File.ReadAllBytes(path);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(sha, manifest.Onnx.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"{path}: SHA-256 is {sha} but {ModelManifest.FileName} expects {manifest.Onnx.Sha256}. The file was changed or damaged after training; restore it from the repository (git checkout) or retrain.");
            return null;
        }

        return (bytes, sha);
    }

    /// <summary>Opens the graph on the CPU and compares its inputs and outputs with what the code feeds and reads.</summary>
    private static (int Members, int EmbeddingWidth) CheckOnnxGraph(byte[] onnx, ModelManifest manifest, FeatureSchema schema, List<string> problems)
    {
        var file = manifest.Onnx?.File;
        try
        {
            using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, IntraOpNumThreads = 1 };
            using var session = new InferenceSession(onnx, options);
            foreach (var (name, width) in ExpectedInputs(schema))
            {
                if (!session.InputMetadata.TryGetValue(name, out var input))
                {
                    problems.Add($"{file}: the graph has no input '{name}' (it has {string.Join(", ", session.InputMetadata.Keys)}). Retrain with this code.");
                }
                else if (!IsFloatMatrix(input, width))
                {
                    problems.Add($"{file}: input '{name}' is {Describe(input)}, expected float [N, {width}]. Retrain with this code.");
                }
            }

            var members = OutputWidth(session, OnnxNames.MemberProbabilities, file, problems);
            var embedding = OutputWidth(session, OnnxNames.Embedding, file, problems);
            if (!session.OutputMetadata.TryGetValue(OnnxNames.Probability, out var probability))
            {
                problems.Add($"{file}: the graph has no output '{OnnxNames.Probability}'. Retrain with this code.");
            }
            else if (probability.ElementType != typeof(float) || probability.Dimensions.Length != 1)
            {
                problems.Add($"{file}: output '{OnnxNames.Probability}' is {Describe(probability)}, expected float [N]. Retrain with this code.");
            }

            if (members is { } m && manifest.EnsembleMembers is { } listed && m != listed)
            {
                problems.Add($"{file}: the graph has {m} ensemble members but {ModelManifest.FileName} says {listed}. Restore the matching manifest or retrain.");
            }

            return (members ?? 0, embedding ?? 0);
        }
        catch (OnnxRuntimeException ex)
        {
            problems.Add($"{file}: ONNX Runtime cannot load it ({ex.Message}). Restore it from the repository or retrain.");
            return (0, 0);
        }
    }

    private static int? OutputWidth(InferenceSession session, string name, string? file, List<string> problems)
    {
        if (!session.OutputMetadata.TryGetValue(name, out var output))
        {
            problems.Add($"{file}: the graph has no output '{name}'. Retrain with this code.");
            return null;
        }

        if (!IsFloatMatrix(output, null))
        {
            problems.Add($"{file}: output '{name}' is {Describe(output)}, expected float [N, width]. Retrain with this code.");
            return null;
        }

        return output.Dimensions[1];
    }

    private static bool IsFloatMatrix(NodeMetadata metadata, int? width) =>
        metadata.IsTensor && metadata.ElementType == typeof(float) && metadata.Dimensions.Length == 2
        && metadata.Dimensions[0] < 0 && (width is null ? metadata.Dimensions[1] > 0 : metadata.Dimensions[1] == width);

    private static string Describe(NodeMetadata metadata) =>
        $"{metadata.ElementType.Name} [{string.Join(", ", metadata.Dimensions.Select((d, i) => d < 0 ? (metadata.SymbolicDimensions.ElementAtOrDefault(i) is { Length: > 0 } s ? s : "?") : d.ToString(CultureInfo.InvariantCulture)))}]";

    private static ReferencePopulation? ReadReferencePopulation(string folder, ModelManifest manifest, FeatureSchema schema, int embeddingWidth, List<string> problems)
    {
        if (manifest.ReferencePopulation is null)
        {
            return null; // versions before 1.1.0 ship none; applicability is then assessed without it
        }

        var name = manifest.ReferencePopulation.File;
        if (string.IsNullOrWhiteSpace(name) || string.IsNullOrWhiteSpace(manifest.ReferencePopulation.Sha256))
        {
            problems.Add($"{ModelManifest.FileName}: referencePopulation needs file and sha256. Restore the manifest from the repository or retrain.");
            return null;
        }

        var path = Path.Combine(folder, name);
        if (!File.Exists(path))
        {
            problems.Add($"{path} is missing but {ModelManifest.FileName} lists it. Restore it from the repository (git checkout) or retrain.");
            return null;
        }

        var bytes = File.ReadAllBytes(path);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(sha, manifest.ReferencePopulation.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"{path}: SHA-256 is {sha} but {ModelManifest.FileName} expects {manifest.ReferencePopulation.Sha256}. The file was changed or damaged after training; restore it from the repository (git checkout) or retrain.");
            return null;
        }

        ReferencePopulation? reference;
        try
        {
            reference = JsonSerializer.Deserialize<ReferencePopulation>(bytes, ModelManifest.JsonOptions);
        }
        catch (JsonException ex)
        {
            problems.Add($"{path} is not a valid reference population ({ex.Message}). Restore it from the repository or retrain.");
            return null;
        }

        if (reference is null)
        {
            problems.Add($"{path} is empty. Restore it from the repository or retrain.");
            return null;
        }

        var before = problems.Count;
        ReferencePopulationCheck.Check(reference, name, manifest, schema, embeddingWidth, problems);
        return problems.Count == before ? reference : null;
    }
}

/// <summary>The tensor names the ONNX export writes (src/Training/Model/OnnxExport.cs).</summary>
public static class OnnxNames
{
    public const string Clinical = "clinical";
    public const string Genomic = "genomic";
    public const string Therapy = "therapy";
    public const string MemberProbabilities = "member_probabilities";
    public const string Probability = "probability";
    public const string Embedding = "embedding";
}
