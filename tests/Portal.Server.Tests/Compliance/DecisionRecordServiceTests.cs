using System.Security.Claims;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Precision.Clinical;
using Precision.Clinical.Catalog;
using Precision.Clinical.WhatIf;
using Precision.Inference.Evidence;
using Precision.Inference.Explanations;
using Precision.Inference.Features;
using Precision.Inference.Runtime;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.Compliance;
using Precision.Portal.Client.Patients;
using Precision.Portal.Client.Predictions;
using Precision.Portal.Server.Audit;
using Precision.Portal.Server.Compliance;
using Precision.Portal.Server.Predictions;
using Precision.Portal.Testing;

namespace Precision.Portal.Server.Tests.Compliance;

/// <summary>
/// One real portal for the class: the committed models copied to a folder the tests may damage, served on the CPU by the
/// real ONNX Runtime, and the real SQLite audit trail.
/// </summary>
public sealed class DecisionRecordPortal : IAsyncLifetime
{
    public string ModelDirectory { get; } = Path.Combine(Path.GetTempPath(), "precision-portal-models", Guid.NewGuid().ToString("N"));

    public PortalTestHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        foreach (var version in new[] { "1.0.0", "1.1.0" })
        {
            var target = Path.Combine(ModelDirectory, version);
            Directory.CreateDirectory(target);
            foreach (var file in Directory.EnumerateFiles(Path.Combine(RepositoryRoot.Path, "models", "efficacy", version)))
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            }
        }

        var options = new PortalTestHostOptions();
        options.Settings["Model:Directory"] = ModelDirectory;
        options.Settings["Model:ExecutionProvider"] = "Cpu";
        Host = await PortalTestHost.StartAsync(options);
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        Directory.Delete(ModelDirectory, recursive: true);
    }
}

/// <summary>Decision records and replay on the real portal: predictions recorded through the clinician's prediction service, replayed by compliance.</summary>
public sealed class DecisionRecordServiceTests(DecisionRecordPortal portal) : IClassFixture<DecisionRecordPortal>
{
    private PortalTestHost Host => portal.Host;

    private IAuditReader Reader => Host.Services.GetRequiredService<IAuditReader>();

    [Fact]
    public async Task A_recorded_prediction_replays_identically_and_its_record_holds_inputs_sources_outputs_explanation_viewers_and_feedback()
    {
        PatientPredictions prediction;
        AuditReceipt explained;
        AuditReceipt feedback;
        await using (var clinician = Scope("clinician-1", "Dr. Test", "clinician"))
        {
            var predictions = clinician.ServiceProvider.GetRequiredService<IPatientPredictions>();
            var profile = await ProfileAsync(clinician, p => p.Variants.Count > 0);
            prediction = (await predictions.PredictAsync(profile, null)).Value!;
            var top = prediction.TopCandidate!;
            explained = (await predictions.ExplainAsync(profile, null, [top.TherapyId])).Value!.Audit;
            feedback = await predictions.RecordFeedbackAsync(new PredictionFeedback(profile.PatientId, top.TherapyId, prediction.Audit.EventId, true, null, "Fits the tumour board's view."));
        }

        await using var compliance = Scope("compliance-1", "Ms. Compliance", "compliance");
        var records = compliance.ServiceProvider.GetRequiredService<IDecisionRecords>();
        var sequence = prediction.Audit.Sequence;

        var record = (await records.GetAsync(sequence)).Value!;

        var details = JsonNode.Parse((await Reader.ReadEventAsync(sequence))!.DetailsJson!)!;
        // Model 1.1.0 is served here: its inputs are named from its own (earlier) feature layout, V1.
        var schema = Host.Services.GetRequiredService<ModelRegistry>().Schema.Find(record.Model.FeatureSchemaHash)!;
        Assert.Equal(FeatureLayout.V1, schema.Layout);
        Assert.Equal(DecisionKind.Prediction, record.Kind);
        Assert.Equal("Patient/" + prediction.PatientId, record.PatientReference);
        Assert.Equal("clinician-1", record.User.Subject);
        Assert.Equal(prediction.Model.Version, record.Model.Version);
        Assert.Equal(prediction.Model.OnnxSha256, record.Model.OnnxSha256);
        Assert.Equal(schema.Hash, record.Model.FeatureSchemaHash);
        Assert.Equal("CPU", record.Model.ExecutionProvider);
        Assert.Equal(schema.Clinical.Concat(schema.Genomic).Select(f => f.Name), record.Inputs.Select(i => i.Name));
        Assert.Equal(
            details["inputs"]!["clinical"]!.AsArray().Concat(details["inputs"]!["genomic"]!.AsArray()).Select(v => v!.GetValue<float>()),
            record.Inputs.Select(i => i.Value));
        Assert.Contains(record.Sources, s => s.StartsWith("Patient/" + prediction.PatientId, StringComparison.Ordinal));
        Assert.Equal(details["inputs"]!["sources"]!.AsArray().Count, record.Sources.Count);
        Assert.Equal(prediction.Therapies.OrderByDescending(t => t.Probability).Select(t => (t.TherapyId, t.Probability)), record.Outputs.Select(o => (o.TherapyId, o.Probability)));
        // Every output is kept, each with the group the page showed it in.
        Assert.Equal(prediction.Therapies.Select(t => (t.TherapyId, (string?)t.Group.ToString())).Order(), record.Outputs.Select(o => (o.TherapyId, o.Group)).Order());
        Assert.Empty(record.RecordProblems);
        Assert.Contains("research use only", record.TrainingData, StringComparison.Ordinal);

        var explanation = Assert.Single(record.Explanations);
        Assert.Equal(explained.Sequence, explanation.Sequence);
        Assert.Equal(prediction.TopCandidate!.TherapyId, Assert.Single(explanation.Therapies).TherapyId);
        Assert.NotEmpty(explanation.Therapies[0].TopFactors);
        Assert.Contains(record.Viewers, v => v.Kind == DecisionViewKind.MadeThePrediction && v.User.Subject == "clinician-1");
        Assert.Contains(record.Viewers, v => v.Kind == DecisionViewKind.OpenedDecisionRecord && v.User.Subject == "compliance-1" && v.Sequence == record.ViewAudit.Sequence);
        var given = Assert.Single(record.Feedback, f => f.Sequence == feedback.Sequence);
        Assert.True(given.AboutThisDecision);
        Assert.True(given.Agrees);

        var view = (await Reader.ReadEventAsync(record.ViewAudit.Sequence))!;
        Assert.Equal(AuditActions.DecisionRecordView, view.Action);
        Assert.Equal(record.PatientReference, view.PatientReference);

        // Replay: the recorded version, on the recorded vectors, on the CPU — bit for bit.
        var replay = (await records.ReplayAsync(sequence)).Value!;

        Assert.True(replay.Verdict == ReplayVerdict.Identical, replay.Headline + " " + string.Join(" ", replay.Findings));
        Assert.Equal(prediction.Therapies.Count * 4, replay.OutputsCompared);
        Assert.Equal(0, replay.MaxAbsoluteDifference);
        Assert.Equal(prediction.Model.OnnxSha256, replay.RegistryOnnxSha256);
        Assert.All(replay.Comparisons, c => Assert.Equal(c.RecordedProbability, c.ReplayedProbability));
        var replayed = (await Reader.ReadEventAsync(replay.Audit.Sequence))!;
        Assert.Equal(AuditActions.PredictionReplay, replayed.Action);
        Assert.Equal(AuditOutcome.Success, replayed.Outcome);
        Assert.Equal("audit-event/" + sequence, replayed.Target);
        Assert.Equal("Identical", JsonNode.Parse(replayed.DetailsJson!)!["verdict"]!.GetValue<string>());

        // A second replay reuses the open session; the record now lists the replay.
        Assert.Equal(ReplayVerdict.Identical, (await records.ReplayAsync(sequence)).Value!.Verdict);
        Assert.InRange(Host.Services.GetRequiredService<DecisionReplayer>().OpenSessions, 1, DecisionReplayer.CachedVersions);
        var again = (await records.GetAsync(sequence)).Value!;
        Assert.Equal(2, again.Replays.Count);
        Assert.All(again.Replays, r => Assert.Equal(ReplayVerdict.Identical, r.Verdict));
    }

    [Fact]
    public async Task Predictions_and_what_ifs_are_listed_newest_first_filtered_and_paged_and_a_what_if_replays_identically()
    {
        long created, whatIf;
        string patient;
        await using (var clinician = Scope("clinician-2", "Dr. List", "clinician"))
        {
            var predictions = clinician.ServiceProvider.GetRequiredService<IPatientPredictions>();
            var profile = await ProfileAsync(clinician, p => p.Ecog is not null);
            patient = "Patient/" + profile.PatientId;
            created = (await predictions.PredictAsync(profile, null)).Value!.Audit.Sequence;
            whatIf = (await predictions.PredictAsync(profile, new WhatIfScenario { Ecog = profile.Ecog!.Score == 3 ? 1 : 3 })).Value!.Audit.Sequence;
        }

        await using var compliance = Scope("compliance-1", "Ms. Compliance", "compliance");
        var records = compliance.ServiceProvider.GetRequiredService<IDecisionRecords>();

        var both = await records.ListAsync(new DecisionQuery { Patient = patient });
        Assert.Equal(new[] { whatIf, created }, both.Decisions.Take(2).Select(d => d.Sequence));
        Assert.Equal(new[] { DecisionKind.WhatIf, DecisionKind.Prediction }, both.Decisions.Take(2).Select(d => d.Kind));
        Assert.All(both.Decisions, d => Assert.Equal(patient, d.PatientReference));
        Assert.Equal("1.1.0", both.Decisions[0].ModelVersion);
        Assert.Equal(22, both.Decisions[0].TherapyCount);

        // The id alone works as the patient filter; kind and model version filter; pages of one follow the keyset.
        var first = await records.ListAsync(new DecisionQuery { Patient = patient["Patient/".Length..], PageSize = 1 });
        Assert.Equal(whatIf, Assert.Single(first.Decisions).Sequence);
        Assert.Equal(whatIf, first.NextBeforeSequence);
        var second = await records.ListAsync(new DecisionQuery { Patient = patient, PageSize = 1, BeforeSequence = first.NextBeforeSequence });
        Assert.Equal(created, Assert.Single(second.Decisions).Sequence);
        Assert.Equal(new[] { whatIf }, (await records.ListAsync(new DecisionQuery { Patient = patient, Kind = DecisionKind.WhatIf })).Decisions.Select(d => d.Sequence).Take(1));
        Assert.Empty((await records.ListAsync(new DecisionQuery { Patient = patient, ModelVersion = "1.0.0" })).Decisions);
        var bad = await Assert.ThrowsAsync<AuditSearchException>(() => records.ListAsync(new DecisionQuery { FromUtc = DateTimeOffset.UtcNow, ToUtc = DateTimeOffset.UtcNow.AddDays(-1) }));
        Assert.Contains("must be before its end", bad.Message, StringComparison.Ordinal);

        var record = (await records.GetAsync(whatIf)).Value!;
        Assert.Equal(DecisionKind.WhatIf, record.Kind);
        Assert.Contains("ECOG", Assert.Single(record.WhatIfChanges), StringComparison.Ordinal);
        var replay = (await records.ReplayAsync(whatIf)).Value!;
        Assert.True(replay.Verdict == ReplayVerdict.Identical, replay.Headline);
    }

    [Fact]
    public async Task Changing_a_recorded_input_in_the_stored_event_makes_the_replay_a_loud_mismatch_and_breaks_the_chain_there()
    {
        var prediction = await PredictAsync("clinician-3", p => p.Variants.Count > 0);
        var sequence = prediction.Audit.Sequence;

        // Someone with file access edits the stored event: the patient's age (first clinical feature) one and a half decades higher.
        var database = Path.Combine(Host.DataDirectory, "audit.db");
        await using (var connection = new SqliteConnection($"Data Source={database};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var read = connection.CreateCommand();
            read.CommandText = "SELECT details_json FROM audit_event WHERE sequence = $s";
            read.Parameters.AddWithValue("$s", sequence);
            var details = JsonNode.Parse((string)(await read.ExecuteScalarAsync())!)!;
            var clinical = details["inputs"]!["clinical"]!.AsArray();
            Assert.Equal("age_decades", Host.Services.GetRequiredService<ModelRegistry>().Schema.Clinical[0].Name);
            clinical[0] = clinical[0]!.GetValue<float>() + 1.5f;
            await using var write = connection.CreateCommand();
            write.CommandText = "DROP TRIGGER audit_event_no_update; UPDATE audit_event SET details_json = $d WHERE sequence = $s;";
            write.Parameters.AddWithValue("$d", details.ToJsonString());
            write.Parameters.AddWithValue("$s", sequence);
            await write.ExecuteNonQueryAsync();
        }

        await using var compliance = Scope("compliance-1", "Ms. Compliance", "compliance");
        var replay = (await compliance.ServiceProvider.GetRequiredService<IDecisionRecords>().ReplayAsync(sequence)).Value!;

        Assert.Equal(ReplayVerdict.Mismatch, replay.Verdict);
        Assert.StartsWith("MISMATCH", replay.Headline, StringComparison.Ordinal);
        var largest = replay.Largest!;
        Assert.Contains($"OUTPUTS DIFFER — {largest.Output} of {largest.TherapyName}", replay.Findings[0], StringComparison.Ordinal);
        Assert.True(largest.AbsoluteDifference > ReplayResult.Tolerance);
        Assert.Equal(replay.MaxAbsoluteDifference, largest.AbsoluteDifference);
        Assert.Contains(largest.TherapyName, replay.Headline, StringComparison.Ordinal);
        Assert.Equal(prediction.Model.OnnxSha256, replay.RegistryOnnxSha256);
        var recorded = (await Reader.ReadEventAsync(replay.Audit.Sequence))!;
        Assert.Equal(AuditOutcome.Failure, recorded.Outcome);
        Assert.Equal("Mismatch", JsonNode.Parse(recorded.DetailsJson!)!["verdict"]!.GetValue<string>());

        // The chain names the same event: two independent checks agree.
        var verification = await Reader.VerifyChainAsync();
        Assert.False(verification.IsValid);
        Assert.Equal(sequence, verification.FirstBrokenSequence);
    }

    [Fact]
    public async Task A_recorded_output_unlike_the_model_is_a_mismatch_and_another_model_file_hash_is_a_mismatch_even_when_every_number_agrees()
    {
        var prediction = await PredictAsync("clinician-4", p => p.Variants.Count > 0);
        var original = JsonNode.Parse((await Reader.ReadEventAsync(prediction.Audit.Sequence))!.DetailsJson!)!.AsObject();

        // An event whose fourth output was recorded 0.001 higher than the model gives.
        var changedOutput = original.DeepClone().AsObject();
        var output = changedOutput["outputs"]!.AsArray()[3]!;
        var therapy = output["therapy"]!.GetValue<string>();
        output["probability"] = output["probability"]!.GetValue<double>() + 0.001;
        // And one that names the 1.0.0 model file for 1.1.0's numbers.
        var otherFile = original.DeepClone().AsObject();
        otherFile["onnxSha256"] = "3900a5e7ff3bf6bb640858d90554954d5e87d257112bb61c4261b6b6c5c811db";

        // And one as a portal serving on CUDA would record it: a provider's rounding, well under the tolerance.
        var onCuda = original.DeepClone().AsObject();
        onCuda["executionProvider"] = "CUDA (device 0)";
        var rounded = onCuda["outputs"]!.AsArray()[5]!;
        rounded["probability"] = rounded["probability"]!.GetValue<double>() + 4e-7;

        long changedOutputEvent, otherFileEvent, onCudaEvent;
        await using (var clinician = Scope("clinician-4", "Dr. Four", "clinician"))
        {
            var trail = clinician.ServiceProvider.GetRequiredService<IAuditTrail>();
            var patient = "Patient/" + prediction.PatientId;
            changedOutputEvent = (await trail.RecordAsync(new AuditEntry(AuditActions.PredictionCreate, AuditOutcome.Success, patient, "efficacy-model", changedOutput))).Sequence;
            otherFileEvent = (await trail.RecordAsync(new AuditEntry(AuditActions.PredictionCreate, AuditOutcome.Success, patient, "efficacy-model", otherFile))).Sequence;
            onCudaEvent = (await trail.RecordAsync(new AuditEntry(AuditActions.PredictionCreate, AuditOutcome.Success, patient, "efficacy-model", onCuda))).Sequence;
        }

        await using var compliance = Scope("compliance-1", "Ms. Compliance", "compliance");
        var records = compliance.ServiceProvider.GetRequiredService<IDecisionRecords>();

        var outputs = (await records.ReplayAsync(changedOutputEvent)).Value!;
        Assert.Equal(ReplayVerdict.Mismatch, outputs.Verdict);
        Assert.Equal(therapy, outputs.Largest!.TherapyId);
        Assert.Equal("probability", outputs.Largest.Output);
        Assert.Equal(0.001, outputs.Largest.AbsoluteDifference, 9);
        Assert.Single(outputs.Comparisons, c => c.MaxDifference > ReplayResult.Tolerance);

        var file = (await records.ReplayAsync(otherFileEvent)).Value!;
        Assert.Equal(ReplayVerdict.Mismatch, file.Verdict);
        Assert.Equal(0, file.MaxAbsoluteDifference);
        Assert.Contains("MODEL FILE DIFFERS", file.Headline, StringComparison.Ordinal);
        Assert.Equal(prediction.Model.OnnxSha256, file.RegistryOnnxSha256);

        var tolerated = (await records.ReplayAsync(onCudaEvent)).Value!;
        Assert.True(tolerated.Verdict == ReplayVerdict.WithinTolerance, tolerated.Headline);
        Assert.Equal(4e-7, tolerated.MaxAbsoluteDifference!.Value, 9);
        Assert.StartsWith("Match within tolerance", tolerated.Headline, StringComparison.Ordinal);
        Assert.Contains(tolerated.Findings, f => f.StartsWith("Recorded on CUDA (device 0), replayed on the CPU", StringComparison.Ordinal));
        Assert.Equal(AuditOutcome.Success, (await Reader.ReadEventAsync(tolerated.Audit.Sequence))!.Outcome);
    }

    [Fact]
    public async Task A_prediction_that_failed_when_it_was_made_opens_with_the_reason_and_is_not_replayed()
    {
        long failed;
        await using (var clinician = Scope("clinician-7", "Dr. Seven", "clinician"))
        {
            var predictions = clinician.ServiceProvider.GetRequiredService<IPatientPredictions>();
            var empty = new PatientProfile("empty-7", new PatientDemographics("Nobody", null, null, AdministrativeSex.Unknown, null, null, new SourceReference("Patient", "empty-7")),
                [], null, null, null, [], [], [], [], [], null, null, null, null, null, [], []);
            Assert.Null((await predictions.PredictAsync(empty, null)).Value);
            failed = (await Reader.SearchAsync(new AuditSearchQuery { PatientReference = "Patient/empty-7", Action = AuditActions.PredictionCreate })).Events.Single().Sequence;
        }

        await using var compliance = Scope("compliance-1", "Ms. Compliance", "compliance");
        var records = compliance.ServiceProvider.GetRequiredService<IDecisionRecords>();

        var record = (await records.GetAsync(failed)).Value!;
        Assert.StartsWith("This prediction failed when it was made (The record has no primary cancer diagnosis", record.RecordProblems[0], StringComparison.Ordinal);
        Assert.Empty(record.Outputs);
        var replay = (await records.ReplayAsync(failed)).Value!;
        Assert.Equal(ReplayVerdict.Unavailable, replay.Verdict);
        Assert.Contains("failed when it was made; it has no outputs to reproduce", replay.Headline, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_decision_of_model_1_0_0_replays_on_1_0_0_and_is_unavailable_with_what_to_do_once_that_version_is_damaged_or_removed()
    {
        // The portal serves 1.1.0; this decision is made by the same prediction service on 1.0.0, as a portal serving 1.0.0 did.
        var services = Host.Services;
        var featurizer = services.GetRequiredService<PatientFeaturizer>();
        using var model = EfficacyModelService.Start(
            new ModelRegistry(portal.ModelDirectory, featurizer.Schema),
            new EfficacyModelOptions { Version = "1.0.0", ExecutionProvider = ExecutionProviderPreference.Cpu },
            featurizer,
            services.GetRequiredService<CatalogEvidence>());
        Assert.True(model.Status.IsServing, model.Status.Refusal);
        long sequence;
        await using (var clinician = Scope("clinician-5", "Dr. Five", "clinician"))
        {
            var service = new PatientPredictionService(model, new PredictionExplainer(featurizer, new ShapleyOptions(), services.GetRequiredService<ILogger<PredictionExplainer>>()), services.GetRequiredService<TherapyCatalog>(),
                clinician.ServiceProvider.GetRequiredService<IAuditTrail>(), TimeProvider.System);
            var prediction = (await service.PredictAsync(await ProfileAsync(clinician, p => p.Labs.Count > 0), null)).Value!;
            Assert.Equal("1.0.0", prediction.Model.Version);
            sequence = prediction.Audit.Sequence;
        }

        await using var compliance = Scope("compliance-1", "Ms. Compliance", "compliance");
        var records = compliance.ServiceProvider.GetRequiredService<IDecisionRecords>();

        var identical = (await records.ReplayAsync(sequence)).Value!;
        Assert.True(identical.Verdict == ReplayVerdict.Identical, identical.Headline);
        Assert.Equal("1.0.0", identical.ModelVersion);
        Assert.Equal("3900a5e7ff3bf6bb640858d90554954d5e87d257112bb61c4261b6b6c5c811db", identical.RegistryOnnxSha256);

        var onnx = Path.Combine(portal.ModelDirectory, "1.0.0", "model.onnx");
        var bytes = await File.ReadAllBytesAsync(onnx);
        bytes[4096] ^= 0x10;
        await File.WriteAllBytesAsync(onnx, bytes);
        var damaged = (await records.ReplayAsync(sequence)).Value!;
        Assert.Equal(ReplayVerdict.Unavailable, damaged.Verdict);
        Assert.Contains("Model 1.0.0 is in", damaged.Headline, StringComparison.Ordinal);
        Assert.Contains(onnx + ": SHA-256 is", damaged.Headline, StringComparison.Ordinal);
        Assert.Contains("git checkout -- models/efficacy/1.0.0", damaged.Headline, StringComparison.Ordinal);

        Directory.Delete(Path.Combine(portal.ModelDirectory, "1.0.0"), recursive: true);
        var removed = (await records.ReplayAsync(sequence)).Value!;
        Assert.Equal(ReplayVerdict.Unavailable, removed.Verdict);
        Assert.Contains("Model 1.0.0, which made this prediction, is no longer in", removed.Headline, StringComparison.Ordinal);
        Assert.Contains("it holds 1.1.0", removed.Headline, StringComparison.Ordinal);
        Assert.Contains("Restore the folder 1.0.0", removed.Headline, StringComparison.Ordinal);
        Assert.Equal(AuditOutcome.Failure, (await Reader.ReadEventAsync(removed.Audit.Sequence))!.Outcome);

        // The record itself still opens, with its inputs named from this portal's schema.
        var record = (await records.GetAsync(sequence)).Value!;
        Assert.Equal("1.0.0", record.Model.Version);
        Assert.Equal("age_decades", record.Inputs[0].Name);
    }

    [Fact]
    public async Task A_bad_event_number_gets_a_clear_not_found_and_nothing_is_recorded()
    {
        long patientView;
        await using (var clinician = Scope("clinician-6", "Dr. Six", "clinician"))
        {
            patientView = (await clinician.ServiceProvider.GetRequiredService<IAuditTrail>().RecordAsync(
                new AuditEntry(AuditActions.PatientView, AuditOutcome.Success, "Patient/pat-000001", "/patients/{PatientId}"))).Sequence;
        }

        await using var compliance = Scope("compliance-1", "Ms. Compliance", "compliance");
        var records = compliance.ServiceProvider.GetRequiredService<IDecisionRecords>();
        var before = (await Reader.ReadRecentAsync(1))[0].Sequence;

        var zero = await records.GetAsync(0);
        var missing = await records.GetAsync(before + 1_000_000);
        var notAPrediction = await records.ReplayAsync(patientView);

        Assert.Null(zero.Value);
        Assert.Contains("is not an audit event number", zero.Problem, StringComparison.Ordinal);
        Assert.Null(missing.Value);
        Assert.Contains($"There is no audit event #{before + 1_000_000}", missing.Problem, StringComparison.Ordinal);
        Assert.Null(notAPrediction.Value);
        Assert.Contains($"Audit event #{patientView} is a 'patient.view' event, not a prediction", notAPrediction.Problem, StringComparison.Ordinal);
        Assert.Equal(before, (await Reader.ReadRecentAsync(1))[0].Sequence);
    }

    private async Task<PatientPredictions> PredictAsync(string user, Func<PatientProfile, bool> wanted)
    {
        await using var clinician = Scope(user, "Dr. " + user, "clinician");
        var profile = await ProfileAsync(clinician, wanted);
        return (await clinician.ServiceProvider.GetRequiredService<IPatientPredictions>().PredictAsync(profile, null)).Value!;
    }

    private AsyncServiceScope Scope(string subject, string name, string role)
    {
        var scope = Host.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<AuditCallContext>().User = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim("sub", subject), new Claim("name", name), new Claim("role", role)], "test", "name", "role"));
        return scope;
    }

    private static async Task<PatientProfile> ProfileAsync(AsyncServiceScope scope, Func<PatientProfile, bool> wanted)
    {
        var directory = scope.ServiceProvider.GetRequiredService<IPatientDirectory>();
        foreach (var candidate in (await directory.SearchAsync(new PatientQuery(null, null, 0, 60))).Patients)
        {
            if ((await directory.ReadAsync(candidate.PatientId)).Profile is { PrimaryCancer: not null } profile && PredictionEligibility.WhyNot(profile) is null && wanted(profile))
            {
                return profile;
            }
        }

        throw new InvalidOperationException("No patient of the kind this test needs in the test cohort.");
    }
}
