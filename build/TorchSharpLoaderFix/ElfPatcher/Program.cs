using Precision.Build.Elf;

return ElfCli.Run(args, Console.Out, Console.Error);

/// <summary>Command line of the ELF version tool. Exit codes: 0 ok, 1 failure, 2 bad arguments.</summary>
internal static class ElfCli
{
    private const string Usage = """
        Usage:
          dotnet Precision.Build.Elf.dll torchsharp-loader [--libstdcxx FILE] LIBRARY...
              Marks GLIBCXX_3.4.32 weak in each copy of libLibTorchSharp.so when the system libstdc++ lacks it
              (the build runs this after each build and publish). --libstdcxx: check FILE instead of the system's.
          dotnet Precision.Build.Elf.dll weaken FILE VERSION
              Marks the needed version VERSION weak in FILE.
          dotnet Precision.Build.Elf.dll versions FILE
              Lists the versions FILE needs (with flags) and defines.
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            return args switch
            {
                ["torchsharp-loader", .. var rest] => FixTorchSharpLoader(rest, stdout, stderr),
                ["weaken", var file, var version] => Weaken(file, version, stdout, stderr),
                ["versions", var file] => Versions(file, stdout),
                ["-h" or "--help"] => Help(stdout),
                _ => BadArguments(stderr),
            };
        }
        catch (Exception e) when (e is ElfFormatException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private static int FixTorchSharpLoader(string[] args, TextWriter stdout, TextWriter stderr)
    {
        string? libStdCxx = null;
        var explicitLibStdCxx = false;
        var libraries = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--libstdcxx")
            {
                if (i + 1 >= args.Length)
                {
                    return BadArguments(stderr);
                }

                libStdCxx = args[++i];
                explicitLibStdCxx = true;
            }
            else
            {
                libraries.Add(args[i]);
            }
        }

        if (libraries.Count == 0)
        {
            return BadArguments(stderr);
        }

        var status = 0;
        foreach (var library in libraries)
        {
            if (!explicitLibStdCxx)
            {
                // The libstdc++ for the library's own machine (x86-64 for linux-x64).
                libStdCxx = SystemLibStdCxx.Locate(ElfImage.Load(library).Machine);
            }

            var result = TorchSharpLoaderFix.Apply(library, libStdCxx);
            if (result.Outcome == LoaderFixOutcome.Refused)
            {
                stderr.WriteLine($"error: {result.Message}");
                status = 1;
            }
            else
            {
                stdout.WriteLine(result.Message);
            }
        }

        return status;
    }

    private static int Weaken(string file, string version, TextWriter stdout, TextWriter stderr)
    {
        var result = ElfVersionNeedPatcher.MarkWeakInFile(file, version);
        stdout.WriteLine(result.Describe());
        if (result.RelocatedSymbols.Count > 0)
        {
            stderr.WriteLine($"warning: relocations use {string.Join(", ", result.RelocatedSymbols)}; they fail at run time where {version} is missing.");
        }

        return 0;
    }

    private static int Versions(string file, TextWriter stdout)
    {
        var elf = ElfImage.Load(file);
        var needs = elf.FindSection(".gnu.version_r") is null ? [] : elf.ReadVersionNeeds();
        foreach (var need in needs)
        {
            stdout.WriteLine($"needs   {need.Name,-24} from {need.File,-28} index {need.Index,3}  flags 0x{need.Flags:x}{(need.IsWeak ? " (weak)" : string.Empty)}");
        }

        foreach (var definition in elf.ReadVersionDefinitions())
        {
            stdout.WriteLine($"defines {definition.Name,-24} index {definition.Index,3}{(definition.IsBase ? " (base: the file's own name)" : string.Empty)}");
        }

        return 0;
    }

    private static int Help(TextWriter stdout)
    {
        stdout.WriteLine(Usage);
        return 0;
    }

    private static int BadArguments(TextWriter stderr)
    {
        stderr.WriteLine(Usage);
        return 2;
    }
}
