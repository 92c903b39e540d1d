using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Precision.Inference.Runtime;

namespace Precision.Inference.Tests.Runtime;

/// <summary>
/// Real ONNX Runtime on the committed model. The CUDA tests use this machine's real state: the GPU package's CUDA
/// provider is present but the CUDA 13 libraries are not, so appending the provider fails for real (no fake).
/// </summary>
[Collection(ModelFixtureGroup.Name)]
public sealed class EfficacyModelRuntimeTests(ModelFixture fixture)
{
    private static bool CudaLibrariesPresent => NativeLibrary.TryLoad("libcublasLt.so.13", out var handle) && Free(handle);

    [SkippableFact]
    public void On_a_host_without_the_CUDA_libraries_Auto_serves_on_the_CPU_and_logs_why()
    {
        Skip.If(CudaLibrariesPresent, "The CUDA 13 libraries are present on this host: the CPU fallback cannot happen here.");

        var logger = new ListLogger();
        var start = EfficacyModelRuntime.Start(TestModels.VerifiedCommitted(), new EfficacyModelOptions { ExecutionProvider = ExecutionProviderPreference.Auto }, logger);

        using var runtime = start.Runtime;
        Assert.NotNull(runtime);
        Assert.Equal(ExecutionProviderInfo.Cpu, runtime.Provider.Name);
        Assert.NotNull(runtime.Provider.FallbackReason);
        var warning = Assert.Single(logger.Lines, l => l.Level == LogLevel.Warning);
        Assert.Contains("CUDA execution provider is unavailable", warning.Message, StringComparison.Ordinal);
        Assert.Contains(runtime.Provider.FallbackReason, warning.Message, StringComparison.Ordinal);
        Assert.Contains(logger.Lines, l => l.Level == LogLevel.Information && l.Message.Contains("serving on CPU", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void On_a_host_without_the_CUDA_libraries_Cuda_is_refused_with_what_to_install_or_set()
    {
        Skip.If(CudaLibrariesPresent, "The CUDA 13 libraries are present on this host: the refusal cannot happen here.");

        var start = EfficacyModelRuntime.Start(TestModels.VerifiedCommitted(), new EfficacyModelOptions { ExecutionProvider = ExecutionProviderPreference.Cuda, DeviceId = 0 });

        Assert.False(start.Started);
        Assert.Contains("Model:ExecutionProvider is Cuda, but the CUDA execution provider could not start on device 0", start.Error, StringComparison.Ordinal);
        Assert.Contains("CUDA 13 and cuDNN 9", start.Error, StringComparison.Ordinal);
        Assert.Contains("set Model:ExecutionProvider to Auto", start.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Cpu_runs_on_the_CPU_without_trying_CUDA()
    {
        using var runtime = EfficacyModelRuntime.Start(TestModels.VerifiedCommitted(), TestModels.Cpu).Runtime!;

        Assert.Equal("CPU", runtime.Provider.ToString());
        Assert.Null(runtime.Provider.FallbackReason);
        Assert.Equal((52, 33, 22, 5, 32), (runtime.ClinicalWidth, runtime.GenomicWidth, runtime.TherapyWidth, runtime.MemberCount, runtime.EmbeddingWidth));
    }

    [Fact]
    public void Invalid_options_are_an_error_naming_the_setting()
    {
        var start = EfficacyModelRuntime.Start(TestModels.VerifiedCommitted(), new EfficacyModelOptions { IntraOpThreads = 0 });

        Assert.False(start.Started);
        Assert.Contains("Model:IntraOpThreads must be between 1 and 256 (it is 0)", start.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_large_batch_is_scored_in_chunks_exactly_as_row_by_row()
    {
        using var runtime = EfficacyModelRuntime.Start(TestModels.VerifiedCommitted(), new EfficacyModelOptions { ExecutionProvider = ExecutionProviderPreference.Cpu, BatchSize = 256 }).Runtime!;
        var rows = 1000; // 3 full chunks and a remainder
        var (clinical, genomic, therapy) = Rows(rows);
        var batched = new float[rows];

        runtime.Score(clinical, genomic, therapy, batched);

        for (var i = 0; i < rows; i += 37)
        {
            var single = new float[1];
            fixture.Runtime.Score(clinical.AsSpan(i * 52, 52), genomic.AsSpan(i * 33, 33), therapy.AsSpan(i * 22, 22), single);
            Assert.Equal(single[0], batched[i], 5);
        }

        Assert.All(batched, p => Assert.InRange(p, 0f, 1f));
    }

    [Fact]
    public void The_full_run_returns_members_probability_and_embedding_consistent_with_score()
    {
        var (clinical, genomic, therapy) = Rows(50);
        var probability = new float[50];
        var members = new float[50 * 5];
        var embedding = new float[50 * 32];
        var scored = new float[50];

        fixture.Runtime.Run(clinical, genomic, therapy, probability, members, embedding);
        fixture.Runtime.Score(clinical, genomic, therapy, scored);

        Assert.Equal(scored, probability);
        Assert.All(members, p => Assert.InRange(p, 0f, 1f));
        Assert.Contains(embedding, v => v != 0f);
    }

    [Fact]
    public void Wrong_input_lengths_are_an_argument_error_not_a_native_crash()
    {
        var error = Assert.Throws<ArgumentException>(() => fixture.Runtime.Score(new float[51], new float[33], new float[22], new float[1]));
        Assert.Contains("clinical holds 51 values; 52 expected", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Feature rows from generated patients' line starts, each with the therapy they received.</summary>
    internal static (float[] Clinical, float[] Genomic, float[] Therapy) Rows(int count)
    {
        var examples = ModelFixture.Patients.SelectMany(p => Features.ResponseExamples.From(p, TestModels.Featurizer)).ToList();
        var picked = Enumerable.Range(0, count).Select(i => examples[i % examples.Count]).ToList();
        return (
            [.. picked.SelectMany(e => e.Features.Clinical)],
            [.. picked.SelectMany(e => e.Features.Genomic)],
            [.. picked.SelectMany(e => TestModels.Featurizer.EncodeTherapy(e.TherapyId))]);
    }

    private static bool Free(IntPtr handle)
    {
        NativeLibrary.Free(handle);
        return true;
    }
}
