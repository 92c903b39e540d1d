using System.Security.Cryptography;
using System.Text;

namespace Precision.Cohort.Tests;

/// <summary>
/// With <see cref="CohortOptions.RealWorldShapes"/> off the generator writes, byte for byte, what it wrote before the
/// real-world shapes existed: the SHA-256 of every file below was taken from main (commit d09ebc5) with
/// <c>precision-cohort --patients 40 --seed 7</c> (and <c>--no-bundles</c>), and updated deliberately when the simulation
/// itself changed (issue 13: genomic reports dated before the first line; first-line and next-line truth columns).
/// </summary>
public sealed class LegacyShapesTests
{
    private static readonly Dictionary<string, string> Common = new(StringComparer.Ordinal)
    {
        ["ndjson/Condition.ndjson"] = "60355ea2c71806dc76a67cf50530f55428ca0afa0ed29b3468fc4ae25d06e3b5",
        ["ndjson/DiagnosticReport.ndjson"] = "72349dd9c35852290c9899fd414cc2a2143aa3ad59c2c41084d4a31b46358a93",
        ["ndjson/MedicationStatement.ndjson"] = "b2baf26519dee8cb858b1f63d8f9af8813354a92624af5c3ce6f6cc90ad35be7",
        ["ndjson/Observation.ndjson"] = "673f4576460fc8232b471170eade7571febe3fbe808be7fe21b89fc5aa9b034c",
        ["ndjson/Patient.ndjson"] = "511994db8a754e23a49eb77995e472612229dbb03f8f53bb8a6c06211aebee6b",
        ["truth/data-quality.csv"] = "aeb0f841e2fe8b64f15848375044c849f1fbd1c94cd59bb2914922cd464e9ad3",
        ["truth/true-response-probabilities.csv"] = "3217a03cf5aa6431cb2fd36a69572afbc3b59f9c0cf21e2ffa385f969b719856",
    };

    private const string ManifestWithBundles = "8c073066bf66d59cff0e62ba85a2974b90daa110806cf80b01398cf1b5891bb3";
    private const string ManifestWithoutBundles = "d6584d469f1d86b84b8fce85579db288fa313a735f53789529594ce7ec29a8b8";

    /// <summary>SHA-256 of the lines "bundles/pat-NNNNNN.json &lt;sha256&gt;" in ordinal order, joined by "\n".</summary>
    private const string BundlesDigest = "f3fa8aa3c586086670757052ede61d8dca0fe693fc98642025531ad9b972495a";

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
        var differing = expected.Where(e => e.Value != hashes[e.Key]).Select(e => $"{e.Key} differs from what main wrote (now {hashes[e.Key]})").ToList();
        Assert.True(differing.Count == 0, string.Join("; ", differing));

        Assert.Equal(bundles ? 40 : 0, bundleFiles.Count);
        if (bundles)
        {
            var digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", bundleFiles.Select(f => f + " " + hashes[f])))));
            Assert.True(BundlesDigest == digest, "bundles digest now " + digest);
        }
    }
}
