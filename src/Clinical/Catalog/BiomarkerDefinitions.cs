using System.Globalization;
using System.Text.RegularExpressions;

namespace Precision.Clinical.Catalog;

/// <summary>How a recorded finding counts as a catalog biomarker, where a definition is more than a name match; one place for every layer.</summary>
public static partial class BiomarkerDefinitions
{
    /// <summary>EGFR p.L858R or an exon 19 in-frame deletion (codons 746–759, e.g. p.E746_A750del): the sensitizing variants.</summary>
    public static bool IsEgfrSensitizing(string proteinChange)
    {
        ArgumentNullException.ThrowIfNull(proteinChange);
        if (proteinChange.Contains("L858R", StringComparison.Ordinal))
        {
            return true;
        }

        return proteinChange.Contains("del", StringComparison.Ordinal)
            && FirstCodon().Match(proteinChange) is { Success: true } m
            && int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) is >= 746 and <= 759;
    }

    /// <summary>
    /// Whether a reported variant may count as an alteration (for biomarkers and model features): never a variant of
    /// uncertain significance or a benign one, and for BRCA1/2 — where pathogenicity is the point — only a variant reported
    /// pathogenic or likely pathogenic (LOINC 53037-8). One rule for every layer.
    /// </summary>
    public static bool CountsAsAlteration(GenomicVariant variant)
    {
        ArgumentNullException.ThrowIfNull(variant);
        if (variant.Significance is ClinicalSignificance.UncertainSignificance or ClinicalSignificance.LikelyBenign or ClinicalSignificance.Benign)
        {
            return false;
        }

        return variant.Gene is not ("BRCA1" or "BRCA2")
            || variant.Significance is ClinicalSignificance.Pathogenic or ClinicalSignificance.LikelyPathogenic;
    }

    /// <summary>The catalog's biomarkers present in the profile.</summary>
    public static IReadOnlySet<BiomarkerKind> BiomarkersOf(PatientProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var found = new HashSet<BiomarkerKind>();
        foreach (var variant in profile.Variants.Where(CountsAsAlteration))
        {
            var change = variant.ProteinChange ?? variant.CodingChange ?? string.Empty;
            switch (variant.Gene)
            {
                case "EGFR" when IsEgfrSensitizing(change):
                    found.Add(BiomarkerKind.EgfrSensitizing);
                    break;
                case "KRAS" when change.Contains("G12C", StringComparison.Ordinal):
                    found.Add(BiomarkerKind.KrasG12C);
                    break;
                case "BRAF" when change.Contains("V600E", StringComparison.Ordinal):
                    found.Add(BiomarkerKind.BrafV600E);
                    break;
                case "BRCA1" or "BRCA2":
                    found.Add(BiomarkerKind.BrcaPathogenic);
                    break;
            }
        }

        foreach (var fusion in profile.Fusions)
        {
            string[] genes = [fusion.FivePrimeGene, fusion.ThreePrimeGene];
            if (genes.Contains("ALK"))
            {
                found.Add(BiomarkerKind.AlkFusion);
            }

            if (genes.Contains("ROS1"))
            {
                found.Add(BiomarkerKind.Ros1Fusion);
            }

            if (genes.Any(g => g.StartsWith("NTRK", StringComparison.Ordinal)))
            {
                found.Add(BiomarkerKind.NtrkFusion);
            }
        }

        if (profile.CopyNumberAlterations.Any(c => c.Gene == "ERBB2" && c.Change == CopyNumberChange.Amplification))
        {
            found.Add(BiomarkerKind.Erbb2Amplification);
        }

        if (profile.Microsatellite?.Status == MicrosatelliteStatus.InstabilityHigh)
        {
            found.Add(BiomarkerKind.MsiHigh);
        }

        if (profile.TumorMutationalBurden?.MutationsPerMegabase >= 10)
        {
            found.Add(BiomarkerKind.TmbHigh);
        }

        if (profile.PdL1?.TumorProportionScorePercent >= 50)
        {
            found.Add(BiomarkerKind.PdL1High);
        }

        if (profile.EstrogenReceptor?.Positive == true)
        {
            found.Add(BiomarkerKind.HormoneReceptorPositive);
        }

        return found;
    }

    /// <summary>The biomarker as a clinician writes it.</summary>
    public static string DisplayName(BiomarkerKind biomarker) => biomarker switch
    {
        BiomarkerKind.EgfrSensitizing => "EGFR sensitizing",
        BiomarkerKind.AlkFusion => "ALK fusion",
        BiomarkerKind.Ros1Fusion => "ROS1 fusion",
        BiomarkerKind.KrasG12C => "KRAS G12C",
        BiomarkerKind.BrafV600E => "BRAF V600E",
        BiomarkerKind.Erbb2Amplification => "ERBB2 (HER2) amplification",
        BiomarkerKind.BrcaPathogenic => "BRCA1/2 pathogenic",
        BiomarkerKind.MsiHigh => "MSI-high",
        BiomarkerKind.TmbHigh => "TMB-high",
        BiomarkerKind.PdL1High => "PD-L1 ≥ 50%",
        BiomarkerKind.NtrkFusion => "NTRK fusion",
        BiomarkerKind.HormoneReceptorPositive => "ER positive",
        _ => "biomarker-negative",
    };

    [GeneratedRegex(@"[A-Z](\d{3})")]
    private static partial Regex FirstCodon();
}
