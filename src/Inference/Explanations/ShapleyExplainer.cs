using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Precision.Clinical;
using Precision.Clinical.Catalog;
using Precision.Inference.Features;
using Precision.Inference.Runtime;

namespace Precision.Inference.Explanations;

/// <summary>
/// Explains a patient's predictions for every catalog therapy (or a chosen few) with interventional Shapley values:
/// profile → features and players → <see cref="ShapleyEngine"/> → one <see cref="TherapyExplanation"/> per therapy.
/// A record that cannot be explained (nothing the model uses, implausible values) gives an <see cref="ExplanationResult"/>
/// with the problems in words, never an exception; facts the model does not use come back as notes.
/// </summary>
public sealed class ShapleyExplainer
{
    private readonly PatientFeaturizer _featurizer;
    private readonly Dictionary<string, int> _therapyIndex;

    /// <param name="separable">A <see cref="SeparableEnsemble"/> checked against <paramref name="scorer"/>: coalition rows are then scored half by half.</param>
    public ShapleyExplainer(IBatchScorer scorer, PatientFeaturizer featurizer, ReferenceSample reference, ShapleyOptions? options = null, SeparableEnsemble? separable = null)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        ArgumentNullException.ThrowIfNull(featurizer);
        var schema = featurizer.Schema;
        if (scorer.ClinicalWidth != schema.Clinical.Count || scorer.GenomicWidth != schema.Genomic.Count || scorer.TherapyWidth != schema.TherapyIds.Count)
        {
            throw new ArgumentException(
                $"The model takes {scorer.ClinicalWidth}/{scorer.GenomicWidth}/{scorer.TherapyWidth} clinical/genomic/therapy inputs; feature schema {schema.Hash[..12]} has {schema.Clinical.Count}/{schema.Genomic.Count}/{schema.TherapyIds.Count}.",
                nameof(scorer));
        }

        _featurizer = featurizer;
        _therapyIndex = schema.TherapyIds.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i, StringComparer.Ordinal);
        Engine = new ShapleyEngine(scorer, reference, options, separable);
    }

    public ShapleyEngine Engine { get; }

    public FeatureSchema Schema => _featurizer.Schema;

    /// <summary>
    /// Shapley values of the patient's predictions as of <paramref name="asOf"/> (the facts recorded by then), with
    /// <paramref name="priorLines"/> earlier lines of therapy, for <paramref name="therapyIds"/> (all catalog therapies when null).
    /// </summary>
    public ExplanationResult Explain(PatientProfile profile, DateOnly asOf, int priorLines, IReadOnlyList<string>? therapyIds = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var problems = new List<ExplanationProblem>();
        if (priorLines < 0)
        {
            problems.Add(new ExplanationProblem($"The number of prior therapy lines cannot be negative ({priorLines}).", null));
        }

        var therapies = new List<int>();
        foreach (var id in therapyIds ?? Schema.TherapyIds)
        {
            if (_therapyIndex.TryGetValue(id, out var index))
            {
                therapies.Add(index);
            }
            else
            {
                problems.Add(new ExplanationProblem($"'{id}' is not a therapy of catalog {Schema.CatalogVersion}; the model cannot explain it.", null));
            }
        }

        if (therapies.Count == 0 && problems.Count == 0)
        {
            problems.Add(new ExplanationProblem("No therapy was asked for.", null));
        }

        therapies = [.. therapies.Distinct()];
        problems.AddRange(Implausible(profile, asOf));
        if (problems.Count > 0)
        {
            return new ExplanationResult(null, problems);
        }

        var features = _featurizer.Featurize(profile, asOf, priorLines);
        var players = ExplanationPlayers.Build(profile, features, Schema, asOf, priorLines);
        var notes = Notes(profile);
        if (!players.Any(p => p.Kind is not (PlayerKind.PriorTherapy or PlayerKind.OtherFacts)))
        {
            var unused = notes.Count == 0 ? string.Empty : " Facts in the record the model cannot use: " + string.Join("; ", notes.Select(n => n.Message));
            return ExplanationResult.Failure(new ExplanationProblem(
                $"The record has no facts the model uses as of {asOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)} (no diagnosis, stage, ECOG, age or sex, smoking status, abnormal labs or biomarkers): there is nothing to explain." + unused,
                null));
        }

        ShapleyValues values;
        try
        {
            values = Engine.Compute(features, players, therapies, cancellationToken);
        }
        catch (Exception e) when (e is OnnxRuntimeException or InvalidOperationException)
        {
            return ExplanationResult.Failure(new ExplanationProblem($"The model could not score the explanation: {e.Message}", null));
        }

        if (profile.PrimaryCancer is null)
        {
            notes.Insert(0, new ExplanationNote(ExplanationNoteSeverity.Warning, "The record has no primary cancer diagnosis; the model predicts as for a patient of unknown cancer type.", null));
        }
        else if (profile.PrimaryCancer.CancerType == CancerType.Other)
        {
            notes.Insert(0, new ExplanationNote(ExplanationNoteSeverity.Warning, "The primary cancer is outside the cancer types the model was trained on; its predictions and explanations carry little weight.", profile.PrimaryCancer.Source));
        }

        var explained = therapies.Select((therapy, t) => new TherapyExplanation(
            Schema.TherapyIds[therapy],
            values.Baseline(t),
            values.Prediction(t),
            [.. Enumerable.Range(0, players.Count).Select(p => new PlayerContribution(p, values.Value(t, p), values.StandardError(t, p)))])).ToList();
        var method = values.Method == ShapleyMethod.Exact
            ? $"exact over 2^{players.Count} = {values.Coalitions.ToString("N0", CultureInfo.InvariantCulture)} coalitions"
            : $"permutation sampling, {values.Permutations} permutations in antithetic pairs (k = {players.Count} > {Engine.Options.MaxExactPlayers}), standard errors reported";
        if (Engine.Separable is { MaxDifference: { } difference })
        {
            method += $"; clinical and genomic parts evaluated once each from the model's weights (within {difference.ToString("0.0e0", CultureInfo.InvariantCulture)} of ONNX Runtime)";
        }

        return ExplanationResult.Success(new ShapleyExplanation(
            profile.PatientId, asOf, players, explained, values.Method, method, values.Coalitions, values.Permutations,
            Engine.Reference.Description, Engine.Reference.Count, values.RowsScored, values.Elapsed, notes));
    }

    /// <summary>Values the model would read but no patient can have: refused with the fact named, so the record gets corrected.</summary>
    private static IEnumerable<ExplanationProblem> Implausible(PatientProfile profile, DateOnly asOf)
    {
        // The facts the explanation's features read: the record as of the date (AsOfRule), latest lab per analyte.
        var known = AsOfRule.Apply(profile, asOf, UndatedFacts.Use);
        var latestLabs = known.LatestLabs.ToDictionary(l => l.Analyte);
        var age = known.Demographics.AgeOn(asOf == DateOnly.MaxValue ? DateOnly.FromDateTime(DateTime.UtcNow) : asOf);
        foreach (var analyte in LabAnalytes.All)
        {
            if (latestLabs.GetValueOrDefault(analyte.Analyte) is { } lab && (lab.Value < analyte.PlausibleLow || lab.Value > analyte.PlausibleHigh || lab.Unit != analyte.CanonicalUnit))
            {
                yield return new ExplanationProblem(
                    lab.Unit != analyte.CanonicalUnit
                        ? $"{analyte.DisplayName} is recorded in {lab.Unit}, not {analyte.CanonicalUnit}; the model cannot read it. Correct the record before asking for an explanation."
                        : $"{analyte.DisplayName} {lab.Value.ToString(CultureInfo.InvariantCulture)} {lab.Unit} is outside the plausible range {analyte.PlausibleLow.ToString(CultureInfo.InvariantCulture)}–{analyte.PlausibleHigh.ToString(CultureInfo.InvariantCulture)} {analyte.CanonicalUnit}; correct the record before asking for an explanation.",
                    lab.Source);
            }
        }

        if (age is < 0 or > Features.PatientFeaturizer.MaximumAge)
        {
            yield return new ExplanationProblem($"The birth date gives an age of {age} years on {asOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}.", profile.Demographics.Source);
        }

        if (known.Ecog is { Score: < 0 or > 5 } ecog)
        {
            yield return new ExplanationProblem($"ECOG {ecog.Score} is not a performance status (0–5).", ecog.Source);
        }

        if (profile.PdL1 is { TumorProportionScorePercent: < 0 or > 100 } pdl1)
        {
            yield return new ExplanationProblem($"PD-L1 tumor proportion score {pdl1.TumorProportionScorePercent.ToString(CultureInfo.InvariantCulture)}% is not a percentage.", pdl1.Source);
        }

        if (profile.TumorMutationalBurden is { MutationsPerMegabase: < 0 or > 5000 } tmb)
        {
            yield return new ExplanationProblem($"TMB {tmb.MutationsPerMegabase.ToString(CultureInfo.InvariantCulture)} mutations/Mb is outside 0–5000.", tmb.Source);
        }
    }

    /// <summary>Facts in the record the model does not use, and the mapper's data-quality findings.</summary>
    private List<ExplanationNote> Notes(PatientProfile profile)
    {
        var genes = ExplanationPlayers.KnownGenes(Schema);
        var notes = new List<ExplanationNote>();
        foreach (var variant in profile.Variants.Where(v => !BiomarkerDefinitions.CountsAsAlteration(v)))
        {
            notes.Add(new ExplanationNote(ExplanationNoteSeverity.Information, $"{variant.Label}: not counted as an alteration ({(variant.IsUncertainSignificance ? "uncertain significance" : "not reported pathogenic")}); not part of this explanation.", variant.Source));
        }

        foreach (var variant in profile.Variants.Where(v => !genes.Contains(v.Gene) && BiomarkerDefinitions.CountsAsAlteration(v)))
        {
            notes.Add(new ExplanationNote(ExplanationNoteSeverity.Information, $"{variant.Label}: the model has no feature for {variant.Gene}; not part of this explanation.", variant.Source));
        }

        foreach (var fusion in profile.Fusions.Where(f => !genes.Contains(f.FivePrimeGene) && !genes.Contains(f.ThreePrimeGene)))
        {
            notes.Add(new ExplanationNote(ExplanationNoteSeverity.Information, $"{fusion.Label} fusion: the model has no feature for these genes; not part of this explanation.", fusion.Source));
        }

        foreach (var alteration in profile.CopyNumberAlterations.Where(a => !(a.Gene == "ERBB2" && a.Change == CopyNumberChange.Amplification)))
        {
            notes.Add(new ExplanationNote(ExplanationNoteSeverity.Information, $"{alteration.Label}: the model has no feature for it; not part of this explanation.", alteration.Source));
        }

        foreach (var issue in profile.DataQuality)
        {
            notes.Add(new ExplanationNote(
                issue.Severity == DataQualitySeverity.Information ? ExplanationNoteSeverity.Information : ExplanationNoteSeverity.Warning,
                "Not used (data quality): " + issue.Message,
                issue.Source));
        }

        return notes;
    }
}
