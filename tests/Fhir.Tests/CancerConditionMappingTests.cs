using Hl7.Fhir.Model;
using Precision.Clinical;

namespace Precision.Fhir.Tests;

/// <summary>
/// Diagnoses as hospitals code them (mCODE PrimaryCancerCondition / SecondaryCancerCondition: SNOMED CT is-a 363346000 /
/// 128462008, ICD-10-CM, the histology-morphology-behavior extension). A metastasis is never the diagnosis, a histology
/// the model does not cover is never read as the neighbouring type.
/// </summary>
public sealed class CancerConditionMappingTests
{
    private const string Snomed = CodeSystems.Snomed;
    private const string Icd10 = CodeSystems.Icd10Cm;
    private readonly PatientProfileMapper _mapper = new();

    [Fact]
    public void A_metastasis_is_a_metastatic_site_of_its_primary_not_the_diagnosis()
    {
        var record = new RecordBuilder("m1").Patient();
        var primary = record.Condition([(Snomed, "254637007"), (Icd10, "C34.90")], FhirProfiles.McodePrimaryCancerCondition, onset: "2022-03-01");
        // Diagnosed later than the primary, so "most recent" alone would have picked it.
        var brain = record.Condition([(Snomed, "94225005"), (Icd10, "C79.31")], FhirProfiles.McodeSecondaryCancerCondition, "Brain metastasis", "2024-01-05", relatedPrimaryId: primary.Id);
        record.Condition([(Icd10, "C78.7")], text: "Liver metastases", onset: "2024-02-01"); // ICD-10-CM only, no profile, no link

        var profile = _mapper.Map("m1", record.Resources);

        Assert.Equal(CancerType.NonSmallCellLungCancer, profile.PrimaryCancer!.CancerType);
        Assert.Equal("Condition/" + primary.Id, profile.PrimaryCancer.Source.Reference);
        Assert.Single(profile.PrimaryCancers);
        Assert.Equal(2, profile.SecondaryCancers.Count);
        var brainSite = Assert.Single(profile.SecondaryCancers, s => s.Source.Id == brain.Id);
        Assert.Equal("brain", brainSite.Site);
        Assert.Equal("Condition/" + primary.Id, brainSite.RelatedPrimary!.Reference);
        var liver = Assert.Single(profile.SecondaryCancers, s => s.Source.Id != brain.Id);
        Assert.Equal("liver", liver.Site);
        Assert.Null(liver.RelatedPrimary);
        Assert.Contains(profile.ResourceAccounts, a => a.Source.Id == brain.Id && a.Use == ResourceUse.Used && a.Detail.StartsWith("metastatic site: brain", StringComparison.Ordinal));
    }

    [Fact]
    public void A_record_with_only_a_metastasis_has_no_diagnosis_and_no_ranking()
    {
        var record = new RecordBuilder("m2").Patient();
        record.Condition([(Snomed, "94381002")], FhirProfiles.McodeSecondaryCancerCondition);

        var profile = _mapper.Map("m2", record.Resources);

        Assert.Null(profile.PrimaryCancer);
        Assert.Single(profile.SecondaryCancers);
        Assert.Contains("no primary cancer", PredictionEligibility.WhyNot(profile), StringComparison.Ordinal);
    }

    [Theory]
    // 999999001 is not a real concept id: it stands for any more specific SNOMED CT descendant the table does not list.
    [InlineData("C50.912", "Primary malignant neoplasm of female left breast", "999999001", CancerType.BreastCancer)]
    [InlineData("C20", null, null, CancerType.ColorectalCancer)]
    [InlineData("C25.9", null, "372003004", CancerType.PancreaticCancer)]
    [InlineData("C43.9", null, null, CancerType.Melanoma)]
    [InlineData("C56.9", null, "93934004", CancerType.OvarianCancer)]
    public void Specific_codes_and_icd10_fall_back_to_their_cancer_type(string icd10, string? text, string? snomed, CancerType expected)
    {
        var record = new RecordBuilder("m3").Patient();
        var codes = new List<(string, string)> { (Icd10, icd10) };
        if (snomed is not null)
        {
            codes.Insert(0, (Snomed, snomed));
        }

        record.Condition(codes, text: text);

        var cancer = _mapper.Map("m3", record.Resources).PrimaryCancer!;

        Assert.Equal(expected, cancer.CancerType);
        Assert.Null(cancer.ClassificationNote);
    }

    [Fact]
    public void Small_cell_lung_cancer_is_not_read_as_non_small_cell()
    {
        var record = new RecordBuilder("m4").Patient();
        record.Condition([(Snomed, "254632001"), (Icd10, "C34.90")], text: "Small cell carcinoma of lung");

        var profile = _mapper.Map("m4", record.Resources);

        Assert.Equal(CancerType.Other, profile.PrimaryCancer!.CancerType);
        Assert.Contains("small cell carcinoma", profile.PrimaryCancer.ClassificationNote, StringComparison.Ordinal);
        Assert.Equal("Small cell carcinoma of lung", profile.PrimaryCancer.DisplayName);
        Assert.Contains(profile.DataQuality, i => i.Severity == DataQualitySeverity.Warning && i.Message.Contains("small cell", StringComparison.Ordinal));
    }

    [Fact]
    public void A_histology_that_contradicts_the_coded_type_gives_other_not_the_coded_type()
    {
        var record = new RecordBuilder("m5").Patient();
        record.Condition([(Snomed, "254637007"), (Icd10, "C34.90")], histologyIcdO3: "8041/3");

        var cancer = _mapper.Map("m5", record.Resources).PrimaryCancer!;

        Assert.Equal(CancerType.Other, cancer.CancerType);
        Assert.Contains("is coded as Non-small cell lung cancer but its histology is small cell carcinoma", cancer.ClassificationNote, StringComparison.Ordinal);
    }

    [Fact]
    public void Lung_cancer_needs_its_histology_to_be_non_small_cell()
    {
        var withoutHistology = new RecordBuilder("m6").Patient();
        withoutHistology.Condition([(Icd10, "C34.11")]);
        var adenocarcinoma = new RecordBuilder("m7").Patient();
        adenocarcinoma.Condition([(Icd10, "C34.11")], histologyIcdO3: "8140/3");

        var unknown = _mapper.Map("m6", withoutHistology.Resources).PrimaryCancer!;
        var nsclc = _mapper.Map("m7", adenocarcinoma.Resources).PrimaryCancer!;

        Assert.Equal(CancerType.Other, unknown.CancerType);
        Assert.Contains("without a histology", unknown.ClassificationNote, StringComparison.Ordinal);
        Assert.Equal(CancerType.NonSmallCellLungCancer, nsclc.CancerType);
        Assert.Equal("8140/3", nsclc.Histology!.Code);
    }

    [Theory]
    [InlineData("C69.31", null, "uveal")]           // melanoma of the eye: a different disease
    [InlineData("C25.4", null, "neuroendocrine")]   // endocrine pancreas
    [InlineData("C18.7", "8240/3", "neuroendocrine")] // colon carcinoid
    [InlineData("C50.911", "8800/3", "sarcoma")]
    public void Cancers_the_model_does_not_cover_are_other_with_the_reason(string icd10, string? morphology, string reasonWord)
    {
        var record = new RecordBuilder("m8").Patient();
        record.Condition(icd10 == "C69.31" ? [(Snomed, "372244006"), (Icd10, icd10)] : [(Icd10, icd10)], histologyIcdO3: morphology);

        var cancer = _mapper.Map("m8", record.Resources).PrimaryCancer!;

        Assert.Equal(CancerType.Other, cancer.CancerType);
        Assert.Contains(reasonWord, cancer.ClassificationNote, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("D05.11", "carcinoma in situ")]
    [InlineData("Z85.3", "history")]
    public void In_situ_and_history_codes_are_not_a_diagnosis(string icd10, string reasonWord)
    {
        var record = new RecordBuilder("m9").Patient();
        var condition = record.Condition([(Icd10, icd10)]);

        var profile = _mapper.Map("m9", record.Resources);

        Assert.Null(profile.PrimaryCancer);
        var account = Assert.Single(profile.ResourceAccounts, a => a.Source.Id == condition.Id);
        Assert.Equal(ResourceUse.NotUsed, account.Use);
        Assert.Contains(reasonWord, account.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_provisional_diagnosis_is_not_used_and_a_suspicion_is_no_cancer()
    {
        var record = new RecordBuilder("m10").Patient();
        var provisional = record.Condition([(Snomed, "254837009"), (Icd10, "C50.919")]);
        provisional.VerificationStatus = new CodeableConcept(CodeSystems.ConditionVerification, "provisional");
        record.Condition([(Snomed, "162573006")], text: "Suspected lung cancer");

        var profile = _mapper.Map("m10", record.Resources);

        Assert.Null(profile.PrimaryCancer);
        Assert.Contains(profile.DataQuality, i => i.Message.Contains("provisional diagnosis", StringComparison.Ordinal));
        Assert.Contains(profile.ResourceAccounts, a => a.Detail.Contains("suspicion", StringComparison.Ordinal));
    }

    [Fact]
    public void The_diagnosis_is_the_active_primary_not_a_later_one_in_remission()
    {
        var record = new RecordBuilder("m11").Patient();
        var active = record.Condition([(Snomed, "363406005"), (Icd10, "C18.9")], onset: "2021-05-01", clinicalStatus: "active");
        record.Condition([(Snomed, "254837009"), (Icd10, "C50.919")], onset: "2023-05-01", clinicalStatus: "remission");

        var profile = _mapper.Map("m11", record.Resources);

        Assert.Equal(2, profile.PrimaryCancers.Count);
        Assert.Equal(active.Id, profile.PrimaryCancer!.Source.Id);
        Assert.Equal(CancerType.ColorectalCancer, profile.PrimaryCancer.CancerType);
    }

    [Fact]
    public void An_unknown_code_system_is_named_with_its_system_and_code_not_as_none()
    {
        var record = new RecordBuilder("m12").Patient();
        var observation = record.Observation("x", new Quantity(3, "1"));
        observation.Code = new CodeableConcept("urn:oid:1.2.3.4", "LOCAL-77", "Local test");

        var profile = _mapper.Map("m12", record.Resources);

        var issue = Assert.Single(profile.DataQuality, i => i.Source?.Id == observation.Id);
        Assert.Contains("urn:oid:1.2.3.4 LOCAL-77 (Local test)", issue.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("(none)", issue.Message, StringComparison.Ordinal);
    }
}
