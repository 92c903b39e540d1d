using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Precision.Clinical;
using Precision.Clinical.WhatIf;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.Pages.TumorBoard;
using Precision.Portal.Client.Patients;
using Precision.Portal.Client.Predictions;
using Precision.Portal.Client.TumorBoards;

namespace Precision.Portal.Client.Tests.Patients;

/// <summary>The tumor board's printable case report writes the diagnosis and metastatic sites as the patient pages do.</summary>
public sealed class CaseReportTests : MudTestContext
{
    private static readonly Guid MeetingId = Guid.Parse("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
    private static readonly Guid CaseId = Guid.Parse("11111111-2222-3333-4444-555555555555");
    private readonly CountingPredictions _predictions = new();

    public CaseReportTests() => Services.AddSingleton<IPatientPredictions>(_predictions);

    [Fact]
    public void A_deceased_patient_with_an_unsupported_cancer_gets_the_records_diagnosis_metastatic_sites_and_no_ranking()
    {
        var cancer = TestProfiles.Mesothelioma();
        var profile = TestProfiles.Build(cancers: [cancer], variants:
        [
            new GenomicVariant("BRCA2", null, null, "p.V2466A", 0.5m, GenomicSourceClass.Germline, new SourceReference("Observation", "brca2")) { Significance = ClinicalSignificance.UncertainSignificance },
        ]) with
        {
            VitalStatus = new VitalStatus(new DateOnly(2025, 2, 14), TestProfiles.Patient),
            SecondaryCancers = [TestProfiles.Metastasis("Liver", "met-liver", cancer.Source), TestProfiles.Metastasis("Bone", "met-bone", null)],
            NegativeFindings = [new NegativeGenomicFinding("ALK", "rearrangement", new SourceReference("Observation", "alk-neg"))],
        };
        Serve(profile);

        var cut = Render<CaseReport>(p => p.Add(c => c.MeetingId, MeetingId).Add(c => c.CaseId, CaseId));

        cut.WaitForElement("[data-testid=case-report]");
        Assert.Contains("Malignant mesothelioma of pleura (C45.0), diagnosed 2024-06-10", cut.Find("[data-testid=report-diagnosis]").TextContent, StringComparison.Ordinal);
        Assert.NotNull(cut.Find("[data-testid=report-diagnosis-unsupported]"));
        Assert.Equal("Liver, Bone", cut.Find("[data-testid=report-metastatic]").TextContent.Trim());
        Assert.Contains("Deceased 2025-02-14", cut.Find("[data-testid=report-deceased]").TextContent, StringComparison.Ordinal);
        Assert.Contains("BRCA2 p.V2466A (VUS — not used for predictions)", cut.Find("[data-testid=report-genomics]").TextContent, StringComparison.Ordinal);
        Assert.Contains("ALK rearrangement", cut.Find("[data-testid=report-negative]").TextContent, StringComparison.Ordinal);
        Assert.Contains(PredictionEligibility.WhyNot(profile)!, cut.Find("[data-testid=report-prediction-not-eligible]").TextContent, StringComparison.Ordinal);
        Assert.Equal(0, _predictions.Calls);
    }

    [Fact]
    public void A_supported_cancer_is_written_with_its_display_name_and_the_prediction_service_is_asked()
    {
        Serve(TestProfiles.Build());

        var cut = Render<CaseReport>(p => p.Add(c => c.MeetingId, MeetingId).Add(c => c.CaseId, CaseId));

        cut.WaitForElement("[data-testid=case-report]");
        Assert.Equal("Non-small cell lung cancer (C34.90), diagnosed 2023-03-01", cut.Find("[data-testid=report-diagnosis]").TextContent.Trim());
        Assert.Equal("none recorded", cut.Find("[data-testid=report-metastatic]").TextContent.Trim());
        Assert.Empty(cut.FindAll("[data-testid=report-deceased]"));
        Assert.Contains("No predictions: the model is resting", cut.Find("[data-testid=report-prediction-error]").TextContent, StringComparison.Ordinal);
        Assert.Equal(2, _predictions.Calls);
    }

    [Fact]
    public void The_report_prints_the_calibration_cohort_and_a_calibration_line_under_each_number()
    {
        _predictions.Answer = BoardPredictionFixtures.Calibrated();
        Serve(TestProfiles.Build());

        var cut = Render<CaseReport>(p => p.Add(c => c.MeetingId, MeetingId).Add(c => c.CaseId, CaseId));

        cut.WaitForElement("[data-testid=case-report]");
        Assert.Equal(BoardPredictionFixtures.SourceText, cut.Find("[data-testid=report-calibration-source]").TextContent.Trim());
        Assert.Empty(cut.FindAll("[data-testid=report-calibration-unavailable]"));
        var lines = cut.FindAll("[data-testid=report-calibration-row]");
        Assert.Equal(["sotorasib", "docetaxel"], lines.Select(l => l.GetAttribute("data-therapy")));
        Assert.Equal(BoardPredictionFixtures.Own.Text, lines[0].QuerySelector("[data-testid=report-calibration]")!.TextContent.Trim());
        Assert.Equal(BoardPredictionFixtures.Pooled.Text, lines[1].QuerySelector("[data-testid=report-calibration]")!.TextContent.Trim());
        Assert.Equal("report-candidate-row", lines[0].PreviousElementSibling!.GetAttribute("data-testid"));
        Assert.Equal("report-received-row", lines[1].PreviousElementSibling!.GetAttribute("data-testid"));

        // Every calibration line spans the row's columns (5 in the candidates table, 4 in the received one).
        Assert.Equal(5, lines[0].QuerySelectorAll("td").Sum(td => int.TryParse(td.GetAttribute("colspan"), out var n) ? n : 1));
        Assert.Equal(4, lines[1].QuerySelectorAll("td").Sum(td => int.TryParse(td.GetAttribute("colspan"), out var n) ? n : 1));

        // Progressed on it: not estimated, no calibration.
        var progressed = cut.FindAll("[data-testid=report-received-row]").Single(r => r.TextContent.Contains("pembrolizumab", StringComparison.Ordinal));
        Assert.Contains("Not estimated (progressed on it)", progressed.TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain(BoardPredictionFixtures.ForProgressed.Text, cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void A_report_without_calibration_prints_the_numbers_and_says_why_there_is_none()
    {
        _predictions.Answer = BoardPredictionFixtures.Uncalibrated(new CalibrationSource(false, BoardPredictionFixtures.UnavailableText));
        Serve(TestProfiles.Build());

        var cut = Render<CaseReport>(p => p.Add(c => c.MeetingId, MeetingId).Add(c => c.CaseId, CaseId));

        cut.WaitForElement("[data-testid=case-report]");
        Assert.Equal(BoardPredictionFixtures.UnavailableText, cut.Find("[data-testid=report-calibration-unavailable]").TextContent.Trim());
        Assert.Empty(cut.FindAll("[data-testid=report-calibration-source]"));
        Assert.Empty(cut.FindAll("[data-testid=report-calibration-row]"));
        Assert.Contains("38%", cut.Find("[data-testid=report-candidate-row]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Predictions_whose_service_did_not_say_anything_about_calibration_print_without_it()
    {
        _predictions.Answer = BoardPredictionFixtures.Uncalibrated(null);
        Serve(TestProfiles.Build());

        var cut = Render<CaseReport>(p => p.Add(c => c.MeetingId, MeetingId).Add(c => c.CaseId, CaseId));

        cut.WaitForElement("[data-testid=case-report]");
        Assert.Empty(cut.FindAll("[data-testid=report-calibration-source]"));
        Assert.Empty(cut.FindAll("[data-testid=report-calibration-unavailable]"));
        Assert.Empty(cut.FindAll("[data-testid=report-calibration-row]"));
        Assert.DoesNotContain("Calibration", cut.Find("[data-testid=report-predictions]").TextContent, StringComparison.Ordinal);
        Assert.Equal(2, cut.FindAll("[data-testid=report-received-row]").Count);
    }

    private void Serve(PatientProfile profile)
    {
        Services.AddSingleton<IPatientDirectory>(new OnePatient(profile));
        Services.AddSingleton<ITumorBoards>(new OneCaseBoard(profile.PatientId));
    }

    /// <summary>Counts calls; answers <see cref="Answer"/> when set, every other answer is a refusal in words.</summary>
    private sealed class CountingPredictions : IPatientPredictions
    {
        public int Calls { get; private set; }

        public PatientPredictions? Answer { get; set; }

        public Task<PredictionOutcome<PatientPredictions>> PredictAsync(PatientProfile profile, WhatIfScenario? scenario, CancellationToken cancellationToken = default)
        {
            Calls++;
            return Task.FromResult(Answer is { } answer ? PredictionOutcome.Success(answer) : PredictionOutcome.Failed<PatientPredictions>("the model is resting"));
        }

        public Task<PredictionOutcome<PatientExplanation>> ExplainAsync(PatientProfile profile, WhatIfScenario? scenario, IReadOnlyList<string>? therapyIds = null, CancellationToken cancellationToken = default)
        {
            Calls++;
            return Task.FromResult(PredictionOutcome.Failed<PatientExplanation>("the model is resting"));
        }

        public Task<AuditReceipt> RecordFeedbackAsync(PredictionFeedback feedback, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }

    private sealed class OnePatient(PatientProfile profile) : IPatientDirectory
    {
        public string SourceDescription => "test";

        public Task<PatientPage> SearchAsync(PatientQuery query, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<PatientRecordResult> ReadAsync(string patientId, CancellationToken cancellationToken = default) =>
            Task.FromResult(new PatientRecordResult(profile, null, null, ["Patient/" + patientId], "test"));
    }

    /// <summary>One meeting with one case; only what the report page asks for.</summary>
    private sealed class OneCaseBoard(string patientId) : ITumorBoards
    {
        public Task<BoardOutcome<TumorBoardMeeting>> OpenMeetingAsync(Guid meetingId, CancellationToken cancellationToken = default) =>
            Task.FromResult(BoardOutcome.Success(new TumorBoardMeeting(MeetingId, "Thoracic board", new DateTimeOffset(2026, 12, 8, 16, 0, 0, TimeSpan.Zero), "board", "Dr. Chair", ["board"],
                [new BoardCase(CaseId, 1, patientId, "Test patient", "Next line?", BoardCaseStatus.AwaitingDiscussion, null)], DateTimeOffset.UnixEpoch)));

        public Task<BoardOutcome<AuditReceipt>> RecordReportExportAsync(Guid meetingId, Guid caseId, string format, CancellationToken cancellationToken = default) =>
            Task.FromResult(BoardOutcome.Success(new AuditReceipt(Guid.NewGuid(), 7, DateTimeOffset.UtcNow)));

        public Task<BoardOutcome<IReadOnlyList<RecommendationVersion>>> RecommendationsAsync(Guid meetingId, Guid caseId, CancellationToken cancellationToken = default) =>
            Task.FromResult(BoardOutcome.Success<IReadOnlyList<RecommendationVersion>>([]));

        public Task<BoardMember> CurrentUserAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<TumorBoardMeetingSummary>> ListMeetingsAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<BoardOutcome<TumorBoardMeeting>> CreateMeetingAsync(NewMeeting meeting, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<BoardOutcome<TumorBoardMeeting>> AddCaseAsync(Guid meetingId, NewBoardCase boardCase, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<BoardOutcome<TumorBoardMeeting>> MoveCaseAsync(Guid meetingId, Guid caseId, int offset, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<BoardOutcome<RecommendationVersion>> SaveRecommendationAsync(Guid meetingId, Guid caseId, RecommendationDraft draft, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<BoardOutcome<Uri>> BeginSignOffAsync(Guid meetingId, Guid caseId, int version, string contentHash, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public SignOffResult? SignOffResultFor(string ticket) => throw new NotSupportedException();

        public Task<BoardOutcome<IBoardSessionHandle>> JoinSessionAsync(Guid meetingId, Func<BoardSessionState, Task> onChange, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
