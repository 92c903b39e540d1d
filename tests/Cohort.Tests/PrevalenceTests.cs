using Precision.Clinical;
using Precision.Clinical.Catalog;

namespace Precision.Cohort.Tests;

public sealed class PrevalenceTests
{
    private static readonly Lazy<IReadOnlyList<SyntheticPatient>> Cohort = new(() =>
    {
        var simulator = new PatientSimulator(new ResponseModel(TestSupport.Catalog), seed: 2000, new DateOnly(2025, 6, 30));
        return [.. Enumerable.Range(1, 2000).AsParallel().AsOrdered().Select(simulator.Simulate)];
    });

    private static void AssertRate(string name, IReadOnlyList<SyntheticPatient> group, Func<SyntheticPatient, bool> has, double expected)
    {
        Assert.True(group.Count > 50, $"{name}: only {group.Count} patients");
        var observed = group.Count(has) / (double)group.Count;
        var tolerance = 4 * Math.Sqrt(expected * (1 - expected) / group.Count) + 0.005;
        Assert.True(Math.Abs(observed - expected) <= tolerance,
            $"{name}: observed {observed:P1} of {group.Count}, configured {expected:P1} (tolerance ±{tolerance:P1})");
    }

    private static IReadOnlyList<SyntheticPatient> OfType(CancerType type) => [.. Cohort.Value.Where(p => p.CancerType == type)];

    [Fact]
    public void Key_biomarkers_match_the_configured_prevalence_on_2000_patients()
    {
        var nsclc = OfType(CancerType.NonSmallCellLungCancer);
        AssertRate("EGFR sensitizing in NSCLC", nsclc, p => p.Genomics.Biomarkers.Contains(BiomarkerKind.EgfrSensitizing), Prevalences.NsclcEgfr * (1 - Prevalences.NtrkFusion));
        AssertRate("KRAS G12C in NSCLC", nsclc, p => p.Genomics.Biomarkers.Contains(BiomarkerKind.KrasG12C), Prevalences.NsclcKrasG12C * (1 - Prevalences.NtrkFusion));
        AssertRate("ALK fusion in NSCLC", nsclc, p => p.Genomics.Biomarkers.Contains(BiomarkerKind.AlkFusion), Prevalences.NsclcAlk * (1 - Prevalences.NtrkFusion));

        AssertRate("BRAF V600E in melanoma", OfType(CancerType.Melanoma), p => p.Genomics.Biomarkers.Contains(BiomarkerKind.BrafV600E), Prevalences.MelanomaBrafV600E);
        AssertRate("ERBB2 amplification in breast cancer", OfType(CancerType.BreastCancer), p => p.Genomics.Biomarkers.Contains(BiomarkerKind.Erbb2Amplification), Prevalences.BreastErbb2Amplification);
        AssertRate("BRCA1/2 in ovarian cancer", OfType(CancerType.OvarianCancer), p => p.Genomics.Biomarkers.Contains(BiomarkerKind.BrcaPathogenic), Prevalences.OvarianBrca);

        var crc = OfType(CancerType.ColorectalCancer);
        var stageFour = crc.Where(p => p.Stage.StartsWith("IV", StringComparison.Ordinal)).ToList();
        var earlier = crc.Where(p => !p.Stage.StartsWith("IV", StringComparison.Ordinal)).ToList();
        var expectedMsi = (stageFour.Count * Prevalences.CrcMsiHighStageFour + earlier.Count * Prevalences.CrcMsiHighStageTwoToThree) / crc.Count;
        AssertRate("MSI-H in colorectal cancer (stage mix)", crc, p => p.Genomics.Msi == MicrosatelliteStatus.InstabilityHigh, expectedMsi);
        AssertRate("BRAF V600E in colorectal cancer", crc, p => p.Genomics.Biomarkers.Contains(BiomarkerKind.BrafV600E), Prevalences.CrcBrafV600E);
    }

    [Fact]
    public void Demographics_follow_the_cancer_type()
    {
        Assert.All(OfType(CancerType.OvarianCancer), p => Assert.Equal(AdministrativeSex.Female, p.Sex));
        var breast = OfType(CancerType.BreastCancer);
        Assert.True(breast.Count(p => p.Sex == AdministrativeSex.Female) > 0.95 * breast.Count);
        Assert.All(Cohort.Value, p => Assert.InRange(p.AgeOn(p.DiagnosedOn), 24, 93));
    }

    [Fact]
    public void Therapy_follows_guidelines_with_some_noise_and_outcomes_follow_the_true_probabilities()
    {
        var lines = Cohort.Value.SelectMany(p => p.Lines).ToList();
        var offGuideline = lines.Count(l => l.OffGuideline) / (double)lines.Count;
        Assert.InRange(offGuideline, 0.08, 0.16);

        var egfrFirstLines = Cohort.Value.Where(p => p.Genomics.Biomarkers.Contains(BiomarkerKind.EgfrSensitizing) && p.CancerType == CancerType.NonSmallCellLungCancer)
            .Select(p => p.Lines[0]).ToList();
        Assert.True(egfrFirstLines.Count(l => l.TherapyId == "osimertinib") > 0.75 * egfrFirstLines.Count);

        var laterLines = lines.Where(l => l.LineNumber > 1).ToList();
        Assert.InRange(laterLines.Count(l => l.Rechallenge) / (double)laterLines.Count, 0.10, 0.20);

        // Calibration: observed objective responses track the mean true probability.
        var assessed = lines.Where(l => l.BestResponse is not null).ToList();
        var observed = assessed.Count(l => l.BestResponse is RecistResponse.CompleteResponse or RecistResponse.PartialResponse) / (double)assessed.Count;
        var expected = assessed.Average(l => l.Estimate.Probability);
        Assert.InRange(observed, expected - 0.04, expected + 0.04);
    }

    [Fact]
    public void A_re_challenge_after_progression_carries_the_modifier_and_has_its_own_truth_row()
    {
        var rechallenges = Cohort.Value
            .SelectMany(p => p.Lines.Where(l => l.Rechallenge).Select(l => (Patient: p, Line: l, Earlier: p.Lines.Where(e => e.LineNumber < l.LineNumber && e.TherapyId == l.TherapyId).ToList())))
            .ToList();
        Assert.NotEmpty(rechallenges);
        Assert.All(rechallenges, r => Assert.NotEmpty(r.Earlier));

        var afterProgression = rechallenges.Where(r => r.Earlier.Any(e => e.BestResponse == RecistResponse.ProgressiveDisease)).ToList();
        var afterControl = rechallenges.Where(r => r.Earlier.All(e => e.BestResponse is not RecistResponse.ProgressiveDisease)).ToList();
        Assert.True(afterProgression.Count > 20, $"only {afterProgression.Count} re-challenges after progression in 2,000 patients");
        Assert.True(afterControl.Count > 20, $"only {afterControl.Count} re-challenges after response or stable disease");
        Assert.All(afterProgression, r => Assert.Contains(r.Line.Estimate.Modifiers, m => m.ModifierId == "progressed-on-same-regimen"));
        Assert.All(afterControl, r => Assert.DoesNotContain(r.Line.Estimate.Modifiers, m => m.ModifierId == "progressed-on-same-regimen"));

        // One truth row per line the therapy was given, each with that line's probability.
        Assert.All(rechallenges, r =>
        {
            var rows = r.Patient.Truth.Where(t => t.TherapyId == r.Line.TherapyId).ToList();
            Assert.Equal(r.Patient.Lines.Count(l => l.TherapyId == r.Line.TherapyId), rows.Count);
            Assert.Equal(r.Line.Estimate.Probability, Assert.Single(rows, t => t.Line == r.Line.LineNumber).Probability);
        });
    }
}
