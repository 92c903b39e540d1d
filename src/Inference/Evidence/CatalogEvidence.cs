using Precision.Clinical;
using Precision.Clinical.Catalog;

namespace Precision.Inference.Evidence;

/// <summary>A catalog rule that fires for this patient and therapy: the context, its published response rate and source.</summary>
public sealed record EvidenceMatch(
    string TherapyId,
    string? ContextId,
    BiomarkerKind Biomarker,
    double PublishedResponseRate,
    string EvidenceLevel,
    CatalogSource Source);

/// <summary>
/// What the therapy catalog alone says about a patient: which biomarker contexts apply and their published response
/// rates. It is the "biomarker-rule lookup" baseline of the model card and the evidence shown beside each prediction.
/// </summary>
public sealed class CatalogEvidence(TherapyCatalog catalog)
{
    private readonly ResponseModel _model = new(catalog);

    public TherapyCatalog Catalog => _model.Catalog;

    /// <summary>The catalog's biomarkers present in the profile (see <see cref="BiomarkerDefinitions.BiomarkersOf"/>).</summary>
    public static IReadOnlySet<BiomarkerKind> BiomarkersOf(PatientProfile profile) => BiomarkerDefinitions.BiomarkersOf(profile);

    /// <summary>The catalog rule as it stood when <paramref name="line"/> was chosen: facts known by its start, at its line number.</summary>
    public EvidenceMatch MatchAtLineStart(PatientProfile profile, TherapyLine line, string therapyId)
    {
        ArgumentNullException.ThrowIfNull(line);
        return Match(AsOfRule.Apply(profile, line.StartedOn ?? DateOnly.MaxValue, UndatedFacts.Exclude), therapyId, line.LineNumber);
    }

    /// <summary>
    /// The catalog rule for this therapy and patient at this line (1 = untreated): the best matching context
    /// (<see cref="BiomarkerContext.Matches"/>: cancer type, biomarker, exclusions, line), else the therapy's unselected rate
    /// with no context. Pass the profile as of the prediction's date (<see cref="AsOfRule"/>).
    /// </summary>
    public EvidenceMatch Match(PatientProfile profile, string therapyId, int lineNumber)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var therapy = Catalog.Therapy(therapyId);
        var cancerType = profile.PrimaryCancer?.CancerType ?? CancerType.Other;
        if (_model.BestContext(therapyId, cancerType, BiomarkersOf(profile), lineNumber) is { } rate)
        {
            var context = Catalog.Context(rate.ContextId);
            return new EvidenceMatch(therapyId, rate.ContextId, context.Biomarker, rate.Orr, rate.EvidenceLevel, rate.Source);
        }

        return new EvidenceMatch(therapyId, null, BiomarkerKind.BiomarkerNegative, therapy.Unselected.Orr, "none (unselected population)", therapy.Unselected.Source);
    }
}
