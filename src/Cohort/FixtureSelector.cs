using Precision.Clinical;
using Precision.Clinical.Catalog;

namespace Precision.Cohort;

/// <summary>
/// Picks a few generated patients that together cover every resource shape (for tests/fixtures/fhir): an NSCLC patient
/// with an EGFR variant and observed responses, a fusion, an ERBB2 copy-number gain, a tumour marker series, MSI-H, and
/// the deliberate messiness (entered-in-error, duplicate, non-canonical unit, unknown LOINC, missing stage, second primary,
/// ungrouped medications).
/// </summary>
public static class FixtureSelector
{
    private static bool IsMultiDrug(string therapyId) => therapyId.Contains('-', StringComparison.Ordinal) || therapyId.StartsWith("fol", StringComparison.Ordinal);

    public sealed record Fixture(string Name, string Description, GeneratedPatient Patient);

    public static IReadOnlyList<Fixture> Select(CohortGenerator generator, long seed, int maxScan = 20000)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var wanted = new List<(string Name, string Description, Func<SyntheticPatient, bool> Match)>
        {
            ("example-patient-bundle", "NSCLC with an EGFR sensitizing variant, two or more lines with observed responses",
                p => p.CancerType == CancerType.NonSmallCellLungCancer && p.Genomics.Biomarkers.Contains(BiomarkerKind.EgfrSensitizing)
                     && p.Lines.Count(l => l.BestResponse is not null) >= 2 && !p.Messiness.Labels().Any() && p.SecondPrimary is null),
            ("nsclc-alk-fusion", "NSCLC with an EML4::ALK fusion",
                p => p.Genomics.Fusions.Any(f => f.ThreePrime.Symbol == "ALK") && p.Lines.Any(l => l.BestResponse is not null) && !p.Messiness.Labels().Any()),
            ("breast-erbb2-amplification", "Breast cancer with ERBB2 amplification (copy number) and ER status",
                p => p.Genomics.CopyNumbers.Any(c => c.Gene.Symbol == "ERBB2") && p.CancerType == CancerType.BreastCancer && !p.Messiness.Labels().Any()),
            ("crc-msi-high-cea", "Colorectal cancer, MSI-H, CEA series across lines",
                p => p.CancerType == CancerType.ColorectalCancer && p.Genomics.Msi == MicrosatelliteStatus.InstabilityHigh && p.Lines.Count >= 2),
            ("messy-units-and-errors", "Entered-in-error lab, duplicate lab and a draw in g/L and umol/L",
                p => p.Messiness.EnteredInError && p.Messiness.DuplicateLab && p.Messiness.SiUnitDraw),
            ("messy-missing-stage-unknown-loinc", "No stage observation and a lab with a LOINC code the portal does not read",
                p => p.Messiness.MissingStage && p.Messiness.UnknownLoinc),
            ("ungrouped-medications", "Medication statements without the line identifier (group lines by start date)",
                p => p.Messiness.UngroupedLines && p.Lines.Count >= 2 && p.Lines.Any(l => IsMultiDrug(l.TherapyId))),
            ("second-primary", "A second (earlier, in remission) primary cancer",
                p => p.SecondPrimary is not null && p.Lines.Count >= 1),
        };

        var found = new Dictionary<string, Fixture>(StringComparer.Ordinal);
        for (var index = 1; index <= maxScan && found.Count < wanted.Count; index++)
        {
            var generated = generator.GeneratePatient(seed, index);
            foreach (var (name, description, match) in wanted)
            {
                if (!found.ContainsKey(name) && !found.Values.Any(f => f.Patient.Patient.Index == index) && match(generated.Patient))
                {
                    found[name] = new Fixture(name, description, generated);
                    break;
                }
            }
        }

        return [.. wanted.Where(w => found.ContainsKey(w.Name)).Select(w => found[w.Name])];
    }
}
