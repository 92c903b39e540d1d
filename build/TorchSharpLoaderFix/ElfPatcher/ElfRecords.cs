namespace Precision.Build.Elf;

/// <summary>One section header of an ELF64 file (sh_name resolved through the section name table).</summary>
public sealed record ElfSection(int Index, string Name, uint Type, ulong Offset, ulong Size, uint Link, uint Info, ulong EntrySize);

/// <summary>The sh_type values this reader uses.</summary>
public static class ElfSectionType
{
    /// <summary>SHT_STRTAB.</summary>
    public const uint StringTable = 3;

    /// <summary>SHT_RELA.</summary>
    public const uint Rela = 4;

    /// <summary>SHT_NOBITS (.bss and the like: no bytes in the file).</summary>
    public const uint NoBits = 8;

    /// <summary>SHT_REL.</summary>
    public const uint Rel = 9;

    /// <summary>SHT_DYNSYM.</summary>
    public const uint DynamicSymbols = 11;

    /// <summary>SHT_GNU_verdef (.gnu.version_d).</summary>
    public const uint GnuVersionDefinitions = 0x6ffffffd;

    /// <summary>SHT_GNU_verneed (.gnu.version_r).</summary>
    public const uint GnuVersionNeeds = 0x6ffffffe;

    /// <summary>SHT_GNU_versym (.gnu.version).</summary>
    public const uint GnuVersionSymbols = 0x6fffffff;
}

/// <summary>
/// A symbol version the file needs from a dependency: one Elf64_Vernaux (vna_name, vna_flags, vna_other) under the
/// Elf64_Verneed of <paramref name="File"/> (vn_file). <paramref name="FlagsOffset"/> is the absolute file offset of
/// the 2-byte vna_flags field.
/// </summary>
public sealed record VersionNeed(string File, string Name, ushort Flags, ushort Index, long FlagsOffset)
{
    /// <summary>VER_FLG_WEAK: the dynamic loader does not fail when the dependency lacks this version.</summary>
    public const ushort WeakFlag = 0x2;

    /// <summary>Whether VER_FLG_WEAK is set.</summary>
    public bool IsWeak => (Flags & WeakFlag) != 0;
}

/// <summary>A symbol version a library defines: an Elf64_Verdef and the name of its first Elf64_Verdaux.</summary>
public sealed record VersionDefinition(string Name, ushort Flags, ushort Index)
{
    /// <summary>VER_FLG_BASE: the entry names the file itself (its soname), not a version.</summary>
    public const ushort BaseFlag = 0x1;

    /// <summary>Whether VER_FLG_BASE is set.</summary>
    public bool IsBase => (Flags & BaseFlag) != 0;
}

/// <summary>A .dynsym entry with its version index (.gnu.version, hidden bit cleared).</summary>
public sealed record DynamicSymbol(int Index, string Name, bool IsUndefined, ushort VersionIndex);
