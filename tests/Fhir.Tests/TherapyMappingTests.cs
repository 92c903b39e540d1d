using Hl7.Fhir.Model;
using Precision.Clinical;
using Precision.Clinical.Catalog;

namespace Precision.Fhir.Tests;

/// <summary>
/// Lines of therapy from what hospitals send: mCODE STU1 MedicationStatement, STU2+ MedicationRequest and
/// MedicationAdministration (the procedure-intent extension), supportive care and other medicines beside cancer drugs,
/// statuses and intents that do not mean "given".
/// </summary>
public sealed class TherapyMappingTests
{
    private static readonly TherapyCatalog Catalog = TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault());
    private readonly PatientProfileMapper _mapper = new(new CatalogTherapyResolver(Catalog));

    [Fact]
    public void Only_antineoplastic_medications_that_were_given_make_lines()
    {
        var record = new RecordBuilder("t1").Patient();
        record.Medication("40048", "carboplatin", "2023-02-01", "2023-06-01", line: "l1");
        record.Medication("68446", "pemetrexed", "2023-02-01", "2023-06-01", line: "l1");
        record.Medication("1547545", "pembrolizumab", "2023-02-01", "2023-06-01", line: "l1");
        record.Medication("6809", "metformin", "2019-01-01");
        record.Request(null, "Ondansetron 8 MG Oral Tablet", "2023-02-01");
        var notTaken = record.Medication("1721560", "osimertinib", "2023-08-01");
        notTaken.Status = MedicationStatement.MedicationStatusCodes.NotTaken;
        record.Request("1721560", "osimertinib", "2023-09-01", MedicationRequest.MedicationrequestStatus.Draft);
        record.Request("2550714", "sotorasib", "2023-09-02", MedicationRequest.MedicationrequestStatus.Active, MedicationRequest.MedicationRequestIntent.Proposal);
        record.Request("1597582", "olaparib", "2023-09-03", MedicationRequest.MedicationrequestStatus.Active, MedicationRequest.MedicationRequestIntent.Plan);

        var profile = _mapper.Map("t1", record.Resources);

        var line = Assert.Single(profile.TherapyLines);
        Assert.Equal("carboplatin-pemetrexed-pembrolizumab", line.CatalogTherapyId);
        Assert.Equal(6, profile.ResourceAccounts.Count(a => a.Source.ResourceType.StartsWith("Medication", StringComparison.Ordinal) && a.Use == ResourceUse.NotUsed));
        Assert.Contains(profile.ResourceAccounts, a => a.Detail.StartsWith("Ondansetron 8 MG Oral Tablet: not an antineoplastic agent", StringComparison.Ordinal));
        Assert.Contains(profile.ResourceAccounts, a => a.Detail.Contains("not-taken", StringComparison.Ordinal));
        Assert.Contains(profile.ResourceAccounts, a => a.Detail.Contains("draft", StringComparison.Ordinal));
        Assert.Contains(profile.ResourceAccounts, a => a.Detail.Contains("proposal (intent)", StringComparison.Ordinal));
        Assert.Contains(profile.ResourceAccounts, a => a.Detail.Contains("plan (intent)", StringComparison.Ordinal));
    }

    [Fact]
    public void Administrations_fold_into_the_order_they_fulfil_as_one_line_with_its_dates()
    {
        var record = new RecordBuilder("t2").Patient();
        var carboplatin = record.Request("40048", "carboplatin", "2024-01-08", treatmentIntent: RecordBuilder.Intent(SnomedCodes.PalliativeIntent, "Palliative"));
        var pemetrexed = record.Request("68446", "pemetrexed", "2024-01-08");
        foreach (var date in new[] { "2024-01-10", "2024-01-31", "2024-02-21", "2024-03-13" })
        {
            record.Administration(new CodeableConcept(CodeSystems.RxNorm, "40048", "carboplatin"), date, carboplatin);
            record.Administration(new CodeableConcept(CodeSystems.RxNorm, "68446", "pemetrexed"), date, pemetrexed);
        }

        var response = record.Observation(LoincCodes.ResponseToCancerTreatment, new CodeableConcept(CodeSystems.Loinc, LoincCodes.PartialResponseAnswer, "Partial response"), "2024-03-01");
        response.PartOf.Add(new ResourceReference("MedicationAdministration/" + record.Resources.OfType<MedicationAdministration>().Last().Id));

        var profile = _mapper.Map("t2", record.Resources);

        var line = Assert.Single(profile.TherapyLines);
        Assert.Equal("carboplatin-pemetrexed", line.CatalogTherapyId);
        Assert.Equal(new DateOnly(2024, 1, 8), line.StartedOn);
        Assert.Equal(new DateOnly(2024, 3, 13), line.EndedOn);
        Assert.Equal(2, line.Medications.Count);
        Assert.Equal(RecistResponse.PartialResponse, line.BestResponse);
        Assert.Equal(TreatmentIntent.Palliative, line.Intent);
        Assert.All(profile.ResourceAccounts.Where(a => a.Source.ResourceType.StartsWith("Medication", StringComparison.Ordinal)), a => Assert.Equal("line 1: carboplatin + pemetrexed", a.Detail));
    }

    [Fact]
    public void Administrations_without_an_order_form_one_course_per_drug_while_doses_keep_coming()
    {
        var record = new RecordBuilder("t3").Patient();
        foreach (var date in new[] { "2024-01-10", "2024-01-31", "2024-02-21" })
        {
            record.Administration(new CodeableConcept(CodeSystems.RxNorm, "72962", "docetaxel"), date);
        }

        record.Administration(new CodeableConcept(CodeSystems.RxNorm, "72962", "docetaxel"), "2024-01-31", status: MedicationAdministration.MedicationAdministrationStatusCodes.NotDone);

        var profile = _mapper.Map("t3", record.Resources);

        var line = Assert.Single(profile.TherapyLines);
        Assert.Equal("docetaxel", line.CatalogTherapyId);
        Assert.Equal(new DateOnly(2024, 2, 21), line.EndedOn);
        Assert.Contains(profile.ResourceAccounts, a => a.Use == ResourceUse.NotUsed && a.Detail.Contains("not done", StringComparison.Ordinal));
    }

    [Fact]
    public void Curative_intent_adjuvant_therapy_is_not_a_line_for_advanced_disease()
    {
        var record = new RecordBuilder("t4").Patient();
        var curative = RecordBuilder.Intent(SnomedCodes.CurativeIntent, "Curative - procedure intent");
        record.Request("4492", "fluorouracil", "2021-03-01", treatmentIntent: curative);
        record.Request("6313", "leucovorin", "2021-03-01", treatmentIntent: curative);
        record.Request("32592", "oxaliplatin", "2021-03-01", treatmentIntent: curative);
        record.Request("4492", "fluorouracil", "2023-05-02");
        record.Request("6313", "leucovorin", "2023-05-02");
        record.Request("51499", "irinotecan", "2023-05-02");

        var profile = _mapper.Map("t4", record.Resources);

        var line = Assert.Single(profile.TherapyLines);
        Assert.Equal(1, line.LineNumber);
        Assert.Equal("folfiri", line.CatalogTherapyId);
        var adjuvant = Assert.Single(profile.CurativeIntentTherapies);
        Assert.Equal("folfox", adjuvant.CatalogTherapyId);
        Assert.Equal(TreatmentIntent.Curative, adjuvant.Intent);
    }

    [Fact]
    public void Medications_by_reference_and_by_clinical_drug_name_are_recognized_but_only_catalog_regimens_resolve()
    {
        var record = new RecordBuilder("t5").Patient();
        var contained = new Medication { Id = "med1", Code = new CodeableConcept(CodeSystems.RxNorm, "40048", "carboplatin") };
        var request = record.Request(null, "x", "2024-04-02");
        request.Contained.Add(contained);
        request.Medication = new ResourceReference("#med1");
        var etoposide = new Medication { Id = "etoposide-100", Code = new CodeableConcept(CodeSystems.RxNorm, "1734340", "Etoposide 100 MG Injection") };
        record.Resources.Add(etoposide);
        var second = record.Request(null, "y", "2024-04-02");
        second.Medication = new ResourceReference("Medication/etoposide-100");
        var unresolvable = record.Request(null, "z", "2024-04-02");
        unresolvable.Medication = new ResourceReference("Medication/not-in-the-record");

        var profile = _mapper.Map("t5", record.Resources);

        var line = Assert.Single(profile.TherapyLines);
        Assert.Equal(["carboplatin", "Etoposide 100 MG Injection"], line.Medications.Select(m => m.Name));
        Assert.Null(line.CatalogTherapyId); // carboplatin + etoposide is not a catalog regimen
        Assert.Contains(profile.ResourceAccounts, a => a.Source.Reference == "Medication/etoposide-100" && a.Use == ResourceUse.Used);
        Assert.Contains(profile.ResourceAccounts, a => a.Source.Id == unresolvable.Id && a.Use == ResourceUse.NotUsed);
    }

    [Fact]
    public void Leucovorin_alone_and_supportive_intent_are_not_lines()
    {
        var record = new RecordBuilder("t6").Patient();
        record.Request("6313", "leucovorin", "2024-01-02");
        record.Request("40048", "carboplatin", "2024-06-02", treatmentIntent: RecordBuilder.Intent(SnomedCodes.SupportiveIntent, "Supportive"));

        var profile = _mapper.Map("t6", record.Resources);

        Assert.Empty(profile.TherapyLines);
        Assert.Equal(2, profile.ResourceAccounts.Count(a => a.Use == ResourceUse.NotUsed));
    }

    [Fact]
    public void A_disease_status_is_not_read_as_a_recist_response()
    {
        var record = new RecordBuilder("t7").Patient();
        var carboplatin = record.Medication("40048", "carboplatin", "2023-02-01", "2023-06-01");
        var status = record.Observation(LoincCodes.ResponseToCancerTreatment, new CodeableConcept(CodeSystems.Snomed, "359746009", "Patient's condition stable"), "2023-04-01");
        status.PartOf.Add(new ResourceReference("MedicationStatement/" + carboplatin.Id));

        var profile = _mapper.Map("t7", record.Resources);

        Assert.Null(Assert.Single(profile.TherapyLines).BestResponse);
    }
}
