using Precision.Clinical;
using Precision.Inference.Features;
using Precision.Inference.Runtime;

namespace Precision.Inference.Tests.Runtime;

[Collection(ModelFixtureGroup.Name)]
public sealed class EfficacyPredictorTests(ModelFixture fixture)
{
    private static readonly SourceReference Source = new("Observation", "o1");

    private static IEnumerable<(PatientProfile Profile, TherapyLine Line)> FirstLines() =>
        ModelFixture.Patients.Where(p => p.TherapyLines.Count > 0).Select(p => (p, p.TherapyLines[0]));

    [Fact]
    public void An_implausible_value_is_named_beside_the_prediction_not_read_as_not_tested()
    {
        var (profile, line) = FirstLines().First();
        var refused = profile with
        {
            PdL1 = null,
            ImplausibleValues = [new ImplausibleValue("PD-L1", "TPS 250 %", "0–100 %", Source)],
            Demographics = profile.Demographics with { BirthDate = new DateOnly(1875, 1, 1) },
        };

        var prediction = fixture.Predictor.Predict(refused, line.StartedOn!.Value, 0).Prediction!;

        Assert.NotEqual(ApplicabilityLevel.InDistribution, prediction.Applicability.Level);
        Assert.Contains(prediction.Applicability.Reasons, r => r.Fact == "PD-L1" && r.Message.Contains("TPS 250 %", StringComparison.Ordinal) && r.Message.Contains(Source.Reference, StringComparison.Ordinal));
        Assert.Contains(prediction.Applicability.Reasons, r => r.Fact == "Age" && r.Message.Contains("refused", StringComparison.Ordinal));
        var ageMissing = TestModels.Featurizer.Schema.Clinical.ToList().FindIndex(f => f.Name == "age_missing");
        Assert.Equal(1f, prediction.Features.Clinical[ageMissing]);
    }

    [Theory]
    [InlineData("pdl1_tps", float.NaN)]
    [InlineData("pdl1_tps", 2.5f)]
    [InlineData("tmb_log", -5f)]
    public void Batch_scoring_refuses_inputs_no_record_could_give_and_names_the_feature(string feature, float value)
    {
        var (profile, line) = FirstLines().First();
        var features = TestModels.Featurizer.FeaturizeAtLineStart(profile, line);
        var genomic = (float[])features.Genomic.Clone();
        genomic[TestModels.Featurizer.Schema.Genomic.ToList().FindIndex(f => f.Name == feature)] = value;

        var error = Assert.Throws<ArgumentException>(() => fixture.Predictor.ScoreCohort([new CohortPair(features, "pembrolizumab"), new CohortPair(features with { Genomic = genomic }, "osimertinib")]));

        Assert.Contains("Pair 1 (osimertinib)", error.Message, StringComparison.Ordinal);
        Assert.Contains(feature, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_prediction_has_one_row_per_catalog_therapy_with_the_interval_around_the_ensemble_mean()
    {
        var (profile, line) = FirstLines().First();

        var result = fixture.Predictor.PredictAtLineStart(profile, line);

        Assert.True(result.Succeeded, result.Problem?.Message);
        var prediction = result.Prediction!;
        Assert.Equal(TestModels.Catalog.Therapies.Select(t => t.Id), prediction.Therapies.Select(t => t.TherapyId));
        Assert.All(prediction.Therapies, t =>
        {
            Assert.InRange(t.Probability, 0, 1);
            Assert.Equal(5, t.MemberProbabilities.Count);
            Assert.InRange(t.EnsembleMean, t.IntervalLow, t.IntervalHigh);
            Assert.Equal(t.MemberProbabilities.Min(), t.IntervalLow);
            Assert.Equal(t.MemberProbabilities.Max(), t.IntervalHigh);
            Assert.Equal(t.TherapyId, t.Evidence.TherapyId);
            Assert.False(string.IsNullOrWhiteSpace(t.TherapyName));
        });
        Assert.Contains("ensemble members", prediction.IntervalMethod, StringComparison.Ordinal);
        Assert.Equal(32, prediction.Embedding.Length);
        Assert.Equal(profile.PatientId, prediction.PatientId);
        Assert.Equal(line.LineNumber - 1, prediction.PriorLines);
        Assert.Equal(new ModelProvenance("1.0.0", fixture.Model.OnnxSha256, TestModels.Featurizer.Schema.Hash, "CPU", true), prediction.Model);
    }

    [Fact]
    public void Predictions_agree_with_cohort_scoring_and_the_catalog_evidence()
    {
        var (profile, line) = FirstLines().Skip(3).First();
        var prediction = fixture.Predictor.PredictAtLineStart(profile, line).Prediction!;
        var features = TestModels.Featurizer.FeaturizeAtLineStart(profile, line);

        var scored = fixture.Predictor.ScoreCohort([.. TestModels.Catalog.Therapies.Select(t => new CohortPair(features, t.Id))]);

        Assert.Equal(prediction.Therapies.Select(t => (float)t.Probability), scored);
        Assert.Equal(TestModels.Evidence.MatchAtLineStart(profile, line, "pembrolizumab"), prediction.Therapies.Single(t => t.TherapyId == "pembrolizumab").Evidence);
    }

    [Fact]
    public void Concurrent_predictions_are_identical_to_sequential_ones()
    {
        var work = FirstLines().Take(64).ToList();
        var sequential = work.Select(w => Probabilities(fixture.Predictor.PredictAtLineStart(w.Profile, w.Line))).ToList();

        var concurrent = new double[work.Count][];
        Parallel.For(0, 16, new ParallelOptions { MaxDegreeOfParallelism = 16 }, task =>
        {
            for (var round = 0; round < 4; round++)
            {
                for (var i = task % 4; i < work.Count; i += 4)
                {
                    var result = Probabilities(fixture.Predictor.PredictAtLineStart(work[i].Profile, work[i].Line));
                    lock (concurrent)
                    {
                        Assert.True(concurrent[i] is null || concurrent[i].SequenceEqual(result));
                        concurrent[i] = result;
                    }
                }
            }
        });

        for (var i = 0; i < work.Count; i++)
        {
            Assert.Equal(sequential[i], concurrent[i]);
        }
    }

    [Fact]
    public void Cohort_scoring_of_many_pairs_in_parallel_matches_one_batch()
    {
        var examples = ModelFixture.Patients.SelectMany(p => ResponseExamples.From(p, TestModels.Featurizer)).ToList();
        var pairs = examples.SelectMany(e => TestModels.Catalog.Therapies.Select(t => new CohortPair(e.Features, t.Id))).Take(9000).ToList();

        var once = fixture.Predictor.ScoreCohort(pairs);
        var parts = Enumerable.Range(0, 9).AsParallel().Select(i => fixture.Predictor.ScoreCohort(pairs.GetRange(i * 1000, 1000))).ToList();

        Assert.Equal(once, parts.SelectMany(p => p));
        var unknown = Assert.Throws<ArgumentException>(() => fixture.Predictor.ScoreCohort([new CohortPair(pairs[0].Features, "aspirin")]));
        Assert.Contains("'aspirin' is not a therapy of catalog", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Most_training_patients_are_in_distribution_and_their_nearest_reference_patient_is_themselves()
    {
        var training = fixture.Model.ReferencePopulation!.Neighbours!.Patients!.Take(40).ToList();
        var levels = new List<ApplicabilityLevel>();
        foreach (var reference in training)
        {
            var profile = ModelFixture.Patients.Single(p => p.PatientId == reference.Id);
            var line = profile.TherapyLines.Single(l => l.LineNumber == reference.LineNumber);
            var prediction = fixture.Predictor.PredictAtLineStart(profile, line).Prediction!;
            levels.Add(prediction.Applicability.Level);
            Assert.Equal(0, prediction.Applicability.NearestReferenceDistance!.Value, 4);
            var similar = fixture.Predictor.FindSimilarPatients(prediction.Embedding, SimilarityCohort.Of(profile), 5);
            Assert.True(similar.Succeeded);
            Assert.Equal(0, similar.Patients[0].Distance, 4);
        }

        Assert.True(levels.Count(l => l == ApplicabilityLevel.InDistribution) >= 30, string.Join(", ", levels));
    }

    [Fact]
    public void Similar_patients_are_the_nearest_reference_patients_with_what_they_received_and_how_they_responded()
    {
        var (profile, line) = FirstLines().Last();
        var asOf = line.StartedOn!.Value;

        var result = fixture.Predictor.FindSimilarPatients(profile, asOf, line.LineNumber - 1, count: 7);

        Assert.True(result.Succeeded);
        Assert.InRange(result.Patients.Count, 1, 7);
        Assert.Equal(result.Patients.Count < 7, result.Shortfall is not null);
        Assert.Equal(result.Patients.OrderBy(p => p.Distance).Select(p => p.Id), result.Patients.Select(p => p.Id));
        Assert.All(result.Patients, p =>
        {
            Assert.Contains(p.TherapyId, TestModels.Featurizer.Schema.TherapyIds);
            Assert.False(string.IsNullOrWhiteSpace(p.TherapyName));
            Assert.NotNull(p.AgeBand);
            Assert.NotNull(p.Sex);
            Assert.True(p.LineNumber >= 1);
        });
    }

    [Fact]
    public void A_cancer_type_outside_training_is_out_of_distribution_with_the_reason()
    {
        var (profile, line) = FirstLines().First();
        var other = profile with
        {
            PrimaryCancers = [new PrimaryCancerCondition(CancerType.Other, new CodedConcept("http://snomed.info/sct", "93655004", "Glioblastoma"), null, new DateOnly(2020, 1, 1), null, new SourceReference("Condition", "c9"))],
        };

        var prediction = fixture.Predictor.PredictAtLineStart(other, line).Prediction!;
        var committed = fixture.CommittedPredictor.PredictAtLineStart(other, line).Prediction!;

        Assert.Equal(ApplicabilityLevel.OutOfDistribution, prediction.Applicability.Level);
        var reason = Assert.Single(prediction.Applicability.Reasons, r => r.Fact == "Diagnosis");
        Assert.Contains("Cancer type 'Glioblastoma' was not in the training data (trained on", reason.Message, StringComparison.Ordinal);
        Assert.Contains("Non-small cell lung cancer (", reason.Message, StringComparison.Ordinal);
        Assert.Equal(ApplicabilityLevel.OutOfDistribution, committed.Applicability.Level);
    }

    [Fact]
    public void A_fact_not_recorded_is_not_judged_as_a_value_outside_the_training_range()
    {
        // Without a TMB result the featurizer's TMB value is a placeholder; "TMB 0 is outside the training range" would be false.
        var (profile, line) = FirstLines().First(f => f.Profile.TumorMutationalBurden is not null);
        var untested = profile with { TumorMutationalBurden = null, PdL1 = null, TCellInflamedSignature = null };

        foreach (var predictor in new[] { fixture.Predictor })
        {
            var prediction = predictor.PredictAtLineStart(untested, line).Prediction!;
            var reasons = prediction.Applicability.Reasons.Select(r => r.Message).ToList();
            Assert.DoesNotContain(reasons, m => m.Contains("outside the training range", StringComparison.Ordinal)
                && (m.StartsWith("TMB", StringComparison.Ordinal) || m.StartsWith("PD-L1", StringComparison.Ordinal) || m.StartsWith("T-cell-inflamed", StringComparison.Ordinal)));
            Assert.True(reasons.Contains("TMB is not recorded; every training patient had it."), string.Join(" | ", reasons));
        }
    }

    [Fact]
    public void An_absurd_creatinine_is_out_of_distribution_naming_the_value_and_the_training_range()
    {
        var (profile, line) = FirstLines().First(f => f.Line.StartedOn is not null);
        var drawn = line.StartedOn!.Value.AddDays(-3);
        var absurd = profile with { Labs = [.. profile.Labs, new LabResult(LabAnalyte.Creatinine, 80m, "mg/dL", drawn, new ReferenceRange(0.6m, 1.3m), Source)] };

        var prediction = fixture.Predictor.PredictAtLineStart(absurd, line).Prediction!;

        Assert.Equal(ApplicabilityLevel.OutOfDistribution, prediction.Applicability.Level);
        var creatinine = prediction.Applicability.Reasons.Where(r => r.Fact.Contains("Creatinine", StringComparison.Ordinal)).Select(r => r.Message).ToList();
        Assert.Contains(creatinine, m => m.Contains("Creatinine 80 mg/dL on " + drawn.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) + " is outside the plausible range 0.1–20 mg/dL", StringComparison.Ordinal));
        Assert.Contains(creatinine, m => m.Contains("Creatinine 80 mg/dL", StringComparison.Ordinal) && m.Contains("is outside the training range (", StringComparison.Ordinal) && m.EndsWith("mg/dL).", StringComparison.Ordinal));
    }

    [Fact]
    public void An_empty_record_is_a_clear_problem_not_an_exception()
    {
        var empty = new PatientProfile("p-empty", new PatientDemographics("Nobody", null, null, AdministrativeSex.Unknown, null, null, new SourceReference("Patient", "p-empty")),
            [], null, null, null, [], [], [], [], [], null, null, null, null, null, [], []);

        var result = fixture.Predictor.Predict(empty, new DateOnly(2025, 1, 1), 0);
        var similar = fixture.Predictor.FindSimilarPatients(empty, new DateOnly(2025, 1, 1), 0);
        var negative = fixture.Predictor.Predict(FirstLines().First().Profile, new DateOnly(2025, 1, 1), -1);

        Assert.False(result.Succeeded);
        Assert.Equal(PredictionProblemKind.EmptyRecord, result.Problem!.Kind);
        Assert.Contains("holds no diagnosis", result.Problem.Message, StringComparison.Ordinal);
        Assert.Equal(PredictionProblemKind.EmptyRecord, similar.Problem!.Kind);
        Assert.Equal(PredictionProblemKind.InvalidRequest, negative.Problem!.Kind);
    }

    [Fact]
    public void A_record_without_a_diagnosis_is_predicted_but_flagged_out_of_distribution()
    {
        var (profile, line) = FirstLines().First();
        var undiagnosed = profile with { PrimaryCancers = [] };

        var prediction = fixture.Predictor.PredictAtLineStart(undiagnosed, line).Prediction!;

        Assert.Equal(ApplicabilityLevel.OutOfDistribution, prediction.Applicability.Level);
        Assert.Contains(prediction.Applicability.Reasons, r => r.Message.StartsWith("No primary cancer diagnosis in the record", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_a_reference_population_applicability_says_what_was_not_checked_and_similar_patients_explain_why_none()
    {
        var (profile, line) = FirstLines().First();

        var prediction = fixture.CommittedPredictor.PredictAtLineStart(profile, line).Prediction!;
        var similar = fixture.CommittedPredictor.FindSimilarPatients(prediction.Embedding, SimilarityCohort.Of(profile));

        Assert.Equal(ApplicabilityLevel.Caution, prediction.Applicability.Level);
        Assert.Contains(prediction.Applicability.Reasons, r => r.Message.Contains("ships no reference population", StringComparison.Ordinal));
        Assert.Null(prediction.Applicability.NearestReferenceDistance);
        Assert.Equal(PredictionProblemKind.NoReferencePopulation, similar.Problem!.Kind);
        Assert.False(prediction.Model.HasReferencePopulation);
    }

    [Fact]
    public void A_refused_model_service_answers_every_call_with_the_refusal()
    {
        using var directory = TempModelDirectory.CopyOf();
        directory.CorruptOneByte("1.0.0", "model.onnx");
        var logger = new ListLogger();

        using var service = EfficacyModelService.Start(new ModelRegistry(directory.Path, TestModels.CurrentFeaturizer.Schema), TestModels.Cpu, TestModels.Featurizer, TestModels.Evidence, logger);
        var result = service.Predict(FirstLines().First().Profile, new DateOnly(2025, 1, 1), 0);

        Assert.False(service.Status.IsServing);
        Assert.Contains("SHA-256 is", service.Status.Refusal, StringComparison.Ordinal);
        Assert.Equal(PredictionProblemKind.ModelUnavailable, result.Problem!.Kind);
        Assert.Contains(service.Status.Refusal!, result.Problem.Message, StringComparison.Ordinal);
        Assert.Contains(logger.Lines, l => l.Level == Microsoft.Extensions.Logging.LogLevel.Error);
    }

    [Fact]
    public void The_service_serves_the_committed_model_and_reports_what_and_where()
    {
        using var service = EfficacyModelService.Start(new ModelRegistry(TestModels.CommittedDirectory, TestModels.CurrentFeaturizer.Schema),
            new EfficacyModelOptions { Version = "1.0.0", ExecutionProvider = ExecutionProviderPreference.Cpu }, TestModels.Featurizer, TestModels.Evidence);

        Assert.True(service.Status.IsServing, service.Status.Refusal);
        Assert.Equal("1.0.0", service.Status.Version);
        Assert.Equal("CPU", service.Status.Provider!.ToString());
        Assert.NotNull(service.Status.LoadedAt);
        Assert.True(service.Predict(FirstLines().First().Profile, new DateOnly(2025, 1, 1), 0).Succeeded);
    }

    [Fact]
    public void Model_1_1_0_with_its_own_reference_population_finds_typical_patients_in_distribution_and_flags_the_unusual()
    {
        using var runtime = EfficacyModelRuntime.Start(new ModelRegistry(TestModels.CommittedDirectory, TestModels.CurrentFeaturizer.Schema).Verify("1.1.0").Model!, TestModels.Cpu).Runtime!;
        var predictor = new EfficacyPredictor(runtime, TestModels.Featurizer, TestModels.Evidence);
        var work = FirstLines().Take(60).ToList();

        var levels = work.Select(w => predictor.PredictAtLineStart(w.Profile, w.Line).Prediction!.Applicability.Level).ToList();
        var (profile, line) = work[0];
        var absurd = predictor.PredictAtLineStart(profile with { Labs = [.. profile.Labs, new LabResult(LabAnalyte.Creatinine, 80m, "mg/dL", line.StartedOn, null, Source)] }, line).Prediction!;
        var similar = predictor.FindSimilarPatients(profile, line.StartedOn!.Value, 0, 5);

        Assert.True(levels.Count(l => l == ApplicabilityLevel.InDistribution) >= 40, string.Join(", ", levels));
        Assert.Equal(ApplicabilityLevel.OutOfDistribution, absurd.Applicability.Level);
        Assert.Equal(5, similar.Patients.Count);
        Assert.All(similar.Patients, p => Assert.True(p.Distance >= 0));
    }

    private static double[] Probabilities(PredictionResult result) =>
        [.. result.Prediction!.Therapies.Select(t => t.Probability).Concat(result.Prediction.Embedding.Select(e => (double)e))];
}
