using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;

namespace Precision.Training.Baselines;

/// <summary>Settings of the gradient-boosted-trees peer: a data scientist's defaults for a few thousand tabular rows, not tuned against the ensemble.</summary>
public sealed record GradientBoostedTreesOptions
{
    /// <summary>Upper bound on boosting rounds; early stopping on the validation split usually ends sooner.</summary>
    public int Trees { get; init; } = 400;

    public double LearningRate { get; init; } = 0.05;

    public int Leaves { get; init; } = 15;

    public int MinimumRowsPerLeaf { get; init; } = 20;

    public double L2Regularization { get; init; } = 1.0;

    /// <summary>Stop when the validation log-loss has not improved for this many rounds (only when a validation set is given).</summary>
    public int EarlyStoppingRounds { get; init; } = 30;

    public int Seed { get; init; } = 20261128;
}

/// <summary>
/// LightGBM (through ML.NET's trainer and LightGBM's native library) on the model's own inputs: the peer a data scientist
/// would reach for first on tabular clinical and genomic features. Deterministic: one thread, no row or feature sampling,
/// LightGBM's deterministic mode and a fixed seed, so the same rows give the same trees.
/// </summary>
public sealed class GradientBoostedTrees
{
    private readonly MLContext _context;
    private readonly ITransformer _model;
    private readonly int _width;

    private GradientBoostedTrees(MLContext context, ITransformer model, int width, int trees)
    {
        _context = context;
        _model = model;
        _width = width;
        Trees = trees;
    }

    /// <summary>Boosting rounds kept (after early stopping).</summary>
    public int Trees { get; }

    public static GradientBoostedTrees Fit(
        IReadOnlyList<float[]> inputs,
        IReadOnlyList<bool> outcomes,
        IReadOnlyList<float[]>? validationInputs,
        IReadOnlyList<bool>? validationOutcomes,
        GradientBoostedTreesOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outcomes);
        options ??= new GradientBoostedTreesOptions();
        if (inputs.Count == 0 || inputs.Count != outcomes.Count)
        {
            throw new ArgumentException($"Gradient-boosted trees need as many outcomes as inputs, and at least one (got {inputs.Count} inputs, {outcomes.Count} outcomes).");
        }

        var width = inputs[0].Length;
        if (inputs.Any(x => x.Length != width) || (validationInputs?.Any(x => x.Length != width) ?? false))
        {
            throw new ArgumentException("Every input must have the same number of features.");
        }

        if (outcomes.Distinct().Count() < 2)
        {
            throw new ArgumentException("The training rows hold one outcome only; trees cannot learn to separate responders.");
        }

        var context = new MLContext(options.Seed);
        var useValidation = validationInputs is { Count: > 0 } && validationOutcomes is not null && validationOutcomes.Count == validationInputs.Count;
        var trainer = context.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options
        {
            LabelColumnName = nameof(Row.Label),
            FeatureColumnName = nameof(Row.Features),
            NumberOfIterations = options.Trees,
            LearningRate = options.LearningRate,
            NumberOfLeaves = options.Leaves,
            MinimumExampleCountPerLeaf = options.MinimumRowsPerLeaf,
            EarlyStoppingRound = useValidation ? options.EarlyStoppingRounds : 0,
            EvaluationMetric = LightGbmBinaryTrainer.Options.EvaluateMetricType.Logloss,
            Seed = options.Seed,
            NumberOfThreads = 1,
            Deterministic = true,
            Silent = true,
            Verbose = false,
            Booster = new GradientBooster.Options { L2Regularization = options.L2Regularization, FeatureFraction = 1, SubsampleFraction = 1 },
        });
        var train = Load(context, inputs, outcomes, width);
        var model = useValidation
            ? trainer.Fit(train, Load(context, validationInputs!, validationOutcomes!, width))
            : trainer.Fit(train);
        return new GradientBoostedTrees(context, model, width, model.Model.SubModel.TrainedTreeEnsemble.Trees.Count);
    }

    /// <summary>LightGBM's probability of response (its logistic output; no further calibration).</summary>
    public double[] Predict(IReadOnlyList<float[]> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0)
        {
            return [];
        }

        if (inputs.Any(x => x.Length != _width))
        {
            throw new ArgumentException($"Expected {_width} features per row.", nameof(inputs));
        }

        var scored = _model.Transform(Load(_context, inputs, [.. inputs.Select(_ => false)], _width));
        return [.. scored.GetColumn<float>("Probability").Select(p => (double)p)];
    }

    private static IDataView Load(MLContext context, IReadOnlyList<float[]> inputs, IReadOnlyList<bool> outcomes, int width)
    {
        // The feature width is known only at run time, so the vector column's size is set on the schema, not by attribute.
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        return context.Data.LoadFromEnumerable(inputs.Select((x, i) => new Row { Features = x, Label = outcomes[i] }), schema);
    }

    private sealed class Row
    {
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }
}
