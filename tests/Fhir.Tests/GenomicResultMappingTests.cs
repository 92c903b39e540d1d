using Hl7.Fhir.Model;
using Precision.Clinical;
using Precision.Clinical.Catalog;

namespace Precision.Fhir.Tests;

/// <summary>
/// Genomic results shaped per the Genomics Reporting IG's definitions (variant: value from LL1971-2, components
/// 48018-6 / 48004-6 / 48005-3 / 48019-4 / 82155-3; diagnostic implication with 53037-8 and derivedFrom; TMB 94076-7 in
/// UCUM 1/1000000{Base}; MSI 81695-9) and the older shapes hospitals still send.
/// </summary>
public sealed class GenomicResultMappingTests
{
    private readonly PatientProfileMapper _mapper = new();

    [Fact]
    public void An_absent_egfr_l858r_is_a_negative_result_never_a_variant_or_biomarker()
    {
        var record = new RecordBuilder("g1").Patient();
        record.VariantResult("EGFR", RecordBuilder.Absent, "NM_005228.5:c.2573T>G", "p.Leu858Arg", "SO:0001483");

        var profile = _mapper.Map("g1", record.Resources);

        Assert.Empty(profile.Variants);
        var negative = Assert.Single(profile.NegativeFindings);
        Assert.Equal("EGFR p.L858R not detected", negative.Label);
        Assert.DoesNotContain(BiomarkerKind.EgfrSensitizing, BiomarkerDefinitions.BiomarkersOf(profile));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("no-call")]
    [InlineData("words")]
    public void A_variant_without_a_readable_present_value_is_not_used(string? kind)
    {
        var record = new RecordBuilder("g2").Patient();
        DataType? value = kind switch
        {
            "no-call" => new CodeableConcept(CodeSystems.Loinc, LoincCodes.NoCallAnswer, "No call"),
            "words" => new FhirString("see report"),
            _ => null,
        };
        record.VariantResult("KRAS", value, "NM_004985.5:c.34G>T", "p.Gly12Cys");

        var profile = _mapper.Map("g2", record.Resources);

        Assert.Empty(profile.Variants);
        Assert.Empty(profile.NegativeFindings);
        Assert.Single(profile.ResourceAccounts, a => a.Source.ResourceType == "Observation" && a.Use == ResourceUse.NotUsed);
    }

    [Fact]
    public void Brca_counts_as_pathogenic_only_when_the_record_says_so()
    {
        var pathogenicByImplication = new RecordBuilder("g3").Patient();
        var variant = pathogenicByImplication.VariantResult("BRCA2", RecordBuilder.Present, "NM_000059.4:c.5946del", "p.Ser1982ArgfsTer22");
        pathogenicByImplication.DiagnosticImplication(variant, LoincCodes.PathogenicAnswer);
        var likelyPathogenicOnVariant = new RecordBuilder("g4").Patient();
        likelyPathogenicOnVariant.VariantResult("BRCA1", RecordBuilder.Present, "NM_007294.4:c.68_69del", "p.Glu23ValfsTer17", significance: LoincCodes.LikelyPathogenicAnswer);
        var vus = new RecordBuilder("g5").Patient();
        vus.VariantResult("BRCA2", RecordBuilder.Present, "NM_000059.4:c.1000A>G", "p.Ile334Val", significance: LoincCodes.UncertainSignificanceAnswer);
        var notReported = new RecordBuilder("g6").Patient();
        notReported.VariantResult("BRCA2", RecordBuilder.Present, "NM_000059.4:c.1000A>G", "p.Ile334Val");

        Assert.Contains(BiomarkerKind.BrcaPathogenic, BiomarkerDefinitions.BiomarkersOf(_mapper.Map("g3", pathogenicByImplication.Resources)));
        Assert.Contains(BiomarkerKind.BrcaPathogenic, BiomarkerDefinitions.BiomarkersOf(_mapper.Map("g4", likelyPathogenicOnVariant.Resources)));
        var vusProfile = _mapper.Map("g5", vus.Resources);
        var shown = Assert.Single(vusProfile.Variants);
        Assert.True(shown.IsUncertainSignificance);
        Assert.Empty(BiomarkerDefinitions.BiomarkersOf(vusProfile));
        Assert.Empty(BiomarkerDefinitions.BiomarkersOf(_mapper.Map("g6", notReported.Resources)));
        var implication = _mapper.Map("g3", pathogenicByImplication.Resources).ResourceAccounts.Single(a => a.Detail.StartsWith("clinical significance", StringComparison.Ordinal));
        Assert.Equal(ResourceUse.Used, implication.Use);
    }

    [Fact]
    public void A_benign_variant_is_not_used_and_says_so()
    {
        var record = new RecordBuilder("g7").Patient();
        record.VariantResult("TP53", RecordBuilder.Present, "NM_000546.6:c.215C>G", "p.Pro72Arg", significance: LoincCodes.BenignAnswer);

        var profile = _mapper.Map("g7", record.Resources);

        Assert.Empty(profile.Variants);
        Assert.Contains(profile.ResourceAccounts, a => a.Use == ResourceUse.NotUsed && a.Detail.Contains("benign", StringComparison.Ordinal));
    }

    [Fact]
    public void A_small_variant_with_a_copy_number_component_is_the_small_variant_not_a_copy_number_loss()
    {
        var record = new RecordBuilder("g8").Patient();
        record.VariantResult("TP53", RecordBuilder.Present, "NM_000546.6:c.524G>A", "p.Arg175His", "SO:0001483", copyNumber: 1);

        var profile = _mapper.Map("g8", record.Resources);

        Assert.Equal("TP53 p.R175H", Assert.Single(profile.Variants).Label);
        Assert.Empty(profile.CopyNumberAlterations);
    }

    [Theory]
    [InlineData(12, "SO:0001742", CopyNumberChange.Amplification)]
    [InlineData(4, "SO:0001742", CopyNumberChange.Gain)]
    [InlineData(1, "SO:0001743", CopyNumberChange.Loss)]
    [InlineData(null, "SO:0001742", CopyNumberChange.Gain)]
    public void Copy_number_direction_and_amplification_come_from_the_change_type_and_the_copy_number(int? copies, string changeType, CopyNumberChange expected)
    {
        var record = new RecordBuilder("g9").Patient();
        record.VariantResult("ERBB2", RecordBuilder.Present, changeType: changeType, copyNumber: copies);

        var profile = _mapper.Map("g9", record.Resources);

        Assert.Equal(expected, Assert.Single(profile.CopyNumberAlterations).Change);
        Assert.Equal(expected == CopyNumberChange.Amplification, BiomarkerDefinitions.BiomarkersOf(profile).Contains(BiomarkerKind.Erbb2Amplification));
    }

    [Fact]
    public void A_fusion_named_by_its_molecular_consequence_is_a_fusion_and_the_stu3_gene_system_is_read()
    {
        var record = new RecordBuilder("g10").Patient();
        var variant = record.VariantResult("ALK", RecordBuilder.Present, geneSystem: CodeSystems.HgncStu3);
        var consequence = record.Observation("unused", null);
        consequence.Code = new CodeableConcept("http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs", "molecular-consequence");
        consequence.DerivedFrom.Add(new ResourceReference("Observation/" + variant.Id));
        consequence.Component.Add(new Observation.ComponentComponent
        {
            Code = new CodeableConcept("http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs", "feature-consequence"),
            Value = new CodeableConcept(CodeSystems.SequenceOntologyAlternative, "SO:0001565", "gene_fusion"),
        });

        var profile = _mapper.Map("g10", record.Resources);

        var fusion = Assert.Single(profile.Fusions);
        Assert.Equal("ALK fusion (partner not reported)", fusion.Label);
        Assert.Contains(BiomarkerKind.AlkFusion, BiomarkerDefinitions.BiomarkersOf(profile));
    }

    [Theory]
    [InlineData("%", null)]
    [InlineData(null, null)]
    [InlineData("1/1000000{Base}", 14.2)]
    [InlineData("{Mutations}/1000000{Base}", 14.2)]
    public void Tmb_is_used_only_in_mutations_per_megabase(string? unit, double? expected)
    {
        var record = new RecordBuilder("g11").Patient();
        record.Observation(LoincCodes.TumorMutationalBurden, new Quantity { Value = 14.2m, Code = unit, System = unit is null ? null : CodeSystems.Ucum });

        var profile = _mapper.Map("g11", record.Resources);

        Assert.Equal(expected is null ? null : (decimal)expected, profile.TumorMutationalBurden?.MutationsPerMegabase);
        if (expected is null)
        {
            Assert.Contains(profile.DataQuality, i => i.Severity == DataQualitySeverity.Warning && i.Message.Contains("tumor mutational burden", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Tmb_and_msi_coded_only_by_text_or_as_a_string_are_read_and_said_so()
    {
        var record = new RecordBuilder("g12").Patient();
        var tmb = record.Observation("x", new Quantity { Value = 3.1m, Unit = "mutations/Mb" });
        tmb.Code = new CodeableConcept { Text = "Tumor mutational burden" };
        var msi = record.Observation("x", new FhirString("MSI-High"));
        msi.Code = new CodeableConcept { Text = "Microsatellite instability" };

        var profile = _mapper.Map("g12", record.Resources);

        Assert.Equal(3.1m, profile.TumorMutationalBurden!.MutationsPerMegabase);
        Assert.Equal(MicrosatelliteStatus.InstabilityHigh, profile.Microsatellite!.Status);
        Assert.Equal(2, profile.DataQuality.Count(i => i.Message.Contains("recognized as", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_pd_l1_combined_positive_score_is_not_a_tumor_proportion_score()
    {
        var record = new RecordBuilder("g13").Patient();
        var cps = record.Observation("x", new Quantity(60, "{score}"));
        cps.Code = new CodeableConcept { Text = "PD-L1 22C3 combined positive score (CPS)" };

        Assert.Null(_mapper.Map("g13", record.Resources).PdL1);
    }

    [Fact]
    public void Results_reachable_only_through_the_report_are_attributed_and_orphans_are_not()
    {
        var record = new RecordBuilder("g14").Patient();
        var variant = record.VariantResult("KRAS", RecordBuilder.Present, "NM_004985.5:c.34G>T", "p.Gly12Cys");
        variant.Subject = null;
        var orphan = record.Observation(LoincCodes.EcogPerformanceStatus, new Integer(1));
        orphan.Subject = null;
        record.Resources.Add(new DiagnosticReport
        {
            Id = "dr-g14",
            Status = DiagnosticReport.DiagnosticReportStatus.Final,
            Code = new CodeableConcept(CodeSystems.Loinc, LoincCodes.GeneticAnalysisReport),
            Subject = record.Subject,
            Result = [new ResourceReference("Observation/" + variant.Id)],
        });

        var profile = _mapper.Map("g14", record.Resources);

        Assert.Equal("KRAS p.G12C", Assert.Single(profile.Variants).Label);
        Assert.Contains(BiomarkerKind.KrasG12C, BiomarkerDefinitions.BiomarkersOf(profile));
        Assert.Null(profile.Ecog);
        Assert.Contains(profile.ResourceAccounts, a => a.Source.Id == orphan.Id && a.Use == ResourceUse.NotUsed && a.Detail.Contains("names no patient", StringComparison.Ordinal));
    }

    [Fact]
    public void A_result_of_another_patient_reached_through_a_report_is_not_taken()
    {
        var record = new RecordBuilder("g15").Patient();
        var stranger = new RecordBuilder("someone");
        var theirs = stranger.VariantResult("EGFR", RecordBuilder.Present, "NM_005228.5:c.2573T>G", "p.Leu858Arg");
        record.Resources.Add(new DiagnosticReport { Id = "dr-g15", Status = DiagnosticReport.DiagnosticReportStatus.Final, Code = new CodeableConcept(CodeSystems.Loinc, LoincCodes.GenomicsReport), Subject = record.Subject, Result = [new ResourceReference("Observation/" + theirs.Id)] });

        var profile = _mapper.Map("g15", record.Resources.Concat(stranger.Resources));

        Assert.Empty(profile.Variants);
    }
}
