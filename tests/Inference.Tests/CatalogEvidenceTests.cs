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

        var match = _evidence.Match(profile, "osimertinib");

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

        var match = _evidence.Match(profile, "osimertinib");

        Assert.Null(match.ContextId);
        Assert.Equal(_evidence.Catalog.Therapy("osimertinib").Unselected.Orr, match.PublishedResponseRate);
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
