using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Precision.Clinical.Catalog;
using Precision.Inference.Runtime;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.Compliance;
using Precision.Portal.Server.Predictions;

namespace Precision.Portal.Server.Compliance;

/// <summary>
/// Decision records assembled from the audit trail: the prediction event itself (inputs, sources, outputs, model), and
/// the events that followed it for the same patient — explanations of the same numbers, views, feedback, replays.
/// Opening a record and replaying it are recorded before the result is returned (fail closed).
/// </summary>
internal sealed class DecisionRecordService(
    IAuditReader reader,
    IAuditTrail audit,
    DecisionReplayer replayer,
    TherapyCatalog catalog) : IDecisionRecords
{
    /// <summary>Explanations are computed right after the prediction; this bounds how far after one is looked for.</summary>
    private static readonly TimeSpan ExplanationWindow = TimeSpan.FromHours(12);

    /// <summary>How long after the prediction later views of the patient's record are listed.</summary>
    private static readonly TimeSpan ViewWindow = TimeSpan.FromDays(7);

    /// <summary>Explained predictions are recorded rounded to 5 decimals.</summary>
    private const double ExplanationMatchTolerance = 1e-5;

    private const int RelatedPageSize = 200;

    public async Task<DecisionPage> ListAsync(DecisionQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Validate() is { Count: > 0 } problems)
        {
            throw new AuditSearchException(problems);
        }

        string[] actions = query.Kind switch
        {
            DecisionKind.Prediction => [AuditActions.PredictionCreate],
            DecisionKind.WhatIf => [AuditActions.PredictionWhatIf],
            _ => [AuditActions.PredictionCreate, AuditActions.PredictionWhatIf],
        };

        // Two newest-first keyset streams merged: the newest page-size events of both, and the cursor is the oldest shown.
        var pages = new List<AuditSearchPage>();
        foreach (var action in actions)
        {
            pages.Add(await reader.SearchAsync(query.ForAction(action), cancellationToken).ConfigureAwait(false));
        }

        var fetched = pages.SelectMany(p => p.Events).ToList();
        var shown = fetched.OrderByDescending(e => e.Sequence).Take(query.PageSize).ToList();
        var more = pages.Any(p => p.NextBeforeSequence is not null) || fetched.Count > shown.Count;
        return new DecisionPage([.. shown.Select(Summarize)], more && shown.Count > 0 ? shown[^1].Sequence : null);
    }

    public async Task<DecisionOutcome<DecisionRecord>> GetAsync(long sequence, CancellationToken cancellationToken = default)
    {
        var (decision, problem) = await FindAsync(sequence, cancellationToken).ConfigureAwait(false);
        if (decision is null)
        {
            return DecisionOutcome.NotFound<DecisionRecord>(problem!);
        }

        var receipt = await audit.RecordAsync(new AuditEntry(AuditActions.DecisionRecordView, AuditOutcome.Success, decision.PatientReference, Target(sequence),
            new JsonObject { ["decisionSequence"] = sequence, ["decisionEventId"] = decision.Id.ToString() }), cancellationToken).ConfigureAwait(false);

        var recorded = RecordedPrediction.Parse(decision.DetailsJson);
        var problems = recorded.Problems.ToList();
        if (decision.Outcome != AuditOutcome.Success)
        {
            problems.Insert(0, $"This prediction failed when it was made ({FailureMessage(decision.DetailsJson) ?? "no reason recorded"}); nothing was shown to the user and there is nothing to replay.");
        }

        var (inputs, namesFrom) = Inputs(recorded);
        var related = decision.PatientReference is { } patient
            ? await RelatedAsync(decision, patient, recorded, cancellationToken).ConfigureAwait(false)
            : new Related([], [], [], []);
        var viewers = new List<DecisionViewer> { new(decision.Sequence, decision.OccurredUtc, decision.Actor, DecisionViewKind.MadeThePrediction, decision.Target) };
        viewers.AddRange(related.Viewers);

        return DecisionOutcome.Found(new DecisionRecord(
            decision.Sequence,
            decision.Id,
            decision.OccurredUtc,
            KindOf(decision.Action),
            decision.PatientReference,
            decision.Actor,
            decision.ClientAddress,
            decision.CorrelationId,
            decision.Hash,
            new DecisionModel(recorded.ModelVersion, recorded.OnnxSha256, recorded.FeatureSchemaHash, recorded.ExecutionProvider),
            recorded.AsOf,
            recorded.PriorLines,
            recorded.WhatIf,
            inputs,
            namesFrom,
            recorded.Sources,
            [.. recorded.Outputs.OrderByDescending(o => o.Probability).Select(o => new DecisionOutput(o.TherapyId, TherapyName(o.TherapyId), o.Probability, o.EnsembleMean, o.IntervalLow, o.IntervalHigh, o.Group))],
            recorded.ApplicabilityLevel is { } level ? new DecisionApplicability(level, recorded.ApplicabilityReasons) : null,
            related.Explanations,
            viewers,
            related.Feedback,
            related.Replays,
            problems,
            PatientPredictionService.TrainingData,
            receipt));
    }

    public async Task<DecisionOutcome<ReplayResult>> ReplayAsync(long sequence, CancellationToken cancellationToken = default)
    {
        var (decision, problem) = await FindAsync(sequence, cancellationToken).ConfigureAwait(false);
        if (decision is null)
        {
            return DecisionOutcome.NotFound<ReplayResult>(problem!);
        }

        var recorded = RecordedPrediction.Parse(decision.DetailsJson);
        var computation = decision.Outcome == AuditOutcome.Success
            ? await Task.Run(() => replayer.Replay(recorded, sequence), cancellationToken).ConfigureAwait(false)
            : new ReplayComputation(ReplayVerdict.Unavailable, $"UNAVAILABLE — event #{sequence} is a prediction that failed when it was made; it has no outputs to reproduce.", [],
                recorded.ModelVersion, recorded.OnnxSha256, null, 0, null, null, []);

        var details = new JsonObject
        {
            ["decisionSequence"] = sequence,
            ["decisionEventId"] = decision.Id.ToString(),
            ["verdict"] = computation.Verdict.ToString(),
            ["headline"] = computation.Headline,
            ["modelVersion"] = computation.ModelVersion,
            ["recordedOnnxSha256"] = computation.RecordedOnnxSha256,
            ["onnxSha256"] = computation.RegistryOnnxSha256,
            ["executionProvider"] = ExecutionProviderInfo.Cpu,
            ["outputsCompared"] = computation.OutputsCompared,
            ["maxAbsoluteDifference"] = computation.MaxAbsoluteDifference,
        };
        if (computation.Largest is { } largest)
        {
            details["largest"] = new JsonObject
            {
                ["therapy"] = largest.TherapyId,
                ["output"] = largest.Output,
                ["recorded"] = largest.Recorded,
                ["replayed"] = largest.Replayed,
            };
        }

        // A replay that does not reproduce the decision is recorded as a failure, so it shows up in an outcome search.
        var receipt = await audit.RecordAsync(new AuditEntry(AuditActions.PredictionReplay,
            computation.Verdict is ReplayVerdict.Identical or ReplayVerdict.WithinTolerance ? AuditOutcome.Success : AuditOutcome.Failure,
            decision.PatientReference, Target(sequence), details), cancellationToken).ConfigureAwait(false);

        return DecisionOutcome.Found(new ReplayResult(sequence, computation.Verdict, computation.Headline, computation.Findings, computation.ModelVersion,
            computation.RecordedOnnxSha256, computation.RegistryOnnxSha256, ExecutionProviderInfo.Cpu, computation.OutputsCompared, computation.MaxAbsoluteDifference,
            computation.Largest, computation.Comparisons, receipt));
    }

    /// <summary>The audit event a decision record is about: <c>audit-event/{sequence}</c>.</summary>
    public static string Target(long sequence) => "audit-event/" + sequence.ToString(CultureInfo.InvariantCulture);

    private async Task<(AuditEvent? Decision, string? Problem)> FindAsync(long sequence, CancellationToken cancellationToken)
    {
        if (sequence <= 0)
        {
            return (null, $"{sequence} is not an audit event number: they start at 1. Open the decision from the decision list or from a prediction row of the audit search.");
        }

        var e = await reader.ReadEventAsync(sequence, cancellationToken).ConfigureAwait(false);
        if (e is null)
        {
            return (null, $"There is no audit event #{sequence}: it was never written, or retention pruning has removed it. Check the number, or find the patient's predictions in the decision list.");
        }

        if (e.Action is not (AuditActions.PredictionCreate or AuditActions.PredictionWhatIf))
        {
            return (null, $"Audit event #{sequence} is a '{e.Action}' event, not a prediction. Only prediction events ({AuditActions.PredictionCreate}, {AuditActions.PredictionWhatIf}) have decision records.");
        }

        return (e, null);
    }

    private static DecisionKind KindOf(string action) => action == AuditActions.PredictionWhatIf ? DecisionKind.WhatIf : DecisionKind.Prediction;

    private DecisionSummary Summarize(AuditEvent e)
    {
        var recorded = RecordedPrediction.Parse(e.DetailsJson);
        // The top therapy is the top candidate the page showed; a record made before the groups has none, so its highest output.
        var grouped = recorded.Outputs.Any(o => o.Group is not null);
        var top = recorded.Outputs.Where(o => !grouped || o.Group == nameof(Inference.Ranking.TherapyGroup.Candidate)).MaxBy(o => o.Probability);
        return new DecisionSummary(e.Sequence, e.Id, e.OccurredUtc, KindOf(e.Action), e.PatientReference, e.Actor, recorded.ModelVersion, recorded.ExecutionProvider,
            recorded.Outputs.Count, top is null ? null : TherapyName(top.TherapyId), top?.Probability);
    }

    /// <summary>The inputs with their names: this portal's feature schema when the recorded hash is its hash, else the recorded version's manifest.</summary>
    private (IReadOnlyList<DecisionInput> Inputs, string From) Inputs(RecordedPrediction recorded)
    {
        IReadOnlyList<(string Name, string? Group)>? clinicalNames = null, genomicNames = null;
        string from;
        if (recorded.FeatureSchemaHash is { } hash && replayer.Registry.Schema.Find(hash.ToLowerInvariant()) is { } schema)
        {
            clinicalNames = [.. schema.Clinical.Select(f => (f.Name, (string?)f.FactGroup))];
            genomicNames = [.. schema.Genomic.Select(f => (f.Name, (string?)f.FactGroup))];
            from = $"Feature schema {hash[..12]}… (v{schema.Version}) — the schema of model {recorded.ModelVersion}, one this portal's featurizer produces.";
        }
        else if (ManifestSchema(recorded) is { } manifest)
        {
            clinicalNames = [.. manifest.Clinical!.Select(n => (n, (string?)null))];
            genomicNames = [.. manifest.Genomic!.Select(n => (n, (string?)null))];
            var manifestHash = manifest.Hash ?? string.Empty;
            from = $"Feature schema {manifestHash[..Math.Min(12, manifestHash.Length)]}… from the manifest of model {recorded.ModelVersion} (not this portal's featurizer schema).";
        }
        else
        {
            from = $"Unknown: the recorded feature schema {recorded.FeatureSchemaHash ?? "(none)"} is neither this portal's nor in the manifest of model {recorded.ModelVersion ?? "(none)"} here; values are shown by position.";
        }

        var inputs = new List<DecisionInput>();
        Add("clinical", recorded.Clinical, clinicalNames);
        Add("genomic", recorded.Genomic, genomicNames);
        return (inputs, from);

        void Add(string block, float[]? values, IReadOnlyList<(string Name, string? Group)>? names)
        {
            for (var i = 0; values is not null && i < values.Length; i++)
            {
                var (name, group) = names is not null && i < names.Count ? names[i] : (string.Create(CultureInfo.InvariantCulture, $"{block} #{i + 1}"), null);
                inputs.Add(new DecisionInput(block, i, name, group, values[i]));
            }
        }
    }

    private ManifestFeatureSchema? ManifestSchema(RecordedPrediction recorded)
    {
        if (recorded.ModelVersion is not { } version || ModelRegistry.ParseVersion(version) is null || recorded.FeatureSchemaHash is not { } hash)
        {
            return null;
        }

        var path = Path.Combine(replayer.Registry.Directory, version, ModelManifest.FileName);
        try
        {
            var manifest = JsonSerializer.Deserialize<ModelManifest>(File.ReadAllBytes(path), ManifestJson);
            return manifest?.FeatureSchema is { Clinical: not null, Genomic: not null, Hash: { } h } s && string.Equals(h, hash, StringComparison.OrdinalIgnoreCase) ? s : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return null; // names are a convenience; the values are shown by position
        }
    }

    private static readonly JsonSerializerOptions ManifestJson = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true };

    private sealed record Related(IReadOnlyList<DecisionExplanation> Explanations, IReadOnlyList<DecisionViewer> Viewers, IReadOnlyList<DecisionFeedback> Feedback, IReadOnlyList<ReplayHistoryEntry> Replays);

    /// <summary>The patient's events after the prediction that concern it, found with a few bounded searches.</summary>
    private async Task<Related> RelatedAsync(AuditEvent decision, string patient, RecordedPrediction recorded, CancellationToken cancellationToken)
    {
        var after = decision.OccurredUtc;
        async Task<IReadOnlyList<AuditEvent>> Search(string action, TimeSpan? window)
        {
            var page = await reader.SearchAsync(new AuditSearchQuery
            {
                PatientReference = patient,
                Action = action,
                FromUtc = after,
                ToUtc = window is { } w ? after + w : null,
                PageSize = RelatedPageSize,
            }, cancellationToken).ConfigureAwait(false);
            return [.. page.Events.Where(e => e.Sequence > decision.Sequence).OrderBy(e => e.Sequence)];
        }

        var explanations = (await Search(AuditActions.PredictionExplain, ExplanationWindow).ConfigureAwait(false))
            .Where(e => e.Outcome == AuditOutcome.Success)
            .Select(e => Explanation(e, decision, recorded))
            .OfType<DecisionExplanation>()
            .Take(5)
            .ToList();

        var feedback = (await Search(AuditActions.PredictionFeedback, null).ConfigureAwait(false))
            .Select(e => Feedback(e, decision, recorded))
            .OfType<DecisionFeedback>()
            .ToList();

        var viewers = new List<DecisionViewer>();
        viewers.AddRange((await Search(AuditActions.PatientView, ViewWindow).ConfigureAwait(false))
            .Where(e => e.Outcome == AuditOutcome.Success)
            .Select(e => new DecisionViewer(e.Sequence, e.OccurredUtc, e.Actor, DecisionViewKind.ViewedPatientRecord, e.Target)));
        viewers.AddRange((await Search(AuditActions.DecisionRecordView, null).ConfigureAwait(false))
            .Where(e => e.Target == Target(decision.Sequence))
            .Select(e => new DecisionViewer(e.Sequence, e.OccurredUtc, e.Actor, DecisionViewKind.OpenedDecisionRecord, e.Target)));

        var replayEvents = (await Search(AuditActions.PredictionReplay, null).ConfigureAwait(false)).Where(e => e.Target == Target(decision.Sequence)).ToList();
        viewers.AddRange(replayEvents.Select(e => new DecisionViewer(e.Sequence, e.OccurredUtc, e.Actor, DecisionViewKind.Replayed, e.Target)));
        var replays = replayEvents.Select(e =>
        {
            var node = ParseObject(e.DetailsJson);
            var verdict = Enum.TryParse<ReplayVerdict>(node?["verdict"]?.GetValue<string>(), out var v) ? v : (ReplayVerdict?)null;
            return new ReplayHistoryEntry(e.Sequence, e.OccurredUtc, e.Actor, verdict, node?["headline"]?.GetValue<string>());
        }).ToList();

        return new Related(explanations, [.. viewers.OrderBy(v => v.Sequence)], feedback, replays);
    }

    /// <summary>An explanation of this decision: same model, same kind, and every explained prediction is one of its recorded outputs.</summary>
    private DecisionExplanation? Explanation(AuditEvent e, AuditEvent decision, RecordedPrediction recorded)
    {
        if (ParseObject(e.DetailsJson) is not { } node || Text(node, "modelVersion") != recorded.ModelVersion
            || (Text(node, "onnxSha256") is { } sha && recorded.OnnxSha256 is { } recordedSha && !string.Equals(sha, recordedSha, StringComparison.OrdinalIgnoreCase))
            || (node["whatIf"] is JsonValue whatIf && whatIf.TryGetValue<bool>(out var isWhatIf) && isWhatIf != (decision.Action == AuditActions.PredictionWhatIf))
            || node["therapies"] is not JsonArray therapies || node["players"] is not JsonArray players)
        {
            return null;
        }

        var names = players.Select(p => p?.GetValue<string>() ?? "?").ToList();
        var explained = new List<ExplainedTherapy>();
        foreach (var t in therapies.OfType<JsonObject>())
        {
            var id = Text(t, "therapy");
            var output = recorded.Outputs.FirstOrDefault(o => o.TherapyId == id);
            if (id is null || output is null || !Number(t, "prediction", out var prediction) || Math.Abs(prediction - output.Probability) > ExplanationMatchTolerance)
            {
                return null; // explains other numbers: another prediction of this patient
            }

            Number(t, "baseline", out var baseline);
            var contributions = t["contributions"] is JsonArray values
                ? values.Select((v, i) => new FactorContribution(i < names.Count ? names[i] : $"factor {i + 1}", v is JsonValue n && n.TryGetValue<double>(out var d) ? d : 0))
                : [];
            explained.Add(new ExplainedTherapy(id, TherapyName(id), baseline, prediction, [.. contributions.OrderByDescending(c => Math.Abs(c.Contribution)).Take(5)]));
        }

        return explained.Count == 0 ? null : new DecisionExplanation(e.Sequence, e.OccurredUtc, e.Actor, Text(node, "method"), explained);
    }

    private DecisionFeedback? Feedback(AuditEvent e, AuditEvent decision, RecordedPrediction recorded)
    {
        if (ParseObject(e.DetailsJson) is not { } node || Text(node, "therapy") is not { } therapy)
        {
            return null;
        }

        var about = string.Equals(Text(node, "predictionAuditId"), decision.Id.ToString(), StringComparison.OrdinalIgnoreCase);
        if (!about && Text(node, "modelVersion") != recorded.ModelVersion)
        {
            return null;
        }

        var agrees = node["agrees"] is JsonValue a && a.TryGetValue<bool>(out var value) && value;
        return new DecisionFeedback(e.Sequence, e.OccurredUtc, e.Actor, therapy, TherapyName(therapy), agrees, Text(node, "reason"), Text(node, "comment"), about);
    }

    private static string? FailureMessage(string? json) => ParseObject(json) is { } node ? Text(node, "message") : null;

    private static JsonObject? ParseObject(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(json) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonObject node, string name) => node[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static bool Number(JsonObject node, string name, out double value)
    {
        value = 0;
        return node[name] is JsonValue v && v.TryGetValue(out value);
    }

    private string TherapyName(string id) => catalog.Therapies.FirstOrDefault(t => t.Id == id)?.DisplayName ?? id;
}
