using System.Text;
using Precision.Build.Elf;

namespace Precision.Training.Tests.Elf;

/// <summary>Reading which GLIBCXX versions a libstdc++ defines, on synthetic libraries and on this machine's.</summary>
public sealed class SystemLibStdCxxTests
{
    private static byte[] LibStdCxxDefining(params string[] versions)
    {
        var writer = new SyntheticElf();
        var strings = new StringTable();
        var dynstr = writer.AddStrings(".dynstr", strings);
        writer.AddVersionDefinitions(dynstr, strings, "libstdc++.so.6", versions);
        return writer.Build();
    }

    [Fact]
    public void A_library_that_defines_the_version_provides_it()
    {
        using var dir = new TempDirectory();
        var gcc13 = dir.File("gcc13-libstdc++.so.6");
        File.WriteAllBytes(gcc13, LibStdCxxDefining("GLIBCXX_3.4", "GLIBCXX_3.4.30", "GLIBCXX_3.4.31", "GLIBCXX_3.4.32", "CXXABI_1.3.14"));
        var gcc12 = dir.File("gcc12-libstdc++.so.6");
        File.WriteAllBytes(gcc12, LibStdCxxDefining("GLIBCXX_3.4", "GLIBCXX_3.4.29", "GLIBCXX_3.4.30", "CXXABI_1.3.13"));

        Assert.True(SystemLibStdCxx.DefinesVersion(gcc13, "GLIBCXX_3.4.32"));
        Assert.False(SystemLibStdCxx.DefinesVersion(gcc13, "GLIBCXX_3.4.33"));
        Assert.False(SystemLibStdCxx.DefinesVersion(gcc12, "GLIBCXX_3.4.32"));
        Assert.True(SystemLibStdCxx.DefinesVersion(gcc12, "GLIBCXX_3.4.30"));
        // The base entry is the library's own name, not a version it defines.
        Assert.False(SystemLibStdCxx.DefinesVersion(gcc13, "libstdc++.so.6"));
        var definitions = ElfImage.Load(gcc13).ReadVersionDefinitions();
        Assert.True(definitions[0].IsBase);
        Assert.Equal(6, definitions.Count);
    }

    [Fact]
    public void This_machines_libstdcxx_is_found_and_read()
    {
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64)
        {
            return;
        }

        var path = SystemLibStdCxx.Locate(ElfImage.MachineX86_64);
        Assert.NotNull(path);
        Assert.Contains(SystemLibStdCxx.SoName, SystemLibStdCxx.Candidates()[0], StringComparison.Ordinal);

        // Every libstdc++ of the last decade defines GLIBCXX_3.4.21 (GCC 5).
        Assert.True(SystemLibStdCxx.DefinesVersion(path, "GLIBCXX_3.4.21"));

        // Independent of the parser: a library that defines the version carries its name in the dynamic string table.
        var bytes = File.ReadAllBytes(path);
        var hasName = bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes("GLIBCXX_3.4.32\0")) >= 0;
        Assert.Equal(hasName, SystemLibStdCxx.DefinesVersion(path, TorchSharpLoaderFix.RequiredVersion));

        // Debian 12 ships GCC 12's libstdc++: GLIBCXX up to 3.4.30.
        if (IsDebian12())
        {
            Assert.False(SystemLibStdCxx.DefinesVersion(path, TorchSharpLoaderFix.RequiredVersion));
            Assert.True(SystemLibStdCxx.DefinesVersion(path, "GLIBCXX_3.4.30"));
            Assert.False(SystemLibStdCxx.DefinesVersion(path, "GLIBCXX_3.4.31"));
        }
    }

    internal static bool IsDebian12() =>
        File.Exists("/etc/os-release")
        && File.ReadAllLines("/etc/os-release") is var lines
        && lines.Contains("ID=debian")
        && lines.Contains("VERSION_ID=\"12\"");
}
