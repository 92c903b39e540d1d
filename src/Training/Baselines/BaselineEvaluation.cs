using Precision.Inference.Evaluation;
using Precision.Inference.Evidence;
using Precision.Inference.Features;
using Precision.Training.Data;

namespace Precision.Training.Baselines;

/// <summary>Discrimination and calibration of one predictor on held-out examples.</summary>
public sealed record PredictorMetrics(string Predictor, int Examples, double Auroc, double AveragePrecision, double Brier, double ExpectedCalibrationError);

/// <summary>
/// The yardsticks for the efficacy model on the test split: the catalog rule lookup, logistic regression and LightGBM
/// fitted on the train split, and the oracle (the generator's true probabilities, the best any model could do on these outcomes).
/// </summary>
public static class BaselineEvaluation
{
    public static IReadOnlyList<PredictorMetrics> Run(CohortDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var test = dataset.Examples.Where(e => e.Split == DataSplit.Test).ToList();
        if (test.Count == 0)
        {
            throw new InvalidOperationException("The split left no test examples; a bigger cohort is needed.");
        }

        var outcomes = test.Select(e => e.Example.Responded).ToList();
        var rows = test.Select(e => ScoringRow.Of(e)).ToList();
        var results = PeerPredictors.Fit(dataset).Select(p => Score(p.Name, [.. p.Predict(rows)], outcomes)).ToList();
        var withTruth = test.Where(e => e.TrueProbability is not null).ToList();
        if (withTruth.Count == test.Count)
        {
            results.Add(Score("Oracle (true probabilities)", withTruth.Select(e => e.TrueProbability!.Value).ToList(), outcomes));
        }

        return results;
    }

    /// <summary>The model's own inputs, concatenated: clinical, genomic and the therapy one-hot.</summary>
    public static float[] Input(PatientFeaturizer featurizer, ResponseExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        return Input(featurizer, example.Features, example.TherapyId);
    }

    /// <inheritdoc cref="Input(PatientFeaturizer, ResponseExample)"/>
    public static float[] Input(PatientFeaturizer featurizer, PatientFeatures features, string therapyId)
    {
        ArgumentNullException.ThrowIfNull(featurizer);
        ArgumentNullException.ThrowIfNull(features);
        return [.. features.Clinical, .. features.Genomic, .. featurizer.EncodeTherapy(therapyId)];
    }

    private static PredictorMetrics Score(string name, List<double> predictions, List<bool> outcomes) => new(
        name,
        predictions.Count,
        BinaryClassificationMetrics.Auroc(predictions, outcomes),
        BinaryClassificationMetrics.AveragePrecision(predictions, outcomes),
        BinaryClassificationMetrics.Brier(predictions, outcomes),
        BinaryClassificationMetrics.ExpectedCalibrationError(predictions, outcomes));
}
