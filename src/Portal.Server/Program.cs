using Precision.Portal.Server.Audit;
using Precision.Portal.Server.Audit.Export;
using Precision.Portal.Server.Authentication;
using Precision.Portal.Server.Compliance;
using Precision.Portal.Server.Compliance.Monitoring;
using Precision.Portal.Server.Health;
using Precision.Portal.Server.Hosting;
using Precision.Portal.Server.ModelVersions;
using Precision.Portal.Server.Patients;
using Precision.Portal.Server.Predictions;
using Precision.Portal.Server.TumorBoards;

var builder = WebApplication.CreateBuilder(args);

builder.AddPortalObservability();
builder.AddPortalAuthentication();
builder.AddPortalAuditTrail();
builder.AddPortalHealthChecks();
builder.AddPortalPatientRecords();
builder.AddPortalEfficacyModel();
builder.AddPortalPredictions();
builder.AddPortalModelRegistry();
builder.AddPortalDecisionRecords();
builder.AddPortalMonitoring();
builder.AddPortalTumorBoards();
builder.AddPortalUserInterface();

var app = builder.Build();

app.UsePortalPipeline();
app.MapPortalHealthChecks();
app.MapPortalAccountEndpoints();
app.MapPortalAuditEndpoints();
app.MapPortalTumorBoards();
app.MapPortalUserInterface();

await app.RunAsync();

/// <summary>Entry point, public so integration tests can host the portal.</summary>
public partial class Program;
