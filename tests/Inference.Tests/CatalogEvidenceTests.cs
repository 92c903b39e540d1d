using Precision.Clinical;
using Precision.Clinical.Catalog;
using Precision.Inference.Evidence;

namespace Precision.Inference.Tests;

public sealed class CatalogEvidenceTests
{
    private static readonly SourceReference Source = new("Observation", "o");
    private readonly CatalogEvidence _evidence = new(TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault(AppContext.BaseDirectory)));

    [Fact]
    public void An_egfr_l858r_nsclc_patient_matches_the_egfr_context_for_osimertinib_with_its_published_rate()
    {
        var profile = Profile(CancerType.NonSmallCellLungCancer, variants: [new GenomicVariant("EGFR", null, null, "p.L858R", 0.3m, GenomicSourceClass.Somatic, Source)]);

        var match = _evidence.Match(profile, "osimertinib", lineNumber: 1);

        Assert.Equal("nsclc-egfr", match.ContextId);
        Assert.Equal(BiomarkerKind.EgfrSensitizing, match.Biomarker);
        Assert.InRange(match.PublishedResponseRate, 0.5, 1.0);
        Assert.False(string.IsNullOrWhiteSpace(match.Source.Citation));
    }

    [Theory]
    [InlineData("p.E746_A750del", true)]
    [InlineData("p.L747_P753delinsS", true)]
    [InlineData("p.T790M", false)]
    [InlineData("p.D770_N771insSVD", false)]
    public void Egfr_sensitizing_means_l858r_or_an_exon_19_deletion(string change, bool sensitizing)
    {
        var profile = Profile(CancerType.NonSmallCellLungCancer, variants: [new GenomicVariant("EGFR", null, null, change, 0.3m, GenomicSourceClass.Somatic, Source)]);
        Assert.Equal(sensitizing, CatalogEvidence.BiomarkersOf(profile).Contains(BiomarkerKind.EgfrSensitizing));
    }

    [Fact]
    public void Without_a_matching_biomarker_the_rule_falls_back_to_the_unselected_rate()
    {
        var profile = Profile(CancerType.NonSmallCellLungCancer);

        var match = _evidence.Match(profile, "osimertinib", lineNumber: 1);

        Assert.Null(match.ContextId);
        Assert.Equal(_evidence.Catalog.Therapy("osimertinib").Unselected.Orr, match.PublishedResponseRate);
    }

    [Theory]
    [InlineData("EGFR", "p.L858R")]
    [InlineData("ALK", null)]
    public void Pd_l1_high_lung_cancer_with_egfr_or_alk_is_not_the_keynote_024_population(string gene, string? change)
    {
        var driver = Profile(CancerType.NonSmallCellLungCancer, variants: change is null ? [] : [new GenomicVariant(gene, null, null, change, 0.3m, GenomicSourceClass.Somatic, Source)]) with
        {
            PdL1 = new PdL1Expression(80, Source),
            Fusions = change is null ? [new GeneFusion("EML4", gene, Source)] : [],
        };
        var noDriver = Profile(CancerType.NonSmallCellLungCancer) with { PdL1 = new PdL1Expression(80, Source) };

        Assert.Equal("nsclc-pdl1-high", _evidence.Match(noDriver, "pembrolizumab", 1).ContextId);
        var excluded = _evidence.Match(driver, "pembrolizumab", 1);
        Assert.Null(excluded.ContextId);
        Assert.DoesNotContain("KEYNOTE", excluded.Source.Citation + excluded.Source.Trial, StringComparison.Ordinal);

        // Nor is it "NSCLC without EGFR/ALK" for chemo-immunotherapy (KEYNOTE-189).
        Assert.Equal("nsclc-standard", _evidence.Match(Profile(CancerType.NonSmallCellLungCancer), "carboplatin-pemetrexed-pembrolizumab", 1).ContextId);
        Assert.Null(_evidence.Match(driver, "carboplatin-pemetrexed-pembrolizumab", 1).ContextId);
    }

    [Fact]
    public void Second_line_folfiri_after_folfox_is_matched_to_second_line_evidence_not_the_first_line_rate()
    {
        var profile = Profile(CancerType.ColorectalCancer);

        var firstLine = _evidence.Match(profile, "folfiri", 1);
        var secondLine = _evidence.Match(profile, "folfiri", 2);

        Assert.Equal(("crc-standard", 0.56), (firstLine.ContextId, firstLine.PublishedResponseRate));
        Assert.Equal("crc-pretreated", secondLine.ContextId);
        Assert.InRange(secondLine.PublishedResponseRate, 0.03, 0.16);
        Assert.Contains("GERCOR", secondLine.Source.Trial ?? string.Empty, StringComparison.Ordinal);
    }

    [Fact]
    public void Evidence_from_previously_treated_patients_does_not_match_an_untreated_patient()
    {
        var kras = Profile(CancerType.NonSmallCellLungCancer, variants: [new GenomicVariant("KRAS", null, null, "p.G12C", 0.3m, GenomicSourceClass.Somatic, Source)]);

        Assert.Null(_evidence.Match(kras, "sotorasib", 1).ContextId);
        Assert.Equal("nsclc-kras-g12c", _evidence.Match(kras, "sotorasib", 2).ContextId);
    }

    [Fact]
    public void Every_context_states_its_lines_and_every_rate_its_source()
    {
        foreach (var context in _evidence.Catalog.Contexts)
        {
            Assert.DoesNotContain(context.Biomarker, context.ExcludedBiomarkers);
            Assert.True(_evidence.Catalog.ResponseRates.Any(r => r.ContextId == context.Id), $"context {context.Id} has no rate");
        }

        Assert.All(_evidence.Catalog.ResponseRates, r => Assert.False(string.IsNullOrWhiteSpace(r.Source.Citation)));
    }

    [Fact]
    public void Fusions_copy_number_msi_tmb_pdl1_and_er_are_recognised()
    {
        var profile = Profile(CancerType.BreastCancer) with
        {
            Fusions = [new GeneFusion("EML4", "ALK", Source), new GeneFusion("TPM3", "NTRK1", Source)],
            CopyNumberAlterations = [new CopyNumberAlteration("ERBB2", CopyNumberChange.Amplification, 9, Source)],
            Microsatellite = new MicrosatelliteInstability(MicrosatelliteStatus.InstabilityHigh, Source),
            TumorMutationalBurden = new TumorMutationalBurden(12, Source),
            PdL1 = new PdL1Expression(60, Source),
            EstrogenReceptor = new EstrogenReceptorStatus(true, Source),
        };

        var biomarkers = CatalogEvidence.BiomarkersOf(profile);

        Assert.Superset(new HashSet<BiomarkerKind>
        {
            BiomarkerKind.AlkFusion, BiomarkerKind.NtrkFusion, BiomarkerKind.Erbb2Amplification, BiomarkerKind.MsiHigh,
            BiomarkerKind.TmbHigh, BiomarkerKind.PdL1High, BiomarkerKind.HormoneReceptorPositive,
        }, (HashSet<BiomarkerKind>)biomarkers);
    }

    private static PatientProfile Profile(CancerType cancerType, IReadOnlyList<GenomicVariant>? variants = null) => new(
        "p",
        new PatientDemographics("T", null, null, AdministrativeSex.Unknown, null, null, new SourceReference("Patient", "p")),
        [new PrimaryCancerCondition(cancerType, new CodedConcept("s", "c"), null, null, null, new SourceReference("Condition", "c"))],
        null, null, null, [], [], variants ?? [], [], [], null, null, null, null, null, [], []);
}
