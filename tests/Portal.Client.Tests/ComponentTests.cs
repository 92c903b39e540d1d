using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.Authorization;
using Precision.Portal.Client.Components;
using Precision.Portal.Client.Layout;

namespace Precision.Portal.Client.Tests;

public sealed class ComponentTests : BunitContext
{
    public ComponentTests()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    [Theory]
    [InlineData(PortalRoles.Clinician, "patients")]
    [InlineData(PortalRoles.TumorBoard, "tumor-boards")]
    [InlineData(PortalRoles.Compliance, "compliance")]
    [InlineData(PortalRoles.Admin, "compliance", "administration")]
    public void Navigation_shows_exactly_the_sections_of_the_role(string role, params string[] hrefs)
    {
        AddAuthorization().SetAuthorized("Test User").SetRoles(role);

        var nav = Render<NavMenu>();

        var links = nav.FindAll("[data-testid^=nav-]").Select(a => a.GetAttribute("data-testid")).ToList();
        Assert.Equal(hrefs.Select(h => "nav-" + h), links);
    }

    [Fact]
    public void Navigation_for_an_unknown_role_shows_no_sections()
    {
        AddAuthorization().SetAuthorized("Visitor").SetRoles("janitor");

        var nav = Render<NavMenu>();

        Assert.Empty(nav.FindAll("[data-testid^=nav-]"));
    }

    [Fact]
    public void Audited_content_is_shown_only_after_its_event_is_recorded()
    {
        var trail = new RecordingAuditTrail();
        Services.AddSingleton<IAuditTrail>(trail);
        var entry = new AuditEntry(AuditActions.PatientView, AuditOutcome.Success, "Patient/42");

        var cut = Render<AuditedContent>(p => p
            .Add(c => c.Entry, entry)
            .Add(c => c.ChildContent, receipt => builder => builder.AddMarkupContent(0, $"<p id=\"shown\">{receipt.EventId}</p>")));

        cut.WaitForElement("#shown");
        Assert.Equal([entry], trail.Recorded);
        Assert.Equal(trail.LastReceipt!.EventId.ToString(), cut.Find("#shown").TextContent);
    }

    [Fact]
    public void Audited_content_with_a_fake_failing_audit_trail_shows_the_reason_and_not_the_content()
    {
        Services.AddSingleton<IAuditTrail>(new FakeAuditTrailThatFails("The audit trail could not be written to /data/audit.db: disk full."));

        var cut = Render<AuditedContent>(p => p
            .Add(c => c.Entry, new AuditEntry(AuditActions.PatientView, AuditOutcome.Success, "Patient/42"))
            .Add(c => c.ChildContent, _ => builder => builder.AddMarkupContent(0, "<p id=\"shown\">secret</p>")));

        cut.WaitForElement("[data-testid=audit-failure]");
        Assert.Empty(cut.FindAll("#shown"));
        Assert.Contains("disk full", cut.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void Research_use_notice_says_synthetic_data_and_research_use_only()
    {
        var cut = Render<ResearchUseNotice>();
        Assert.Contains("Synthetic data — research use only", cut.Markup, StringComparison.Ordinal);
        Assert.Contains("Not for clinical decisions", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void Activity_chart_without_events_says_so()
    {
        var cut = Render<AuditActivityChart>(p => p.Add(c => c.Buckets, []));
        Assert.NotNull(cut.Find("[data-testid=activity-empty]"));
    }

    [Theory]
    [InlineData("abc-123", true)]
    [InlineData("A.b-9", true)]
    [InlineData("", false)]
    [InlineData("has space", false)]
    [InlineData("semi;colon", false)]
    [InlineData("../etc", false)]
    public void Fhir_id_follows_the_r4_id_datatype(string id, bool valid) => Assert.Equal(valid, FhirId.IsValid(id));

    [Fact]
    public void Fhir_id_longer_than_64_characters_is_invalid() => Assert.False(FhirId.IsValid(new string('a', 65)));

    private sealed class RecordingAuditTrail : IAuditTrail
    {
        public List<AuditEntry> Recorded { get; } = [];

        public AuditReceipt? LastReceipt { get; private set; }

        public Task<AuditReceipt> RecordAsync(AuditEntry entry, CancellationToken cancellationToken = default)
        {
            Recorded.Add(entry);
            LastReceipt = new AuditReceipt(Guid.NewGuid(), Recorded.Count, DateTimeOffset.UtcNow);
            return Task.FromResult(LastReceipt);
        }
    }

    private sealed class FakeAuditTrailThatFails(string message) : IAuditTrail
    {
        public Task<AuditReceipt> RecordAsync(AuditEntry entry, CancellationToken cancellationToken = default) =>
            Task.FromException<AuditReceipt>(new AuditWriteException(message));
    }
}
