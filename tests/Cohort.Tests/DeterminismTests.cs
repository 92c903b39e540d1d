namespace Precision.Cohort.Tests;

public sealed class DeterminismTests
{
    [Fact]
    public void Same_seed_and_size_give_byte_identical_files()
    {
        using var a = TestSupport.NewTempDirectory();
        using var b = TestSupport.NewTempDirectory();
        var generator = TestSupport.Generator();
        generator.Generate(new CohortOptions { PatientCount = 40, Seed = 7, MaxDegreeOfParallelism = 2 }, a.Path);
        generator.Generate(new CohortOptions { PatientCount = 40, Seed = 7, MaxDegreeOfParallelism = 1 }, b.Path);

        var hashesA = TestSupport.HashTree(a.Path);
        var hashesB = TestSupport.HashTree(b.Path);
        Assert.Equal(hashesA.Keys.Order(StringComparer.Ordinal), hashesB.Keys.Order(StringComparer.Ordinal));
        foreach (var (file, hash) in hashesA)
        {
            Assert.True(hash == hashesB[file], $"{file} differs between two runs with the same seed");
        }

        Assert.Contains("manifest.json", hashesA.Keys);
        Assert.Contains("ndjson/Observation.ndjson", hashesA.Keys);
        Assert.Equal(40, hashesA.Keys.Count(k => k.StartsWith("bundles/", StringComparison.Ordinal)));
    }

    [Fact]
    public void Different_seed_gives_different_files()
    {
        using var a = TestSupport.NewTempDirectory();
        using var b = TestSupport.NewTempDirectory();
        var generator = TestSupport.Generator();
        generator.Generate(new CohortOptions { PatientCount = 20, Seed = 1, WriteBundles = false }, a.Path);
        generator.Generate(new CohortOptions { PatientCount = 20, Seed = 2, WriteBundles = false }, b.Path);

        var hashesA = TestSupport.HashTree(a.Path);
        var hashesB = TestSupport.HashTree(b.Path);
        foreach (var file in new[] { "ndjson/Patient.ndjson", "ndjson/Observation.ndjson", "truth/true-response-probabilities.csv", "manifest.json" })
        {
            Assert.NotEqual(hashesA[file], hashesB[file]);
        }
    }

    [Fact]
    public void A_patient_does_not_depend_on_cohort_size()
    {
        var generator = TestSupport.Generator();
        using var small = TestSupport.NewTempDirectory();
        using var large = TestSupport.NewTempDirectory();
        generator.Generate(new CohortOptions { PatientCount = 3, Seed = 99, WriteBundles = false }, small.Path);
        generator.Generate(new CohortOptions { PatientCount = 9, Seed = 99, WriteBundles = false }, large.Path);
        var first = File.ReadAllLines(Path.Combine(small.Path, "ndjson", "Patient.ndjson"));
        var second = File.ReadAllLines(Path.Combine(large.Path, "ndjson", "Patient.ndjson"));
        Assert.Equal(first, second.Take(3));
    }

    [Fact]
    public void Manifest_records_seed_count_versions_and_hashes()
    {
        using var dir = TestSupport.NewTempDirectory();
        var result = TestSupport.Generator().Generate(new CohortOptions { PatientCount = 5, Seed = 12 }, dir.Path);
        using var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir.Path, "manifest.json")));
        var root = manifest.RootElement;
        Assert.Equal(12, root.GetProperty("seed").GetInt64());
        Assert.Equal(5, root.GetProperty("patientCount").GetInt32());
        Assert.Equal(TestSupport.Catalog.CatalogVersion, root.GetProperty("catalogVersion").GetString());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("generatorVersion").GetString()));
        var files = root.GetProperty("files").EnumerateArray().ToList();
        var hashes = TestSupport.HashTree(dir.Path);
        foreach (var file in files)
        {
            Assert.Equal(hashes[file.GetProperty("path").GetString()!], file.GetProperty("sha256").GetString());
        }

        Assert.Equal(5, root.GetProperty("bundles").GetProperty("count").GetInt32());
        Assert.Equal(5, result.ResourceCounts["Patient"]);
    }
}
