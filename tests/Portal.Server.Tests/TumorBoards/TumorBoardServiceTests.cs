using Hl7.Fhir.Serialization;
using System.Data.Common;
using Dapper;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.TumorBoards;
using Precision.Portal.Server.Tests.Audit;
using Precision.Portal.Server.TumorBoards;

namespace Precision.Portal.Server.Tests.TumorBoards;

/// <summary>Meetings, agenda, versioned recommendations and sign-off on a real SQLite file and a real PostgreSQL database.</summary>
public sealed class TumorBoardServiceTests
{
    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Chair_creates_a_meeting_adds_and_reorders_cases_each_change_audited(AuditEngine engine)
    {
        using var bed = new BoardTestBed(engine);
        var chair = bed.As("board", "Dr. Tomas Berg");
        var created = await chair.CreateMeetingAsync(BoardTestBed.Meeting("board2", "board3"));
        var meeting = Assert.IsType<TumorBoardMeeting>(created.Value);
        Assert.Equal(["board", "board2", "board3"], meeting.Attendees);
        Assert.Equal("board", meeting.ChairUserName);

        await chair.AddCaseAsync(meeting.Id, new NewBoardCase("p1", "First-line options?"));
        var two = (await chair.AddCaseAsync(meeting.Id, new NewBoardCase("p2", "Trial eligibility?"))).Value!;
        Assert.Equal(["p1", "p2"], two.Cases.Select(c => c.PatientId));
        Assert.Equal("Test Patient p1 (MRN MRN-p1)", two.Cases[0].PatientLabel);
        Assert.All(two.Cases, c => Assert.Equal(BoardCaseStatus.AwaitingDiscussion, c.Status));

        var reordered = (await chair.MoveCaseAsync(meeting.Id, two.Cases[1].Id, -1)).Value!;
        Assert.Equal(["p2", "p1"], reordered.Cases.Select(c => c.PatientId));
        Assert.Equal([1, 2], reordered.Cases.Select(c => c.Position));

        var actions = bed.Audit.Entries.Select(e => e.Action).ToList();
        Assert.Equal([AuditActions.TumorBoardMeetingCreate, AuditActions.TumorBoardCaseChange, AuditActions.TumorBoardCaseChange, AuditActions.TumorBoardCaseChange], actions);
        Assert.Equal("Patient/p2", bed.Audit.Entries[^1].PatientReference);
        Assert.Equal("reorder", bed.Audit.Entries[^1].Details!["change"]!.GetValue<string>());

        // Invited members see it in their list; someone not invited does not.
        Assert.Single(await bed.As("board2").ListMeetingsAsync());
        Assert.Empty(await bed.As("outsider").ListMeetingsAsync());
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Bad_input_gets_clear_messages_and_changes_nothing(AuditEngine engine)
    {
        using var bed = new BoardTestBed(engine);
        var chair = bed.As("board");
        var noTitle = await chair.CreateMeetingAsync(new NewMeeting(" ", null, ["bad name!"]));
        Assert.Null(noTitle.Value);
        Assert.Contains("Give the meeting a title.", noTitle.Error, StringComparison.Ordinal);
        Assert.Contains("Choose the date and time", noTitle.Error, StringComparison.Ordinal);
        Assert.Contains("\"bad name!\" is not a valid sign-in name", noTitle.Error, StringComparison.Ordinal);

        var meeting = (await chair.CreateMeetingAsync(BoardTestBed.Meeting("board2"))).Value!;
        var noQuestion = await chair.AddCaseAsync(meeting.Id, new NewBoardCase("p1", ""));
        Assert.Equal("State the question for the board.", noQuestion.Error);
        var unknownPatient = await chair.AddCaseAsync(meeting.Id, new NewBoardCase("missing", "Options?"));
        Assert.StartsWith("The patient could not be read", unknownPatient.Error, StringComparison.Ordinal);

        var withCase = (await chair.AddCaseAsync(meeting.Id, new NewBoardCase("p1", "Options?"))).Value!;
        var empty = await chair.SaveRecommendationAsync(meeting.Id, withCase.Cases[0].Id,
            new RecommendationDraft(RecommendationKind.Therapy, null, null, null, "", null, null, null, "", null, null));
        Assert.Null(empty.Value);
        Assert.Equal(
            "The recommendation was not saved. Choose the recommended therapy. Give the rationale for the recommendation. Choose the evidence level. "
            + "Say whether the board agrees with the model's ranking. Give a reason for the board's view of the model's ranking.",
            empty.Error);
        var disagreeWithoutReason = await chair.SaveRecommendationAsync(meeting.Id, withCase.Cases[0].Id,
            BoardTestBed.Draft() with { AgreesWithModel = false, AgreementReason = " " });
        Assert.Contains("Say why the board disagrees with the model's ranking.", disagreeWithoutReason.Error, StringComparison.Ordinal);
        Assert.Empty((await chair.RecommendationsAsync(meeting.Id, withCase.Cases[0].Id)).Value!);
    }

    [Fact]
    public async Task The_fhir_export_answers_503_with_the_reason_when_the_audit_trail_fails_injected_fault()
    {
        using var bed = new BoardTestBed();
        var chair = bed.As("board1");
        var meeting = (await chair.CreateMeetingAsync(BoardTestBed.Meeting("board2"))).Value!;
        var withCase = (await chair.AddCaseAsync(meeting.Id, new NewBoardCase("p1", "Options?"))).Value!;
        var caseId = withCase.Cases[0].Id;
        Assert.NotNull((await chair.SaveRecommendationAsync(meeting.Id, caseId, BoardTestBed.Draft())).Value);

        bed.Audit.Fail = true;
        var result = await TumorBoardsExtensions.ExportFhirAsync(meeting.Id, caseId, chair, bed.Store, TimeProvider.System, CancellationToken.None);

        // Not a generic 500: the status and the reason, as the portal's other endpoints answer an audit failure.
        var problem = Assert.IsType<Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult>(result);
        Assert.Equal(503, problem.StatusCode);
        Assert.Contains("the audit trail could not record it", problem.ProblemDetails.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Someone_not_invited_is_refused_with_a_clear_message_and_the_refusal_is_audited(AuditEngine engine)
    {
        using var bed = new BoardTestBed(engine);
        var meeting = (await bed.As("board", "Dr. Tomas Berg").CreateMeetingAsync(BoardTestBed.Meeting("board2"))).Value!;
        var outsider = bed.As("board3", "Dr. Jonas Weber");

        var opened = await outsider.OpenMeetingAsync(meeting.Id);
        Assert.True(opened.Denied);
        Assert.Equal("You are not an attendee of \"Thoracic MTB\". Ask the chair, Dr. Tomas Berg, to invite you (sign-in name \"board3\").", opened.Error);
        var joined = await outsider.JoinSessionAsync(meeting.Id, _ => Task.CompletedTask);
        Assert.True(joined.Denied);
        Assert.Null(bed.Sessions.StateOf(meeting.Id));

        var denials = bed.Audit.Entries.Where(e => e.Action == AuditActions.AccessDenied).ToList();
        Assert.Equal(2, denials.Count);
        Assert.All(denials, d => Assert.Equal($"/tumor-boards/{meeting.Id}", d.Target));
        Assert.DoesNotContain(bed.Audit.Entries, e => e.Action == AuditActions.TumorBoardSessionJoin);

        // A clinician invited by name still is not a board member.
        var invitedClinician = (await bed.As("board").CreateMeetingAsync(BoardTestBed.Meeting("clinician"))).Value!;
        Assert.True((await bed.As("clinician", role: "clinician").OpenMeetingAsync(invitedClinician.Id)).Denied);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Drafts_update_in_place_signing_locks_and_an_amendment_adds_a_version_that_keeps_the_old_one(AuditEngine engine)
    {
        using var bed = new BoardTestBed(engine);
        var started = DateTimeOffset.UtcNow.AddSeconds(-1);
        var chair = bed.As("board", "Dr. Tomas Berg");
        var meeting = (await chair.CreateMeetingAsync(BoardTestBed.Meeting("board2"))).Value!;
        var caseId = (await chair.AddCaseAsync(meeting.Id, new NewBoardCase("p1", "Options?"))).Value!.Cases[0].Id;
        var member = bed.As("board2", "Dr. Amira Haddad");

        var v1 = (await member.SaveRecommendationAsync(meeting.Id, caseId, BoardTestBed.Draft("First draft."))).Value!;
        var v1b = (await member.SaveRecommendationAsync(meeting.Id, caseId, BoardTestBed.Draft("Second wording."))).Value!;
        Assert.Equal(1, v1.Version);
        Assert.Equal(1, v1b.Version);
        Assert.NotEqual(v1.ContentHash, v1b.ContentHash);
        Assert.Single((await member.RecommendationsAsync(meeting.Id, caseId)).Value!);

        // Only the chair signs, and only what they saw.
        var notChair = await member.BeginSignOffAsync(meeting.Id, caseId, 1, v1b.ContentHash);
        Assert.True(notChair.Denied);
        Assert.Equal("Only the chair (Dr. Tomas Berg) signs recommendations.", notChair.Error);
        Assert.Equal("The recommendation changed since you opened it. Review the latest version and sign again.",
            (await chair.BeginSignOffAsync(meeting.Id, caseId, 1, v1.ContentHash)).Error);

        // Back from the identity provider with a fresh sign-in: signed, locked, audited with the hash.
        var url = (await chair.BeginSignOffAsync(meeting.Id, caseId, 1, v1b.ContentHash)).Value!;
        var ticket = bed.Tickets.Find(url.ToString().Split('/')[^1])!;
        var signed = await bed.As("board", "Dr. Tomas Berg", authTime: DateTimeOffset.UtcNow).CompleteSignOffAsync(ticket);
        Assert.True(signed.Succeeded, signed.Message);
        Assert.Equal("Version 1 is signed by Dr. Tomas Berg and locked.", signed.Message);
        var stored = (await chair.RecommendationsAsync(meeting.Id, caseId)).Value![0];
        Assert.Equal("board", stored.SignOff!.UserName);
        Assert.Equal(TumorBoardService.ReauthenticationMethod, stored.SignOff.Method);
        Assert.True(stored.SignOff.AuthenticatedUtc >= started.AddSeconds(-1));
        var audit = bed.Audit.Entries.Single(e => e.Action == AuditActions.TumorBoardSignOff);
        Assert.Equal(v1b.ContentHash, audit.Details!["contentHash"]!.GetValue<string>());
        Assert.Equal("Patient/p1", audit.PatientReference);
        Assert.Equal(BoardCaseStatus.SignedOff, (await chair.OpenMeetingAsync(meeting.Id)).Value!.Cases[0].Status);

        // Signing twice: refused with who signed and when.
        var again = await chair.BeginSignOffAsync(meeting.Id, caseId, 1, v1b.ContentHash);
        Assert.StartsWith("Version 1 was already signed by Dr. Tomas Berg on ", again.Error, StringComparison.Ordinal);
        Assert.EndsWith("a signed recommendation is locked. Save an amendment to change it.", again.Error, StringComparison.Ordinal);
        var ticketAgain = bed.Tickets.Issue(meeting.Id, caseId, 1, v1b.ContentHash, new BoardMember("board", "Dr. Tomas Berg", "dev-board"));
        var twice = await bed.As("board", "Dr. Tomas Berg", authTime: DateTimeOffset.UtcNow).CompleteSignOffAsync(ticketAgain);
        Assert.False(twice.Succeeded);
        Assert.StartsWith("Version 1 was already signed", twice.Message, StringComparison.Ordinal);
        Assert.Single(bed.Audit.Entries, e => e.Action == AuditActions.TumorBoardSignOff);

        // The database itself refuses to change a signed row.
        using (var direct = bed.OpenDirect())
        {
            var update = Assert.ThrowsAny<DbException>(() => direct.Execute("UPDATE board_recommendation SET content_json = '{}' WHERE version = 1"));
            Assert.Contains("signed recommendation is locked", update.Message, StringComparison.Ordinal);
            var delete = Assert.ThrowsAny<DbException>(() => direct.Execute("DELETE FROM board_recommendation WHERE version = 1"));
            Assert.Contains("signed recommendation is locked", delete.Message, StringComparison.Ordinal);
        }

        // An amendment is version 2; version 1 stays as signed.
        var v2 = (await member.SaveRecommendationAsync(meeting.Id, caseId, BoardTestBed.Draft("Amended after new MRI."))).Value!;
        Assert.Equal(2, v2.Version);
        Assert.Equal(1, v2.Amends);
        var versions = (await chair.RecommendationsAsync(meeting.Id, caseId)).Value!;
        Assert.Equal([2, 1], versions.Select(v => v.Version));
        Assert.Equal(v1b.ContentHash, versions[1].ContentHash);
        Assert.Equal("Second wording.", versions[1].Content.Rationale);
        Assert.True(versions[1].IsSigned);
        Assert.False(versions[0].IsSigned);
        Assert.Equal(BoardCaseStatus.Draft, (await chair.OpenMeetingAsync(meeting.Id)).Value!.Cases[0].Status);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task A_sign_off_without_a_fresh_sign_in_or_by_someone_else_is_not_signed(AuditEngine engine)
    {
        using var bed = new BoardTestBed(engine);
        var chair = bed.As("board", "Dr. Tomas Berg");
        var meeting = (await chair.CreateMeetingAsync(BoardTestBed.Meeting("board2"))).Value!;
        var caseId = (await chair.AddCaseAsync(meeting.Id, new NewBoardCase("p1", "Options?"))).Value!.Cases[0].Id;
        var v1 = (await chair.SaveRecommendationAsync(meeting.Id, caseId, BoardTestBed.Draft())).Value!;

        var stale = await chair.BeginSignOffAsync(meeting.Id, caseId, 1, v1.ContentHash);
        var staleTicket = bed.Tickets.Find(stale.Value!.ToString().Split('/')[^1])!;
        var old = await bed.As("board", "Dr. Tomas Berg", authTime: DateTimeOffset.UtcNow.AddHours(-3)).CompleteSignOffAsync(staleTicket);
        Assert.False(old.Succeeded);
        Assert.Equal("Not signed: the identity provider did not confirm a fresh sign-in after you started the sign-off. Try again.", old.Message);

        var other = await chair.BeginSignOffAsync(meeting.Id, caseId, 1, v1.ContentHash);
        var otherTicket = bed.Tickets.Find(other.Value!.ToString().Split('/')[^1])!;
        var wrongUser = await bed.As("board2", "Dr. Amira Haddad", authTime: DateTimeOffset.UtcNow).CompleteSignOffAsync(otherTicket);
        Assert.False(wrongUser.Succeeded);
        Assert.Equal("Not signed: the identity provider confirmed Dr. Amira Haddad, but the sign-off was started by Dr. Tomas Berg.", wrongUser.Message);
        Assert.False((await chair.RecommendationsAsync(meeting.Id, caseId)).Value![0].IsSigned);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task When_the_audit_trail_cannot_record_nothing_is_changed(AuditEngine engine)
    {
        using var bed = new BoardTestBed(engine);
        var chair = bed.As("board");
        var meeting = (await chair.CreateMeetingAsync(BoardTestBed.Meeting("board2"))).Value!;
        var caseId = (await chair.AddCaseAsync(meeting.Id, new NewBoardCase("p1", "Options?"))).Value!.Cases[0].Id;
        bed.Audit.Fail = true;

        await Assert.ThrowsAsync<AuditWriteException>(() => chair.CreateMeetingAsync(BoardTestBed.Meeting()));
        await Assert.ThrowsAsync<AuditWriteException>(() => chair.AddCaseAsync(meeting.Id, new NewBoardCase("p2", "More?")));
        await Assert.ThrowsAsync<AuditWriteException>(() => chair.SaveRecommendationAsync(meeting.Id, caseId, BoardTestBed.Draft()));
        await Assert.ThrowsAsync<AuditWriteException>(() => chair.JoinSessionAsync(meeting.Id, _ => Task.CompletedTask));

        bed.Audit.Fail = false;
        Assert.Single(await chair.ListMeetingsAsync());
        Assert.Single((await chair.OpenMeetingAsync(meeting.Id)).Value!.Cases);
        Assert.Empty((await chair.RecommendationsAsync(meeting.Id, caseId)).Value!);
        Assert.Null(bed.Sessions.StateOf(meeting.Id));
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Fhir_export_is_a_bundle_with_a_final_diagnostic_report_and_a_provenance_signed_by_the_chair(AuditEngine engine)
    {
        using var bed = new BoardTestBed(engine);
        var chair = bed.As("board", "Dr. Tomas Berg");
        var meeting = (await chair.CreateMeetingAsync(BoardTestBed.Meeting("board2"))).Value!;
        var boardCase = (await chair.AddCaseAsync(meeting.Id, new NewBoardCase("p1", "Options?"))).Value!.Cases[0];
        var v1 = (await chair.SaveRecommendationAsync(meeting.Id, boardCase.Id, BoardTestBed.Draft())).Value!;
        var signOff = new RecommendationSignOff("board", "Dr. Tomas Berg", "dev-board", DateTimeOffset.UtcNow, TumorBoardService.ReauthenticationMethod, DateTimeOffset.UtcNow);

        var bundle = TumorBoardFhirExport.Build(meeting, boardCase, v1 with { SignOff = signOff }, DateTimeOffset.UtcNow);
        var json = TumorBoardFhirExport.ToJson(bundle);
        var parsed = Assert.IsType<Hl7.Fhir.Model.Bundle>(new Hl7.Fhir.Serialization.FhirJsonDeserializer().DeserializeResource(json));

        var report = Assert.IsType<Hl7.Fhir.Model.DiagnosticReport>(parsed.Entry[0].Resource);
        Assert.Equal(Hl7.Fhir.Model.DiagnosticReport.DiagnosticReportStatus.Final, report.Status);
        Assert.Equal("Patient/p1", report.Subject!.Reference);
        Assert.Contains("Therapy: Osimertinib", report.Conclusion!, StringComparison.Ordinal);
        Assert.Contains("(model 1.1.0): yes", report.Conclusion, StringComparison.Ordinal);
        var provenance = Assert.IsType<Hl7.Fhir.Model.Provenance>(parsed.Entry[1].Resource);
        Assert.Equal(parsed.Entry[0].FullUrl, provenance.Target[0].Reference);
        Assert.Equal("Dr. Tomas Berg", Assert.IsType<Hl7.Fhir.Model.ResourceReference>(provenance.Signature[0].Who).Display);
        Assert.Contains("sha256:" + v1.ContentHash, System.Text.Encoding.UTF8.GetString(provenance.Signature[0].Data!), StringComparison.Ordinal);
        Assert.Contains("Efficacy model 1.1.0", provenance.Entity[0].What.Display, StringComparison.Ordinal);

        // Unsigned: preliminary, and no provenance claims a signature.
        var draft = TumorBoardFhirExport.Build(meeting, boardCase, v1, DateTimeOffset.UtcNow);
        Assert.Equal(Hl7.Fhir.Model.DiagnosticReport.DiagnosticReportStatus.Preliminary, Assert.IsType<Hl7.Fhir.Model.DiagnosticReport>(draft.Entry[0].Resource).Status);
        Assert.Single(draft.Entry);
    }
}
