namespace Precision.Clinical.Catalog;

/// <summary>Germline metabolizer phenotype (CPIC terms).</summary>
public enum MetabolizerPhenotype
{
    Normal,
    Intermediate,
    Poor,
}

/// <summary>The patient facts the response model reads, as they stand when a line of therapy starts.</summary>
public sealed record ResponseFacts(
    CancerType CancerType,
    int LineNumber,
    int AgeYears,
    int Ecog,
    SmokingStatusCategory Smoking,
    IReadOnlySet<BiomarkerKind> Biomarkers,
    decimal? AlbuminGPerDl,
    decimal? LdhUPerL,
    decimal? BilirubinMgPerDl,
    decimal? CreatinineMgPerDl,
    MetabolizerPhenotype Dpyd,
    MetabolizerPhenotype Ugt1a1,
    bool TcellInflamedHigh)
{
    /// <summary>Catalog therapies of earlier lines whose best response was progressive disease.</summary>
    public IReadOnlySet<string> ProgressedOn { get; init; } = new HashSet<string>(StringComparer.Ordinal);
}

/// <summary>A modifier that applied, with its log-odds effect.</summary>
public sealed record AppliedModifier(string ModifierId, double LogOddsEffect);

/// <summary>The true response probability of one therapy for one patient, and how it was reached.</summary>
public sealed record ResponseEstimate(
    string TherapyId,
    string? ContextId,
    double BaseOrr,
    double LogOdds,
    double Probability,
    IReadOnlyList<AppliedModifier> Modifiers);

/// <summary>
/// logit(p) = logit(ORR of the best matching context for the therapy, else the therapy's unselected rate)
///            + Σ log-odds effects of the modifiers that apply. See docs/cohort.md.
/// </summary>
public sealed class ResponseModel(TherapyCatalog catalog)
{
    public TherapyCatalog Catalog { get; } = catalog ?? throw new ArgumentNullException(nameof(catalog));

    /// <summary>
    /// The best matching context (<see cref="BiomarkerContext.Matches"/>: cancer type, biomarker, exclusions, line): the one
    /// with the highest published ORR for this therapy; biomarker-defined contexts before the biomarker-negative standard of care.
    /// </summary>
    public ContextResponseRate? BestContext(string therapyId, CancerType cancerType, IReadOnlySet<BiomarkerKind> biomarkers, int lineNumber)
    {
        ArgumentNullException.ThrowIfNull(biomarkers);
        ContextResponseRate? best = null;
        var bestSpecific = false;
        foreach (var rate in Catalog.RatesFor(therapyId))
        {
            var context = Catalog.Context(rate.ContextId);
            if (!context.Matches(cancerType, biomarkers, lineNumber))
            {
                continue;
            }

            var specific = context.Biomarker != BiomarkerKind.BiomarkerNegative;

            if (best is null || (specific && !bestSpecific) || (specific == bestSpecific && rate.Orr > best.Orr))
            {
                best = rate;
                bestSpecific = specific;
            }
        }

        return best;
    }

    public ResponseEstimate Estimate(string therapyId, ResponseFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var therapy = Catalog.Therapy(therapyId);
        var context = BestContext(therapyId, facts.CancerType, facts.Biomarkers, facts.LineNumber);
        var baseOrr = context?.Orr ?? therapy.Unselected.Orr;
        var logOdds = Logit(baseOrr);
        var applied = new List<AppliedModifier>();
        var lineFacts = facts with { LineNumber = Math.Max(1, facts.LineNumber - ((context?.TrialLine ?? 1) - 1)) };
        foreach (var modifier in Catalog.Modifiers)
        {
            if (modifier.AppliesTo(therapy, facts.CancerType) && Holds(modifier.Condition, lineFacts, therapyId))
            {
                logOdds += modifier.LogOddsEffect;
                applied.Add(new AppliedModifier(modifier.Id, modifier.LogOddsEffect));
            }
        }

        return new ResponseEstimate(therapyId, context?.ContextId, baseOrr, logOdds, Logistic(logOdds), applied);
    }

    public IReadOnlyList<ResponseEstimate> EstimateAll(ResponseFacts facts) =>
        [.. Catalog.Therapies.Select(t => Estimate(t.Id, facts))];

    /// <summary>Whether a modifier's condition holds. Lab thresholds use the adult reference ranges of <see cref="LabAnalytes"/>.</summary>
    public static bool Holds(ModifierCondition condition, ResponseFacts facts, string? therapyId = null)
    {
        ArgumentNullException.ThrowIfNull(facts);
        return condition switch
        {
            ModifierCondition.EcogTwoOrMore => facts.Ecog >= 2,
            ModifierCondition.SecondLine => facts.LineNumber == 2,
            ModifierCondition.ThirdLineOrLater => facts.LineNumber >= 3,
            ModifierCondition.LowAlbumin => facts.AlbuminGPerDl < LabAnalytes.Of(LabAnalyte.Albumin).ReferenceRange.Low,
            ModifierCondition.HighLdh => facts.LdhUPerL > LabAnalytes.Of(LabAnalyte.LactateDehydrogenase).ReferenceRange.High,
            ModifierCondition.OrganDysfunction =>
                facts.BilirubinMgPerDl > 1.5m * LabAnalytes.Of(LabAnalyte.TotalBilirubin).ReferenceRange.High
                || facts.CreatinineMgPerDl > 1.5m * LabAnalytes.Of(LabAnalyte.Creatinine).ReferenceRange.High,
            ModifierCondition.EverSmoker => facts.Smoking is SmokingStatusCategory.Current or SmokingStatusCategory.Former,
            ModifierCondition.NeverSmoker => facts.Smoking == SmokingStatusCategory.Never,
            ModifierCondition.DpydPoorMetabolizer => facts.Dpyd == MetabolizerPhenotype.Poor,
            ModifierCondition.DpydIntermediateMetabolizer => facts.Dpyd == MetabolizerPhenotype.Intermediate,
            ModifierCondition.Ugt1a1PoorMetabolizer => facts.Ugt1a1 == MetabolizerPhenotype.Poor,
            ModifierCondition.AgeSeventyFiveOrMore => facts.AgeYears >= 75,
            ModifierCondition.TcellInflamedHigh => facts.TcellInflamedHigh,
            ModifierCondition.ProgressedOnThisTherapy => therapyId is not null && facts.ProgressedOn.Contains(therapyId),
            _ => false,
        };
    }

    public static double Logit(double p) => Math.Log(p / (1 - p));

    public static double Logistic(double x) => 1 / (1 + Math.Exp(-x));
}
