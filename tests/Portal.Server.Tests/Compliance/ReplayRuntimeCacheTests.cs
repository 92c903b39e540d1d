using Microsoft.Extensions.Logging.Abstractions;
using Precision.Clinical.Catalog;
using Precision.Inference.Features;
using Precision.Inference.Runtime;
using Precision.Portal.Server.Compliance;
using Precision.Portal.Testing;

namespace Precision.Portal.Server.Tests.Compliance;

/// <summary>The replay sessions on the committed models and the real ONNX Runtime: kept, shared, evicted, disposed only when no replay holds them.</summary>
public sealed class ReplayRuntimeCacheTests
{
    private static readonly ModelRegistry Registry = new(
        Path.Combine(RepositoryRoot.Path, "models", "efficacy"),
        new PatientFeaturizer(TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault(RepositoryRoot.Path))).Schema);

    private static readonly EfficacyModelOptions Cpu = new() { ExecutionProvider = ExecutionProviderPreference.Cpu };

    [Fact]
    public void A_session_is_shared_for_the_same_file_and_an_evicted_one_is_disposed_only_after_its_last_replay_ends()
    {
        var v110 = Registry.Verify("1.1.0").Model!;
        var v100 = Registry.Verify("1.0.0").Model!;
        using var cache = new ReplayRuntimeCache(Cpu, capacity: 1, NullLogger.Instance);

        var first = cache.Acquire(v110).Lease!;
        var second = cache.Acquire(v110).Lease!;
        Assert.Same(first.Runtime, second.Runtime);
        Assert.Equal(ExecutionProviderInfo.Cpu, first.Runtime.Provider.Name);
        second.Dispose();

        // 1.0.0 pushes 1.1.0 out, but a replay still holds 1.1.0: it keeps running until that replay ends.
        using (var other = cache.Acquire(v100).Lease!)
        {
            Assert.Equal(1, cache.OpenCount);
            Assert.Equal("1.0.0", other.Runtime.Model.Version);
            Assert.True(Score(first.Runtime) is > 0 and < 1);
        }

        var evicted = first.Runtime;
        first.Dispose();
        Assert.Throws<ObjectDisposedException>(() => Score(evicted));

        // The open 1.0.0 session goes with the cache.
        var kept = cache.Acquire(v100).Lease!;
        var runtime = kept.Runtime;
        kept.Dispose();
        cache.Dispose();
        Assert.Throws<ObjectDisposedException>(() => Score(runtime));
        Assert.Throws<ObjectDisposedException>(() => cache.Acquire(v100));
    }

    /// <summary>One row: neutral features, the first therapy.</summary>
    private static float Score(EfficacyModelRuntime runtime)
    {
        var therapy = new float[runtime.TherapyWidth];
        therapy[0] = 1f;
        var output = new float[1];
        runtime.Score(new float[runtime.ClinicalWidth], new float[runtime.GenomicWidth], therapy, output);
        return output[0];
    }
}
