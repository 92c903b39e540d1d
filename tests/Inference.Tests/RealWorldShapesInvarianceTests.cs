using System.Collections.Concurrent;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Precision.Clinical;
using Precision.Clinical.Catalog;
using Precision.Cohort;
using Precision.Fhir;
using Precision.Inference.Features;
using Precision.Inference.Tests.Runtime;

namespace Precision.Inference.Tests;

/// <summary>
/// The same simulated patients written twice — in the shapes the committed models were trained on, and in the real-world
/// mCODE / Genomics Reporting shapes (staging variants, metastases, negative results and VUS, supportive and other
/// medicines, requests and administrations, adjuvant courses, procedures, deaths) — must give the model exactly the same
/// inputs and the training the same rows. That is why the served model needs no retraining for the new shapes; and every
/// real-world resource must be accounted for by a rule of the mapper.
/// </summary>
public sealed class RealWorldShapesInvarianceTests
{
    private const long Seed = 20261207;
    private const int Patients = 300;
    private static readonly DateOnly ReferenceDate = new(2025, 6, 30);

    private static readonly Lazy<IReadOnlyList<(SyntheticPatient Simulated, PatientProfile Legacy, PatientProfile RealWorld)>> Pairs = new(Generate);

    [Fact]
    public void Kept_patients_give_identical_model_inputs_and_training_rows_in_both_shapes()
    {
        var featurizer = TestModels.Featurizer;
        var compared = 0;
        foreach (var (simulated, written, realWorld) in Pairs.Value.Where(p => !p.Simulated.Replaced))
        {
            var who = simulated.Id;
            // The legacy shape wrote the simulated germline BRCA variants (all pathogenic) without a clinical significance;
            // the models learned them as pathogenic. The real-world shape says so, which is what the mapper now requires.
            var legacy = written with
            {
                Variants = [.. written.Variants.Select(v => v.Gene is "BRCA1" or "BRCA2" ? v with { Significance = ClinicalSignificance.Pathogenic } : v)],
            };
            Assert.Equal(legacy.PrimaryCancer?.CancerType, realWorld.PrimaryCancer?.CancerType);
            Assert.True(legacy.TherapyLines.Count == realWorld.TherapyLines.Count,
                $"{who}: {legacy.TherapyLines.Count} lines before, {realWorld.TherapyLines.Count} with the real-world shapes ({string.Join("; ", realWorld.TherapyLines.Select(l => l.Label))})");
            foreach (var (before, after) in legacy.TherapyLines.Zip(realWorld.TherapyLines))
            {
                Assert.Equal((before.CatalogTherapyId, before.StartedOn, before.BestResponse), (after.CatalogTherapyId, after.StartedOn, after.BestResponse));
            }

            var rowsBefore = ResponseExamples.From(legacy, featurizer).ToList();
            var rowsAfter = ResponseExamples.From(realWorld, featurizer).ToList();
            Assert.Equal(rowsBefore.Count, rowsAfter.Count);
            foreach (var (before, after) in rowsBefore.Zip(rowsAfter))
            {
                Assert.Equal((before.TherapyId, before.LineNumber, before.Responded), (after.TherapyId, after.LineNumber, after.Responded));
                AssertSameFeatures(who + " line " + before.LineNumber, before.Features, after.Features);
            }

            var priorLines = legacy.TherapyLines.Count;
            AssertSameFeatures(who + " today", featurizer.Featurize(legacy, ReferenceDate, priorLines), featurizer.Featurize(realWorld, ReferenceDate, priorLines));
            Assert.Equal(BiomarkerDefinitions.BiomarkersOf(legacy).Order(), BiomarkerDefinitions.BiomarkersOf(realWorld).Order());
            compared++;
        }

        Assert.True(compared > Patients * 0.8, $"only {compared} of {Patients} patients were compared");
    }

    [Fact]
    public void Every_real_world_resource_is_read_by_a_rule_and_nothing_is_an_error()
    {
        foreach (var (simulated, _, realWorld) in Pairs.Value)
        {
            Assert.DoesNotContain(realWorld.ResourceAccounts, a => a.Detail.Contains("not read by any rule", StringComparison.Ordinal));
            Assert.DoesNotContain(realWorld.DataQuality, i => i.Severity == DataQualitySeverity.Error && !i.Message.Contains("plausible range", StringComparison.Ordinal));
            Assert.Equal(simulated.RealWorld?.Death is not null, realWorld.VitalStatus is not null);
        }
    }

    [Fact]
    public void Replaced_patients_are_other_cancers_with_the_reason_and_no_catalog_therapy_lines()
    {
        var replaced = Pairs.Value.Where(p => p.Simulated.Replaced).ToList();
        Assert.NotEmpty(replaced);
        foreach (var (_, _, realWorld) in replaced)
        {
            Assert.Equal(CancerType.Other, realWorld.PrimaryCancer!.CancerType);
            Assert.False(string.IsNullOrWhiteSpace(realWorld.PrimaryCancer.ClassificationNote));
            Assert.Empty(ResponseExamples.From(realWorld, TestModels.Featurizer));
        }
    }

    private static void AssertSameFeatures(string where, PatientFeatures expected, PatientFeatures actual)
    {
        var schema = TestModels.Featurizer.Schema;
        for (var i = 0; i < expected.Clinical.Length; i++)
        {
            Assert.True(expected.Clinical[i] == actual.Clinical[i], $"{where}: {schema.Clinical[i].Name} {expected.Clinical[i]} → {actual.Clinical[i]}");
        }

        for (var i = 0; i < expected.Genomic.Length; i++)
        {
            Assert.True(expected.Genomic[i] == actual.Genomic[i], $"{where}: {schema.Genomic[i].Name} {expected.Genomic[i]} → {actual.Genomic[i]}");
        }
    }

    private static List<(SyntheticPatient, PatientProfile, PatientProfile)> Generate()
    {
        var generator = new CohortGenerator(TestModels.Catalog);
        var mapper = new PatientProfileMapper(new CatalogTherapyResolver(TestModels.Catalog));
        var pairs = new ConcurrentDictionary<int, (SyntheticPatient, PatientProfile, PatientProfile)>();
        Parallel.For(1, Patients + 1, index =>
        {
            PatientProfile Map(GeneratedPatient generated)
            {
                var resources = TransactionBundles.ResourcesWithLocalReferences(generated.Bundle.ToJson());
                return mapper.Map(resources.OfType<Patient>().Single().Id!, resources);
            }

            var realWorld = generator.GeneratePatient(Seed, index);
            pairs[index] = (realWorld.Patient, Map(generator.GeneratePatient(Seed, index, realWorldShapes: false)), Map(realWorld));
        });
        return [.. pairs.OrderBy(p => p.Key).Select(p => p.Value)];
    }
}
