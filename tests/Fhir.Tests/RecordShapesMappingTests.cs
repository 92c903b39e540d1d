using Hl7.Fhir.Model;
using Precision.Clinical;

namespace Precision.Fhir.Tests;

/// <summary>Staging in every mCODE shape, procedures, vital status, lab codes and units real labs use, bounded text, accountability.</summary>
public sealed class RecordShapesMappingTests
{
    private readonly PatientProfileMapper _mapper = new();

    [Theory]
    [InlineData("snomed-stu4", "IIIA")]
    [InlineData("ajcc-code", "IIIA")]
    [InlineData("snomed-display", "IVB")]
    [InlineData("figo", "IIIC")]
    public void Stage_groups_are_read_from_every_mcode_shape(string shape, string expected)
    {
        var record = new RecordBuilder("s1").Patient();
        var primary = record.Condition([(CodeSystems.Snomed, "363443007"), (CodeSystems.Icd10Cm, "C56.9")]);
        var stage = record.Observation(LoincCodes.StageGroupClinical, null, "2023-02-01");
        switch (shape)
        {
            case "snomed-stu4":
                stage.Code = new CodeableConcept(CodeSystems.Snomed, SnomedCodes.ClinicalTnmStageGrouping, "Clinical TNM stage grouping");
                stage.Meta = new Meta { Profile = [FhirProfiles.McodeTnmStageGroup] };
                stage.Method = new CodeableConcept(CodeSystems.Snomed, SnomedCodes.Ajcc8thEdition);
                stage.Value = new CodeableConcept { Text = "Stage IIIA" };
                break;
            case "ajcc-code":
                stage.Value = new CodeableConcept(CodeSystems.AjccCancerStaging, "3A");
                break;
            case "snomed-display":
                stage.Value = new CodeableConcept(CodeSystems.Snomed, "0000000", "American Joint Committee on Cancer stage IVB (qualifier value)");
                break;
            case "figo":
                stage.Code = new CodeableConcept(CodeSystems.Loinc, LoincCodes.StageGroupOther);
                stage.Value = new CodeableConcept("http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl", "C96258", "FIGO Stage IIIC");
                break;
        }

        stage.Focus.Add(new ResourceReference("Condition/" + primary.Id));

        var profile = _mapper.Map("s1", record.Resources);

        Assert.Equal(expected, profile.Stage!.Stage);
        Assert.Equal("Observation/" + stage.Id, profile.Stage.Source.Reference);
    }

    [Fact]
    public void Condition_stage_summary_counts_and_a_stage_of_another_condition_does_not()
    {
        var record = new RecordBuilder("s2").Patient();
        var old = record.Condition([(CodeSystems.Snomed, "254837009"), (CodeSystems.Icd10Cm, "C50.919")], onset: "2010-01-01", clinicalStatus: "remission");
        var current = record.Condition([(CodeSystems.Snomed, "363406005"), (CodeSystems.Icd10Cm, "C18.9")], onset: "2023-01-01");
        current.Stage.Add(new Condition.StageComponent { Summary = new CodeableConcept { Text = "Stage IIIB" } });
        var otherStage = record.Observation(LoincCodes.StageGroupClinical, new CodeableConcept { Text = "Stage IV" }, "2024-01-01");
        otherStage.Focus.Add(new ResourceReference("Condition/" + old.Id));

        var profile = _mapper.Map("s2", record.Resources);

        Assert.Equal("IIIB", profile.Stage!.Stage);
        Assert.Equal("Condition/" + current.Id, profile.Stage.Source.Reference);
        Assert.Contains(profile.ResourceAccounts, a => a.Source.Id == otherStage.Id && a.Use == ResourceUse.NotUsed && a.Detail.Contains("not the cancer the portal predicts for", StringComparison.Ordinal));
    }

    [Fact]
    public void Cancer_surgery_and_radiotherapy_are_read_for_the_timeline_and_other_procedures_are_not()
    {
        var record = new RecordBuilder("s3").Patient();
        var primary = record.Condition([(CodeSystems.Snomed, "254837009"), (CodeSystems.Icd10Cm, "C50.912")]);
        record.Procedure(new CodeableConcept(CodeSystems.Snomed, "392021009", "Lumpectomy of breast (procedure)"), "2023-02-10", FhirProfiles.McodeSurgicalProcedure, SnomedCodes.SurgicalProcedure, primary);
        var radiotherapy = record.Procedure(new CodeableConcept(CodeSystems.Snomed, SnomedCodes.RadiotherapyCourseOfTreatment, "Radiotherapy course of treatment"), "2023-03-20", FhirProfiles.McodeRadiotherapyCourseSummary, SnomedCodes.RadiationOncologyProcedure);
        radiotherapy.Performed = new Period(new FhirDateTime("2023-03-20"), new FhirDateTime("2023-04-28"));
        radiotherapy.Extension.Add(RecordBuilder.Intent(SnomedCodes.CurativeIntent, "Curative"));
        record.Procedure(new CodeableConcept { Text = "Appendectomy" }, "2001-06-01");
        record.Procedure(new CodeableConcept(CodeSystems.Snomed, "69031006", "Excision of breast tissue"), "2023-02-01", FhirProfiles.McodeSurgicalProcedure, status: EventStatus.NotDone);

        var profile = _mapper.Map("s3", record.Resources);

        Assert.Equal(2, profile.Procedures.Count);
        var surgery = Assert.Single(profile.Procedures, p => p.Kind == CancerProcedureKind.Surgery);
        Assert.Equal("Lumpectomy of breast (procedure)", surgery.Label);
        var course = Assert.Single(profile.Procedures, p => p.Kind == CancerProcedureKind.Radiotherapy);
        Assert.Equal(new DateOnly(2023, 4, 28), course.EndedOn);
        Assert.Equal(TreatmentIntent.Curative, course.Intent);
        Assert.Equal(2, profile.ResourceAccounts.Count(a => a.Source.ResourceType == "Procedure" && a.Use == ResourceUse.NotUsed));
    }

    [Theory]
    [InlineData(true, null)]
    [InlineData(false, "2025-03-02")]
    public void A_deceased_patient_is_shown_as_such_and_gets_no_ranking(bool boolean, string? date)
    {
        var record = new RecordBuilder("s4").Patient();
        ((Patient)record.Resources[0]).Deceased = boolean ? new FhirBoolean(true) : new FhirDateTime(date!);
        record.Condition([(CodeSystems.Snomed, "254637007"), (CodeSystems.Icd10Cm, "C34.90")]);

        var profile = _mapper.Map("s4", record.Resources);

        Assert.NotNull(profile.VitalStatus);
        Assert.Equal(date is null ? null : DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture), profile.VitalStatus.DeceasedOn);
        Assert.Contains("died", PredictionEligibility.WhyNot(profile), StringComparison.Ordinal);
    }

    [Fact]
    public void A_record_without_a_cancer_diagnosis_gets_no_oncology_ranking()
    {
        var record = new RecordBuilder("s5").Patient();
        record.Condition([(CodeSystems.Snomed, "44054006")], text: "Diabetes mellitus type 2");
        var genotype = record.Observation(LoincCodes.GenotypeDisplayName, new CodeableConcept { Text = "*1/*2A" });
        genotype.Component.Add(RecordBuilder.Component(LoincCodes.GeneStudied, new CodeableConcept(CodeSystems.Hgnc, "HGNC:3012", "DPYD")));

        var profile = _mapper.Map("s5", record.Resources);

        Assert.Null(profile.PrimaryCancer);
        Assert.Single(profile.Pharmacogenomics);
        Assert.Contains("no primary cancer diagnosis", PredictionEligibility.WhyNot(profile), StringComparison.Ordinal);
    }

    [Fact]
    public void Unbounded_text_is_cut_and_the_cut_is_reported()
    {
        var record = new RecordBuilder("s6").Patient(given: new string('A', 2_000_000));
        record.VariantResult("EGFR", RecordBuilder.Present, "NM_005228.5:c." + new string('A', 1_000_000), "p.Leu858Arg");

        var profile = _mapper.Map("s6", record.Resources);

        Assert.True(profile.Demographics.DisplayName.Length <= 201);
        Assert.True(Assert.Single(profile.Variants).CodingChange!.Length <= 201);
        Assert.Contains(profile.DataQuality, i => i.Message.Contains("has a name of 2,000,012 characters; the first 200 are kept", StringComparison.Ordinal));
        Assert.All(profile.DataQuality, i => Assert.True(i.Message.Length < 2_000));
    }

    [Fact]
    public void Lab_codes_and_units_real_labs_use_are_read_with_conversion()
    {
        var record = new RecordBuilder("s7").Patient();
        record.Lab("1742-6", 40m, "[IU]/L");
        record.Lab("718-7", 11.5m, "g/dl");
        record.Lab("26499-4", 3.2m, "10*3/ul");
        record.Lab("38483-4", 97.3m, "umol/L");
        record.Lab("770-8", 62m, "%"); // neutrophils per 100 leukocytes: a percentage, not a count

        var profile = _mapper.Map("s7", record.Resources);

        Assert.Equal(40m, profile.Labs.Single(l => l.Analyte == LabAnalyte.AlanineAminotransferase).Value);
        Assert.Equal(11.5m, profile.Labs.Single(l => l.Analyte == LabAnalyte.Hemoglobin).Value);
        Assert.Equal(3.2m, profile.Labs.Single(l => l.Analyte == LabAnalyte.Neutrophils).Value);
        Assert.Equal(1.1004m, profile.Labs.Single(l => l.Analyte == LabAnalyte.Creatinine).Value);
        Assert.Equal(4, profile.Labs.Count);
    }

    [Fact]
    public void Every_resource_is_accounted_for_with_what_it_became_or_why_not()
    {
        var record = new RecordBuilder("s8").Patient();
        record.Condition([(CodeSystems.Snomed, "254637007"), (CodeSystems.Icd10Cm, "C34.90")]);
        record.Observation(LoincCodes.EcogPerformanceStatus, new Integer(1));
        record.Lab("718-7", 12m, "g/dL");
        record.Medication("1721560", "osimertinib", "2024-01-01");
        record.Medication("6809", "metformin", "2019-01-01");
        record.Resources.Add(new Specimen { Id = "spec-1", Subject = record.Subject, Type = new CodeableConcept { Text = "Tumor tissue" } });
        record.Resources.Add(new Encounter { Id = "enc-1", Subject = record.Subject });
        record.Resources.Add(new Medication { Id = "orphan-med", Code = new CodeableConcept { Text = "aspirin" } });

        var profile = _mapper.Map("s8", record.Resources);

        Assert.Equal(record.Resources.Count, profile.ResourceAccounts.Count);
        Assert.All(profile.ResourceAccounts, a => Assert.False(string.IsNullOrWhiteSpace(a.Detail)));
        Assert.DoesNotContain(profile.ResourceAccounts, a => a.Detail.Contains("not read by any rule", StringComparison.Ordinal));
        Assert.Equal(5, profile.ResourceAccounts.Count(a => a.Use == ResourceUse.Used));
    }
}
