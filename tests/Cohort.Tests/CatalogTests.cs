using Precision.Clinical;
using Precision.Clinical.Catalog;

namespace Precision.Cohort.Tests;

public sealed class CatalogTests
{
    private static ResponseFacts Facts(CancerType type, params BiomarkerKind[] biomarkers) => new(
        type, LineNumber: 1, AgeYears: 60, Ecog: 0, SmokingStatusCategory.Former, biomarkers.ToHashSet(),
        AlbuminGPerDl: 4.0m, LdhUPerL: 200m, BilirubinMgPerDl: 0.6m, CreatinineMgPerDl: 0.9m,
        MetabolizerPhenotype.Normal, MetabolizerPhenotype.Normal, TcellInflamedHigh: false);

    [Fact]
    public void Catalog_file_loads_and_is_valid()
    {
        var catalog = TestSupport.Catalog;
        Assert.Empty(TherapyCatalogLoader.Validate(catalog));
        Assert.Equal("1.0.0", catalog.CatalogVersion);
        Assert.True(catalog.Therapies.Count >= 20);
        Assert.Contains(catalog.Therapies, t => t.Id == "osimertinib");
    }

    [Fact]
    public void Every_response_rate_has_a_literature_source_and_an_evidence_level()
    {
        foreach (var rate in TestSupport.Catalog.ResponseRates)
        {
            Assert.False(string.IsNullOrWhiteSpace(rate.Source.Citation), rate.TherapyId);
            Assert.False(rate.Source.IsModellingAssumption, $"{rate.TherapyId} in {rate.ContextId}: a published ORR needs a publication");
            Assert.False(string.IsNullOrWhiteSpace(rate.Source.Trial), $"{rate.TherapyId} in {rate.ContextId}: trial name missing");
            Assert.NotNull(rate.Source.Year);
            Assert.False(string.IsNullOrWhiteSpace(rate.EvidenceLevel));
            Assert.InRange(rate.Orr, 0.01, 0.99);
        }
    }

    [Fact]
    public void Every_unselected_rate_and_modifier_has_a_source_or_says_it_is_a_modelling_assumption()
    {
        var catalog = TestSupport.Catalog;
        Assert.All(catalog.Therapies, t => Assert.False(string.IsNullOrWhiteSpace(t.Unselected.Source.Citation)));
        Assert.All(catalog.Modifiers, m => Assert.False(string.IsNullOrWhiteSpace(m.Source.Citation)));
        Assert.All(catalog.Therapies.SelectMany(t => t.Medications), m => Assert.Matches("^[0-9]+$", m.RxNormCode));
    }

    [Fact]
    public void Literature_rates_are_kept_as_reported()
    {
        var catalog = TestSupport.Catalog;
        double Orr(string context, string therapy) => catalog.ResponseRates.Single(r => r.ContextId == context && r.TherapyId == therapy).Orr;
        Assert.Equal(0.80, Orr("nsclc-egfr", "osimertinib"));
        Assert.Equal(0.829, Orr("nsclc-alk", "alectinib"));
        Assert.Equal(0.371, Orr("nsclc-kras-g12c", "sotorasib"));
        Assert.Equal(0.448, Orr("nsclc-pdl1-high", "pembrolizumab"));
        Assert.Equal(0.438, Orr("crc-msi-high", "pembrolizumab"));
        Assert.Equal(0.476, Orr("nsclc-standard", "carboplatin-pemetrexed-pembrolizumab"));
    }

    [Fact]
    public void Response_model_uses_the_best_matching_context()
    {
        var model = new ResponseModel(TestSupport.Catalog);
        var egfr = model.Estimate("osimertinib", Facts(CancerType.NonSmallCellLungCancer, BiomarkerKind.EgfrSensitizing));
        Assert.Equal("nsclc-egfr", egfr.ContextId);
        Assert.Equal(0.80, egfr.Probability, 6);

        var wildType = model.Estimate("osimertinib", Facts(CancerType.NonSmallCellLungCancer));
        Assert.Null(wildType.ContextId);
        Assert.True(wildType.Probability < 0.1);

        // MSI-H and TMB-high both match pembrolizumab in colorectal cancer: the higher published rate wins.
        var both = model.Estimate("pembrolizumab", Facts(CancerType.ColorectalCancer, BiomarkerKind.MsiHigh, BiomarkerKind.TmbHigh));
        Assert.Equal("crc-msi-high", both.ContextId);
    }

    [Fact]
    public void Re_challenge_with_a_regimen_that_progressed_lowers_the_true_probability()
    {
        var model = new ResponseModel(TestSupport.Catalog);
        var secondLine = Facts(CancerType.NonSmallCellLungCancer) with { LineNumber = 2 };
        var fresh = model.Estimate("docetaxel", secondLine);
        var again = model.Estimate("docetaxel", secondLine with { ProgressedOn = new HashSet<string>(StringComparer.Ordinal) { "docetaxel" } });
        var other = model.Estimate("docetaxel", secondLine with { ProgressedOn = new HashSet<string>(StringComparer.Ordinal) { "carboplatin-pemetrexed-pembrolizumab" } });

        Assert.Contains(again.Modifiers, m => m.ModifierId == "progressed-on-same-regimen");
        Assert.Equal(fresh.LogOdds - 2.0, again.LogOdds, 9);
        Assert.Equal(fresh.Probability, other.Probability, 12);
        var modifier = TestSupport.Catalog.Modifiers.Single(m => m.Id == "progressed-on-same-regimen");
        Assert.Contains("Markman", modifier.Source.Note ?? string.Empty, StringComparison.Ordinal);
    }

    [Fact]
    public void A_context_that_excludes_its_own_biomarker_is_refused_by_name()
    {
        var context = TestSupport.Catalog.Contexts.First(c => c.Id == "nsclc-pdl1-high");
        var broken = TestSupport.Catalog with
        {
            Contexts = [.. TestSupport.Catalog.Contexts.Select(c => c.Id == context.Id ? c with { ExcludedBiomarkers = [BiomarkerKind.PdL1High] } : c)],
        };

        var problem = Assert.Single(TherapyCatalogLoader.Validate(broken));

        Assert.Contains("context 'nsclc-pdl1-high': excludedBiomarkers must list other biomarkers", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Modifiers_add_their_log_odds()
    {
        var model = new ResponseModel(TestSupport.Catalog);
        var baseline = Facts(CancerType.ColorectalCancer);
        var frail = baseline with { Ecog = 2, LineNumber = 3, Dpyd = MetabolizerPhenotype.Poor };
        var a = model.Estimate("folfox", baseline);
        var b = model.Estimate("folfox", frail);
        var expected = ResponseModel.Logit(b.BaseOrr) + b.Modifiers.Sum(m => m.LogOddsEffect);
        Assert.Equal(expected, b.LogOdds, 9);
        Assert.Contains(b.Modifiers, m => m.ModifierId == "ecog-2-plus");
        // Third line: the second-line crossover evidence (GERCOR), one line beyond its trial population.
        Assert.Equal(("crc-standard", "crc-pretreated"), (a.ContextId, b.ContextId));
        Assert.Contains(b.Modifiers, m => m.ModifierId == "second-line");
        Assert.Contains(b.Modifiers, m => m.ModifierId == "dpyd-poor");
        Assert.True(b.Probability < a.Probability);
    }

    [Fact]
    public void A_rate_measured_in_pretreated_patients_is_not_penalised_again_at_that_line()
    {
        var model = new ResponseModel(TestSupport.Catalog);
        var secondLine = Facts(CancerType.NonSmallCellLungCancer, BiomarkerKind.KrasG12C) with { LineNumber = 2 };
        var estimate = model.Estimate("sotorasib", secondLine);
        Assert.Equal(0.371, estimate.Probability, 6);
    }
}
