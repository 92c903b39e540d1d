using Precision.Clinical;
using Precision.Inference.Runtime;

namespace Precision.Inference.Tests.Runtime;

/// <summary>Serving another verified version while predictions run: the committed 1.0.0 and 1.1.0 on ONNX Runtime (CPU).</summary>
public sealed class ModelSwitchTests
{
    private static (PatientProfile Profile, TherapyLine Line) Patient() =>
        ModelFixture.Patients.Where(p => p.TherapyLines.Count > 0).Select(p => (p, p.TherapyLines[0])).First();

    private static EfficacyModelService Start(string version) =>
        EfficacyModelService.Start(new ModelRegistry(TestModels.CommittedDirectory, TestModels.CurrentFeaturizer.Schema),
            new EfficacyModelOptions { Version = version, ExecutionProvider = ExecutionProviderPreference.Cpu }, TestModels.Featurizer, TestModels.Evidence);

    [Fact]
    public void After_serve_the_next_prediction_uses_the_new_version_with_its_own_outputs()
    {
        using var service = Start("1.1.0");
        var (profile, line) = Patient();
        var before = service.PredictAtLineStart(profile, line).Prediction!;
        var verified = service.Registry.Verify("1.0.0").Model!;

        var start = service.Prepare(verified);
        var status = service.Serve(start.Runtime!);
        var after = service.PredictAtLineStart(profile, line).Prediction!;

        Assert.Equal("1.1.0", before.Model.Version);
        Assert.Equal("1.0.0", status.Version);
        Assert.Equal("1.0.0", service.Status.Version);
        Assert.Equal(verified.OnnxSha256, after.Model.OnnxSha256);
        Assert.Equal("1.0.0", after.Model.Version);
        Assert.NotEqual(before.Therapies.Select(t => t.Probability), after.Therapies.Select(t => t.Probability));
        using var reference = Start("1.0.0");
        Assert.Equal(reference.PredictAtLineStart(profile, line).Prediction!.Therapies.Select(t => t.Probability), after.Therapies.Select(t => t.Probability));
    }

    [Fact]
    public void A_lease_taken_before_the_switch_keeps_its_model_open_until_it_ends_then_the_old_runtime_is_released()
    {
        using var service = Start("1.1.0");
        var (profile, line) = Patient();
        var lease = service.Acquire();
        var oldRuntime = lease.Model.Runtime!;

        service.Serve(service.Prepare(service.Registry.Verify("1.0.0").Model!).Runtime!);
        var stillOld = lease.Predictor!.PredictAtLineStart(profile, line).Prediction!;
        lease.Dispose();

        Assert.Equal("1.1.0", stillOld.Model.Version);
        Assert.Equal("1.0.0", service.Status.Version);
        Assert.Throws<ObjectDisposedException>(() => oldRuntime.Score(new float[oldRuntime.ClinicalWidth], new float[oldRuntime.GenomicWidth], new float[oldRuntime.TherapyWidth], new float[1]));
        using var next = service.Acquire();
        Assert.Equal("1.0.0", next.Status.Version);
    }

    [Fact]
    public async Task Predictions_running_on_many_threads_across_switches_each_complete_on_one_model()
    {
        using var service = Start("1.1.0");
        using var reference = Start("1.0.0");
        var (profile, line) = Patient();
        var expected = new Dictionary<string, IReadOnlyList<double>>
        {
            ["1.0.0"] = [.. reference.PredictAtLineStart(profile, line).Prediction!.Therapies.Select(t => t.Probability)],
            ["1.1.0"] = [.. service.PredictAtLineStart(profile, line).Prediction!.Therapies.Select(t => t.Probability)],
        };
        var registry = service.Registry;
        using var stop = new CancellationTokenSource();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var workers = Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var prediction = service.PredictAtLineStart(profile, line).Prediction!;
                if (!expected[prediction.Model.Version].SequenceEqual(prediction.Therapies.Select(t => t.Probability)))
                {
                    failures.Add($"{prediction.Model.Version} gave other outputs than its own model");
                }
            }
        })).ToList();

        foreach (var version in new[] { "1.0.0", "1.1.0", "1.0.0", "1.1.0" })
        {
            service.Serve(service.Prepare(registry.Verify(version).Model!).Runtime!);
            await Task.Delay(50);
        }

        await stop.CancelAsync();
        await Task.WhenAll(workers);
        Assert.Empty(failures);
        Assert.Equal("1.1.0", service.Status.Version);
    }
}
