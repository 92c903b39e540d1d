using System.Buffers.Binary;
using Precision.Build.Elf;

namespace Precision.Training.Tests.Elf;

/// <summary>The patcher on ELF files written by <see cref="SyntheticElf"/>, whose layout the test knows.</summary>
public sealed class ElfVersionNeedPatcherTests
{
    private const string Missing = "GLIBCXX_3.4.32";

    /// <summary>libc first, then libstdc++ with the missing version third of four, like the real library.</summary>
    private static (byte[] Bytes, SyntheticElf Writer) LibraryNeeding(int gap = 0, ushort missingFlags = 0, bool includeMissing = true)
    {
        var writer = new SyntheticElf();
        var strings = new StringTable();
        var dynstr = writer.AddStrings(".dynstr", strings);
        var libstdcxx = new List<NeededVersion> { new("GLIBCXX_3.4", 2), new("GLIBCXX_3.4.30", 3) };
        if (includeMissing)
        {
            libstdcxx.Add(new NeededVersion(Missing, 4, missingFlags));
        }

        libstdcxx.Add(new NeededVersion("CXXABI_1.3", 5));
        writer.AddVersionNeeds(dynstr, strings,
            [new NeededFile("libc.so.6", [new NeededVersion("GLIBC_2.2.5", 6), new NeededVersion("GLIBC_2.34", 7)]),
             new NeededFile("libstdc++.so.6", libstdcxx)], gap);
        var dynsym = writer.AddDynamicSymbols(dynstr, strings,
            ("_ZSt21ios_base_library_initv", true, 4), ("_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE", true, 3), ("malloc", true, 6));
        writer.AddRelocations(dynsym, 2, 3);
        return (writer.Build(), writer);
    }

    private static ushort FlagsAt(byte[] bytes, long vernaux) => BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan((int)vernaux + 4, 2));

    private static List<int> DifferingOffsets(byte[] a, byte[] b)
    {
        Assert.Equal(a.Length, b.Length);
        return [.. Enumerable.Range(0, a.Length).Where(i => a[i] != b[i])];
    }

    [Theory]
    [InlineData(0)]
    [InlineData(24)]
    public void Finds_the_entry_by_following_the_offsets_and_sets_only_its_weak_flag(int gap)
    {
        var (original, writer) = LibraryNeeding(gap);
        var patched = (byte[])original.Clone();

        var result = ElfVersionNeedPatcher.MarkWeak(patched, Missing, "synthetic");

        Assert.Equal(VersionNeedPatchOutcome.Patched, result.Outcome);
        var entry = Assert.Single(result.Entries);
        Assert.Equal("libstdc++.so.6", entry.File);
        Assert.Equal(writer.VernauxOffsets[Missing] + 4, entry.FlagsOffset);
        // Only vna_flags of that one Vernaux changed (VER_FLG_WEAK is in its low byte).
        Assert.Equal([(int)entry.FlagsOffset], DifferingOffsets(original, patched));
        Assert.Equal(VersionNeed.WeakFlag, FlagsAt(patched, writer.VernauxOffsets[Missing]));

        var needs = new ElfImage(patched, "patched").ReadVersionNeeds();
        Assert.Equal(["GLIBC_2.2.5", "GLIBC_2.34", "GLIBCXX_3.4", "GLIBCXX_3.4.30", Missing, "CXXABI_1.3"], needs.Select(n => n.Name));
        Assert.All(needs, n => Assert.Equal(n.Name == Missing, n.IsWeak));
    }

    [Fact]
    public void Patching_twice_changes_nothing_the_second_time()
    {
        var (bytes, _) = LibraryNeeding();
        ElfVersionNeedPatcher.MarkWeak(bytes, Missing, "synthetic");
        var once = (byte[])bytes.Clone();

        var again = ElfVersionNeedPatcher.MarkWeak(bytes, Missing, "synthetic");

        Assert.Equal(VersionNeedPatchOutcome.AlreadyWeak, again.Outcome);
        Assert.Equal(once, bytes);
    }

    [Fact]
    public void Other_flag_bits_are_kept()
    {
        var (bytes, writer) = LibraryNeeding(missingFlags: 0x4);
        ElfVersionNeedPatcher.MarkWeak(bytes, Missing, "synthetic");
        Assert.Equal(0x6, FlagsAt(bytes, writer.VernauxOffsets[Missing]));
    }

    [Fact]
    public void A_file_that_does_not_need_the_version_has_nothing_to_patch()
    {
        var (original, _) = LibraryNeeding(includeMissing: false);
        var bytes = (byte[])original.Clone();

        var result = ElfVersionNeedPatcher.MarkWeak(bytes, Missing, "synthetic");

        Assert.Equal(VersionNeedPatchOutcome.NothingToPatch, result.Outcome);
        Assert.Empty(result.Entries);
        Assert.Contains("nothing to patch", result.Describe(), StringComparison.Ordinal);
        Assert.Equal(original, bytes);
    }

    [Fact]
    public void Reports_the_symbols_bound_to_the_version_and_which_relocations_use()
    {
        var (bytes, _) = LibraryNeeding();
        var result = ElfVersionNeedPatcher.MarkWeak(bytes, Missing, "synthetic");
        Assert.Equal(["_ZSt21ios_base_library_initv"], result.Symbols);
        Assert.Empty(result.RelocatedSymbols);

        var writer = new SyntheticElf();
        var strings = new StringTable();
        var dynstr = writer.AddStrings(".dynstr", strings);
        writer.AddVersionNeeds(dynstr, strings, [new NeededFile("libstdc++.so.6", [new NeededVersion(Missing, 2)])]);
        var dynsym = writer.AddDynamicSymbols(dynstr, strings, ("_ZSt5printNewThing", true, 2));
        writer.AddRelocations(dynsym, 1);
        var used = ElfVersionNeedPatcher.MarkWeak(writer.Build(), Missing, "synthetic");
        Assert.Equal(["_ZSt5printNewThing"], used.RelocatedSymbols);
    }

    [Fact]
    public void A_file_without_version_needs_is_a_clear_error()
    {
        var writer = new SyntheticElf();
        writer.AddStrings(".dynstr", new StringTable());
        var e = Assert.Throws<ElfFormatException>(() => ElfVersionNeedPatcher.MarkWeak(writer.Build(), Missing, "plain.so"));
        Assert.Equal("plain.so: no .gnu.version_r section (the file records no symbol versions needed from other libraries).", e.Message);
    }

    [Fact]
    public void Files_that_are_not_ELF64_little_endian_are_refused_with_the_reason()
    {
        var (valid, _) = LibraryNeeding();
        var elf32 = (byte[])valid.Clone();
        elf32[4] = 1;
        var bigEndian = (byte[])valid.Clone();
        bigEndian[5] = 2;

        Assert.Contains("not an ELF file", Refusal("#!/bin/sh\necho hello\n"u8.ToArray()), StringComparison.Ordinal);
        Assert.Contains("not an ELF file", Refusal([]), StringComparison.Ordinal);
        Assert.Contains("32-bit ELF file", Refusal(elf32), StringComparison.Ordinal);
        Assert.Contains("big-endian", Refusal(bigEndian), StringComparison.Ordinal);
        Assert.Contains("truncated ELF header", Refusal(valid[..40]), StringComparison.Ordinal);
        Assert.Contains("runs past the end of the file", Refusal(valid[..(valid.Length - 10)]), StringComparison.Ordinal);

        static string Refusal(byte[] bytes) =>
            Assert.Throws<ElfFormatException>(() => ElfVersionNeedPatcher.MarkWeak(bytes, Missing, "f")).Message;
    }

    [Fact]
    public void A_vna_next_pointing_outside_the_section_is_an_error_not_a_wild_write()
    {
        var (bytes, writer) = LibraryNeeding();
        // vna_next of GLIBCXX_3.4 (first entry under libstdc++): jump far past the section.
        var vernaux = writer.VernauxOffsets["GLIBCXX_3.4"];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((int)vernaux + 12), 0x10000);
        var before = (byte[])bytes.Clone();

        var e = Assert.Throws<ElfFormatException>(() => ElfVersionNeedPatcher.MarkWeak(bytes, Missing, "broken.so"));

        Assert.Contains("runs past the end of section .gnu.version_r", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, bytes);
    }

    [Fact]
    public void Section_names_come_from_the_name_table_not_from_positions()
    {
        // The same Verneed data under another name is not .gnu.version_r.
        var writer = new SyntheticElf();
        var strings = new StringTable();
        var dynstr = writer.AddStrings(".dynstr", strings);
        writer.AddVersionNeeds(dynstr, strings, [new NeededFile("libstdc++.so.6", [new NeededVersion(Missing, 2)])], name: ".gnu.version_x");
        Assert.Throws<ElfFormatException>(() => ElfVersionNeedPatcher.MarkWeak(writer.Build(), Missing, "renamed.so"));
    }

    [Fact]
    public void Patching_a_file_replaces_links_instead_of_writing_through_them()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var dir = new TempDirectory();
        var (bytes, _) = LibraryNeeding();
        var shared = dir.File("shared.so");
        File.WriteAllBytes(shared, bytes);
        File.SetUnixFileMode(shared, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead);
        var symlink = dir.File("via-symlink.so");
        File.CreateSymbolicLink(symlink, shared);
        var hardLink = dir.File("via-hardlink.so");
        TestProcess.Run("ln", shared, hardLink);

        Assert.Equal(VersionNeedPatchOutcome.Patched, ElfVersionNeedPatcher.MarkWeakInFile(symlink, Missing).Outcome);
        Assert.Equal(VersionNeedPatchOutcome.Patched, ElfVersionNeedPatcher.MarkWeakInFile(hardLink, Missing).Outcome);

        Assert.Equal(bytes, File.ReadAllBytes(shared));
        Assert.Null(new FileInfo(symlink).LinkTarget);
        Assert.NotEqual(bytes, File.ReadAllBytes(symlink));
        Assert.NotEqual(bytes, File.ReadAllBytes(hardLink));
        Assert.Equal(File.GetUnixFileMode(shared), File.GetUnixFileMode(hardLink));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }
}
