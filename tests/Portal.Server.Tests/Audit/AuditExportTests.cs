// Firely model navigation (optional elements) in assertions: a null here is a test failure either way.
#nullable disable warnings
using System.Net;
using System.Text;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Precision.Portal.Client.Audit;
using Precision.Portal.Server.Audit;
using Precision.Portal.Server.Audit.Export;
using Precision.Portal.Testing;
using FhirAuditEvent = Hl7.Fhir.Model.AuditEvent;
using FhirBundle = Hl7.Fhir.Model.Bundle;

namespace Precision.Portal.Server.Tests.Audit;

public sealed class AuditExportTests
{
    // The Firely SDK's JSON parser (FhirJsonDeserializer replaces the obsolete FhirJsonParser in SDK 6), strict: unknown or invalid elements fail.
    private static readonly FhirJsonDeserializer Strict = new(new DeserializerSettings().UsingMode(DeserializationMode.Strict));

    private static AuditEvent Event(string action, AuditOutcome outcome = AuditOutcome.Success, string? patient = "Patient/p-17", string? details = null) => new(
        42, Guid.CreateVersion7(), new DateTimeOffset(2026, 5, 4, 10, 0, 0, TimeSpan.Zero), AuditSamples.Clinician, action, outcome, patient,
        "/patients/{id}", details ?? """{"modelVersion":"1.1.0"}""", "10.1.2.3", "corr-1", AuditChainHash.Genesis, new string('a', 64));

    [Theory]
    [InlineData(AuditActions.PatientView, BalpAuditEventMapper.PatientReadProfile, "read", FhirAuditEvent.AuditEventAction.R)]
    [InlineData("patient.search", BalpAuditEventMapper.PatientQueryProfile, "search-type", FhirAuditEvent.AuditEventAction.E)]
    [InlineData(AuditActions.PredictionCreate, BalpAuditEventMapper.PatientCreateProfile, "create", FhirAuditEvent.AuditEventAction.C)]
    [InlineData(AuditActions.PredictionFeedback, BalpAuditEventMapper.PatientCreateProfile, "create", FhirAuditEvent.AuditEventAction.C)]
    public void Patient_events_follow_their_BALP_profile_and_name_the_patient(string action, string profile, string subtype, FhirAuditEvent.AuditEventAction fhirAction)
    {
        var e = Event(action);

        var json = BalpAuditEventMapper.ToFhir(e, "portal.example.org").ToJson();
        var parsed = Strict.Deserialize<FhirAuditEvent>(json);

        Assert.Equal([profile], parsed.Meta.Profile);
        Assert.Equal(e.Id.ToString("D"), parsed.Id);
        Assert.Equal("rest", parsed.Type.Code);
        Assert.Contains(parsed.Subtype, c => c.System == "http://hl7.org/fhir/restful-interaction" && c.Code == subtype);
        Assert.Contains(parsed.Subtype, c => c.System == BalpAuditEventMapper.PortalActionSystem && c.Code == action);
        Assert.Equal(fhirAction, parsed.Action);
        Assert.Equal(FhirAuditEvent.AuditEventOutcome.N0, parsed.Outcome);
        Assert.Equal(e.OccurredUtc, parsed.Recorded);
        var patient = Assert.Single(parsed.Entity, x => x.Role?.Code == "1");
        Assert.Equal("Patient/p-17", patient.What.Reference);
        Assert.Equal("http://terminology.hl7.org/CodeSystem/audit-entity-type", patient.Type.System);
        Assert.Equal("1", patient.Type.Code);
        var user = Assert.Single(parsed.Agent, a => a.Requestor == true);
        Assert.Equal(AuditSamples.Clinician.Subject, user.Who.Identifier.Value);
        Assert.Contains(parsed.Agent, a => a.Type.Coding[0].Code == "110153");
        Assert.Contains(parsed.Agent, a => a.Type.Coding[0].Code == "110152");
        Assert.Contains(parsed.Entity, x => x.Type.Code == "XrequestId" && x.What.Identifier.Value == "corr-1");
    }

    [Fact]
    public void Refused_and_generic_events_claim_no_BALP_profile_and_keep_their_outcome()
    {
        var denied = BalpAuditEventMapper.ToFhir(Event(AuditActions.PatientView, AuditOutcome.Denied), "portal");
        var signIn = BalpAuditEventMapper.ToFhir(Event(AuditActions.SignIn, patient: null), "portal");
        var signOut = BalpAuditEventMapper.ToFhir(Event(AuditActions.SignOut, patient: null), "portal");
        var export = BalpAuditEventMapper.ToFhir(Event(AuditActions.AuditExport, patient: null), "portal");

        Assert.Null(denied.Meta);
        Assert.Equal(FhirAuditEvent.AuditEventOutcome.N4, denied.Outcome);
        Assert.Equal("Patient/p-17", Assert.Single(denied.Entity, x => x.Role?.Code == "1").What.Reference);
        Assert.Null(signIn.Meta);
        Assert.Equal(("110114", "110122"), (signIn.Type.Code, signIn.Subtype[0].Code));
        Assert.Equal("110123", signOut.Subtype[0].Code);
        Assert.Equal("110101", export.Type.Code);
    }

    [Fact]
    public void Csv_rows_quote_commas_quotes_and_line_breaks_and_defuse_formulas()
    {
        var builder = new StringBuilder(AuditCsv.HeaderLine);
        AuditCsv.AppendRow(builder, Event(AuditActions.PatientView, details: "{\"a\":\"x,y\",\n\"b\":\"say \\\"hi\\\"\"}") with
        {
            Actor = new AuditActor("sub-1", "=HYPERLINK(\"http://evil\")", ["clinician", "admin"]),
        });
        var text = builder.ToString();
        var lines = text.Split("\r\n");

        Assert.StartsWith("sequence,id,occurred_utc,actor_subject,actor_display_name,actor_roles,action,outcome,patient_reference", lines[0], StringComparison.Ordinal);
        Assert.Contains(",\"'=HYPERLINK(\"\"http://evil\"\")\",clinician admin,patient.view,Success,Patient/p-17,", lines[1], StringComparison.Ordinal);
        Assert.Contains("\"{\"\"a\"\":\"\"x,y\"\",\n\"\"b\"\":\"\"say \\\"\"hi\\\"\"\"\"}\"", text, StringComparison.Ordinal);
        Assert.Contains("2026-05-04T10:00:00.0000000Z", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_endpoint_serves_compliance_only_streams_the_filter_and_is_itself_audited()
    {
        await using var host = await PortalTestHost.StartAsync();
        var store = host.Services.GetRequiredService<IAuditStore>();
        for (var i = 0; i < 3; i++)
        {
            await store.AppendAsync(AuditSamples.Event(i, patient: "Patient/export-1", action: AuditActions.PatientView) with { Outcome = AuditOutcome.Success });
        }

        await store.AppendAsync(AuditSamples.Event(9, patient: "Patient/other", action: AuditActions.PatientView));
        using var compliance = await host.SignInAsync("compliance", "compliance-demo");
        var filter = "action=patient.view&patient=Patient%2Fexport-1";

        using (var bundleResponse = await compliance.GetAsync(new Uri($"/compliance/audit/export?format=fhir&{filter}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, bundleResponse.StatusCode);
            Assert.Equal("application/fhir+json", bundleResponse.Content.Headers.ContentType!.MediaType);
            Assert.Contains("attachment", bundleResponse.Content.Headers.ContentDisposition!.ToString(), StringComparison.Ordinal);
            var bundle = Strict.Deserialize<FhirBundle>(await bundleResponse.Content.ReadAsStringAsync());
            Assert.Equal(FhirBundle.BundleType.Collection, bundle.Type);
            Assert.Equal(3, bundle.Entry.Count);
            Assert.All(bundle.Entry, entry =>
            {
                var audit = Assert.IsType<FhirAuditEvent>(entry.Resource);
                Assert.Equal([BalpAuditEventMapper.PatientReadProfile], audit.Meta.Profile);
                Assert.Contains(audit.Entity, x => x.What?.Reference == "Patient/export-1");
                Assert.Equal($"urn:uuid:{audit.Id}", entry.FullUrl);
            });
        }

        using (var ndjson = await compliance.GetAsync(new Uri($"/compliance/audit/export?format=ndjson&{filter}", UriKind.Relative)))
        {
            var lines = (await ndjson.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(3, lines.Length);
            Assert.All(lines, line => Assert.Equal("Patient/export-1", Strict.Deserialize<FhirAuditEvent>(line).Entity.Single(x => x.Role?.Code == "1").What.Reference));
        }

        using (var csv = await compliance.GetAsync(new Uri($"/compliance/audit/export?format=csv&{filter}", UriKind.Relative)))
        {
            Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
            var lines = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(string.Join(',', AuditCsv.Header), lines[0]);
            Assert.Equal(4, lines.Length);
        }

        var exports = (await host.Services.GetRequiredService<IAuditReader>().SearchAsync(new AuditSearchQuery { Action = AuditActions.AuditExport })).Events;
        Assert.Equal(3, exports.Count);
        Assert.All(exports, e =>
        {
            Assert.Equal("compliance", Assert.Single(e.Actor.Roles));
            Assert.Equal("Patient/export-1", e.PatientReference);
            Assert.Contains("\"count\":3", e.DetailsJson, StringComparison.Ordinal);
            Assert.Contains("action=patient.view", e.DetailsJson, StringComparison.Ordinal);
        });

        using (var bad = await compliance.GetAsync(new Uri("/compliance/audit/export?format=csv&from=2026-05-04&to=2026-05-01&outcome=maybe&pageSize=0", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            var message = await bad.Content.ReadAsStringAsync();
            Assert.Contains("The outcome 'maybe' is unknown", message, StringComparison.Ordinal);
        }

        // A patient filter that is not a patient reference is refused, not recorded as the export's patient.
        using (var injected = await compliance.GetAsync(new Uri("/compliance/audit/export?format=csv&patient=%27%20OR%20%271%27%3D%271", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, injected.StatusCode);
            Assert.Contains("The patient filter '' OR '1'='1' is not a patient reference", await injected.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // The id alone is that patient.
        using (var bare = await compliance.GetAsync(new Uri("/compliance/audit/export?format=csv&action=patient.view&patient=export-1", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, bare.StatusCode);
            Assert.Equal("3", bare.Headers.GetValues("X-Audit-Export-Count").Single());
        }

        using (var badRange = await compliance.GetAsync(new Uri("/compliance/audit/export?format=xml&from=1970-01-01&to=2026-01-01", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badRange.StatusCode);
            var message = await badRange.Content.ReadAsStringAsync();
            Assert.Contains("10 years", message, StringComparison.Ordinal);
            Assert.Contains("The format 'xml' is unknown", message, StringComparison.Ordinal);
        }

        using var clinician = await host.SignInAsync("clinician", "clinician-demo");
        using var refused = await clinician.GetAsync(new Uri($"/compliance/audit/export?format=csv&{filter}", UriKind.Relative));
        Assert.Equal("/access-denied", refused.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.DoesNotContain("sequence,id", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var anonymous = host.CreateClient(followRedirects: false);
        using var challenged = await anonymous.GetAsync(new Uri("/compliance/audit/export?format=csv", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, challenged.StatusCode);
        // The three exports above and the one by bare id; the refused ones recorded nothing.
        var recorded = (await host.Services.GetRequiredService<IAuditReader>().SearchAsync(new AuditSearchQuery { Action = AuditActions.AuditExport })).Events;
        Assert.Equal(4, recorded.Count);
        Assert.All(recorded, e => Assert.Equal("Patient/export-1", e.PatientReference));
    }
}
