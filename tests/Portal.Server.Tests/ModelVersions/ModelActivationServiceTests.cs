using Precision.Clinical;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Precision.Inference.Runtime;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.ModelVersions;
using Precision.Portal.Client.Patients;
using Precision.Portal.Client.Predictions;
using Precision.Portal.Server.Tests.Audit;
using Precision.Portal.Testing;

namespace Precision.Portal.Server.Tests.ModelVersions;

/// <summary>
/// Activation on the real portal: committed models 1.0.0 and 1.1.0 (copies), ONNX Runtime on the CPU, the real audit
/// trail and activation history, clinician predictions through the real prediction service.
/// </summary>
public sealed class ModelActivationServiceTests
{
    private const string Reason = "Validation report VR-17: 1.0.0 is better calibrated on site data";

    [Fact]
    public async Task Only_an_administrator_with_a_reason_activates_and_unknown_or_unverifiable_versions_are_refused_with_why()
    {
        using var bed = new ModelRegistryTestBed();
        await using var host = await PortalTestHost.StartAsync(bed.Options());
        await using var compliance = ModelRegistryTestBed.Scope(host, "compliance", "compliance-1", "Carla Compliance");
        await using var admin = ModelRegistryTestBed.Scope(host, "admin", "admin-1", "Ada Admin");
        var asCompliance = compliance.ServiceProvider.GetRequiredService<IModelVersionRegistry>();
        var asAdmin = admin.ServiceProvider.GetRequiredService<IModelVersionRegistry>();

        var denied = await asCompliance.ActivateAsync("1.0.0", Reason);
        var empty = await asAdmin.ActivateAsync("1.0.0", "   ");
        var tooShort = await asAdmin.ActivateAsync("1.0.0", "because");
        var unknown = await asAdmin.ActivateAsync("9.9.9", Reason);
        var notAVersion = await asAdmin.ActivateAsync("../1.0.0", Reason);
        var unverifiable = await asAdmin.ActivateAsync("1.0.1", Reason);
        var alreadyActive = await asAdmin.ActivateAsync("1.1.0", Reason);

        Assert.All([denied, empty, tooShort, unknown, notAVersion, unverifiable, alreadyActive], r => Assert.False(r.Succeeded));
        Assert.Contains("Only administrators", denied.Message, StringComparison.Ordinal);
        Assert.Contains("A reason is required", empty.Message, StringComparison.Ordinal);
        Assert.Contains("too short (7 characters)", tooShort.Message, StringComparison.Ordinal);
        Assert.Contains("Model 9.9.9 is not in", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("holds 1.1.0, 1.0.1, 1.0.0", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("'../1.0.0' is not a model version", notAVersion.Message, StringComparison.Ordinal);
        Assert.Contains("Model 1.0.1 fails verification", unverifiable.Message, StringComparison.Ordinal);
        Assert.Contains("modelVersion '1.0.0' but it sits in folder '1.0.1'", unverifiable.Message, StringComparison.Ordinal);
        Assert.Contains("already active", alreadyActive.Message, StringComparison.Ordinal);

        var overview = await asCompliance.GetOverviewAsync();
        Assert.Equal("1.1.0", overview.ActiveVersion);
        Assert.Empty(overview.History);
        Assert.False(overview.Versions.Single(v => v.Version == "1.0.1").IsValid);
        Assert.True(overview.Versions.Single(v => v.Version == "1.1.0").IsActive);
        var events = (await host.Services.GetRequiredService<IAuditReader>().SearchAsync(new AuditSearchQuery { Action = AuditActions.ModelActivate })).Events;
        Assert.Contains(events, e => e.Outcome == AuditOutcome.Denied && e.Actor.Subject == "compliance-1");
        Assert.Contains(events, e => e.Outcome == AuditOutcome.Failure && e.DetailsJson!.Contains("verification failed", StringComparison.Ordinal));
        Assert.DoesNotContain(events, e => e.Outcome == AuditOutcome.Success);
    }

    [Fact]
    public async Task An_activation_is_audited_with_its_history_row_and_the_next_prediction_readiness_and_footer_use_the_new_version()
    {
        using var bed = new ModelRegistryTestBed();
        await using var host = await PortalTestHost.StartAsync(bed.Options());
        await using var admin = ModelRegistryTestBed.Scope(host, "admin", "admin-1", "Ada Admin");
        await using var clinician = ModelRegistryTestBed.Scope(host, "clinician", "clinician-1", "Dr. Test");
        var registry = admin.ServiceProvider.GetRequiredService<IModelVersionRegistry>();
        var predictions = clinician.ServiceProvider.GetRequiredService<IPatientPredictions>();
        var profile = await ProfileAsync(clinician);
        var before = (await predictions.PredictAsync(profile, null)).Value!;

        var result = await registry.ActivateAsync("1.0.0", "  " + Reason + "  ");
        var after = (await predictions.PredictAsync(profile, null)).Value!;

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal("1.1.0", before.Model.Version);
        Assert.Equal("1.0.0", after.Model.Version);
        Assert.NotEqual(before.Model.OnnxSha256, after.Model.OnnxSha256);
        var verified = host.Services.GetRequiredService<EfficacyModelService>().Registry.Verify("1.0.0").Model!;
        Assert.Equal(verified.OnnxSha256, after.Model.OnnxSha256);
        var reader = host.Services.GetRequiredService<IAuditReader>();
        var predictionEvent = (await reader.SearchAsync(new AuditSearchQuery { Action = AuditActions.PredictionCreate })).Events[0];
        Assert.Equal("1.0.0", JsonNode.Parse(predictionEvent.DetailsJson!)!["modelVersion"]!.GetValue<string>());

        var activation = result.Activation!;
        Assert.Equal(ModelActivationKind.Activate, activation.Kind);
        Assert.Equal(Reason, activation.Reason);
        var recorded = (await reader.SearchAsync(new AuditSearchQuery { Action = AuditActions.ModelActivate })).Events.Single();
        Assert.Equal(activation.AuditEventId, recorded.Id);
        Assert.True(recorded.Sequence < predictionEvent.Sequence);
        Assert.Equal("admin-1", recorded.Actor.Subject);
        var details = JsonNode.Parse(recorded.DetailsJson!)!;
        Assert.Equal("1.1.0", details["fromVersion"]!.GetValue<string>());
        Assert.Equal("1.0.0", details["toVersion"]!.GetValue<string>());
        Assert.Equal(before.Model.OnnxSha256, details["fromOnnxSha256"]!.GetValue<string>());
        Assert.Equal(verified.OnnxSha256, details["toOnnxSha256"]!.GetValue<string>());
        Assert.Equal(Reason, details["reason"]!.GetValue<string>());
        Assert.Equal("Model 1.0.0 · CPU", host.Services.GetRequiredService<IEfficacyModelStatus>().Current.FooterText);
        using var http = host.CreateClient();
        // The body names each check; only the model's matters here (the others depend on this test's environment).
        using var ready = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.Contains("Model 1.0.0", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var rollback = await registry.ActivateAsync("1.1.0", "Rolled back: site data review of VR-17 disagreed");
        var overview = await registry.GetOverviewAsync();

        Assert.True(rollback.Succeeded, rollback.Message);
        Assert.Equal(ModelActivationKind.Rollback, rollback.Activation!.Kind);
        Assert.Equal("1.1.0", (await predictions.PredictAsync(profile, null)).Value!.Model.Version);
        Assert.Equal([rollback.Activation.Id, activation.Id], overview.History.Select(h => h.Id));
        Assert.Equal("1.0.0", overview.History[0].PreviousVersion);
        Assert.Contains("latest activation", overview.ActiveSource, StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_the_audit_trail_cannot_record_the_activation_the_model_and_history_stay_as_they_were()
    {
        using var bed = new ModelRegistryTestBed();
        await using var host = await PortalTestHost.StartAsync(bed.Options(new Dictionary<string, string?> { ["Audit:BusyTimeout"] = "00:00:00.300" }));
        await using var admin = ModelRegistryTestBed.Scope(host, "admin", "admin-1", "Ada Admin");
        var registry = admin.ServiceProvider.GetRequiredService<IModelVersionRegistry>();

        ModelActivationResult refused;
        await using (await bed.LockAuditDatabaseAsync())
        {
            refused = await registry.ActivateAsync("1.0.0", Reason);
        }

        Assert.False(refused.Succeeded);
        Assert.Contains("The audit trail could not record the change, so model 1.0.0 was not activated", refused.Message, StringComparison.Ordinal);
        Assert.Contains("model 1.1.0 still serves", refused.Message, StringComparison.Ordinal);
        var overview = await registry.GetOverviewAsync();
        Assert.Equal("1.1.0", overview.ActiveVersion);
        Assert.Empty(overview.History);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task The_latest_activation_survives_a_restart_and_a_configured_version_pins_over_it(AuditEngine engine)
    {
        using var bed = new ModelRegistryTestBed();
        using var db = engine == AuditEngine.PostgreSql ? new AuditTestDatabase(engine) : null;
        var store = db is null
            ? new Dictionary<string, string?>()
            : new Dictionary<string, string?> { ["ModelRegistry:Provider"] = "PostgreSql", ["ModelRegistry:ConnectionString"] = db.ConnectionString };

        await using (var first = await PortalTestHost.StartAsync(bed.Options(store)))
        {
            await using var admin = ModelRegistryTestBed.Scope(first, "admin", "admin-1", "Ada Admin");
            Assert.True((await admin.ServiceProvider.GetRequiredService<IModelVersionRegistry>().ActivateAsync("1.0.0", Reason)).Succeeded);
        }

        await using (var restarted = await PortalTestHost.StartAsync(bed.Options(store)))
        {
            await using var compliance = ModelRegistryTestBed.Scope(restarted, "compliance", "compliance-1", "Carla Compliance");
            var overview = await compliance.ServiceProvider.GetRequiredService<IModelVersionRegistry>().GetOverviewAsync();
            Assert.Equal("1.0.0", restarted.Services.GetRequiredService<EfficacyModelService>().Status.Version);
            Assert.Equal("1.0.0", overview.ActiveVersion);
            Assert.Contains("the latest activation (activate by Ada Admin", overview.ActiveSource, StringComparison.Ordinal);
            Assert.Null(overview.StartupNote);
        }

        await using var pinned = await PortalTestHost.StartAsync(bed.Options(new Dictionary<string, string?>(store) { ["Model:Version"] = "1.1.0" }));
        await using var pinnedAdmin = ModelRegistryTestBed.Scope(pinned, "admin", "admin-1", "Ada Admin");
        var registry = pinnedAdmin.ServiceProvider.GetRequiredService<IModelVersionRegistry>();
        var pinnedOverview = await registry.GetOverviewAsync();
        var refused = await registry.ActivateAsync("1.0.0", Reason);

        Assert.Equal("1.1.0", pinnedOverview.ActiveVersion);
        Assert.Equal("1.1.0", pinnedOverview.PinnedVersion);
        Assert.Contains("not applied because Model:Version pins 1.1.0", pinnedOverview.StartupNote, StringComparison.Ordinal);
        Assert.False(refused.Succeeded);
        Assert.Contains("Model:Version pins 1.1.0", refused.Message, StringComparison.Ordinal);
    }

    private static async Task<Precision.Clinical.PatientProfile> ProfileAsync(AsyncServiceScope scope)
    {
        var directory = scope.ServiceProvider.GetRequiredService<IPatientDirectory>();
        foreach (var candidate in (await directory.SearchAsync(new Precision.Clinical.PatientQuery(null, null, 0, 60))).Patients)
        {
            if ((await directory.ReadAsync(candidate.PatientId)).Profile is { PrimaryCancer: not null } profile && PredictionEligibility.WhyNot(profile) is null)
            {
                return profile;
            }
        }

        throw new InvalidOperationException("The demo cohort has no patient with a diagnosis.");
    }
}
