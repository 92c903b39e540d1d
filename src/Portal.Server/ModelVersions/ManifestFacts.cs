using System.Text.Json;

namespace Precision.Portal.Server.ModelVersions;

/// <summary>
/// What the registry page shows from a version's <c>manifest.json</c>, read leniently (a version the registry refuses
/// may still have a readable date and metrics): the calibrated ensemble's row of <c>metrics.Overall</c>.
/// </summary>
internal sealed record ManifestFacts(string? Date, string? OnnxSha256, double? Auroc, double? ExpectedCalibrationError, int? Examples)
{
    private const string EnsemblePrefix = "Efficacy ensemble";

    public static ManifestFacts Read(string folder)
    {
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, "manifest.json")));
            var root = json.RootElement;
            var date = String(root, "date");
            var sha = root.TryGetProperty("onnx", out var onnx) && onnx.ValueKind == JsonValueKind.Object ? String(onnx, "sha256") : null;
            JsonElement? ensemble = null;
            if (root.TryGetProperty("metrics", out var metrics) && metrics.ValueKind == JsonValueKind.Object
                && metrics.TryGetProperty("Overall", out var overall) && overall.ValueKind == JsonValueKind.Array)
            {
                ensemble = overall.EnumerateArray().FirstOrDefault(m => String(m, "Predictor")?.StartsWith(EnsemblePrefix, StringComparison.Ordinal) == true) is { ValueKind: JsonValueKind.Object } found
                    ? found
                    : null;
            }

            return new ManifestFacts(date, sha, Number(ensemble, "Auroc"), Number(ensemble, "ExpectedCalibrationError"), (int?)Number(ensemble, "Examples"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return new ManifestFacts(null, null, null, null, null);
        }
    }

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static double? Number(JsonElement? element, string name) =>
        element is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;
}
