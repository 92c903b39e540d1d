using System.Security.Claims;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Precision.Clinical;
using Precision.Clinical.WhatIf;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.Patients;
using Precision.Portal.Client.Predictions;
using Precision.Portal.Server.Audit;
using Precision.Portal.Testing;

namespace Precision.Portal.Server.Tests.Predictions;

/// <summary>The clinician's prediction service on the real portal: committed model, ONNX Runtime (CPU), SQLite audit trail.</summary>
public sealed class PatientPredictionServiceTests : IAsyncLifetime
{
    private PortalTestHost _host = null!;

    public async Task InitializeAsync()
    {
        var options = new PortalTestHostOptions();
        options.Settings["Audit:BusyTimeout"] = "00:00:00.300";
        _host = await PortalTestHost.StartAsync(options);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_prediction_is_recorded_with_its_inputs_sources_and_outputs_and_the_explanation_adds_up_to_it()
    {
        await using var scope = ClinicianScope();
        var predictions = scope.ServiceProvider.GetRequiredService<IPatientPredictions>();
        var profile = await ProfileAsync(scope, p => p.Variants.Count > 0);

        var outcome = await predictions.PredictAsync(profile, null);

        var value = Assert.IsType<PatientPredictions>(outcome.Value);
        Assert.Equal(22, value.Therapies.Count);
        Assert.Equal(value.Candidates.OrderByDescending(t => t.Probability).Select(t => t.TherapyId), value.Candidates.Select(t => t.TherapyId));
        Assert.Equal(value.Candidates.Concat(value.Received).Concat(value.NoEvidence).Select(t => t.TherapyId), value.Therapies.Select(t => t.TherapyId));
        Assert.All(value.Therapies, t => Assert.InRange(t.Probability, t.IntervalLow - 1e-6, t.IntervalHigh + 1e-6));
        var recorded = await EventAsync(value.Audit.EventId);
        Assert.Equal(AuditActions.PredictionCreate, recorded.Action);
        Assert.Equal("Patient/" + profile.PatientId, recorded.PatientReference);
        var details = JsonNode.Parse(recorded.DetailsJson!)!;
        Assert.Equal(value.Model.Version, details["modelVersion"]!.GetValue<string>());
        Assert.Equal(value.Model.OnnxSha256, details["onnxSha256"]!.GetValue<string>());
        Assert.Contains(details["inputs"]!["sources"]!.AsArray(), s => s!.GetValue<string>().StartsWith("Patient/", StringComparison.Ordinal));
        var top = value.TopCandidate!;
        var output = details["outputs"]!.AsArray().Single(o => o!["therapy"]!.GetValue<string>() == top.TherapyId)!;
        Assert.Equal(top.Probability, output["probability"]!.GetValue<double>(), 6);
        Assert.Equal("Candidate", output["group"]!.GetValue<string>());
        Assert.Equal(1, output["rank"]!.GetValue<int>());

        var explanation = Assert.IsType<PatientExplanation>((await predictions.ExplainAsync(profile, null, [top.TherapyId])).Value);
        var explained = Assert.Single(explanation.Therapies);
        Assert.Equal(top.Probability, explained.Prediction, 4);
        // The served model (2.0.0) is explained half by half, checked against ONNX Runtime when the portal started.
        Assert.Contains("clinical and genomic parts evaluated once each from the model's weights", explanation.Method, StringComparison.Ordinal);
        Assert.Equal(explained.Prediction - explained.Baseline, explained.Contributions.Sum(), 4);
        Assert.Contains(explanation.Factors, f => f.Sources.Count > 0);
        Assert.Equal(AuditActions.PredictionExplain, (await EventAsync(explanation.Audit.EventId)).Action);
    }

    [Fact]
    public async Task A_therapy_already_received_is_shown_as_received_never_as_a_candidate_and_therapies_without_evidence_carry_no_published_rate()
    {
        await using var scope = ClinicianScope();
        var predictions = scope.ServiceProvider.GetRequiredService<IPatientPredictions>();
        var profile = await ProfileAsync(scope, p => p.TherapyLines.Any(l => l.CatalogTherapyId is not null && l.StartedOn is not null && l.BestResponse is not null));
        var line = profile.TherapyLines.First(l => l.CatalogTherapyId is not null && l.StartedOn is not null && l.BestResponse is not null);

        var value = (await predictions.PredictAsync(profile, null)).Value!;

        Assert.DoesNotContain(value.Candidates, t => t.TherapyId == line.CatalogTherapyId);
        var received = Assert.Single(value.Received, t => t.TherapyId == line.CatalogTherapyId);
        Assert.Contains(received.PriorUses, u => u.LineNumber == line.LineNumber && u.StartedOn == line.StartedOn && u.BestResponse == line.BestResponse);
        Assert.All(value.Candidates, t => Assert.NotNull(t.Evidence.PublishedResponseRate));
        Assert.All(value.NoEvidence, t =>
        {
            Assert.Null(t.Evidence.PublishedResponseRate);
            Assert.False(string.IsNullOrWhiteSpace(t.NoEvidenceReason));
        });
        var cancer = CancerTypes.DisplayName(profile.PrimaryCancer!.CancerType);
        Assert.All(value.SimilarPatients, p => Assert.Equal(cancer, p.CancerType));
        Assert.Contains("same cancer type and the same driver biomarkers", value.SimilarityBasis, StringComparison.Ordinal);
        // The decision record keeps every output, each with the group the page showed it in.
        var outputs = JsonNode.Parse((await EventAsync(value.Audit.EventId)).DetailsJson!)!["outputs"]!.AsArray();
        Assert.Equal(22, outputs.Count);
        Assert.Equal("Received", outputs.Single(o => o!["therapy"]!.GetValue<string>() == line.CatalogTherapyId)!["group"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_prediction_records_its_monitoring_subgroup_and_with_the_served_2_0_0_a_regimen_that_progressed_gets_a_re_challenge_estimate()
    {
        await using var scope = ClinicianScope();
        var predictions = scope.ServiceProvider.GetRequiredService<IPatientPredictions>();
        var recorded = await ProfileAsync(scope, p => p.PrimaryCancer is not null && p.TherapyLines.Any(l => l.CatalogTherapyId is not null && l.StartedOn is not null && l.ResponseAssessedOn is not null));
        var line = recorded.TherapyLines.First(l => l.CatalogTherapyId is not null && l.StartedOn is not null && l.ResponseAssessedOn is not null);
        async Task<PatientPredictions> Of(RecistResponse response) => (await predictions.PredictAsync(
            recorded with { TherapyLines = [.. recorded.TherapyLines.Select(l => l == line ? l with { BestResponse = response } : l)] }, null)).Value!;

        var progressed = await Of(RecistResponse.ProgressiveDisease);
        var stable = await Of(RecistResponse.StableDisease);

        Assert.Equal("2.0.0", progressed.Model.Version);
        var rechallenge = Assert.Single(progressed.Received, t => t.TherapyId == line.CatalogTherapyId);
        Assert.True(rechallenge.ProgressedOnIt);
        Assert.True(rechallenge.ModelReadsProgression);
        Assert.False(rechallenge.NotEstimated);
        Assert.Equal(TherapyPrediction.RechallengeEstimateNote, rechallenge.ReceivedNote);
        Assert.True(rechallenge.Probability < Assert.Single(stable.Received, t => t.TherapyId == line.CatalogTherapyId).Probability);

        // The subgroup model monitoring counts it in, recorded as such (not read from the feature vector by position).
        var monitoring = JsonNode.Parse((await EventAsync(progressed.Audit.EventId)).DetailsJson!)!["monitoring"]!;
        Assert.Equal(recorded.Demographics.Sex == AdministrativeSex.Female ? "female" : "male", monitoring["sex"]!.GetValue<string>());
        Assert.Equal(recorded.PrimaryCancer!.CancerType.ToString(), monitoring["cancerType"]!.GetValue<string>());
        var age = recorded.Demographics.AgeOn(progressed.AsOf)!.Value;
        Assert.Equal((age / 10 * 10).ToString(System.Globalization.CultureInfo.InvariantCulture), monitoring["ageDecade"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_invalid_what_if_is_refused_with_the_reason_and_nothing_is_computed_or_recorded_and_a_valid_one_is_recorded_as_a_what_if()
    {
        await using var scope = ClinicianScope();
        var predictions = scope.ServiceProvider.GetRequiredService<IPatientPredictions>();
        var profile = await ProfileAsync(scope, p => p.Ecog is not null);
        var before = await CountAsync(profile.PatientId);

        var refused = await predictions.PredictAsync(profile, new WhatIfScenario { Ecog = 7, Labs = new Dictionary<LabAnalyte, decimal> { [LabAnalyte.Albumin] = 45m } });

        Assert.Null(refused.Value);
        Assert.Contains("ECOG must be 0–4", refused.Error, StringComparison.Ordinal);
        Assert.Contains("Albumin 45 g/dL is outside the plausible range", refused.Error, StringComparison.Ordinal);
        Assert.Equal(before, await CountAsync(profile.PatientId));

        var whatIf = await predictions.PredictAsync(profile, new WhatIfScenario { Ecog = 3 });
        var recorded = await EventAsync(whatIf.Value!.Audit.EventId);
        Assert.Equal(AuditActions.PredictionWhatIf, recorded.Action);
        Assert.Contains("ECOG", JsonNode.Parse(recorded.DetailsJson!)!["whatIf"]!.AsArray()[0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(profile.Ecog!.Score, (await ProfileAsync(scope, p => p.PatientId == profile.PatientId)).Ecog!.Score);
    }

    [Fact]
    public async Task An_empty_record_gets_a_clear_refusal_that_is_itself_recorded()
    {
        await using var scope = ClinicianScope();
        var predictions = scope.ServiceProvider.GetRequiredService<IPatientPredictions>();
        var empty = new PatientProfile("empty-1", new PatientDemographics("Nobody", null, null, AdministrativeSex.Unknown, null, null, new SourceReference("Patient", "empty-1")),
            [], null, null, null, [], [], [], [], [], null, null, null, null, null, [], []);

        var outcome = await predictions.PredictAsync(empty, null);

        Assert.Null(outcome.Value);
        Assert.False(string.IsNullOrWhiteSpace(outcome.Error));
        var events = await _host.Services.GetRequiredService<IAuditReader>().ReadForPatientAsync("Patient/empty-1", 5);
        Assert.Contains(events, e => e.Action == AuditActions.PredictionCreate && e.Outcome == AuditOutcome.Failure);
    }

    [Fact]
    public async Task A_deceased_patients_prediction_explanation_and_what_if_are_refused_with_the_reason_and_recorded_only_as_refusals()
    {
        await using var scope = ClinicianScope();
        var predictions = scope.ServiceProvider.GetRequiredService<IPatientPredictions>();
        var recorded = await ProfileAsync(scope, p => p.Variants.Count > 0);
        var deceased = recorded with { VitalStatus = new VitalStatus(new DateOnly(2025, 2, 14), recorded.Demographics.Source) };
        var reason = PredictionEligibility.WhyNot(deceased)!;
        Assert.Contains("has died (Deceased 2025-02-14, Patient/" + recorded.PatientId + ")", reason, StringComparison.Ordinal);

        await AssertRefusedAsync(predictions, deceased, reason);
    }

    [Fact]
    public async Task A_record_without_a_primary_cancer_is_refused_with_the_reason_even_with_metastases_and_variants()
    {
        await using var scope = ClinicianScope();
        var predictions = scope.ServiceProvider.GetRequiredService<IPatientPredictions>();
        var recorded = await ProfileAsync(scope, p => p.Variants.Count > 0);
        var noPrimary = recorded with
        {
            PrimaryCancers = [],
            SecondaryCancers = [new SecondaryCancerCondition(new CodedConcept("http://snomed.info/sct", "94381002", "Secondary malignant neoplasm of liver"), "Liver", null, null, new SourceReference("Condition", "met-liver"))],
        };
        var reason = PredictionEligibility.WhyNot(noPrimary)!;
        Assert.Contains("no primary cancer diagnosis", reason, StringComparison.Ordinal);

        await AssertRefusedAsync(predictions, noPrimary, reason);
    }

    [Fact]
    public async Task A_variant_of_uncertain_significance_is_not_used_for_predictions_and_a_pathogenic_one_is()
    {
        await using var scope = ClinicianScope();
        var predictions = scope.ServiceProvider.GetRequiredService<IPatientPredictions>();
        var recorded = await ProfileAsync(scope, p => p.Variants.All(v => v.Gene != "BRCA2"));
        GenomicVariant Brca2(ClinicalSignificance significance, string id) =>
            new("BRCA2", "HGNC:1101", "c.7397T>C", "p.V2466A", 0.48m, GenomicSourceClass.Germline, new SourceReference("Observation", id)) { Significance = significance };
        var withVus = recorded with { Variants = [.. recorded.Variants, Brca2(ClinicalSignificance.UncertainSignificance, "brca2-vus")] };
        var withPathogenic = recorded with { Variants = [.. recorded.Variants, Brca2(ClinicalSignificance.Pathogenic, "brca2-path")] };

        var baseline = (await predictions.PredictAsync(recorded, null)).Value!;
        var vus = (await predictions.PredictAsync(withVus, null)).Value!;
        var pathogenic = (await predictions.PredictAsync(withPathogenic, null)).Value!;

        Assert.Equal(baseline.Therapies.Select(t => (t.TherapyId, t.Probability)), vus.Therapies.Select(t => (t.TherapyId, t.Probability)));
        Assert.DoesNotContain("Observation/brca2-vus", await RecordedSourcesAsync(vus.Audit.EventId));
        Assert.Contains("Observation/brca2-path", await RecordedSourcesAsync(pathogenic.Audit.EventId));
        var explanation = (await predictions.ExplainAsync(withVus, null, [vus.Therapies[0].TherapyId])).Value!;
        Assert.DoesNotContain(explanation.Factors, f => f.Sources.Any(s => s.Id == "brca2-vus"));
    }

    private async Task<List<string>> RecordedSourcesAsync(Guid eventId) =>
        [.. JsonNode.Parse((await EventAsync(eventId)).DetailsJson!)!["inputs"]!["sources"]!.AsArray().Select(s => s!.GetValue<string>())];

    /// <summary>
    /// Prediction, what-if and explanation all come back without a value and with the eligibility reason; the trail gets one
    /// failed event per attempt carrying the reason and nothing that could pass for a prediction (no model, inputs or outputs).
    /// </summary>
    private async Task AssertRefusedAsync(IPatientPredictions predictions, PatientProfile profile, string reason)
    {
        var before = await _host.Services.GetRequiredService<IAuditReader>().ReadForPatientAsync("Patient/" + profile.PatientId, 100);

        var predicted = await predictions.PredictAsync(profile, null);
        var whatIf = await predictions.PredictAsync(profile, new WhatIfScenario { Ecog = 1 });
        var explained = await predictions.ExplainAsync(profile, null);

        Assert.Null(predicted.Value);
        Assert.Equal(reason, predicted.Error);
        Assert.Null(whatIf.Value);
        Assert.Equal(reason, whatIf.Error);
        Assert.Null(explained.Value);
        Assert.Equal(reason, explained.Error);

        var after = await _host.Services.GetRequiredService<IAuditReader>().ReadForPatientAsync("Patient/" + profile.PatientId, 100);
        var added = after.Where(e => before.All(b => b.Id != e.Id)).ToList();
        Assert.Equal(
            [AuditActions.PredictionCreate, AuditActions.PredictionExplain, AuditActions.PredictionWhatIf],
            added.Select(e => e.Action).Order(StringComparer.Ordinal));
        Assert.All(added, e =>
        {
            Assert.Equal(AuditOutcome.Failure, e.Outcome);
            var details = JsonNode.Parse(e.DetailsJson!)!.AsObject();
            Assert.Equal("NotEligible", details["problem"]!.GetValue<string>());
            Assert.Equal(reason, details["message"]!.GetValue<string>());
            Assert.Equal(["message", "problem"], details.Select(d => d.Key).Order(StringComparer.Ordinal));
        });
    }

    [Theory]
    [InlineData("osimertinib", false, null, null, "choose a reason")]
    [InlineData("snake-oil", true, null, null, "not a therapy")]
    [InlineData("osimertinib", true, null, 2001, "longer than 2000")]
    public async Task Bad_feedback_is_refused_with_what_to_fix(string therapy, bool agrees, FeedbackReason? reason, int? commentLength, string message)
    {
        await using var scope = ClinicianScope();
        var predictions = scope.ServiceProvider.GetRequiredService<IPatientPredictions>();
        var comment = commentLength is { } n ? new string('x', n) : null;

        var error = await Assert.ThrowsAsync<ArgumentException>(() => predictions.RecordFeedbackAsync(new PredictionFeedback("pat-000001", therapy, Guid.NewGuid(), agrees, reason, comment)));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_the_audit_trail_is_locked_by_another_process_no_prediction_is_returned()
    {
        await using var scope = ClinicianScope();
        var predictions = scope.ServiceProvider.GetRequiredService<IPatientPredictions>();
        var profile = await ProfileAsync(scope, p => p.Variants.Count > 0);
        await predictions.PredictAsync(profile, null);

        await using (await _host.LockAuditDatabaseAsync())
        {
            await Assert.ThrowsAsync<AuditWriteException>(() => predictions.PredictAsync(profile, null));
        }
    }

    private AsyncServiceScope ClinicianScope()
    {
        var scope = _host.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<AuditCallContext>().User = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim("sub", "clinician-1"), new Claim("name", "Dr. Test"), new Claim("role", "clinician")], "test", "name", "role"));
        return scope;
    }

    private static async Task<PatientProfile> ProfileAsync(AsyncServiceScope scope, Func<PatientProfile, bool> wanted)
    {
        var directory = scope.ServiceProvider.GetRequiredService<IPatientDirectory>();
        foreach (var candidate in (await directory.SearchAsync(new PatientQuery(null, null, 0, 60))).Patients)
        {
            if ((await directory.ReadAsync(candidate.PatientId)).Profile is { PrimaryCancer: not null } profile && wanted(profile) && PredictionEligibility.WhyNot(profile) is null)
            {
                return profile;
            }
        }

        throw new InvalidOperationException("No patient of the kind this test needs in the test cohort.");
    }

    private async Task<AuditEvent> EventAsync(Guid id) =>
        (await _host.Services.GetRequiredService<IAuditReader>().ReadRecentAsync(50)).Single(e => e.Id == id);

    private async Task<int> CountAsync(string patientId) =>
        (await _host.Services.GetRequiredService<IAuditReader>().ReadForPatientAsync("Patient/" + patientId, 100)).Count;
}
