using Precision.Clinical;
using Precision.Inference.Evaluation;
using Precision.Inference.Evidence;
using Precision.Inference.Features;
using Precision.Training.Data;

namespace Precision.Training.Baselines;

/// <summary>A row any predictor can score: the patient, their features at the start of <paramref name="Line"/>, and a catalog therapy.</summary>
public sealed record ScoringRow(PatientProfile Profile, PatientFeatures Features, string TherapyId, TherapyLine Line)
{
    /// <summary>The row of a labelled example: the line it was given at.</summary>
    public static ScoringRow Of(LabelledExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        return new(example.Profile, example.Example.Features, example.Example.TherapyId, example.Profile.TherapyLines.First(l => l.LineNumber == example.Example.LineNumber));
    }
}

/// <summary>Something that predicts the probability of response for rows: the served model or one of its peers.</summary>
public interface IResponsePredictor
{
    string Name { get; }

    PredictorKind Kind { get; }

    string Description { get; }

    double[] Predict(IReadOnlyList<ScoringRow> rows);
}

/// <summary>The published response rate of the patient's best matching catalog context: evidence only, no learning.</summary>
public sealed class CatalogRulePredictor(CatalogEvidence evidence) : IResponsePredictor
{
    public string Name => "Biomarker-rule lookup (catalog evidence only)";

    public PredictorKind Kind => PredictorKind.Peer;

    public string Description => "The published response rate of the best matching catalog biomarker context for the therapy.";

    public double[] Predict(IReadOnlyList<ScoringRow> rows) =>
        [.. rows.Select(r => evidence.MatchAtLineStart(r.Profile, r.Line, r.TherapyId).PublishedResponseRate)];
}

/// <summary>A peer fitted on feature vectors (clinical, genomic and the therapy one-hot, as the model sees them).</summary>
public sealed class FittedPeer(string name, string description, PatientFeaturizer featurizer, Func<IReadOnlyList<float[]>, double[]> predict) : IResponsePredictor
{
    public string Name => name;

    public PredictorKind Kind => PredictorKind.Peer;

    public string Description => description;

    public double[] Predict(IReadOnlyList<ScoringRow> rows) =>
        predict([.. rows.Select(r => BaselineEvaluation.Input(featurizer, r.Features, r.TherapyId))]);
}

/// <summary>The peers the ensemble is compared with, fitted on the same training rows and split as the ensemble.</summary>
public static class PeerPredictors
{
    public const string LogisticRegressionName = "Logistic regression";

    public const string GradientBoostedTreesName = "Gradient-boosted trees (LightGBM)";

    /// <summary>The rule lookup only: it needs no training rows.</summary>
    public static IReadOnlyList<IResponsePredictor> RuleOnly(CohortDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return [new CatalogRulePredictor(new CatalogEvidence(dataset.Catalog))];
    }

    /// <summary>
    /// Rule lookup, logistic regression (train split) and LightGBM (train split, early stopping on the validation split):
    /// the ensemble's own split of <paramref name="training"/>, so no peer sees a row the ensemble was tested on.
    /// </summary>
    public static IReadOnlyList<IResponsePredictor> Fit(CohortDataset training, GradientBoostedTreesOptions? treeOptions = null)
    {
        ArgumentNullException.ThrowIfNull(training);
        var train = training.Examples.Where(e => e.Split == DataSplit.Train).ToList();
        var validation = training.Examples.Where(e => e.Split == DataSplit.Validation).ToList();
        if (train.Count == 0 || train.All(e => e.Example.Responded) || train.All(e => !e.Example.Responded))
        {
            throw new InvalidOperationException($"The training split holds {train.Count} examples with one outcome or none; a bigger cohort is needed to fit the peers.");
        }

        var featurizer = training.Featurizer;
        float[] Input(LabelledExample e) => BaselineEvaluation.Input(featurizer, e.Example);
        var regression = LogisticRegression.Fit([.. train.Select(Input)], [.. train.Select(e => e.Example.Responded)]);
        var trees = GradientBoostedTrees.Fit(
            [.. train.Select(Input)], [.. train.Select(e => e.Example.Responded)],
            [.. validation.Select(Input)], [.. validation.Select(e => e.Example.Responded)],
            treeOptions);
        var options = treeOptions ?? new GradientBoostedTreesOptions();
        return
        [
            new CatalogRulePredictor(new CatalogEvidence(training.Catalog)),
            new FittedPeer(LogisticRegressionName, "L2-regularised logistic regression on the model's inputs, fitted on the training split.", featurizer,
                inputs => [.. inputs.Select(regression.Predict)]),
            new FittedPeer(GradientBoostedTreesName,
                string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"LightGBM on the model's inputs: {trees.Trees} trees kept of at most {options.Trees} (early stopping on the validation split's log-loss), learning rate {options.LearningRate}, {options.Leaves} leaves, ≥ {options.MinimumRowsPerLeaf} rows per leaf, seed {options.Seed}."),
                featurizer, trees.Predict),
        ];
    }
}
