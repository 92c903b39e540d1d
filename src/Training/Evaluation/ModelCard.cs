using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Precision.Inference.Evaluation;
using Precision.Training.Data;
using Precision.Training.Model;

namespace Precision.Training.Evaluation;

/// <summary>The model card a compliance officer reads: what the model is for, what it was trained on, how good it is and where it is not.</summary>
internal static class ModelCard
{
    public static string Render(string version, DateOnly date, TrainedEnsemble ensemble, CohortDataset dataset, ModelEvaluationDocument evaluation, JsonNode? cohortManifest)
    {
        var c = CultureInfo.InvariantCulture;
        var test = evaluation.TestSplit ?? evaluation.Cohorts[0];
        var card = new StringBuilder();
        var splits = dataset.Examples.GroupBy(e => e.Split).ToDictionary(g => g.Key, g => g.Count());
        card.AppendLine(c, $"# Model card — treatment-efficacy ensemble {version}");
        card.AppendLine();
        card.AppendLine(c, $"Date {date:yyyy-MM-dd} · feature schema {dataset.Featurizer.Schema.Hash[..16]}… · therapy catalog {dataset.Catalog.CatalogVersion} · {ensemble.Members.Count} ensemble members · temperature {ensemble.Temperature:0.000}");
        card.AppendLine();
        card.AppendLine("## Intended use");
        card.AppendLine("Research and software demonstration only. The model was trained on **synthetic** patients and predicts the probability of an objective response (RECIST CR or PR) to each therapy in the catalog. It is **not** a medical device, has not been validated on real patients, and must not inform clinical decisions.");
        card.AppendLine();
        card.AppendLine("## Data");
        card.AppendLine(c, $"A synthetic mCODE cohort from `precision-cohort` (seed {cohortManifest?["seed"]}, {cohortManifest?["patientCount"]} patients), read through the portal's own FHIR mapper and featurizer. Rows are (patient, catalog therapy received, observed best response); {dataset.Examples.Count:N0} rows, split by patient: train {splits.GetValueOrDefault(Inference.Features.DataSplit.Train):N0}, validation {splits.GetValueOrDefault(Inference.Features.DataSplit.Validation):N0}, test {splits.GetValueOrDefault(Inference.Features.DataSplit.Test):N0}. Response probabilities in the generator come from published response rates with modelling assumptions (docs/cohort.md); the model can only be as right as those.");
        card.AppendLine();
        card.AppendLine("## Model");
        card.AppendLine("A deep ensemble of small networks: a genomic encoder and a clinical encoder form a patient embedding; the candidate therapy is embedded and combined with it (including an element-wise product), and a head gives a correction that is added to the logit of the catalog's published response rate for the patient's best matching biomarker context (the *catalog prior*, computed inside the graph from the same inputs). The network therefore learns how a patient departs from the published evidence — performance status, labs, line of therapy, other biomarkers — and a rare biomarker–therapy pair starts from its published rate rather than from the handful of patients who received it. Because the synthetic truth is built on the same catalog, this prior is unusually well matched here; on real data it would be the evidence base the model is checked against. Members differ by random seed. The mean logit is divided by a temperature fitted on the validation split (calibration); the members' spread gives the uncertainty interval.");
        card.AppendLine();
        card.AppendLine("## Performance on held-out patients");
        card.AppendLine(c, $"From `{ModelEvaluationDocument.FileName}` (the same numbers, with per-therapy reliability bins for every predictor): the written model.onnx scored by {evaluation.ScoredWith}, on {test.Patients:N0} test patients ({test.Examples:N0} rows).");
        card.AppendLine();
        EvaluationMarkdown.AppendOverall(card, test);
        card.AppendLine();
        card.AppendLine("The oracle uses the generator's true probabilities: the best any model could do on these outcomes. The biomarker-rule lookup predicts the published response rate of the best matching catalog context; logistic regression and LightGBM use the same inputs as the model and learned from the same training split.");
        card.AppendLine();
        card.AppendLine(EvaluationMarkdown.ComparisonWithTrees(test));
        card.AppendLine();
        card.AppendLine("## Calibration");
        card.AppendLine("![Reliability diagram](calibration.svg)");
        card.AppendLine();
        EvaluationMarkdown.AppendCalibration(card, test);
        card.AppendLine();
        card.AppendLine("## Per therapy received");
        EvaluationMarkdown.AppendPerTherapy(card, test);
        card.AppendLine();
        card.AppendLine("## Against the true probabilities (synthetic data only)");
        EvaluationMarkdown.AppendTruth(card, test);
        foreach (var note in test.Notes)
        {
            card.AppendLine();
            card.AppendLine(c, $"**Note:** {note}");
        }

        card.AppendLine();
        card.AppendLine("## Subgroups");
        EvaluationMarkdown.AppendSubgroups(card, test, "###");
        if (evaluation.External is { } external)
        {
            card.AppendLine();
            card.AppendLine("## External cohort (a seed training never saw)");
            card.AppendLine(c, $"{external.Name}: {external.Description}");
            card.AppendLine();
            EvaluationMarkdown.AppendOverall(card, external);
            card.AppendLine();
            card.AppendLine(EvaluationMarkdown.ComparisonWithTrees(external));
            card.AppendLine();
            card.AppendLine("### Calibration (external cohort)");
            EvaluationMarkdown.AppendCalibration(card, external);
            card.AppendLine();
            card.AppendLine("### Against the true probabilities (external cohort)");
            EvaluationMarkdown.AppendTruth(card, external);
            card.AppendLine();
            card.AppendLine("### Subgroups (external cohort)");
            EvaluationMarkdown.AppendSubgroups(card, external, "####");
            card.AppendLine();
            card.AppendLine("Per-therapy results and reliability bins of both cohorts are in `evaluation.md` and `evaluation.json`.");
        }
        card.AppendLine();
        card.AppendLine("## Limitations");
        card.AppendLine("- Trained and evaluated on synthetic data whose response model the catalog defines; real-world performance is unknown.");
        card.AppendLine("- Only the catalog's therapies and six cancer types are modelled; anything else is out of distribution.");
        card.AppendLine("- Observed outcomes exist only for therapies actually given, which followed guidelines: rarely given therapies are learned from few examples.");
        card.AppendLine("- Counterfactual predictions (therapies not given) are checked only against the generator's truth.");
        card.AppendLine();
        card.AppendLine("## Ethical considerations");
        card.AppendLine("Subgroup results above show where performance differs by sex, age, race and ethnicity in this synthetic population; a real deployment would need the same analysis on real data, clinical validation, regulatory review and human oversight of every use. The portal shows every prediction with its explanation, its evidence and a research-use notice, and records who saw it.");
        return card.ToString();
    }
}
