using System.Buffers.Binary;

namespace Precision.Build.Elf;

/// <summary>What <see cref="ElfVersionNeedPatcher.MarkWeak(byte[], string, string)"/> did.</summary>
public enum VersionNeedPatchOutcome
{
    /// <summary>The file does not need the version: nothing to patch.</summary>
    NothingToPatch,

    /// <summary>VER_FLG_WEAK was already set on every matching entry; nothing changed.</summary>
    AlreadyWeak,

    /// <summary>VER_FLG_WEAK was set on at least one matching entry.</summary>
    Patched,
}

/// <summary>
/// The result of marking a needed version weak: the matching Vernaux entries as they were before, the dynamic symbols
/// bound to that version, and those of them that a dynamic relocation refers to (symbols the loader would look up).
/// </summary>
public sealed record VersionNeedPatchResult(
    string File,
    string VersionName,
    VersionNeedPatchOutcome Outcome,
    IReadOnlyList<VersionNeed> Entries,
    IReadOnlyList<string> Symbols,
    IReadOnlyList<string> RelocatedSymbols)
{
    /// <summary>One line for logs.</summary>
    public string Describe()
    {
        var from = Entries.Count == 0 ? string.Empty : $" (needed from {string.Join(", ", Entries.Select(e => e.File).Distinct())})";
        var what = Outcome switch
        {
            VersionNeedPatchOutcome.NothingToPatch => $"does not need {VersionName}; nothing to patch",
            VersionNeedPatchOutcome.AlreadyWeak => $"{VersionName}{from} is already marked weak",
            _ => $"marked {VersionName}{from} weak",
        };
        var symbols = Symbols.Count == 0
            ? string.Empty
            : $"; symbols with that version: {string.Join(", ", Symbols)}"
              + (RelocatedSymbols.Count == 0 ? " (no relocation uses them)" : $" (relocations use {string.Join(", ", RelocatedSymbols)})");
        return $"{File}: {what}{symbols}";
    }
}

/// <summary>
/// Sets VER_FLG_WEAK on the version-need entry (Elf64_Vernaux in <c>.gnu.version_r</c>) with a given name, so the
/// dynamic loader accepts a dependency that lacks that version. Only the 2-byte vna_flags field changes; patching
/// twice changes nothing.
/// </summary>
public static class ElfVersionNeedPatcher
{
    /// <summary>
    /// Marks every Vernaux named <paramref name="versionName"/> weak in <paramref name="image"/> (edited in memory).
    /// </summary>
    /// <exception cref="ElfFormatException">Not an ELF64 little-endian file, no <c>.gnu.version_r</c>, or a malformed one.</exception>
    public static VersionNeedPatchResult MarkWeak(byte[] image, string versionName, string name)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentException.ThrowIfNullOrEmpty(versionName);
        var elf = new ElfImage(image, name);
        var entries = elf.ReadVersionNeeds().Where(n => n.Name == versionName).ToList();
        if (entries.Count == 0)
        {
            return new VersionNeedPatchResult(name, versionName, VersionNeedPatchOutcome.NothingToPatch, [], [], []);
        }

        var indices = entries.Select(e => e.Index).ToHashSet();
        var symbols = elf.ReadDynamicSymbols().Where(s => indices.Contains(s.VersionIndex)).ToList();
        var relocated = elf.ReadRelocatedSymbolIndices();
        var relocatedNames = symbols.Where(s => relocated.Contains(s.Index)).Select(s => s.Name).ToList();

        var changed = false;
        foreach (var entry in entries.Where(e => !e.IsWeak))
        {
            BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan((int)entry.FlagsOffset, 2), (ushort)(entry.Flags | VersionNeed.WeakFlag));
            changed = true;
        }

        return new VersionNeedPatchResult(name, versionName, changed ? VersionNeedPatchOutcome.Patched : VersionNeedPatchOutcome.AlreadyWeak,
            entries, [.. symbols.Select(s => s.Name)], relocatedNames);
    }

    /// <summary>
    /// Marks the version need weak in a file. The file is rewritten only when something changed, and then by writing
    /// a sibling temporary file and renaming it over the original: a hard or symbolic link to a shared copy (such as
    /// the NuGet package cache) is replaced, never written through. The Unix file mode is kept.
    /// </summary>
    public static VersionNeedPatchResult MarkWeakInFile(string path, string versionName)
    {
        var image = File.ReadAllBytes(path);
        var result = MarkWeak(image, versionName, path);
        if (result.Outcome == VersionNeedPatchOutcome.Patched)
        {
            ReplaceFile(path, image);
        }

        return result;
    }

    /// <summary>Replaces <paramref name="path"/> with <paramref name="contents"/> through a temporary file and a rename.</summary>
    public static void ReplaceFile(string path, byte[] contents)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full) ?? throw new ArgumentException($"{path} has no directory.", nameof(path));
        var temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllBytes(temporary, contents);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, File.GetUnixFileMode(full));
            }

            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }
}
