using System.Security.Cryptography;
using System.Text;

namespace Precision.Cohort.Tests;

/// <summary>
/// With <see cref="CohortOptions.RealWorldShapes"/> off the generator writes, byte for byte, what it wrote before the
/// real-world shapes existed: the SHA-256 of every file below was taken from main (commit d09ebc5) with
/// <c>precision-cohort --patients 40 --seed 7</c> (and <c>--no-bundles</c>).
/// </summary>
public sealed class LegacyShapesTests
{
    private static readonly Dictionary<string, string> Common = new(StringComparer.Ordinal)
    {
        ["ndjson/Condition.ndjson"] = "60355ea2c71806dc76a67cf50530f55428ca0afa0ed29b3468fc4ae25d06e3b5",
        ["ndjson/DiagnosticReport.ndjson"] = "80af26c4e5ad8346d0e04a8cfcfb496840bf0542a0f79340c6cbf34c55172d62",
        ["ndjson/MedicationStatement.ndjson"] = "b2baf26519dee8cb858b1f63d8f9af8813354a92624af5c3ce6f6cc90ad35be7",
        ["ndjson/Observation.ndjson"] = "f5a112775967a057bf219638f32de7cc1e75043f88b1567f48113fdb72cd6010",
        ["ndjson/Patient.ndjson"] = "511994db8a754e23a49eb77995e472612229dbb03f8f53bb8a6c06211aebee6b",
        ["truth/data-quality.csv"] = "aeb0f841e2fe8b64f15848375044c849f1fbd1c94cd59bb2914922cd464e9ad3",
        ["truth/true-response-probabilities.csv"] = "063c4ee9dffabf3dbba8adcf64418fdd7db28bb3361bcde28455708e76662876",
    };

    private const string ManifestWithBundles = "2fa88d4a082eb4474ec205d2ab3f35514e4ab95e1a91ad46a9125e1f2e3b5ef6";
    private const string ManifestWithoutBundles = "62f95fba2e68f6e5a73770175f022bd867872eed2d90a83dda0ea7ed59741d9b";

    /// <summary>SHA-256 of the lines "bundles/pat-NNNNNN.json &lt;sha256&gt;" in ordinal order, joined by "\n".</summary>
    private const string BundlesDigest = "3b2836f09a87104cede4fc7da26bfca4ba467aa8c795a3a6e731e2c131b4fd0b";

    [Theory]
    [InlineData(true, 2)]
    [InlineData(false, 1)]
    public void Without_real_world_shapes_the_files_are_byte_identical_to_main(bool bundles, int threads)
    {
        using var dir = TestSupport.NewTempDirectory();
        TestSupport.Generator().Generate(
            new CohortOptions { PatientCount = 40, Seed = 7, WriteBundles = bundles, RealWorldShapes = false, MaxDegreeOfParallelism = threads }, dir.Path);

        var hashes = TestSupport.HashTree(dir.Path);
        var expected = new Dictionary<string, string>(Common, StringComparer.Ordinal)
        {
            ["manifest.json"] = bundles ? ManifestWithBundles : ManifestWithoutBundles,
        };
        var bundleFiles = hashes.Keys.Where(k => k.StartsWith("bundles/", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), hashes.Keys.Except(bundleFiles).Order(StringComparer.Ordinal));
        foreach (var (file, hash) in expected)
        {
            Assert.True(hash == hashes[file], $"{file} differs from what main wrote");
        }

        Assert.Equal(bundles ? 40 : 0, bundleFiles.Count);
        if (bundles)
        {
            var digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", bundleFiles.Select(f => f + " " + hashes[f])))));
            Assert.Equal(BundlesDigest, digest);
        }
    }
}
