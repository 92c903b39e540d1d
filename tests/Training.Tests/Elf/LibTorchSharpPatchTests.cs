using System.Reflection;
using Precision.Build.Elf;

namespace Precision.Training.Tests.Elf;

/// <summary>The loader fix on the real libLibTorchSharp.so of the TorchSharp package and on this build's output.</summary>
public sealed class LibTorchSharpPatchTests
{
    /// <summary>The package's own file (the build records its path); never written to.</summary>
    private static readonly string PackageLibrary = typeof(LibTorchSharpPatchTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TorchSharpLoaderPackagePath").Value
        ?? throw new InvalidOperationException("the build did not record the TorchSharp package path");

    private static readonly string OutputLibrary =
        Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", TorchSharpLoaderFix.LibraryFileName);

    [Fact]
    public void The_package_file_is_where_the_build_says_and_unpatched()
    {
        Assert.EndsWith(Path.Combine("runtimes", "linux-x64", "native", "libLibTorchSharp.so"), PackageLibrary, StringComparison.Ordinal);
        var need = Assert.Single(ElfImage.Load(PackageLibrary).ReadVersionNeeds(), n => n.Name == TorchSharpLoaderFix.RequiredVersion);
        Assert.Equal("libstdc++.so.6", need.File);
        // The build patches copies only: the package cache keeps the file as shipped.
        Assert.False(need.IsWeak);
    }

    [Fact]
    public void Patching_a_copy_changes_only_the_vna_flags_of_GLIBCXX_3_4_32_and_is_idempotent()
    {
        using var dir = new TempDirectory();
        var copy = dir.File(TorchSharpLoaderFix.LibraryFileName);
        File.Copy(PackageLibrary, copy);
        var original = File.ReadAllBytes(PackageLibrary);

        var first = ElfVersionNeedPatcher.MarkWeakInFile(copy, TorchSharpLoaderFix.RequiredVersion);

        Assert.Equal(VersionNeedPatchOutcome.Patched, first.Outcome);
        var entry = Assert.Single(first.Entries);
        Assert.Equal(["_ZSt21ios_base_library_initv"], first.Symbols);
        Assert.Empty(first.RelocatedSymbols);
        var patched = File.ReadAllBytes(copy);
        Assert.Equal(original.Length, patched.Length);
        var differing = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToList();
        Assert.NotEmpty(differing);
        Assert.All(differing, i => Assert.InRange(i, entry.FlagsOffset, entry.FlagsOffset + 1));
        Assert.Equal(entry.Flags | VersionNeed.WeakFlag, patched[entry.FlagsOffset] | (patched[entry.FlagsOffset + 1] << 8));

        var needsBefore = ElfImage.Load(PackageLibrary).ReadVersionNeeds();
        var needsAfter = ElfImage.Load(copy).ReadVersionNeeds();
        Assert.Equal(needsBefore.Select(n => (n.File, n.Name, n.Index)), needsAfter.Select(n => (n.File, n.Name, n.Index)));
        Assert.Equal([TorchSharpLoaderFix.RequiredVersion], needsAfter.Where(n => n.IsWeak).Select(n => n.Name));

        var second = ElfVersionNeedPatcher.MarkWeakInFile(copy, TorchSharpLoaderFix.RequiredVersion);
        Assert.Equal(VersionNeedPatchOutcome.AlreadyWeak, second.Outcome);
        Assert.Equal(patched, File.ReadAllBytes(copy));
    }

    [Fact]
    public void Readelf_agrees_that_only_that_need_became_weak()
    {
        // The test command installs binutils; without readelf this independent check would prove nothing, so it fails.
        Assert.True(TestProcess.Exists("readelf"), "readelf (Debian package binutils) is not installed; run bash infra/test/run-all-tests.sh, which installs it.");

        using var dir = new TempDirectory();
        var copy = dir.File(TorchSharpLoaderFix.LibraryFileName);
        File.Copy(PackageLibrary, copy);
        ElfVersionNeedPatcher.MarkWeakInFile(copy, TorchSharpLoaderFix.RequiredVersion);

        var weak = TestProcess.Run("readelf", "-V", "-W", copy).Split('\n').Where(l => l.Contains("Flags: WEAK", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(weak);
        Assert.Contains("Name: GLIBCXX_3.4.32 ", line, StringComparison.Ordinal);
    }

    [Fact]
    public void The_fix_leaves_the_file_alone_where_libstdcxx_defines_the_version()
    {
        using var dir = new TempDirectory();
        var copy = dir.File(TorchSharpLoaderFix.LibraryFileName);
        File.Copy(PackageLibrary, copy);
        var writeTime = File.GetLastWriteTimeUtc(copy);
        var gcc13 = dir.File("libstdc++.so.6");
        var writer = new SyntheticElf();
        var strings = new StringTable();
        writer.AddVersionDefinitions(writer.AddStrings(".dynstr", strings), strings, "libstdc++.so.6", "GLIBCXX_3.4.31", "GLIBCXX_3.4.32");
        File.WriteAllBytes(gcc13, writer.Build());

        var result = TorchSharpLoaderFix.Apply(copy, gcc13);

        Assert.Equal(LoaderFixOutcome.NotNeeded, result.Outcome);
        Assert.Equal(File.ReadAllBytes(PackageLibrary), File.ReadAllBytes(copy));
        Assert.Equal(writeTime, File.GetLastWriteTimeUtc(copy));
    }

    [Fact]
    public void The_fix_patches_where_libstdcxx_lacks_the_version_and_refuses_when_a_relocation_needs_it()
    {
        using var dir = new TempDirectory();
        var copy = dir.File(TorchSharpLoaderFix.LibraryFileName);
        File.Copy(PackageLibrary, copy);
        var gcc12 = dir.File("libstdc++.so.6");
        var writer = new SyntheticElf();
        var strings = new StringTable();
        writer.AddVersionDefinitions(writer.AddStrings(".dynstr", strings), strings, "libstdc++.so.6", "GLIBCXX_3.4.30");
        File.WriteAllBytes(gcc12, writer.Build());

        Assert.Equal(LoaderFixOutcome.Patched, TorchSharpLoaderFix.Apply(copy, gcc12).Outcome);
        Assert.Equal(LoaderFixOutcome.AlreadyPatched, TorchSharpLoaderFix.Apply(copy, gcc12).Outcome);
        // No libstdc++ found at all: patch (a weak need is harmless where the version exists).
        Assert.Equal(LoaderFixOutcome.Patched, TorchSharpLoaderFix.Apply(CopyOf(dir, "no-libstdcxx.so"), null).Outcome);

        // A future library whose relocations use a GLIBCXX_3.4.32 symbol: marking it weak would only defer the failure.
        var future = new SyntheticElf();
        var futureStrings = new StringTable();
        var dynstr = future.AddStrings(".dynstr", futureStrings);
        future.AddVersionNeeds(dynstr, futureStrings, [new NeededFile("libstdc++.so.6", [new NeededVersion(TorchSharpLoaderFix.RequiredVersion, 2)])]);
        future.AddRelocations(future.AddDynamicSymbols(dynstr, futureStrings, ("_ZSt7println", true, 2)), 1);
        var futureFile = dir.File("future.so");
        var futureBytes = future.Build();
        File.WriteAllBytes(futureFile, futureBytes);

        var refused = TorchSharpLoaderFix.Apply(futureFile, gcc12);

        Assert.Equal(LoaderFixOutcome.Refused, refused.Outcome);
        Assert.Contains("_ZSt7println", refused.Message, StringComparison.Ordinal);
        Assert.Equal(futureBytes, File.ReadAllBytes(futureFile));

        static string CopyOf(TempDirectory dir, string name)
        {
            var path = dir.File(name);
            File.Copy(PackageLibrary, path);
            return path;
        }
    }

    [SkippableFact]
    public void This_builds_own_copy_was_patched_by_the_build_step_where_needed()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "The loader fix patches a Linux ELF library; this host is not Linux.");

        var systemLibStdCxx = SystemLibStdCxx.Locate(ElfImage.MachineX86_64);
        var needed = systemLibStdCxx is null || !SystemLibStdCxx.DefinesVersion(systemLibStdCxx, TorchSharpLoaderFix.RequiredVersion);
        var need = Assert.Single(ElfImage.Load(OutputLibrary).ReadVersionNeeds(), n => n.Name == TorchSharpLoaderFix.RequiredVersion);
        Assert.Equal(needed, need.IsWeak);
    }
}
