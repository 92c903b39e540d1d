namespace Precision.Cohort.Tests;

public sealed class CliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = CohortCli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Theory]
    [InlineData("--patients", "abc", "--patients must be a whole number")]
    [InlineData("--patients", "-5", "--patients must be 0 or more")]
    [InlineData("--seed", "x1", "--seed must be an integer")]
    public void Bad_numbers_give_a_clear_message_and_exit_code_2(string option, string value, string message)
    {
        using var dir = TestSupport.NewTempDirectory();
        var args = new Dictionary<string, string> { ["--patients"] = "3", ["--seed"] = "1", ["--out"] = dir.Path };
        args[option] = value;
        var (code, _, err) = Run([.. args.SelectMany(a => new[] { a.Key, a.Value })]);
        Assert.Equal(2, code);
        Assert.Contains(message, err, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_and_unknown_arguments_give_exit_code_2()
    {
        Assert.Equal(2, Run("--patients", "3", "--seed", "1").Code);
        Assert.Equal(2, Run("--patients", "3", "--out", "/tmp/x").Code);
        var (code, _, err) = Run("--patients", "3", "--seed", "1", "--out", "/tmp/x", "--colour", "red");
        Assert.Equal(2, code);
        Assert.Contains("unknown argument '--colour'", err, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unwritable_output_directory_gives_exit_code_2()
    {
        using var dir = TestSupport.NewTempDirectory();
        var file = dir.Sub("a-file");
        File.WriteAllText(file, "x");
        var (code, _, err) = Run("--patients", "3", "--seed", "1", "--out", Path.Combine(file, "below"));
        Assert.Equal(2, code);
        Assert.Contains("not writable", err, StringComparison.Ordinal);

        (code, _, err) = Run("--patients", "3", "--seed", "1", "--out", file);
        Assert.Equal(2, code);
        Assert.Contains("is a file", err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_good_run_writes_the_cohort_and_exits_0()
    {
        using var dir = TestSupport.NewTempDirectory();
        var (code, stdout, _) = Run("--patients", "4", "--seed", "5", "--out", dir.Path);
        Assert.Equal(0, code);
        Assert.Contains("Generated 4 patients", stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(dir.Path, "manifest.json")));
        Assert.Equal(4, Directory.GetFiles(Path.Combine(dir.Path, "bundles")).Length);
    }

    [Fact]
    public void No_real_world_shapes_writes_only_the_earlier_files()
    {
        using var dir = TestSupport.NewTempDirectory();
        var (code, stdout, _) = Run("--patients", "4", "--seed", "5", "--out", dir.Path, "--no-real-world-shapes", "--no-bundles");
        Assert.Equal(0, code);
        Assert.DoesNotContain("MedicationAdministration", stdout, StringComparison.Ordinal);
        Assert.Equal(CohortGenerator.LegacyResourceTypes.Select(t => t + ".ndjson").Order(StringComparer.Ordinal),
            Directory.GetFiles(Path.Combine(dir.Path, "ndjson")).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        using var realWorld = TestSupport.NewTempDirectory();
        (code, stdout, _) = Run("--patients", "4", "--seed", "5", "--out", realWorld.Path, "--no-bundles");
        Assert.Equal(0, code);
        Assert.Contains("MedicationAdministration", stdout, StringComparison.Ordinal);
        Assert.Equal(CohortGenerator.ResourceTypes.Count, Directory.GetFiles(Path.Combine(realWorld.Path, "ndjson")).Length);
    }
}
