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
        ["ndjson/MedicationStatement.ndjson"] = "b1f8b90ef7b4026bfa907da8337cf480777a37b6e4dab9497e884f0c99cf4292",
        ["ndjson/Observation.ndjson"] = "85ef6876f6aabc6ebbeba7cf820aba11a888a3ea32c92647a35253e2f3a1c2a1",
        ["ndjson/Patient.ndjson"] = "511994db8a754e23a49eb77995e472612229dbb03f8f53bb8a6c06211aebee6b",
        ["truth/data-quality.csv"] = "07a3c623e115473cd8276d3a9eac39c099a9f4a0d29a21c4a0efe2c481ad29ca",
        ["truth/true-response-probabilities.csv"] = "9ce79978f2f9386fbedfd1fb9e89b4b8bb8575e4dd37ae30f63801c075c9f965",
    };

    private const string ManifestWithBundles = "7126676efb2992a56d985ffa5d2a60842485993c7a8533f048a09929f9310f69";
    private const string ManifestWithoutBundles = "a20d044d54d1d5243255439e476453574616576427fabe94ed3c336696e26694";

    /// <summary>SHA-256 of the lines "bundles/pat-NNNNNN.json &lt;sha256&gt;" in ordinal order, joined by "\n".</summary>
    private const string BundlesDigest = "8d06ad24ad8c1b320c8d2789ffe42ab5a212d7623a991ce99a67ec5fb1e17bc6";

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
