namespace Precision.Training.Tests.Elf;

/// <summary>The patcher's command line, which the build runs.</summary>
public sealed class ElfCliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = ElfCli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void A_non_ELF_file_fails_with_exit_code_1_and_the_reason()
    {
        using var dir = new TempDirectory();
        var text = dir.File("libLibTorchSharp.so");
        File.WriteAllText(text, "not a library");

        var (code, _, err) = Run("torchsharp-loader", "--libstdcxx", text, text);

        Assert.Equal(1, code);
        Assert.Contains("not an ELF file", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_arguments_give_the_usage_and_exit_code_2()
    {
        Assert.Equal(2, Run().Code);
        Assert.Equal(2, Run("torchsharp-loader").Code);
        Assert.Equal(2, Run("weaken", "only-a-file").Code);
        var (code, _, err) = Run("frobnicate");
        Assert.Equal(2, code);
        Assert.Contains("Usage:", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Weaken_and_versions_work_on_a_file()
    {
        using var dir = new TempDirectory();
        var writer = new SyntheticElf();
        var strings = new StringTable();
        var dynstr = writer.AddStrings(".dynstr", strings);
        writer.AddVersionNeeds(dynstr, strings, [new NeededFile("libfoo.so.1", [new NeededVersion("FOO_1", 2), new NeededVersion("FOO_2", 3)])]);
        var file = dir.File("lib.so");
        File.WriteAllBytes(file, writer.Build());

        var (code, stdout, _) = Run("weaken", file, "FOO_2");
        Assert.Equal(0, code);
        Assert.Contains("marked FOO_2 (needed from libfoo.so.1) weak", stdout, StringComparison.Ordinal);

        (code, stdout, _) = Run("versions", file);
        Assert.Equal(0, code);
        Assert.Contains("FOO_2", stdout.Split('\n').Single(l => l.Contains("(weak)", StringComparison.Ordinal)), StringComparison.Ordinal);
    }
}
