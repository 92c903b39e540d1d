using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Precision.Clinical;
using Precision.Clinical.Catalog;
using Precision.Clinical.WhatIf;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.Pages.Patients.Record.Predictions;
using Precision.Portal.Client.Predictions;

namespace Precision.Portal.Client.Tests;

/// <summary>
/// The predictions tab and its parts, rendered with a scripted prediction service (the real service, model and audit
/// store are exercised by the server and browser tests).
/// </summary>
public sealed class PredictionsTabTests : BunitContext, IAsyncLifetime
{
    private static readonly SourceReference Src = new("Observation", "egfr-1");
    private readonly ScriptedPredictions _predictions = new();

    public PredictionsTabTests()
    {
        Services.AddMudServices();
        Services.AddSingleton<IPatientPredictions>(_predictions);
        Services.AddSingleton<IAuditReader>(new NoAuditEvents());
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    [Fact]
    public void Candidates_are_ranked_with_interval_evidence_model_version_and_the_research_use_notice()
    {
        var cut = Render<PredictionsTab>(p => p.Add(c => c.Profile, Profile()));

        cut.WaitForElement("[data-testid=prediction-table]");
        var rows = cut.FindAll("[data-testid=prediction-row]");
        Assert.Equal(["osimertinib", "carboplatin-pemetrexed"], rows.Select(r => r.GetAttribute("data-therapy")));
        Assert.Contains("72%", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("(61%–80%)", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("EGFR-mutant NSCLC: published 80%", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Equal(["1", "2"], rows.Select(r => r.QuerySelector("td")!.TextContent.Trim()));
        Assert.Contains("Model 1.1.0", cut.Find("[data-testid=prediction-model]").TextContent, StringComparison.Ordinal);
        Assert.Contains("Synthetic data — research use only", cut.Markup, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=applicability-warning]"));
    }

    [Fact]
    public void A_therapy_already_received_is_shown_apart_with_its_line_dates_and_best_response_and_no_number_when_it_failed()
    {
        var cut = Render<PredictionsTab>(p => p.Add(c => c.Profile, Profile()));

        cut.WaitForElement("[data-testid=prediction-table]");
        Assert.DoesNotContain(cut.FindAll("[data-testid=prediction-row]"), r => r.GetAttribute("data-therapy") == "carboplatin-pemetrexed-pembrolizumab");
        var received = Assert.Single(cut.FindAll("[data-testid=received-row]"));
        Assert.Equal("carboplatin-pemetrexed-pembrolizumab", received.GetAttribute("data-therapy"));
        Assert.Equal("Line 1, 2025-03-02 – 2025-06-20, best response: progressive disease", received.QuerySelector("[data-testid=received-history]")!.TextContent.Trim());
        // The model cannot know the regimen was given: no number for a regimen the disease progressed on.
        Assert.DoesNotContain("56%", received.TextContent, StringComparison.Ordinal);
        Assert.Equal("Not estimated", received.QuerySelector("[data-testid=rechallenge-not-estimated]")!.TextContent.Trim());
        Assert.Equal(TherapyPrediction.NotEstimatedText, received.QuerySelector("[data-testid=rechallenge-label]")!.TextContent.Trim());
        Assert.Contains("this model does not read which therapies were given", cut.Find("[data-testid=received-caption]").TextContent, StringComparison.Ordinal);
        Assert.Contains("Already received", cut.Find("[data-testid=received-therapies]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_that_reads_progression_shows_the_re_challenge_estimate_with_what_it_means()
    {
        _predictions.ReadsProgression = true;
        var cut = Render<PredictionsTab>(p => p.Add(c => c.Profile, Profile()));

        cut.WaitForElement("[data-testid=prediction-table]");
        var received = Assert.Single(cut.FindAll("[data-testid=received-row]"));
        Assert.Empty(received.QuerySelectorAll("[data-testid=rechallenge-not-estimated]"));
        Assert.Equal("7%", received.QuerySelector("[data-testid=prediction-probability]")!.TextContent.Trim());
        Assert.Equal(TherapyPrediction.RechallengeEstimateNote, received.QuerySelector("[data-testid=rechallenge-label]")!.TextContent.Trim());
        Assert.Contains("gets a re-challenge estimate", cut.Find("[data-testid=received-caption]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void A_candidate_sharing_an_agent_the_disease_progressed_on_says_so_in_its_row()
    {
        var cut = Render<PredictionsTab>(p => p.Add(c => c.Profile, Profile()));

        cut.WaitForElement("[data-testid=prediction-table]");
        var row = cut.Find("[data-testid=prediction-row][data-therapy=carboplatin-pemetrexed]");
        Assert.Contains("Ranked after fresh options: Contains carboplatin — the disease progressed on it in line 1", row.QuerySelector("[data-testid=progressed-agents]")!.TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.Find("[data-testid=prediction-row][data-therapy=osimertinib]").QuerySelectorAll("[data-testid=progressed-agents]"));
    }

    [Fact]
    public void Therapies_without_catalog_evidence_are_collapsed_apart_with_the_reason_and_no_published_rate()
    {
        var cut = Render<PredictionsTab>(p => p.Add(c => c.Profile, Profile()));

        cut.WaitForElement("[data-testid=prediction-table]");
        Assert.DoesNotContain(cut.FindAll("[data-testid=prediction-row]"), r => r.GetAttribute("data-therapy") == "folfirinox");
        var panel = cut.FindComponent<MudBlazor.MudExpansionPanel>(); // the first panel of the tab is the no-evidence group
        Assert.False(panel.Instance.Expanded);
        Assert.Contains("Not ranked: 1 therapy with no catalog evidence for this patient", cut.Find("[data-testid=no-evidence-title]").TextContent, StringComparison.Ordinal);

        panel.Find(".mud-expand-panel-header").Click();

        var row = cut.WaitForElement("[data-testid=no-evidence-row]");
        Assert.Equal("folfirinox", row.GetAttribute("data-therapy"));
        Assert.StartsWith("No evidence in non-small cell lung cancer", row.QuerySelector("[data-testid=no-evidence-reason]")!.TextContent.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("published", row.TextContent, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Each_probability_shows_the_observed_response_rate_of_its_calibration_bin_in_words_and_says_where_it_comes_from()
    {
        _predictions.Calibrated = true;

        var cut = Render<PredictionsTab>(p => p.Add(c => c.Profile, Profile()));

        cut.WaitForElement("[data-testid=prediction-table]");
        Assert.Contains("among 3,052 held-out predictions on an external synthetic cohort", cut.Find("[data-testid=calibration-source]").TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=calibration-unavailable]"));
        var rows = cut.FindAll("[data-testid=prediction-row]");
        var own = rows[0].QuerySelector("[data-testid=prediction-calibration]")!;
        Assert.Equal("Calibration: of 412 held-out predictions for this therapy between 70% and 80%, 74% responded.", own.TextContent.Trim());
        Assert.Equal("therapy", own.GetAttribute("data-calibration-scope"));
        var fallback = rows[1].QuerySelector("[data-testid=prediction-calibration]")!;
        Assert.Equal("Calibration: of 1,204 held-out predictions of all therapies between 20% and 30%, 26% responded (this therapy has only 12 in this range, fewer than 30).", fallback.TextContent.Trim());
        Assert.Equal("all-therapies", fallback.GetAttribute("data-calibration-scope"));
        // A regimen the disease progressed on shows no number, so no calibration either.
        Assert.Null(cut.Find("[data-testid=received-row]").QuerySelector("[data-testid=prediction-calibration]"));
        // The selected therapy's reliability curve, with a table that marks this patient's range (not by colour only).
        var curve = cut.Find("[data-testid=reliability-curve]");
        Assert.Contains("Calibration of Osimertinib on held-out patients", curve.TextContent, StringComparison.Ordinal);
        var table = cut.FindAll("[data-testid=reliability-row]");
        Assert.Equal(10, table.Count);
        Assert.Contains("70%–80% (this patient)", table[7].TextContent, StringComparison.Ordinal);
        Assert.Contains("—", table[9].TextContent, StringComparison.Ordinal);
        Assert.Equal(9, curve.QuerySelectorAll("circle").Length);
        Assert.Single(curve.QuerySelectorAll("circle[fill=none]"));
    }

    [Fact]
    public void A_model_without_an_evaluation_on_file_says_so_once_above_the_table_and_no_row_shows_a_calibration()
    {
        var cut = Render<PredictionsTab>(p => p.Add(c => c.Profile, Profile()));

        cut.WaitForElement("[data-testid=prediction-table]");
        Assert.Equal("Model 1.1.0 has no evaluation on file (precision-train evaluate), so calibration at the point of care cannot be shown.",
            cut.Find("[data-testid=calibration-unavailable]").TextContent.Trim());
        Assert.Empty(cut.FindAll("[data-testid=prediction-calibration]"));
        Assert.Empty(cut.FindAll("[data-testid=calibration-source]"));
    }

    [Fact]
    public void Similar_patients_say_how_they_are_chosen_and_when_fewer_share_the_cancer_type_and_drivers()
    {
        var cut = Render<PredictionsTab>(p => p.Add(c => c.Profile, Profile()));

        cut.WaitForElement("[data-testid=similar-patients]");
        Assert.Contains("same cancer type and the same driver biomarkers", cut.Find("[data-testid=similarity-basis]").TextContent, StringComparison.Ordinal);
        Assert.Contains("Only 1 training patient shares non-small cell lung cancer with EGFR sensitizing", cut.Find("[data-testid=similarity-shortfall]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void An_out_of_distribution_patient_gets_a_warning_with_the_reasons_in_words()
    {
        _predictions.Applicability = new Applicability(ApplicabilityLevel.OutOfDistribution, ["Creatinine 80 mg/dL is far above anything in training (max 4.1)."]);

        var cut = Render<PredictionsTab>(p => p.Add(c => c.Profile, Profile()));

        var warning = cut.WaitForElement("[data-testid=applicability-warning]");
        Assert.Contains("outside what the model learned from", warning.TextContent, StringComparison.Ordinal);
        Assert.Contains("Creatinine 80 mg/dL", warning.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void The_explanation_names_the_top_factors_in_clinical_words_with_their_sources()
    {
        var cut = Render<PredictionsTab>(p => p.Add(c => c.Profile, Profile()));

        var summary = cut.WaitForElement("[data-testid=explanation-summary]");
        Assert.Contains("EGFR p.L858R raises the estimated response to Osimertinib by 34 points.", summary.TextContent, StringComparison.Ordinal);
        Assert.Contains("ECOG 2 lowers the estimated response to Osimertinib by 6 points.", summary.TextContent, StringComparison.Ordinal);
        var factors = cut.Find("[data-testid=explanation-factors]");
        Assert.Contains("Observation/egfr-1", factors.TextContent, StringComparison.Ordinal);
        Assert.Contains("exact over 2^3 coalitions", cut.Find("[data-testid=explanation-method]").TextContent, StringComparison.Ordinal);

        Assert.Equal(["osimertinib"], _predictions.Explained.Single());

        cut.FindAll("[data-testid=explain-button]")[1].Click();

        cut.WaitForAssertion(() => Assert.Contains("Carboplatin + pemetrexed", cut.Find("[data-testid=explanation-title]").TextContent, StringComparison.Ordinal));
        Assert.Equal(["carboplatin-pemetrexed"], _predictions.Explained[^1]);

        // Back to a therapy already explained: no new computation.
        cut.FindAll("[data-testid=explain-button]")[0].Click();
        cut.WaitForAssertion(() => Assert.Contains("Osimertinib", cut.Find("[data-testid=explanation-title]").TextContent, StringComparison.Ordinal));
        Assert.Equal(2, _predictions.Explained.Count);
    }

    [Fact]
    public void An_implausible_what_if_value_is_refused_with_a_message_and_nothing_is_computed()
    {
        var cut = Render<PredictionsTab>(p => p.Add(c => c.Profile, Profile()));
        cut.WaitForElement("[data-testid=prediction-table]");
        var callsBefore = _predictions.Scenarios.Count;

        cut.Find("input[data-testid=what-if-lab-Albumin], [data-testid=what-if-lab-Albumin] input").Change("45");
        cut.Find("[data-testid=what-if-apply]").Click();

        var errors = cut.WaitForElement("[data-testid=what-if-errors]");
        Assert.Contains("Albumin 45 g/dL is outside the plausible range 1–7 g/dL", errors.TextContent, StringComparison.Ordinal);
        Assert.Equal(callsBefore, _predictions.Scenarios.Count);
    }

    [Fact]
    public void A_what_if_shows_its_changes_and_the_change_against_the_record()
    {
        var cut = Render<PredictionsTab>(p => p.Add(c => c.Profile, Profile()));
        cut.WaitForElement("[data-testid=prediction-table]");

        cut.Find("input[data-testid=what-if-lab-Albumin], [data-testid=what-if-lab-Albumin] input").Change("2.5");
        cut.Find("[data-testid=what-if-apply]").Click();

        cut.WaitForElement("[data-testid=what-if-banner]");
        var scenario = _predictions.Scenarios[^1]!;
        Assert.Equal(2.5m, scenario.Labs[LabAnalyte.Albumin]);
        Assert.Contains("Albumin 3.9 → 2.5 g/dL", cut.Find("[data-testid=what-if-banner]").TextContent, StringComparison.Ordinal);
        Assert.Equal("−10", cut.FindAll("[data-testid=prediction-delta]")[0].TextContent.Trim());
    }

    [Fact]
    public async Task Disagreeing_needs_a_reason_and_then_the_feedback_is_recorded_against_the_prediction_on_screen()
    {
        var cut = Render<PredictionsTab>(p => p.Add(c => c.Profile, Profile()));
        cut.WaitForElement("[data-testid=prediction-table]");
        cut.FindAll("[data-testid=feedback-button]")[0].Click();
        await cut.InvokeAsync(() => cut.FindComponent<MudBlazor.MudRadioGroup<bool?>>().Instance.ValueChanged.InvokeAsync(false));

        cut.Find("[data-testid=feedback-submit]").Click();
        Assert.Contains("Choose a reason", cut.WaitForElement("[data-testid=feedback-error]").TextContent, StringComparison.Ordinal);
        Assert.Empty(_predictions.Feedback);

        cut.Find("textarea[data-testid=feedback-comment], [data-testid=feedback-comment] textarea").Change("Recent progression on osimertinib.");
        await cut.InvokeAsync(() => cut.FindComponent<MudBlazor.MudSelect<FeedbackReason?>>().Instance.ValueChanged.InvokeAsync(FeedbackReason.PatientFactorsNotCaptured));
        cut.Find("[data-testid=feedback-submit]").Click();

        cut.WaitForElement("[data-testid=feedback-recorded]");
        var feedback = Assert.Single(_predictions.Feedback);
        Assert.False(feedback.Agrees);
        Assert.Equal(FeedbackReason.PatientFactorsNotCaptured, feedback.Reason);
        Assert.Equal(ScriptedPredictions.PredictionEventId, feedback.PredictionAuditId);
        Assert.Equal("Recent progression on osimertinib.", feedback.Comment);
    }

    [Fact]
    public void When_the_prediction_cannot_be_recorded_nothing_is_shown()
    {
        _predictions.AuditFailure = "The audit trail could not be written: disk full.";

        var cut = Render<PredictionsTab>(p => p.Add(c => c.Profile, Profile()));

        cut.WaitForElement("[data-testid=prediction-audit-failure]");
        Assert.Empty(cut.FindAll("[data-testid=prediction-table]"));
        Assert.Contains("disk full", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void A_what_if_applied_to_a_copy_changes_only_the_copy()
    {
        var profile = Profile();
        var scenario = new WhatIfScenario
        {
            Biomarkers = new Dictionary<BiomarkerKind, bool> { [BiomarkerKind.EgfrSensitizing] = false, [BiomarkerKind.AlkFusion] = true },
            Ecog = 3,
            Labs = new Dictionary<LabAnalyte, decimal> { [LabAnalyte.Albumin] = 2.4m },
        };

        var copy = scenario.ApplyTo(profile, new DateOnly(2026, 11, 29));

        Assert.Empty(copy.Variants);
        Assert.Equal(["ALK"], copy.Fusions.Select(f => f.ThreePrimeGene));
        Assert.Equal(3, copy.Ecog!.Score);
        Assert.Equal(2.4m, copy.LatestLabs.Single(l => l.Analyte == LabAnalyte.Albumin).Value);
        Assert.Equal(WhatIfScenario.Source, copy.Ecog.Source);
        Assert.Single(profile.Variants);
        Assert.Equal(1, profile.Ecog!.Score);
        Assert.Equal(3.9m, profile.LatestLabs.Single(l => l.Analyte == LabAnalyte.Albumin).Value);
        Assert.Contains("ECOG 1 → 3", scenario.Describe(profile));
    }

    [Theory]
    [InlineData(5, null, "ECOG must be 0–4")]
    [InlineData(null, 0, "Stage must be I–IV")]
    public void Out_of_range_what_if_values_are_named(int? ecog, int? stage, string message)
    {
        var problems = new WhatIfScenario { Ecog = ecog, Stage = stage }.Validate();

        Assert.Contains(problems, p => p.Contains(message, StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(() => new WhatIfScenario { Ecog = ecog, Stage = stage }.ApplyTo(Profile(), new DateOnly(2026, 11, 29)));
    }

    private static PatientProfile Profile()
    {
        var source = new SourceReference("Patient", "p1");
        var albumin = LabAnalytes.Of(LabAnalyte.Albumin);
        return new PatientProfile(
            "p1",
            new PatientDemographics("Test Patient", "MRN-1", new DateOnly(1960, 5, 1), AdministrativeSex.Female, null, null, source),
            [new PrimaryCancerCondition(CancerType.NonSmallCellLungCancer, new CodedConcept("http://snomed.info/sct", "254637007", "Non-small cell lung cancer (disorder)"), "C34.90",
                new DateOnly(2024, 6, 1), null, new SourceReference("Condition", "nsclc"))],
            new StageGroup("IV", false, new DateOnly(2025, 1, 1), new SourceReference("Observation", "stage")),
            new EcogPerformanceStatus(1, new DateOnly(2025, 1, 1), new SourceReference("Observation", "ecog")),
            null,
            [new LabResult(LabAnalyte.Albumin, 3.9m, "g/dL", new DateOnly(2025, 1, 2), albumin.ReferenceRange, new SourceReference("Observation", "alb"))],
            [],
            [new GenomicVariant("EGFR", "HGNC:3236", "c.2573T>G", "p.L858R", 0.3m, GenomicSourceClass.Somatic, Src)],
            [],
            [],
            null,
            null,
            null,
            null,
            null,
            [],
            []);
    }

    /// <summary>Answers like the real service: predictions, then an explanation, each with an audit receipt.</summary>
    private sealed class ScriptedPredictions : IPatientPredictions
    {
        public static readonly Guid PredictionEventId = Guid.Parse("7d1c0c38-5d2a-4c8e-9a52-1f4a2b3c4d5e");

        private static readonly ModelIdentity Model = new("1.1.0", new string('a', 64), "CPU", "synthetic training data — research use only");

        public Applicability Applicability { get; set; } = new(ApplicabilityLevel.InDistribution, []);

        /// <summary>Whether the scripted model reads progression on earlier regimens (2.0.0 and later): re-challenge estimated.</summary>
        public bool ReadsProgression { get; set; }

        /// <summary>Whether the scripted model has an evaluation on file (calibration shown beside each probability).</summary>
        public bool Calibrated { get; set; }

        public string? AuditFailure { get; set; }

        public List<WhatIfScenario?> Scenarios { get; } = [];

        public List<PredictionFeedback> Feedback { get; } = [];

        public List<IReadOnlyList<string>?> Explained { get; } = [];

        public Task<PredictionOutcome<PatientPredictions>> PredictAsync(PatientProfile profile, WhatIfScenario? scenario, CancellationToken cancellationToken = default)
        {
            if (AuditFailure is not null)
            {
                throw new AuditWriteException(AuditFailure);
            }

            Scenarios.Add(scenario);
            var shift = scenario is null ? 0 : -0.10;
            var predictions = new PatientPredictions(
                profile.PatientId,
                new DateOnly(2026, 11, 29),
                Model,
                [
                    new TherapyPrediction("osimertinib", "Osimertinib", "EGFR TKI", 0.72 + shift, 0.71 + shift, 0.61 + shift, 0.80 + shift,
                        new TherapyEvidence("EGFR-mutant NSCLC", true, 0.80, "FDA approved (level 1)", "Soria 2018, FLAURA"), TherapyGroup.Candidate, 1, [], null),
                    new TherapyPrediction("carboplatin-pemetrexed", "Carboplatin + pemetrexed", "Platinum doublet", 0.25, 0.25, 0.2, 0.3,
                        new TherapyEvidence("NSCLC, no actionable driver", false, 0.28, "standard of care", "Gandhi 2018"), TherapyGroup.Candidate, 2, [], null)
                    {
                        ProgressedAgentsText = "Contains carboplatin — the disease progressed on it in line 1 (Carboplatin + pemetrexed + pembrolizumab).",
                    },
                    new TherapyPrediction("carboplatin-pemetrexed-pembrolizumab", "Carboplatin + pemetrexed + pembrolizumab", "Chemo-immunotherapy", 0.56, 0.55, 0.48, 0.61,
                        new TherapyEvidence("NSCLC, no actionable driver", false, 0.48, "standard of care", "Gandhi 2018 (KEYNOTE-189)"), TherapyGroup.Received, null,
                        [new PriorTherapyUse(1, new DateOnly(2025, 3, 2), new DateOnly(2025, 6, 20), RecistResponse.ProgressiveDisease, false)], null)
                    {
                        ModelReadsProgression = ReadsProgression,
                        Probability = ReadsProgression ? 0.07 : 0.56,
                    },
                    new TherapyPrediction("folfirinox", "FOLFIRINOX", "Chemotherapy", 0.25, 0.25, 0.2, 0.3,
                        new TherapyEvidence(null, false, null, "no catalog context for this patient", null), TherapyGroup.NoEvidence, null, [],
                        "No evidence in non-small cell lung cancer: the catalog has no context for this therapy in this cancer type (its contexts: Pancreatic adenocarcinoma)."),
                ],
                "min–max of the 5 ensemble members",
                Applicability,
                [new SimilarPatient("cohort-17", "Non-small cell lung cancer", "65–74", "Female", ["EGFR sensitizing"], "Osimertinib", 1, true, 0.21)],
                "Only training patients with the same cancer type and the same driver biomarkers (non-small cell lung cancer with EGFR sensitizing) are compared.",
                "Only 1 training patient shares non-small cell lung cancer with EGFR sensitizing; patients of other cancers or driver groups are not substituted.",
                scenario?.Describe(profile) ?? [],
                new AuditReceipt(PredictionEventId, 42, DateTimeOffset.UtcNow))
            {
                Calibration = Calibrated
                    ? new CalibrationSource(true, "Calibration at the point of care: among 3,052 held-out predictions on an external synthetic cohort the model never saw (External cohort (seed 7301, 1000 patients); evaluated 2026-12-08).")
                    : new CalibrationSource(false, "Model 1.1.0 has no evaluation on file (precision-train evaluate), so calibration at the point of care cannot be shown."),
            };
            if (Calibrated)
            {
                predictions = predictions with
                {
                    Therapies = [.. predictions.Therapies.Select(t => t with
                    {
                        Calibration = t.TherapyId == "osimertinib"
                            ? new CalibrationAtPointOfCare(0.7, 0.8, 412, 0.74, true, 412, 30)
                            : new CalibrationAtPointOfCare(0.2, 0.3, 1204, 0.26, false, 12, 30),
                        ReliabilityCurve = [.. Enumerable.Range(0, 10).Select(b => new ReliabilityBin(b / 10.0, (b + 1) / 10.0, b == 9 ? 0 : (b == 8 ? 12 : 412), (b + 0.5) / 10.0, b == 9 ? double.NaN : (b + 0.4) / 10.0))],
                    })],
                };
            }

            return Task.FromResult(PredictionOutcome.Success(predictions));
        }

        public Task<PredictionOutcome<PatientExplanation>> ExplainAsync(PatientProfile profile, WhatIfScenario? scenario, IReadOnlyList<string>? therapyIds = null, CancellationToken cancellationToken = default)
        {
            Explained.Add(therapyIds);
            var explanation = new PatientExplanation(
                profile.PatientId,
                [new ExplanationFactor("EGFR p.L858R", [Src]), new ExplanationFactor("ECOG 2", [new SourceReference("Observation", "ecog")]), new ExplanationFactor("Other facts (absent or normal findings)", [])],
                [.. new[]
                {
                    new TherapyExplanation("osimertinib", "Osimertinib", 0.40, 0.72, [0.34, -0.06, 0.04], null),
                    new TherapyExplanation("carboplatin-pemetrexed", "Carboplatin + pemetrexed", 0.30, 0.25, [-0.02, -0.04, 0.01], null),
                }.Where(t => therapyIds is null || therapyIds.Contains(t.TherapyId))],
                "exact over 2^3 coalitions",
                "32 training patients drawn at random",
                Model,
                new AuditReceipt(Guid.NewGuid(), 43, DateTimeOffset.UtcNow));
            return Task.FromResult(PredictionOutcome.Success(explanation));
        }

        public Task<AuditReceipt> RecordFeedbackAsync(PredictionFeedback feedback, CancellationToken cancellationToken = default)
        {
            Feedback.Add(feedback);
            return Task.FromResult(new AuditReceipt(Guid.NewGuid(), 44, DateTimeOffset.UtcNow));
        }
    }

    private sealed class NoAuditEvents : IAuditReader
    {
        public Task<IReadOnlyList<AuditEvent>> ReadRecentAsync(int count, CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<AuditEvent>>([]);

        public Task<IReadOnlyList<AuditEvent>> ReadForPatientAsync(string patientReference, int count, CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<AuditEvent>>([]);

        public Task<IReadOnlyList<AuditActivityBucket>> ReadActivityByHourAsync(DateTimeOffset sinceUtc, CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<AuditActivityBucket>>([]);

        public Task<AuditChainVerification> VerifyChainAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
