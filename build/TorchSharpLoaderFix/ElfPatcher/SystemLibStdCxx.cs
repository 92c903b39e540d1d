using System.ComponentModel;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Precision.Build.Elf;

/// <summary>
/// Finds the system's <c>libstdc++.so.6</c> (the dynamic loader's cache through <c>ldconfig -p</c>, then the standard
/// library directories) and reads which GLIBCXX versions it defines.
/// </summary>
public static partial class SystemLibStdCxx
{
    /// <summary>The soname the dynamic loader resolves.</summary>
    public const string SoName = "libstdc++.so.6";

    private static readonly string[] StandardDirectories =
    [
        "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
        "/lib64", "/usr/lib64", "/lib", "/usr/lib",
    ];

    private static readonly string[] LdconfigCommands = ["/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig"];

    /// <summary>
    /// The system libstdc++ for machine <paramref name="machine"/> (ELF e_machine, e.g. <see cref="ElfImage.MachineX86_64"/>):
    /// the first candidate that parses as ELF64 little-endian for that machine; null when there is none.
    /// </summary>
    public static string? Locate(ushort machine)
    {
        foreach (var candidate in Candidates())
        {
            try
            {
                if (ElfImage.Load(candidate).Machine == machine)
                {
                    return candidate;
                }
            }
            catch (Exception e) when (e is ElfFormatException or IOException or UnauthorizedAccessException)
            {
                // Not readable or not for this machine: try the next one.
            }
        }

        return null;
    }

    /// <summary>Paths that may hold the system libstdc++: the loader cache's entries first, then the standard directories.</summary>
    public static IReadOnlyList<string> Candidates()
    {
        var found = new List<string>();
        found.AddRange(FromLoaderCache());
        found.AddRange(StandardDirectories.Select(d => Path.Combine(d, SoName)).Where(File.Exists));
        return [.. found.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Whether the library at <paramref name="libraryPath"/> defines the symbol version <paramref name="versionName"/>
    /// (a non-base entry of its <c>.gnu.version_d</c>).
    /// </summary>
    public static bool DefinesVersion(string libraryPath, string versionName) =>
        ElfImage.Load(libraryPath).ReadVersionDefinitions().Any(d => !d.IsBase && d.Name == versionName);

    /// <summary>libstdc++ entries of <c>ldconfig -p</c>; empty when ldconfig cannot be run.</summary>
    private static List<string> FromLoaderCache()
    {
        foreach (var command in LdconfigCommands)
        {
            if (command.StartsWith('/') && !File.Exists(command))
            {
                continue;
            }

            try
            {
                using var process = Process.Start(new ProcessStartInfo(command, "-p")
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                });
                if (process is null)
                {
                    continue;
                }

                var readErrors = process.StandardError.ReadToEndAsync();
                var output = process.StandardOutput.ReadToEnd();
                if (!process.WaitForExit(10_000))
                {
                    process.Kill();
                    continue;
                }

                _ = readErrors.Result;
                return [.. output.Split('\n')
                    .Select(line => LoaderCacheLine().Match(line))
                    .Where(m => m.Success && m.Groups["name"].Value == SoName && File.Exists(m.Groups["path"].Value))
                    .Select(m => m.Groups["path"].Value)];
            }
            catch (Win32Exception)
            {
                // Not installed under that name: try the next one.
            }
        }

        return [];
    }

    // "	libstdc++.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libstdc++.so.6"
    [GeneratedRegex(@"^\s*(?<name>\S+)\s+\([^)]*\)\s+=>\s+(?<path>\S.*?)\s*$")]
    private static partial Regex LoaderCacheLine();
}
