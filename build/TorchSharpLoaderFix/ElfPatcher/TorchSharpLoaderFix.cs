namespace Precision.Build.Elf;

/// <summary>What <see cref="TorchSharpLoaderFix.Apply"/> did to one copy of libLibTorchSharp.so.</summary>
public enum LoaderFixOutcome
{
    /// <summary>The system libstdc++ defines the version: the file was left as it is.</summary>
    NotNeeded,

    /// <summary>The file does not need the version: nothing to patch.</summary>
    NothingToPatch,

    /// <summary>The version need was already weak.</summary>
    AlreadyPatched,

    /// <summary>The version need was marked weak.</summary>
    Patched,

    /// <summary>Some relocation uses a symbol of that version: weakening it would only move the failure to run time.</summary>
    Refused,
}

/// <summary>The outcome for one file and a line for the build log.</summary>
public sealed record LoaderFixResult(string File, LoaderFixOutcome Outcome, string Message);

/// <summary>
/// The TorchSharp loader fix. TorchSharp's libLibTorchSharp.so is linked against GCC 13's libstdc++ and records that it
/// needs GLIBCXX_3.4.32; older systems (Debian 12: GCC 12, up to GLIBCXX_3.4.30) refuse to load it, and TorchSharp
/// then reports a misleading "doesn't contain a reference to libtorch-cpu-linux-x64". The only symbol with that version
/// is <c>std::ios_base_library_init()</c>, which no relocation uses, so nothing is ever looked up with it. Marking the
/// need weak (VER_FLG_WEAK) lets the loader accept the older libstdc++. The fix applies only when the system libstdc++
/// lacks the version, and it refuses when a relocation does use a symbol of that version (a future TorchSharp
/// could), since that symbol would then fail at run time.
/// </summary>
public static class TorchSharpLoaderFix
{
    /// <summary>The file name of TorchSharp's native bridge on Linux.</summary>
    public const string LibraryFileName = "libLibTorchSharp.so";

    /// <summary>The libstdc++ version TorchSharp needs and older systems lack.</summary>
    public const string RequiredVersion = "GLIBCXX_3.4.32";

    /// <summary>
    /// Applies the fix to one copy of libLibTorchSharp.so.
    /// </summary>
    /// <param name="libraryPath">The copy in a build or publish output (never the package cache's file).</param>
    /// <param name="systemLibStdCxx">The system libstdc++, or null when none was found (then the fix applies).</param>
    /// <exception cref="ElfFormatException">The library is not an ELF64 little-endian file or lacks <c>.gnu.version_r</c>.</exception>
    public static LoaderFixResult Apply(string libraryPath, string? systemLibStdCxx)
    {
        if (systemLibStdCxx is not null && SystemLibStdCxx.DefinesVersion(systemLibStdCxx, RequiredVersion))
        {
            return new LoaderFixResult(libraryPath, LoaderFixOutcome.NotNeeded,
                $"{libraryPath}: {systemLibStdCxx} defines {RequiredVersion}; left unchanged");
        }

        var image = File.ReadAllBytes(libraryPath);
        var result = ElfVersionNeedPatcher.MarkWeak(image, RequiredVersion, libraryPath);
        var system = systemLibStdCxx is null ? "no system libstdc++ was found" : $"{systemLibStdCxx} lacks {RequiredVersion}";
        switch (result.Outcome)
        {
            case VersionNeedPatchOutcome.NothingToPatch:
                return new LoaderFixResult(libraryPath, LoaderFixOutcome.NothingToPatch, result.Describe());
            case VersionNeedPatchOutcome.AlreadyWeak:
                return new LoaderFixResult(libraryPath, LoaderFixOutcome.AlreadyPatched, $"{result.Describe()} ({system})");
            default:
                if (result.RelocatedSymbols.Count > 0)
                {
                    return new LoaderFixResult(libraryPath, LoaderFixOutcome.Refused,
                        $"{libraryPath}: not patched: relocations use {string.Join(", ", result.RelocatedSymbols)} with version "
                        + $"{RequiredVersion}, which {system}; marking it weak would only turn the load error into a missing-symbol "
                        + "error at run time. Use a libstdc++ from GCC 13 or later, or a TorchSharp built for this system.");
                }

                ElfVersionNeedPatcher.ReplaceFile(libraryPath, image);
                return new LoaderFixResult(libraryPath, LoaderFixOutcome.Patched, $"{result.Describe()} ({system})");
        }
    }
}
