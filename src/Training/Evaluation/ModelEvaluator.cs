using Precision.Clinical;
using Precision.Inference.Evaluation;
using Precision.Inference.Evidence;
using Precision.Inference.Features;
using Precision.Training.Baselines;
using Precision.Training.Data;

namespace Precision.Training.Evaluation;

/// <summary>
/// The one evaluation behind <c>precision-train evaluate</c>, <c>train</c>'s report and the model card: the served model,
/// its peers and the oracle on the same rows of one cohort, with calibration, per-therapy and subgroup results and the
/// comparison with the generator's truth.
/// </summary>
public static class ModelEvaluator
{
    /// <summary>Below this many rows (or with one outcome only) a group's AUROC and ECE are not reported.</summary>
    public const int MinimumForAuroc = 30;

    /// <summary>Biomarker × therapy groups need this many patients to be listed.</summary>
    public const int MinimumGroupPatients = 10;

    public const string OracleName = "Oracle (true probabilities)";

    /// <summary>The rows a cohort contributes: the test split of the model's training cohort, or every patient of another cohort.</summary>
    public static IReadOnlyList<LabelledExample> Rows(CohortDataset dataset, CohortSelection selection)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return selection == CohortSelection.TestSplit ? [.. dataset.Examples.Where(e => e.Split == DataSplit.Test)] : dataset.Examples;
    }

    public static CohortEvaluation Evaluate(
        CohortDataset dataset,
        CohortSelection selection,
        string name,
        string description,
        IResponsePredictor model,
        IReadOnlyList<IResponsePredictor> peers,
        IReadOnlyList<string> notes)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(peers);
        var examples = Rows(dataset, selection);
        if (examples.Count == 0)
        {
            throw new InvalidOperationException(selection == CohortSelection.TestSplit
                ? $"The test split of the cohort at {dataset.Identity.Directory} (split seed {dataset.SplitSeed}) holds no assessed rows; a bigger cohort is needed."
                : $"The cohort at {dataset.Identity.Directory} holds no assessed rows to evaluate.");
        }

        var rows = examples.Select(e => ScoringRow.Of(e)).ToList();
        var outcomes = examples.Select(e => e.Example.Responded).ToList();
        var allNotes = notes.ToList();
        var oracle = examples.All(e => e.TrueProbability is not null) ? examples.Select(e => e.TrueProbability!.Value).ToArray() : null;
        if (oracle is null)
        {
            allNotes.Add("The cohort has no true probability for every row (truth/true-response-probabilities.csv), so the oracle and the comparison with the truth are left out.");
        }

        var grid = oracle is null ? null : FirstLineGrid(dataset, examples);
        if (grid is not null && dataset.FirstLineTruthColumn != "first_line_probability")
        {
            allNotes.Add($"The truth file has no first_line_probability column: the comparison with the truth used {dataset.FirstLineTruthColumn}, which for a therapy the patient received in a later line is the probability at that line, while the prediction uses the features at the start of the first line. Regenerate the cohort with a generator that writes first_line_probability.");
        }

        var subgroupKeys = SubgroupKeys(dataset, examples);
        var predictors = new List<PredictorEvaluation>();
        foreach (var predictor in new[] { model }.Concat(peers))
        {
            var predicted = predictor.Predict(rows);
            var truth = grid is null ? null : CompareWithTruth(dataset, grid, predictor.Predict(grid.Rows));
            predictors.Add(Measure(predictor.Name, predictor.Kind, predictor.Description, examples, predicted, outcomes, oracle, subgroupKeys, truth));
        }

        if (oracle is not null)
        {
            predictors.Add(Measure(OracleName, PredictorKind.Oracle, "The generator's true probability of response for each row (synthetic data only): the best any model could do on these outcomes.",
                examples, oracle, outcomes, oracle, subgroupKeys, truth: null));
        }

        var served = predictors[0];
        return new CohortEvaluation(name, description, dataset.Identity.Seed, examples.Select(e => e.Example.PatientId).Distinct(StringComparer.Ordinal).Count(),
            examples.Count, served.Calibration, served.CalibrationByTherapy)
        {
            Selection = selection,
            CohortManifestSha256 = dataset.Identity.ManifestSha256,
            SplitSeed = selection == CohortSelection.TestSplit ? dataset.SplitSeed : null,
            TruthColumn = grid is null ? null : dataset.FirstLineTruthColumn,
            Predictors = predictors,
            Notes = allNotes,
        };
    }

    internal static string AgeBand(int? age) => age switch
    {
        null => "Unknown",
        < 50 => "< 50",
        < 65 => "50–64",
        < 75 => "65–74",
        _ => "≥ 75",
    };

    /// <summary>Age bands youngest first; every other group keeps alphabetical order.</summary>
    private static int AgeBandOrder(string group) => group switch
    {
        "< 50" => 0,
        "50–64" => 1,
        "65–74" => 2,
        "≥ 75" => 3,
        _ => 4,
    };

    private static PredictorEvaluation Measure(
        string name,
        PredictorKind kind,
        string description,
        IReadOnlyList<LabelledExample> examples,
        double[] predicted,
        List<bool> outcomes,
        double[]? oracle,
        List<(string Dimension, string[] Keys)> subgroupKeys,
        TruthComparison? truth)
    {
        // Probabilities are clamped only against float rounding just outside [0, 1].
        var p = predicted.Select(x => Math.Clamp(x, 0, 1)).ToArray();
        var all = Enumerable.Range(0, p.Length).ToList();
        var byTherapy = all.GroupBy(i => examples[i].Example.TherapyId).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        var subgroups = new List<SubgroupEvaluation>();
        var gaps = new List<SubgroupAurocGap>();
        foreach (var (dimension, keys) in subgroupKeys)
        {
            var groups = all.GroupBy(i => keys[i]).OrderBy(g => AgeBandOrder(g.Key)).ThenBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new SubgroupEvaluation(dimension, g.Key, g.Count(), g.Average(i => outcomes[i] ? 1.0 : 0.0), g.Average(i => p[i]),
                    Auroc(g, p, outcomes), Ece(g, p, outcomes), oracle is null ? null : Auroc(g, oracle, outcomes)))
                .ToList();
            subgroups.AddRange(groups);
            var comparable = groups.Where(g => g.Auroc is not null && g.OracleAuroc is not null).ToList();
            double? gap = comparable.Count >= 2 ? comparable.Max(g => g.Auroc!.Value) - comparable.Min(g => g.Auroc!.Value) : null;
            double? oracleGap = comparable.Count >= 2 ? comparable.Max(g => g.OracleAuroc!.Value) - comparable.Min(g => g.OracleAuroc!.Value) : null;
            gaps.Add(new SubgroupAurocGap(dimension, comparable.Count, gap, oracleGap, gap is null ? null : gap <= oracleGap + SubgroupAurocGap.Tolerance));
        }

        return new PredictorEvaluation(
            name,
            kind,
            description,
            p.Length,
            Auroc(all, p, outcomes, minimum: 2),
            BothClasses(all, outcomes) ? BinaryClassificationMetrics.AveragePrecision(p, outcomes) : null,
            BinaryClassificationMetrics.Brier(p, outcomes),
            BinaryClassificationMetrics.ExpectedCalibrationError(p, outcomes),
            BinaryClassificationMetrics.CalibrationCurve(p, outcomes),
            [.. byTherapy.Select(g => new TherapyCalibration(g.Key, BinaryClassificationMetrics.CalibrationCurve([.. g.Select(i => p[i])], [.. g.Select(i => outcomes[i])])))],
            [.. byTherapy.Select(g => new TherapyDiscrimination(g.Key, g.Count(), g.Count(i => outcomes[i]), Auroc(g, p, outcomes)))],
            subgroups,
            gaps,
            truth);
    }

    private static bool BothClasses(IEnumerable<int> rows, List<bool> outcomes)
    {
        var seen = rows.Select(i => outcomes[i]).Distinct().Count();
        return seen == 2;
    }

    private static double? Auroc(IEnumerable<int> group, double[] scores, List<bool> outcomes, int minimum = MinimumForAuroc)
    {
        var rows = group.ToList();
        return rows.Count >= minimum && BothClasses(rows, outcomes)
            ? BinaryClassificationMetrics.Auroc([.. rows.Select(i => scores[i])], [.. rows.Select(i => outcomes[i])])
            : null;
    }

    private static double? Ece(IEnumerable<int> group, double[] scores, List<bool> outcomes)
    {
        var rows = group.ToList();
        return rows.Count >= MinimumForAuroc && BothClasses(rows, outcomes)
            ? BinaryClassificationMetrics.ExpectedCalibrationError([.. rows.Select(i => scores[i])], [.. rows.Select(i => outcomes[i])])
            : null;
    }

    /// <summary>Each row's group in every subgroup dimension; the age is taken at the start of the row's line.</summary>
    private static List<(string Dimension, string[] Keys)> SubgroupKeys(CohortDataset dataset, IReadOnlyList<LabelledExample> examples)
    {
        string[] Keys(Func<LabelledExample, string> key) => [.. examples.Select(key)];
        return
        [
            ("Sex", Keys(e => e.Profile.Demographics.Sex.ToString())),
            ("Age band", Keys(e => AgeBand(e.Profile.Demographics.AgeOn(e.Profile.TherapyLines.FirstOrDefault(l => l.LineNumber == e.Example.LineNumber)?.StartedOn ?? DateOnly.FromDateTime(DateTime.UtcNow))))),
            ("Race", Keys(e => e.Profile.Demographics.Race ?? "Not recorded")),
            ("Ethnicity", Keys(e => e.Profile.Demographics.Ethnicity ?? "Not recorded")),
            ("Cancer type", Keys(e => CancerTypes.DisplayName(e.Profile.PrimaryCancer?.CancerType ?? CancerType.Other))),
            ("Therapy", Keys(e => dataset.Catalog.Therapy(e.Example.TherapyId).DisplayName)),
            // Later lines are where the line modifiers act and where 1.1.0 over-predicted (issue 13).
            ("Line of therapy", Keys(e => e.Example.LineNumber switch { 1 => "First line", 2 => "Second line", _ => "Third line or later" })),
            // Re-challenge: whether (and how) the patient had this therapy in an earlier line (model 2.0.0 reads progression on it).
            ("Earlier use of this therapy", Keys(EarlierUse)),
        ];
    }

    /// <summary>"First use", or a re-challenge after progression on the therapy, or after response or stable disease on it.</summary>
    internal static string EarlierUse(LabelledExample example)
    {
        var earlier = example.Profile.TherapyLines
            .Where(l => l.LineNumber < example.Example.LineNumber && l.CatalogTherapyId == example.Example.TherapyId)
            .ToList();
        return earlier.Count == 0 ? "First use"
            : earlier.Any(l => l.BestResponse == RecistResponse.ProgressiveDisease) ? "Re-challenge after progression on it"
            : "Re-challenge after response or stable disease on it";
    }

    /// <summary>Every scored patient × every catalog therapy, with the features at the start of the patient's first line.</summary>
    private sealed record TruthGrid(List<ScoringRow> Rows, List<double> Truth, List<string> PatientIds);

    private static TruthGrid FirstLineGrid(CohortDataset dataset, IReadOnlyList<LabelledExample> examples)
    {
        var therapies = dataset.Featurizer.Schema.TherapyIds;
        var grid = new TruthGrid([], [], []);
        foreach (var profile in examples.Select(e => e.Profile).DistinctBy(p => p.PatientId))
        {
            var firstLine = profile.TherapyLines.OrderBy(l => l.LineNumber).First();
            var features = dataset.Featurizer.FeaturizeAtLineStart(profile, firstLine);
            foreach (var therapy in therapies)
            {
                if (dataset.FirstLineTruth.TryGetValue((profile.PatientId, therapy), out var truth))
                {
                    grid.Rows.Add(new ScoringRow(profile, features, therapy, firstLine));
                    grid.Truth.Add(truth);
                    grid.PatientIds.Add(profile.PatientId);
                }
            }
        }

        return grid;
    }

    private static TruthComparison CompareWithTruth(CohortDataset dataset, TruthGrid grid, double[] predicted)
    {
        var n = grid.Rows.Count;
        if (n == 0)
        {
            return new TruthComparison(0, null, null, null, 0, []);
        }

        var mae = Enumerable.Range(0, n).Average(i => Math.Abs(predicted[i] - grid.Truth[i]));
        // In bins of predicted probability, |mean true − mean predicted|, count-weighted.
        var calibration = Enumerable.Range(0, n).GroupBy(i => Math.Clamp((int)(predicted[i] * 10), 0, 9))
            .Sum(g => (double)g.Count() / n * Math.Abs(g.Average(i => grid.Truth[i]) - g.Average(i => predicted[i])));

        var therapyCount = dataset.Featurizer.Schema.TherapyIds.Count;
        var correlations = Enumerable.Range(0, n).GroupBy(i => grid.PatientIds[i])
            .Where(g => g.Count() == therapyCount)
            .Select(g => BinaryClassificationMetrics.Spearman([.. g.Select(i => predicted[i])], [.. g.Select(i => grid.Truth[i])]))
            .Where(double.IsFinite)
            .ToList();

        var evidence = new CatalogEvidence(dataset.Catalog);
        var groups = new Dictionary<(string Context, string Therapy), List<(double Predicted, double Truth, double Encoded)>>();
        for (var i = 0; i < n; i++)
        {
            var match = evidence.MatchAtLineStart(grid.Rows[i].Profile, grid.Rows[i].Line, grid.Rows[i].TherapyId);
            if (match.ContextId is { } context && match.Biomarker != Clinical.Catalog.BiomarkerKind.BiomarkerNegative)
            {
                if (!groups.TryGetValue((context, grid.Rows[i].TherapyId), out var list))
                {
                    groups[(context, grid.Rows[i].TherapyId)] = list = [];
                }

                list.Add((predicted[i], grid.Truth[i], match.PublishedResponseRate));
            }
        }

        var biomarkerGroups = groups
            .Where(g => g.Value.Count >= MinimumGroupPatients)
            .Select(g => new BiomarkerGroupRate(g.Key.Context, g.Key.Therapy, g.Value.Count, g.Value[0].Encoded, g.Value.Average(x => x.Truth), g.Value.Average(x => x.Predicted)))
            .OrderBy(g => g.ContextId, StringComparer.Ordinal).ThenBy(g => g.TherapyId, StringComparer.Ordinal)
            .ToList();
        return new TruthComparison(n, mae, calibration, correlations.Count == 0 ? null : correlations.Average(), correlations.Count, biomarkerGroups);
    }
}
