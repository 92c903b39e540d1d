using System.Diagnostics;
using System.Globalization;
using Hl7.Fhir.Serialization;
using Precision.Clinical.Catalog;
using Precision.Cohort;

return CohortCli.Run(args, Console.Out, Console.Error);

/// <summary>precision-cohort: generate the seeded synthetic oncology cohort. Exit codes: 0 ok, 1 failure, 2 bad arguments.</summary>
internal static class CohortCli
{
    private const string Usage = """
        Usage:
          precision-cohort --patients N --seed S --out DIR [--catalog FILE] [--reference-date YYYY-MM-DD] [--no-bundles] [--no-real-world-shapes] [--threads N]
          precision-cohort fixtures --out DIR [--seed S] [--catalog FILE]

          --patients N         number of patients (0 or more)
          --seed S             integer seed; the same seed and size give byte-identical files
          --out DIR            output directory (created; existing files are overwritten)
          --catalog FILE       therapy catalog (default: data/therapy-catalog/therapy-catalog.v1.json found above the app)
          --reference-date D   data cut-off, no event after it (default 2025-06-30)
          --no-bundles         write ndjson, truth and manifest only
          --no-real-world-shapes
                               only the shapes written before the real-world ones (mCODE STU1-STU4, Genomics
                               Reporting STU1-STU3 variants; see docs/cohort.md): byte-identical to earlier versions
          --threads N          worker threads (default: processor count)
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var fixtures = args.Length > 0 && args[0] == "fixtures";
        var options = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = fixtures ? 1 : 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help")
            {
                stdout.WriteLine(Usage);
                return 0;
            }

            if (arg is "--no-bundles" or "--no-real-world-shapes")
            {
                options[arg] = null;
                continue;
            }

            if (arg is not ("--patients" or "--seed" or "--out" or "--catalog" or "--reference-date" or "--threads"))
            {
                return Fail(stderr, $"unknown argument '{arg}'.");
            }

            if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                return Fail(stderr, $"{arg} needs a value.");
            }

            options[arg] = args[++i];
        }

        if (!options.TryGetValue("--out", out var outDir) || string.IsNullOrWhiteSpace(outDir))
        {
            return Fail(stderr, "--out DIR is required.");
        }

        long seed = 42;
        if (options.TryGetValue("--seed", out var seedText) && !long.TryParse(seedText, NumberStyles.Integer, CultureInfo.InvariantCulture, out seed))
        {
            return Fail(stderr, $"--seed must be an integer, not '{seedText}'.");
        }

        var patients = 0;
        if (!fixtures)
        {
            if (!options.TryGetValue("--patients", out var patientsText))
            {
                return Fail(stderr, "--patients N is required.");
            }

            if (!int.TryParse(patientsText, NumberStyles.Integer, CultureInfo.InvariantCulture, out patients))
            {
                return Fail(stderr, $"--patients must be a whole number, not '{patientsText}'.");
            }

            if (patients < 0)
            {
                return Fail(stderr, $"--patients must be 0 or more, not {patients}.");
            }

            if (!options.ContainsKey("--seed"))
            {
                return Fail(stderr, "--seed S is required.");
            }
        }

        var referenceDate = new CohortOptions { PatientCount = 0, Seed = 0 }.ReferenceDate;
        if (options.TryGetValue("--reference-date", out var dateText)
            && !DateOnly.TryParseExact(dateText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out referenceDate))
        {
            return Fail(stderr, $"--reference-date must be YYYY-MM-DD, not '{dateText}'.");
        }

        var threads = Environment.ProcessorCount;
        if (options.TryGetValue("--threads", out var threadsText)
            && (!int.TryParse(threadsText, NumberStyles.Integer, CultureInfo.InvariantCulture, out threads) || threads < 1))
        {
            return Fail(stderr, $"--threads must be a positive whole number, not '{threadsText}'.");
        }

        TherapyCatalog catalog;
        try
        {
            var catalogPath = options.TryGetValue("--catalog", out var c) && c is not null ? c : TherapyCatalogLoader.FindDefault();
            catalog = TherapyCatalogLoader.Load(catalogPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or System.Text.Json.JsonException)
        {
            return Fail(stderr, "cannot load the therapy catalog: " + e.Message);
        }

        var root = Path.GetFullPath(outDir);
        if (File.Exists(root))
        {
            return Fail(stderr, $"--out '{outDir}' is a file, not a directory.");
        }

        try
        {
            Directory.CreateDirectory(root);
            var probe = Path.Combine(root, ".write-probe");
            File.WriteAllText(probe, string.Empty);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(stderr, $"--out '{outDir}' is not writable: {e.Message}");
        }

        var generator = new CohortGenerator(catalog);
        try
        {
            return fixtures ? WriteFixtures(generator, seed, root, stdout) : Generate(generator, patients, seed, referenceDate, threads, options.ContainsKey("--no-bundles"), !options.ContainsKey("--no-real-world-shapes"), root, stdout, stderr);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"precision-cohort: writing failed: {e.Message}");
            return 1;
        }
    }

    private static int Generate(CohortGenerator generator, int patients, long seed, DateOnly referenceDate, int threads, bool noBundles, bool realWorldShapes, string root, TextWriter stdout, TextWriter stderr)
    {
        var interactive = !Console.IsErrorRedirected;
        var clock = Stopwatch.StartNew();
        var lastPercent = -1;
        var progress = new SynchronousProgress(p =>
        {
            var percent = p.PatientCount == 0 ? 100 : p.PatientsDone * 100 / p.PatientCount;
            if (interactive)
            {
                stderr.Write(string.Create(CultureInfo.InvariantCulture, $"\r  {p.PatientsDone,8:N0} / {p.PatientCount:N0} patients  {percent,3}%  {clock.Elapsed:mm\\:ss}"));
            }
            else if (percent / 10 != lastPercent / 10)
            {
                stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {p.PatientsDone:N0} / {p.PatientCount:N0} patients ({percent}%)"));
            }

            lastPercent = percent;
        });

        var result = generator.Generate(
            new CohortOptions { PatientCount = patients, Seed = seed, ReferenceDate = referenceDate, WriteBundles = !noBundles, RealWorldShapes = realWorldShapes, MaxDegreeOfParallelism = threads },
            root, progress);
        if (interactive)
        {
            stderr.WriteLine();
        }

        var ndjsonBytes = result.Files.Where(f => f.Path.StartsWith("ndjson/", StringComparison.Ordinal)).Sum(f => f.Bytes);
        var bundleBytes = result.Files.Where(f => f.Path.StartsWith("bundles/", StringComparison.Ordinal)).Sum(f => f.Bytes);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Generated {patients:N0} patients (seed {seed}, catalog {generator.Catalog.CatalogVersion}) in {clock.Elapsed.TotalSeconds:F1} s into {root}"));
        foreach (var (type, count) in result.ResourceCounts)
        {
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {type,-20} {count,10:N0}"));
        }

        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ndjson {ndjsonBytes / 1048576.0:F1} MiB, bundles {bundleBytes / 1048576.0:F1} MiB"));
        return 0;
    }

    private static int WriteFixtures(CohortGenerator generator, long seed, string root, TextWriter stdout)
    {
        foreach (var fixture in FixtureSelector.Select(generator, seed))
        {
            var path = Path.Combine(root, fixture.Name + ".json");
            File.WriteAllText(path, fixture.Patient.Bundle.ToJson(pretty: true) + "\n");
            stdout.WriteLine($"{fixture.Name}.json  {fixture.Patient.Patient.Id}  {fixture.Description}");
        }

        var realWorld = Path.Combine(root, FixtureSelector.RealWorldFolder);
        Directory.CreateDirectory(realWorld);
        foreach (var fixture in FixtureSelector.SelectRealWorld(generator, seed))
        {
            File.WriteAllText(Path.Combine(realWorld, fixture.Name + ".json"), fixture.Patient.Bundle.ToJson(pretty: true) + "\n");
            stdout.WriteLine($"{FixtureSelector.RealWorldFolder}/{fixture.Name}.json  {fixture.Patient.Patient.Id}  {fixture.Description}");
        }

        return 0;
    }

    private static int Fail(TextWriter stderr, string message)
    {
        stderr.WriteLine($"precision-cohort: {message}");
        stderr.WriteLine("Run 'precision-cohort --help' for usage.");
        return 2;
    }

    private sealed class SynchronousProgress(Action<CohortProgress> report) : IProgress<CohortProgress>
    {
        public void Report(CohortProgress value) => report(value);
    }
}
