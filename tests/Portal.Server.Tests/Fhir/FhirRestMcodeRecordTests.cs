using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Precision.Clinical;
using Precision.Clinical.Catalog;
using Precision.Cohort;
using Precision.Fhir;
using Precision.Fhir.Tests;
using Precision.Portal.Server.Patients;
using Precision.Portal.Testing;

namespace Precision.Portal.Server.Tests.Fhir;

/// <summary>
/// A sandbox of its own: a small generated cohort plus hand-built mCODE / Genomics Reporting records with what real
/// servers hold and a patient search does not return (subjectless report findings, Medications by reference, procedures,
/// administrations, specimens) and the diagnoses the old cancer-type filter got wrong.
/// </summary>
public sealed class McodeSandbox : IAsyncLifetime
{
    public const int CohortSize = 24;
    private FhirSandbox? _sandbox;

    public FhirSandbox Sandbox => _sandbox ?? throw new InvalidOperationException("Not started.");

    /// <summary>The generated patients' ids (each with a full record: labs, genomics, medications).</summary>
    public List<string> CohortPatientIds { get; } = [];

    /// <summary>The hand-built records, by patient id, as loaded.</summary>
    public Dictionary<string, McodeRecords> Records { get; } = new(StringComparer.Ordinal);

    public Observation Panel { get; private set; } = null!;

    public Observation Implication { get; private set; } = null!;

    public Observation Egfr { get; private set; } = null!;

    public Observation Kras { get; private set; } = null!;

    public Observation LevelTwo { get; private set; } = null!;

    public Observation LevelThree { get; private set; } = null!;

    public Observation Deepest { get; private set; } = null!;

    public Observation ReportOwnVariant { get; private set; } = null!;

    public Medication Included { get; private set; } = null!;

    public Medication ByAbsoluteReference { get; private set; } = null!;

    public Medication Requested { get; private set; } = null!;

    public async System.Threading.Tasks.Task InitializeAsync()
    {
        _sandbox = await FhirSandbox.StartAsync();
        var catalog = TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault(AppContext.BaseDirectory));
        var generator = new CohortGenerator(catalog);
        for (var i = 1; i <= CohortSize; i++)
        {
            var generated = generator.GeneratePatient(seed: 4711, index: i);
            CohortPatientIds.Add(generated.Patient.Id);
            await _sandbox.LoadBundleAsync(generated.Bundle.ToJson());
        }

        BuildReportPatient(_sandbox.BaseUrl);
        BuildListPatients();
        var transaction = new Bundle { Type = Bundle.BundleType.Transaction };
        foreach (var resource in Records.Values.SelectMany(r => r.Resources))
        {
            transaction.Entry.Add(new Bundle.EntryComponent
            {
                Resource = resource,
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = resource.TypeName + "/" + resource.Id },
            });
        }

        await _sandbox.LoadBundleAsync(transaction.ToJson());
    }

    public async System.Threading.Tasks.Task DisposeAsync()
    {
        if (_sandbox is not null)
        {
            await _sandbox.DisposeAsync();
        }
    }

    private void BuildReportPatient(Uri baseUrl)
    {
        var report = Add(new McodeRecords("mc-report"));
        report.Patient("Rhea", "Reportfindings");
        var cancer = report.PrimaryCancer("2023-04-02", "active", McodeRecords.Snomed("254637007", "Non-small cell lung cancer"));
        Egfr = report.Variant("EGFR", "HGNC:3236", "c.2573T>G", "p.Leu858Arg");
        Kras = report.Variant("KRAS", "HGNC:6407", "c.35G>T", "p.Gly12Val");
        Deepest = report.Variant("BRAF", "HGNC:1097", "c.1799T>A", "p.Val600Glu");
        LevelThree = report.Panel(false, Deepest);
        LevelTwo = report.Panel(false, LevelThree);
        Panel = report.Panel(false, Egfr, LevelTwo);
        Implication = report.Implication(false, Kras);
        report.GenomicReport(Panel, Implication);
        ReportOwnVariant = report.Variant("ALK", "HGNC:427", "c.3522C>A", "p.Phe1174Leu", withSubject: true);
        Included = report.Medication("1721560", "osimertinib");
        report.Administration(Included, "2024-03-01", "2024-09-01");
        Requested = report.Medication("40048", "carboplatin");
        report.Request(Requested, "2023-06-01");
        ByAbsoluteReference = report.Medication("1736854", "pemetrexed");
        var absolute = report.Administration(ByAbsoluteReference, "2023-06-01", "2023-10-01");
        absolute.Medication = new ResourceReference(new Uri(baseUrl, "Medication/" + ByAbsoluteReference.Id).AbsoluteUri);
        report.Surgery("173171007", "Lobectomy of lung", "2023-05-10", cancer);
        report.TumorSpecimen("2023-05-10");

        // Another patient whose report lists mc-report's own variant: a broken link that must not move data across records.
        var other = Add(new McodeRecords("mc-elsewhere"));
        other.Patient("Elio", "Elsewhere", gender: AdministrativeGender.Male);
        other.PrimaryCancer("2022-09-09", "active", McodeRecords.Snomed("254837009", "Malignant neoplasm of breast"));
        other.GenomicReport(ReportOwnVariant);
    }

    /// <summary>Diagnoses the old filter (one exact SNOMED code over every Condition) got wrong.</summary>
    private void BuildListPatients()
    {
        // Melanoma with a metastasis coded with the lung cancer code: the old lung filter listed her.
        var metastasis = Add(new McodeRecords("mc-metastasis"));
        metastasis.Patient("Mila", "Metastasis");
        var melanoma = metastasis.PrimaryCancer("2020-02-02", "active", McodeRecords.Snomed("372244006", "Malignant melanoma"));
        metastasis.SecondaryCancer("2021-07-07", melanoma, McodeRecords.Snomed("254637007", "Non-small cell lung cancer"));

        // A breast cancer resolved long ago and an active colorectal cancer: the old breast filter listed him.
        var oldPrimary = Add(new McodeRecords("mc-old-primary"));
        oldPrimary.Patient("Olaf", "Oldprimary", gender: AdministrativeGender.Male);
        oldPrimary.PrimaryCancer("2009-01-15", "resolved", McodeRecords.Snomed("254837009", "Malignant neoplasm of breast"));
        oldPrimary.PrimaryCancer("2023-03-03", "active", McodeRecords.Snomed("363406005", "Malignant neoplasm of colon"), McodeRecords.Icd10("C18.9", "Malignant neoplasm of colon, unspecified"));

        // A specific descendant of non-small cell lung cancer: the old lung filter (exact code) missed her.
        var descendant = Add(new McodeRecords("mc-descendant"));
        descendant.Patient("Dora", "Descendant");
        descendant.PrimaryCancer("2024-01-20", "active", McodeRecords.Snomed("254626006", "Adenocarcinoma of lung"));

        // ICD-10-CM only: the old filter (SNOMED only) missed him.
        var icd10 = Add(new McodeRecords("mc-icd10"));
        icd10.Patient("Ivo", "Icdonly", gender: AdministrativeGender.Male);
        icd10.PrimaryCancer("2024-02-11", "active", McodeRecords.Icd10("C34.11", "Malignant neoplasm of upper lobe, right bronchus or lung"));

        // A cancer the model does not cover: the list shows the record's own words.
        var other = Add(new McodeRecords("mc-other-cancer"));
        other.Patient("Otto", "Othercancer", gender: AdministrativeGender.Male);
        other.PrimaryCancer("2024-04-04", "active", McodeRecords.Snomed("254645002", "Malignant mesothelioma of pleura"));
    }

    private McodeRecords Add(McodeRecords records)
    {
        Records[records.PatientId] = records;
        return records;
    }
}

/// <summary>The REST source against the real sandbox: what it fetches for a record, the limits, and the patient list's one diagnosis.</summary>
[Collection(FhirSandboxGroup.Name)]
public sealed class FhirRestMcodeRecordTests(McodeSandbox fixture) : IClassFixture<McodeSandbox>
{
    [Fact]
    public async System.Threading.Tasks.Task Procedures_administrations_specimens_and_referenced_medications_are_fetched()
    {
        using var provider = Provider();
        var record = await provider.GetRequiredService<IFhirPatientSource>().ReadAsync("mc-report");

        var expected = fixture.Records["mc-report"].Resources
            .Where(r => r is Procedure or MedicationAdministration or MedicationRequest or Specimen or Medication or Condition or DiagnosticReport or Patient)
            .Select(Key);
        Assert.Superset(expected.ToHashSet(), Keys(record));
        Assert.Contains("GET Procedure?patient=Patient/mc-report&_count=200", record.Queries);
        Assert.Contains("GET Specimen?patient=Patient/mc-report&_count=200", record.Queries);
        Assert.Contains("GET MedicationAdministration?patient=Patient/mc-report&_include=MedicationAdministration:medication&_count=200", record.Queries);
        Assert.Contains("GET MedicationRequest?patient=Patient/mc-report&_include=MedicationRequest:medication&_count=200", record.Queries);

        // The sandbox includes Medications named relatively; one named by an absolute URL on this server it does not include,
        // so the source reads that one by id.
        Assert.Contains($"GET Medication?_id={fixture.ByAbsoluteReference.Id}&_count=1", record.Queries);
        Assert.DoesNotContain(record.Queries, q => q.StartsWith("GET Medication?_id=", StringComparison.Ordinal) && q.Contains(fixture.Included.Id!, StringComparison.Ordinal));
        Assert.Equal(record.Resources.Count, Keys(record).Count); // each resource once, though several pages may include it
    }

    [Fact]
    public async System.Threading.Tasks.Task Subjectless_report_findings_are_read_by_id_level_by_level_up_to_three_levels()
    {
        using var provider = Provider();
        var record = await provider.GetRequiredService<IFhirPatientSource>().ReadAsync("mc-report");
        var keys = Keys(record);

        Assert.Superset(new[] { fixture.Panel, fixture.Implication, fixture.Egfr, fixture.Kras, fixture.LevelTwo, fixture.LevelThree, fixture.ReportOwnVariant }.Select(Key).ToHashSet(), keys);
        Assert.DoesNotContain(Key(fixture.Deepest), keys);
        Assert.All(record.Resources.OfType<Observation>().Where(o => o.Subject is null), o => Assert.NotEqual(fixture.Deepest.Id, o.Id));

        var byId = record.Queries.Where(q => q.StartsWith("GET Observation?_id=", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, byId.Count); // one query per level: report → panel and implication → their members → level three
        Assert.Contains(fixture.Panel.Id!, byId[0], StringComparison.Ordinal);
        Assert.Contains(fixture.Implication.Id!, byId[0], StringComparison.Ordinal);
        Assert.Contains(fixture.Egfr.Id!, byId[1], StringComparison.Ordinal);
        Assert.Contains(fixture.Kras.Id!, byId[1], StringComparison.Ordinal);
        Assert.Contains(fixture.LevelThree.Id!, byId[2], StringComparison.Ordinal);
        Assert.DoesNotContain(byId, q => q.Contains(fixture.Deepest.Id!, StringComparison.Ordinal));
        Assert.DoesNotContain(byId, q => q.Contains(fixture.ReportOwnVariant.Id!, StringComparison.Ordinal)); // the patient search found it
    }

    [Fact]
    public async System.Threading.Tasks.Task A_report_pointing_at_another_patients_observation_does_not_bring_it_into_the_record()
    {
        using var provider = Provider();
        var record = await provider.GetRequiredService<IFhirPatientSource>().ReadAsync("mc-elsewhere");

        Assert.Contains($"GET Observation?_id={fixture.ReportOwnVariant.Id}&_count=1", record.Queries);
        Assert.DoesNotContain(Key(fixture.ReportOwnVariant), Keys(record));
        Assert.All(record.Resources.Where(r => FhirSubject(r) is not null), r => Assert.Equal("Patient/mc-elsewhere", FhirSubject(r)));
    }

    [Fact]
    public async System.Threading.Tasks.Task More_resources_than_the_per_patient_limit_is_a_clear_failure()
    {
        using var provider = Provider(o => o.MaxResourcesPerPatient = 5);

        var error = await Assert.ThrowsAsync<FhirSourceException>(() => provider.GetRequiredService<IFhirPatientSource>().ReadAsync("mc-report"));

        Assert.Equal(PatientRecordFailure.RecordTooLarge, error.Failure);
        Assert.Contains("Patient/mc-report has more than 5 resources", error.Message, StringComparison.Ordinal);
        Assert.Contains("Fhir:MaxResourcesPerPatient", error.Message, StringComparison.Ordinal);
        Assert.Contains("GET Patient/mc-report", error.Queries);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_response_over_the_size_limit_is_a_clear_failure_and_is_not_retried()
    {
        await using var proxy = await FhirFaultProxy.StartAsync(fixture.Sandbox.BaseUrl);
        // Generous timeouts: on a loaded machine a slow first answer would be retried, which is not what this test looks at.
        using var provider = Provider(o => (o.MaxResponseBytes, o.AttemptTimeout, o.TotalTimeout) = (2_000, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60)), proxy.BaseUrl);

        var error = await Assert.ThrowsAsync<FhirSourceException>(() => provider.GetRequiredService<IFhirPatientSource>().ReadAsync(fixture.CohortPatientIds[0]));

        Assert.Equal(PatientRecordFailure.RecordTooLarge, error.Failure);
        Assert.Contains("with more than 2,000 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("Fhir:MaxResponseBytes", error.Message, StringComparison.Ordinal);
        var requests = proxy.Requests.Select(r => r.Method + " " + r.PathAndQuery).ToList();
        Assert.True(requests.Count == requests.Distinct(StringComparer.Ordinal).Count(), "A request was retried:\n" + string.Join('\n', requests));
    }

    [Fact]
    public async System.Threading.Tasks.Task The_filtered_and_the_unfiltered_list_agree_on_every_patients_diagnosis_which_is_the_mapped_primary()
    {
        using var provider = Provider();
        var source = provider.GetRequiredService<IFhirPatientSource>();
        var unfiltered = new Dictionary<string, PatientSummary>(StringComparer.Ordinal);
        for (var page = 0; ; page++)
        {
            var rows = await source.SearchAsync(new PatientQuery(null, null, page, 10));
            foreach (var row in rows.Patients)
            {
                unfiltered.Add(row.PatientId, row);
            }

            if ((page + 1) * 10 >= rows.TotalCount)
            {
                Assert.Equal(rows.TotalCount, unfiltered.Count);
                break;
            }
        }

        Assert.Equal(McodeSandbox.CohortSize + fixture.Records.Count, unfiltered.Count);

        // Each row is the patient page's own reading: the mapper's primary cancer over the patient and their conditions.
        var mapper = new PatientProfileMapper();
        foreach (var row in unfiltered.Values)
        {
            var record = await source.ReadAsync(row.PatientId);
            var primary = mapper.Map(row.PatientId, record.Resources.Where(r => r is Patient or Condition)).PrimaryCancer;
            Assert.Equal((primary?.CancerType, primary?.DisplayName), (row.CancerType, row.DiagnosisLabel));
        }

        foreach (var type in Enum.GetValues<CancerType>())
        {
            var filtered = await source.SearchAsync(new PatientQuery(null, type, 0, PatientQuery.MaxPageSize));
            Assert.Null(filtered.Notice);
            Assert.Equal(unfiltered.Values.Where(r => r.CancerType == type).Select(r => r.PatientId).Order(StringComparer.Ordinal), filtered.Patients.Select(p => p.PatientId).Order(StringComparer.Ordinal));
            Assert.Equal(filtered.Patients.Count, filtered.TotalCount);
            Assert.All(filtered.Patients, p => Assert.Equal(unfiltered[p.PatientId], p));
        }

        // The cases the old filter (Condition?code=<the type's SNOMED code>) got wrong are in the cohort: it would list these two.
        using var http = fixture.Sandbox.CreateClient();
        foreach (var (patientId, type) in new[] { ("mc-metastasis", CancerType.NonSmallCellLungCancer), ("mc-old-primary", CancerType.BreastCancer) })
        {
            var code = CancerTypes.All.Single(c => c.CancerType == type).SnomedCode;
            var query = $"Condition?code={Uri.EscapeDataString(CodeSystems.Snomed + "|" + code)}&subject=Patient/{patientId}";
            var bundle = (Bundle)new FhirJsonDeserializer().DeserializeResource(await http.GetStringAsync(new Uri(query, UriKind.Relative)));
            Assert.NotEmpty(bundle.Entry);
        }

        Assert.NotNull(unfiltered["mc-other-cancer"].DiagnosisLabel);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_filter_that_checks_only_part_of_the_patients_says_so_and_how_to_narrow_it()
    {
        using var provider = Provider(o => o.MaxPatientsScanned = 7);
        var source = provider.GetRequiredService<IFhirPatientSource>();
        var total = (await source.SearchAsync(new PatientQuery(null, null, 0, 1))).TotalCount;
        var firstSeven = (await source.SearchAsync(new PatientQuery(null, null, 0, 7))).Patients;

        foreach (var type in Enum.GetValues<CancerType>())
        {
            var filtered = await source.SearchAsync(new PatientQuery(null, type, 0, 50));
            Assert.Equal(firstSeven.Where(p => p.CancerType == type).Select(p => p.PatientId), filtered.Patients.Select(p => p.PatientId));
            Assert.Equal($"Only the first 7 of {total} patients (in name order) were checked for {CancerTypes.DisplayName(type)}: the portal checks at most 7 (Fhir:MaxPatientsScanned), so more patients may match. Search by name or MRN as well to narrow the list.", filtered.Notice);
        }

        // A search narrow enough to be checked whole carries no notice.
        var narrowed = await source.SearchAsync(new PatientQuery("Descendant", null, 0, 10));
        var byName = await source.SearchAsync(new PatientQuery("Descendant", narrowed.Patients.Single().CancerType ?? CancerType.Other, 0, 10));
        Assert.Null(byName.Notice);
    }

    private ServiceProvider Provider(Action<FhirSourceOptions>? configure = null, Uri? baseUrl = null)
    {
        var options = new FhirSourceOptions { BaseUrl = baseUrl ?? fixture.Sandbox.BaseUrl, MaxRetries = 2 };
        configure?.Invoke(options);
        var services = new ServiceCollection().AddLogging();
        services.AddFhirPatientSource(options, _ => throw new InvalidOperationException("REST only."));
        return services.BuildServiceProvider();
    }

    private static string? FhirSubject(Resource resource) => resource switch
    {
        Observation o => o.Subject?.Reference,
        Condition c => c.Subject?.Reference,
        DiagnosticReport d => d.Subject?.Reference,
        MedicationStatement m => m.Subject?.Reference,
        MedicationRequest m => m.Subject?.Reference,
        MedicationAdministration m => m.Subject?.Reference,
        Procedure p => p.Subject?.Reference,
        Specimen s => s.Subject?.Reference,
        _ => null,
    };

    private static string Key(Resource resource) => resource.TypeName + "/" + resource.Id;

    private static HashSet<string> Keys(FhirPatientRecord record) => [.. record.Resources.Select(Key)];
}
