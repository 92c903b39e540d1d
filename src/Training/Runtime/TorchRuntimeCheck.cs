using System.Diagnostics;
using System.Reflection;
using TorchSharp;
using static TorchSharp.torch;

namespace Precision.Training.Runtime;

/// <summary>Settings of the runtime check: a small MLP regression trained with Adam on seeded random data.</summary>
public sealed record TorchRuntimeCheckOptions
{
    /// <summary>Adam steps.</summary>
    public int Steps { get; init; } = 60;

    /// <summary>Seed of libtorch's generator: weights and data.</summary>
    public long Seed { get; init; } = 20261128;

    /// <summary>libtorch intra-op threads (1 is deterministic and fastest for a model this small).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Training rows.</summary>
    public int Samples { get; init; } = 256;

    /// <summary>Input features.</summary>
    public int Features { get; init; } = 8;

    /// <summary>Hidden units.</summary>
    public int Hidden { get; init; } = 16;

    /// <summary>Adam learning rate.</summary>
    public double LearningRate { get; init; } = 0.01;
}

/// <summary>One weight tensor of the trained model, read back from its state_dict.</summary>
public sealed record TrainedWeight(string Name, long[] Shape, float[] Values);

/// <summary>
/// What the runtime check saw: versions, device, timings, the losses (<c>Losses[i]</c> is the loss before step i; the
/// last entry is the loss after the last step) and the trained weights.
/// </summary>
public sealed record TorchRuntimeReport(
    string TorchSharpVersion,
    string LibTorchVersion,
    string Device,
    bool CudaAvailable,
    int Threads,
    TimeSpan LoadTime,
    TimeSpan TrainTime,
    IReadOnlyList<float> Losses,
    IReadOnlyList<TrainedWeight> Weights)
{
    /// <summary>Loss before the first step.</summary>
    public float InitialLoss => Losses[0];

    /// <summary>Loss after the last step.</summary>
    public float FinalLoss => Losses[^1];
}

/// <summary>
/// Proves that libtorch loads and trains here: builds a small MLP (Linear–ReLU–Linear), runs Adam steps on seeded
/// random regression data on the CPU, and reads every weight back from <c>state_dict()</c>.
/// </summary>
public static class TorchRuntimeCheck
{
    /// <summary>Runs the check. Throws what TorchSharp throws when libtorch cannot be loaded.</summary>
    public static TorchRuntimeReport Run(TorchRuntimeCheckOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Steps, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Threads, 1);

        var load = Stopwatch.StartNew();
        InitializeDeviceType(DeviceType.CPU);
        load.Stop();

        set_num_threads(options.Threads);
        random.manual_seed(options.Seed);

        using var scope = NewDisposeScope();
        var train = Stopwatch.StartNew();
        using var model = nn.Sequential(
            ("hidden", nn.Linear(options.Features, options.Hidden)),
            ("relu", nn.ReLU()),
            ("output", nn.Linear(options.Hidden, 1)));

        // y = x·w + 0.5·sin(3·x₀) + noise: learnable, not trivially linear.
        var x = randn(options.Samples, options.Features);
        var w = randn(options.Features, 1);
        var y = x.matmul(w) + (0.5 * sin(3 * x[TensorIndex.Colon, TensorIndex.Slice(0, 1)])) + (0.05 * randn(options.Samples, 1));

        using var optimizer = optim.Adam(model.parameters(), lr: options.LearningRate);
        var losses = new List<float>(options.Steps + 1);
        for (var step = 0; step < options.Steps; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(model.forward(x), y);
            losses.Add(loss.item<float>());
            loss.backward();
            optimizer.step();
        }

        using (no_grad())
        {
            losses.Add(nn.functional.mse_loss(model.forward(x), y).item<float>());
        }

        var weights = model.state_dict()
            .Select(p => new TrainedWeight(p.Key, p.Value.shape, p.Value.contiguous().data<float>().ToArray()))
            .ToList();
        train.Stop();

        return new TorchRuntimeReport(
            TorchSharpVersion: typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
                ?? typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown",
            LibTorchVersion: __version__,
            Device: "cpu",
            CudaAvailable: cuda.is_available(),
            Threads: get_num_threads(),
            LoadTime: load.Elapsed,
            TrainTime: train.Elapsed,
            Losses: losses,
            Weights: weights);
    }
}
