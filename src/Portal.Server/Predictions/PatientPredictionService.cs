using System.Globalization;
using System.Text.Json.Nodes;
using Precision.Clinical;
using Precision.Clinical.Catalog;
using Precision.Clinical.WhatIf;
using Precision.Inference.Evaluation;
using Precision.Inference.Explanations;
using Precision.Inference.Features;
using Precision.Inference.Ranking;
using Precision.Inference.Runtime;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.Predictions;
using ClientApplicability = Precision.Portal.Client.Predictions.Applicability;
using ClientApplicabilityLevel = Precision.Portal.Client.Predictions.ApplicabilityLevel;
using ClientSimilarPatient = Precision.Portal.Client.Predictions.SimilarPatient;
using ClientPriorTherapyUse = Precision.Portal.Client.Predictions.PriorTherapyUse;
using ClientTherapyExplanation = Precision.Portal.Client.Predictions.TherapyExplanation;
using ClientTherapyGroup = Precision.Portal.Client.Predictions.TherapyGroup;
using ClientTherapyPrediction = Precision.Portal.Client.Predictions.TherapyPrediction;

namespace Precision.Portal.Server.Predictions;

/// <summary>
/// The patient pages' predictions: profile (or a what-if copy) → served model → explanation → audit record → DTOs.
/// Each result is recorded with its inputs (feature vectors and the FHIR resources they came from), outputs and model
/// identity before it is returned, so compliance can replay it; when the record cannot be written the call throws
/// <see cref="AuditWriteException"/> and nothing is shown. The model runs off the circuit's thread.
/// </summary>
internal sealed class PatientPredictionService(
    EfficacyModelService model,
    PredictionExplainer explainer,
    TherapyCatalog catalog,
    IAuditTrail audit,
    TimeProvider time) : IPatientPredictions
{
    public const string TrainingData = "synthetic training data — research use only";

    /// <summary>The audit problem of a refused record (<see cref="PredictionEligibility"/>).</summary>
    public const string NotEligibleProblem = "NotEligible";

    /// <summary>Nearest training patients shown beside the predictions.</summary>
    private const int SimilarPatientCount = 8;

    public async Task<PredictionOutcome<PatientPredictions>> PredictAsync(PatientProfile profile, WhatIfScenario? scenario, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var action = scenario is null ? AuditActions.PredictionCreate : AuditActions.PredictionWhatIf;
        if (PredictionEligibility.WhyNot(profile) is { } notEligible)
        {
            await RecordRefusalAsync(action, profile, notEligible, cancellationToken).ConfigureAwait(false);
            return PredictionOutcome.Failed<PatientPredictions>(notEligible);
        }

        if (scenario?.Validate() is { Count: > 0 } problems)
        {
            return PredictionOutcome.Failed<PatientPredictions>(string.Join(" ", problems));
        }

        var (subject, asOf, priorLines) = Prepare(profile, scenario);
        // One model from prediction to similar patients, even if an administrator activates another meanwhile.
        using var lease = model.Acquire();
        var (result, similar) = await Task.Run(() =>
        {
            if (lease.Predictor is not { } predictor)
            {
                return (PredictionResult.Failure(PredictionProblemKind.ModelUnavailable, EfficacyModelService.Unavailable(lease.Status)), (SimilarPatientsResult?)null);
            }

            var prediction = predictor.Predict(subject, asOf, priorLines);
            // Similar patients share the scored profile's cancer type and driver biomarkers (a what-if changes them).
            var neighbours = prediction.Prediction is { } p ? predictor.FindSimilarPatients(p.Embedding, SimilarityCohort.Of(subject), SimilarPatientCount) : null;
            return (prediction, neighbours);
        }, cancellationToken).ConfigureAwait(false);

        if (result.Prediction is not { } value)
        {
            await audit.RecordAsync(new AuditEntry(action, AuditOutcome.Failure, "Patient/" + profile.PatientId, "efficacy-model",
                new JsonObject { ["modelVersion"] = lease.Status.Version, ["problem"] = result.Problem!.Kind.ToString(), ["message"] = result.Problem.Message }), cancellationToken).ConfigureAwait(false);
            return PredictionOutcome.Failed<PatientPredictions>(result.Problem.Message);
        }

        var changes = scenario?.Describe(profile) ?? [];
        var ranking = TherapyRanking.Of(value, subject, catalog);
        // The evaluation of the very model file that scored this patient (the lease's), or why there is none.
        var calibration = lease.Model.Runtime?.Model.Calibration;
        var receipt = await audit.RecordAsync(new AuditEntry(action, AuditOutcome.Success, "Patient/" + profile.PatientId, "efficacy-model",
            DecisionRecord(value, ranking, subject, changes, calibration)), cancellationToken).ConfigureAwait(false);
        return PredictionOutcome.Success(new PatientPredictions(
            profile.PatientId,
            value.AsOf,
            Identity(value.Model),
            [.. ranking.All.Select(r => Map(r, calibration, value.Model.ReadsProgression))],
            value.IntervalMethod,
            new ClientApplicability((ClientApplicabilityLevel)(int)value.Applicability.Level, [.. value.Applicability.Reasons.Select(r => r.Message)]),
            similar?.Patients.Select(Map).ToList() ?? [],
            similar?.Basis ?? "Similar patients could not be searched.",
            similar?.Problem?.Message ?? similar?.Shortfall,
            changes,
            receipt)
        {
            Calibration = Source(calibration),
        });
    }

    public async Task<PredictionOutcome<PatientExplanation>> ExplainAsync(PatientProfile profile, WhatIfScenario? scenario, IReadOnlyList<string>? therapyIds = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (PredictionEligibility.WhyNot(profile) is { } notEligible)
        {
            await RecordRefusalAsync(AuditActions.PredictionExplain, profile, notEligible, cancellationToken).ConfigureAwait(false);
            return PredictionOutcome.Failed<PatientExplanation>(notEligible);
        }

        if (scenario?.Validate() is { Count: > 0 } problems)
        {
            return PredictionOutcome.Failed<PatientExplanation>(string.Join(" ", problems));
        }

        using var lease = model.Acquire();
        var (shapley, unavailable) = explainer.For(lease);
        if (shapley is null || lease.Status is not { IsServing: true } status)
        {
            return PredictionOutcome.Failed<PatientExplanation>(unavailable ?? EfficacyModelService.Unavailable(lease.Status));
        }

        var (subject, asOf, priorLines) = Prepare(profile, scenario);
        var result = await Task.Run(() => shapley.Explain(subject, asOf, priorLines, therapyIds, cancellationToken), cancellationToken).ConfigureAwait(false);
        if (result.Explanation is not { } explanation)
        {
            var message = string.Join(" ", result.Problems.Select(p => p.Message));
            await audit.RecordAsync(new AuditEntry(AuditActions.PredictionExplain, AuditOutcome.Failure, "Patient/" + profile.PatientId, "efficacy-model",
                new JsonObject { ["modelVersion"] = status.Version, ["message"] = message }), cancellationToken).ConfigureAwait(false);
            return PredictionOutcome.Failed<PatientExplanation>(message);
        }

        var details = new JsonObject
        {
            ["modelVersion"] = status.Version,
            ["onnxSha256"] = status.OnnxSha256,
            ["method"] = explanation.Summary,
            ["whatIf"] = scenario is not null,
            ["players"] = new JsonArray([.. explanation.Players.Select(p => (JsonNode?)p.Name)]),
            ["therapies"] = new JsonArray([.. explanation.Therapies.Select(t => (JsonNode?)new JsonObject
            {
                ["therapy"] = t.TherapyId,
                ["baseline"] = Round(t.Baseline),
                ["prediction"] = Round(t.Prediction),
                ["contributions"] = new JsonArray([.. t.Contributions.Select(c => (JsonNode?)Round(c.Value))]),
            })]),
        };
        var receipt = await audit.RecordAsync(new AuditEntry(AuditActions.PredictionExplain, AuditOutcome.Success, "Patient/" + profile.PatientId, "efficacy-model", details), cancellationToken).ConfigureAwait(false);
        var identity = new ModelIdentity(status.Version!, status.OnnxSha256!, status.Provider?.Name ?? "unknown", TrainingData);
        return PredictionOutcome.Success(new PatientExplanation(
            profile.PatientId,
            [.. explanation.Players.Select(p => new ExplanationFactor(p.Name, p.Sources))],
            [.. explanation.Therapies.Select(t => new ClientTherapyExplanation(
                t.TherapyId,
                catalog.Therapy(t.TherapyId).DisplayName,
                t.Baseline,
                t.Prediction,
                [.. t.Contributions.OrderBy(c => c.Player).Select(c => c.Value)],
                explanation.Method == ShapleyMethod.Exact ? null : [.. t.Contributions.OrderBy(c => c.Player).Select(c => c.StandardError ?? 0)]))],
            explanation.MethodDescription,
            $"a fixed reference sample of {explanation.ReferenceSize} training patients ({explanation.ReferenceDescription})",
            identity,
            receipt));
    }

    public Task<AuditReceipt> RecordFeedbackAsync(PredictionFeedback feedback, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(feedback);
        if (!Client.Components.FhirId.IsValid(feedback.PatientId))
        {
            throw new ArgumentException($"'{feedback.PatientId}' is not a valid patient id.", nameof(feedback));
        }

        if (catalog.Therapies.All(t => t.Id != feedback.TherapyId))
        {
            throw new ArgumentException($"'{feedback.TherapyId}' is not a therapy of catalog {catalog.CatalogVersion}.", nameof(feedback));
        }

        if (!feedback.Agrees && feedback.Reason is null)
        {
            throw new ArgumentException("Say why you disagree: choose a reason.", nameof(feedback));
        }

        if (feedback.Comment is { Length: > IPatientPredictions.MaxCommentLength })
        {
            throw new ArgumentException($"The comment is longer than {IPatientPredictions.MaxCommentLength} characters.", nameof(feedback));
        }

        return audit.RecordAsync(new AuditEntry(AuditActions.PredictionFeedback, AuditOutcome.Success, "Patient/" + feedback.PatientId, "efficacy-model",
            new JsonObject
            {
                ["predictionAuditId"] = feedback.PredictionAuditId.ToString(),
                ["therapy"] = feedback.TherapyId,
                ["agrees"] = feedback.Agrees,
                ["reason"] = feedback.Reason?.ToString(),
                ["comment"] = feedback.Comment,
                ["modelVersion"] = model.Status.Version,
            }), cancellationToken);
    }

    /// <summary>
    /// A record <see cref="PredictionEligibility"/> refuses (deceased, no primary cancer) is recorded as a failed attempt with the
    /// reason: no model was consulted, so no model version, inputs or outputs are written that could pass for a prediction.
    /// </summary>
    private Task<AuditReceipt> RecordRefusalAsync(string action, PatientProfile profile, string reason, CancellationToken cancellationToken) =>
        audit.RecordAsync(new AuditEntry(action, AuditOutcome.Failure, "Patient/" + profile.PatientId, "efficacy-model",
            new JsonObject { ["problem"] = NotEligibleProblem, ["message"] = reason }), cancellationToken);

    /// <summary>The profile to score (a what-if copy when asked; the scenario is already validated), the date and the number of lines already given.</summary>
    private (PatientProfile Subject, DateOnly AsOf, int PriorLines) Prepare(PatientProfile profile, WhatIfScenario? scenario)
    {
        var asOf = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var subject = scenario is null || scenario.IsEmpty ? profile : scenario.ApplyTo(profile, asOf);
        // Predictions are for the next line: every line started by today counts as prior.
        var priorLines = profile.TherapyLines.Count(l => l.StartedOn is null || l.StartedOn <= asOf);
        return (subject, asOf, priorLines);
    }

    /// <summary>
    /// What compliance needs to replay this prediction: exact inputs and where they came from, outputs, model identity.
    /// Every therapy's output is kept, in model order, with the group it was shown in (<see cref="TherapyRanking"/>).
    /// </summary>
    private static JsonObject DecisionRecord(EfficacyPrediction prediction, TherapyRanking ranking, PatientProfile subject, IReadOnlyList<string> changes, ModelCalibration? calibration)
    {
        var shown = ranking.All.ToDictionary(r => r.TherapyId, StringComparer.Ordinal);
        return new JsonObject
        {
        ["modelVersion"] = prediction.Model.Version,
        ["onnxSha256"] = prediction.Model.OnnxSha256,
        ["featureSchemaHash"] = prediction.Model.FeatureSchemaHash,
        ["executionProvider"] = prediction.Model.ExecutionProvider,
        ["asOf"] = prediction.AsOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ["priorLines"] = prediction.PriorLines,
        ["whatIf"] = new JsonArray([.. changes.Select(c => (JsonNode?)c)]),
        ["inputs"] = new JsonObject
        {
            ["clinical"] = new JsonArray([.. prediction.Features.Clinical.Select(v => (JsonNode?)v)]),
            ["genomic"] = new JsonArray([.. prediction.Features.Genomic.Select(v => (JsonNode?)v)]),
            ["sources"] = new JsonArray([.. SourcesOf(subject).Select(s => (JsonNode?)s)]),
        },
        ["outputs"] = new JsonArray([.. prediction.Therapies.Select(t => (JsonNode?)new JsonObject
        {
            ["therapy"] = t.TherapyId,
            ["probability"] = t.Probability,
            ["ensembleMean"] = t.EnsembleMean,
            ["intervalLow"] = t.IntervalLow,
            ["intervalHigh"] = t.IntervalHigh,
            ["group"] = shown[t.TherapyId].Group.ToString(),
            ["rank"] = shown[t.TherapyId].Rank,
        })]),
        ["applicability"] = new JsonObject
        {
            ["level"] = prediction.Applicability.Level.ToString(),
            ["reasons"] = new JsonArray([.. prediction.Applicability.Reasons.Select(r => (JsonNode?)r.Message)]),
        },
        // The subgroup model monitoring counts this prediction in (Compliance → Monitoring), recorded as such so the audit
        // store never has to read it out of a feature vector by position (which differs between feature layouts).
        ["monitoring"] = MonitoringSubgroup(subject, prediction.AsOf),
        // Which evaluation the page showed beside the probabilities (or why none).
        ["calibration"] = calibration is { Cohort: { } cohort, Document: { } document }
            ? new JsonObject { ["evaluationDate"] = document.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ["cohort"] = cohort.Name, ["examples"] = cohort.Examples }
            : new JsonObject { ["unavailable"] = calibration?.Availability.ToString() ?? "NoModel" },
        };
    }

    /// <summary>
    /// Sex, age decade (as the featurizer reads age: unknown outside 0–120 years) and cancer type of the prediction's subject,
    /// with the values the monitoring migrations expect ("female", "60", "NonSmallCellLungCancer", else "unknown").
    /// </summary>
    internal static JsonObject MonitoringSubgroup(PatientProfile subject, DateOnly asOf) => new()
    {
        ["sex"] = subject.Demographics.Sex switch
        {
            AdministrativeSex.Female => "female",
            AdministrativeSex.Male => "male",
            _ => "unknown",
        },
        ["ageDecade"] = subject.Demographics.AgeOn(asOf) is { } age and >= 0 and <= PatientFeaturizer.MaximumAge
            ? (age / 10 * 10).ToString(CultureInfo.InvariantCulture)
            : "unknown",
        ["cancerType"] = subject.PrimaryCancer?.CancerType.ToString() ?? "unknown",
    };

    /// <summary>Every FHIR resource (with its version when known) the profile's facts came from.</summary>
    private static IEnumerable<string> SourcesOf(PatientProfile p)
    {
        IEnumerable<SourceReference?> sources =
        [
            p.Demographics.Source, p.Stage?.Source, p.Ecog?.Source, p.Smoking?.Source, p.TumorMutationalBurden?.Source, p.Microsatellite?.Source,
            p.PdL1?.Source, p.TCellInflamedSignature?.Source, p.EstrogenReceptor?.Source,
            .. p.PrimaryCancers.Select(c => c.Source), .. p.Labs.Select(l => l.Source), .. p.Variants.Where(BiomarkerDefinitions.CountsAsAlteration).Select(v => v.Source),
            .. p.Fusions.Select(f => f.Source), .. p.CopyNumberAlterations.Select(c => c.Source), .. p.Pharmacogenomics.Select(g => g.Source),
            .. p.TherapyLines.SelectMany(l => l.Medications.Select(m => (SourceReference?)m.Source)),
        ];
        return sources.OfType<SourceReference>().Select(s => s.ToString()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
    }

    /// <summary>What the tab says above the groups about the calibration it shows.</summary>
    private static CalibrationSource? Source(ModelCalibration? calibration) => calibration switch
    {
        null => null,
        { IsAvailable: true } => new CalibrationSource(true,
            $"Calibration at the point of care: among {calibration.CohortDescription}. Beside each probability, how many of the held-out patients "
            + $"with a prediction in the same range responded — this therapy's own range when it holds at least {ModelCalibration.MinimumTherapyBinRows} predictions, else all therapies' (the row says which)."),
        _ => new CalibrationSource(false, calibration.Reason!),
    };

    private static CalibrationAtPointOfCare? Calibration(ModelCalibration? calibration, string therapyId, double probability) =>
        calibration?.At(therapyId, probability) is { } at
            ? new CalibrationAtPointOfCare(at.Bin.Lower, at.Bin.Upper, at.Bin.Count, at.Bin.ObservedRate, at.ForThisTherapy, at.TherapyRowsInBin, ModelCalibration.MinimumTherapyBinRows)
            : null;

    private ClientTherapyPrediction Map(RankedTherapy ranked, ModelCalibration? calibration, bool modelReadsProgression)
    {
        var t = ranked.Prediction;
        var therapy = catalog.Therapy(t.TherapyId);
        var e = t.Evidence;
        // No catalog context for this patient: no published rate and no source are shown (the unselected rate is not evidence here).
        var evidence = e.ContextId is { } id
            ? new TherapyEvidence(catalog.Context(id).Description, e.Biomarker != BiomarkerKind.BiomarkerNegative, e.PublishedResponseRate, e.EvidenceLevel, Citation(e.Source))
            : new TherapyEvidence(null, false, null, "no catalog context for this patient", null);
        return new ClientTherapyPrediction(t.TherapyId, therapy.DisplayName, therapy.DrugClass, t.Probability, t.EnsembleMean, t.IntervalLow, t.IntervalHigh, evidence,
            (ClientTherapyGroup)(int)ranked.Group,
            ranked.Rank,
            [.. ranked.PriorUses.Select(u => new ClientPriorTherapyUse(u.LineNumber, u.StartedOn, u.EndedOn, u.BestResponse, u.CurativeIntent))],
            ranked.NoEvidenceText)
        {
            Calibration = Calibration(calibration, t.TherapyId, t.Probability),
            ProgressedAgentsText = ranked.ProgressedAgentsText,
            ModelReadsProgression = modelReadsProgression,
            ReliabilityCurve = [.. (calibration?.BinsFor(t.TherapyId) ?? []).Select(b => new ReliabilityBin(b.Lower, b.Upper, b.Count, b.MeanPredicted, b.ObservedRate))],
        };
    }

    private static string Citation(CatalogSource source) =>
        source.Trial is { } trial ? $"{source.Citation} ({trial}{(source.Year is { } y ? ", " + y.ToString(CultureInfo.InvariantCulture) : string.Empty)})" : source.Citation;

    private static ClientSimilarPatient Map(Inference.Runtime.SimilarPatient s) =>
        new(s.Id, CancerTypes.DisplayName(s.CancerType), s.AgeBand ?? "unknown", s.Sex ?? "unknown",
            [.. s.Biomarkers.Select(b => Enum.TryParse<BiomarkerKind>(b, out var kind) ? BiomarkerDefinitions.DisplayName(kind) : b)], s.TherapyName, s.LineNumber, s.Responded, s.Distance);

    private static ModelIdentity Identity(ModelProvenance provenance) => new(provenance.Version, provenance.OnnxSha256, provenance.ExecutionProvider, TrainingData);

    private static double Round(double value) => Math.Round(value, 5);
}
