using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Precision.Clinical;
using Precision.Clinical.WhatIf;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.Pages.Patients.Record.Predictions;
using Precision.Portal.Client.Predictions;

namespace Precision.Portal.Client.Tests.Patients;

/// <summary>A record that may not be ranked (deceased, no primary cancer) shows why and never reaches the prediction service.</summary>
public sealed class PredictionEligibilityTabTests : MudTestContext
{
    public PredictionEligibilityTabTests()
    {
        Services.AddSingleton<IPatientPredictions>(new ForbiddenPredictions());
        Services.AddSingleton<IAuditReader>(new NoAuditEvents());
    }

    [Fact]
    public void A_deceased_patient_gets_the_reason_and_no_ranking_explanation_or_what_if()
    {
        var profile = TestProfiles.Build() with { VitalStatus = new VitalStatus(new DateOnly(2025, 2, 14), TestProfiles.Patient) };

        var cut = Render<PredictionsTab>(p => p.Add(c => c.Profile, profile));

        var alert = cut.Find("[data-testid=prediction-not-eligible]");
        Assert.Contains("No treatment predictions for this patient.", alert.TextContent, StringComparison.Ordinal);
        Assert.Contains(PredictionEligibility.WhyNot(profile)!, alert.TextContent, StringComparison.Ordinal);
        Assert.Contains("Deceased 2025-02-14, Patient/p1", alert.TextContent, StringComparison.Ordinal);
        AssertNothingOffered(cut);
    }

    [Fact]
    public void A_record_without_a_primary_cancer_gets_the_reason_and_no_ranking()
    {
        var profile = TestProfiles.Build(cancers: []);

        var cut = Render<PredictionsTab>(p => p.Add(c => c.Profile, profile));

        Assert.Contains("no primary cancer diagnosis", cut.Find("[data-testid=prediction-not-eligible]").TextContent, StringComparison.Ordinal);
        AssertNothingOffered(cut);
    }

    [Fact]
    public void Metastases_without_a_primary_say_the_cancer_type_is_unknown()
    {
        var profile = TestProfiles.Build(cancers: []) with { SecondaryCancers = [TestProfiles.Metastasis("Liver", "met-liver", null)] };

        var cut = Render<PredictionsTab>(p => p.Add(c => c.Profile, profile));

        Assert.Contains("metastatic sites but no primary cancer diagnosis", cut.Find("[data-testid=prediction-not-eligible]").TextContent, StringComparison.Ordinal);
        AssertNothingOffered(cut);
    }

    [Fact]
    public void The_rule_is_read_per_record_and_the_scripted_service_does_fail_a_call()
    {
        var cut = Render<PredictionsTab>(p => p.Add(c => c.Profile, TestProfiles.Build(cancers: [])));
        Assert.NotNull(cut.Find("[data-testid=prediction-not-eligible]"));

        // The same tab given an eligible record calls the service, which fails the call: the tests above cannot pass vacuously.
        var error = Assert.ThrowsAny<Exception>(() => cut.Render(p => p.Add(c => c.Profile, TestProfiles.Build())));
        Assert.Contains("must not be called", error.ToString(), StringComparison.Ordinal);
    }

    private static void AssertNothingOffered(IRenderedComponent<PredictionsTab> cut)
    {
        Assert.Empty(cut.FindAll("[data-testid=prediction-table]"));
        Assert.Empty(cut.FindAll("[data-testid=prediction-progress]"));
        Assert.Empty(cut.FindAll("[data-testid=prediction-error]"));
        Assert.Empty(cut.FindAll("[data-testid=what-if-apply]"));
        Assert.Empty(cut.FindAll("[data-testid=explain-button]"));
        Assert.Contains("Synthetic data — research use only", cut.Markup, StringComparison.Ordinal);
    }

    /// <summary>Fails the test if the page asks for anything.</summary>
    private sealed class ForbiddenPredictions : IPatientPredictions
    {
        public Task<PredictionOutcome<PatientPredictions>> PredictAsync(PatientProfile profile, WhatIfScenario? scenario, CancellationToken cancellationToken = default) =>
            throw new Xunit.Sdk.XunitException("The prediction service must not be called for this record (PredictAsync).");

        public Task<PredictionOutcome<PatientExplanation>> ExplainAsync(PatientProfile profile, WhatIfScenario? scenario, IReadOnlyList<string>? therapyIds = null, CancellationToken cancellationToken = default) =>
            throw new Xunit.Sdk.XunitException("The prediction service must not be called for this record (ExplainAsync).");

        public Task<AuditReceipt> RecordFeedbackAsync(PredictionFeedback feedback, CancellationToken cancellationToken = default) =>
            throw new Xunit.Sdk.XunitException("The prediction service must not be called for this record (RecordFeedbackAsync).");
    }

    private sealed class NoAuditEvents : IAuditReader
    {
        public Task<IReadOnlyList<AuditEvent>> ReadRecentAsync(int count, CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<AuditEvent>>([]);

        public Task<IReadOnlyList<AuditEvent>> ReadForPatientAsync(string patientReference, int count, CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<AuditEvent>>([]);

        public Task<IReadOnlyList<AuditActivityBucket>> ReadActivityByHourAsync(DateTimeOffset sinceUtc, CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<AuditActivityBucket>>([]);

        public Task<AuditChainVerification> VerifyChainAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
