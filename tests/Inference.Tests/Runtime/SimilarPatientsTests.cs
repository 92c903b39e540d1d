using Precision.Clinical;
using Precision.Clinical.Catalog;
using Precision.Inference.Evidence;
using Precision.Inference.Runtime;

namespace Precision.Inference.Tests.Runtime;

/// <summary>Similar patients share the cancer type and the driver biomarkers; a small group is shown as it is, never padded.</summary>
[Collection(ModelFixtureGroup.Name)]
public sealed class SimilarPatientsTests(ModelFixture fixture)
{
    private static readonly Lazy<(ReferenceNeighbourIndex Index, int Width)> Committed = new(() =>
    {
        var model = new ModelRegistry(TestModels.CommittedDirectory, TestModels.CurrentFeaturizer.Schema).Verify("1.1.0").Model!;
        var reference = model.ReferencePopulation!;
        var width = reference.Neighbours!.Patients![0].Embedding.Length;
        return (new ReferenceNeighbourIndex(reference, width, TestModels.Catalog), width);
    });

    [Fact]
    public void An_egfr_mutant_lung_cancer_patient_is_compared_only_with_egfr_mutant_lung_cancer_patients()
    {
        var (index, width) = Committed.Value;
        var cohort = new SimilarityCohort(CancerType.NonSmallCellLungCancer, new HashSet<BiomarkerKind> { BiomarkerKind.EgfrSensitizing });

        var nearest = index.Nearest(new float[width], cohort, 10);

        Assert.Equal(10, nearest.Count);
        Assert.All(nearest, p =>
        {
            Assert.Equal(CancerType.NonSmallCellLungCancer, p.CancerType);
            // PD-L1 and TMB may differ (they are weighed by the distance); the drivers may not.
            Assert.Equal([BiomarkerKind.EgfrSensitizing], DriverBiomarkers.Of(p.Biomarkers.Select(Enum.Parse<BiomarkerKind>)));
        });
        Assert.Equal(nearest.OrderBy(p => p.Distance).Select(p => p.Id), nearest.Select(p => p.Id));
    }

    [Fact]
    public void A_driver_negative_patient_is_not_compared_with_driver_positive_ones()
    {
        var (index, width) = Committed.Value;
        var cohort = new SimilarityCohort(CancerType.NonSmallCellLungCancer, new HashSet<BiomarkerKind>());

        var nearest = index.Nearest(new float[width], cohort, 20);

        Assert.Equal(20, nearest.Count);
        Assert.All(nearest, p => Assert.Empty(DriverBiomarkers.Of(p.Biomarkers.Select(Enum.Parse<BiomarkerKind>))));
    }

    [Fact]
    public void When_fewer_patients_share_the_cancer_type_and_drivers_those_are_shown_and_the_page_is_told_how_many()
    {
        var (index, width) = Committed.Value;
        var cohort = new SimilarityCohort(CancerType.NonSmallCellLungCancer, new HashSet<BiomarkerKind> { BiomarkerKind.Ros1Fusion });
        var all = index.Nearest(new float[width], cohort, int.MaxValue);

        var result = new SimilarPatientsResult(index.Nearest(new float[width], cohort, all.Count + 5), null, cohort, all.Count + 5);

        Assert.Equal(all.Count, result.Patients.Count);
        Assert.InRange(all.Count, 1, 20);
        Assert.All(result.Patients, p => Assert.Equal(CancerType.NonSmallCellLungCancer, p.CancerType));
        Assert.StartsWith($"Only {all.Count} training patients share non-small cell lung cancer with ROS1 fusion;", result.Shortfall, StringComparison.Ordinal);
        Assert.Contains("same cancer type and the same driver biomarkers (non-small cell lung cancer with ROS1 fusion)", result.Basis, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cancer_type_and_driver_group_no_training_patient_has_gives_none_and_says_so()
    {
        var (index, width) = Committed.Value;
        var cohort = new SimilarityCohort(CancerType.PancreaticCancer, new HashSet<BiomarkerKind> { BiomarkerKind.AlkFusion });

        var result = new SimilarPatientsResult(index.Nearest(new float[width], cohort, 8), null, cohort, 8);

        Assert.Empty(result.Patients);
        Assert.StartsWith("No training patient shares pancreatic cancer with ALK fusion", result.Shortfall, StringComparison.Ordinal);
    }

    [Fact]
    public void The_predictor_searches_the_patients_own_cancer_type_and_drivers()
    {
        foreach (var profile in ModelFixture.Patients.Where(p => p.TherapyLines.Count > 0 && p.PrimaryCancer is not null).Take(25))
        {
            var line = profile.TherapyLines[0];
            var expected = SimilarityCohort.Of(profile);

            var result = fixture.Predictor.FindSimilarPatients(profile, line.StartedOn!.Value, 0, 5);

            Assert.True(result.Succeeded, result.Problem?.Message);
            Assert.Equal(expected.CancerType, result.Cohort!.CancerType);
            Assert.All(result.Patients, p =>
            {
                Assert.Equal(expected.CancerType, p.CancerType);
                Assert.True(expected.Drivers.SetEquals(DriverBiomarkers.Of(p.Biomarkers.Select(Enum.Parse<BiomarkerKind>))), $"{profile.PatientId}: {string.Join(",", p.Biomarkers)}");
            });
        }
    }

    [Fact]
    public void Drivers_exclude_the_immune_markers_and_include_hormone_receptor_status()
    {
        Assert.DoesNotContain(BiomarkerKind.PdL1High, DriverBiomarkers.All);
        Assert.DoesNotContain(BiomarkerKind.TmbHigh, DriverBiomarkers.All);
        Assert.Contains(BiomarkerKind.HormoneReceptorPositive, DriverBiomarkers.All);
        Assert.Equal("EGFR sensitizing, KRAS G12C", DriverBiomarkers.Describe(new HashSet<BiomarkerKind> { BiomarkerKind.KrasG12C, BiomarkerKind.EgfrSensitizing, BiomarkerKind.TmbHigh }.Where(DriverBiomarkers.All.Contains).ToHashSet()));
    }
}
