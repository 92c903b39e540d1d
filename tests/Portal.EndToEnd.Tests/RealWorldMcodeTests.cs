using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Playwright;
using Precision.Clinical;
using Precision.Fhir.Tests;
using Precision.Portal.Testing;
using static Microsoft.Playwright.Assertions;
using Task = System.Threading.Tasks.Task;

namespace Precision.Portal.EndToEnd.Tests;

/// <summary>
/// Records shaped as hospitals send them (mCODE STU3/STU4 and Genomics Reporting, written from the profiles' definitions in
/// <see cref="McodeRecords"/>), served by the real FHIR sandbox and read by the portal over REST: the severe misreadings
/// a clinician would act on must not happen in the browser.
/// </summary>
public sealed class McodeRecordsBrowser : PortalBrowser
{
    public const string NegativeEgfr = "rw-negative-egfr";
    public const string BreastWithBrainMetastasis = "rw-metastasis";
    public const string SmallCell = "rw-small-cell";
    public const string Medications = "rw-medications";
    public const string Deceased = "rw-deceased";

    public FhirSandbox Sandbox { get; private set; } = null!;

    protected override async Task<PortalTestHostOptions> HostOptionsAsync()
    {
        Sandbox = await FhirSandbox.StartAsync();
        var transaction = new Bundle { Type = Bundle.BundleType.Transaction };
        foreach (var resource in Records().SelectMany(r => r.Resources))
        {
            transaction.Entry.Add(new Bundle.EntryComponent
            {
                Resource = resource,
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = resource.TypeName + "/" + resource.Id },
            });
        }

        await Sandbox.LoadBundleAsync(transaction.ToJson());
        var options = new PortalTestHostOptions();
        options.Settings["Fhir:BaseUrl"] = Sandbox.BaseUrl.ToString();
        return options;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Sandbox.DisposeAsync();
    }

    private static IEnumerable<McodeRecords> Records()
    {
        var negative = Lung(NegativeEgfr, "Nadia", "Negativ", out _);
        var kras = negative.Variant("KRAS", "HGNC:6407", "NM_004985.5:c.34G>T", "p.Gly12Cys", withSubject: true);
        var egfr = negative.AbsentVariant("EGFR", "HGNC:3236", "NM_005228.5:c.2573T>G", "p.Leu858Arg");
        negative.GenomicReport(kras, egfr);
        yield return negative;

        var metastasis = new McodeRecords(BreastWithBrainMetastasis);
        metastasis.Patient("Maren", "Metastase", "1964-08-30");
        // As a hospital codes a specific diagnosis the portal's SNOMED CT table does not list: ICD-10-CM for the left female breast and the histology.
        var breast = metastasis.PrimaryCancer("2021-03-04", "active", McodeRecords.Icd10("C50.912", "Malignant neoplasm of unspecified site of left female breast"));
        breast.Extension.Add(new Extension(FhirProfiles.HistologyMorphologyBehavior, new CodeableConcept(CodeSystems.IcdO3, "8500/3", "Infiltrating duct carcinoma, NOS")));
        metastasis.SecondaryCancer("2024-09-10", breast, McodeRecords.Snomed("94225005", "Secondary malignant neoplasm of brain"), McodeRecords.Icd10("C79.31", "Secondary malignant neoplasm of brain"));
        metastasis.StageGroup(breast, "Stage IV", "2024-09-12");
        metastasis.Ecog(1, "2024-09-12");
        Labs(metastasis);
        yield return metastasis;

        var smallCell = new McodeRecords(SmallCell);
        smallCell.Patient("Simon", "Kleinzell", "1955-01-20", AdministrativeGender.Male);
        var sclc = smallCell.PrimaryCancer("2024-05-02", "active", McodeRecords.Snomed("254632001", "Small cell carcinoma of lung"), McodeRecords.Icd10("C34.90", "Malignant neoplasm of unspecified part of unspecified bronchus or lung"));
        smallCell.StageGroup(sclc, "Stage IV", "2024-05-05");
        smallCell.Ecog(1, "2024-05-05");
        Labs(smallCell);
        yield return smallCell;

        var medications = Lung(Medications, "Mira", "Medikament", out var lung);
        medications.Surgery("359615001", "Partial lobectomy of lung (procedure)", "2021-02-10", lung);
        // Adjuvant chemotherapy with curative intent after the resection: a course, not a line for advanced disease.
        medications.Order(null, "cisplatin", "2021-03-15", treatmentIntentSnomed: SnomedCodes.CurativeIntent);
        medications.Order("68446", "pemetrexed", "2021-03-15", treatmentIntentSnomed: SnomedCodes.CurativeIntent);
        medications.RadiotherapyCourse("2024-03-01", "2024-03-12", SnomedCodes.PalliativeIntent, "Thoracic spine");
        medications.Order("40048", "carboplatin", "2024-01-08");
        medications.Order("68446", "pemetrexed", "2024-01-08");
        medications.Order(null, "Ondansetron 8 MG Oral Tablet", "2024-01-08");
        medications.Order(null, "metformin hydrochloride 500 MG Oral Tablet", "2019-06-01");
        medications.Order("1721560", "osimertinib", "2024-05-01", MedicationRequest.MedicationrequestStatus.Draft);
        medications.Order("2550714", "sotorasib", "2024-05-02", MedicationRequest.MedicationrequestStatus.Active, MedicationRequest.MedicationRequestIntent.Proposal);
        yield return medications;

        var deceased = Lung(Deceased, "Dora", "Verstorben", out _);
        deceased.Resources.OfType<Patient>().Single().Deceased = new FhirDateTime("2025-03-02");
        yield return deceased;
    }

    private static McodeRecords Lung(string id, string given, string family, out Condition primary)
    {
        var record = new McodeRecords(id);
        record.Patient(given, family, "1960-04-12");
        primary = record.PrimaryCancer("2023-11-20", "active", McodeRecords.Snomed("254637007", "Non-small cell lung cancer"), McodeRecords.Icd10("C34.90", "Malignant neoplasm of unspecified part of unspecified bronchus or lung"));
        record.StageGroup(primary, "Stage IVA", "2023-11-25");
        record.Ecog(1, "2023-11-25");
        Labs(record);
        return record;
    }

    private static void Labs(McodeRecords record)
    {
        record.Lab("718-7", 12.4m, "g/dL", "2023-11-25");
        record.Lab("751-8", 4.1m, "10*3/uL", "2023-11-25");
        record.Lab("777-3", 240m, "10*3/uL", "2023-11-25");
        record.Lab("2160-0", 0.9m, "mg/dL", "2023-11-25");
        record.Lab("1751-7", 3.9m, "g/dL", "2023-11-25");
        record.Lab("2532-0", 210m, "U/L", "2023-11-25");
    }
}

public sealed class RealWorldMcodeTests(McodeRecordsBrowser browser) : IClassFixture<McodeRecordsBrowser>
{
    [Fact]
    public async Task An_absent_egfr_result_is_shown_as_tested_negative_and_never_ranks_osimertinib_first()
    {
        var page = await OpenAsync(McodeRecordsBrowser.NegativeEgfr);

        await page.GetByRole(AriaRole.Tab, new() { Name = "Genomics" }).ClickAsync();
        await Expect(page.GetByTestId("negative-finding")).ToContainTextAsync("EGFR p.L858R not detected");
        await Expect(page.GetByTestId("variant-table")).ToContainTextAsync("KRAS");
        await Expect(page.GetByTestId("variant-table")).Not.ToContainTextAsync("EGFR");
        await PortalBrowser.ScreenshotAsync(page, "patient-genomics-negative-result");

        await page.GetByRole(AriaRole.Tab, new() { Name = "Predictions" }).ClickAsync();
        await Expect(page.GetByTestId("prediction-row").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        // No EGFR context matches: osimertinib is not a candidate at all, only in the collapsed no-evidence group.
        await Expect(page.Locator("[data-testid=prediction-row][data-therapy=osimertinib]")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("no-evidence-title")).ToContainTextAsync("Not ranked:");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_metastasis_is_shown_as_a_metastatic_site_of_the_primary_and_the_list_agrees_on_the_diagnosis()
    {
        var page = await OpenAsync(McodeRecordsBrowser.BreastWithBrainMetastasis);

        await Expect(page.GetByTestId("patient-diagnosis")).ToContainTextAsync("Breast cancer");
        await Expect(page.GetByTestId("patient-metastatic")).ToContainTextAsync("brain");
        await Expect(page.GetByTestId("condition-metastases")).ToContainTextAsync("brain");
        await PortalBrowser.ScreenshotAsync(page, "patient-summary-metastatic-site");
        var violations = await AccessibilityScan.SeriousViolationsAsync(page);
        Assert.True(violations.Count == 0, string.Join('\n', violations));

        await page.GotoAsync(browser.Host.PortalUrl + "patients");
        await PortalBrowser.WaitForInteractiveAsync(page);
        await InputOf(page, "patient-search").FillAsync("Metastase");
        await Expect(page.GetByTestId("patient-list-diagnosis")).ToHaveCountAsync(1, new() { Timeout = 15_000 });
        await Expect(page.GetByTestId("patient-list-diagnosis")).ToHaveTextAsync("Breast cancer");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Small_cell_lung_cancer_is_shown_as_not_supported_and_its_predictions_as_outside_the_training_data()
    {
        var page = await OpenAsync(McodeRecordsBrowser.SmallCell);

        await Expect(page.GetByTestId("patient-diagnosis")).ToContainTextAsync("Small cell carcinoma of lung");
        await Expect(page.GetByTestId("patient-diagnosis")).Not.ToContainTextAsync("Non-small cell");
        await Expect(page.GetByTestId("diagnosis-unsupported")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Tab, new() { Name = "Predictions" }).ClickAsync();
        await Expect(page.GetByTestId("applicability-warning")).ToContainTextAsync("was not in the training data", new() { Timeout = 30_000 });
        await page.EvaluateAsync("window.scrollTo(0, 0)");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(PortalBrowser.ScreenshotDirectory, "patient-unsupported-histology.png") });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Only_the_antineoplastic_order_is_a_line_and_every_other_medication_is_listed_with_why()
    {
        var page = await OpenAsync(McodeRecordsBrowser.Medications);

        await page.GetByRole(AriaRole.Tab, new() { Name = "Timeline" }).ClickAsync();
        var lines = page.GetByTestId("therapy-lines").Locator("tbody tr");
        await Expect(lines).ToHaveCountAsync(1);
        await Expect(lines.First).ToContainTextAsync("carboplatin + pemetrexed");
        await Expect(page.GetByTestId("curative-course")).ToContainTextAsync("cisplatin + pemetrexed");
        await Expect(page.GetByTestId("procedures-table")).ToContainTextAsync("Partial lobectomy of lung");
        await Expect(page.GetByTestId("procedures-table")).ToContainTextAsync("Radiotherapy");
        await Expect(page.Locator("#therapy-timeline .main-svg").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(page.Locator("#lab-trend .main-svg").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await PortalBrowser.ScreenshotAsync(page, "patient-timeline-procedures");

        await page.GetByRole(AriaRole.Tab, new() { Name = "Data quality" }).ClickAsync();
        await Expect(page.GetByTestId("resource-counts")).ToContainTextAsync("MedicationRequest");
        await InputOf(page, "accounts-search").FillAsync("Ondansetron");
        await Expect(page.GetByTestId("resource-account")).ToHaveCountAsync(1, new() { Timeout = 15_000 });
        await Expect(page.GetByTestId("resource-account")).ToContainTextAsync("not an antineoplastic agent");
        await InputOf(page, "accounts-search").FillAsync("draft");
        await Expect(page.GetByTestId("resource-account")).ToHaveCountAsync(1, new() { Timeout = 15_000 });
        await Expect(page.GetByTestId("resource-account")).ToContainTextAsync("draft request");
        await InputOf(page, "accounts-search").FillAsync(string.Empty);
        await Expect(page.GetByTestId("accounts-showing")).Not.ToContainTextAsync("filtered", new() { Timeout = 15_000 });
        await page.EvaluateAsync("window.scrollTo(0, 0)");
        await PortalBrowser.ScreenshotAsync(page, "patient-data-quality-accounts");
        var violations = await AccessibilityScan.SeriousViolationsAsync(page);
        Assert.True(violations.Count == 0, string.Join('\n', violations));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_deceased_patient_is_shown_as_deceased_and_offered_no_predictions()
    {
        var page = await OpenAsync(McodeRecordsBrowser.Deceased);

        await Expect(page.GetByTestId("patient-deceased")).ToContainTextAsync("Deceased 2025-03-02");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Predictions" }).ClickAsync();
        await Expect(page.GetByTestId("prediction-not-eligible")).ToContainTextAsync("died");
        await Expect(page.GetByTestId("prediction-row")).ToHaveCountAsync(0);
        await PortalBrowser.ScreenshotAsync(page, "patient-deceased-no-predictions");

        await page.GotoAsync(browser.Host.PortalUrl + "patients");
        await PortalBrowser.WaitForInteractiveAsync(page);
        await InputOf(page, "patient-search").FillAsync("Verstorben");
        await Expect(page.GetByTestId("patient-list-deceased")).ToHaveCountAsync(1, new() { Timeout = 15_000 });
        await Expect(page.GetByTestId("patient-list-deceased")).ToHaveTextAsync("Deceased 2025-03-02");
        await page.Context.CloseAsync();
    }

    /// <summary>A MudBlazor text field's input, whether the test id lands on the input or on its wrapper.</summary>
    private static ILocator InputOf(IPage page, string testId) =>
        page.Locator($"input[data-testid={testId}], [data-testid={testId}] input").First;

    private async Task<IPage> OpenAsync(string patientId)
    {
        var page = await browser.SignInAsync("clinician", "clinician-demo");
        await page.GotoAsync(browser.Host.PortalUrl + "patients/" + patientId);
        await PortalBrowser.WaitForInteractiveAsync(page);
        await Expect(page.GetByTestId("patient-header")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        return page;
    }
}
