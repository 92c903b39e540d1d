using Hl7.Fhir.Model;
using Precision.Clinical;
using static Precision.Fhir.FhirElementReading;

namespace Precision.Fhir;

/// <summary>Reads best-overall-response observations (RECIST 1.1) and what therapy they assess.</summary>
internal static class TherapyResponses
{
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
        var words = string.Join(' ', new[] { Text(value), ValueText(value) }.Where(s => s is not null)).ToUpperInvariant();
        var response = coded ?? words switch
        {
            _ when words.Contains("COMPLETE", StringComparison.Ordinal) || Words(words, "CR") => RecistResponse.CompleteResponse,
            _ when words.Contains("PARTIAL", StringComparison.Ordinal) || Words(words, "PR") => RecistResponse.PartialResponse,
            _ when words.Contains("STABLE", StringComparison.Ordinal) || Words(words, "SD") => RecistResponse.StableDisease,
            _ when words.Contains("PROGRESSIVE", StringComparison.Ordinal) || Words(words, "PD") => RecistResponse.ProgressiveDisease,
            _ => (RecistResponse?)null,
        };
        if (response is null)
        {
            state.Issue(DataQualitySeverity.Warning, $"is a treatment response the portal cannot read as RECIST ({words.Trim()}); ignored.", observation);
            return true;
        }

        var links = (observation.PartOf ?? []).Concat(observation.Focus ?? []).Concat(observation.DerivedFrom ?? [])
            .Select(r => r.Reference).Where(r => !string.IsNullOrEmpty(r)).Select(r => r!).ToHashSet(StringComparer.Ordinal);
        state.Responses.Add(new ResponseFact(response.Value, EffectiveDate(observation), links, SourceOf(observation)));
        return true;
    }

    private static bool Words(string text, string word) =>
        text.Split([' ', ',', '(', ')', '-', '/'], StringSplitOptions.RemoveEmptyEntries).Contains(word, StringComparer.Ordinal);
}
