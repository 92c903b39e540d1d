using System.Globalization;
using Precision.Training.Runtime;

namespace Precision.Training;

/// <summary>precision-train: model training tools. Exit codes: 0 ok, 1 failure, 2 bad arguments.</summary>
internal static class TrainingCli
{
    private const string Usage = """
        Usage:
          precision-train check [--steps N] [--seed S] [--threads N]
              Loads libtorch, trains a small MLP with Adam on seeded random data and reads its weights back.

          precision-train train --cohort DIR [--external-cohort DIR] [--members N] [--epochs N] [--patience N] [--seed S] [--out DIR] [--version X.Y.Z]
              Trains the efficacy ensemble on a generated cohort (precision-cohort output), shows each epoch, and
              compares the calibrated ensemble with the catalog rule lookup, logistic regression and the oracle on the
              held-out test patients; with --out, writes model.onnx, manifest.json, model-card.md, calibration.svg and
              evaluation.json/.md (the evaluation below, run on the written model.onnx). With --external-cohort, a cohort
              generated with a seed training never saw is scored too, and the model card reports both.

          precision-train evaluate --model DIR --cohort DIR [--training-cohort DIR] [--out DIR]
              Scores a model version folder (e.g. models/efficacy/1.1.0) as the portal serves it (registry checks, ONNX
              Runtime, CPU) on a cohort: its test split when it is the model's training cohort (manifest cohort seed and
              SHA-256), every patient otherwise. Compares it with the rule lookup, logistic regression and LightGBM (fitted
              on the training cohort's train split: give --training-cohort for another cohort) and the oracle; writes
              evaluation.json and evaluation.md to --out, or prints the Markdown.

          --steps N     Adam steps (default 60)
          --patience N  epochs without a better validation loss before a member stops (default 8)
          --seed S      integer seed of weights and data (default 20261128)
          --threads N   libtorch threads (default 1)
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args is [] or ["-h" or "--help"])
        {
            (args.Length == 0 ? stderr : stdout).WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        if (args[0] == "train")
        {
            return TrainCommand.Run(args[1..], stdout, stderr);
        }

        if (args[0] == "evaluate")
        {
            return EvaluateCommand.Run(args[1..], stdout, stderr);
        }

        if (args[0] != "check")
        {
            return Fail(stderr, $"unknown command '{args[0]}'.", 2);
        }

        var options = new TorchRuntimeCheckOptions();
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] is not ("--steps" or "--seed" or "--threads"))
            {
                return Fail(stderr, $"unknown argument '{args[i]}'.", 2);
            }

            if (i + 1 >= args.Length || !long.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                return Fail(stderr, $"{args[i]} needs an integer.", 2);
            }

            TorchRuntimeCheckOptions? updated = args[i] switch
            {
                "--steps" when value is >= 1 and <= 100_000 => options with { Steps = (int)value },
                "--threads" when value is >= 1 and <= 1024 => options with { Threads = (int)value },
                "--seed" => options with { Seed = value },
                _ => null,
            };
            if (updated is null)
            {
                return Fail(stderr, $"{args[i]} is out of range.", 2);
            }

            options = updated;

            i++;
        }

        return Check(options, stdout, stderr);
    }

    private static int Check(TorchRuntimeCheckOptions options, TextWriter stdout, TextWriter stderr)
    {
        TorchRuntimeReport report;
        try
        {
            report = TorchRuntimeCheck.Run(options);
        }
        catch (Exception e) when (e is NotSupportedException or TypeInitializationException or DllNotFoundException or EntryPointNotFoundException)
        {
            var message = e.GetBaseException().Message;
            stderr.WriteLine($"error: libtorch could not be loaded: {message.Split('\n')[0].Trim()}");
            stderr.WriteLine("On Debian 12 and other systems whose libstdc++ is older than GCC 13's, the real cause is usually that "
                + "libLibTorchSharp.so needs GLIBCXX_3.4.32 (check with `ldd runtimes/linux-x64/native/libLibTorchSharp.so`). "
                + "The build patches its copy (build/TorchSharpLoaderFix); run the app from a build or publish output of this repository.");
            stderr.WriteLine("TorchSharp's load trace:");
            stderr.WriteLine(message);
            return 1;
        }

        var c = CultureInfo.InvariantCulture;
        stdout.WriteLine(string.Create(c,
            $"TorchSharp {report.TorchSharpVersion}, libtorch {report.LibTorchVersion}; device {report.Device} (CUDA {(report.CudaAvailable ? "available" : "not available")}); {report.Threads} thread(s); libtorch loaded in {report.LoadTime.TotalMilliseconds:F0} ms"));
        // Losses[i] is the loss before step i; the last entry is the loss after the last step.
        var every = Math.Max(1, options.Steps / 10);
        for (var step = 0; step < report.Losses.Count; step++)
        {
            if (step % every == 0 || step == report.Losses.Count - 1)
            {
                stdout.WriteLine(string.Create(c, $"  after {step,6} steps  loss {report.Losses[step]:F6}"));
            }
        }

        var values = report.Weights.Sum(w => w.Values.Length);
        var finite = report.Weights.All(w => w.Values.All(float.IsFinite));
        stdout.WriteLine("weights: " + string.Join(", ", report.Weights.Select(w => $"{w.Name} [{string.Join('x', w.Shape)}]"))
            + string.Create(c, $" ({values} values{(finite ? ", all finite" : ", NOT all finite")})"));
        stdout.WriteLine(string.Create(c,
            $"loss {report.InitialLoss:F6} -> {report.FinalLoss:F6} over {options.Steps} Adam steps in {report.TrainTime.TotalMilliseconds:F0} ms"));

        if (!(report.FinalLoss < report.InitialLoss) || !finite)
        {
            stderr.WriteLine("error: training did not reduce the loss or produced non-finite weights.");
            return 1;
        }

        return 0;
    }

    internal static int Fail(TextWriter stderr, string message, int code)
    {
        stderr.WriteLine($"error: {message}");
        stderr.WriteLine(Usage);
        return code;
    }
}
