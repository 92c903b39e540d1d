using Microsoft.Extensions.Logging;
using Precision.Inference.Evaluation;
using Precision.Inference.Runtime;

namespace Precision.Inference.Tests.Runtime;

/// <summary>
/// Calibration at the point of care: the served model's <c>evaluation.json</c> is used only when it names exactly the
/// verified ONNX file, never stops serving when it is foreign or malformed, and each prediction finds its reliability bin.
/// </summary>
public sealed class ModelCalibrationTests
{
    private const string Sha = "3900a5e7ff3bf6bb640858d90554954d5e87d257112bb61c4261b6b6c5c811db";

    [Fact]
    public void An_evaluation_of_exactly_the_served_model_file_is_used_and_the_external_cohort_is_preferred()
    {
        using var models = TempModelDirectory.CopyOf();
        var model = TestModels.VerifiedCommitted();
        File.WriteAllText(Path.Combine(models.Folder(TestModels.CommittedVersion), ModelEvaluationDocument.FileName), EvaluationDocuments.Write(model.OnnxSha256));

        var check = new ModelRegistry(models.Path, TestModels.CurrentFeaturizer.Schema).Verify(TestModels.CommittedVersion);

        var calibration = check.Model!.Calibration;
        Assert.Equal(CalibrationAvailability.Available, calibration.Availability);
        Assert.Null(calibration.Reason);
        Assert.True(calibration.IsExternalCohort);
        Assert.Equal(EvaluationDocuments.ExternalName, calibration.Cohort!.Name);
        Assert.StartsWith("3,052 held-out predictions on an external synthetic cohort", calibration.CohortDescription, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_an_external_cohort_the_training_cohorts_test_split_is_shown_and_said_so()
    {
        var document = EvaluationDocuments.Document(Sha, external: false);

        var calibration = ModelCalibration.From(document, "1.0.0", Sha.ToUpperInvariant());

        Assert.True(calibration.IsAvailable);
        Assert.False(calibration.IsExternalCohort);
        Assert.Contains("held-out test split of its synthetic training cohort", calibration.CohortDescription, StringComparison.Ordinal);
    }

    [Fact]
    public void An_evaluation_of_another_model_file_is_ignored_with_the_reason_logged_and_the_model_still_served()
    {
        using var models = TempModelDirectory.CopyOf();
        File.WriteAllText(Path.Combine(models.Folder(TestModels.CommittedVersion), ModelEvaluationDocument.FileName), EvaluationDocuments.Write(new string('b', 64)));
        var logger = new ListLogger();

        using var service = EfficacyModelService.Start(new ModelRegistry(models.Path, TestModels.CurrentFeaturizer.Schema), TestModels.Cpu, TestModels.Featurizer, TestModels.Evidence, logger);

        Assert.True(service.Status.IsServing, service.Status.Refusal);
        var calibration = service.Current.Runtime!.Model.Calibration;
        Assert.Equal(CalibrationAvailability.OtherModelFile, calibration.Availability);
        Assert.Null(calibration.Cohort);
        Assert.Null(calibration.At("osimertinib", 0.45));
        Assert.Contains("the evaluation on file is for another model file", calibration.Reason, StringComparison.Ordinal);
        Assert.Contains("bbbbbbbbbbbb…", calibration.Reason, StringComparison.Ordinal);
        Assert.Contains(logger.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("another model file", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("{\"modelVersion\":\"1.0.0\",\"feature\":1}")]
    public void A_malformed_evaluation_makes_calibration_unavailable_with_the_reason_and_never_refuses_the_model(string content)
    {
        using var models = TempModelDirectory.CopyOf();
        File.WriteAllText(Path.Combine(models.Folder(TestModels.CommittedVersion), ModelEvaluationDocument.FileName), content);

        var check = new ModelRegistry(models.Path, TestModels.CurrentFeaturizer.Schema).Verify(TestModels.CommittedVersion);

        Assert.True(check.IsValid, string.Join(" ", check.Problems));
        var calibration = check.Model!.Calibration;
        Assert.Equal(CalibrationAvailability.Unreadable, calibration.Availability);
        Assert.StartsWith("Calibration at the point of care is unavailable: the evaluation.json of model 1.0.0 cannot be used (", calibration.Reason, StringComparison.Ordinal);
        Assert.EndsWith("Re-run precision-train evaluate on model 1.0.0.", calibration.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Bins_that_are_not_probabilities_make_the_evaluation_unusable()
    {
        var document = EvaluationDocuments.Document(Sha);
        var cohort = document.Cohorts[0];
        var broken = document with { Cohorts = [cohort with { Calibration = [.. cohort.Calibration.Take(9), new CalibrationBin(0.9, 1.0, 10, 0.95, 1.7)] }] };

        var calibration = ModelCalibration.From(broken, "1.0.0", Sha);

        Assert.Equal(CalibrationAvailability.Unreadable, calibration.Availability);
        Assert.Contains("not a probability range with an observed rate", calibration.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_without_an_evaluation_on_file_says_so()
    {
        var model = TestModels.VerifiedCommitted();

        Assert.Equal(CalibrationAvailability.NotEvaluated, model.Calibration.Availability);
        Assert.Equal("Model 1.0.0 has no evaluation on file (precision-train evaluate), so calibration at the point of care cannot be shown.", model.Calibration.Reason);
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.0999, 0.0)]
    [InlineData(0.1, 0.1)]
    [InlineData(0.45, 0.4)]
    [InlineData(0.9, 0.9)]
    [InlineData(1.0, 0.9)]
    public void A_probability_falls_in_the_bin_from_its_lower_edge_and_one_falls_in_the_last_bin(double probability, double lower)
    {
        var calibration = ModelCalibration.From(EvaluationDocuments.Document(Sha), "1.0.0", Sha);

        var found = calibration.At("osimertinib", probability)!;

        Assert.Equal(lower, found.Bin.Lower, 9);
        Assert.Equal(lower, calibration.At("no-such-therapy", probability)!.Bin.Lower, 9);
    }

    [Theory]
    [InlineData(-0.01)]
    [InlineData(1.01)]
    [InlineData(double.NaN)]
    public void A_value_that_is_not_a_probability_has_no_bin(double probability) =>
        Assert.Null(ModelCalibration.From(EvaluationDocuments.Document(Sha), "1.0.0", Sha).At("osimertinib", probability));

    [Fact]
    public void A_therapy_bin_with_at_least_30_rows_is_used_and_below_30_the_bin_over_all_therapies_is_used_instead()
    {
        var calibration = ModelCalibration.From(EvaluationDocuments.Document(Sha), "1.0.0", Sha);

        // Osimertinib's 0.4–0.5 bin holds exactly 30 rows, its 0.5–0.6 bin 29.
        var own = calibration.At("osimertinib", 0.45)!;
        var fallback = calibration.At("osimertinib", 0.55)!;
        var unknown = calibration.At("no-such-therapy", 0.55)!;

        Assert.Equal(30, ModelCalibration.MinimumTherapyBinRows);
        Assert.True(own.ForThisTherapy);
        Assert.Equal(30, own.Bin.Count);
        Assert.Equal(0.5, own.Bin.ObservedRate, 9);
        Assert.False(fallback.ForThisTherapy);
        Assert.Equal(29, fallback.TherapyRowsInBin);
        Assert.Equal(EvaluationDocuments.OverallCount, fallback.Bin.Count);
        Assert.False(unknown.ForThisTherapy);
        Assert.Equal(0, unknown.TherapyRowsInBin);
        Assert.Equal(10, calibration.BinsFor("osimertinib").Count);
        Assert.Empty(calibration.BinsFor("no-such-therapy"));
    }
}

/// <summary>Evaluation documents as <c>precision-train evaluate</c> writes them, with bins chosen by the tests.</summary>
public static class EvaluationDocuments
{
    public const string ExternalName = "External cohort (seed 7301, 1000 patients)";
    public const int OverallCount = 412;

    /// <summary>
    /// A test split (3,000 rows) and, when <paramref name="external"/>, an external cohort of 3,052 rows. Every overall bin
    /// holds 412 rows; osimertinib's bins hold 30 rows below 0.5 and 29 from 0.5 up.
    /// </summary>
    public static ModelEvaluationDocument Document(string onnxSha256, bool external = true)
    {
        IReadOnlyList<CalibrationBin> Bins(Func<int, int> count, double observedShift) =>
            [.. Enumerable.Range(0, 10).Select(b => new CalibrationBin(b / 10.0, (b + 1) / 10.0, count(b), (b + 0.5) / 10.0, Math.Clamp(((b + 0.5) / 10.0) + observedShift, 0, 1)))];

        CohortEvaluation Cohort(string name, CohortSelection selection, int examples, long? splitSeed) =>
            new(name, "rows for a test", 7301, examples / 3, examples, Bins(_ => OverallCount, -0.01),
                [new TherapyCalibration("osimertinib", Bins(b => b < 5 ? 30 : 29, 0.05))]) { Selection = selection, SplitSeed = splitSeed };

        List<CohortEvaluation> cohorts = [Cohort("Test split of the training cohort (seed 42, 5000 patients)", CohortSelection.TestSplit, 3000, 20261128)];
        if (external)
        {
            cohorts.Add(Cohort(ExternalName, CohortSelection.AllPatients, 3052, null));
        }

        return new ModelEvaluationDocument("1.0.0", onnxSha256, "schema", new DateOnly(2026, 12, 8), cohorts);
    }

    public static string Write(string onnxSha256, bool external = true) => Document(onnxSha256, external).ToJson();
}
