namespace Precision.Portal.Client.Predictions;

/// <summary>
/// The efficacy model this instance serves, or why it serves none. Plain facts only: the client never references the
/// model runtime.
/// </summary>
public sealed record EfficacyModelInfo(
    bool IsServing,
    string? Version,
    string? OnnxSha256,
    string? ExecutionProvider,
    string? FallbackReason,
    bool HasReferencePopulation,
    DateTimeOffset? LoadedAt,
    TimeSpan? StartDuration,
    string ModelDirectory,
    string? Problem)
{
    /// <summary>"Model 1.0.0 · CPU", or "Model unavailable".</summary>
    public string FooterText => IsServing ? $"Model {Version} · {ExecutionProvider}" : "Model unavailable";

    /// <summary>The first 12 hex digits of the ONNX file's SHA-256, enough to tell builds apart on screen.</summary>
    public string? HashPrefix => OnnxSha256 is { Length: >= 12 } sha ? sha[..12] : OnnxSha256;
}

public interface IEfficacyModelStatus
{
    EfficacyModelInfo Current { get; }
}
