using System.Globalization;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Precision.Portal.Client.TumorBoards;

namespace Precision.Portal.Server.TumorBoards;

/// <summary>
/// A case's recommendation as FHIR R4: a collection Bundle with a DiagnosticReport (the board's conclusion; final
/// when signed, preliminary otherwise) and, when signed, a Provenance carrying the chair's signature over the
/// version's content hash.
/// </summary>
public static class TumorBoardFhirExport
{
    public const string PortalSystem = "urn:precision-portal:tumor-board";

    /// <summary>ASTM E1762 signature type: verification signature (the chair verifies the board's recommendation).</summary>
    public static readonly Coding VerificationSignature = new("urn:iso-astm:E1762-95:2013", "1.2.840.10065.1.12.1.5", "Verification Signature");

    public static Bundle Build(TumorBoardMeeting meeting, BoardCase boardCase, RecommendationVersion recommendation, DateTimeOffset exportedUtc)
    {
        ArgumentNullException.ThrowIfNull(meeting);
        ArgumentNullException.ThrowIfNull(boardCase);
        ArgumentNullException.ThrowIfNull(recommendation);
        var content = recommendation.Content;
        var reportId = Guid.NewGuid();
        var reportUrl = "urn:uuid:" + reportId.ToString();
        var signed = recommendation.SignOff;

        var report = new DiagnosticReport
        {
            Id = reportId.ToString(),
            Identifier =
            [
                new Identifier(PortalSystem, $"{boardCase.Id}/v{recommendation.Version.ToString(CultureInfo.InvariantCulture)}"),
            ],
            Status = signed is null ? DiagnosticReport.DiagnosticReportStatus.Preliminary
                : recommendation.Amends is null ? DiagnosticReport.DiagnosticReportStatus.Final : DiagnosticReport.DiagnosticReportStatus.Amended,
            Category = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/v2-0074", "GE", "Genetics")],
            Code = new CodeableConcept("http://loinc.org", "51969-4", "Genetic analysis report", "Molecular tumor board recommendation"),
            Subject = new ResourceReference("Patient/" + boardCase.PatientId),
            Effective = new FhirDateTime(meeting.ScheduledUtc),
            Issued = signed?.SignedUtc ?? recommendation.SavedUtc,
            Performer = [new ResourceReference { Display = "Molecular tumor board: " + meeting.Title }],
            ResultsInterpreter = signed is null ? [] : [new ResourceReference { Display = signed.DisplayName, Identifier = new Identifier(PortalSystem + ":user", signed.UserName) }],
            Conclusion = Conclusion(boardCase, content),
            Text = new Narrative
            {
                Status = Narrative.NarrativeStatus.Generated,
                Div = "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p><b>Synthetic data — research use only. Not for clinical decisions.</b></p><p>"
                    + System.Net.WebUtility.HtmlEncode(Conclusion(boardCase, content)) + "</p></div>",
            },
        };
        if (content.Kind == RecommendationKind.Therapy && content.TherapyId is not null)
        {
            report.ConclusionCode = [new CodeableConcept(PortalSystem + ":therapy", content.TherapyId, content.TherapyName)];
        }

        var bundle = new Bundle
        {
            Type = Bundle.BundleType.Collection,
            Timestamp = exportedUtc,
            Identifier = new Identifier(PortalSystem + ":export", Guid.NewGuid().ToString()),
            Entry = [new Bundle.EntryComponent { FullUrl = reportUrl, Resource = report }],
        };

        if (signed is not null)
        {
            var provenance = new Provenance
            {
                Id = Guid.NewGuid().ToString(),
                Target = [new ResourceReference(reportUrl)],
                Recorded = signed.SignedUtc,
                Activity = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-DataOperation", "CREATE", "create"),
                Agent =
                [
                    new Provenance.AgentComponent
                    {
                        Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/provenance-participant-type", "verifier", "Verifier"),
                        Who = new ResourceReference { Display = signed.DisplayName + " (chair)", Identifier = new Identifier(PortalSystem + ":user", signed.UserName) },
                    },
                    new Provenance.AgentComponent
                    {
                        Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/provenance-participant-type", "author", "Author"),
                        Who = new ResourceReference { Display = recommendation.AuthorDisplayName, Identifier = new Identifier(PortalSystem + ":user", recommendation.AuthorUserName) },
                    },
                ],
                Entity = content.ModelVersion is null ? [] :
                [
                    new Provenance.EntityComponent
                    {
                        Role = Provenance.ProvenanceEntityRole.Source,
                        What = new ResourceReference { Display = $"Efficacy model {content.ModelVersion} (synthetic training data — research use only)" },
                    },
                ],
                Signature =
                [
                    new Signature
                    {
                        Type = [VerificationSignature],
                        When = signed.SignedUtc,
                        Who = new ResourceReference { Display = signed.DisplayName, Identifier = new Identifier(PortalSystem + ":user", signed.UserName) },
                        SigFormat = "text/plain",
                        // Not a cryptographic signature: the SHA-256 of the signed version's canonical content, which
                        // the portal's store and audit trail hold; identity was confirmed by re-authentication.
                        Data = Encoding.UTF8.GetBytes($"sha256:{recommendation.ContentHash}; {signed.Method}; auth_time {signed.AuthenticatedUtc:O}"),
                    },
                ],
            };
            bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = "urn:uuid:" + provenance.Id, Resource = provenance });
        }

        return bundle;
    }

    public static string ToJson(Bundle bundle) => new BaseFhirJsonSerializer(ModelInfo.ModelInspector).SerializeToString(bundle, pretty: true);

    private static string Conclusion(BoardCase boardCase, RecommendationDraft content)
    {
        var text = new StringBuilder();
        text.Append("Question: ").Append(boardCase.Question).Append(". Recommendation: ").Append(content.Summary).Append('.');
        text.Append(" Rationale: ").Append(content.Rationale);
        if (content.EvidenceLevel is { } level)
        {
            text.Append(" Evidence: ").Append(EvidenceLevels.ShortName(level)).Append('.');
        }

        if (content.AgreesWithModel is { } agrees)
        {
            text.Append(" Agreement with the model's ranking").Append(content.ModelVersion is null ? string.Empty : " (model " + content.ModelVersion + ")")
                .Append(": ").Append(agrees ? "yes" : "no").Append(" — ").Append(content.AgreementReason).Append('.');
        }

        return text.ToString();
    }
}
