using Precision.Clinical;
using Precision.Clinical.Catalog;
using Precision.Inference.Runtime;

namespace Precision.Inference.Ranking;

/// <summary>Where a therapy's prediction belongs on every page that shows a ranking.</summary>
public enum TherapyGroup
{
    /// <summary>Not yet received, with a catalog context matching the patient (cancer type, biomarkers, line): ranked.</summary>
    Candidate,

    /// <summary>Already received (a line for advanced disease or a curative-intent course): its prediction is a re-challenge estimate.</summary>
    Received,

    /// <summary>Not received and no catalog context matches the patient: not ranked, no published rate.</summary>
    NoEvidence,
}

/// <summary>Why a therapy has no catalog evidence for this patient.</summary>
public enum NoEvidenceReason
{
    /// <summary>The catalog has no context for this therapy in the patient's cancer type (e.g. FOLFIRINOX for lung cancer).</summary>
    NotInCancerType,

    /// <summary>The catalog has contexts in this cancer type, but none matches the patient's biomarkers and line of therapy.</summary>
    NoMatchingContext,
}

/// <summary>One earlier use of a therapy: its line (0 for a curative-intent course, which is not a line), dates and best response.</summary>
public sealed record PriorTherapyUse(int LineNumber, DateOnly? StartedOn, DateOnly? EndedOn, RecistResponse? BestResponse, bool CurativeIntent);

/// <summary>A therapy's prediction with its group.</summary>
/// <param name="Rank">1-based rank among the candidates; null in the other groups.</param>
/// <param name="PriorUses">Earlier uses, oldest first (received therapies only).</param>
/// <param name="NoEvidence">Why no catalog context matched (no-evidence therapies only).</param>
/// <param name="NoEvidenceText">That reason in words for the clinician.</param>
public sealed record RankedTherapy(
    TherapyPrediction Prediction,
    TherapyGroup Group,
    int? Rank,
    IReadOnlyList<PriorTherapyUse> PriorUses,
    NoEvidenceReason? NoEvidence,
    string? NoEvidenceText)
{
    public string TherapyId => Prediction.TherapyId;

    /// <summary>
    /// For a candidate: the agents it shares with a regimen the disease progressed on, in words ("pembrolizumab — progressed
    /// on it in line 1 (Carboplatin + pemetrexed + pembrolizumab)"); null when it shares none. Such candidates are ranked after
    /// the others and pages say why.
    /// </summary>
    public string? ProgressedAgentsText { get; init; }
}

/// <summary>
/// The one rule that turns a prediction for every catalog therapy into what a clinician may read as a ranking:
/// <list type="bullet">
/// <item>therapies the patient already received (any line or curative-intent course started by the prediction date) are
/// <see cref="TherapyGroup.Received"/>, whatever their evidence — never ranked among the candidates, shown with their line,
/// dates and best response, their probability being a re-challenge estimate;</item>
/// <item>therapies with no catalog context matching the patient (<see cref="Evidence.EvidenceMatch.ContextId"/> is null:
/// cancer type, biomarkers and line) are <see cref="TherapyGroup.NoEvidence"/>, with the reason and no published rate;</item>
/// <item>the rest are the <see cref="TherapyGroup.Candidate"/>s, ranked by calibrated probability (ties by id).</item>
/// </list>
/// Every page that shows a ranking or a "top therapy" uses this; the decision record keeps every therapy's output with its group.
/// </summary>
public sealed record TherapyRanking(
    IReadOnlyList<RankedTherapy> Candidates,
    IReadOnlyList<RankedTherapy> Received,
    IReadOnlyList<RankedTherapy> NoEvidence)
{
    /// <summary>The highest-ranked candidate; null when no therapy has evidence for this patient that was not already received.</summary>
    public RankedTherapy? TopCandidate => Candidates.Count > 0 ? Candidates[0] : null;

    /// <summary>Every therapy once: candidates by rank, then received, then no-evidence.</summary>
    public IEnumerable<RankedTherapy> All => Candidates.Concat(Received).Concat(NoEvidence);

    /// <summary>Groups <paramref name="prediction"/>'s therapies for <paramref name="profile"/> (the record, or the what-if copy that was scored).</summary>
    public static TherapyRanking Of(EfficacyPrediction prediction, PatientProfile profile, TherapyCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(catalog);
        var cancerType = profile.PrimaryCancer?.CancerType ?? CancerType.Other;
        var uses = PriorUses(profile, prediction.AsOf);

        var candidates = new List<TherapyPrediction>();
        var received = new List<RankedTherapy>();
        var noEvidence = new List<RankedTherapy>();
        foreach (var therapy in prediction.Therapies)
        {
            if (uses.TryGetValue(therapy.TherapyId, out var prior))
            {
                received.Add(new RankedTherapy(therapy, TherapyGroup.Received, null, prior, null, null));
            }
            else if (therapy.Evidence.ContextId is null)
            {
                var (reason, text) = WhyNoEvidence(catalog, therapy.TherapyId, cancerType);
                noEvidence.Add(new RankedTherapy(therapy, TherapyGroup.NoEvidence, null, [], reason, text));
            }
            else
            {
                candidates.Add(therapy);
            }
        }

        // A candidate that shares an agent with a regimen the disease progressed on (pembrolizumab after progression on
        // chemo-immunotherapy) is not a fresh option: ranked after the others, with the reason.
        var progressed = ProgressedAgents(profile, prediction.AsOf, catalog);
        string? SharedWithProgressed(string therapyId)
        {
            var shared = catalog.Therapy(therapyId).Medications
                .Where(m => progressed.ContainsKey(m.RxNormCode))
                .Select(m => $"{m.Name} — the disease progressed on it in {progressed[m.RxNormCode]}")
                .ToList();
            return shared.Count == 0 ? null : "Contains " + string.Join("; ", shared) + ".";
        }

        return new TherapyRanking(
            [.. candidates.Select(t => (Therapy: t, Shared: SharedWithProgressed(t.TherapyId)))
                .OrderBy(c => c.Shared is not null).ThenByDescending(c => c.Therapy.Probability).ThenBy(c => c.Therapy.TherapyId, StringComparer.Ordinal)
                .Select((c, i) => new RankedTherapy(c.Therapy, TherapyGroup.Candidate, i + 1, [], null, null) { ProgressedAgentsText = c.Shared })],
            [.. received.OrderBy(r => r.PriorUses[^1].LineNumber == 0 ? int.MaxValue : r.PriorUses[^1].LineNumber).ThenBy(r => r.TherapyId, StringComparer.Ordinal)],
            [.. noEvidence.OrderBy(r => r.NoEvidence).ThenBy(r => r.Prediction.TherapyName, StringComparer.Ordinal)]);
    }

    /// <summary>RxNorm ingredient → where the disease progressed on it ("line 1 (Carboplatin + pemetrexed + pembrolizumab)"), by the date.</summary>
    private static Dictionary<string, string> ProgressedAgents(PatientProfile profile, DateOnly asOf, TherapyCatalog catalog)
    {
        var agents = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in profile.TherapyLines.Where(l => l.BestResponse == RecistResponse.ProgressiveDisease && l.CatalogTherapyId is not null
            && (l.StartedOn is null || l.StartedOn <= asOf)).OrderBy(l => l.LineNumber))
        {
            var therapy = catalog.Therapies.FirstOrDefault(t => t.Id == line.CatalogTherapyId);
            foreach (var medication in therapy?.Medications ?? [])
            {
                agents.TryAdd(medication.RxNormCode, $"line {line.LineNumber} ({therapy!.DisplayName})");
            }
        }

        return agents;
    }

    /// <summary>Lines for advanced disease and curative-intent courses started on or before <paramref name="asOf"/> (or undated), by catalog therapy.</summary>
    private static Dictionary<string, IReadOnlyList<PriorTherapyUse>> PriorUses(PatientProfile profile, DateOnly asOf) =>
        profile.TherapyLines.Select(l => (Line: l, Curative: false))
            .Concat(profile.CurativeIntentTherapies.Select(l => (Line: l, Curative: true)))
            .Where(x => x.Line.CatalogTherapyId is not null && (x.Line.StartedOn is null || x.Line.StartedOn <= asOf))
            .GroupBy(x => x.Line.CatalogTherapyId!, StringComparer.Ordinal)
            .ToDictionary(
                g => g.Key,
                g => (IReadOnlyList<PriorTherapyUse>)[.. g.OrderBy(x => x.Line.StartedOn ?? DateOnly.MinValue).ThenBy(x => x.Line.LineNumber)
                    .Select(x => new PriorTherapyUse(x.Curative ? 0 : x.Line.LineNumber, x.Line.StartedOn, x.Line.EndedOn, x.Line.BestResponse, x.Curative))],
                StringComparer.Ordinal);

    private static (NoEvidenceReason Reason, string Text) WhyNoEvidence(TherapyCatalog catalog, string therapyId, CancerType cancerType)
    {
        var contexts = catalog.RatesFor(therapyId).Select(r => catalog.Context(r.ContextId)).DistinctBy(c => c.Id).ToList();
        var cancer = CancerTypes.DisplayName(cancerType);
        var inCancerType = contexts.Where(c => c.AppliesTo(cancerType)).ToList();
        if (inCancerType.Count == 0)
        {
            var elsewhere = contexts.Select(c => c.Description).ToList();
            return (NoEvidenceReason.NotInCancerType,
                $"No evidence in {Lower(cancer)}" + (elsewhere.Count > 0 ? $" — the catalog lists it for: {string.Join("; ", elsewhere)}." : "."));
        }

        return (NoEvidenceReason.NoMatchingContext,
            $"No catalog context for this patient's cancer type, biomarkers and line of therapy — in {Lower(cancer)} the catalog lists it for: {string.Join("; ", inCancerType.Select(c => c.Description))}.");
    }

    private static string Lower(string text) => text.Length == 0 ? text : char.ToLowerInvariant(text[0]) + text[1..];
}
