using Precision.Inference.Evaluation;
using Precision.Inference.Evidence;
using Precision.Inference.Features;
using Precision.Training.Data;

namespace Precision.Training.Baselines;

/// <summary>Discrimination and calibration of one predictor on held-out examples.</summary>
public sealed record PredictorMetrics(string Predictor, int Examples, double Auroc, double AveragePrecision, double Brier, double ExpectedCalibrationError);

/// <summary>
/// The yardsticks for the efficacy model on the test split: the catalog rule lookup, logistic regression fitted on the
/// train split, and the oracle (the generator's true probabilities, the best any model could do on these outcomes).
/// </summary>
public static class BaselineEvaluation
{
    public static IReadOnlyList<PredictorMetrics> Run(CohortDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var train = dataset.Examples.Where(e => e.Split == DataSplit.Train).ToList();
        var test = dataset.Examples.Where(e => e.Split == DataSplit.Test).ToList();
        if (train.Count == 0 || test.Count == 0)
        {
            throw new InvalidOperationException($"The split left {train.Count} training and {test.Count} test examples; a bigger cohort is needed.");
        }

        var evidence = new CatalogEvidence(dataset.Catalog);
        var outcomes = test.Select(e => e.Example.Responded).ToList();
        var regression = LogisticRegression.Fit([.. train.Select(e => Input(dataset.Featurizer, e.Example))], [.. train.Select(e => e.Example.Responded)]);

        var results = new List<PredictorMetrics>
        {
            Score("Biomarker-rule lookup (catalog evidence only)", test.Select(e => evidence.MatchAtLineStart(e.Profile, e.Profile.TherapyLines.First(l => l.LineNumber == e.Example.LineNumber), e.Example.TherapyId).PublishedResponseRate).ToList(), outcomes),
            Score("Logistic regression", test.Select(e => regression.Predict(Input(dataset.Featurizer, e.Example))).ToList(), outcomes),
        };
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
        ArgumentNullException.ThrowIfNull(featurizer);
        ArgumentNullException.ThrowIfNull(example);
        return [.. example.Features.Clinical, .. example.Features.Genomic, .. featurizer.EncodeTherapy(example.TherapyId)];
    }

    private static PredictorMetrics Score(string name, List<double> predictions, List<bool> outcomes) => new(
        name,
        predictions.Count,
        BinaryClassificationMetrics.Auroc(predictions, outcomes),
        BinaryClassificationMetrics.AveragePrecision(predictions, outcomes),
        BinaryClassificationMetrics.Brier(predictions, outcomes),
        BinaryClassificationMetrics.ExpectedCalibrationError(predictions, outcomes));
}
