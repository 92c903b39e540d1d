using System.Security.Cryptography;
using Precision.Clinical.Catalog;

namespace Precision.Cohort.Tests;

internal static class TestSupport
{
    private static readonly Lazy<TherapyCatalog> LazyCatalog = new(() => TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault()));

    public static TherapyCatalog Catalog => LazyCatalog.Value;

    public static CohortGenerator Generator() => new(Catalog);

    public static string RepositoryRoot()
    {
        var catalog = TherapyCatalogLoader.FindDefault();
        return Path.GetFullPath(Path.Combine(Path.GetDirectoryName(catalog)!, "..", ".."));
    }

    public static TempDirectory NewTempDirectory() => new();

    public static Dictionary<string, string> HashTree(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(
                f => Path.GetRelativePath(root, f).Replace('\\', '/'),
                f => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f))),
                StringComparer.Ordinal);
}

internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cohort-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>One small cohort generated once and shared by the read-only tests.</summary>
public sealed class SmallCohortFixture : IDisposable
{
    private readonly TempDirectory _dir = new();

    public SmallCohortFixture()
    {
        Seed = 20251128;
        Result = TestSupport.Generator().Generate(new CohortOptions { PatientCount = 100, Seed = Seed }, _dir.Path);
    }

    public long Seed { get; }

    public CohortResult Result { get; }

    public string Root => _dir.Path;

    public void Dispose() => _dir.Dispose();
}
