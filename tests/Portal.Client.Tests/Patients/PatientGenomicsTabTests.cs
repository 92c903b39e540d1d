using Bunit;
using Precision.Clinical;
using Precision.Portal.Client.Pages.Patients.Record;

namespace Precision.Portal.Client.Tests.Patients;

public sealed class PatientGenomicsTabTests : MudTestContext
{
    private static GenomicVariant Variant(string gene, string protein, ClinicalSignificance significance) =>
        new(gene, null, null, protein, 0.4m, GenomicSourceClass.Somatic, new SourceReference("Observation", gene.ToLowerInvariant())) { Significance = significance };

    [Fact]
    public void Each_variant_has_its_significance_and_a_vus_is_never_labelled_actionable()
    {
        var profile = TestProfiles.Build(variants:
        [
            Variant("BRCA2", "p.V2466A", ClinicalSignificance.UncertainSignificance),
            Variant("EGFR", "p.L858R", ClinicalSignificance.Pathogenic),
            Variant("TP53", "p.R175H", ClinicalSignificance.LikelyPathogenic),
            Variant("KRAS", "p.G12C", ClinicalSignificance.NotReported),
            Variant("ATM", "p.D1853N", ClinicalSignificance.Benign),
        ]);

        var cut = Render<PatientGenomicsTab>(p => p.Add(c => c.Profile, profile));

        var rows = cut.FindAll("[data-testid=variant-table] tbody tr");
        Assert.Equal(["EGFR", "TP53", "KRAS", "BRCA2", "ATM"], rows.Select(r => r.QuerySelector("td")!.TextContent.Trim()));
        var significance = cut.FindAll("[data-testid=variant-significance]").Select(s => (s.GetAttribute("data-significance"), s.TextContent.Trim())).ToList();
        Assert.Equal(
            [
                ("Pathogenic", "Pathogenic"),
                ("LikelyPathogenic", "Likely pathogenic"),
                ("NotReported", "Not reported"),
                ("UncertainSignificance", "VUS — not used for predictions"),
                ("Benign", "Benign — not used for predictions"),
            ],
            significance);
        Assert.Contains("mud-chip-color-error", rows[0].InnerHtml, StringComparison.Ordinal);
        var vusRow = rows[3];
        Assert.DoesNotContain("actionable", vusRow.TextContent, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("mud-chip-color-error", vusRow.InnerHtml, StringComparison.Ordinal);
        Assert.DoesNotContain("mud-chip-color-warning", vusRow.InnerHtml, StringComparison.Ordinal);
        Assert.Contains("not used for predictions and are not a basis for treatment", cut.Find("[data-testid=vus-note]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_vus_there_is_no_vus_note()
    {
        var cut = Render<PatientGenomicsTab>(p => p.Add(c => c.Profile, TestProfiles.Build(variants: [Variant("EGFR", "p.L858R", ClinicalSignificance.Pathogenic)])));

        Assert.Empty(cut.FindAll("[data-testid=vus-note]"));
    }

    [Fact]
    public void Negative_findings_are_listed_as_tested_not_detected_with_their_sources()
    {
        var profile = TestProfiles.Build() with
        {
            NegativeFindings =
            [
                new NegativeGenomicFinding("ALK", "rearrangement", new SourceReference("Observation", "alk-neg")),
                new NegativeGenomicFinding("EGFR", null, new SourceReference("Observation", "egfr-neg")),
            ],
        };

        var cut = Render<PatientGenomicsTab>(p => p.Add(c => c.Profile, profile));

        Assert.Contains("Tested, not detected", cut.Markup, StringComparison.Ordinal);
        var findings = cut.FindAll("[data-testid=negative-finding]");
        Assert.Equal(2, findings.Count);
        Assert.Contains("ALK rearrangement not detected", findings[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("Observation/alk-neg", findings[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("EGFR not detected", findings[1].TextContent, StringComparison.Ordinal);
        // A negative result is not a variant.
        Assert.DoesNotContain("ALK", cut.Find("[data-testid=variant-table]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_negative_findings_the_section_says_so()
    {
        var cut = Render<PatientGenomicsTab>(p => p.Add(c => c.Profile, TestProfiles.Build()));

        Assert.NotNull(cut.Find("[data-testid=negative-findings-none]"));
    }

    [Fact]
    public void A_fusion_is_named_once_as_a_fusion()
    {
        var profile = TestProfiles.Build() with { Fusions = [new GeneFusion("EML4", "ALK", new SourceReference("Observation", "alk-fusion"))] };

        var cut = Render<PatientGenomicsTab>(p => p.Add(c => c.Profile, profile));

        Assert.Equal("EML4::ALK fusion Observation/alk-fusion", string.Join(' ', cut.Find("[data-testid=fusion]").TextContent.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public void A_copy_number_gain_says_it_is_below_the_amplification_threshold_and_not_counted_as_amplification()
    {
        var profile = TestProfiles.Build(copyNumbers:
        [
            new CopyNumberAlteration("ERBB2", CopyNumberChange.Gain, 4m, new SourceReference("Observation", "erbb2-gain")),
            new CopyNumberAlteration("MET", CopyNumberChange.Amplification, 12m, new SourceReference("Observation", "met-amp")),
            new CopyNumberAlteration("CDKN2A", CopyNumberChange.Loss, null, new SourceReference("Observation", "cdkn2a-loss")),
            new CopyNumberAlteration("MYC", CopyNumberChange.Gain, null, new SourceReference("Observation", "myc-gain")),
        ]);

        var cut = Render<PatientGenomicsTab>(p => p.Add(c => c.Profile, profile));

        var cnvs = cut.FindAll("[data-testid=copy-number]").Select(e => e.TextContent).ToList();
        Assert.Contains("ERBB2 copy number gain (4 copies) — below the amplification threshold of 6 copies; not counted as amplification", cnvs[0], StringComparison.Ordinal);
        Assert.DoesNotContain("ERBB2 amplification", cnvs[0], StringComparison.Ordinal);
        Assert.Contains("MET amplification (12 copies)", cnvs[1], StringComparison.Ordinal);
        Assert.Contains("CDKN2A loss", cnvs[2], StringComparison.Ordinal);
        Assert.Contains("MYC copy number gain — copy number not reported; not counted as amplification", cnvs[3], StringComparison.Ordinal);
    }
}
