using Bunit;
using MudBlazor.Services;
using Precision.Clinical;
using Precision.Portal.Client.Pages.TumorBoard.Components;
using Precision.Portal.Client.Predictions;
using Precision.Portal.Client.TumorBoards;

namespace Precision.Portal.Client.Tests;

public sealed class TumorBoardComponentTests : BunitContext
{
    public TumorBoardComponentTests()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    [Fact]
    public void Explanation_bars_show_the_largest_factors_first_with_signed_points_and_sum_the_rest()
    {
        var factors = new[] { "Age", "EGFR L858R", "ECOG 1", "Albumin low" }.Select(n => new ExplanationFactor(n, [new SourceReference("Observation", "1")])).ToList();
        var therapy = new TherapyExplanation("osimertinib", "Osimertinib", 0.20, 0.55, [0.01, 0.30, -0.05, 0.09], null);

        var bars = Render<ContributionBars>(p => p.Add(c => c.Factors, factors).Add(c => c.Therapy, therapy).Add(c => c.MaxRows, 3));

        var rows = bars.FindAll("[data-testid=contribution-row]");
        Assert.Equal(["EGFR L858R", "Albumin low", "ECOG 1"], rows.Select(r => r.QuerySelector("th")!.TextContent));
        Assert.Equal(["+30.0", "+9.0", "−5.0"], rows.Select(r => r.QuerySelector(".num")!.TextContent));
        Assert.NotNull(rows[2].QuerySelector(".bar-negative"));
        Assert.Contains("1 other factors", bars.Find(".contribution-rest").TextContent, StringComparison.Ordinal);
        Assert.Contains("55%", bars.Find("figcaption").TextContent, StringComparison.Ordinal);
        Assert.Contains("baseline of 20%", bars.Find("figcaption").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void The_board_ranks_only_candidates_lists_received_therapies_with_their_history_and_names_the_rest_without_a_rate()
    {
        var predictions = new PatientPredictions("p1", new DateOnly(2026, 12, 7), new ModelIdentity("1.1.0", new string('a', 64), "CPU", "synthetic training data — research use only"),
            [
                new TherapyPrediction("sotorasib", "Sotorasib", "KRAS G12C inhibitor", 0.38, 0.38, 0.36, 0.44,
                    new TherapyEvidence("KRAS G12C, previously treated advanced NSCLC", true, 0.37, "level 1", "Skoulidis 2021"), TherapyGroup.Candidate, 1, [], null),
                new TherapyPrediction("carboplatin-pemetrexed-pembrolizumab", "Carboplatin + pemetrexed + pembrolizumab", "Chemo-immunotherapy", 0.56, 0.56, 0.53, 0.60,
                    new TherapyEvidence("Advanced non-squamous NSCLC", false, 0.48, "standard of care", "Gandhi 2018"), TherapyGroup.Received, null,
                    [new PriorTherapyUse(1, new DateOnly(2025, 3, 2), new DateOnly(2025, 6, 20), RecistResponse.ProgressiveDisease, false)], null),
                new TherapyPrediction("folfirinox", "FOLFIRINOX", "Chemotherapy", 0.27, 0.27, 0.24, 0.30,
                    new TherapyEvidence(null, false, null, "no catalog context for this patient", null), TherapyGroup.NoEvidence, null, [], "No evidence in non-small cell lung cancer."),
            ],
            "member range", new Applicability(ApplicabilityLevel.InDistribution, []), [], "basis", null, [], new Precision.Portal.Client.Audit.AuditReceipt(Guid.NewGuid(), 1, DateTimeOffset.UtcNow));

        var table = Render<CasePredictionsTable>(p => p.Add(c => c.Predictions, predictions));

        Assert.Equal(["sotorasib"], table.FindAll("[data-testid=board-prediction-row]").Select(r => r.GetAttribute("data-therapy")));
        var received = Assert.Single(table.FindAll("[data-testid=board-received-row]"));
        Assert.Contains("Line 1, 2025-03-02 – 2025-06-20, best response: progressive disease", received.TextContent, StringComparison.Ordinal);
        Assert.Contains("No estimate for a therapy the disease progressed on", table.Find("[data-testid=board-received-table] caption").TextContent, StringComparison.Ordinal);
        var rest = table.Find("[data-testid=board-no-evidence]").TextContent;
        Assert.Contains("FOLFIRINOX", rest, StringComparison.Ordinal);
        Assert.DoesNotContain("%", rest, StringComparison.Ordinal);
        Assert.Equal("Sotorasib", predictions.TopCandidate!.DisplayName);
    }

    [Fact]
    public void The_board_shows_the_calibration_cohort_and_one_calibration_line_under_each_row_with_a_number()
    {
        var predictions = BoardPredictionFixtures.Calibrated();

        var table = Render<CasePredictionsTable>(p => p.Add(c => c.Predictions, predictions).Add(c => c.CanSelect, true));

        Assert.Equal(BoardPredictionFixtures.SourceText, table.Find("[data-testid=board-calibration-source]").TextContent.Trim());
        Assert.Empty(table.FindAll("[data-testid=board-calibration-unavailable]"));
        var lines = table.FindAll("[data-testid=board-calibration-row]");
        Assert.Equal(["sotorasib", "docetaxel"], lines.Select(l => l.GetAttribute("data-therapy")));
        Assert.Equal(BoardPredictionFixtures.Own.Text, lines[0].QuerySelector("[data-testid=board-calibration]")!.TextContent.Trim());
        Assert.Equal("therapy", lines[0].QuerySelector("[data-testid=board-calibration]")!.GetAttribute("data-calibration-scope"));
        Assert.Equal(BoardPredictionFixtures.Pooled.Text, lines[1].QuerySelector("[data-testid=board-calibration]")!.TextContent.Trim());
        Assert.Equal("all-therapies", lines[1].QuerySelector("[data-testid=board-calibration]")!.GetAttribute("data-calibration-scope"));
        Assert.Equal("5", lines[0].QuerySelectorAll("td")[1].GetAttribute("colspan"));
        Assert.Equal("board-calibration-row", lines[0].GetAttribute("class"));

        // The line sits directly under its own row, in the candidates and the received table.
        Assert.Equal("sotorasib", lines[0].PreviousElementSibling!.GetAttribute("data-therapy"));
        Assert.Equal("board-prediction-row", lines[0].PreviousElementSibling!.GetAttribute("data-testid"));
        Assert.Equal("board-received-row", lines[1].PreviousElementSibling!.GetAttribute("data-testid"));

        // Progressed on it: "Not estimated", and no calibration although the contract carries one.
        var progressed = table.Find("[data-testid=board-received-row][data-therapy=carboplatin-pemetrexed-pembrolizumab]");
        Assert.Contains("Not estimated", progressed.TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain(BoardPredictionFixtures.ForProgressed.Text, table.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain("Calibration:", table.Find("[data-testid=board-no-evidence]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void A_prediction_without_calibration_renders_without_it_and_says_why_when_the_contract_says_so()
    {
        var unavailable = BoardPredictionFixtures.Uncalibrated(new CalibrationSource(false, BoardPredictionFixtures.UnavailableText));

        var table = Render<CasePredictionsTable>(p => p.Add(c => c.Predictions, unavailable));

        Assert.Equal(BoardPredictionFixtures.UnavailableText, table.Find("[data-testid=board-calibration-unavailable]").TextContent.Trim());
        Assert.Empty(table.FindAll("[data-testid=board-calibration-source]"));
        Assert.Empty(table.FindAll("[data-testid=board-calibration-row]"));
        Assert.Equal("38%", table.Find("[data-testid=board-prediction-row] strong").TextContent);

        // Predictions from a service that did not say (no source, no calibration): the table as before, no calibration text at all.
        var silent = Render<CasePredictionsTable>(p => p.Add(c => c.Predictions, BoardPredictionFixtures.Uncalibrated(null)));

        Assert.Empty(silent.FindAll("[data-testid=board-calibration-source]"));
        Assert.Empty(silent.FindAll("[data-testid=board-calibration-unavailable]"));
        Assert.DoesNotContain("Calibration", silent.Markup, StringComparison.Ordinal);
        Assert.Equal(["sotorasib"], silent.FindAll("[data-testid=board-prediction-row]").Select(r => r.GetAttribute("data-therapy")));
        Assert.Equal(2, silent.FindAll("[data-testid=board-received-row]").Count);
    }

    [Fact]
    public void A_recommendation_version_shows_what_was_signed_by_whom_and_its_hash()
    {
        var draft = new RecommendationDraft(RecommendationKind.ClinicalTrial, null, null, "NCT01234567 — basket trial", "Rare fusion.", EvidenceLevel.EscatIC,
            false, "The model has no trial option.", "", "1.1.0", "Docetaxel");
        var signedAt = new DateTimeOffset(2026, 12, 3, 17, 5, 0, TimeSpan.Zero);
        var version = new RecommendationVersion(Guid.NewGuid(), 2, draft, "board2", "Dr. Amira Haddad", signedAt.AddMinutes(-10), new string('a', 64), 1,
            new RecommendationSignOff("board", "Dr. Tomas Berg", "dev-board", signedAt, "Re-authenticated at the identity provider", signedAt.AddSeconds(-20)));

        var view = Render<RecommendationView>(p => p.Add(c => c.Version, version));

        Assert.Equal("Clinical trial: NCT01234567 — basket trial", view.Find("[data-testid=recommendation-summary]").TextContent);
        Assert.Contains("No — The model has no trial option.", view.Find("[data-testid=recommendation-agreement-text]").TextContent, StringComparison.Ordinal);
        Assert.Contains("model 1.1.0, top-ranked Docetaxel", view.Find("[data-testid=recommendation-agreement-text]").TextContent, StringComparison.Ordinal);
        Assert.Contains("Signed by Dr. Tomas Berg (board) on 2026-12-03 17:05 UTC", view.Find("[data-testid=recommendation-sign-off]").TextContent, StringComparison.Ordinal);
        Assert.Equal("SHA-256 " + new string('a', 64), view.Find("[data-testid=recommendation-hash]").TextContent);
        Assert.Contains("ESCAT I-C", view.Markup, StringComparison.Ordinal);
    }
}
