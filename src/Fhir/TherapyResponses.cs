using Hl7.Fhir.Model;
using Precision.Clinical;
using static Precision.Fhir.FhirElementReading;

namespace Precision.Fhir;

/// <summary>
/// Reads best-overall-response observations (RECIST 1.1) and what therapy they assess. Only a RECIST category counts:
/// a coded LOINC answer, or words that name one ("partial response", "PR"). A disease status such as "condition stable"
/// (mCODE STU1 also used LOINC 88040-1 for it) is not a RECIST response and is not read as one.
/// </summary>
internal static class TherapyResponses
{
    private static readonly char[] Separators = [' ', ',', '(', ')', '-', '/', ':', ';', '.'];

    public static bool TryRead(Observation observation, MappingState state)
    {
        var isResponse = CodeIn(observation.Code, CodeSystems.Loinc) == LoincCodes.ResponseToCancerTreatment
            || (Text(observation.Code)?.Contains("response", StringComparison.OrdinalIgnoreCase) ?? false);
        if (!isResponse)
        {
            return false;
        }

        var value = observation.Value as CodeableConcept;
        RecistResponse? coded = CodeIn(value, CodeSystems.Loinc) switch
        {
            LoincCodes.CompleteResponseAnswer => RecistResponse.CompleteResponse,
            LoincCodes.PartialResponseAnswer => RecistResponse.PartialResponse,
            LoincCodes.StableDiseaseAnswer => RecistResponse.StableDisease,
            LoincCodes.ProgressiveDiseaseAnswer => RecistResponse.ProgressiveDisease,
            _ => null,
        };
        var words = string.Join(' ', new[] { Text(value), ValueText(observation.Value) }.Where(s => s is not null)).ToUpperInvariant();
        var response = coded ?? words switch
        {
            _ when words.Contains("COMPLETE RESPONSE", StringComparison.Ordinal) || Words(words, "CR") => RecistResponse.CompleteResponse,
            _ when words.Contains("PARTIAL RESPONSE", StringComparison.Ordinal) || Words(words, "PR") => RecistResponse.PartialResponse,
            _ when words.Contains("STABLE DISEASE", StringComparison.Ordinal) || Words(words, "SD") => RecistResponse.StableDisease,
            _ when words.Contains("PROGRESSIVE DISEASE", StringComparison.Ordinal) || Words(words, "PD") => RecistResponse.ProgressiveDisease,
            _ => (RecistResponse?)null,
        };
        if (response is null)
        {
            var shown = words.Trim();
            state.NotUsed(observation, $"is a treatment response or disease status the portal cannot read as a RECIST category ({(shown.Length > 120 ? shown[..120] + "…" : shown)}); not used.", DataQualitySeverity.Warning);
            return true;
        }

        // Only links to what was given tie a response to a line; a focus on the Condition says which cancer, not which line.
        var links = (observation.PartOf ?? []).Concat(observation.Focus ?? []).Concat(observation.DerivedFrom ?? [])
            .Select(r => ResourceIndex.KeyOf(r.Reference)).OfType<string>()
            .Where(k => k.StartsWith("Medication", StringComparison.Ordinal) || k.StartsWith("Procedure/", StringComparison.Ordinal))
            .ToHashSet(StringComparer.Ordinal);
        state.Responses.Add(new ResponseFact(response.Value, EffectiveDate(observation), links, SourceOf(observation), observation));
        return true;
    }

    private static bool Words(string text, string word) =>
        text.Split(Separators, StringSplitOptions.RemoveEmptyEntries).Contains(word, StringComparer.Ordinal);
}
