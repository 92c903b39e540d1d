using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Precision.Build.Elf;

/// <summary>
/// A read-only view of an ELF64 little-endian file: header, section headers (named through the section name
/// table), string tables, the GNU symbol-version tables and the dynamic symbols and relocations. Every structure is
/// found by parsing, never at a fixed offset, and every read is bounds-checked: a malformed file gives an
/// <see cref="ElfFormatException"/> naming the file and what is wrong.
/// </summary>
public sealed class ElfImage
{
    /// <summary>Size of the ELF64 file header.</summary>
    public const int HeaderSize = 64;

    /// <summary>e_machine of x86-64 files.</summary>
    public const ushort MachineX86_64 = 62;

    /// <summary>e_machine of AArch64 files.</summary>
    public const ushort MachineAArch64 = 183;

    private const int SectionHeaderSize = 64;
    private const int VerneedSize = 16;
    private const int VernauxSize = 16;
    private const int VerdefSize = 20;
    private const int VerdauxSize = 8;
    private const int SymbolSize = 24;
    private const int RelaSize = 24;
    private const int RelSize = 16;
    private const ushort SectionIndexExtended = 0xffff;

    private readonly byte[] bytes;
    private readonly Dictionary<string, ElfSection> sectionsByName = new(StringComparer.Ordinal);

    /// <summary>Parses <paramref name="bytes"/> (not copied: the patcher edits the same array).</summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="name">How messages name the file.</param>
    public ElfImage(byte[] bytes, string name)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        this.bytes = bytes;
        Name = name;

        if (bytes.Length < 4 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
        {
            throw Error("not an ELF file (it does not start with the \\x7fELF magic)");
        }

        if (bytes.Length < HeaderSize)
        {
            throw Error($"truncated ELF header ({bytes.Length} bytes, an ELF64 header has {HeaderSize})");
        }

        switch (bytes[4])
        {
            case 2:
                break;
            case 1:
                throw Error("a 32-bit ELF file (ELFCLASS32); only ELF64 is supported");
            default:
                throw Error($"unknown ELF class {bytes[4]}; only ELF64 is supported");
        }

        switch (bytes[5])
        {
            case 1:
                break;
            case 2:
                throw Error("a big-endian ELF file (ELFDATA2MSB); only little-endian is supported");
            default:
                throw Error($"unknown ELF data encoding {bytes[5]}; only little-endian is supported");
        }

        if (bytes[6] != 1)
        {
            throw Error($"unknown ELF version {bytes[6]}");
        }

        Machine = U16(18);
        var sectionHeaderOffset = U64(40);
        var sectionHeaderEntrySize = U16(58);
        ulong sectionCount = U16(60);
        uint nameTableIndex = U16(62);

        if (sectionHeaderOffset == 0)
        {
            throw Error("no section header table (e_shoff is 0)");
        }

        if (sectionHeaderEntrySize != SectionHeaderSize)
        {
            throw Error($"section header entries are {sectionHeaderEntrySize} bytes; ELF64 uses {SectionHeaderSize}");
        }

        // Extended numbering: with 0xff00 or more sections the count and the name table index live in section 0.
        if (sectionCount == 0 || nameTableIndex == SectionIndexExtended)
        {
            var first = Range(sectionHeaderOffset, SectionHeaderSize, "section header 0");
            if (sectionCount == 0)
            {
                sectionCount = U64(first + 32);
            }

            if (nameTableIndex == SectionIndexExtended)
            {
                nameTableIndex = U32(first + 40);
            }
        }

        if (sectionCount > (ulong)(bytes.Length / SectionHeaderSize))
        {
            throw Error($"section header table claims {sectionCount} entries, more than the file can hold");
        }

        Range(sectionHeaderOffset, checked((long)sectionCount * SectionHeaderSize), "section header table");
        var raw = new (uint NameOffset, uint Type, ulong Offset, ulong Size, uint Link, uint Info, ulong EntrySize)[sectionCount];
        for (var i = 0; i < raw.Length; i++)
        {
            var at = (long)sectionHeaderOffset + ((long)i * SectionHeaderSize);
            raw[i] = (U32(at), U32(at + 4), U64(at + 24), U64(at + 32), U32(at + 40), U32(at + 44), U64(at + 56));
        }

        if (nameTableIndex == 0 || nameTableIndex >= raw.Length)
        {
            throw Error(nameTableIndex == 0
                ? "no section name table (e_shstrndx is 0), so sections cannot be found by name"
                : $"section name table index {nameTableIndex} is outside the {raw.Length} sections");
        }

        var nameTableRaw = raw[nameTableIndex];
        var nameTable = new ElfSection((int)nameTableIndex, ".shstrtab", nameTableRaw.Type, nameTableRaw.Offset, nameTableRaw.Size,
            nameTableRaw.Link, nameTableRaw.Info, nameTableRaw.EntrySize);
        if (nameTable.Type != ElfSectionType.StringTable)
        {
            throw Error($"the section name table (section {nameTableIndex}) is not a string table");
        }

        var sections = new ElfSection[raw.Length];
        for (var i = 0; i < raw.Length; i++)
        {
            var r = raw[i];
            var sectionName = i == 0 ? string.Empty : ReadString(nameTable, r.NameOffset);
            sections[i] = new ElfSection(i, sectionName, r.Type, r.Offset, r.Size, r.Link, r.Info, r.EntrySize);
            if (sectionName.Length > 0)
            {
                sectionsByName.TryAdd(sectionName, sections[i]);
            }
        }

        Sections = sections;
    }

    /// <summary>How messages name the file (usually its path).</summary>
    public string Name { get; }

    /// <summary>e_machine: <see cref="MachineX86_64"/>, <see cref="MachineAArch64"/>, …</summary>
    public ushort Machine { get; }

    /// <summary>All section headers, index 0 (the null section) included.</summary>
    public IReadOnlyList<ElfSection> Sections { get; }

    /// <summary>Reads and parses a file.</summary>
    public static ElfImage Load(string path) => new(File.ReadAllBytes(path), path);

    /// <summary>The first section with this name, or null.</summary>
    public ElfSection? FindSection(string name) => sectionsByName.GetValueOrDefault(name);

    /// <summary>
    /// The versions this file needs from its dependencies: every Elf64_Vernaux of every Elf64_Verneed in
    /// <c>.gnu.version_r</c>, walked through vn_aux/vna_next and vn_next, names read from the string table the section
    /// links to (sh_link).
    /// </summary>
    /// <exception cref="ElfFormatException">No <c>.gnu.version_r</c> section, or a malformed one.</exception>
    public IReadOnlyList<VersionNeed> ReadVersionNeeds()
    {
        var section = FindSection(".gnu.version_r")
            ?? throw Error("no .gnu.version_r section (the file records no symbol versions needed from other libraries)");
        RequireType(section, ElfSectionType.GnuVersionNeeds, "SHT_GNU_verneed");
        var strings = LinkedStringTable(section);

        var needs = new List<VersionNeed>();
        var limit = (section.Size / VerneedSize) + 1;
        ulong entry = 0;
        for (ulong n = 0; ; n++)
        {
            if (n >= limit)
            {
                throw Error(".gnu.version_r: the vn_next chain does not end");
            }

            var at = SectionRange(section, entry, VerneedSize, "Verneed entry");
            var version = U16(at);
            if (version != 1)
            {
                throw Error($".gnu.version_r: Verneed entry at section offset 0x{entry:x} has vn_version {version}, expected 1");
            }

            var count = U16(at + 2);
            var file = ReadString(strings, U32(at + 4));
            var aux = entry + U32(at + 8);
            var next = U32(at + 12);
            for (var i = 0; i < count; i++)
            {
                var auxAt = SectionRange(section, aux, VernauxSize, $"Vernaux entry {i} of {file}");
                var flags = U16(auxAt + 4);
                var index = U16(auxAt + 6);
                var name = ReadString(strings, U32(auxAt + 8));
                needs.Add(new VersionNeed(file, name, flags, index, auxAt + 4));
                var auxNext = U32(auxAt + 12);
                if (auxNext == 0 && i < count - 1)
                {
                    throw Error($".gnu.version_r: {file} lists {count} versions but its Vernaux chain ends after {i + 1}");
                }

                aux += auxNext;
            }

            if (next == 0)
            {
                return needs;
            }

            entry += next;
        }
    }

    /// <summary>
    /// The versions this library defines: the name (first Elf64_Verdaux) of every Elf64_Verdef in
    /// <c>.gnu.version_d</c>. Empty when the file has no such section (it defines no versions).
    /// </summary>
    public IReadOnlyList<VersionDefinition> ReadVersionDefinitions()
    {
        var section = FindSection(".gnu.version_d");
        if (section is null)
        {
            return [];
        }

        RequireType(section, ElfSectionType.GnuVersionDefinitions, "SHT_GNU_verdef");
        var strings = LinkedStringTable(section);
        var definitions = new List<VersionDefinition>();
        var limit = (section.Size / VerdefSize) + 1;
        ulong entry = 0;
        for (ulong n = 0; ; n++)
        {
            if (n >= limit)
            {
                throw Error(".gnu.version_d: the vd_next chain does not end");
            }

            var at = SectionRange(section, entry, VerdefSize, "Verdef entry");
            var version = U16(at);
            if (version != 1)
            {
                throw Error($".gnu.version_d: Verdef entry at section offset 0x{entry:x} has vd_version {version}, expected 1");
            }

            var flags = U16(at + 2);
            var index = U16(at + 4);
            var auxCount = U16(at + 6);
            if (auxCount == 0)
            {
                throw Error($".gnu.version_d: Verdef entry at section offset 0x{entry:x} has no name (vd_cnt is 0)");
            }

            var auxAt = SectionRange(section, entry + U32(at + 12), VerdauxSize, "Verdaux entry");
            definitions.Add(new VersionDefinition(ReadString(strings, U32(auxAt)), flags, index));
            var next = U32(at + 16);
            if (next == 0)
            {
                return definitions;
            }

            entry += next;
        }
    }

    /// <summary>
    /// The dynamic symbols (<c>.dynsym</c>) with their version index from <c>.gnu.version</c>. Empty when the file
    /// has no <c>.gnu.version</c> section.
    /// </summary>
    public IReadOnlyList<DynamicSymbol> ReadDynamicSymbols()
    {
        var versions = FindSection(".gnu.version");
        if (versions is null)
        {
            return [];
        }

        RequireType(versions, ElfSectionType.GnuVersionSymbols, "SHT_GNU_versym");
        var symbols = LinkedSection(versions, "symbol table");
        RequireType(symbols, ElfSectionType.DynamicSymbols, "SHT_DYNSYM");
        var strings = LinkedStringTable(symbols);
        var count = symbols.Size / SymbolSize;
        if (versions.Size < count * 2)
        {
            throw Error($".gnu.version has {versions.Size / 2} entries for {count} dynamic symbols");
        }

        var result = new DynamicSymbol[count];
        for (ulong i = 0; i < count; i++)
        {
            var at = SectionRange(symbols, i * SymbolSize, SymbolSize, "dynamic symbol");
            var name = ReadString(strings, U32(at));
            var sectionIndex = U16(at + 6);
            var version = U16(SectionRange(versions, i * 2, 2, "symbol version"));
            result[i] = new DynamicSymbol((int)i, name, sectionIndex == 0, (ushort)(version & 0x7fff));
        }

        return result;
    }

    /// <summary>
    /// Indices of the dynamic symbols that some relocation against <c>.dynsym</c> (SHT_RELA or SHT_REL section linked
    /// to it) refers to. A symbol outside this set is never looked up by the dynamic loader.
    /// </summary>
    public IReadOnlySet<int> ReadRelocatedSymbolIndices()
    {
        var result = new HashSet<int>();
        foreach (var section in Sections)
        {
            if (section.Type is not (ElfSectionType.Rela or ElfSectionType.Rel) || section.Link >= Sections.Count
                || Sections[(int)section.Link].Type != ElfSectionType.DynamicSymbols)
            {
                continue;
            }

            var size = section.Type == ElfSectionType.Rela ? RelaSize : RelSize;
            for (ulong at = 0; at + (ulong)size <= section.Size; at += (ulong)size)
            {
                var info = U64(SectionRange(section, at, size, "relocation") + 8);
                var symbol = info >> 32;
                if (symbol != 0)
                {
                    result.Add((int)symbol);
                }
            }
        }

        return result;
    }

    /// <summary>The NUL-terminated string at <paramref name="offset"/> in a string table section.</summary>
    public string ReadString(ElfSection stringTable, uint offset)
    {
        ArgumentNullException.ThrowIfNull(stringTable);
        if (offset >= stringTable.Size)
        {
            throw Error($"string offset {offset} is outside {Describe(stringTable)} ({stringTable.Size} bytes)");
        }

        var start = SectionRange(stringTable, offset, 1, "string");
        var end = (long)(stringTable.Offset + stringTable.Size);
        var nul = Array.IndexOf(bytes, (byte)0, (int)start, (int)(end - start));
        if (nul < 0)
        {
            throw Error($"unterminated string at offset {offset} of {Describe(stringTable)}");
        }

        return Encoding.UTF8.GetString(bytes, (int)start, nul - (int)start);
    }

    internal ElfFormatException Error(string problem) => new($"{Name}: {problem}.");

    private static string Describe(ElfSection section) =>
        section.Name.Length > 0 ? section.Name : string.Create(CultureInfo.InvariantCulture, $"section {section.Index}");

    private void RequireType(ElfSection section, uint type, string typeName)
    {
        if (section.Type != type)
        {
            throw Error($"section {section.Name} has type 0x{section.Type:x}, expected {typeName} (0x{type:x})");
        }
    }

    private ElfSection LinkedSection(ElfSection section, string what)
    {
        if (section.Link == 0 || section.Link >= Sections.Count)
        {
            throw Error($"section {Describe(section)} links (sh_link) to section {section.Link}, which is not a valid {what}");
        }

        return Sections[(int)section.Link];
    }

    private ElfSection LinkedStringTable(ElfSection section)
    {
        var strings = LinkedSection(section, "string table");
        RequireType(strings, ElfSectionType.StringTable, "SHT_STRTAB");
        return strings;
    }

    /// <summary>Absolute file offset of <paramref name="length"/> bytes at <paramref name="offset"/> inside a section.</summary>
    private long SectionRange(ElfSection section, ulong offset, int length, string what)
    {
        if (section.Type == ElfSectionType.NoBits)
        {
            throw Error($"section {Describe(section)} occupies no file space (SHT_NOBITS)");
        }

        if (offset > section.Size || (ulong)length > section.Size - offset)
        {
            throw Error($"{what} at offset 0x{offset:x} runs past the end of section {Describe(section)} ({section.Size} bytes)");
        }

        if (section.Offset > (ulong)bytes.Length || section.Size > (ulong)bytes.Length - section.Offset)
        {
            throw Error($"section {Describe(section)} (offset 0x{section.Offset:x}, {section.Size} bytes) runs past the end of the file");
        }

        return (long)(section.Offset + offset);
    }

    /// <summary>Checks that <paramref name="length"/> bytes at <paramref name="offset"/> lie in the file.</summary>
    private long Range(ulong offset, long length, string what)
    {
        if (offset > (ulong)bytes.Length || (ulong)length > (ulong)bytes.Length - offset)
        {
            throw Error($"{what} (offset 0x{offset:x}, {length} bytes) runs past the end of the file ({bytes.Length} bytes)");
        }

        return (long)offset;
    }

    private ushort U16(long at) => BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan((int)Range((ulong)at, 2, "field"), 2));

    private uint U32(long at) => BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)Range((ulong)at, 4, "field"), 4));

    private ulong U64(long at) => BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan((int)Range((ulong)at, 8, "field"), 8));
}
