using Bunit;
using Precision.Clinical;
using Precision.Portal.Client.Pages.Patients.Record;

namespace Precision.Portal.Client.Tests.Patients;

public sealed class PatientSummaryTabTests : MudTestContext
{
    [Fact]
    public void Each_primary_cancer_shows_its_clinical_status_histology_and_note_and_which_one_predictions_use()
    {
        var lung = TestProfiles.Lung() with
        {
            Histology = new CodedConcept("http://terminology.hl7.org/CodeSystem/icd-o-3", "8140/3", "Adenocarcinoma, NOS"),
        };
        var meso = TestProfiles.Mesothelioma() with { ClinicalStatus = "remission", DiagnosedOn = new DateOnly(2019, 1, 1) };

        var cut = Render<PatientSummaryTab>(p => p.Add(c => c.Profile, TestProfiles.Build(cancers: [meso, lung])));

        var conditions = cut.FindAll("[data-testid=condition]");
        Assert.Equal(2, conditions.Count);
        var mesoCard = conditions[0];
        Assert.Equal("Malignant mesothelioma of pleura", mesoCard.QuerySelector("[data-testid=condition-name]")!.TextContent);
        Assert.Equal("In remission", mesoCard.QuerySelector("[data-testid=condition-status]")!.TextContent.Trim());
        Assert.NotNull(mesoCard.QuerySelector("[data-testid=condition-unsupported]"));
        Assert.Contains("outside the model's six cancer types", mesoCard.QuerySelector("[data-testid=condition-note]")!.TextContent, StringComparison.Ordinal);
        Assert.Contains("not recorded", mesoCard.QuerySelector("[data-testid=condition-histology]")!.TextContent, StringComparison.Ordinal);
        Assert.Null(mesoCard.QuerySelector("[data-testid=condition-predicted-for]"));

        var lungCard = conditions[1];
        Assert.Equal("Active", lungCard.QuerySelector("[data-testid=condition-status]")!.TextContent.Trim());
        Assert.Contains("Adenocarcinoma, NOS", lungCard.QuerySelector("[data-testid=condition-histology]")!.TextContent, StringComparison.Ordinal);
        Assert.Contains("ICD-O-3 8140/3", lungCard.QuerySelector("[data-testid=condition-histology]")!.TextContent, StringComparison.Ordinal);
        Assert.Contains("Recorded as Non-small cell lung cancer (disorder)", lungCard.TextContent, StringComparison.Ordinal);
        Assert.NotNull(lungCard.QuerySelector("[data-testid=condition-predicted-for]"));
        Assert.Null(lungCard.QuerySelector("[data-testid=condition-unsupported]"));
    }

    [Fact]
    public void Metastatic_sites_are_listed_under_their_primary_and_the_others_as_primary_not_linked()
    {
        var lung = TestProfiles.Lung();
        var profile = TestProfiles.Build(cancers: [lung]) with
        {
            SecondaryCancers =
            [
                TestProfiles.Metastasis("Liver", "met-liver", lung.Source with { VersionId = "3" }),
                TestProfiles.Metastasis("Bone", "met-bone", null),
                TestProfiles.Metastasis("Brain", "met-brain", new SourceReference("Condition", "not-a-primary")),
            ],
        };

        var cut = Render<PatientSummaryTab>(p => p.Add(c => c.Profile, profile));

        var underLung = cut.Find("[data-testid=condition] [data-testid=condition-metastases]");
        Assert.Equal(["Liver"], underLung.QuerySelectorAll("[data-testid=metastasis] .bounded-text").Select(e => e.TextContent));
        var unlinked = cut.Find("[data-testid=unlinked-metastases]");
        Assert.Contains("primary not linked", unlinked.TextContent, StringComparison.Ordinal);
        var rows = unlinked.QuerySelectorAll("[data-testid=metastasis]");
        Assert.Equal(2, rows.Length);
        Assert.Contains("Bone", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("Condition/met-bone", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("names Condition/not-a-primary, which is not a primary cancer in this record", rows[1].TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Metastatic_sites_without_any_primary_are_still_shown()
    {
        var profile = TestProfiles.Build(cancers: []) with { SecondaryCancers = [TestProfiles.Metastasis("Liver", "met-liver", null)] };

        var cut = Render<PatientSummaryTab>(p => p.Add(c => c.Profile, profile));

        Assert.NotNull(cut.Find("[data-testid=no-primary-cancer]"));
        Assert.Contains("Liver", cut.Find("[data-testid=unlinked-metastases]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Surgery_and_radiotherapy_are_summarised_with_their_intent()
    {
        var profile = TestProfiles.Build() with
        {
            Procedures =
            [
                new CancerProcedure(CancerProcedureKind.Radiotherapy, new CodedConcept("http://snomed.info/sct", "1", "SBRT"), "Stereotactic body radiotherapy to spine",
                    new DateOnly(2024, 5, 1), new DateOnly(2024, 5, 10), "Spine", TreatmentIntent.Palliative, new SourceReference("Procedure", "rt-1")),
                new CancerProcedure(CancerProcedureKind.Surgery, new CodedConcept("http://snomed.info/sct", "2", "Lobectomy"), "Left upper lobectomy",
                    new DateOnly(2023, 4, 1), null, "Lung", TreatmentIntent.Curative, new SourceReference("Procedure", "surg-1")),
            ],
        };

        var cut = Render<PatientSummaryTab>(p => p.Add(c => c.Profile, profile));

        var items = cut.FindAll("[data-testid=summary-procedure]");
        Assert.Contains("2023-04-01 · Surgery: Left upper lobectomy · Curative", items[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("Radiotherapy: Stereotactic body radiotherapy to spine · Palliative", items[1].TextContent, StringComparison.Ordinal);
        Assert.Contains("Procedure/rt-1", items[1].TextContent, StringComparison.Ordinal);
    }
}
