using Hl7.Fhir.Model;
using Precision.Clinical;

namespace Precision.Fhir.Tests;

/// <summary>Values no patient can have are refused for that fact, named, and never read as "not tested".</summary>
public sealed class ImplausibleValueTests
{
    private readonly PatientProfileMapper _mapper = new();

    [Fact]
    public void Pd_l1_250_percent_ecog_9_and_tmb_minus_5_are_refused_with_their_values_named()
    {
        var record = new RecordBuilder("imp1").Patient();
        record.Cancer("254637007", "C34.90", "2024-01-10");
        var pdl1 = record.Observation(LoincCodes.PdL1TumorProportionScore, new Quantity(250, "%", CodeSystems.Ucum));
        var ecog = record.Observation(LoincCodes.EcogPerformanceStatus, new Integer(9));
        var tmb = record.Observation(LoincCodes.TumorMutationalBurden, new Quantity(-5, "1/1000000{Base}", CodeSystems.Ucum));

        var profile = _mapper.Map("imp1", record.Resources);

        Assert.Null(profile.PdL1);
        Assert.Null(profile.Ecog);
        Assert.Null(profile.TumorMutationalBurden);
        Assert.Equal(
            [("PD-L1", "TPS 250 %", pdl1.Id!), ("ECOG", "9", ecog.Id!), ("TMB", "-5 mutations/Mb", tmb.Id!)],
            profile.ImplausibleValues.Select(v => (v.Fact, v.Value, v.Source.Id)).OrderBy(v => v.Item3, StringComparer.Ordinal));
        Assert.All(profile.ImplausibleValues, v => Assert.Contains("refused", v.Message, StringComparison.Ordinal));
        foreach (var refused in new[] { pdl1, ecog, tmb })
        {
            Assert.Contains(profile.DataQuality, d => d.Severity == DataQualitySeverity.Error && d.Source?.Id == refused.Id && d.Message.Contains("implausible", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_score_that_is_only_missing_is_a_warning_not_an_implausible_value()
    {
        var record = new RecordBuilder("imp2").Patient();
        record.Observation(LoincCodes.EcogPerformanceStatus, new FhirString("unable to assess"));

        var profile = _mapper.Map("imp2", record.Resources);

        Assert.Empty(profile.ImplausibleValues);
        Assert.Contains(profile.DataQuality, d => d.Severity == DataQualitySeverity.Warning);
    }

    [Fact]
    public void A_birth_date_before_1900_is_refused_and_age_is_unknown()
    {
        var record = new RecordBuilder("imp3").Patient(birthDate: "1870-05-01");

        var profile = _mapper.Map("imp3", record.Resources);

        Assert.Null(profile.Demographics.BirthDate);
        var refused = Assert.Single(profile.ImplausibleValues);
        Assert.Equal("Age", refused.Fact);
        Assert.Contains("1870-05-01", refused.Value, StringComparison.Ordinal);
        Assert.Contains(profile.DataQuality, d => d.Severity == DataQualitySeverity.Error && d.Message.Contains("1870-05-01", StringComparison.Ordinal));
    }
}
