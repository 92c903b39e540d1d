using System.Globalization;
using Precision.Inference.Evaluation;
using Precision.Training.Baselines;
using Precision.Training.Data;

namespace Precision.Training.Evaluation;

/// <summary>
/// Decides what to evaluate and with which peers, then builds <see cref="ModelEvaluationDocument"/>: the model's training
/// cohort is scored on its test split (the training split seed), any other cohort in full; the fitted peers learn from
/// the training cohort's train split (LightGBM stops early on its validation split), exactly as the ensemble did.
/// </summary>
public static class EvaluationRun
{
    /// <param name="model">The served model.</param>
    /// <param name="cohort">The cohort to evaluate.</param>
    /// <param name="trainingCohort">The model's training cohort, to fit the peers when <paramref name="cohort"/> is another one (optional).</param>
    /// <param name="date">The evaluation date.</param>
    /// <param name="isTrainingCohort">True when the caller knows <paramref name="cohort"/> is the training cohort (train, right after training).</param>
    /// <param name="treeOptions">LightGBM settings (the defaults unless a test needs them smaller).</param>
    public static ModelEvaluationDocument Run(ServedModelPredictor model, CohortDataset cohort, CohortDataset? trainingCohort, DateOnly date, bool isTrainingCohort = false, GradientBoostedTreesOptions? treeOptions = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(cohort);
        var record = model.Training;
        var notes = new List<string>();
        if (!record.SplitSeedRecorded)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"The model's manifest records no training.splitSeed; the training default {ModelTrainingRecord.DefaultSplitSeed} is assumed for the patient split."));
        }

        var cohortIsTraining = isTrainingCohort || record.IsTrainingCohort(cohort.Identity);
        CheckSplitSeed(cohort, cohortIsTraining, record);
        CohortDataset? peerSource = cohortIsTraining ? cohort : trainingCohort;
        var trainingMatches = trainingCohort is not null && record.IsTrainingCohort(trainingCohort.Identity);
        if (trainingCohort is not null && !cohortIsTraining)
        {
            CheckSplitSeed(trainingCohort, trainingMatches, record);
            if (!trainingMatches)
            {
                notes.Add($"The training cohort given ({Describe(trainingCohort.Identity)}) is not the one the model's manifest records (seed {record.CohortSeed?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}, manifest SHA-256 {Short(record.CohortManifestSha256)}): the peers learn from its train split, which is not the data the ensemble learned from.");
            }
        }

        IReadOnlyList<IResponsePredictor> peers;
        if (peerSource is null)
        {
            peers = PeerPredictors.RuleOnly(cohort);
            notes.Add("Logistic regression and LightGBM are left out: they must learn from the model's training cohort, which was not given (--training-cohort DIR).");
        }
        else
        {
            peers = PeerPredictors.Fit(peerSource, treeOptions);
        }

        var cohorts = new List<CohortEvaluation>();
        if (trainingMatches && !cohortIsTraining)
        {
            cohorts.Add(EvaluateTestSplit(model, trainingCohort!, peers, notes));
        }

        cohorts.Add(cohortIsTraining
            ? EvaluateTestSplit(model, cohort, peers, notes)
            : ModelEvaluator.Evaluate(cohort, CohortSelection.AllPatients,
                $"External cohort ({Describe(cohort.Identity)})",
                $"Every patient of a cohort the model was not trained on (its manifest SHA-256 {Short(cohort.Identity.ManifestSha256)} is not the training cohort's {Short(record.CohortManifestSha256)}), read as the portal reads records: Bulk Data ndjson → PatientProfileMapper → PatientFeaturizer at the start of each line.",
                model, peers, notes));

        return new ModelEvaluationDocument(model.Model.Version, model.Model.OnnxSha256, model.Model.Schema.Hash, date, cohorts) { ScoredWith = model.ScoredWith };
    }

    private static CohortEvaluation EvaluateTestSplit(ServedModelPredictor model, CohortDataset cohort, IReadOnlyList<IResponsePredictor> peers, List<string> notes) =>
        ModelEvaluator.Evaluate(cohort, CohortSelection.TestSplit,
            $"Test split of the training cohort ({Describe(cohort.Identity)})",
            string.Create(CultureInfo.InvariantCulture,
                $"The held-out test patients of the model's own training cohort (patient split seed {cohort.SplitSeed}, 70/15/15 by patient; the ensemble and the fitted peers never saw them), read as the portal reads records: Bulk Data ndjson → PatientProfileMapper → PatientFeaturizer at the start of each line."),
            model, peers, notes);

    /// <summary>A training cohort read with another split seed would mix training patients into the test split: refuse it.</summary>
    private static void CheckSplitSeed(CohortDataset dataset, bool isTraining, ModelTrainingRecord record)
    {
        if (isTraining && dataset.SplitSeed != record.SplitSeed)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"The cohort at {dataset.Identity.Directory} is the model's training cohort but was split with seed {dataset.SplitSeed}, not the model's {record.SplitSeed}: its test split would hold training patients."));
        }
    }

    private static string Describe(CohortIdentity identity) => string.Create(CultureInfo.InvariantCulture,
        $"seed {identity.Seed?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}, {identity.PatientCount?.ToString(CultureInfo.InvariantCulture) ?? "?"} patients");

    private static string Short(string? sha) => sha is null ? "unknown" : sha[..Math.Min(12, sha.Length)] + "…";
}
