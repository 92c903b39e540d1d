using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Precision.Clinical.Catalog;
using Precision.Inference.Runtime;
using Precision.Portal.Client.Compliance;

namespace Precision.Portal.Server.Compliance;

/// <summary>What a replay computed, before it is recorded.</summary>
internal sealed record ReplayComputation(
    ReplayVerdict Verdict,
    string Headline,
    IReadOnlyList<string> Findings,
    string? ModelVersion,
    string? RecordedOnnxSha256,
    string? RegistryOnnxSha256,
    int OutputsCompared,
    double? MaxAbsoluteDifference,
    ReplayDifference? Largest,
    IReadOnlyList<ReplayComparison> Comparisons);

/// <summary>
/// Re-runs a recorded prediction: the recorded model version, loaded and checked by the <see cref="ModelRegistry"/> (any
/// version in the model directory, not only the served one), on the recorded clinical and genomic vectors for the recorded
/// therapies, on the CPU — then compares every recorded output. Sessions are kept in a small <see cref="ReplayRuntimeCache"/>.
/// </summary>
internal sealed class DecisionReplayer : IDisposable
{
    /// <summary>Model versions whose sessions stay open between replays.</summary>
    public const int CachedVersions = 2;

    private readonly ModelRegistry _registry;
    private readonly TherapyCatalog _catalog;
    private readonly ReplayRuntimeCache _cache;
    private readonly ILogger _logger;

    public DecisionReplayer(ModelRegistry registry, EfficacyModelOptions served, TherapyCatalog catalog, ILogger<DecisionReplayer> logger)
    {
        ArgumentNullException.ThrowIfNull(served);
        _registry = registry;
        _catalog = catalog;
        _logger = logger;
        // The CPU: the provider every portal has, and the one the served model falls back to. The served batch size keeps
        // the chunking of the original run.
        _cache = new ReplayRuntimeCache(
            new EfficacyModelOptions { ExecutionProvider = ExecutionProviderPreference.Cpu, IntraOpThreads = 1, BatchSize = served.BatchSize },
            CachedVersions,
            logger);
    }

    public ModelRegistry Registry => _registry;

    /// <summary>Sessions open now.</summary>
    public int OpenSessions => _cache.OpenCount;

    public ReplayComputation Replay(RecordedPrediction recorded, long sequence)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        if (!recorded.IsReplayable)
        {
            return Unavailable(recorded, $"Event #{sequence} cannot be replayed: it does not hold what a replay needs. {string.Join(" ", recorded.Problems)}", recorded.Problems, null);
        }

        var version = recorded.ModelVersion!;
        if (ModelRegistry.ParseVersion(version) is null)
        {
            return Unavailable(recorded, $"Event #{sequence} records model version '{version}', which is not a version (MAJOR.MINOR.PATCH), so no model can be loaded for it.", [], null);
        }

        var present = _registry.PresentVersions();
        if (!present.Contains(version, StringComparer.Ordinal))
        {
            return Unavailable(recorded,
                $"Model {version}, which made this prediction, is no longer in {_registry.Directory} (it holds {(present.Count == 0 ? "no model version" : string.Join(", ", present))}). "
                + $"Restore the folder {version} (manifest.json, model.onnx and the files beside them) from the repository history or the model archive, then replay again; until then this decision cannot be reproduced.",
                [], null);
        }

        var check = _registry.Verify(version);
        if (check.Model is not { } model)
        {
            return Unavailable(recorded,
                $"Model {version} is in {check.Directory} but fails its checks, so it is not run: {string.Join(" ", check.Problems)} "
                + $"Restore the folder exactly as released (git checkout -- {ModelRegistry.DefaultRelativePath}/{version}), then replay again.",
                check.Problems, null);
        }

        var findings = new List<string>();
        var mismatch = false;
        var hashDiffers = !string.Equals(recorded.OnnxSha256, model.OnnxSha256, StringComparison.OrdinalIgnoreCase);
        if (hashDiffers)
        {
            mismatch = true;
            findings.Add(recorded.OnnxSha256 is null
                ? $"The event records no ONNX hash, so it cannot be shown that the model file of {version} here ({model.OnnxSha256}) made this prediction."
                : $"MODEL FILE DIFFERS: the event records ONNX SHA-256 {recorded.OnnxSha256}, but model {version} here is {model.OnnxSha256}. The version folder was replaced after the prediction "
                  + "(retrained under the same version number, or a wrong file restored), so this replay does not reproduce the recorded model even where the numbers agree. Find the released file with the recorded hash.");
        }

        if (!string.Equals(recorded.FeatureSchemaHash, model.Schema.Hash, StringComparison.OrdinalIgnoreCase))
        {
            mismatch = true;
            findings.Add($"FEATURE SCHEMA DIFFERS: the event records feature schema {recorded.FeatureSchemaHash ?? "(none)"}, model {version} here takes {model.Schema.Hash}; the recorded vectors mean something else to this model.");
        }

        var clinical = recorded.Clinical!;
        var genomic = recorded.Genomic!;
        if (clinical.Length != model.Schema.Clinical.Count || genomic.Length != model.Schema.Genomic.Count)
        {
            findings.Insert(0, $"The event records {clinical.Length} clinical and {genomic.Length} genomic values, but model {version} takes {model.Schema.Clinical.Count} and {model.Schema.Genomic.Count}: these inputs cannot have been fed to it.");
            return Result(ReplayVerdict.Mismatch, $"MISMATCH — the recorded inputs do not fit model {version}.", findings, recorded, model, 0, null, null, []);
        }

        var therapyIndex = model.Schema.TherapyIds.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i, StringComparer.Ordinal);
        var unknown = recorded.Outputs.Where(o => !therapyIndex.ContainsKey(o.TherapyId)).Select(o => o.TherapyId).ToList();
        if (unknown.Count > 0)
        {
            mismatch = true;
            findings.Add($"The event records outputs for therapies model {version} does not predict: {string.Join(", ", unknown)}.");
        }

        var missing = model.Schema.TherapyIds.Except(recorded.Outputs.Select(o => o.TherapyId), StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            mismatch = true;
            findings.Add($"The event lacks outputs for {missing.Count} of the model's {model.Schema.TherapyIds.Count} therapies ({string.Join(", ", missing)}); every prediction records all of them, so outputs were removed.");
        }

        var rows = recorded.Outputs.Where(o => therapyIndex.ContainsKey(o.TherapyId)).ToList();
        if (rows.Count == 0)
        {
            return Result(ReplayVerdict.Mismatch, $"MISMATCH — none of the recorded therapies is one model {version} predicts.", findings, recorded, model, 0, null, null, []);
        }

        var (lease, error) = _cache.Acquire(model);
        if (lease is null)
        {
            return Unavailable(recorded, $"Model {version} could not be opened on the CPU for the replay: {error}", [], model);
        }

        double[] probability;
        double[][] members;
        using (lease)
        {
            try
            {
                (probability, members) = Run(lease.Runtime, clinical, genomic, rows.Select(r => therapyIndex[r.TherapyId]).ToList());
            }
            catch (OnnxRuntimeException ex)
            {
                return Unavailable(recorded, $"Model {version} failed on the CPU while replaying ({ex.Message}). Try again; if it persists, tell your administrator.", [], model);
            }
        }

        var differences = new List<ReplayDifference>();
        var comparisons = new List<ReplayComparison>();
        for (var row = 0; row < rows.Count; row++)
        {
            var r = rows[row];
            var name = TherapyName(r.TherapyId);
            var m = members[row];
            var own = new List<ReplayDifference> { new(r.TherapyId, name, "probability", r.Probability, probability[row]) };
            // The same arithmetic as EfficacyPredictor: members as doubles, their mean, lowest and highest.
            Compare(own, r.TherapyId, name, "ensembleMean", r.EnsembleMean, m.Average());
            Compare(own, r.TherapyId, name, "intervalLow", r.IntervalLow, m.Min());
            Compare(own, r.TherapyId, name, "intervalHigh", r.IntervalHigh, m.Max());
            differences.AddRange(own);
            comparisons.Add(new ReplayComparison(r.TherapyId, name, r.Probability, probability[row], own.Max(d => d.AbsoluteDifference)));
        }

        var largest = differences.MaxBy(d => d.AbsoluteDifference)!;
        var max = largest.AbsoluteDifference;
        var over = differences.Where(d => d.AbsoluteDifference > ReplayResult.Tolerance).ToList();
        if (over.Count > 0)
        {
            mismatch = true;
            findings.Insert(0, string.Create(CultureInfo.InvariantCulture,
                $"OUTPUTS DIFFER — {largest.Output} of {largest.TherapyName}: recorded {largest.Recorded:R}, replayed {largest.Replayed:R}. ")
                + "Either the recorded inputs or outputs were changed after the event was written, or the model does not compute what was recorded. Verify the audit chain on the Compliance page and escalate.");
        }

        if (!string.Equals(recorded.ExecutionProvider, ExecutionProviderInfo.Cpu, StringComparison.Ordinal) && recorded.ExecutionProvider is not null)
        {
            findings.Add($"Recorded on {recorded.ExecutionProvider}, replayed on the CPU: tiny floating-point differences between providers are expected and tolerated up to {ReplayResult.Tolerance.ToString("0e0", CultureInfo.InvariantCulture)}.");
        }

        string headline;
        ReplayVerdict verdict;
        if (mismatch)
        {
            verdict = ReplayVerdict.Mismatch;
            headline = "MISMATCH — " + MismatchSummary(over, differences.Count, largest, hashDiffers, version);
            _logger.LogWarning("Replay of audit event {Sequence} (model {Version}) found a mismatch: {Finding}", sequence, version, findings[0]);
        }
        else if (max == 0)
        {
            verdict = ReplayVerdict.Identical;
            headline = $"Identical: model {version} (the recorded file, SHA-256 {model.OnnxSha256[..12]}…) re-run on the CPU gives every one of the {differences.Count} recorded outputs bit for bit.";
        }
        else
        {
            verdict = ReplayVerdict.WithinTolerance;
            headline = string.Create(CultureInfo.InvariantCulture,
                $"Match within tolerance: all {differences.Count} recorded outputs within {ReplayResult.Tolerance:0e0} of the replay on model {version} (the recorded file); the largest difference is {max:G3} ({largest.Output} of {largest.TherapyName}).");
        }

        return Result(verdict, headline, findings, recorded, model, differences.Count, max, largest, comparisons);
    }

    public void Dispose() => _cache.Dispose();

    /// <summary>One batched run over the recorded therapies, as <see cref="EfficacyPredictor"/> runs a patient.</summary>
    private static (double[] Probability, double[][] Members) Run(EfficacyModelRuntime runtime, float[] clinical, float[] genomic, List<int> therapies)
    {
        int rows = therapies.Count, c = runtime.ClinicalWidth, g = runtime.GenomicWidth, t = runtime.TherapyWidth, m = runtime.MemberCount;
        var clinicalRows = new float[rows * c];
        var genomicRows = new float[rows * g];
        var therapyRows = new float[rows * t];
        for (var row = 0; row < rows; row++)
        {
            clinical.CopyTo(clinicalRows, row * c);
            genomic.CopyTo(genomicRows, row * g);
            therapyRows[(row * t) + therapies[row]] = 1f;
        }

        var probability = new float[rows];
        var members = new float[rows * m];
        var embedding = new float[rows * runtime.EmbeddingWidth];
        runtime.Run(clinicalRows, genomicRows, therapyRows, probability, members, embedding);
        return (
            [.. probability.Select(p => (double)p)],
            [.. Enumerable.Range(0, rows).Select(row => members.AsSpan(row * m, m).ToArray().Select(v => (double)v).ToArray())]);
    }

    private static void Compare(List<ReplayDifference> into, string therapy, string name, string output, double? recorded, double replayed)
    {
        if (recorded is { } value)
        {
            into.Add(new ReplayDifference(therapy, name, output, value, replayed));
        }
    }

    /// <summary>The reason that matters most, in one sentence; the findings carry the detail.</summary>
    private static string MismatchSummary(List<ReplayDifference> over, int compared, ReplayDifference largest, bool hashDiffers, string version)
    {
        var file = hashDiffers ? $" Also, the model file of {version} here is not the one the event records." : string.Empty;
        if (over.Count > 0)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"OUTPUTS DIFFER: {over.Count} of {compared} recorded outputs differ from the replay by more than {ReplayResult.Tolerance:0e0}; the largest is {largest.Output} of {largest.TherapyName} (difference {largest.AbsoluteDifference:G3}).") + file;
        }

        return hashDiffers
            ? $"MODEL FILE DIFFERS: the ONNX file of model {version} here is not the one the event records, although every output agrees; this replay does not prove the recorded model made the decision."
            : "the recorded decision does not fit the model (see below).";
    }

    private string TherapyName(string id) => _catalog.Therapies.FirstOrDefault(t => t.Id == id)?.DisplayName ?? id;

    private ReplayComputation Unavailable(RecordedPrediction recorded, string headline, IReadOnlyList<string> findings, VerifiedModel? model)
    {
        _logger.LogWarning("A replay could not run: {Reason}", headline);
        return Result(ReplayVerdict.Unavailable, "UNAVAILABLE — " + headline, findings, recorded, model, 0, null, null, []);
    }

    private static ReplayComputation Result(ReplayVerdict verdict, string headline, IReadOnlyList<string> findings, RecordedPrediction recorded, VerifiedModel? model, int compared, double? max, ReplayDifference? largest, IReadOnlyList<ReplayComparison> comparisons) =>
        new(verdict, headline, findings, recorded.ModelVersion, recorded.OnnxSha256, model?.OnnxSha256, compared, max, largest, comparisons);
}
