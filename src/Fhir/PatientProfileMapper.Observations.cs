using System.Globalization;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Precision.Clinical;
using static Precision.Fhir.FhirElementReading;

namespace Precision.Fhir;

/// <summary>Observations: performance status, smoking, every mCODE staging shape, labs; genomics and responses have their own readers.</summary>
public sealed partial class PatientProfileMapper
{
    private static readonly HashSet<string> StageGroupLoinc = new(StringComparer.Ordinal)
    {
        LoincCodes.StageGroupClinical, LoincCodes.StageGroupPathological, LoincCodes.StageGroupOther,
    };

    private static readonly HashSet<string> StageGroupSnomed = new(StringComparer.Ordinal)
    {
        SnomedCodes.TnmStageGrouping, SnomedCodes.ClinicalTnmStageGrouping, SnomedCodes.PathologicTnmStageGrouping,
    };

    private static readonly string[] StageProfiles =
    [
        FhirProfiles.McodeTnmStageGroup, FhirProfiles.McodeCancerStageGroup, FhirProfiles.McodeTnmClinicalStageGroup, FhirProfiles.McodeTnmPathologicalStageGroup,
    ];

    private static void ReadObservation(Observation observation, MappingState state)
    {
        if (observation.Status is ObservationStatus.EnteredInError or ObservationStatus.Cancelled or ObservationStatus.Registered or ObservationStatus.Unknown)
        {
            state.NotUsed(observation, $"has status {observation.Status}; ignored.");
            return;
        }

        var loinc = CodeIn(observation.Code, CodeSystems.Loinc);
        var snomed = CodeIn(observation.Code, CodeSystems.Snomed);
        switch (loinc)
        {
            case LoincCodes.EcogPerformanceStatus:
                ReadEcog(observation, state);
                return;
            case "89243-0":
                state.NotUsed(observation, $"is a Karnofsky performance status ({ValueText(observation.Value) ?? "no value"}); the model uses ECOG and the portal does not convert between them.");
                return;
            case LoincCodes.TobaccoSmokingStatus:
                ReadSmoking(observation, state);
                return;
            case LoincCodes.CancerDiseaseStatus:
                state.NotUsed(observation, $"is a cancer disease status ({Text(observation.Value as CodeableConcept) ?? "no value"}), not a RECIST response; the model does not use it.");
                return;
        }

        if ((loinc is not null && StageGroupLoinc.Contains(loinc)) || (snomed is not null && StageGroupSnomed.Contains(snomed))
            || StageProfiles.Any(p => HasProfile(observation, p)) || (HasProfile(observation, FhirProfiles.McodeCancerStage) && loinc is null))
        {
            ReadStage(observation, state);
            return;
        }

        if (loinc is not null && LoincCodes.TnmCategories.Contains(loinc))
        {
            state.NotUsed(observation, $"is a TNM category ({Text(observation.Value as CodeableConcept) ?? "no value"}); the model uses the stage group.");
            return;
        }

        if (LabAnalytes.ByLoinc(loinc) is { } analyte)
        {
            ReadLab(observation, analyte, state);
            return;
        }

        if (GenomicObservations.TryRead(observation, loinc, state))
        {
            return;
        }

        if (TherapyResponses.TryRead(observation, state))
        {
            return;
        }

        state.NotUsed(observation, $"has code {DescribeCode(observation.Code)}, which the portal does not use; ignored.");
    }

    /// <summary>A code as a person can look it up: system and code (and display), or the text when there is no coding.</summary>
    internal static string DescribeCode(CodeableConcept? concept)
    {
        var coding = concept?.Coding?.FirstOrDefault(c => c.System == CodeSystems.Loinc) ?? concept?.Coding?.FirstOrDefault();
        var display = Bound(coding?.Display ?? concept?.Text, 120);
        if (coding?.Code is { } code)
        {
            var system = coding.System switch
            {
                CodeSystems.Loinc => "LOINC",
                CodeSystems.Snomed => "SNOMED CT",
                null => "(no system)",
                _ => Bound(coding.System, 120),
            };
            return $"{system} {Bound(code, 60)}" + (display is null ? string.Empty : $" ({display})");
        }

        return display is null ? "(none: no coding and no text)" : $"'{display}' (text only, no coding)";

        static string? Bound(string? text, int max) => text is null || text.Length <= max ? text : text[..max] + "…";
    }

    private static void ReadEcog(Observation observation, MappingState state)
    {
        var score = observation.Value switch
        {
            Integer i => i.Value,
            Quantity { Value: { } q } when q == decimal.Truncate(q) => (int?)q,
            CodeableConcept cc => EcogFromAnswer(cc),
            _ => null,
        };
        if (score is { } impossible and not (>= 0 and <= 5))
        {
            state.Refuse(observation, "ECOG", impossible.ToString(CultureInfo.InvariantCulture), "the ECOG scale 0–5");
            return;
        }

        if (score is null)
        {
            state.NotUsed(observation, $"is an ECOG performance status without a score from 0 to 5 ({ValueText(observation.Value) ?? "no value"}); ignored.", DataQualitySeverity.Warning);
            return;
        }

        var on = EffectiveDate(observation);
        state.Ecogs.Add(new EcogPerformanceStatus(score.Value, on, SourceOf(observation)));
        state.Used(observation, $"ECOG {score}{On(on)}");
    }

    private static int? EcogFromAnswer(CodeableConcept concept)
    {
        // LOINC answer list LL529-9: LA9622-7 (0) … LA9627-6 (5).
        string[] answers = ["LA9622-7", "LA9623-5", "LA9624-3", "LA9625-0", "LA9626-8", "LA9627-6"];
        var code = CodeIn(concept, CodeSystems.Loinc);
        var index = Array.IndexOf(answers, code);
        return index >= 0 ? index : int.TryParse(concept.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
    }

    private static void ReadSmoking(Observation observation, MappingState state)
    {
        var code = CodeIn(observation.Value as CodeableConcept, CodeSystems.Snomed);
        var category = code switch
        {
            "266919005" => SmokingStatusCategory.Never,
            "8517006" => SmokingStatusCategory.Former,
            "77176002" or "449868002" or "428041000124106" or "428061000124105" or "428071000124103" => SmokingStatusCategory.Current,
            _ => SmokingStatusCategory.Unknown,
        };
        if (category == SmokingStatusCategory.Unknown)
        {
            state.NotUsed(observation, $"is a smoking status the portal cannot classify ({ValueText(observation.Value) ?? "no value"}).");
            return;
        }

        var on = EffectiveDate(observation);
        state.Smoking.Add(new SmokingStatus(category, on, SourceOf(observation)));
        state.Used(observation, $"smoking status: {category}{On(on)}");
    }

    private static void ReadStage(Observation observation, MappingState state)
    {
        var concept = observation.Value as CodeableConcept;
        var stage = StageOf(concept);
        if (stage is null)
        {
            state.NotUsed(observation, $"is a stage group the portal cannot read ({Text(concept) ?? ValueText(observation.Value) ?? "no value"}).", DataQualitySeverity.Warning);
            return;
        }

        var pathological = CodeIn(observation.Code, CodeSystems.Loinc) == LoincCodes.StageGroupPathological
            || CodeIn(observation.Code, CodeSystems.Snomed) == SnomedCodes.PathologicTnmStageGrouping
            || HasProfile(observation, FhirProfiles.McodeTnmPathologicalStageGroup);
        var focus = observation.Focus?.Select(f => ResourceIndex.KeyOf(f.Reference)).FirstOrDefault(k => k?.StartsWith("Condition/", StringComparison.Ordinal) == true);
        state.Stages.Add(new StageFact(new StageGroup(stage, pathological, EffectiveDate(observation), SourceOf(observation)), focus, observation));
    }

    /// <summary>The stage group in a coded value: AJCC (cancerstaging.org "3A"), a SNOMED CT concept's display ("… stage IIIA"), FIGO, text.</summary>
    internal static string? StageOf(CodeableConcept? concept)
    {
        if (concept is null)
        {
            return null;
        }

        var candidates = (concept.Coding ?? []).SelectMany(c => new[] { c.System == CodeSystems.Snomed ? null : c.Code, c.Display }).Append(concept.Text);
        return candidates.Select(StageParsing).FirstOrDefault(s => s is not null);
    }

    private static string? StageParsing(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length > 200)
        {
            return null;
        }

        var match = WholeStage().Match(text.Trim());
        if (!match.Success)
        {
            match = StageInText().Match(text);
        }

        if (!match.Success)
        {
            return null;
        }

        var number = match.Groups["n"].Value.ToUpperInvariant() switch
        {
            "1" => "I",
            "2" => "II",
            "3" => "III",
            "4" => "IV",
            var roman => roman,
        };
        return number + match.Groups["s"].Value.ToUpperInvariant();
    }

    [GeneratedRegex(@"^(?:stage[\s\-]*)?(?<n>IV|III|II|I|0|[1-4])(?<s>[ABC][1-3]?)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex WholeStage();

    [GeneratedRegex(@"\bstage[\s\-]+(?<n>IV|III|II|I|0|[1-4])(?<s>[ABC][1-3]?)?\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex StageInText();

    /// <summary>
    /// The stage of the cancer the portal predicts for: the latest stage group whose focus is that cancer (or names none).
    /// Condition.stage.summary counts too (mCODE lets a producer copy the latest stage there). Stages of another condition
    /// are not used for it.
    /// </summary>
    private static (StageGroup? Latest, IReadOnlyList<StageGroup> History) ChooseStage(PatientProfile profile, MappingState state)
    {
        var primary = profile.PrimaryCancer;
        foreach (var (cancer, condition) in state.Cancers)
        {
            foreach (var component in condition.Stage ?? [])
            {
                if (StageOf(component.Summary) is { } summary)
                {
                    // Dated by its assessments; without any, by when the condition was recorded, else its diagnosis (stage at diagnosis).
                    var assessed = (component.Assessment ?? []).Select(a => state.Index.Resolve<Observation>(a)).OfType<Observation>().Select(EffectiveDate).Max()
                        ?? Date(condition.RecordedDate) ?? cancer.DiagnosedOn;
                    state.Stages.Add(new StageFact(new StageGroup(summary, false, assessed, cancer.Source), cancer.Source.Reference, condition));
                }
            }
        }

        var mine = state.Stages.Where(s => s.ConditionReference is null || s.ConditionReference == primary?.Source.Reference).ToList();
        var chosen = mine.OrderByDescending(s => s.Stage.AssessedOn ?? DateOnly.MinValue).ThenByDescending(s => s.Resource is Observation).FirstOrDefault();
        foreach (var fact in state.Stages)
        {
            var where = fact.Resource is Condition ? " (Condition.stage.summary)" : string.Empty;
            if (ReferenceEquals(fact, chosen))
            {
                state.Used(fact.Resource, $"stage {fact.Stage.Stage}{where}{On(fact.Stage.AssessedOn)}");
            }
            else if (mine.Contains(fact))
            {
                if (fact.Resource is Observation)
                {
                    state.Used(fact.Resource, $"stage {fact.Stage.Stage}{On(fact.Stage.AssessedOn)}: an earlier or equal assessment; the latest is used");
                }
            }
            else if (fact.Resource is Observation)
            {
                state.NotUsed(fact.Resource, $"stages {fact.ConditionReference}, not the cancer the portal predicts for; not used.");
            }
        }

        return (chosen?.Stage, [.. mine.Select(s => s.Stage).OrderBy(s => s.AssessedOn ?? DateOnly.MinValue)]);
    }

    private static void ReadLab(Observation observation, LabAnalyteDefinition analyte, MappingState state)
    {
        if (observation.Value is not Quantity { Value: { } raw } quantity)
        {
            state.NotUsed(observation, $"is a {analyte.DisplayName} result without a numeric value; ignored.", DataQualitySeverity.Warning);
            return;
        }

        var unit = quantity.Code ?? quantity.Unit ?? string.Empty;
        if (analyte.ToCanonical(raw, unit) is not { } value)
        {
            state.NotUsed(observation, $"gives {analyte.DisplayName} in '{state.Bounded(unit, "unit", observation, 40)}', which the portal cannot convert to {analyte.CanonicalUnit}; ignored.", DataQualitySeverity.Warning);
            return;
        }

        if (value < analyte.PlausibleLow || value > analyte.PlausibleHigh)
        {
            state.Refuse(observation, analyte.DisplayName, $"{value.ToString(CultureInfo.InvariantCulture)} {analyte.CanonicalUnit}",
                $"the plausible range {analyte.PlausibleLow.ToString(CultureInfo.InvariantCulture)}–{analyte.PlausibleHigh.ToString(CultureInfo.InvariantCulture)} {analyte.CanonicalUnit}");
            return;
        }

        var date = EffectiveDate(observation);
        if (state.Labs.Any(l => l.Analyte == analyte.Analyte && l.EffectiveOn == date && l.Value == value))
        {
            state.NotUsed(observation, $"duplicates another {analyte.DisplayName} result of the same day and value; counted once.");
            return;
        }

        var canonicalUnits = LabAnalytes.NormalizeUnit(quantity.Code ?? quantity.Unit ?? string.Empty) == analyte.CanonicalUnit;
        var range = observation.ReferenceRange?.FirstOrDefault() is { Low.Value: { } low, High.Value: { } high } && canonicalUnits && low < high
            ? new ReferenceRange(low, high)
            : analyte.ReferenceRange;
        state.Labs.Add(new LabResult(analyte.Analyte, value, analyte.CanonicalUnit, date, range, SourceOf(observation)));
        var loinc = CodeIn(observation.Code, CodeSystems.Loinc);
        state.Used(observation, $"{analyte.DisplayName} {value.ToString("0.##", CultureInfo.InvariantCulture)} {analyte.CanonicalUnit}{On(date)}"
            + (loinc != analyte.LoincCode ? $" (LOINC {loinc}, read as {analyte.LoincCode})" : string.Empty)
            + (canonicalUnits ? string.Empty : $" (converted from {unit})"));
    }

    private static string On(DateOnly? date) => date is { } d ? " on " + d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : string.Empty;
}
