using Precision.Clinical;
using Precision.Clinical.Catalog;

namespace Precision.Inference.Features;

/// <summary>
/// The therapy catalog's published response rate for a (patient, therapy) pair, computed from the model's input vectors
/// alone, as a few matrix products the network and its ONNX graph both evaluate: the model starts from what the evidence
/// says (the best matching biomarker context, as <see cref="Evidence.CatalogEvidence"/> picks it) and learns how this
/// patient differs. Because it is a function of the vectors, explanations that mix patient and reference values stay
/// consistent with it.
/// </summary>
/// <remarks>
/// Entry j is one catalog rate: a context rate or a therapy's unselected rate. It matches when the patient's cancer type is
/// one the context applies to, the context's biomarker is present, none of its excluded biomarkers is, the line is one the
/// context covers (first line from the <c>first_line</c> flag), and the row's therapy is the rate's therapy — exactly
/// <see cref="BiomarkerContext.Matches"/>. Its score
/// is tier + ORR (tier 2 = biomarker-defined, 1 = biomarker-negative standard of care, 0 = unselected), so the row's
/// maximum score picks the catalog's best match and its fractional part is the rate.
/// </remarks>
public sealed class CatalogPrior
{
    /// <summary>Rates are clipped to this range before the logit, so an unmatched row stays finite.</summary>
    public const float MinimumRate = 0.01f;

    public const float MaximumRate = 0.99f;

    public CatalogPrior(TherapyCatalog catalog, FeatureSchema schema)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(schema);
        var entries = new List<(CatalogRateEntry Entry, BiomarkerContext? Context)>();
        foreach (var rate in catalog.ResponseRates)
        {
            var context = catalog.Context(rate.ContextId);
            var tier = context.Biomarker == BiomarkerKind.BiomarkerNegative ? 1 : 2;
            entries.Add((new CatalogRateEntry(rate.TherapyId, rate.ContextId, tier, rate.Orr), context));
        }

        foreach (var therapy in catalog.Therapies)
        {
            entries.Add((new CatalogRateEntry(therapy.Id, null, 0, therapy.Unselected.Orr), null));
        }

        Entries = [.. entries.Select(e => e.Entry)];
        ClinicalWidth = schema.Clinical.Count;
        GenomicWidth = schema.Genomic.Count;
        TherapyWidth = schema.TherapyIds.Count;
        var j = entries.Count;
        CancerApplies = new float[ClinicalWidth * j];
        LineWeight = new float[ClinicalWidth * j];
        LineBias = new float[j];
        BiomarkerPresent = new float[GenomicWidth * j];
        BiomarkerExcluded = new float[GenomicWidth * j];
        BiomarkerNotRequired = new float[j];
        var firstLine = IndexOf([.. schema.Clinical.Select(f => f.Name)], "first_line", "clinical feature");
        var genomicNames = schema.Genomic.Select(f => f.Name).ToList();
        TherapyIs = new float[TherapyWidth * j];
        Score = new float[j];
        ProgressedOn = ProgressionSelection(schema);
        for (var e = 0; e < j; e++)
        {
            var (entry, context) = entries[e];
            Score[e] = entry.Tier + (float)entry.Rate;
            TherapyIs[(IndexOf(schema.TherapyIds, entry.TherapyId, "therapy") * j) + e] = 1f;
            for (var c = 0; c < ClinicalWidth; c++)
            {
                var cancerType = CancerTypeOf(schema.Clinical[c].Name);
                if (cancerType is { } type && (context is null || context.AppliesTo(type)))
                {
                    CancerApplies[(c * j) + e] = 1f;
                }
            }

            // Line factor = first_line · weight + bias: 1 where the context covers the line, 0 where it does not.
            (LineWeight[(firstLine * j) + e], LineBias[e]) = (context?.Lines ?? LineSetting.Any) switch
            {
                LineSetting.FirstLine => (1f, 0f),
                LineSetting.Pretreated => (-1f, 1f),
                _ => (0f, 1f),
            };
            foreach (var excluded in context?.ExcludedBiomarkers ?? [])
            {
                foreach (var name in FeatureNamesOf(excluded))
                {
                    BiomarkerExcluded[(IndexOf(genomicNames, name, "genomic feature") * j) + e] = 1f;
                }
            }

            if (context is null || context.Biomarker == BiomarkerKind.BiomarkerNegative)
            {
                BiomarkerNotRequired[e] = 1f;
                continue;
            }

            foreach (var name in FeatureNamesOf(context.Biomarker))
            {
                BiomarkerPresent[(IndexOf(genomicNames, name, "genomic feature") * j) + e] = 1f;
            }
        }
    }

    public IReadOnlyList<CatalogRateEntry> Entries { get; }

    public int ClinicalWidth { get; }

    public int GenomicWidth { get; }

    public int TherapyWidth { get; }

    /// <summary>[clinical width × entries]: 1 where the clinical feature is a cancer-type flag the entry applies to.</summary>
    public float[] CancerApplies { get; }

    /// <summary>[clinical width × entries]: the line factor's weight on the <c>first_line</c> flag (+1 first line only, −1 pretreated only).</summary>
    public float[] LineWeight { get; }

    /// <summary>[entries]: the line factor's bias (1 for pretreated-only and any-line entries).</summary>
    public float[] LineBias { get; }

    /// <summary>[genomic width × entries]: 1 where the genomic flag is the entry's biomarker (either of several for BRCA, NTRK).</summary>
    public float[] BiomarkerPresent { get; }

    /// <summary>[genomic width × entries]: 1 where the genomic flag is a biomarker that excludes the patient from the entry's context.</summary>
    public float[] BiomarkerExcluded { get; }

    /// <summary>[entries]: 1 for entries that need no biomarker.</summary>
    public float[] BiomarkerNotRequired { get; }

    /// <summary>[therapy width × entries]: 1 where the therapy is the entry's therapy.</summary>
    public float[] TherapyIs { get; }

    /// <summary>[entries]: tier + published rate.</summary>
    public float[] Score { get; }

    /// <summary>
    /// [clinical width × therapy width]: <see cref="RechallengeScale"/> where the clinical feature is "progressed on therapy t
    /// in an earlier line" (<see cref="PatientFeaturizer.ProgressedOnPrefix"/>); null for layouts without those flags (V1).
    /// clinical · this · therapyᵀ is the row's re-challenge input, which the network's head takes.
    /// </summary>
    public float[]? ProgressedOn { get; }

    /// <summary>
    /// The head's re-challenge input is this (not 1) for a re-challenge after progression. Re-challenges are a few per cent
    /// of the rows and the members stop early (best epochs 2–5), so at 1 the input's weights cannot move as far as the common
    /// effects' do (a trial of 2.0.0 at 1 learned half the effect); scaling an input scales how fast its effect is learned.
    /// </summary>
    public const float RechallengeScale = 4f;

    private static float[]? ProgressionSelection(FeatureSchema schema)
    {
        var names = schema.Clinical.Select(f => f.Name).ToList();
        if (!names.Any(n => n.StartsWith(PatientFeaturizer.ProgressedOnPrefix, StringComparison.Ordinal)))
        {
            return null;
        }

        var selection = new float[schema.Clinical.Count * schema.TherapyIds.Count];
        for (var t = 0; t < schema.TherapyIds.Count; t++)
        {
            selection[(IndexOf(names, PatientFeaturizer.ProgressedOnPrefix + schema.TherapyIds[t], "clinical feature") * schema.TherapyIds.Count) + t] = RechallengeScale;
        }

        return selection;
    }

    /// <summary>
    /// The same computation in plain C#, in float like the graph: the prior rate and whether a biomarker-defined context
    /// matched. Used by tests to hold the graph to <see cref="Evidence.CatalogEvidence"/>.
    /// </summary>
    public (float Rate, bool BiomarkerContext) Evaluate(ReadOnlySpan<float> clinical, ReadOnlySpan<float> genomic, ReadOnlySpan<float> therapy)
    {
        var best = 0f;
        for (var e = 0; e < Entries.Count; e++)
        {
            float cancer = 0, line = LineBias[e], biomarker = BiomarkerNotRequired[e], excluded = 0, onTherapy = 0;
            for (var c = 0; c < ClinicalWidth; c++)
            {
                cancer += clinical[c] * CancerApplies[(c * Entries.Count) + e];
                line += clinical[c] * LineWeight[(c * Entries.Count) + e];
            }

            for (var g = 0; g < GenomicWidth; g++)
            {
                biomarker += genomic[g] * BiomarkerPresent[(g * Entries.Count) + e];
                excluded += genomic[g] * BiomarkerExcluded[(g * Entries.Count) + e];
            }

            for (var t = 0; t < TherapyWidth; t++)
            {
                onTherapy += therapy[t] * TherapyIs[(t * Entries.Count) + e];
            }

            best = Math.Max(best, cancer * line * Math.Min(biomarker, 1f) * (1f - Math.Min(excluded, 1f)) * onTherapy * Score[e]);
        }

        var tier = MathF.Floor(best);
        return (Math.Clamp(best - tier, MinimumRate, MaximumRate), tier >= 2f);
    }

    /// <summary>The genomic flags that carry a catalog biomarker (the featurizer's names; see <see cref="PatientFeaturizer"/>).</summary>
    public static IReadOnlyList<string> FeatureNamesOf(BiomarkerKind biomarker) => biomarker switch
    {
        BiomarkerKind.EgfrSensitizing => ["egfr_sensitizing"],
        BiomarkerKind.AlkFusion => ["alk_fusion"],
        BiomarkerKind.Ros1Fusion => ["ros1_fusion"],
        BiomarkerKind.KrasG12C => ["kras_g12c"],
        BiomarkerKind.BrafV600E => ["braf_v600e"],
        BiomarkerKind.Erbb2Amplification => ["erbb2_amplification"],
        BiomarkerKind.BrcaPathogenic => ["brca1_variant", "brca2_variant"],
        BiomarkerKind.MsiHigh => ["msi_high"],
        BiomarkerKind.TmbHigh => ["tmb_high"],
        BiomarkerKind.PdL1High => ["pdl1_high"],
        BiomarkerKind.NtrkFusion => ["ntrk1_fusion", "ntrk2_fusion", "ntrk3_fusion"],
        BiomarkerKind.HormoneReceptorPositive => ["er_positive"],
        _ => throw new ArgumentOutOfRangeException(nameof(biomarker), biomarker, "No genomic feature carries this biomarker."),
    };

    // A missing diagnosis counts as "other", as the catalog evidence treats it.
    private static CancerType? CancerTypeOf(string clinicalFeature) =>
        clinicalFeature == "diagnosis_missing" ? CancerType.Other
        : clinicalFeature.StartsWith("cancer_", StringComparison.Ordinal) && Enum.TryParse<CancerType>(clinicalFeature["cancer_".Length..], out var type) ? type
        : null;

    private static int IndexOf(IReadOnlyList<string> names, string name, string what)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (names[i] == name)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"The feature schema has no {what} '{name}' that the therapy catalog needs.");
    }
}

/// <summary>One catalog rate the prior can pick: a context's published rate (tier 1–2) or the therapy's unselected rate (tier 0).</summary>
public sealed record CatalogRateEntry(string TherapyId, string? ContextId, int Tier, double Rate);
