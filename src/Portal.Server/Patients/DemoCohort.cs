using Precision.Clinical.Catalog;
using Precision.Cohort;

namespace Precision.Portal.Server.Patients;

/// <summary>Settings of the <c>DemoCohort</c> section: the synthetic cohort the embedded default generates on first start.</summary>
public sealed class DemoCohortOptions
{
    public const string SectionName = "DemoCohort";

    /// <summary>1–100,000; checked at start.</summary>
    public int PatientCount { get; set; } = 300;

    public long Seed { get; set; } = 20261128;
}

/// <summary>
/// Generates the demo cohort into the data directory when it is absent. Written to a temporary folder and moved into place,
/// so an interrupted start never leaves half a cohort behind.
/// </summary>
internal sealed class DemoCohort(DemoCohortOptions options, TherapyCatalog catalog, ILogger<DemoCohort> logger)
{
    /// <summary>Called once, by the ndjson source before its first read (its lazy load runs it a single time).</summary>
    public async Task EnsureAsync(string ndjsonDirectory)
    {
        if (Directory.Exists(ndjsonDirectory))
        {
            return;
        }

        var cohortDirectory = Path.GetDirectoryName(ndjsonDirectory)!;
        var staging = cohortDirectory + ".generating-" + Guid.NewGuid().ToString("N")[..8];
        logger.LogInformation("Generating the synthetic demo cohort ({PatientCount} patients, seed {Seed})", options.PatientCount, options.Seed);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await Task.Run(() => new CohortGenerator(catalog).Generate(
            new CohortOptions { PatientCount = options.PatientCount, Seed = options.Seed, WriteBundles = false },
            staging));
        Directory.Move(staging, cohortDirectory);
        logger.LogInformation("Demo cohort ready in {ElapsedMs:0} ms", System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
}
