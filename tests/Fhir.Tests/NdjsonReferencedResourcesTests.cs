using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Logging.Abstractions;
using Precision.Clinical;

namespace Precision.Fhir.Tests;

/// <summary>
/// The ndjson source's record of a patient: the resources naming the patient (now also Procedure, MedicationAdministration,
/// Specimen) plus what the record points at and no search by patient finds — subjectless Observations under a report, and
/// Medications named by reference. These tests check what the source returns, not how the mapper reads it.
/// </summary>
public sealed class NdjsonReferencedResourcesTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "precision-ndjson-refs-" + Guid.NewGuid().ToString("N"));

    public NdjsonReferencedResourcesTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async System.Threading.Tasks.Task Report_only_observations_join_the_record_that_points_at_them_and_no_other()
    {
        var alice = new McodeRecords("nd-alice");
        alice.Patient("Alice", "Reportonly");
        alice.PrimaryCancer("2023-04-02", "active", McodeRecords.Snomed("254637007", "Non-small cell lung cancer"));
        var egfr = alice.Variant("EGFR", "HGNC:3236", "c.2573T>G", "p.Leu858Arg");
        var kras = alice.Variant("KRAS", "HGNC:6407", "c.35G>T", "p.Gly12Val");
        var deepest = alice.Variant("BRAF", "HGNC:1097", "c.1799T>A", "p.Val600Glu");
        var level3 = alice.Panel(false, deepest);
        var level2 = alice.Panel(false, level3);
        var panel = alice.Panel(false, egfr, level2);
        var implication = alice.Implication(false, kras);
        var report = alice.GenomicReport(panel, implication);
        var aliceOwn = alice.Variant("ALK", "HGNC:427", "c.3522C>A", "p.Phe1174Leu", withSubject: true);

        var bruno = new McodeRecords("nd-bruno");
        bruno.Patient("Bruno", "Otherpatient", gender: AdministrativeGender.Male);
        bruno.PrimaryCancer("2022-09-09", "active", McodeRecords.Snomed("254837009", "Malignant neoplasm of breast"));
        var brunoVariant = bruno.Variant("PIK3CA", "HGNC:8975", "c.3140A>G", "p.His1047Arg");
        // Bruno's report also lists Alice's own variant: a broken link in the source, which must not bring her data into his record.
        var brunoReport = bruno.GenomicReport(brunoVariant, aliceOwn);
        var orphan = new McodeRecords("nd-nobody").Variant("TP53", "HGNC:11998", "c.524G>A", "p.Arg175His");
        WriteNdjson([.. alice.Resources, .. bruno.Resources, orphan]);
        var source = new NdjsonPatientSource(_directory, NullLogger<NdjsonPatientSource>.Instance);

        var aliceRecord = Ids(await source.ReadAsync("nd-alice"));
        var brunoRecord = Ids(await source.ReadAsync("nd-bruno"));

        Assert.Superset(Keys(report, panel, implication, egfr, kras, level2, level3, aliceOwn), aliceRecord);
        Assert.DoesNotContain(Key(deepest), aliceRecord); // fourth level: past the bound (report → panel → level 2 → level 3)
        Assert.Superset(Keys(brunoReport, brunoVariant), brunoRecord);
        Assert.Empty(brunoRecord.Intersect(Keys(egfr, kras, panel, implication, level2, level3, aliceOwn)));
        Assert.DoesNotContain(Key(orphan), aliceRecord.Concat(brunoRecord));
        Assert.Empty(await source.GetLoadProblemsAsync());
    }

    [Fact]
    public async System.Threading.Tasks.Task Medications_named_by_reference_join_the_record_of_the_resource_naming_them()
    {
        var alice = new McodeRecords("nd-meds");
        alice.Patient("Mara", "Medications");
        var osimertinib = alice.Medication("1721560", "osimertinib");
        var carboplatin = alice.Medication("40048", "carboplatin");
        alice.Administration(osimertinib, "2024-03-01", "2024-09-01");
        alice.Request(carboplatin, "2023-06-01");
        var other = new McodeRecords("nd-other");
        other.Patient("Otto", "Other");
        var pembrolizumab = other.Medication("1547545", "pembrolizumab");
        other.Administration(pembrolizumab, "2024-01-01", "2024-02-01");
        var unused = other.Medication("1860487", "nivolumab");
        WriteNdjson([.. alice.Resources, .. other.Resources]);
        var source = new NdjsonPatientSource(_directory, NullLogger<NdjsonPatientSource>.Instance);

        var record = Ids(await source.ReadAsync("nd-meds"));
        var otherRecord = Ids(await source.ReadAsync("nd-other"));

        Assert.Superset(Keys(osimertinib, carboplatin), record);
        Assert.DoesNotContain(Key(pembrolizumab), record);
        Assert.Contains(Key(pembrolizumab), otherRecord);
        Assert.DoesNotContain(Key(unused), record.Concat(otherRecord));
        Assert.Empty(otherRecord.Intersect(Keys(osimertinib, carboplatin)));
    }

    [Fact]
    public async System.Threading.Tasks.Task Procedures_administrations_and_specimens_are_filed_under_their_subject()
    {
        var alice = new McodeRecords("nd-types");
        alice.Patient("Tess", "Types");
        var cancer = alice.PrimaryCancer("2021-01-10", "active", McodeRecords.Snomed("363406005", "Malignant neoplasm of colon"), McodeRecords.Icd10("C18.9", "Malignant neoplasm of colon, unspecified"));
        var surgery = alice.Surgery("73761001", "Colonoscopy", "2021-01-20", cancer);
        var specimen = alice.TumorSpecimen("2021-01-20");
        var administration = alice.Administration(alice.Medication("1720", "fluorouracil"), "2021-03-01", "2021-08-01");
        var other = new McodeRecords("nd-types-other");
        other.Patient("Olga", "Elsewhere");
        var otherSurgery = other.Surgery("387713003", "Surgical procedure", "2020-05-05");
        WriteNdjson([.. alice.Resources, .. other.Resources]);
        var source = new NdjsonPatientSource(_directory, NullLogger<NdjsonPatientSource>.Instance);

        var record = Ids(await source.ReadAsync("nd-types"));
        var otherRecord = Ids(await source.ReadAsync("nd-types-other"));

        Assert.Superset(Keys(cancer, surgery, specimen, administration), record);
        Assert.DoesNotContain(Key(otherSurgery), record);
        Assert.Equal(["Patient/nd-types-other", Key(otherSurgery)], otherRecord.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async System.Threading.Tasks.Task A_line_over_the_size_limit_is_skipped_as_a_load_problem_and_the_next_line_is_read()
    {
        var record = new McodeRecords("nd-big");
        record.Patient("Bea", "Bigline");
        var before = record.Variant("EGFR", "HGNC:3236", "c.2573T>G", "p.Leu858Arg", withSubject: true);
        var after = record.Variant("KRAS", "HGNC:6407", "c.35G>T", "p.Gly12Val", withSubject: true);
        var huge = record.Variant("BRAF", "HGNC:1097", "c.1799T>A", "p.Val600Glu", withSubject: true);
        huge.Note.Add(new Annotation { Text = new string('x', NdjsonPatientSource.MaxLineBytes) }); // valid FHIR, only too long
        record.Resources.Remove(huge);
        WriteNdjson(record.Resources.Where(r => r is not Observation));
        File.WriteAllLines(Path.Combine(_directory, "Observation.ndjson"), [before.ToJson(), huge.ToJson(), after.ToJson()]);
        var source = new NdjsonPatientSource(_directory, NullLogger<NdjsonPatientSource>.Instance);

        var ids = Ids(await source.ReadAsync("nd-big"));

        Assert.Superset(Keys(before, after), ids);
        Assert.DoesNotContain(Key(huge), ids);
        var problem = Assert.Single(await source.GetLoadProblemsAsync());
        Assert.Equal($"Observation.ndjson:2: longer than 8 MiB ({NdjsonPatientSource.MaxLineBytes} bytes); skipped.", problem);
    }

    [Fact]
    public async System.Threading.Tasks.Task Files_with_a_byte_order_mark_crlf_line_ends_and_no_final_newline_load_whole()
    {
        var record = new McodeRecords("nd-crlf");
        var patient = record.Patient("Cora", "Carriagereturn");
        var first = record.Variant("EGFR", "HGNC:3236", "c.2573T>G", "p.Leu858Arg", withSubject: true);
        var last = record.Variant("KRAS", "HGNC:6407", "c.35G>T", "p.Gly12Val", withSubject: true);
        File.WriteAllText(Path.Combine(_directory, "Patient.ndjson"), patient.ToJson() + "\r\n", new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        File.WriteAllText(Path.Combine(_directory, "Observation.ndjson"), first.ToJson() + "\r\n\r\n" + last.ToJson(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        var source = new NdjsonPatientSource(_directory, NullLogger<NdjsonPatientSource>.Instance);

        var ids = Ids(await source.ReadAsync("nd-crlf"));

        Assert.Equal(Keys(patient, first, last).Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
        Assert.Empty(await source.GetLoadProblemsAsync());
    }

    [Fact]
    public async System.Threading.Tasks.Task The_list_shows_the_mapped_primary_cancer_in_the_records_own_words()
    {
        var other = new McodeRecords("nd-label");
        other.Patient("Lia", "Label");
        other.PrimaryCancer("2024-05-05", "active", McodeRecords.Snomed("254645002", "Malignant mesothelioma of pleura"));
        var none = new McodeRecords("nd-none");
        none.Patient("Nia", "Nocancer");
        WriteNdjson([.. other.Resources, .. none.Resources]);
        var source = new NdjsonPatientSource(_directory, NullLogger<NdjsonPatientSource>.Instance);

        var rows = (await source.SearchAsync(new PatientQuery(null, null, 0, 10))).Patients;

        var expected = new PatientProfileMapper().Map("nd-label", other.Resources.Where(r => r is Patient or Condition)).PrimaryCancer;
        var row = Assert.Single(rows, r => r.PatientId == "nd-label");
        Assert.NotNull(expected);
        Assert.Equal(expected.DisplayName, row.DiagnosisLabel);
        Assert.Equal(expected.CancerType, row.CancerType);
        var empty = Assert.Single(rows, r => r.PatientId == "nd-none");
        Assert.Null(empty.DiagnosisLabel);
        Assert.Null(empty.CancerType);
    }

    private void WriteNdjson(IEnumerable<Resource> resources)
    {
        foreach (var group in resources.GroupBy(r => r.TypeName))
        {
            File.WriteAllLines(Path.Combine(_directory, group.Key + ".ndjson"), group.Select(r => r.ToJson()));
        }
    }

    private static HashSet<string> Ids(FhirPatientRecord record) => [.. record.Resources.Select(Key)];

    private static string Key(Resource resource) => resource.TypeName + "/" + resource.Id;

    private static HashSet<string> Keys(params Resource[] resources) => [.. resources.Select(Key)];
}
