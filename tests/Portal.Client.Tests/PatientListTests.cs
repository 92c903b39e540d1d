using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Precision.Clinical;
using Precision.Portal.Client.Pages.Patients;
using Precision.Portal.Client.Patients;

namespace Precision.Portal.Client.Tests;

/// <summary>The patient list's Diagnosis column (the mapped primary in the record's words, bounded) and its notice.</summary>
public sealed class PatientListTests : BunitContext, IAsyncLifetime
{
    public PatientListTests()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    // MudBlazor registers services that only dispose asynchronously.
    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    [Fact]
    public void The_diagnosis_column_shows_the_label_bounded_with_the_whole_text_in_its_title_and_the_notice_above()
    {
        var longLabel = "Malignant mesothelioma of pleura, biphasic type, with extension into the chest wall and the diaphragm";
        var page = new PatientPage(
        [
            new PatientSummary("p1", "Otto Othercancer", "MRN-1", new DateOnly(1960, 1, 1), AdministrativeSex.Male, CancerType.Other, longLabel),
            new PatientSummary("p2", "Lena Lung", "MRN-2", new DateOnly(1970, 1, 1), AdministrativeSex.Female, CancerType.NonSmallCellLungCancer, "Non-small cell lung cancer"),
            new PatientSummary("p3", "Nia Nocancer", "MRN-3", null, AdministrativeSex.Female, null, null),
        ], 3, 0, 25) { Notice = "Only the first 5,000 of 12,000 patients (in name order) were checked." };
        Services.AddSingleton<IPatientDirectory>(new ListDirectory(page));
        Render<MudPopoverProvider>();

        var cut = Render<PatientList>();

        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-testid=patient-list-diagnosis]").Count));
        var cells = cut.FindAll("[data-testid=patient-list-diagnosis]");
        var shown = cells[0].TextContent.Trim();
        Assert.InRange(shown.Length, 75, 80);
        Assert.EndsWith("…", shown, StringComparison.Ordinal);
        Assert.StartsWith(shown[..^1], longLabel, StringComparison.Ordinal);
        Assert.Equal(longLabel, cells[0].GetAttribute("title"));
        Assert.Equal("Non-small cell lung cancer", cells[1].TextContent.Trim());
        Assert.Equal("—", cells[2].TextContent.Trim());
        cut.WaitForAssertion(() => Assert.Contains("Only the first 5,000", cut.Find("[data-testid=patient-list-notice]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public void A_deceased_patient_is_marked_with_the_age_at_death_and_an_unsupported_cancer_is_said_so()
    {
        var page = new PatientPage(
        [
            new PatientSummary("p1", "Dora Deceased", "MRN-1", new DateOnly(1960, 4, 12), AdministrativeSex.Female, CancerType.NonSmallCellLungCancer, "Non-small cell lung cancer")
            {
                VitalStatus = new VitalStatus(new DateOnly(2025, 3, 2), new SourceReference("Patient", "p1")),
            },
            new PatientSummary("p2", "Simon Smallcell", "MRN-2", new DateOnly(1955, 1, 20), AdministrativeSex.Male, CancerType.Other, "Small cell carcinoma of lung"),
        ], 2, 0, 25);
        Services.AddSingleton<IPatientDirectory>(new ListDirectory(page));
        Render<MudPopoverProvider>();

        var cut = Render<PatientList>();

        cut.WaitForAssertion(() => Assert.Equal("Deceased 2025-03-02", cut.Find("[data-testid=patient-list-deceased]").TextContent.Trim()));
        var rows = cut.FindAll("tbody tr");
        Assert.Contains(">64<", rows[0].InnerHtml, StringComparison.Ordinal); // age at death, not today
        Assert.Single(cut.FindAll("[data-testid=patient-list-unsupported]"));
        Assert.Contains("not supported by the model", rows[1].TextContent, StringComparison.Ordinal);
    }

    private sealed class ListDirectory(PatientPage page) : IPatientDirectory
    {
        public string SourceDescription => "test source";

        public Task<PatientPage> SearchAsync(PatientQuery query, CancellationToken cancellationToken = default) => Task.FromResult(page);

        public Task<PatientRecordResult> ReadAsync(string patientId, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }
}
