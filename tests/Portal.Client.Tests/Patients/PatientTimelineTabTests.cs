using Bunit;
using Plotly.Blazor;
using Plotly.Blazor.Traces;
using Precision.Clinical;
using Precision.Portal.Client.Pages.Patients.Record;

namespace Precision.Portal.Client.Tests.Patients;

/// <summary>The timeline's traces and tables (Plotly draws them in the browser; the browser tests check that it does).</summary>
public sealed class PatientTimelineTabTests : MudTestContext
{
    private static TherapyMedication Drug(string name, string id) => new(name, new CodedConcept("http://www.nlm.nih.gov/research/umls/rxnorm", "1", name), new SourceReference("MedicationRequest", id));

    private static PatientProfile Treated() => TestProfiles.Build(lines:
        [
            new TherapyLine(1, "osimertinib", [Drug("Osimertinib", "mr-osi")], new DateOnly(2024, 2, 1), new DateOnly(2024, 11, 1), RecistResponse.PartialResponse,
                new DateOnly(2024, 5, 1), new SourceReference("Observation", "resp-1")) { Intent = TreatmentIntent.Palliative },
        ]) with
    {
        CurativeIntentTherapies =
        [
            new TherapyLine(0, null, [Drug("Cisplatin", "mr-cis"), Drug("Vinorelbine", "mr-vin")], new DateOnly(2023, 5, 1), new DateOnly(2023, 8, 1), null, null, null)
            {
                Intent = TreatmentIntent.Curative,
            },
        ],
        Procedures =
        [
            new CancerProcedure(CancerProcedureKind.Surgery, new CodedConcept("http://snomed.info/sct", "173171007", "Lobectomy of lung"), "Left upper lobectomy",
                new DateOnly(2023, 4, 1), null, "Left upper lobe", TreatmentIntent.Curative, new SourceReference("Procedure", "surg-1")),
            new CancerProcedure(CancerProcedureKind.Radiotherapy, new CodedConcept("http://snomed.info/sct", "1", "SBRT"), "Stereotactic radiotherapy to T8",
                new DateOnly(2024, 12, 1), new DateOnly(2024, 12, 12), "Spine", TreatmentIntent.Palliative, new SourceReference("Procedure", "rt-1")),
        ],
    };

    [Fact]
    public void Curative_intent_courses_have_their_own_track_and_are_never_numbered_lines()
    {
        var cut = Render<PatientTimelineTab>(p => p.Add(c => c.Profile, Treated()));

        var chart = TherapyChart(cut);
        var curative = chart.Data.OfType<Scatter>().Single(t => t.Name.StartsWith("Curative intent", StringComparison.Ordinal));
        Assert.Equal("Curative intent (not a numbered line): Cisplatin + Vinorelbine", curative.Name);
        Assert.All(curative.Y, y => Assert.Equal("Curative / adjuvant", y));
        Assert.Equal(["Curative / adjuvant", "Surgery", "Radiotherapy", "Line 1"], chart.Layout.YAxis[0].CategoryArray.Cast<string>());

        var course = Assert.Single(cut.FindAll("[data-testid=curative-course]"));
        Assert.Contains("Cisplatin + Vinorelbine", course.TextContent, StringComparison.Ordinal);
        Assert.Contains("Curative / adjuvant", course.TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("Cisplatin", cut.Find("[data-testid=therapy-lines]").TextContent, StringComparison.Ordinal);
        Assert.Contains("Palliative", cut.Find("[data-testid=therapy-lines]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Surgery_and_radiotherapy_are_drawn_with_their_labels_and_intent_and_listed()
    {
        var cut = Render<PatientTimelineTab>(p => p.Add(c => c.Profile, Treated()));

        var traces = TherapyChart(cut).Data.OfType<Scatter>().ToList();
        var surgery = traces.Single(t => t.Name == "Surgery");
        Assert.Equal(["Left upper lobectomy"], surgery.TextArray);
        Assert.Equal(["Surgery: Left upper lobectomy (curative)"], surgery.HoverTextArray);
        Assert.Equal([new DateTime(2023, 4, 1)], surgery.X.Cast<DateTime>());
        var radiotherapy = traces.Single(t => t.Name.StartsWith("Radiotherapy", StringComparison.Ordinal));
        Assert.Equal("Radiotherapy: Stereotactic radiotherapy to T8 (palliative)", radiotherapy.Name);
        Assert.Equal([new DateTime(2024, 12, 1), new DateTime(2024, 12, 12)], radiotherapy.X.Cast<DateTime>());

        var rows = cut.FindAll("[data-testid=procedure-row]");
        Assert.Equal(["Surgery", "Radiotherapy"], rows.Select(r => r.GetAttribute("data-kind")));
        Assert.Contains("Left upper lobectomy", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("Curative", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("Procedure/rt-1", rows[1].TextContent, StringComparison.Ordinal);
        Assert.Contains("1 curative-intent course on their own track, 1 surgery, 1 radiotherapy course", cut.Find("[data-testid=therapy-timeline]").GetAttribute("aria-label"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_date_of_death_is_marked_on_the_chart_and_stated_above_it()
    {
        var profile = Treated() with { VitalStatus = new VitalStatus(new DateOnly(2025, 2, 14), TestProfiles.Patient) };

        var cut = Render<PatientTimelineTab>(p => p.Add(c => c.Profile, profile));

        var layout = TherapyChart(cut).Layout;
        var line = Assert.Single(layout.Shapes);
        Assert.Equal(new DateTime(2025, 2, 14), line.X0);
        Assert.Equal(new DateTime(2025, 2, 14), line.X1);
        Assert.Equal("Deceased 2025-02-14", Assert.Single(layout.Annotations).Text);
        Assert.Contains("Deceased 2025-02-14", cut.Find("[data-testid=timeline-deceased]").TextContent, StringComparison.Ordinal);
        Assert.Contains("Patient/p1", cut.Find("[data-testid=timeline-deceased]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Lines_and_their_best_response_stay_as_before()
    {
        var cut = Render<PatientTimelineTab>(p => p.Add(c => c.Profile, Treated()));

        var traces = TherapyChart(cut).Data.OfType<Scatter>().ToList();
        Assert.Contains(traces, t => t.Name == "Line 1: Osimertinib" && t.Y.All(y => (string)y == "Line 1"));
        Assert.Contains(traces, t => t.Name == "Partial response (PR)");
        Assert.Empty(cut.FindAll("[data-testid=timeline-deceased]"));
        Assert.Null(TherapyChart(cut).Layout.Shapes);
    }

    [Fact]
    public void A_record_with_only_procedures_still_gets_a_timeline()
    {
        var profile = TestProfiles.Build() with { Procedures = Treated().Procedures };

        var cut = Render<PatientTimelineTab>(p => p.Add(c => c.Profile, profile));

        Assert.NotNull(cut.Find("[data-testid=therapy-timeline]"));
        Assert.NotNull(cut.Find("[data-testid=no-therapy-lines]"));
        Assert.Equal(2, cut.FindAll("[data-testid=procedure-row]").Count);
    }

    private static PlotlyChart TherapyChart(IRenderedComponent<PatientTimelineTab> cut) =>
        cut.FindComponents<PlotlyChart>().Single(c => c.Instance.Id == "therapy-timeline").Instance;
}
