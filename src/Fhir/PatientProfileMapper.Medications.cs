using Hl7.Fhir.Model;
using Precision.Clinical;
using Precision.Clinical.Terminology;
using static Precision.Fhir.FhirElementReading;

namespace Precision.Fhir;

/// <summary>
/// Medications → lines of cancer therapy. Only antineoplastic agents that were given count (data/terminology/
/// antineoplastic-agents); supportive care and medicines for other diseases, statements not taken, drafts, proposals and
/// plans, and curative-intent (adjuvant) courses are not lines for advanced disease — each is listed with the reason.
/// MedicationStatement (mCODE STU1), MedicationRequest and MedicationAdministration (STU2+) are all read.
/// </summary>
public sealed partial class PatientProfileMapper
{
    /// <summary>Administrations of one drug at most this far apart are one course (cycles are 1–4 weeks apart).</summary>
    private const int CourseGapDays = 60;

    /// <summary>Ungrouped drugs that start within this many days of each other are one line (a regimen's drugs start together).</summary>
    private const int SameLineDays = 7;

    private static void ReadMedication(DomainResource resource, MappingState state)
    {
        if (NotGiven(resource) is { } why)
        {
            state.NotUsed(resource, why + " Not counted as therapy.");
            return;
        }

        var (concept, medication) = MedicationConcept(resource, state);
        if (concept is null)
        {
            state.NotUsed(resource, medication is null
                ? "names its medication by a reference the record does not contain (or names none); the portal cannot tell what was given."
                : $"names {SourceOf(medication).Reference}, which has no code or text.", DataQualitySeverity.Warning);
            return;
        }

        var text = state.Bounded(Text(concept), "medication name", resource);
        var codings = (concept.Coding ?? []).Where(c => c.Code is not null).Select(c => state.Concept(c, null, resource)).ToList();
        var classification = ClinicalTerminology.Antineoplastics.Classify(codings, text);
        var name = text ?? codings.FirstOrDefault()?.Display ?? classification.Ingredient ?? "Unnamed medication";
        if (classification.Kind == MedicationKind.NotAntineoplastic)
        {
            var reason = $"{name}: {classification.How}; not counted as a line of cancer therapy.";
            state.NotUsed(resource, reason);
            if (medication is not null)
            {
                state.NotUsed(medication, reason);
            }

            return;
        }

        var intent = IntentOf(resource);
        if (intent is TreatmentIntent.Supportive or TreatmentIntent.Other)
        {
            state.NotUsed(resource, $"{name} was given with {intent.ToString().ToLowerInvariant()} intent; not a line of cancer therapy.");
            return;
        }

        var (started, ended, group) = Timing(resource);
        if (started is null)
        {
            state.Issue(DataQualitySeverity.Warning, $"gives {name} without a start date; it is counted as an earlier line but cannot be placed in time.", resource);
        }

        var agent = ClinicalTerminology.Antineoplastics.Agents.FirstOrDefault(a => a.Name == classification.Ingredient);
        var rxnorm = codings.FirstOrDefault(c => c.System == CodeSystems.RxNorm);
        var therapyMedication = new TherapyMedication(
            name,
            rxnorm ?? new CodedConcept(CodeSystems.RxNorm, agent?.RxNorm ?? string.Empty, classification.Ingredient),
            SourceOf(resource));
        List<Resource> sources = medication is null ? [resource] : [resource, medication];
        state.Medications.Add(new MedicationFact(therapyMedication, classification.Ingredient ?? name, agent?.RxNorm,
            classification.Kind == MedicationKind.RegimenCompanion, started, ended, group, intent, sources));
        if (classification.How.StartsWith("the name", StringComparison.Ordinal) || classification.How.StartsWith("ATC", StringComparison.Ordinal))
        {
            state.Issue(DataQualitySeverity.Information, $"({name}) was recognized as an antineoplastic agent by {classification.How}, not by an RxNorm ingredient code.", resource);
        }
    }

    /// <summary>Why a medication resource does not say the drug was given (status, intent, do-not-perform), or null.</summary>
    private static string? NotGiven(DomainResource resource) => resource switch
    {
        MedicationStatement { Status: MedicationStatement.MedicationStatusCodes.NotTaken } => "says the medication was not taken (status not-taken).",
        MedicationStatement { Status: MedicationStatement.MedicationStatusCodes.EnteredInError } => "is marked entered-in-error.",
        MedicationStatement { Status: MedicationStatement.MedicationStatusCodes.Intended } => "says the medication is intended, not that it was taken.",
        MedicationStatement { Status: MedicationStatement.MedicationStatusCodes.Unknown } => "has status unknown: it does not say the medication was taken.",
        MedicationRequest { DoNotPerform: true } => "is a do-not-perform request.",
        MedicationRequest { Status: MedicationRequest.MedicationrequestStatus.Draft } => "is a draft request, not an order.",
        MedicationRequest { Status: MedicationRequest.MedicationrequestStatus.Cancelled } => "was cancelled before any administration.",
        MedicationRequest { Status: MedicationRequest.MedicationrequestStatus.EnteredInError } => "is marked entered-in-error.",
        MedicationRequest { Status: MedicationRequest.MedicationrequestStatus.Unknown } => "has status unknown: it does not say the medication was ordered or given.",
        MedicationRequest { Intent: MedicationRequest.MedicationRequestIntent.Proposal or MedicationRequest.MedicationRequestIntent.Plan or MedicationRequest.MedicationRequestIntent.Option } r =>
            $"is a {r.Intent.ToString()!.ToLowerInvariant()} (intent), not an order: nothing says it was given.",
        MedicationAdministration { Status: MedicationAdministration.MedicationAdministrationStatusCodes.NotDone } => "says the administration was not done.",
        MedicationAdministration { Status: MedicationAdministration.MedicationAdministrationStatusCodes.EnteredInError } => "is marked entered-in-error.",
        MedicationAdministration { Status: MedicationAdministration.MedicationAdministrationStatusCodes.Unknown } => "has status unknown: it does not say the dose was given.",
        _ => null,
    };

    /// <summary>The medication's code: inline, or from the Medication resource it references (contained or in the record).</summary>
    private static (CodeableConcept? Concept, Medication? Medication) MedicationConcept(DomainResource resource, MappingState state)
    {
        var value = resource switch
        {
            MedicationStatement s => s.Medication,
            MedicationRequest r => r.Medication,
            MedicationAdministration a => a.Medication,
            _ => null,
        };
        if (value is CodeableConcept concept)
        {
            return (concept, null);
        }

        if (value is not ResourceReference reference || state.Index.Resolve<Medication>(reference, resource) is not { } medication)
        {
            return (null, null);
        }

        if (reference.Reference?.StartsWith('#') == true)
        {
            // Contained: part of this resource, accounted with it.
            return (MedicationCode(medication), null);
        }

        return (MedicationCode(medication), medication);
    }

    private static CodeableConcept? MedicationCode(Medication medication)
    {
        if (medication.Code is { } code && (code.Coding.Count > 0 || !string.IsNullOrWhiteSpace(code.Text)))
        {
            return code;
        }

        // A Medication without a code of its own: its ingredients' codes (a regimen drug has one active ingredient).
        var ingredients = (medication.Ingredient ?? []).Select(i => i.Item).OfType<CodeableConcept>().ToList();
        return ingredients.Count == 0 ? null : new CodeableConcept { Coding = [.. ingredients.SelectMany(i => i.Coding ?? [])], Text = string.Join(" + ", ingredients.Select(Text).OfType<string>()) };
    }

    /// <summary>mCODE treatment intent: STU2+ procedure-intent, STU1 treatment-intent (SNOMED CT).</summary>
    private static TreatmentIntent IntentOf(DomainResource resource)
    {
        var concept = resource.Extension?.FirstOrDefault(e => e.Url is FhirProfiles.ProcedureIntent or FhirProfiles.TreatmentIntentStu1)?.Value as CodeableConcept;
        if (concept is null)
        {
            return TreatmentIntent.NotRecorded;
        }

        return CodeIn(concept, CodeSystems.Snomed) switch
        {
            SnomedCodes.CurativeIntent => TreatmentIntent.Curative,
            SnomedCodes.PalliativeIntent => TreatmentIntent.Palliative,
            SnomedCodes.SupportiveIntent => TreatmentIntent.Supportive,
            null => (Text(concept) ?? string.Empty).ToUpperInvariant() switch
            {
                var t when t.Contains("CURATIVE", StringComparison.Ordinal) || t.Contains("ADJUVANT", StringComparison.Ordinal) => TreatmentIntent.Curative,
                var t when t.Contains("PALLIATIVE", StringComparison.Ordinal) => TreatmentIntent.Palliative,
                var t when t.Contains("SUPPORTIVE", StringComparison.Ordinal) => TreatmentIntent.Supportive,
                _ => TreatmentIntent.NotRecorded,
            },
            _ => TreatmentIntent.Other,
        };
    }

    /// <summary>Start, end and the record's own line grouping (a therapy-line identifier, a CarePlan, a request group, the request an administration fulfils).</summary>
    private static (DateOnly? Started, DateOnly? Ended, string? Group) Timing(DomainResource resource) => resource switch
    {
        MedicationStatement s => (
            Date((s.Effective as Period)?.Start ?? (s.Effective as FhirDateTime)?.Value),
            Date((s.Effective as Period)?.End),
            LineIdentifier(s.Identifier) ?? CarePlan(s.PartOf) ?? CarePlan(s.BasedOn)),
        MedicationRequest r => (
            Date(Bounds(r)?.Start ?? r.AuthoredOn),
            Date(Bounds(r)?.End),
            r.GroupIdentifier?.Value ?? LineIdentifier(r.Identifier) ?? CarePlan(r.BasedOn)),
        MedicationAdministration a => (
            Date((a.Effective as FhirDateTime)?.Value ?? (a.Effective as Period)?.Start),
            Date((a.Effective as Period)?.End ?? (a.Effective as FhirDateTime)?.Value),
            ResourceIndex.KeyOf(a.Request?.Reference) is { } request ? "request:" + request : null),
        _ => (null, null, null),
    };

    private static Period? Bounds(MedicationRequest request) =>
        request.DosageInstruction?.Select(d => d.Timing?.Repeat?.Bounds).OfType<Period>().FirstOrDefault();

    private static string? LineIdentifier(List<Identifier>? identifiers) =>
        identifiers?.FirstOrDefault(i => i.System?.Contains("therapy-line", StringComparison.OrdinalIgnoreCase) == true)?.Value;

    private static string? CarePlan(List<ResourceReference>? references) =>
        references?.Select(p => ResourceIndex.KeyOf(p.Reference)).FirstOrDefault(k => k?.StartsWith("CarePlan/", StringComparison.Ordinal) == true || k?.StartsWith("RequestGroup/", StringComparison.Ordinal) == true);

    /// <summary>
    /// Lines of therapy for advanced disease (numbered) and curative-intent courses (not numbered): administrations fold
    /// into the request they fulfil (or into courses of one drug), the same drug twice in a line counts once, drugs form a
    /// line by the record's grouping or by starting together, and a regimen companion alone is no line.
    /// </summary>
    private List<TherapyLine> BuildTherapyLines(MappingState state, out List<TherapyLine> curative)
    {
        var facts = FoldAdministrations(state.Medications);
        var groups = new List<List<MedicationFact>>();
        foreach (var keyed in facts.Where(f => f.GroupKey is not null).GroupBy(f => f.GroupKey, StringComparer.Ordinal))
        {
            groups.Add([.. keyed]);
        }

        List<MedicationFact>? current = null;
        foreach (var fact in facts.Where(f => f.GroupKey is null).OrderBy(f => f.StartedOn ?? DateOnly.MaxValue))
        {
            var last = current?.Max(f => f.StartedOn);
            if (current is null || fact.StartedOn is null != last is null || (fact.StartedOn is { } s && last is { } l && s.DayNumber - l.DayNumber > SameLineDays))
            {
                current = [];
                groups.Add(current);
            }

            current.Add(fact);
        }

        var lines = new List<TherapyLine>();
        curative = [];
        var ordered = groups.OrderBy(g => g.Min(m => m.StartedOn ?? DateOnly.MaxValue)).ToList();
        var linesSoFar = ordered.Where(g => g.Any(f => !f.RegimenCompanion) && !IsCurative(g)).ToList();
        foreach (var group in ordered)
        {
            var label = string.Join(" + ", Distinct(group).Select(f => f.Medication.Name));
            if (group.All(f => f.RegimenCompanion))
            {
                foreach (var resource in group.SelectMany(f => f.Resources))
                {
                    state.NotUsed(resource, $"{label} without an antineoplastic agent in the same line; not counted as a line.");
                }

                continue;
            }

            var started = group.Min(m => m.StartedOn);
            var ended = group.Max(m => m.EndedOn);
            var resources = group.SelectMany(f => f.Resources).ToList();
            var sources = resources.Select(r => SourceOf(r).Reference).ToHashSet(StringComparer.Ordinal);
            var rxnorm = group.Select(f => f.IngredientRxNorm).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
            var catalogId = rxnorm.Count == group.Select(f => f.Ingredient).Distinct(StringComparer.Ordinal).Count() ? therapyResolver?.ResolveTherapyId(rxnorm) : null;
            var intent = group.Select(f => f.Intent).Any(i => i == TreatmentIntent.Palliative) ? TreatmentIntent.Palliative
                : group.Any(f => f.Intent == TreatmentIntent.Curative) ? TreatmentIntent.Curative : TreatmentIntent.NotRecorded;
            if (IsCurative(group))
            {
                curative.Add(new TherapyLine(0, catalogId, [.. Distinct(group).Select(f => f.Medication)], started, ended, null, null, null) { Intent = intent });
                foreach (var resource in resources)
                {
                    state.Used(resource, $"curative-intent course ({label}), not a line for advanced disease");
                }

                continue;
            }

            var number = linesSoFar.IndexOf(group) + 1;
            var nextStart = number < linesSoFar.Count ? linesSoFar[number].Min(m => m.StartedOn) : null;
            var response = state.Responses.FirstOrDefault(r => r.LinkedTo.Overlaps(sources))
                ?? state.Responses.Where(r => r.LinkedTo.Count == 0 && r.AssessedOn >= started && (nextStart is null || r.AssessedOn < nextStart))
                    .OrderByDescending(r => r.AssessedOn).FirstOrDefault();
            lines.Add(new TherapyLine(number, catalogId, [.. Distinct(group).Select(f => f.Medication)], started, ended,
                response?.Response, response?.AssessedOn, response?.Source) { Intent = intent });
            foreach (var resource in resources)
            {
                state.Used(resource, $"line {number}: {label}");
            }
        }

        foreach (var response in state.Responses)
        {
            if (lines.Any(l => l.ResponseSource == response.Source))
            {
                var line = lines.First(l => l.ResponseSource == response.Source);
                state.Used(response.Resource, $"best response {response.Response} of line {line.LineNumber}");
            }
            else
            {
                state.NotUsed(response.Resource, "is a treatment response that matches no therapy line; not used.", DataQualitySeverity.Warning);
            }
        }

        return lines;
    }

    private static bool IsCurative(List<MedicationFact> group) =>
        group.Any(f => f.Intent == TreatmentIntent.Curative) && group.All(f => f.Intent != TreatmentIntent.Palliative);

    /// <summary>One medication per ingredient (a statement and a request for the same drug are one drug given).</summary>
    private static IEnumerable<MedicationFact> Distinct(List<MedicationFact> group) =>
        group.GroupBy(f => f.Ingredient, StringComparer.OrdinalIgnoreCase).Select(g => g.First());

    private static List<MedicationFact> FoldAdministrations(List<MedicationFact> facts)
    {
        var result = facts.Where(f => f.Resources[0] is not MedicationAdministration).ToList();
        var administrations = facts.Where(f => f.Resources[0] is MedicationAdministration).ToList();
        foreach (var byRequest in administrations.Where(a => a.GroupKey is not null).GroupBy(a => a.GroupKey!, StringComparer.Ordinal))
        {
            var requestKey = byRequest.Key["request:".Length..];
            var index = result.FindIndex(f => f.Resources[0] is MedicationRequest && SourceOf(f.Resources[0]).Reference == requestKey);
            if (index >= 0)
            {
                result[index] = Merge(result[index], [.. byRequest]);
            }
            else
            {
                result.Add(Merge(byRequest.First() with { GroupKey = null }, [.. byRequest.Skip(1)]));
            }
        }

        // Administrations that name no request: one course per drug while doses keep coming.
        foreach (var byDrug in administrations.Where(a => a.GroupKey is null).GroupBy(a => a.Ingredient, StringComparer.OrdinalIgnoreCase))
        {
            MedicationFact? course = null;
            foreach (var dose in byDrug.OrderBy(a => a.StartedOn ?? DateOnly.MaxValue))
            {
                if (course is not null && dose.StartedOn is { } s && (course.EndedOn ?? course.StartedOn) is { } e && s.DayNumber - e.DayNumber <= CourseGapDays)
                {
                    course = Merge(course, [dose]);
                    continue;
                }

                if (course is not null)
                {
                    result.Add(course);
                }

                course = dose;
            }

            if (course is not null)
            {
                result.Add(course);
            }
        }

        return result;
    }

    private static MedicationFact Merge(MedicationFact into, List<MedicationFact> doses)
    {
        DateOnly?[] starts = [into.StartedOn, .. doses.Select(d => d.StartedOn)];
        DateOnly?[] ends = [into.EndedOn, .. doses.Select(d => d.EndedOn ?? d.StartedOn)];
        var intent = into.Intent != TreatmentIntent.NotRecorded ? into.Intent : doses.Select(d => d.Intent).FirstOrDefault(i => i != TreatmentIntent.NotRecorded);
        return into with
        {
            StartedOn = starts.Where(d => d is not null).Min(),
            EndedOn = ends.Where(d => d is not null).Max(),
            Intent = intent,
            Resources = [.. into.Resources, .. doses.SelectMany(d => d.Resources)],
        };
    }
}
