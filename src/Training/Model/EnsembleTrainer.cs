using Precision.Inference.Evaluation;
using Precision.Inference.Features;
using Precision.Training.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Precision.Training.Model;

public sealed record EnsembleTrainingOptions
{
    public int Members { get; init; } = 5;

    public long Seed { get; init; } = 20261128;

    public int Epochs { get; init; } = 60;

    public int BatchSize { get; init; } = 256;

    public double LearningRate { get; init; } = 3e-3;

    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>Stop a member when validation loss has not improved for this many epochs (its best weights are kept).</summary>
    public int Patience { get; init; } = 8;

    public int Threads { get; init; } = 1;
}

/// <summary>Progress of one epoch, for the command line's progress display.</summary>
public sealed record EpochProgress(int Member, int Epoch, double TrainLoss, double ValidationLoss, double ValidationAuroc);

/// <summary>A trained ensemble with its temperature, fitted on the validation split.</summary>
public sealed class TrainedEnsemble : IDisposable
{
    internal TrainedEnsemble(IReadOnlyList<EfficacyNetwork> members, double temperature)
    {
        Members = members;
        Temperature = temperature;
    }

    public IReadOnlyList<EfficacyNetwork> Members { get; }

    /// <summary>Calibration: the mean member logit is divided by this before the sigmoid.</summary>
    public double Temperature { get; }

    /// <summary>Calibrated probability of response for each row, and every member's own probability (its logit divided by the same temperature).</summary>
    public (double[] Calibrated, double[][] PerMember) Predict(Tensor clinical, Tensor genomic, Tensor therapy)
    {
        ArgumentNullException.ThrowIfNull(clinical);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var logits = stack([.. Members.Select(m => m.forward(clinical, genomic, therapy).Logit)], 0); // [members, rows]
        var perMember = sigmoid(logits / Temperature).transpose(0, 1).contiguous().data<float>().ToArray();
        var calibrated = sigmoid(logits.mean([0]) / Temperature).data<float>().ToArray();
        var rows = (int)clinical.shape[0];
        return ([.. calibrated.Select(p => (double)p)],
            [.. Enumerable.Range(0, rows).Select(r => perMember.Skip(r * Members.Count).Take(Members.Count).Select(p => (double)p).ToArray())]);
    }

    /// <summary>The patient embedding (members' embeddings averaged, as the ONNX <c>embedding</c> output), one row per patient.</summary>
    public float[][] Embed(Tensor clinical, Tensor genomic, int therapyWidth)
    {
        ArgumentNullException.ThrowIfNull(clinical);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var rows = clinical.shape[0];
        using var noTherapy = zeros(rows, therapyWidth);
        var mean = stack([.. Members.Select(m => m.forward(clinical, genomic, noTherapy).Embedding)], 0).mean([0]);
        var width = (int)mean.shape[1];
        var values = mean.contiguous().data<float>().ToArray();
        return [.. Enumerable.Range(0, (int)rows).Select(r => values.AsSpan(r * width, width).ToArray())];
    }

    public void Dispose()
    {
        foreach (var member in Members)
        {
            member.Dispose();
        }
    }
}

/// <summary>
/// Trains the deep ensemble on the train split (members differ by seed: initial weights and batch order), keeps each
/// member's best epoch on validation loss, then fits the temperature on the validation split.
/// </summary>
public static class EnsembleTrainer
{
    public static TrainedEnsemble Train(CohortDataset dataset, EnsembleTrainingOptions options, IProgress<EpochProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Members, 1);
        var train = Batch.Of(dataset, DataSplit.Train);
        var validation = Batch.Of(dataset, DataSplit.Validation);
        if (train.Rows == 0 || validation.Rows == 0)
        {
            throw new InvalidOperationException($"Training needs examples in both splits (train {train.Rows}, validation {validation.Rows}); use a bigger cohort.");
        }

        InitializeDeviceType(DeviceType.CPU);
        set_num_threads(options.Threads);
        var schema = dataset.Featurizer.Schema;
        var prior = new CatalogPrior(dataset.Catalog, schema);
        var members = new List<EfficacyNetwork>();
        for (var member = 0; member < options.Members; member++)
        {
            members.Add(TrainMember(member, options, train, validation, schema, prior, progress));
        }

        var temperature = FitTemperature(members, validation);
        train.Dispose();
        validation.Dispose();
        return new TrainedEnsemble(members, temperature);
    }

    private static EfficacyNetwork TrainMember(int member, EnsembleTrainingOptions options, Batch train, Batch validation, FeatureSchema schema, CatalogPrior prior, IProgress<EpochProgress>? progress)
    {
        random.manual_seed(options.Seed + (7919 * member));
        var shuffle = new Random(unchecked((int)(options.Seed + member)));
        var network = new EfficacyNetwork(schema.Clinical.Count, schema.Genomic.Count, schema.TherapyIds.Count, prior);
        using var optimizer = optim.AdamW(network.parameters(), lr: options.LearningRate, weight_decay: options.WeightDecay);
        var best = double.MaxValue;
        Dictionary<string, Tensor>? bestWeights = null;
        var sinceBest = 0;
        for (var epoch = 1; epoch <= options.Epochs && sinceBest < options.Patience; epoch++)
        {
            network.train();
            var order = Enumerable.Range(0, train.Rows).OrderBy(_ => shuffle.Next()).ToArray();
            double trainLoss = 0;
            for (var start = 0; start < order.Length; start += options.BatchSize)
            {
                using var scope = NewDisposeScope();
                var index = tensor(order.Skip(start).Take(options.BatchSize).Select(i => (long)i).ToArray());
                optimizer.zero_grad();
                var (logit, _) = network.forward(train.Clinical.index_select(0, index), train.Genomic.index_select(0, index), train.Therapy.index_select(0, index));
                var loss = nn.functional.binary_cross_entropy_with_logits(logit, train.Label.index_select(0, index));
                loss.backward();
                optimizer.step();
                trainLoss += loss.item<float>() * index.shape[0];
            }

            network.eval();
            var (validationLoss, validationAuroc) = Evaluate(network, validation);
            progress?.Report(new EpochProgress(member + 1, epoch, trainLoss / train.Rows, validationLoss, validationAuroc));
            if (validationLoss < best - 1e-5)
            {
                best = validationLoss;
                sinceBest = 0;
                bestWeights?.Values.ToList().ForEach(t => t.Dispose());
                bestWeights = network.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone());
            }
            else
            {
                sinceBest++;
            }
        }

        if (bestWeights is not null)
        {
            network.load_state_dict(bestWeights);
            bestWeights.Values.ToList().ForEach(t => t.Dispose());
        }

        network.eval();
        return network;
    }

    private static (double Loss, double Auroc) Evaluate(EfficacyNetwork network, Batch batch)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (logit, _) = network.forward(batch.Clinical, batch.Genomic, batch.Therapy);
        var loss = nn.functional.binary_cross_entropy_with_logits(logit, batch.Label).item<float>();
        var probabilities = sigmoid(logit).data<float>().ToArray().Select(p => (double)p).ToList();
        return (loss, batch.Outcomes.Distinct().Count() == 2 ? BinaryClassificationMetrics.Auroc(probabilities, batch.Outcomes) : double.NaN);
    }

    /// <summary>Temperature scaling: the T in [0.25, 4] that minimises validation log loss of the mean member logit.</summary>
    private static double FitTemperature(IReadOnlyList<EfficacyNetwork> members, Batch validation)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var meanLogit = stack([.. members.Select(m => m.forward(validation.Clinical, validation.Genomic, validation.Therapy).Logit)], 0).mean([0]);
        double LogLoss(double t) => nn.functional.binary_cross_entropy_with_logits(meanLogit / t, validation.Label).item<float>();
        // Golden-section search on log T: the loss is unimodal in T for a fixed set of logits.
        double low = Math.Log(0.25), high = Math.Log(4);
        var ratio = (Math.Sqrt(5) - 1) / 2;
        for (var i = 0; i < 40; i++)
        {
            var a = high - (ratio * (high - low));
            var b = low + (ratio * (high - low));
            if (LogLoss(Math.Exp(a)) < LogLoss(Math.Exp(b)))
            {
                high = b;
            }
            else
            {
                low = a;
            }
        }

        return Math.Exp((low + high) / 2);
    }

    /// <summary>One split as tensors.</summary>
    internal sealed class Batch : IDisposable
    {
        private Batch(Tensor clinical, Tensor genomic, Tensor therapy, Tensor label, List<bool> outcomes)
        {
            Clinical = clinical;
            Genomic = genomic;
            Therapy = therapy;
            Label = label;
            Outcomes = outcomes;
        }

        public Tensor Clinical { get; }

        public Tensor Genomic { get; }

        public Tensor Therapy { get; }

        public Tensor Label { get; }

        public List<bool> Outcomes { get; }

        public int Rows => Outcomes.Count;

        public static Batch Of(CohortDataset dataset, DataSplit split)
        {
            var rows = dataset.Examples.Where(e => e.Split == split).Select(e => e.Example).ToList();
            var schema = dataset.Featurizer.Schema;
            return new Batch(
                Matrix(rows.Select(r => r.Features.Clinical), rows.Count, schema.Clinical.Count),
                Matrix(rows.Select(r => r.Features.Genomic), rows.Count, schema.Genomic.Count),
                Matrix(rows.Select(r => dataset.Featurizer.EncodeTherapy(r.TherapyId)), rows.Count, schema.TherapyIds.Count),
                tensor(rows.Select(r => r.Responded ? 1f : 0f).ToArray()),
                [.. rows.Select(r => r.Responded)]);
        }

        public static Tensor Matrix(IEnumerable<float[]> rows, int count, int width) =>
            tensor(rows.SelectMany(r => r).ToArray(), [count, width]);

        public void Dispose()
        {
            Clinical.Dispose();
            Genomic.Dispose();
            Therapy.Dispose();
            Label.Dispose();
        }
    }
}
