using Precision.Clinical;
using Precision.Clinical.Catalog;

namespace Precision.Inference.Evidence;

/// <summary>A catalog rule that fires for this patient and therapy: the context, its published response rate and source.</summary>
public sealed record EvidenceMatch(
    string TherapyId,
    string? ContextId,
    BiomarkerKind Biomarker,
    double PublishedResponseRate,
    string EvidenceLevel,
    CatalogSource Source);

/// <summary>
/// What the therapy catalog alone says about a patient: which biomarker contexts apply and their published response
/// rates. It is the "biomarker-rule lookup" baseline of the model card and the evidence shown beside each prediction.
/// </summary>
public sealed class CatalogEvidence(TherapyCatalog catalog)
{
    private readonly ResponseModel _model = new(catalog);

    public TherapyCatalog Catalog => _model.Catalog;

    /// <summary>The catalog's biomarkers present in the profile.</summary>
    public static IReadOnlySet<BiomarkerKind> BiomarkersOf(PatientProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var found = new HashSet<BiomarkerKind>();
        foreach (var variant in profile.Variants)
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

    /// <summary>The catalog rule for this therapy and patient: the best matching context, else the therapy's unselected rate.</summary>
    public EvidenceMatch Match(PatientProfile profile, string therapyId)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var therapy = Catalog.Therapy(therapyId);
        var cancerType = profile.PrimaryCancer?.CancerType ?? CancerType.Other;
        if (_model.BestContext(therapyId, cancerType, BiomarkersOf(profile)) is { } rate)
        {
            var context = Catalog.Context(rate.ContextId);
            return new EvidenceMatch(therapyId, rate.ContextId, context.Biomarker, rate.Orr, rate.EvidenceLevel, rate.Source);
        }

        return new EvidenceMatch(therapyId, null, BiomarkerKind.BiomarkerNegative, therapy.Unselected.Orr, "none (unselected population)", therapy.Unselected.Source);
    }

    /// <summary>EGFR p.L858R or an exon 19 in-frame deletion: the sensitizing variants of the catalog (and of the featurizer).</summary>
    public static bool IsEgfrSensitizing(string proteinChange)
    {
        ArgumentNullException.ThrowIfNull(proteinChange);
        return proteinChange.Contains("L858R", StringComparison.Ordinal) || IsExon19Deletion(proteinChange);
    }

    // Exon 19 in-frame deletions span codons 746–759 (e.g. p.E746_A750del).
    private static bool IsExon19Deletion(string change) =>
        change.Contains("del", StringComparison.Ordinal)
        && System.Text.RegularExpressions.Regex.Match(change, @"[A-Z](\d{3})") is { Success: true } m
        && int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) is >= 746 and <= 759;
}
