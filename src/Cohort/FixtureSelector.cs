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

    /// <summary>
    /// The fixtures of the shapes the mapper has always read (tests/fixtures/fhir), generated without the real-world shapes so
    /// they stay what they were; the real-world shapes have their own fixtures (<see cref="SelectRealWorld"/>).
    /// </summary>
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
            var generated = generator.GeneratePatient(seed, index, realWorldShapes: false);
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

    /// <summary>Folder under tests/fixtures/fhir for the real-world fixtures.</summary>
    public const string RealWorldFolder = "real-world";

    /// <summary>
    /// Fixtures of the real-world shapes (tests/fixtures/fhir/real-world): an unsupported histology, a deceased patient,
    /// secondary cancers, lines as requests and administrations, a variant of uncertain significance with pertinent negatives,
    /// an STU3 genomic report without subjects, curative surgery with adjuvant therapy and radiotherapy.
    /// </summary>
    public static IReadOnlyList<Fixture> SelectRealWorld(CohortGenerator generator, long seed, int maxScan = 20000)
    {
        ArgumentNullException.ThrowIfNull(generator);
        static RealWorld.RealWorldRecord Rw(SyntheticPatient p) => p.RealWorld!;
        var wanted = new List<(string Name, string Description, Func<SyntheticPatient, bool> Match)>
        {
            ("small-cell-lung-cancer", "Small cell lung cancer (unsupported histology): carboplatin + etoposide lines, no catalog therapy, no truth rows",
                p => Rw(p).Replacement?.Histology == RealWorld.UnsupportedHistology.SmallCellLungCancer && p.Lines.Count >= 2 && Rw(p).Diagnosis.Morphology is not null),
            ("pancreatic-neuroendocrine-tumor", "Pancreatic neuroendocrine tumour (unsupported histology, ICD-10-CM C25.4, text-only regimens)",
                p => Rw(p).Replacement?.Histology == RealWorld.UnsupportedHistology.PancreaticNeuroendocrineTumor),
            ("uveal-melanoma", "Uveal melanoma (unsupported histology, ICD-10-CM C69, text-only regimen)",
                p => Rw(p).Replacement?.Histology == RealWorld.UnsupportedHistology.UvealMelanoma),
            ("deceased-after-progression", "Deceased (deceasedDateTime) after progression on the last line; STU3 TNM stage group with T/N/M categories",
                p => Rw(p).Replacement is null && Rw(p).Death is { AsBoolean: false } && p.Lines[^1].BestResponse == RecistResponse.ProgressiveDisease
                     && Rw(p).Staging is { Style: RealWorld.StageStyle.TnmStu3, Categories: not null }),
            ("secondary-cancers-palliative-radiotherapy", "Two or more secondary cancers (mCODE SecondaryCancerCondition) and palliative radiotherapy to a metastasis",
                p => Rw(p).Replacement is null && Rw(p).SecondaryCancers.Count >= 2 && Rw(p).Radiotherapy.Any(c => c.SecondarySequence is not null)),
            ("lines-as-requests-and-administrations", "Lines as MedicationRequest + one MedicationAdministration per cycle, responses partOf the administrations; supportive care",
                p => Rw(p).Replacement is null && Rw(p).Medications.RequestsAndAdministrations && p.Lines.Count(l => l.BestResponse is not null) >= 2 && Rw(p).Medications.Supportive.Count > 0),
            ("genomics-vus-negatives-implication", "BRCA pathogenic variant with a diagnostic implication, a variant of uncertain significance and pertinent negatives",
                p => Rw(p).Replacement is null && p.Genomics.Variants.Any(v => v.Variant.Gene.Symbol.StartsWith("BRCA", StringComparison.Ordinal))
                     && Rw(p).Genomics is { LegacySignificance: false, UncertainSignificance: not null, PertinentNegatives.Count: > 0 }),
            ("genomics-stu3-without-subject", "Genomics Reporting STU3 report (51969-4, grouping Observation with hasMember) whose findings have no subject",
                p => Rw(p).Genomics is { Stu3Report: true, NoSubject: true } && p.Genomics.Variants.Count > 0),
            ("curative-surgery-adjuvant-radiotherapy", "Stage II–III breast cancer: lumpectomy, adjuvant docetaxel + cyclophosphamide (curative intent), whole-breast radiotherapy, later relapse",
                p => Rw(p).Surgery is not null && Rw(p).Adjuvant is not null && Rw(p).Radiotherapy.Any(c => c.Curative) && p.CancerType == CancerType.BreastCancer),
            ("medication-problems", "A not-taken statement, an antineoplastic request never given and a medication entered in error",
                p => Rw(p).Medications is { NotGiven: not null } && (Rw(p).Medications.NotTaken is not null || Rw(p).Medications.EnteredInError is not null)),
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
