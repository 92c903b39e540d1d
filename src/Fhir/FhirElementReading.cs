using System.Globalization;
using Hl7.Fhir.Model;
using Precision.Clinical;

namespace Precision.Fhir;

/// <summary>Small, forgiving readers for FHIR elements: real records leave things out.</summary>
internal static class FhirElementReading
{
    public static SourceReference SourceOf(Resource resource) =>
        new(resource.TypeName, resource.Id ?? "(no id)", resource.Meta?.VersionId);

    /// <summary>The patient a resource is about, for the resource types the mapper reads; null for any other type.</summary>
    public static ResourceReference? SubjectOf(Resource resource) => resource switch
    {
        Condition c => c.Subject,
        Observation o => o.Subject,
        MedicationStatement m => m.Subject,
        MedicationRequest m => m.Subject,
        DiagnosticReport d => d.Subject,
        Procedure p => p.Subject,
        MedicationAdministration m => m.Subject,
        Specimen s => s.Subject,
        _ => null,
    };

    /// <summary>
    /// The id of the patient a resource's subject names — <c>Patient/id</c>, versioned or absolute — or null (no subject, a
    /// Group or Device, a logical reference by identifier). One reading for the sources and the mapper.
    /// </summary>
    public static string? PatientIdOf(Resource resource) => PatientIdOf(SubjectOf(resource));

    public static string? PatientIdOf(ResourceReference? subject) =>
        ResourceIndex.KeyOf(subject?.Reference) is { } key && key.StartsWith("Patient/", StringComparison.Ordinal) ? key["Patient/".Length..] : null;

    /// <summary>Whether the mapper reads this resource type as part of a patient's record.</summary>
    public static bool IsPatientScoped(Resource resource) =>
        resource is Condition or Observation or MedicationStatement or MedicationRequest or DiagnosticReport
            or Procedure or MedicationAdministration or Specimen;

    /// <summary>Whether meta.profile claims the profile (a version suffix <c>|4.0.0</c> is ignored).</summary>
    public static bool HasProfile(Resource resource, string profile) =>
        resource.Meta?.Profile?.Any(p => p?.Split('|')[0] == profile) == true;

    public static bool Has(CodeableConcept? concept, string system, string code) =>
        concept?.Coding?.Any(c => c.System == system && c.Code == code) == true;

    public static string? CodeIn(CodeableConcept? concept, string system) =>
        concept?.Coding?.FirstOrDefault(c => c.System == system)?.Code;

    public static string? Text(CodeableConcept? concept) =>
        concept?.Text ?? concept?.Coding?.Select(c => c.Display).FirstOrDefault(d => !string.IsNullOrWhiteSpace(d));

    public static DateOnly? Date(string? fhirDate)
    {
        if (string.IsNullOrWhiteSpace(fhirDate))
        {
            return null;
        }

        // FHIR dates may be partial (YYYY, YYYY-MM) or full dateTimes with zones; keep the calendar date.
        var text = fhirDate.Length >= 10 ? fhirDate[..10] : fhirDate.Length == 7 ? fhirDate + "-01" : fhirDate.Length == 4 ? fhirDate + "-01-01" : fhirDate;
        return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date : null;
    }

    public static DateOnly? EffectiveDate(Observation observation) => observation.Effective switch
    {
        FhirDateTime dt => Date(dt.Value),
        Period p => Date(p.Start) ?? Date(p.End),
        Instant i => i.Value is { } v ? DateOnly.FromDateTime(v.UtcDateTime) : null,
        _ => Date(observation.Issued?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
    };

    /// <summary>When a result became known to the care team: Observation.issued, else its effective date (the as-of rule's date for genomics).</summary>
    public static DateOnly? ReportedDate(Observation observation) =>
        Date(observation.Issued?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)) ?? EffectiveDate(observation);

    public static Observation.ComponentComponent? Component(Observation observation, string loincCode) =>
        observation.Component?.FirstOrDefault(c => Has(c.Code, CodeSystems.Loinc, loincCode));

    public static IEnumerable<Observation.ComponentComponent> Components(Observation observation, string loincCode) =>
        observation.Component?.Where(c => Has(c.Code, CodeSystems.Loinc, loincCode)) ?? [];

    /// <summary>A component's or observation's value as text: coding code/display, string, or concept text.</summary>
    public static string? ValueText(DataType? value) => value switch
    {
        CodeableConcept cc => cc.Coding?.Select(c => c.Code ?? c.Display).FirstOrDefault(s => !string.IsNullOrWhiteSpace(s)) ?? cc.Text,
        FhirString s => s.Value,
        Code code => code.Value,
        _ => null,
    };

    public static decimal? ValueNumber(DataType? value) => value switch
    {
        Quantity q => q.Value,
        Integer i => i.Value,
        FhirDecimal d => d.Value,
        _ => null,
    };
}
