using Precision.Clinical;
using Precision.Inference.Features;
using Precision.Inference.Runtime;

namespace Precision.Inference.Tests.Runtime;

/// <summary>
/// Model 2.0.0 (feature layout V2) learned re-challenge: the same patient, the same therapy given again, is predicted far
/// less likely to respond when the disease progressed on it than when it was stable on it — as the simulator's truth has
/// it (−2.0 log-odds, catalog modifier progressed-on-same-regimen). Models 1.x cannot read it and predict the same.
/// </summary>
public sealed class RechallengeTests
{
    private const string Version = "2.0.0";

    [Fact]
    public void The_served_model_predicts_a_re_challenge_after_progression_well_below_one_after_stable_disease()
    {
        var model = new ModelRegistry(TestModels.CommittedDirectory, TestModels.CurrentFeaturizer.Schema).Verify(Version).Model
            ?? throw new InvalidOperationException($"Model {Version} does not verify.");
        Assert.Equal(FeatureLayout.V2, model.Schema.Layout);
        using var runtime = EfficacyModelRuntime.Start(model, TestModels.Cpu).Runtime!;
        var predictor = new EfficacyPredictor(runtime, TestModels.CurrentFeaturizer, TestModels.Evidence);
        Assert.True(predictor.Provenance.ReadsProgression);

        var differences = new List<double>();
        foreach (var profile in GeneratedPatients.All.Where(p => p.TherapyLines is [{ CatalogTherapyId: not null, StartedOn: not null }, ..]).Take(120))
        {
            var first = profile.TherapyLines[0];
            var start = first.StartedOn!.Value;
            double Probability(RecistResponse response)
            {
                // Only the first line, assessed at day 60 and ended at day 90; the prediction is for the second line at day 120.
                var line = first with { BestResponse = response, ResponseAssessedOn = start.AddDays(60), EndedOn = start.AddDays(90) };
                var prediction = predictor.Predict(profile with { TherapyLines = [line] }, start.AddDays(120), priorLines: 1).Prediction!;
                return prediction.Therapies.Single(t => t.TherapyId == first.CatalogTherapyId).Probability;
            }

            differences.Add(Logit(Probability(RecistResponse.ProgressiveDisease)) - Logit(Probability(RecistResponse.StableDisease)));
        }

        Assert.True(differences.Count >= 100, $"only {differences.Count} generated patients with a dated catalog first line");
        var mean = differences.Average();
        Assert.True(mean < -1.3, $"mean log-odds difference after progression vs stable disease {mean:0.00} (truth −2.0; 2.0.0 learned −1.74)");
        Assert.True(differences.Count(d => d < 0) >= 0.95 * differences.Count, $"{differences.Count(d => d >= 0)} of {differences.Count} not lower after progression");
    }

    [Fact]
    public void A_1_x_model_reads_no_progression_and_its_predictor_says_so()
    {
        var model = new ModelRegistry(TestModels.CommittedDirectory, TestModels.CurrentFeaturizer.Schema).Verify("1.2.0").Model!;
        Assert.Equal(FeatureLayout.V1, model.Schema.Layout);
        using var runtime = EfficacyModelRuntime.Start(model, TestModels.Cpu).Runtime!;

        // Given the current featurizer, the predictor featurizes in the model's own (earlier) layout.
        var predictor = new EfficacyPredictor(runtime, TestModels.CurrentFeaturizer, TestModels.Evidence);

        Assert.False(predictor.Provenance.ReadsProgression);
        Assert.Equal(model.Schema.Hash, predictor.Featurizer.Schema.Hash);
        var profile = GeneratedPatients.All[0];
        var prediction = predictor.Predict(profile, new DateOnly(2025, 6, 30), profile.TherapyLines.Count).Prediction!;
        Assert.Equal(model.Schema.Clinical.Count, prediction.Features.Clinical.Length);
    }

    private static double Logit(double p) => Math.Log(p / (1 - p));
}
