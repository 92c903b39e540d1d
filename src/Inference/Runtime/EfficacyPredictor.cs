using System.Buffers;
using Microsoft.ML.OnnxRuntime;
using Precision.Clinical;
using Precision.Inference.Evidence;
using Precision.Inference.Features;

namespace Precision.Inference.Runtime;

/// <summary>
/// Predictions for patients: one profile → featurizer → every catalog therapy in one batched run → calibrated
/// probability, ensemble spread, catalog evidence, applicability, embedding; similar training patients; and cohort
/// scoring of many (features, therapy) pairs. Bad records give a <see cref="PredictionProblem"/>, not an exception.
/// </summary>
public sealed class EfficacyPredictor
{
    /// <summary>How the interval is built; returned with every prediction so the UI can say it.</summary>
    public const string IntervalMethodDescription =
        "Range (lowest to highest) of the ensemble members' probabilities: how much independently trained members disagree. It is not a confidence interval.";

    private const int CohortChunk = 4096;

    private readonly EfficacyModelRuntime _runtime;
    private readonly PatientFeaturizer _featurizer;
    private readonly CatalogEvidence _evidence;
    private readonly ApplicabilityAssessor _applicability;
    private readonly ReferenceNeighbourIndex? _neighbours;
    private readonly string[] _therapyNames;
    private readonly Dictionary<string, int> _therapyIndex;

    public EfficacyPredictor(EfficacyModelRuntime runtime, PatientFeaturizer featurizer, CatalogEvidence evidence)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(featurizer);
        ArgumentNullException.ThrowIfNull(evidence);

        // The model's own layout (an earlier model keeps the features it was trained on); throws when the featurizer cannot produce it.
        featurizer = featurizer.For(runtime.Model.Schema);
        _runtime = runtime;
        _featurizer = featurizer;
        _evidence = evidence;
        _applicability = new ApplicabilityAssessor(runtime.Model);
        _neighbours = runtime.Model.ReferencePopulation is { } reference ? new ReferenceNeighbourIndex(reference, runtime.EmbeddingWidth, evidence.Catalog) : null;
        _therapyNames = [.. featurizer.Schema.TherapyIds.Select(id => evidence.Catalog.Therapies.FirstOrDefault(t => t.Id == id)?.DisplayName ?? id)];
        _therapyIndex = featurizer.Schema.TherapyIds.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i, StringComparer.Ordinal);
        Provenance = new ModelProvenance(runtime.Model.Version, runtime.Model.OnnxSha256, runtime.Model.Schema.Hash, runtime.Provider.ToString(), _neighbours is not null)
        {
            ReadsProgression = runtime.Model.Schema.Layout >= FeatureLayout.V2,
        };
    }

    public ModelProvenance Provenance { get; }

    public EfficacyModelRuntime Runtime => _runtime;

    /// <summary>The featurizer in the served model's layout (explanations featurize with it too).</summary>
    public PatientFeaturizer Featurizer => _featurizer;

    /// <summary>Every catalog therapy for the patient as of <paramref name="asOf"/>, after <paramref name="priorLines"/> earlier lines.</summary>
    public PredictionResult Predict(PatientProfile profile, DateOnly asOf, int priorLines) => Predict(profile, asOf, priorLines, UndatedFacts.Use);

    /// <summary>The prediction as it would have been made when <paramref name="line"/> was chosen, built as training rows are.</summary>
    public PredictionResult PredictAtLineStart(PatientProfile profile, TherapyLine line)
    {
        ArgumentNullException.ThrowIfNull(line);
        return Predict(profile, line.StartedOn ?? DateOnly.MaxValue, Math.Max(0, line.LineNumber - 1), UndatedFacts.Exclude);
    }

    private PredictionResult Predict(PatientProfile profile, DateOnly asOf, int priorLines, UndatedFacts undated)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (priorLines < 0)
        {
            return PredictionResult.Failure(PredictionProblemKind.InvalidRequest, $"The number of earlier lines of therapy cannot be negative ({priorLines}).");
        }

        if (IsEmpty(profile))
        {
            return PredictionResult.Failure(PredictionProblemKind.EmptyRecord,
                $"The record of patient {profile.PatientId} holds no diagnosis, stage, performance status, labs, genomic results or therapy history, so there is nothing to predict from. "
                + "Check that the patient record source returned this patient's resources (see the Data quality tab).");
        }

        PatientFeatures features;
        try
        {
            features = _featurizer.Featurize(profile, asOf, priorLines, undated);
        }
        catch (Exception ex) when (ex is ArgumentException or OverflowException or InvalidOperationException)
        {
            // The featurizer tolerates missing facts; this is for values no record should hold (e.g. dates out of range).
            return PredictionResult.Failure(PredictionProblemKind.InvalidRequest, $"The record of patient {profile.PatientId} could not be turned into model inputs ({ex.Message}). Check the record's dates and values.");
        }

        return Predict(profile, asOf, priorLines, undated, features);
    }

    /// <summary>
    /// The <paramref name="count"/> reference (training) patients nearest to this patient in the model's embedding space,
    /// among those of the same cancer type and driver biomarkers (<see cref="SimilarityCohort"/>).
    /// </summary>
    public SimilarPatientsResult FindSimilarPatients(PatientProfile profile, DateOnly asOf, int priorLines, int count = 10)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (_neighbours is null)
        {
            return NoReference();
        }

        var prediction = Predict(profile, asOf, priorLines);
        return prediction.Prediction is { } p
            ? FindSimilarPatients(p.Embedding, SimilarityCohort.Of(profile), count)
            : new SimilarPatientsResult([], prediction.Problem);
    }

    /// <summary>The nearest reference patients of <paramref name="cohort"/> to an embedding from <see cref="EfficacyPrediction.Embedding"/>.</summary>
    public SimilarPatientsResult FindSimilarPatients(ReadOnlySpan<float> embedding, SimilarityCohort cohort, int count = 10)
    {
        ArgumentNullException.ThrowIfNull(cohort);
        var requested = Math.Max(0, count);
        return _neighbours is null ? NoReference() : new SimilarPatientsResult(_neighbours.Nearest(embedding, cohort, requested), null, cohort, requested);
    }

    /// <summary>Calibrated probabilities for many (features, therapy) pairs, in large batches.</summary>
    public float[] ScoreCohort(IReadOnlyList<CohortPair> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var probabilities = new float[pairs.Count];
        ScoreCohort(pairs, probabilities);
        return probabilities;
    }

    /// <summary>Writes one calibrated probability per pair into <paramref name="probabilities"/>.</summary>
    public void ScoreCohort(IReadOnlyList<CohortPair> pairs, Span<float> probabilities)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (probabilities.Length != pairs.Count)
        {
            throw new ArgumentException($"{pairs.Count} pairs need {pairs.Count} outputs, not {probabilities.Length}.", nameof(probabilities));
        }

        int c = _runtime.ClinicalWidth, g = _runtime.GenomicWidth, t = _runtime.TherapyWidth;
        var chunk = Math.Min(CohortChunk, pairs.Count);
        var clinical = ArrayPool<float>.Shared.Rent(chunk * c);
        var genomic = ArrayPool<float>.Shared.Rent(chunk * g);
        var therapy = ArrayPool<float>.Shared.Rent(chunk * t);
        try
        {
            for (var start = 0; start < pairs.Count; start += chunk)
            {
                var n = Math.Min(chunk, pairs.Count - start);
                Array.Clear(therapy, 0, n * t);
                for (var i = 0; i < n; i++)
                {
                    var pair = pairs[start + i];
                    if (pair.Features.Clinical.Length != c || pair.Features.Genomic.Length != g)
                    {
                        throw new ArgumentException($"Pair {start + i} has {pair.Features.Clinical.Length} clinical and {pair.Features.Genomic.Length} genomic values; the model takes {c} and {g}.", nameof(pairs));
                    }

                    // A NaN or an absurd value would still give a number; refuse it, naming the pair and the feature.
                    if (_featurizer.Validate(pair.Features) is [var first, ..] problems)
                    {
                        throw new ArgumentException($"Pair {start + i} ({pair.TherapyId}) is not a feature vector a record could give: {first}{(problems.Count > 1 ? $" (and {problems.Count - 1} more)" : string.Empty)}", nameof(pairs));
                    }

                    pair.Features.Clinical.CopyTo(clinical, i * c);
                    pair.Features.Genomic.CopyTo(genomic, i * g);
                    therapy[(i * t) + TherapyIndex(pair.TherapyId, start + i)] = 1f;
                }

                _runtime.Score(clinical.AsSpan(0, n * c), genomic.AsSpan(0, n * g), therapy.AsSpan(0, n * t), probabilities.Slice(start, n));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(clinical);
            ArrayPool<float>.Shared.Return(genomic);
            ArrayPool<float>.Shared.Return(therapy);
        }
    }

    private static bool IsEmpty(PatientProfile p) =>
        p.PrimaryCancers.Count == 0 && p.Stage is null && p.Ecog is null && p.Smoking is null && p.Labs.Count == 0 && p.TherapyLines.Count == 0
        && p.Variants.Count == 0 && p.Fusions.Count == 0 && p.CopyNumberAlterations.Count == 0 && p.TumorMutationalBurden is null
        && p.Microsatellite is null && p.PdL1 is null && p.TCellInflamedSignature is null && p.EstrogenReceptor is null && p.Pharmacogenomics.Count == 0;

    private SimilarPatientsResult NoReference() => new([], new PredictionProblem(PredictionProblemKind.NoReferencePopulation,
        $"Model {Provenance.Version} ships no reference population, so similar training patients cannot be shown. Serve a model version that has one (1.1.0 or later)."));

    private int TherapyIndex(string therapyId, int pair) =>
        _therapyIndex.TryGetValue(therapyId, out var index)
            ? index
            : throw new ArgumentException($"Pair {pair}: '{therapyId}' is not a therapy of catalog {_runtime.Model.Schema.CatalogVersion}.", nameof(therapyId));

    private PredictionResult Predict(PatientProfile profile, DateOnly asOf, int priorLines, UndatedFacts undated, PatientFeatures features)
    {
        int rows = _runtime.TherapyWidth, c = _runtime.ClinicalWidth, g = _runtime.GenomicWidth, m = _runtime.MemberCount, e = _runtime.EmbeddingWidth;
        Span<float> clinical = stackalloc float[rows * c];
        Span<float> genomic = stackalloc float[rows * g];
        Span<float> therapy = stackalloc float[rows * rows];
        Span<float> probability = stackalloc float[rows];
        Span<float> members = stackalloc float[rows * m];
        Span<float> embeddings = stackalloc float[rows * e];
        therapy.Clear();
        for (var row = 0; row < rows; row++)
        {
            features.Clinical.CopyTo(clinical.Slice(row * c, c));
            features.Genomic.CopyTo(genomic.Slice(row * g, g));
            therapy[(row * rows) + row] = 1f;
        }

        try
        {
            _runtime.Run(clinical, genomic, therapy, probability, members, embeddings);
        }
        catch (OnnxRuntimeException ex)
        {
            return PredictionResult.Failure(PredictionProblemKind.ModelRunFailed, $"Model {Provenance.Version} failed on {Provenance.ExecutionProvider} for this patient ({ex.Message}). Try again; if it persists, tell your administrator.");
        }

        var therapyIds = _runtime.Model.Schema.TherapyIds;
        var known = AsOfRule.Apply(profile, asOf, undated);
        var predictions = new TherapyPrediction[rows];
        for (var row = 0; row < rows; row++)
        {
            var memberRow = new double[m];
            for (var k = 0; k < m; k++)
            {
                memberRow[k] = members[(row * m) + k];
            }

            predictions[row] = new TherapyPrediction(
                therapyIds[row],
                _therapyNames[row],
                probability[row],
                memberRow.Average(),
                memberRow.Min(),
                memberRow.Max(),
                memberRow,
                _evidence.Match(known, therapyIds[row], priorLines + 1));
        }

        // The embedding encodes the patient only (clinical and genomic encoders), so every row's is the same.
        var embedding = embeddings[..e].ToArray();
        var applicability = _applicability.Assess(profile, asOf, features, _neighbours?.NearestDistance(embedding));
        return PredictionResult.Success(new EfficacyPrediction(profile.PatientId, asOf, priorLines, predictions, IntervalMethodDescription, applicability, embedding, features, Provenance));
    }
}
