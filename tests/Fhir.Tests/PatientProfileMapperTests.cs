using Hl7.Fhir.Model;
using Precision.Clinical;

namespace Precision.Fhir.Tests;

public sealed class PatientProfileMapperTests
{
    private readonly PatientProfileMapper _mapper = new();

    [Fact]
    public void Demographics_diagnosis_stage_ecog_and_smoking_are_read_with_their_sources()
    {
        var record = new RecordBuilder("p1").Patient();
        record.Cancer("254637007", "C34.90", "2023-05-02");
        record.Observation(LoincCodes.StageGroupClinical, new CodeableConcept("http://cancerstaging.org", "IIIA", "Stage IIIA", "Stage IIIA"));
        record.Observation(LoincCodes.EcogPerformanceStatus, new Integer(1), "2023-01-01");
        var latestEcog = record.Observation(LoincCodes.EcogPerformanceStatus, new Integer(2), "2024-02-01");
        record.Observation(LoincCodes.TobaccoSmokingStatus, new CodeableConcept(CodeSystems.Snomed, "8517006", "Ex-smoker"));

        var profile = _mapper.Map("p1", record.Resources);

        Assert.Equal("Ada Testpatient", profile.Demographics.DisplayName);
        Assert.Equal("MRN-p1", profile.Demographics.MedicalRecordNumber);
        Assert.Equal(new DateOnly(1961, 4, 12), profile.Demographics.BirthDate);
        Assert.Equal(AdministrativeSex.Female, profile.Demographics.Sex);
        Assert.Equal("White", profile.Demographics.Race);
        Assert.Equal("3", profile.Demographics.Source.VersionId);
        Assert.Equal(CancerType.NonSmallCellLungCancer, profile.PrimaryCancer!.CancerType);
        Assert.Equal("C34.90", profile.PrimaryCancer.Icd10Code);
        Assert.Equal(3, profile.Stage!.StageNumber);
        Assert.Equal(2, profile.Ecog!.Score);
        Assert.Equal("Observation/" + latestEcog.Id, profile.Ecog.Source.Reference);
        Assert.Equal(SmokingStatusCategory.Former, profile.Smoking!.Category);
    }

    [Fact]
    public void Labs_are_converted_to_canonical_units_deduplicated_and_absurd_values_reported()
    {
        var record = new RecordBuilder("p2").Patient();
        record.Lab("1751-7", 31m, "g/L");                     // albumin in g/L → 3.1 g/dL
        record.Lab("2160-0", 88.42m, "umol/L");               // creatinine in µmol/L → 1 mg/dL
        record.Lab("718-7", 11.2m, "g/dL");
        record.Lab("718-7", 11.2m, "g/dL");                   // duplicate
        record.Lab("1742-6", 99999m, "U/L");                  // absurd ALT
        record.Lab("777-3", 250m, "furlongs");                // unknown unit
        record.Observation("99999-9", new Quantity(1, "1"));  // unknown LOINC

        var profile = _mapper.Map("p2", record.Resources);

        var albumin = Assert.Single(profile.Labs, l => l.Analyte == LabAnalyte.Albumin);
        Assert.Equal(3.1m, albumin.Value);
        Assert.Equal("g/dL", albumin.Unit);
        Assert.Equal(LabInterpretation.Low, albumin.Interpretation);
        Assert.Equal(1m, Assert.Single(profile.Labs, l => l.Analyte == LabAnalyte.Creatinine).Value);
        Assert.Single(profile.Labs, l => l.Analyte == LabAnalyte.Hemoglobin);
        Assert.DoesNotContain(profile.Labs, l => l.Analyte is LabAnalyte.AlanineAminotransferase or LabAnalyte.Platelets);
        Assert.Contains(profile.DataQuality, i => i.Severity == DataQualitySeverity.Error && i.Message.Contains("outside the plausible range", StringComparison.Ordinal));
        Assert.Contains(profile.DataQuality, i => i.Message.Contains("'furlongs'", StringComparison.Ordinal));
        Assert.Contains(profile.DataQuality, i => i.Message.Contains("duplicates", StringComparison.Ordinal));
        Assert.Contains(profile.DataQuality, i => i.Message.Contains("99999-9", StringComparison.Ordinal));
    }

    [Fact]
    public void Entered_in_error_resources_are_ignored_and_several_primary_cancers_are_kept()
    {
        var record = new RecordBuilder("p3").Patient();
        record.Cancer("363406005", "C18.9", "2019-01-10");
        record.Cancer("254837009", "C50.919", "2024-06-01");
        record.Cancer("363418001", "C25.9", "2024-07-01", verification: "entered-in-error");
        record.Observation(LoincCodes.EcogPerformanceStatus, new Integer(4), status: ObservationStatus.EnteredInError);

        var profile = _mapper.Map("p3", record.Resources);

        Assert.Equal(2, profile.PrimaryCancers.Count);
        Assert.Equal(CancerType.BreastCancer, profile.PrimaryCancer!.CancerType); // most recent
        Assert.Null(profile.Ecog);
        Assert.Equal(2, profile.DataQuality.Count(i => i.Message.Contains("entered-in-error", StringComparison.OrdinalIgnoreCase) || i.Message.Contains("EnteredInError", StringComparison.Ordinal)));
    }

    [Fact]
    public void Unknown_cancer_codes_and_missing_stage_become_data_quality_entries_not_exceptions()
    {
        var record = new RecordBuilder("p4").Patient(birthDate: "");
        record.Cancer("93870000", "C22.0", "2022-01-01"); // liver cancer: not a type the model knows
        record.Observation(LoincCodes.StageGroupClinical, new CodeableConcept { Text = "unstaged" });

        var profile = _mapper.Map("p4", record.Resources);

        Assert.Equal(CancerType.Other, profile.PrimaryCancer!.CancerType);
        Assert.Null(profile.Stage);
        Assert.Null(profile.Demographics.BirthDate);
        Assert.Contains(profile.DataQuality, i => i.Message.Contains("not in the portal's cancer-type table", StringComparison.Ordinal));
        Assert.Contains(profile.DataQuality, i => i.Message.Contains("stage group the portal cannot read", StringComparison.Ordinal));
        Assert.Contains(profile.DataQuality, i => i.Message.Contains("birth date", StringComparison.Ordinal));
    }

    [Fact]
    public void Genomic_findings_are_read_per_the_genomics_reporting_ig()
    {
        var record = new RecordBuilder("p5").Patient();
        record.Variant("EGFR", "NM_005228.5:c.2573T>G", "NP_005219.2:p.(Leu858Arg)", 0.31m);
        record.Variant("DPYD", "NM_000110.4:c.1905+1G>A", null, 50m, LoincCodes.GermlineAnswer); // VAF given in percent
        var fusion = record.Observation(LoincCodes.GeneticVariantAssessment, RecordBuilder.Present);
        fusion.Component.Add(RecordBuilder.Component(LoincCodes.GeneStudied, new CodeableConcept(CodeSystems.Hgnc, "HGNC:1316", "EML4")));
        fusion.Component.Add(RecordBuilder.Component(LoincCodes.GeneStudied, new CodeableConcept(CodeSystems.Hgnc, "HGNC:427", "ALK")));
        var cnv = record.Observation(LoincCodes.GeneticVariantAssessment, RecordBuilder.Present);
        cnv.Component.Add(RecordBuilder.Component(LoincCodes.GeneStudied, new CodeableConcept(CodeSystems.Hgnc, "HGNC:3430", "ERBB2")));
        cnv.Component.Add(RecordBuilder.Component(LoincCodes.CopyNumber, new Quantity(12, "1")));
        record.Observation(LoincCodes.TumorMutationalBurden, new Quantity(14.2m, "1/1000000{Base}"));
        record.Observation(LoincCodes.MicrosatelliteInstability, new CodeableConcept(CodeSystems.Loinc, LoincCodes.MsiHighAnswer, "MSI-H"));
        record.Observation(LoincCodes.PdL1TumorProportionScore, new Quantity(60, "%"));
        var genotype = record.Observation(LoincCodes.GenotypeDisplayName, new CodeableConcept { Text = "*1/*28" });
        genotype.Component.Add(RecordBuilder.Component(LoincCodes.GeneStudied, new CodeableConcept(CodeSystems.Hgnc, "HGNC:12530", "UGT1A1")));

        var profile = _mapper.Map("p5", record.Resources);

        var egfr = Assert.Single(profile.Variants, v => v.Gene == "EGFR");
        Assert.Equal("EGFR p.L858R", egfr.Label);
        Assert.Equal(0.31m, egfr.AlleleFrequency);
        Assert.Equal(GenomicSourceClass.Somatic, egfr.Origin);
        var dpyd = Assert.Single(profile.Variants, v => v.Gene == "DPYD");
        Assert.Equal(0.5m, dpyd.AlleleFrequency);
        Assert.Equal(GenomicSourceClass.Germline, dpyd.Origin);
        Assert.Equal("EML4::ALK", Assert.Single(profile.Fusions).Label);
        Assert.Equal("ERBB2 amplification", Assert.Single(profile.CopyNumberAlterations).Label);
        Assert.Equal(14.2m, profile.TumorMutationalBurden!.MutationsPerMegabase);
        Assert.Equal(MicrosatelliteStatus.InstabilityHigh, profile.Microsatellite!.Status);
        Assert.Equal(60m, profile.PdL1!.TumorProportionScorePercent);
        Assert.Equal("*1/*28", Assert.Single(profile.Pharmacogenomics).Genotype);
    }

    [Fact]
    public void Therapy_lines_come_from_the_record_grouping_or_else_from_start_dates_with_their_best_response()
    {
        var record = new RecordBuilder("p6").Patient();
        var carboplatin = record.Medication("40048", "carboplatin", "2023-02-01", "2023-06-01", line: "line-1");
        record.Medication("68446", "pemetrexed", "2023-02-03", "2023-06-01", line: "line-1");
        record.Medication("1721560", "osimertinib", "2023-07-10"); // no grouping: its own line by start date
        var response = record.Observation(LoincCodes.ResponseToCancerTreatment, new CodeableConcept { Text = "Partial response (PR)" }, "2023-05-01");
        response.PartOf.Add(new ResourceReference("MedicationStatement/" + carboplatin.Id));
        record.Observation(LoincCodes.ResponseToCancerTreatment, new CodeableConcept { Text = "Progressive disease" }, "2023-10-01");

        var profile = _mapper.Map("p6", record.Resources);

        Assert.Equal(2, profile.TherapyLines.Count);
        var first = profile.TherapyLines[0];
        Assert.Equal(1, first.LineNumber);
        Assert.Equal("carboplatin + pemetrexed", first.Label);
        Assert.Equal(RecistResponse.PartialResponse, first.BestResponse);
        Assert.True(first.ObjectiveResponse);
        var second = profile.TherapyLines[1];
        Assert.Equal("osimertinib", second.Label);
        Assert.Equal(RecistResponse.ProgressiveDisease, second.BestResponse); // linked by date
        Assert.False(second.ObjectiveResponse);
    }

    [Fact]
    public void Resources_of_another_patient_are_not_mixed_in()
    {
        var record = new RecordBuilder("p7").Patient();
        var stranger = new RecordBuilder("someone-else");
        stranger.Observation(LoincCodes.EcogPerformanceStatus, new Integer(3));

        var profile = _mapper.Map("p7", record.Resources.Concat(stranger.Resources));

        Assert.Null(profile.Ecog);
        Assert.Contains(profile.DataQuality, i => i.Message.Contains("another patient", StringComparison.Ordinal));
    }

    [Fact]
    public void A_record_without_the_patient_resource_still_maps_and_says_so()
    {
        var profile = _mapper.Map("ghost", []);
        Assert.Equal("Unknown patient", profile.Demographics.DisplayName);
        Assert.Contains(profile.DataQuality, i => i.Severity == DataQualitySeverity.Error);
    }
}
