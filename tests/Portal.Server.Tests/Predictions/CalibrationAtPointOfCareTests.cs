using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Precision.Clinical;
using Precision.Inference.Evaluation;
using Precision.Inference.Runtime;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.ModelVersions;
using Precision.Portal.Client.Patients;
using Precision.Portal.Client.Predictions;
using Precision.Portal.Server.Tests.ModelVersions;
using Precision.Portal.Testing;

namespace Precision.Portal.Server.Tests.Predictions;

/// <summary>
/// Calibration at the point of care on the real portal: copies of the committed models, each with an
/// <c>evaluation.json</c> written by the test — 1.1.0's for its own ONNX file, 1.0.0's naming 1.1.0's file.
/// </summary>
public sealed class CalibrationAtPointOfCareTests
{
    private const string Reason = "Check that a foreign evaluation is not shown beside 1.0.0's predictions";

    [Fact]
    public async Task Each_prediction_carries_its_bin_from_the_served_models_own_evaluation_and_another_model_files_evaluation_is_never_shown()
    {
        using var bed = new ModelRegistryTestBed();
        var evaluation = Evaluation(JsonNode.Parse(File.ReadAllText(Path.Combine(bed.Models, "1.1.0", ModelManifest.FileName)))!).ToJson();
        File.WriteAllText(Path.Combine(bed.Models, "1.1.0", ModelEvaluationDocument.FileName), evaluation);
        File.WriteAllText(Path.Combine(bed.Models, "1.0.0", ModelEvaluationDocument.FileName), evaluation);
        await using var host = await PortalTestHost.StartAsync(bed.Options());
        await using var clinician = ModelRegistryTestBed.Scope(host, "clinician", "clinician-1", "Dr. Test");
        var predictions = clinician.ServiceProvider.GetRequiredService<IPatientPredictions>();
        var profile = await ProfileAsync(clinician);

        var value = (await predictions.PredictAsync(profile, null)).Value!;

        Assert.True(value.Calibration!.IsAvailable, value.Calibration.Description);
        Assert.Contains("among 3,052 held-out predictions on an external synthetic cohort", value.Calibration.Description, StringComparison.Ordinal);
        Assert.All(value.Therapies, t =>
        {
            var c = t.Calibration!;
            Assert.InRange(t.Probability, c.Lower, c.Upper);
            // Osimertinib's bins hold 5 rows each (fewer than 30): its rows fall back to all therapies' bins.
            Assert.Equal(t.TherapyId != "osimertinib", c.ForThisTherapy);
            Assert.Equal(c.ForThisTherapy ? 40 : 500, c.Predictions);
            Assert.Equal(10, t.ReliabilityCurve.Count);
        });
        var recorded = JsonNode.Parse((await EventAsync(host, value.Audit.EventId)).DetailsJson!)!["calibration"]!;
        Assert.Equal("External cohort (seed 7301, 1000 patients)", recorded["cohort"]!.GetValue<string>());

        await using var admin = ModelRegistryTestBed.Scope(host, "admin", "admin-1", "Ada Admin");
        Assert.True((await admin.ServiceProvider.GetRequiredService<IModelVersionRegistry>().ActivateAsync("1.0.0", Reason)).Succeeded);
        var other = (await predictions.PredictAsync(profile, null)).Value!;

        Assert.Equal("1.0.0", other.Model.Version);
        Assert.False(other.Calibration!.IsAvailable);
        Assert.Contains("the evaluation on file is for another model file", other.Calibration.Description, StringComparison.Ordinal);
        Assert.All(other.Therapies, t =>
        {
            Assert.Null(t.Calibration);
            Assert.Empty(t.ReliabilityCurve);
        });
        Assert.Equal("OtherModelFile", JsonNode.Parse((await EventAsync(host, other.Audit.EventId)).DetailsJson!)!["calibration"]!["unavailable"]!.GetValue<string>());
        Assert.Contains(host.Logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("another model file", StringComparison.Ordinal));
    }

    /// <summary>Every overall bin 500 rows; every therapy's bins 40 rows, osimertinib's 5; a test split beside the external cohort.</summary>
    private static ModelEvaluationDocument Evaluation(JsonNode manifest)
    {
        var therapies = manifest["therapies"]!.AsArray().Select(t => t!.GetValue<string>()).ToList();
        static IReadOnlyList<CalibrationBin> Bins(int count) =>
            [.. Enumerable.Range(0, 10).Select(b => new CalibrationBin(b / 10.0, (b + 1) / 10.0, count, (b + 0.5) / 10.0, (b + 0.5) / 10.0))];

        CohortEvaluation Cohort(string name, CohortSelection selection, int examples, long? splitSeed) =>
            new(name, "rows for a test", 7301, 1000, examples, Bins(500),
                [.. therapies.Select(id => new TherapyCalibration(id, Bins(id == "osimertinib" ? 5 : 40)))]) { Selection = selection, SplitSeed = splitSeed };

        return new ModelEvaluationDocument("1.1.0", manifest["onnx"]!["sha256"]!.GetValue<string>(), manifest["featureSchema"]!["hash"]!.GetValue<string>(), new DateOnly(2026, 12, 8),
        [
            Cohort("Test split of the training cohort (seed 42, 5000 patients)", CohortSelection.TestSplit, 2900, 20261128),
            Cohort("External cohort (seed 7301, 1000 patients)", CohortSelection.AllPatients, 3052, null),
        ]);
    }

    private static async Task<PatientProfile> ProfileAsync(AsyncServiceScope scope)
    {
        var directory = scope.ServiceProvider.GetRequiredService<IPatientDirectory>();
        foreach (var candidate in (await directory.SearchAsync(new PatientQuery(null, null, 0, 60))).Patients)
        {
            if ((await directory.ReadAsync(candidate.PatientId)).Profile is { PrimaryCancer: not null } profile && PredictionEligibility.WhyNot(profile) is null)
            {
                return profile;
            }
        }

        throw new InvalidOperationException("No eligible patient in the test cohort.");
    }

    private static async Task<AuditEvent> EventAsync(PortalTestHost host, Guid id) =>
        (await host.Services.GetRequiredService<IAuditReader>().ReadRecentAsync(50)).Single(e => e.Id == id);
}
