using System.Buffers.Binary;
using System.Text;

namespace Precision.Training.Tests.Elf;

/// <summary>
/// Writes small ELF64 little-endian files with just the sections a test needs: ELF header, section data, a section
/// name table and the section header table at the end. It records where it put each Vernaux so tests can check
/// the patcher against the writer's own layout.
/// </summary>
internal sealed class SyntheticElf
{
    public const uint StringTableType = 3;
    public const uint RelaType = 4;
    public const uint DynamicSymbolsType = 11;
    public const uint VersionDefinitionsType = 0x6ffffffd;
    public const uint VersionNeedsType = 0x6ffffffe;
    public const uint VersionSymbolsType = 0x6fffffff;

    private readonly List<Section> sections = [];

    /// <summary>Absolute file offset of each Vernaux, by version name; filled in by <see cref="Build"/>.</summary>
    public Dictionary<string, long> VernauxOffsets { get; } = new(StringComparer.Ordinal);

    private readonly Dictionary<string, (int Section, long Relative)> pendingVernaux = new(StringComparer.Ordinal);

    /// <summary>Adds a section; returns its index (index 0 is the null section).</summary>
    public int Add(string name, uint type, byte[] data, int link = 0, uint info = 0, ulong entrySize = 0)
    {
        sections.Add(new Section(name, type, () => data, link, info, entrySize));
        return sections.Count;
    }

    /// <summary>Adds a string table (its contents are taken when the file is built) and returns its index.</summary>
    public int AddStrings(string name, StringTable strings)
    {
        sections.Add(new Section(name, StringTableType, strings.ToArray, 0, 0, 0));
        return sections.Count;
    }

    /// <summary>
    /// Adds <c>.gnu.version_r</c>: one Verneed per file, each followed by its Vernaux entries. With
    /// <paramref name="gap"/> &gt; 0, that many filler bytes (0xEE) separate every entry, so only a parser that follows
    /// vn_aux, vna_next and vn_next finds them.
    /// </summary>
    public int AddVersionNeeds(int stringTable, StringTable strings, IReadOnlyList<NeededFile> files, int gap = 0, string name = ".gnu.version_r")
    {
        using var data = new MemoryStream();
        var entries = new List<(string Name, long Relative)>();
        for (var f = 0; f < files.Count; f++)
        {
            var file = files[f];
            var auxOffset = 16 + gap;
            var entrySize = 16 + gap;
            var next = f == files.Count - 1 ? 0 : auxOffset + (file.Versions.Count * entrySize);
            Write16(data, 1);
            Write16(data, (ushort)file.Versions.Count);
            Write32(data, strings.Add(file.File));
            Write32(data, (uint)auxOffset);
            Write32(data, (uint)next);
            Fill(data, gap);
            for (var v = 0; v < file.Versions.Count; v++)
            {
                var version = file.Versions[v];
                entries.Add((version.Name, data.Position));
                Write32(data, ElfHash(version.Name));
                Write16(data, version.Flags);
                Write16(data, version.Index);
                Write32(data, strings.Add(version.Name));
                Write32(data, v == file.Versions.Count - 1 ? 0u : (uint)entrySize);
                Fill(data, gap);
            }
        }

        var index = Add(name, VersionNeedsType, data.ToArray(), stringTable, (uint)files.Count);
        foreach (var (version, relative) in entries)
        {
            pendingVernaux[version] = (index, relative);
        }

        return index;
    }

    /// <summary>Adds <c>.gnu.version_d</c>: the base entry (the soname) and one Verdef per version name.</summary>
    public int AddVersionDefinitions(int stringTable, StringTable strings, string soname, params string[] versions)
    {
        using var data = new MemoryStream();
        var names = new[] { soname }.Concat(versions).ToArray();
        for (var i = 0; i < names.Length; i++)
        {
            Write16(data, 1);
            Write16(data, (ushort)(i == 0 ? 1 : 0));
            Write16(data, (ushort)(i + 1));
            Write16(data, 1);
            Write32(data, ElfHash(names[i]));
            Write32(data, 20);
            Write32(data, i == names.Length - 1 ? 0u : 28u);
            Write32(data, strings.Add(names[i]));
            Write32(data, 0);
        }

        return Add(".gnu.version_d", VersionDefinitionsType, data.ToArray(), stringTable, (uint)names.Length);
    }

    /// <summary>Adds <c>.dynsym</c> (symbol 0 is the null symbol) and <c>.gnu.version</c> linked to it.</summary>
    public int AddDynamicSymbols(int stringTable, StringTable strings, params (string Name, bool Undefined, ushort Version)[] symbols)
    {
        using var table = new MemoryStream();
        using var versions = new MemoryStream();
        Fill(table, 24, 0);
        Write16(versions, 0);
        foreach (var (name, undefined, version) in symbols)
        {
            Write32(table, strings.Add(name));
            table.WriteByte(0x12); // STB_GLOBAL, STT_FUNC
            table.WriteByte(0);
            Write16(table, (ushort)(undefined ? 0 : 1));
            Fill(table, 16, 0);
            Write16(versions, version);
        }

        var dynsym = Add(".dynsym", DynamicSymbolsType, table.ToArray(), stringTable, 1, 24);
        Add(".gnu.version", VersionSymbolsType, versions.ToArray(), dynsym, 0, 2);
        return dynsym;
    }

    /// <summary>Adds a <c>.rela.dyn</c> linked to the dynamic symbols, one relocation per symbol index.</summary>
    public int AddRelocations(int dynamicSymbols, params int[] symbolIndices)
    {
        using var data = new MemoryStream();
        foreach (var symbol in symbolIndices)
        {
            Write64(data, 0x1000);
            Write64(data, ((ulong)symbol << 32) | 6); // R_X86_64_GLOB_DAT
            Write64(data, 0);
        }

        return Add(".rela.dyn", RelaType, data.ToArray(), dynamicSymbols, 0, 24);
    }

    /// <summary>The file: header, section data (8-byte aligned), .shstrtab, section headers.</summary>
    public byte[] Build(ushort machine = 62)
    {
        var names = new StringTable();
        var nameOffsets = sections.Select(s => names.Add(s.Name)).ToList();
        var shstrtabName = names.Add(".shstrtab");
        var all = sections.Append(new Section(".shstrtab", StringTableType, names.ToArray, 0, 0, 0)).ToList();
        var contents = all.Select(s => s.Data()).ToList();
        nameOffsets.Add(shstrtabName);

        using var file = new MemoryStream();
        Fill(file, 64, 0);
        var offsets = new List<long>();
        foreach (var data in contents)
        {
            Align(file);
            offsets.Add(file.Position);
            file.Write(data);
        }

        Align(file);
        var sectionHeaders = file.Position;
        Fill(file, 64, 0); // the null section
        for (var i = 0; i < all.Count; i++)
        {
            var s = all[i];
            Write32(file, nameOffsets[i]);
            Write32(file, s.Type);
            Write64(file, 0);
            Write64(file, 0);
            Write64(file, (ulong)offsets[i]);
            Write64(file, (ulong)contents[i].Length);
            Write32(file, (uint)s.Link);
            Write32(file, s.Info);
            Write64(file, 8);
            Write64(file, s.EntrySize);
        }

        var bytes = file.ToArray();
        bytes[0] = 0x7f;
        bytes[1] = (byte)'E';
        bytes[2] = (byte)'L';
        bytes[3] = (byte)'F';
        bytes[4] = 2; // ELFCLASS64
        bytes[5] = 1; // ELFDATA2LSB
        bytes[6] = 1; // EV_CURRENT
        var header = bytes.AsSpan();
        BinaryPrimitives.WriteUInt16LittleEndian(header[16..], 3); // ET_DYN
        BinaryPrimitives.WriteUInt16LittleEndian(header[18..], machine);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(header[40..], (ulong)sectionHeaders);
        BinaryPrimitives.WriteUInt16LittleEndian(header[52..], 64);
        BinaryPrimitives.WriteUInt16LittleEndian(header[58..], 64);
        BinaryPrimitives.WriteUInt16LittleEndian(header[60..], (ushort)(all.Count + 1));
        BinaryPrimitives.WriteUInt16LittleEndian(header[62..], (ushort)all.Count);

        foreach (var (version, (section, relative)) in pendingVernaux)
        {
            VernauxOffsets[version] = offsets[section - 1] + relative;
        }

        return bytes;
    }

    /// <summary>The SysV ELF hash (vna_hash, vd_hash).</summary>
    public static uint ElfHash(string name)
    {
        uint h = 0;
        foreach (var c in Encoding.ASCII.GetBytes(name))
        {
            h = (h << 4) + c;
            var g = h & 0xf0000000;
            if (g != 0)
            {
                h ^= g >> 24;
            }

            h &= ~g;
        }

        return h;
    }

    private static void Align(MemoryStream stream)
    {
        while (stream.Position % 8 != 0)
        {
            stream.WriteByte(0);
        }
    }

    private static void Fill(MemoryStream stream, int count, byte value = 0xEE)
    {
        for (var i = 0; i < count; i++)
        {
            stream.WriteByte(value);
        }
    }

    private static void Write16(MemoryStream stream, ushort value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, value);
        stream.Write(b);
    }

    private static void Write32(MemoryStream stream, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        stream.Write(b);
    }

    private static void Write64(MemoryStream stream, ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        stream.Write(b);
    }

    private sealed record Section(string Name, uint Type, Func<byte[]> Data, int Link, uint Info, ulong EntrySize);
}

/// <summary>A Verneed: a dependency and the versions needed from it.</summary>
internal sealed record NeededFile(string File, IReadOnlyList<NeededVersion> Versions);

/// <summary>A Vernaux: version name, vna_flags, vna_other (the version index symbols refer to).</summary>
internal sealed record NeededVersion(string Name, ushort Index, ushort Flags = 0);

/// <summary>An ELF string table under construction (offset 0 is the empty string).</summary>
internal sealed class StringTable
{
    private readonly List<byte> data = [0];
    private readonly Dictionary<string, uint> offsets = new(StringComparer.Ordinal) { [string.Empty] = 0 };

    public uint Add(string value)
    {
        if (offsets.TryGetValue(value, out var existing))
        {
            return existing;
        }

        var offset = (uint)data.Count;
        data.AddRange(Encoding.UTF8.GetBytes(value));
        data.Add(0);
        offsets[value] = offset;
        return offset;
    }

    public byte[] ToArray() => [.. data];
}
