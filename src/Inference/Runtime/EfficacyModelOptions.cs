namespace Precision.Inference.Runtime;

/// <summary>Where the model runs. <see cref="Auto"/> tries CUDA and falls back to the CPU, saying why.</summary>
public enum ExecutionProviderPreference
{
    Auto,
    Cuda,
    Cpu,
}

/// <summary>The <c>Model</c> settings: which version to serve from where, and how to run it.</summary>
public sealed class EfficacyModelOptions
{
    public const string SectionName = "Model";

    /// <summary>MAJOR.MINOR.PATCH to serve; empty: the highest version present that passes every check.</summary>
    public string? Version { get; set; }

    /// <summary>Folder with one subfolder per version; empty: the repository's <c>models/efficacy</c>.</summary>
    public string? Directory { get; set; }

    public ExecutionProviderPreference ExecutionProvider { get; set; } = ExecutionProviderPreference.Auto;

    /// <summary>CUDA device ordinal.</summary>
    public int DeviceId { get; set; }

    /// <summary>Threads one model run may use. 1 is fastest for this small network on few cores (ENGINEERING_NOTES).</summary>
    public int IntraOpThreads { get; set; } = 1;

    /// <summary>Rows per ONNX run; larger batches are scored in chunks of this size.</summary>
    public int BatchSize { get; set; } = 1024;

    /// <summary>Every problem with the values themselves (not with the model they point at), naming the setting.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!string.IsNullOrWhiteSpace(Version) && ModelRegistry.ParseVersion(Version) is null)
        {
            problems.Add($"{SectionName}:Version '{Version}' is not a version (MAJOR.MINOR.PATCH, e.g. 1.0.0); leave it empty to serve the highest valid version.");
        }

        if (!Enum.IsDefined(ExecutionProvider))
        {
            problems.Add($"{SectionName}:ExecutionProvider must be Auto, Cuda or Cpu.");
        }

        if (DeviceId is < 0 or > 63)
        {
            problems.Add($"{SectionName}:DeviceId must be a CUDA device ordinal between 0 and 63 (it is {DeviceId}).");
        }

        if (IntraOpThreads is < 1 or > 256)
        {
            problems.Add($"{SectionName}:IntraOpThreads must be between 1 and 256 (it is {IntraOpThreads}).");
        }

        if (BatchSize is < 1 or > 65_536)
        {
            problems.Add($"{SectionName}:BatchSize must be between 1 and 65536 rows (it is {BatchSize}).");
        }

        return problems;
    }
}
