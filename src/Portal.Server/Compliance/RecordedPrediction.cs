using System.Globalization;
using System.Text.Json;

namespace Precision.Portal.Server.Compliance;

/// <summary>One therapy's outputs as recorded; null members were not recorded (<paramref name="Group"/>: where the page showed it, absent in records made before the groups).</summary>
internal sealed record RecordedOutput(string TherapyId, double Probability, double? EnsembleMean, double? IntervalLow, double? IntervalHigh, string? Group = null);

/// <summary>
/// The details of a <c>prediction.create</c> / <c>prediction.what-if</c> event as <c>PatientPredictionService</c> writes
/// them, read tolerantly: a missing or malformed member becomes a problem in words (naming the member), never an exception,
/// because the record may be old, partial or altered.
/// </summary>
internal sealed record RecordedPrediction(
    string? ModelVersion,
    string? OnnxSha256,
    string? FeatureSchemaHash,
    string? ExecutionProvider,
    string? AsOf,
    int? PriorLines,
    IReadOnlyList<string> WhatIf,
    float[]? Clinical,
    float[]? Genomic,
    IReadOnlyList<string> Sources,
    IReadOnlyList<RecordedOutput> Outputs,
    string? ApplicabilityLevel,
    IReadOnlyList<string> ApplicabilityReasons,
    IReadOnlyList<string> Problems)
{
    /// <summary>Inputs and outputs present: a replay has something to run and compare.</summary>
    public bool IsReplayable => Clinical is not null && Genomic is not null && Outputs.Count > 0 && ModelVersion is not null;

    public static RecordedPrediction Parse(string? detailsJson)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(detailsJson))
        {
            problems.Add("The event has no details: it records no inputs, outputs or model.");
            return Empty(problems);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(detailsJson);
        }
        catch (JsonException ex)
        {
            problems.Add($"The event's details are not valid JSON ({ex.Message}).");
            return Empty(problems);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                problems.Add("The event's details are not a JSON object.");
                return Empty(problems);
            }

            var inputs = root.TryGetProperty("inputs", out var i) && i.ValueKind == JsonValueKind.Object ? i : (JsonElement?)null;
            if (inputs is null)
            {
                problems.Add("The event records no inputs (details.inputs), so the prediction cannot be replayed.");
            }

            var clinical = inputs is { } ci ? Vector(ci, "clinical", problems) : null;
            var genomic = inputs is { } gi ? Vector(gi, "genomic", problems) : null;
            var sources = inputs is { } si ? Strings(si, "sources") : [];
            var outputs = ReadOutputs(root, problems);
            var applicability = root.TryGetProperty("applicability", out var a) && a.ValueKind == JsonValueKind.Object ? a : (JsonElement?)null;
            var version = Text(root, "modelVersion");
            if (version is null)
            {
                problems.Add("The event records no model version (details.modelVersion).");
            }

            return new RecordedPrediction(
                version,
                Text(root, "onnxSha256"),
                Text(root, "featureSchemaHash"),
                Text(root, "executionProvider"),
                Text(root, "asOf"),
                root.TryGetProperty("priorLines", out var p) && p.TryGetInt32(out var lines) ? lines : null,
                Strings(root, "whatIf"),
                clinical,
                genomic,
                sources,
                outputs,
                applicability is { } al ? Text(al, "level") : null,
                applicability is { } ar ? Strings(ar, "reasons") : [],
                problems);
        }
    }

    private static RecordedPrediction Empty(List<string> problems) => new(null, null, null, null, null, null, [], null, null, [], [], null, [], problems);

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static List<string> Strings(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? [.. value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!)]
            : [];

    private static float[]? Vector(JsonElement inputs, string name, List<string> problems)
    {
        if (!inputs.TryGetProperty(name, out var array) || array.ValueKind != JsonValueKind.Array)
        {
            problems.Add($"The event records no {name} feature vector (details.inputs.{name}).");
            return null;
        }

        var values = new float[array.GetArrayLength()];
        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            // The service writes floats in their shortest round-trip form, so reading them as float gives the exact input.
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetSingle(out var value) || !float.IsFinite(value))
            {
                problems.Add($"details.inputs.{name}[{index}] is {item.GetRawText()}, not a finite number.");
                return null;
            }

            values[index++] = value;
        }

        return values;
    }

    private static List<RecordedOutput> ReadOutputs(JsonElement root, List<string> problems)
    {
        if (!root.TryGetProperty("outputs", out var array) || array.ValueKind != JsonValueKind.Array)
        {
            problems.Add("The event records no outputs (details.outputs), so there is nothing to compare a replay with.");
            return [];
        }

        var outputs = new List<RecordedOutput>();
        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            var therapy = item.ValueKind == JsonValueKind.Object ? Text(item, "therapy") : null;
            var probability = item.ValueKind == JsonValueKind.Object ? Number(item, "probability") : null;
            if (therapy is null || probability is null)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"details.outputs[{index}] lacks a therapy or probability: {item.GetRawText()}"));
            }
            else
            {
                outputs.Add(new RecordedOutput(therapy, probability.Value, Number(item, "ensembleMean"), Number(item, "intervalLow"), Number(item, "intervalHigh"), Text(item, "group")));
            }

            index++;
        }

        return outputs;
    }

    private static double? Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) ? number : null;
}
