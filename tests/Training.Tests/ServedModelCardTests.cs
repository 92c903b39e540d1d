using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Precision.Clinical.Catalog;
using Precision.Cohort;
using Precision.Inference.Evaluation;

namespace Precision.Training.Tests;

/// <summary>
/// The model the portal serves by default is held to its card: its training cohort is regenerated from the seed and size
/// the manifest records (the generator is deterministic, so the cohort manifest's SHA-256 must match), the committed
/// model.onnx is evaluated as served on the test split, and every number of the committed evaluation.json, the card and the
/// manifest's metrics must come out again.
/// </summary>
public sealed class ServedModelCardTests
{
    [Fact]
    public void The_served_models_card_is_reproduced_by_evaluate_on_the_committed_artifacts()
    {
        var folder = ExternalCohortFixture.CommittedModel;
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json")))!;
        var recorded = manifest["cohort"]!;
        using var cohort = new TempDirectory();
        var catalog = TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault(AppContext.BaseDirectory));
        new CohortGenerator(catalog).Generate(new CohortOptions
        {
            PatientCount = recorded["patientCount"]!.GetValue<int>(),
            Seed = recorded["seed"]!.GetValue<long>(),
            WriteBundles = false,
        }, cohort.Path);
        Assert.Equal(recorded["manifestSha256"]!.GetValue<string>(), Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(cohort.File("manifest.json")))));

        using var output = new TempDirectory();
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = TrainingCli.Run(["evaluate", "--model", folder, "--cohort", cohort.Path, "--out", output.Path], stdout, stderr);

        Assert.True(code == 0, stderr.ToString());
        var fresh = ModelEvaluationDocument.Read(output.File(ModelEvaluationDocument.FileName)).TestSplit!;
        var committed = ModelEvaluationDocument.Read(Path.Combine(folder, ModelEvaluationDocument.FileName)).TestSplit!;
        Assert.Equal((committed.Patients, committed.Examples), (fresh.Patients, fresh.Examples));
        Assert.Equal(committed.Predictors.Select(p => p.Name), fresh.Predictors.Select(p => p.Name));
        foreach (var (before, again) in committed.Predictors.Zip(fresh.Predictors))
        {
            Assert.Equal(before.Auroc!.Value, again.Auroc!.Value, 9);
            Assert.Equal(before.AveragePrecision!.Value, again.AveragePrecision!.Value, 9);
            Assert.Equal(before.Brier, again.Brier, 9);
            Assert.Equal(before.ExpectedCalibrationError, again.ExpectedCalibrationError, 9);
        }

        Assert.Equal(committed.Calibration.Select(b => (b.Count, Math.Round(b.ObservedRate, 9))), fresh.Calibration.Select(b => (b.Count, Math.Round(b.ObservedRate, 9))));

        // The card and the manifest show exactly those numbers.
        var served = committed.Predictors[0];
        var card = File.ReadAllText(Path.Combine(folder, "model-card.md"));
        var row = string.Create(CultureInfo.InvariantCulture, $"| {served.Name} | {served.Auroc:0.000} | {served.AveragePrecision:0.000} | {served.Brier:0.000} | {served.ExpectedCalibrationError:0.000} |");
        Assert.Contains(row, card, StringComparison.Ordinal);
        var metrics = manifest["metrics"]!["Overall"]!.AsArray();
        Assert.Equal(served.Auroc!.Value, metrics[0]!["Auroc"]!.GetValue<double>(), 9);
    }
}
