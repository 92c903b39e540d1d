using Precision.Clinical;
using Precision.Inference.Evaluation;
using Precision.Inference.Evidence;
using Precision.Inference.Features;
using Precision.Training.Data;
using Precision.Training.Model;

namespace Precision.Training.Evaluation;

/// <summary>Metrics of one subgroup of held-out examples (AUROC is null where the group is too small or one-sided).</summary>
public sealed record SubgroupMetrics(string Dimension, string Group, int Examples, double ObservedRate, double MeanPredicted, double? Auroc, double? ExpectedCalibrationError);

/// <summary>Mean predicted response for a catalog context × therapy against the rate the catalog encodes for it.</summary>
public sealed record BiomarkerGroupRate(string ContextId, string TherapyId, int Patients, double EncodedRate, double MeanTrue, double MeanPredicted)
{
    public double DifferencePoints => 100 * (MeanPredicted - EncodedRate);

    /// <summary>Predicted minus the group's mean true probability: the encoded rate after the modifiers that apply to these patients.</summary>
    public double DifferenceFromTruthPoints => 100 * (MeanPredicted - MeanTrue);
}

/// <summary>How the model compares with the counterfactual truth only a synthetic cohort has.</summary>
public sealed record TruthComparison(
    double MeanAbsoluteErrorToTruth,
    double CalibrationErrorToTruth,
    double MeanPatientRankCorrelation,
    int PatientsRanked,
    IReadOnlyList<BiomarkerGroupRate> BiomarkerGroups);

public sealed record ModelEvaluationReport(
    IReadOnlyList<Baselines.PredictorMetrics> Overall,
    IReadOnlyList<CalibrationBin> Calibration,
    IReadOnlyList<SubgroupMetrics> Subgroups,
    TruthComparison Truth);

/// <summary>The held-out evaluation of the model card: overall, calibration, subgroups and the comparison with the truth.</summary>
public static class ModelEvaluation
{
    private const int MinimumForAuroc = 30;

    public static ModelEvaluationReport Run(TrainedEnsemble ensemble, CohortDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        ArgumentNullException.ThrowIfNull(dataset);
        var test = dataset.Examples.Where(e => e.Split == DataSplit.Test).ToList();
        var predicted = Predict(ensemble, dataset, [.. test.Select(e => (e.Example.Features, e.Example.TherapyId))]);
        var outcomes = test.Select(e => e.Example.Responded).ToList();

        var overall = new List<Baselines.PredictorMetrics>
        {
            new($"Efficacy ensemble ({ensemble.Members.Count} members, calibrated)", test.Count,
                BinaryClassificationMetrics.Auroc(predicted, outcomes), BinaryClassificationMetrics.AveragePrecision(predicted, outcomes),
                BinaryClassificationMetrics.Brier(predicted, outcomes), BinaryClassificationMetrics.ExpectedCalibrationError(predicted, outcomes)),
        };
        overall.AddRange(Baselines.BaselineEvaluation.Run(dataset));

        var subgroups = new List<SubgroupMetrics>();
        void By(string dimension, Func<LabelledExample, string> key)
        {
            foreach (var group in Enumerable.Range(0, test.Count).GroupBy(i => key(test[i])).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var p = group.Select(i => predicted[i]).ToList();
                var y = group.Select(i => outcomes[i]).ToList();
                var scorable = p.Count >= MinimumForAuroc && y.Distinct().Count() == 2;
                subgroups.Add(new SubgroupMetrics(dimension, group.Key, p.Count, y.Average(o => o ? 1.0 : 0.0), p.Average(),
                    scorable ? BinaryClassificationMetrics.Auroc(p, y) : null,
                    scorable ? BinaryClassificationMetrics.ExpectedCalibrationError(p, y) : null));
            }
        }

        By("Sex", e => e.Profile.Demographics.Sex.ToString());
        By("Age band", e => AgeBand(e.Profile.Demographics.AgeOn(e.Profile.TherapyLines.FirstOrDefault(l => l.LineNumber == e.Example.LineNumber)?.StartedOn ?? DateOnly.FromDateTime(DateTime.UtcNow))));
        By("Race", e => e.Profile.Demographics.Race ?? "Not recorded");
        By("Ethnicity", e => e.Profile.Demographics.Ethnicity ?? "Not recorded");
        By("Cancer type", e => CancerTypes.DisplayName(e.Profile.PrimaryCancer?.CancerType ?? CancerType.Other));
        By("Therapy", e => dataset.Catalog.Therapy(e.Example.TherapyId).DisplayName);

        return new ModelEvaluationReport(overall, BinaryClassificationMetrics.CalibrationCurve(predicted, outcomes), subgroups,
            CompareWithTruth(ensemble, dataset, test, predicted));
    }

    private static TruthComparison CompareWithTruth(TrainedEnsemble ensemble, CohortDataset dataset, List<LabelledExample> test, double[] predicted)
    {
        var withTruth = Enumerable.Range(0, test.Count).Where(i => test[i].TrueProbability is not null).ToList();
        var truths = withTruth.Select(i => test[i].TrueProbability!.Value).ToList();
        var mae = withTruth.Count == 0 ? double.NaN : withTruth.Select((i, k) => Math.Abs(predicted[i] - truths[k])).Average();
        // Calibration against the truth: in bins of predicted probability, |mean true − mean predicted|, count-weighted.
        var calibrationToTruth = withTruth.Count == 0 ? double.NaN : withTruth
            .Select((i, k) => (Predicted: predicted[i], Truth: truths[k]))
            .GroupBy(x => Math.Min(9, (int)(x.Predicted * 10)))
            .Sum(g => (double)g.Count() / withTruth.Count * Math.Abs(g.Average(x => x.Truth) - g.Average(x => x.Predicted)));

        // Every catalog therapy for each held-out patient, as at the start of their first line, against the true probabilities.
        var therapies = dataset.Featurizer.Schema.TherapyIds;
        var patients = test.GroupBy(e => e.Example.PatientId).Select(g => g.OrderBy(e => e.Example.LineNumber).First()).ToList();
        var correlations = new List<double>();
        var evidence = new CatalogEvidence(dataset.Catalog);
        var groups = new Dictionary<(string Context, string Therapy), List<(double Predicted, double Truth, double Encoded)>>();
        foreach (var patient in patients)
        {
            var firstLine = patient.Profile.TherapyLines.OrderBy(l => l.LineNumber).First();
            var features = dataset.Featurizer.FeaturizeAtLineStart(patient.Profile, firstLine);
            var all = Predict(ensemble, dataset, [.. therapies.Select(t => (features, t))]);
            var truth = therapies.Select(t => dataset.Truth.TryGetValue((patient.Example.PatientId, t), out var p) ? p : double.NaN).ToArray();
            if (truth.All(double.IsFinite))
            {
                correlations.Add(BinaryClassificationMetrics.Spearman(all, truth));
            }

            for (var k = 0; k < therapies.Count; k++)
            {
                var match = evidence.MatchAtLineStart(patient.Profile, firstLine, therapies[k]);
                if (match.ContextId is { } context && match.Biomarker != Clinical.Catalog.BiomarkerKind.BiomarkerNegative && double.IsFinite(truth[k]))
                {
                    if (!groups.TryGetValue((context, therapies[k]), out var list))
                    {
                        groups[(context, therapies[k])] = list = [];
                    }

                    list.Add((all[k], truth[k], match.PublishedResponseRate));
                }
            }
        }

        var biomarkerGroups = groups
            .Where(g => g.Value.Count >= 10)
            .Select(g => new BiomarkerGroupRate(g.Key.Context, g.Key.Therapy, g.Value.Count, g.Value[0].Encoded, g.Value.Average(x => x.Truth), g.Value.Average(x => x.Predicted)))
            .OrderBy(g => g.ContextId, StringComparer.Ordinal).ThenBy(g => g.TherapyId, StringComparer.Ordinal)
            .ToList();
        return new TruthComparison(mae, calibrationToTruth, correlations.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average(), correlations.Count, biomarkerGroups);
    }

    private static double[] Predict(TrainedEnsemble ensemble, CohortDataset dataset, List<(PatientFeatures Features, string TherapyId)> rows)
    {
        var schema = dataset.Featurizer.Schema;
        using var clinical = EnsembleTrainer.Batch.Matrix(rows.Select(r => r.Features.Clinical), rows.Count, schema.Clinical.Count);
        using var genomic = EnsembleTrainer.Batch.Matrix(rows.Select(r => r.Features.Genomic), rows.Count, schema.Genomic.Count);
        using var therapy = EnsembleTrainer.Batch.Matrix(rows.Select(r => dataset.Featurizer.EncodeTherapy(r.TherapyId)), rows.Count, schema.TherapyIds.Count);
        return ensemble.Predict(clinical, genomic, therapy).Calibrated;
    }

    internal static string AgeBand(int? age) => age switch
    {
        null => "Unknown",
        < 50 => "< 50",
        < 65 => "50–64",
        < 75 => "65–74",
        _ => "≥ 75",
    };
}
