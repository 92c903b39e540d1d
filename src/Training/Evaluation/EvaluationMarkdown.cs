using System.Globalization;
using System.Text;
using Precision.Inference.Evaluation;
using Precision.Training.Baselines;

namespace Precision.Training.Evaluation;

/// <summary><c>evaluation.md</c>: the same numbers as <c>evaluation.json</c>, for people; the model card reuses its sections.</summary>
public static class EvaluationMarkdown
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static string Render(ModelEvaluationDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var md = new StringBuilder();
        md.AppendLine(C, $"# Evaluation — efficacy model {document.ModelVersion}");
        md.AppendLine();
        md.AppendLine(C, $"Date {document.Date:yyyy-MM-dd} · model.onnx SHA-256 `{document.OnnxSha256}` · feature schema {document.FeatureSchemaHash[..Math.Min(16, document.FeatureSchemaHash.Length)]}… · scored with {document.ScoredWith ?? "ONNX Runtime"}.");
        md.AppendLine();
        md.AppendLine("Synthetic data only: the oracle and the comparison with the truth use the generator's true probabilities, which no real cohort has.");
        foreach (var cohort in document.Cohorts)
        {
            md.AppendLine();
            md.AppendLine(C, $"## {cohort.Name}");
            md.AppendLine();
            md.AppendLine(C, $"{cohort.Description} {cohort.Patients:N0} patients, {cohort.Examples:N0} rows (patient, catalog therapy received, observed best response).");
            if (cohort.Notes.Count > 0)
            {
                md.AppendLine();
                foreach (var note in cohort.Notes)
                {
                    md.AppendLine(C, $"- **Note:** {note}");
                }
            }

            md.AppendLine();
            md.AppendLine("### Overall");
            AppendOverall(md, cohort);
            md.AppendLine();
            md.AppendLine(ComparisonWithTrees(cohort));
            md.AppendLine();
            md.AppendLine("### Calibration of the served model");
            AppendCalibration(md, cohort);
            md.AppendLine();
            md.AppendLine("### Per therapy received");
            AppendPerTherapy(md, cohort);
            md.AppendLine();
            md.AppendLine("### Subgroups");
            AppendSubgroups(md, cohort, "####");
            md.AppendLine();
            md.AppendLine("### Against the true probabilities");
            AppendTruth(md, cohort);
        }

        return md.ToString();
    }

    public static string F(double? value, string format = "0.000") => value is { } v && double.IsFinite(v) ? v.ToString(format, C) : "—";

    public static void AppendOverall(StringBuilder md, CohortEvaluation cohort)
    {
        ArgumentNullException.ThrowIfNull(md);
        ArgumentNullException.ThrowIfNull(cohort);
        md.AppendLine("| Predictor | AUROC | AUPRC | Brier | ECE (10 bins) |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var p in cohort.Predictors)
        {
            md.AppendLine(C, $"| {p.Name} | {F(p.Auroc)} | {F(p.AveragePrecision)} | {F(p.Brier)} | {F(p.ExpectedCalibrationError)} |");
        }

        md.AppendLine();
        foreach (var p in cohort.Predictors.Skip(1))
        {
            md.AppendLine(C, $"- *{p.Name}*: {p.Description}");
        }
    }

    /// <summary>Whether the served model beats LightGBM, metric by metric, in plain words (no hedging, no tuning).</summary>
    public static string ComparisonWithTrees(CohortEvaluation cohort)
    {
        ArgumentNullException.ThrowIfNull(cohort);
        var model = cohort.Predictors.FirstOrDefault(p => p.Kind == PredictorKind.Model);
        var trees = cohort.Predictors.FirstOrDefault(p => p.Name == PeerPredictors.GradientBoostedTreesName);
        if (model is null || trees is null)
        {
            return "**Ensemble vs LightGBM:** not compared here (LightGBM needs the model's training cohort).";
        }

        string Compare(string metric, double? m, double? t, bool higherIsBetter)
        {
            if (m is not { } a || t is not { } b)
            {
                return $"{metric}: not defined";
            }

            var (ra, rb) = (Math.Round(a, 3), Math.Round(b, 3));
            var verdict = ra == rb ? "equal to three decimals" : (ra > rb) == higherIsBetter ? "**the ensemble is better**" : "**LightGBM is better**";
            return string.Create(C, $"{metric} {a:0.000} vs {b:0.000} — {verdict}");
        }

        var parts = new[]
        {
            Compare("AUROC", model.Auroc, trees.Auroc, higherIsBetter: true),
            Compare("Brier", model.Brier, trees.Brier, higherIsBetter: false),
            Compare("ECE", model.ExpectedCalibrationError, trees.ExpectedCalibrationError, higherIsBetter: false),
        };
        var beatsAll = model.Auroc > trees.Auroc && model.Brier < trees.Brier && model.ExpectedCalibrationError < trees.ExpectedCalibrationError;
        return $"**Ensemble vs LightGBM on these rows:** {string.Join("; ", parts)}. "
            + (beatsAll ? "The ensemble beats LightGBM on all three." : "The ensemble does **not** beat LightGBM on all three.");
    }

    public static void AppendCalibration(StringBuilder md, CohortEvaluation cohort)
    {
        ArgumentNullException.ThrowIfNull(md);
        ArgumentNullException.ThrowIfNull(cohort);
        md.AppendLine("| Predicted | n | Mean predicted | Observed |");
        md.AppendLine("|---|---:|---:|---:|");
        foreach (var bin in cohort.Calibration.Where(b => b.Count > 0))
        {
            md.AppendLine(C, $"| {bin.Lower:0.0}–{bin.Upper:0.0} | {bin.Count} | {F(bin.MeanPredicted)} | {F(bin.ObservedRate)} |");
        }

        md.AppendLine();
        md.AppendLine("Reliability bins per therapy, for every predictor, are in evaluation.json (`calibrationByTherapy`).");
    }

    public static void AppendPerTherapy(StringBuilder md, CohortEvaluation cohort)
    {
        ArgumentNullException.ThrowIfNull(md);
        ArgumentNullException.ThrowIfNull(cohort);
        var predictors = cohort.Predictors;
        md.AppendLine("| Therapy | n | Responders | " + string.Join(" | ", predictors.Select(p => "AUROC " + ShortName(p))) + " | ECE " + ShortName(predictors[0]) + " |");
        md.AppendLine("|---|---:|---:|" + string.Concat(predictors.Select(_ => "---:|")) + "---:|");
        var served = predictors[0];
        foreach (var therapy in served.AurocByTherapy)
        {
            var bins = served.CalibrationByTherapy.First(t => t.TherapyId == therapy.TherapyId).Bins.Where(b => b.Count > 0).ToList();
            var ece = therapy.Examples >= ModelEvaluator.MinimumForAuroc ? bins.Sum(b => (double)b.Count / therapy.Examples * Math.Abs(b.ObservedRate - b.MeanPredicted)) : (double?)null;
            var aurocs = string.Join(" | ", predictors.Select(p => F(p.AurocByTherapy.FirstOrDefault(t => t.TherapyId == therapy.TherapyId)?.Auroc)));
            md.AppendLine(C, $"| {therapy.TherapyId} | {therapy.Examples} | {therapy.Responders} | {aurocs} | {F(ece)} |");
        }

        md.AppendLine();
        md.AppendLine(C, $"AUROC and ECE are left out (—) for therapies with fewer than {ModelEvaluator.MinimumForAuroc} rows or one outcome only.");
    }

    /// <summary>The subgroup tables (Group, n, Observed rate, Mean predicted, AUROC, ECE, Oracle AUROC) under headings of the given level.</summary>
    public static void AppendSubgroups(StringBuilder md, CohortEvaluation cohort, string heading)
    {
        ArgumentNullException.ThrowIfNull(md);
        ArgumentNullException.ThrowIfNull(cohort);
        var served = cohort.Predictors[0];
        foreach (var dimension in served.Subgroups.GroupBy(s => s.Dimension))
        {
            md.AppendLine(C, $"{heading} {dimension.Key}");
            md.AppendLine("| Group | n | Observed rate | Mean predicted | AUROC | ECE | Oracle AUROC |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
            foreach (var s in dimension)
            {
                md.AppendLine(C, $"| {s.Group} | {s.Examples} | {F(s.ObservedRate, "0.00")} | {F(s.MeanPredicted, "0.00")} | {F(s.Auroc)} | {F(s.ExpectedCalibrationError)} | {F(s.OracleAuroc)} |");
            }

            md.AppendLine();
            if (served.SubgroupGaps.FirstOrDefault(g => g.Dimension == dimension.Key) is { Gap: not null } gap)
            {
                md.AppendLine(C, $"Widest AUROC gap over {gap.Groups} groups: model {F(gap.Gap)}, oracle {F(gap.OracleGap)} — target ≤ oracle + {SubgroupAurocGap.Tolerance:0.00}: **{(gap.WithinTarget == true ? "met" : "missed")}**.");
            }
            else
            {
                md.AppendLine("Widest AUROC gap: not defined (fewer than two groups with an AUROC).");
            }

            md.AppendLine();
        }

        md.AppendLine(C, $"AUROC and ECE are left out (—) for groups under {ModelEvaluator.MinimumForAuroc} examples or with one outcome only. The oracle's AUROC shows how separable each group's outcomes are at all; a gap the oracle has too is in the data, not the model.");
        md.AppendLine();
        md.AppendLine("| Dimension | " + string.Join(" | ", cohort.Predictors.Select(p => "Gap " + ShortName(p))) + " |");
        md.AppendLine("|---|" + string.Concat(cohort.Predictors.Select(_ => "---:|")));
        foreach (var dimension in served.SubgroupGaps.Select(g => g.Dimension))
        {
            var gaps = string.Join(" | ", cohort.Predictors.Select(p => F(p.SubgroupGaps.FirstOrDefault(g => g.Dimension == dimension)?.Gap)));
            md.AppendLine(C, $"| {dimension} | {gaps} |");
        }
    }

    public static void AppendTruth(StringBuilder md, CohortEvaluation cohort)
    {
        ArgumentNullException.ThrowIfNull(md);
        ArgumentNullException.ThrowIfNull(cohort);
        var compared = cohort.Predictors.Where(p => p.Truth is not null).ToList();
        if (compared.Count == 0)
        {
            md.AppendLine("Not available: the cohort has no truth file.");
            return;
        }

        var pairs = compared[0].Truth!.Pairs;
        md.AppendLine(C, $"Every evaluated patient × every catalog therapy ({pairs:N0} pairs), predicted with the features at the start of the patient's first line and compared with the first-line true probability (truth column `{cohort.TruthColumn}`).");
        md.AppendLine();
        md.AppendLine("| Predictor | MAE to truth | Calibration error to truth | Mean per-patient rank correlation | Patients ranked |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var p in compared)
        {
            md.AppendLine(C, $"| {p.Name} | {F(p.Truth!.MeanAbsoluteErrorToTruth)} | {F(p.Truth.CalibrationErrorToTruth)} | {F(p.Truth.MeanPatientRankCorrelation)} | {p.Truth.PatientsRanked} |");
        }

        var groups = compared[0].Truth!.BiomarkerGroups;
        md.AppendLine();
        md.AppendLine(C, $"Biomarker × therapy groups of the served model (catalog context × therapy, ≥ {ModelEvaluator.MinimumGroupPatients} patients):");
        md.AppendLine();
        md.AppendLine("| Context | Therapy | Patients | Encoded (published) | Mean true | Mean predicted | vs published (points) | vs mean true (points) |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var g in groups)
        {
            md.AppendLine(C, $"| {g.ContextId} | {g.TherapyId} | {g.Patients} | {g.EncodedRate:0.00} | {g.MeanTrue:0.00} | {g.MeanPredicted:0.00} | {Points(g.DifferencePoints)} | {Points(g.DifferenceFromTruthPoints)} |");
        }

        md.AppendLine();
        md.AppendLine(C, $"Within ±5 points: {groups.Count(g => Math.Abs(g.DifferencePoints) <= 5)} of {groups.Count} groups against the published rate, {groups.Count(g => Math.Abs(g.DifferenceFromTruthPoints) <= 5)} of {groups.Count} against the group's mean true probability. The published rate is the trial population's; the modifiers (performance status, labs, line, age) move a group's true rate away from it. Groups of 10–20 patients are noisy.");
    }

    private static string ShortName(PredictorEvaluation p) => p.Kind switch
    {
        PredictorKind.Model => "model",
        PredictorKind.Oracle => "oracle",
        _ when p.Name == PeerPredictors.GradientBoostedTreesName => "LightGBM",
        _ when p.Name == PeerPredictors.LogisticRegressionName => "LR",
        _ when p.Name.StartsWith("Biomarker-rule", StringComparison.Ordinal) => "rule",
        _ => p.Name,
    };

    /// <summary>A signed difference in points to one decimal; one that rounds to zero is "0.0" (not "-+0.0" or "−0.0").</summary>
    internal static string Points(double value) => Math.Round(value, 1) is var rounded && rounded == 0
        ? "0.0"
        : rounded.ToString("+0.0;-0.0", CultureInfo.InvariantCulture);
}
