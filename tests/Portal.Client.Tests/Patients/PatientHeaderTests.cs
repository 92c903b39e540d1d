using Bunit;
using Precision.Clinical;
using Precision.Portal.Client.Components;
using Precision.Portal.Client.Pages.Patients.Record;

namespace Precision.Portal.Client.Tests.Patients;

/// <summary>The patient header: diagnosis in the record's words, unsupported cancers marked, metastatic sites, vital status, bounded text.</summary>
public sealed class PatientHeaderTests : MudTestContext
{
    [Fact]
    public void A_cancer_the_model_does_not_cover_shows_the_records_words_a_not_supported_marker_and_the_note()
    {
        var cut = Render<PatientHeader>(p => p.Add(c => c.Profile, TestProfiles.Build(cancers: [TestProfiles.Mesothelioma()])));

        var diagnosis = cut.Find("[data-testid=patient-diagnosis]");
        Assert.Contains("Malignant mesothelioma of pleura (C45.0)", diagnosis.TextContent, StringComparison.Ordinal);
        Assert.Contains("Not supported by the model", cut.Find("[data-testid=diagnosis-unsupported]").TextContent, StringComparison.Ordinal);
        Assert.Contains("outside the model's six cancer types", cut.Find("[data-testid=diagnosis-note]").TextContent, StringComparison.Ordinal);
        Assert.Contains("Condition/cond-meso", diagnosis.QuerySelector("[data-testid=source-ref]")!.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void A_supported_cancer_shows_its_type_and_icd10_without_a_marker()
    {
        var cut = Render<PatientHeader>(p => p.Add(c => c.Profile, TestProfiles.Build()));

        Assert.Contains("Non-small cell lung cancer (C34.90)", cut.Find("[data-testid=patient-diagnosis]").TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=diagnosis-unsupported]"));
        Assert.Empty(cut.FindAll("[data-testid=patient-deceased]"));
        Assert.Empty(cut.FindAll("[data-testid=patient-metastatic]"));
    }

    [Fact]
    public void A_deceased_patient_has_a_clear_chip_with_the_date_and_its_source_and_the_age_at_death()
    {
        var profile = TestProfiles.Build() with { VitalStatus = new VitalStatus(new DateOnly(2025, 2, 14), TestProfiles.Patient) };

        var cut = Render<PatientHeader>(p => p.Add(c => c.Profile, profile));

        var deceased = cut.Find("[data-testid=patient-deceased]");
        Assert.Contains("Deceased 2025-02-14", deceased.TextContent, StringComparison.Ordinal);
        Assert.Equal("Patient/p1", deceased.QuerySelector("[data-testid=source-ref]")!.TextContent);
        Assert.Contains("66 years at death", cut.Find("[data-testid=patient-header]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void A_deceased_patient_without_a_date_is_still_marked()
    {
        var profile = TestProfiles.Build() with { VitalStatus = new VitalStatus(null, TestProfiles.Patient) };

        var cut = Render<PatientHeader>(p => p.Add(c => c.Profile, profile));

        Assert.Contains("Deceased", cut.Find("[data-testid=patient-deceased]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Metastatic_sites_are_listed_once_each_with_their_sources()
    {
        var primary = TestProfiles.Lung();
        var profile = TestProfiles.Build(cancers: [primary]) with
        {
            SecondaryCancers =
            [
                TestProfiles.Metastasis("liver", "met-liver", primary.Source),
                TestProfiles.Metastasis("bone", "met-bone", null),
                TestProfiles.Metastasis("Liver", "met-liver-2", primary.Source),
            ],
        };

        var cut = Render<PatientHeader>(p => p.Add(c => c.Profile, profile));

        var metastatic = cut.Find("[data-testid=patient-metastatic]");
        Assert.Contains("Metastatic sites", metastatic.TextContent, StringComparison.Ordinal);
        var sites = cut.FindAll("[data-testid=metastatic-site]");
        Assert.Equal(["liver", "bone"], sites.Select(s => s.QuerySelector(".bounded-text")!.TextContent));
        Assert.Equal(["Condition/met-liver", "Condition/met-bone"], sites.Select(s => s.QuerySelector("[data-testid=source-ref]")!.TextContent));
    }

    [Fact]
    public void Megabyte_names_and_displays_are_shortened_on_screen_with_the_full_text_in_the_title()
    {
        var longName = "Maria " + new string('x', 2_000);
        var longDisplay = "Malignant neoplasm " + string.Concat(Enumerable.Repeat("of an extremely verbose site ", 40_000));
        var cancer = TestProfiles.Mesothelioma() with { Code = new CodedConcept("http://snomed.info/sct", "1", longDisplay) };

        var cut = Render<PatientHeader>(p => p.Add(c => c.Profile, TestProfiles.Build(cancers: [cancer], name: longName)));

        var name = cut.Find("[data-testid=patient-name] .bounded-text");
        Assert.Equal(80, name.TextContent.Length);
        Assert.EndsWith("…", name.TextContent, StringComparison.Ordinal);
        Assert.Equal(longName, name.GetAttribute("title"));
        var diagnosis = cut.Find("[data-testid=patient-diagnosis] .bounded-text");
        Assert.True(diagnosis.TextContent.Length <= TextBounds.DefaultLength);
        Assert.StartsWith("Malignant neoplasm of an extremely", diagnosis.TextContent, StringComparison.Ordinal);
        // The title holds the whole text up to the page's own cap, and says how long the record's text was.
        var title = diagnosis.GetAttribute("title")!;
        Assert.StartsWith(longDisplay[..TextBounds.MaxTitleLength], title, StringComparison.Ordinal);
        Assert.Contains("characters in the record", title, StringComparison.Ordinal);
        Assert.True(cut.Markup.Length < 40_000, $"The header's markup is {cut.Markup.Length} characters.");
    }
}
