using Precision.Clinical;
using Precision.Inference.Features;
using Precision.Inference.Ranking;
using Precision.Inference.Runtime;
using Precision.Inference.Tests.Runtime;

namespace Precision.Inference.Tests.Ranking;

/// <summary>
/// The grouping rule on hand-set probabilities with the real catalog's evidence: the review's KRAS G12C NSCLC patient who
/// progressed on carboplatin + pemetrexed + pembrolizumab, and therapies of other cancers.
/// </summary>
public sealed class TherapyRankingTests
{
    private static readonly SourceReference Src = new("Observation", "o1");
    private static readonly DateOnly AsOf = new(2025, 9, 1);

    [Fact]
    public void A_received_therapy_the_disease_progressed_on_is_never_a_candidate_even_with_the_highest_probability()
    {
        var profile = KrasG12CNsclcAfterFirstLine(RecistResponse.ProgressiveDisease);

        var ranking = TherapyRanking.Of(Prediction(profile, new() { ["carboplatin-pemetrexed-pembrolizumab"] = 0.56, ["sotorasib"] = 0.41, ["docetaxel"] = 0.18 }), profile, TestModels.Catalog);

        Assert.Equal("sotorasib", ranking.TopCandidate!.TherapyId);
        Assert.Equal(1, ranking.TopCandidate.Rank);
        Assert.DoesNotContain(ranking.Candidates, c => c.TherapyId == "carboplatin-pemetrexed-pembrolizumab");
        var received = Assert.Single(ranking.Received);
        Assert.Equal("carboplatin-pemetrexed-pembrolizumab", received.TherapyId);
        Assert.Equal(TherapyGroup.Received, received.Group);
        Assert.Null(received.Rank);
        Assert.Equal(0.56, received.Prediction.Probability);
        var use = Assert.Single(received.PriorUses);
        Assert.Equal(new PriorTherapyUse(1, new DateOnly(2025, 3, 2), new DateOnly(2025, 6, 20), RecistResponse.ProgressiveDisease, false), use);
    }

    [Theory]
    [InlineData(RecistResponse.ProgressiveDisease, true)]
    [InlineData(RecistResponse.PartialResponse, false)]
    public void A_candidate_sharing_an_agent_the_disease_progressed_on_is_ranked_after_fresh_options_with_the_reason(RecistResponse firstLineResponse, bool progressed)
    {
        // TMB-high KRAS G12C NSCLC after chemo-immunotherapy: pembrolizumab alone has catalog evidence (KEYNOTE-158, pretreated).
        var profile = KrasG12CNsclcAfterFirstLine(firstLineResponse) with { TumorMutationalBurden = new TumorMutationalBurden(14, Src) };
        var probabilities = new Dictionary<string, double> { ["pembrolizumab"] = 0.50, ["sotorasib"] = 0.41, ["docetaxel"] = 0.18 };

        var ranking = TherapyRanking.Of(Prediction(profile, probabilities), profile, TestModels.Catalog);

        var pembrolizumab = Assert.Single(ranking.Candidates, c => c.TherapyId == "pembrolizumab");
        if (progressed)
        {
            Assert.Equal("sotorasib", ranking.TopCandidate!.TherapyId);
            Assert.Equal(ranking.Candidates.Count, pembrolizumab.Rank);
            Assert.Contains("pembrolizumab — the disease progressed on it in line 1 (Carboplatin + pemetrexed + pembrolizumab)", pembrolizumab.ProgressedAgentsText, StringComparison.Ordinal);
            Assert.All(ranking.Candidates.Where(c => c.TherapyId != "pembrolizumab"), c => Assert.Null(c.ProgressedAgentsText));
        }
        else
        {
            Assert.Equal("pembrolizumab", ranking.TopCandidate!.TherapyId);
            Assert.Null(pembrolizumab.ProgressedAgentsText);
        }
    }

    [Fact]
    public void A_received_therapy_appears_only_in_the_received_group_and_every_therapy_appears_once()
    {
        var profile = KrasG12CNsclcAfterFirstLine(RecistResponse.PartialResponse);

        var ranking = TherapyRanking.Of(Prediction(profile, []), profile, TestModels.Catalog);

        Assert.Equal(TestModels.Catalog.Therapies.Select(t => t.Id).Order(), ranking.All.Select(r => r.TherapyId).Order());
        Assert.Equal(["carboplatin-pemetrexed-pembrolizumab"], ranking.Received.Select(r => r.TherapyId));
        Assert.DoesNotContain(ranking.NoEvidence, r => r.TherapyId == "carboplatin-pemetrexed-pembrolizumab");
        Assert.Equal(Enumerable.Range(1, ranking.Candidates.Count), ranking.Candidates.Select(c => c.Rank!.Value));
        Assert.Equal(ranking.Candidates.OrderByDescending(c => c.Prediction.Probability).Select(c => c.TherapyId), ranking.Candidates.Select(c => c.TherapyId));
    }

    [Fact]
    public void A_received_therapy_without_catalog_evidence_is_still_shown_as_received()
    {
        var profile = KrasG12CNsclcAfterFirstLine(RecistResponse.StableDisease, "folfirinox");

        var ranking = TherapyRanking.Of(Prediction(profile, []), profile, TestModels.Catalog);

        Assert.Equal(["folfirinox"], ranking.Received.Select(r => r.TherapyId));
        Assert.DoesNotContain(ranking.NoEvidence, r => r.TherapyId == "folfirinox");
    }

    [Theory]
    [InlineData("folfirinox")]
    [InlineData("trastuzumab-pertuzumab-docetaxel")]
    public void A_therapy_of_another_cancer_is_not_ranked_and_says_there_is_no_evidence_in_this_cancer_type(string therapyId)
    {
        var profile = KrasG12CNsclcAfterFirstLine(RecistResponse.ProgressiveDisease);

        var ranking = TherapyRanking.Of(Prediction(profile, new() { [therapyId] = 0.60 }), profile, TestModels.Catalog);

        Assert.DoesNotContain(ranking.Candidates, c => c.TherapyId == therapyId);
        var entry = Assert.Single(ranking.NoEvidence, r => r.TherapyId == therapyId);
        Assert.Equal(TherapyGroup.NoEvidence, entry.Group);
        Assert.Equal(NoEvidenceReason.NotInCancerType, entry.NoEvidence);
        Assert.Null(entry.Prediction.Evidence.ContextId);
        Assert.StartsWith("No evidence in non-small cell lung cancer", entry.NoEvidenceText, StringComparison.Ordinal);
        Assert.Null(entry.Rank);
    }

    [Fact]
    public void Every_candidate_has_a_matching_catalog_context_and_every_unmatched_therapy_has_a_reason()
    {
        var profile = KrasG12CNsclcAfterFirstLine(RecistResponse.ProgressiveDisease);

        var ranking = TherapyRanking.Of(Prediction(profile, []), profile, TestModels.Catalog);

        Assert.NotEmpty(ranking.Candidates);
        Assert.All(ranking.Candidates, c => Assert.NotNull(c.Prediction.Evidence.ContextId));
        Assert.All(ranking.NoEvidence, r =>
        {
            Assert.Null(r.Prediction.Evidence.ContextId);
            Assert.False(string.IsNullOrWhiteSpace(r.NoEvidenceText));
        });
        // Osimertinib has NSCLC contexts, but none for a KRAS G12C patient: the reason says so rather than "another cancer".
        var osimertinib = Assert.Single(ranking.NoEvidence, r => r.TherapyId == "osimertinib");
        Assert.Equal(NoEvidenceReason.NoMatchingContext, osimertinib.NoEvidence);
        Assert.StartsWith("No catalog context for this patient's cancer type, biomarkers and line of therapy — in non-small cell lung cancer the catalog lists it for:", osimertinib.NoEvidenceText, StringComparison.Ordinal);
    }

    [Fact]
    public void A_line_started_after_the_prediction_date_is_not_yet_received()
    {
        var profile = KrasG12CNsclcAfterFirstLine(RecistResponse.ProgressiveDisease);

        var ranking = TherapyRanking.Of(Prediction(profile, [], new DateOnly(2025, 1, 1)), profile, TestModels.Catalog);

        Assert.Empty(ranking.Received);
    }

    [Fact]
    public void A_curative_intent_course_counts_as_received_without_a_line_number()
    {
        var profile = KrasG12CNsclcAfterFirstLine(RecistResponse.ProgressiveDisease) with { TherapyLines = [] };
        profile = profile with { CurativeIntentTherapies = [Line(0, "carboplatin-pemetrexed", null, new DateOnly(2024, 2, 1))] };

        var ranking = TherapyRanking.Of(Prediction(profile, []), profile, TestModels.Catalog);

        var received = Assert.Single(ranking.Received);
        Assert.True(Assert.Single(received.PriorUses).CurativeIntent);
    }

    private static PatientProfile KrasG12CNsclcAfterFirstLine(RecistResponse response, string firstLine = "carboplatin-pemetrexed-pembrolizumab") => new(
        "kras-1",
        new PatientDemographics("Test Patient", "MRN-1", new DateOnly(1958, 4, 1), AdministrativeSex.Male, null, null, new SourceReference("Patient", "kras-1")),
        [new PrimaryCancerCondition(CancerType.NonSmallCellLungCancer, new CodedConcept("http://snomed.info/sct", "254637007"), "C34.90", new DateOnly(2025, 1, 10), null, new SourceReference("Condition", "c1"))],
        new StageGroup("IV", false, new DateOnly(2025, 1, 10), Src),
        new EcogPerformanceStatus(1, new DateOnly(2025, 1, 10), Src),
        null,
        [],
        [Line(1, firstLine, response, new DateOnly(2025, 3, 2), new DateOnly(2025, 6, 20))],
        [new GenomicVariant("KRAS", "HGNC:6407", "c.34G>T", "p.G12C", 0.25m, GenomicSourceClass.Somatic, Src)],
        [],
        [],
        null,
        null,
        null,
        null,
        null,
        [],
        []);

    private static TherapyLine Line(int number, string therapyId, RecistResponse? response, DateOnly started, DateOnly? ended = null) =>
        new(number, therapyId, [new TherapyMedication(therapyId, new CodedConcept("http://www.nlm.nih.gov/research/umls/rxnorm", "1"), new SourceReference("MedicationStatement", "m" + number))],
            started, ended, response, ended, response is null ? null : new SourceReference("Observation", "r" + number));

    /// <summary>Every catalog therapy with the real catalog evidence for the profile; probabilities as given, else 0.10.</summary>
    private static EfficacyPrediction Prediction(PatientProfile profile, Dictionary<string, double> probabilities, DateOnly? asOf = null)
    {
        var priorLines = profile.TherapyLines.Count(l => l.StartedOn <= (asOf ?? AsOf));
        var therapies = TestModels.Catalog.Therapies.Select(t =>
        {
            var p = probabilities.GetValueOrDefault(t.Id, 0.10);
            return new TherapyPrediction(t.Id, t.DisplayName, p, p, p - 0.05, p + 0.05, [p], TestModels.Evidence.Match(profile, t.Id, priorLines + 1));
        }).ToList();
        return new EfficacyPrediction(profile.PatientId, asOf ?? AsOf, priorLines, therapies, "test", new ApplicabilityAssessment(ApplicabilityLevel.InDistribution, [], null, null),
            [], new PatientFeatures([], []), new ModelProvenance("test", new string('0', 64), "schema", "CPU", false));
    }
}
