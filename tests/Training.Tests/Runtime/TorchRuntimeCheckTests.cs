using Precision.Training.Runtime;

namespace Precision.Training.Tests.Runtime;

/// <summary>
/// End to end: libtorch loads from this build's output (patched by the build step where needed), a small MLP trains
/// with Adam and its weights are read back. libtorch's global state (seed, threads) is shared, so these run one at a time.
/// </summary>
[Collection(LibTorchTests.Name)]
public sealed class TorchRuntimeCheckTests
{
    [Fact]
    public void A_small_MLP_trains_with_Adam_and_its_weights_can_be_read()
    {
        var report = TorchRuntimeCheck.Run(new TorchRuntimeCheckOptions { Steps = 40 });

        Assert.Equal(41, report.Losses.Count);
        Assert.True(report.FinalLoss < report.InitialLoss / 4, $"loss {report.InitialLoss} -> {report.FinalLoss}");
        Assert.StartsWith("2.", report.LibTorchVersion, StringComparison.Ordinal);
        Assert.Equal("cpu", report.Device);
        Assert.Equal(
            [("hidden.weight", new long[] { 16, 8 }), ("hidden.bias", [16]), ("output.weight", [1, 16]), ("output.bias", [1])],
            report.Weights.Select(w => (w.Name, w.Shape)));
        Assert.All(report.Weights, w => Assert.Equal(w.Shape.Aggregate(1L, (a, b) => a * b), w.Values.Length));
        Assert.All(report.Weights, w => Assert.All(w.Values, v => Assert.True(float.IsFinite(v))));
        Assert.Contains(report.Weights.SelectMany(w => w.Values), v => v != 0);
    }

    [Fact]
    public void The_same_seed_gives_the_same_losses_and_weights()
    {
        var options = new TorchRuntimeCheckOptions { Steps = 10, Seed = 7 };
        var a = TorchRuntimeCheck.Run(options);
        var b = TorchRuntimeCheck.Run(options);
        var c = TorchRuntimeCheck.Run(options with { Seed = 8 });

        Assert.Equal(a.Losses, b.Losses);
        Assert.Equal(a.Weights.SelectMany(w => w.Values), b.Weights.SelectMany(w => w.Values));
        Assert.NotEqual(a.Losses, c.Losses);
    }
}

[Collection(LibTorchTests.Name)]
public sealed class TrainingCliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = TrainingCli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Check_prints_versions_device_and_a_falling_loss()
    {
        var (code, stdout, stderr) = Run("check", "--steps", "30", "--seed", "3");

        Assert.True(code == 0, stderr);
        Assert.Contains("TorchSharp 0.107.0, libtorch 2.10", stdout, StringComparison.Ordinal);
        Assert.Contains("device cpu", stdout, StringComparison.Ordinal);
        Assert.Contains("over 30 Adam steps", stdout, StringComparison.Ordinal);
        Assert.Contains("161 values, all finite", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new string[0], "Usage:")]
    [InlineData(new[] { "score" }, "unknown command 'score'")]
    [InlineData(new[] { "check", "--steps" }, "--steps needs an integer")]
    [InlineData(new[] { "check", "--steps", "0" }, "--steps is out of range")]
    [InlineData(new[] { "check", "--lr", "1" }, "unknown argument '--lr'")]
    public void Bad_arguments_give_exit_code_2(string[] args, string message)
    {
        var (code, _, stderr) = Run(args);
        Assert.Equal(2, code);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LibTorchTests
{
    public const string Name = "libtorch";
}
