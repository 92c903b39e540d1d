using System.Text;
using Hl7.Fhir.Model;
using Precision.Portal.Client.Audit;
using PortalAuditEvent = Precision.Portal.Client.Audit.AuditEvent;
using FhirAuditEvent = Hl7.Fhir.Model.AuditEvent;

namespace Precision.Portal.Server.Audit.Export;

/// <summary>
/// The portal's audit events as FHIR R4 <c>AuditEvent</c>s following IHE Basic Audit Log Patterns (BALP 1.1):
/// <c>patient.view</c> → PatientRead, patient searches → PatientQuery, <c>prediction.*</c> (incl. feedback) →
/// PatientCreate (Create without a patient); sign-in/out as DICOM User Authentication; everything else generic.
/// BALP profiles describe successful interactions only, so a profile is claimed only for outcome Success; refused and
/// failed events keep the same shape with outcome 4/8 and no profile claim.
/// </summary>
public static class BalpAuditEventMapper
{
    public const string ProfileBase = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/";
    public const string PatientReadProfile = ProfileBase + "IHE.BasicAudit.PatientRead";
    public const string ReadProfile = ProfileBase + "IHE.BasicAudit.Read";
    public const string PatientQueryProfile = ProfileBase + "IHE.BasicAudit.PatientQuery";
    public const string QueryProfile = ProfileBase + "IHE.BasicAudit.Query";
    public const string PatientCreateProfile = ProfileBase + "IHE.BasicAudit.PatientCreate";
    public const string CreateProfile = ProfileBase + "IHE.BasicAudit.Create";

    /// <summary>The portal's own action names, kept as an extra subtype so nothing is lost in translation.</summary>
    public const string PortalActionSystem = "urn:precision-portal:audit-action";

    private const string AuditEventType = "http://terminology.hl7.org/CodeSystem/audit-event-type";
    private const string RestfulInteraction = "http://hl7.org/fhir/restful-interaction";
    private const string Dicom = "http://dicom.nema.org/resources/ontology/DCM";
    private const string ParticipationType = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
    private const string EntityType = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
    private const string ObjectRole = "http://terminology.hl7.org/CodeSystem/object-role";
    private const string BalpEntityType = "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType";
    private const string SourceType = "http://terminology.hl7.org/CodeSystem/security-source-type";

    private enum Pattern
    {
        Read,
        Query,
        Create,
        Login,
        Logout,
        AuditLogUsed,
        Generic,
    }

    /// <summary>The BALP profile an event is exported under, or null (generic, or not a success).</summary>
    public static string? ProfileOf(PortalAuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.Outcome != AuditOutcome.Success)
        {
            return null;
        }

        var patient = e.PatientReference is not null;
        return PatternOf(e.Action) switch
        {
            Pattern.Read => patient ? PatientReadProfile : ReadProfile,
            Pattern.Query => patient ? PatientQueryProfile : QueryProfile,
            Pattern.Create => patient ? PatientCreateProfile : CreateProfile,
            _ => null,
        };
    }

    public static FhirAuditEvent ToFhir(PortalAuditEvent e, string serverName)
    {
        ArgumentNullException.ThrowIfNull(e);
        var pattern = PatternOf(e.Action);
        var fhir = new FhirAuditEvent
        {
            Id = e.Id.ToString("D"),
            Recorded = e.OccurredUtc,
            Outcome = e.Outcome switch
            {
                AuditOutcome.Success => FhirAuditEvent.AuditEventOutcome.N0,
                AuditOutcome.Denied => FhirAuditEvent.AuditEventOutcome.N4,
                _ => FhirAuditEvent.AuditEventOutcome.N8,
            },
            OutcomeDesc = e.Outcome == AuditOutcome.Success ? null : e.Outcome == AuditOutcome.Denied ? "Access denied" : "Failed",
            Source = new FhirAuditEvent.SourceComponent
            {
                Site = serverName,
                Observer = new ResourceReference { Display = "Precision Portal", Identifier = new Identifier("urn:precision-portal:server", serverName) },
                Type = [new Coding(SourceType, "4", "Application Server")],
            },
        };

        if (ProfileOf(e) is { } profile)
        {
            fhir.Meta = new Meta { Profile = [profile] };
        }

        switch (pattern)
        {
            case Pattern.Read:
                fhir.Type = new Coding(AuditEventType, "rest", "Restful Operation");
                fhir.Subtype.Add(new Coding(RestfulInteraction, "read", "read"));
                fhir.Action = FhirAuditEvent.AuditEventAction.R;
                // BALP Read: the client is the Destination Role ID, the server the Source Role ID (data flows to the client).
                fhir.Agent.Add(Machine("110152", "Destination Role ID", e.ClientAddress, client: true));
                fhir.Agent.Add(Machine("110153", "Source Role ID", serverName, client: false));
                fhir.Agent.Add(User(e, "IRCP", "information recipient"));
                fhir.Entity.Add(Data(e, e.PatientReference is { } read ? new ResourceReference(read) : Record(e)));
                break;
            case Pattern.Query:
                fhir.Type = new Coding(AuditEventType, "rest", "Restful Operation");
                fhir.Subtype.Add(new Coding(RestfulInteraction, "search-type", "search-type"));
                fhir.Action = FhirAuditEvent.AuditEventAction.E;
                fhir.Agent.Add(Machine("110153", "Source Role ID", e.ClientAddress, client: true));
                fhir.Agent.Add(Machine("110152", "Destination Role ID", serverName, client: false));
                fhir.Agent.Add(User(e, "IRCP", "information recipient"));
                var query = e.Target ?? e.DetailsJson ?? e.Action;
                fhir.Entity.Add(new FhirAuditEvent.EntityComponent
                {
                    Type = new Coding(EntityType, "2", "System Object"),
                    Role = new Coding(ObjectRole, "24", "Query"),
                    Query = Encoding.UTF8.GetBytes(query),
                    Description = query,
                });
                break;
            case Pattern.Create:
                fhir.Type = new Coding(AuditEventType, "rest", "Restful Operation");
                fhir.Subtype.Add(new Coding(RestfulInteraction, "create", "create"));
                fhir.Action = FhirAuditEvent.AuditEventAction.C;
                fhir.Agent.Add(Machine("110153", "Source Role ID", e.ClientAddress, client: true));
                fhir.Agent.Add(Machine("110152", "Destination Role ID", serverName, client: false));
                fhir.Agent.Add(User(e, "AUT", "author"));
                fhir.Entity.Add(Data(e, Record(e)));
                break;
            case Pattern.Login or Pattern.Logout:
                fhir.Type = new Coding(Dicom, "110114", "User Authentication");
                fhir.Subtype.Add(pattern == Pattern.Login ? new Coding(Dicom, "110122", "Login") : new Coding(Dicom, "110123", "Logout"));
                fhir.Action = FhirAuditEvent.AuditEventAction.E;
                fhir.Agent.Add(User(e, "IRCP", "information recipient"));
                fhir.Agent.Add(Machine("110153", "Source Role ID", e.ClientAddress, client: true));
                fhir.Entity.Add(Data(e, Record(e)));
                break;
            default:
                fhir.Type = pattern == Pattern.AuditLogUsed
                    ? new Coding(Dicom, "110101", "Audit Log Used")
                    : new Coding(Dicom, "110100", "Application Activity");
                fhir.Action = FhirAuditEvent.AuditEventAction.E;
                fhir.Agent.Add(User(e, "IRCP", "information recipient"));
                if (e.ClientAddress is not null)
                {
                    fhir.Agent.Add(Machine("110153", "Source Role ID", e.ClientAddress, client: true));
                }

                fhir.Entity.Add(Data(e, Record(e)));
                break;
        }

        fhir.Subtype.Add(new Coding(PortalActionSystem, e.Action));
        if (e.PatientReference is { } patient)
        {
            fhir.Entity.Add(new FhirAuditEvent.EntityComponent
            {
                What = new ResourceReference(patient),
                Type = new Coding(EntityType, "1", "Person"),
                Role = new Coding(ObjectRole, "1", "Patient"),
            });
        }

        if (e.CorrelationId is { } correlation)
        {
            fhir.Entity.Add(new FhirAuditEvent.EntityComponent
            {
                Type = new Coding(BalpEntityType, "XrequestId", "X-Request-Id"),
                What = new ResourceReference { Identifier = new Identifier(null, correlation) },
            });
        }

        return fhir;
    }

    private static Pattern PatternOf(string action) => action switch
    {
        AuditActions.PatientView or AuditActions.DecisionRecordView => Pattern.Read,
        AuditActions.SignIn or AuditActions.SignInFailed => Pattern.Login,
        AuditActions.SignOut => Pattern.Logout,
        _ when action.StartsWith("patient.search", StringComparison.Ordinal) || action.StartsWith("patient.query", StringComparison.Ordinal)
            || action.StartsWith("patient.list", StringComparison.Ordinal) => Pattern.Query,
        _ when action.StartsWith("prediction.", StringComparison.Ordinal) || action.StartsWith("feedback.", StringComparison.Ordinal) => Pattern.Create,
        _ when action.StartsWith("audit.", StringComparison.Ordinal) => Pattern.AuditLogUsed,
        _ => Pattern.Generic,
    };

    private static FhirAuditEvent.AgentComponent Machine(string code, string display, string? address, bool client) => new()
    {
        Type = new CodeableConcept(Dicom, code, display),
        Who = new ResourceReference
        {
            Identifier = new Identifier(client ? "urn:precision-portal:client-address" : "urn:precision-portal:server", address ?? "unknown"),
            Display = client ? "Browser" : "Precision Portal",
        },
        Requestor = false,
        Network = address is null ? null : new FhirAuditEvent.NetworkComponent
        {
            Address = address,
            Type = System.Net.IPAddress.TryParse(address, out _) ? FhirAuditEvent.AuditEventAgentNetworkType.N2 : FhirAuditEvent.AuditEventAgentNetworkType.N1,
        },
    };

    private static FhirAuditEvent.AgentComponent User(PortalAuditEvent e, string code, string display) => new()
    {
        Type = new CodeableConcept(ParticipationType, code, display),
        Who = new ResourceReference { Identifier = new Identifier("urn:precision-portal:subject", e.Actor.Subject), Display = e.Actor.DisplayName },
        Name = e.Actor.DisplayName,
        Requestor = true,
        Role = [.. e.Actor.Roles.Select(r => new CodeableConcept("urn:precision-portal:role", r, r))],
    };

    /// <summary>The portal's own record of the event, for entities that name no FHIR resource.</summary>
    private static ResourceReference Record(PortalAuditEvent e) => new()
    {
        Identifier = new Identifier("urn:precision-portal:audit-event", $"urn:uuid:{e.Id:D}"),
        Display = e.Target ?? e.Action,
    };

    private static FhirAuditEvent.EntityComponent Data(PortalAuditEvent e, ResourceReference what)
    {
        var entity = new FhirAuditEvent.EntityComponent
        {
            What = what,
            Type = new Coding(EntityType, "2", "System Object"),
            Role = new Coding(ObjectRole, "4", "Domain Resource"),
            Description = e.Target,
        };
        entity.Detail.Add(new FhirAuditEvent.DetailComponent { Type = "sequence", Value = new FhirString(e.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)) });
        entity.Detail.Add(new FhirAuditEvent.DetailComponent { Type = "hash", Value = new FhirString(e.Hash) });
        if (e.DetailsJson is { } details)
        {
            entity.Detail.Add(new FhirAuditEvent.DetailComponent { Type = "details", Value = new FhirString(details) });
        }

        return entity;
    }
}
