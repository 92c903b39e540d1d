using System.Globalization;
using Hl7.Fhir.Model;
using Precision.Clinical;
using static Precision.Fhir.FhirElementReading;

namespace Precision.Fhir;

/// <summary>Names the catalog therapy a set of medications corresponds to (from their RxNorm codes), if any.</summary>
public interface ITherapyResolver
{
    string? ResolveTherapyId(IReadOnlyCollection<string> rxNormCodes);
}

/// <summary>
/// The one way from FHIR resources to a <see cref="PatientProfile"/>, used by the portal, the patient list and training.
/// Written for what hospitals send (mCODE STU1–STU4, Genomics Reporting STU1–STU3, US Core), not only for what our
/// generator writes. A fact read wrong is worse than a fact not read: whatever the mapper cannot place with confidence is
/// not used and is said on the Data quality tab — every resource it is given ends up either used (and as what) or not used
/// (and why). Never an exception for bad data.
/// </summary>
public sealed partial class PatientProfileMapper(ITherapyResolver? therapyResolver = null)
{
    private static readonly DateOnly EarliestPlausibleBirthDate = new(1900, 1, 1);

    /// <summary>Maps the resources of one patient. Resources about other patients are ignored and reported.</summary>
    public PatientProfile Map(string patientId, IEnumerable<Resource> resources)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(patientId);
        ArgumentNullException.ThrowIfNull(resources);
        var all = resources.Where(r => r is not null).ToList();
        var state = new MappingState(patientId, new ResourceIndex(all));

        var patient = all.OfType<Patient>().FirstOrDefault(p => p.Id == patientId);
        var (demographics, vitalStatus) = patient is null
            ? (MissingPatient(state, patientId), null)
            : Demographics(patient, state);

        var attributable = AttributableWithoutSubject(all, patientId, state.Index);
        GenomicObservations.Prepare(all.OfType<Observation>(), state);
        foreach (var resource in all)
        {
            if (ReferenceEquals(resource, patient))
            {
                continue;
            }

            if (resource is Patient other)
            {
                state.NotUsed(other, "is another patient's record; ignored.", DataQualitySeverity.Warning);
                continue;
            }

            if (resource is Medication)
            {
                continue; // read through the medication resources that name it (accounted at the end)
            }

            if (!BelongsToPatient(resource, patientId, attributable, state))
            {
                continue;
            }

            Read(resource, state);
        }

        var cancers = state.Cancers.Select(c => c.Cancer).ToList();
        var lines = BuildTherapyLines(state, out var curative);
        var profile = new PatientProfile(
            patientId,
            demographics,
            cancers,
            null,
            Latest(state.Ecogs, e => e.AssessedOn),
            Latest(state.Smoking, s => s.AssessedOn),
            [.. state.Labs.OrderBy(l => l.Analyte).ThenBy(l => l.EffectiveOn)],
            lines,
            state.Variants,
            state.Fusions,
            state.CopyNumbers,
            state.Tmb,
            state.Msi,
            state.PdL1,
            state.Signature,
            state.EstrogenReceptor,
            [.. state.Pharmacogenomics.Values],
            state.Issues)
        {
            SecondaryCancers = state.Secondaries,
            VitalStatus = vitalStatus,
            Procedures = [.. state.Procedures.OrderBy(p => p.PerformedOn ?? DateOnly.MaxValue)],
            CurativeIntentTherapies = curative,
            NegativeFindings = state.NegativeFindings,
            ImplausibleValues = state.Implausible,
            EcogHistory = [.. state.Ecogs.OrderBy(e => e.AssessedOn ?? DateOnly.MinValue)],
        };

        var (stage, stageHistory) = ChooseStage(profile, state);
        profile = profile with { Stage = stage, StageHistory = stageHistory };
        AccountForTheRest(all, patient, state);
        return profile with { ResourceAccounts = [.. state.Accounts.OrderBy(a => a.Source.ResourceType, StringComparer.Ordinal).ThenBy(a => a.Source.Id, StringComparer.Ordinal)] };
    }

    private static void Read(Resource resource, MappingState state)
    {
        switch (resource)
        {
            case Condition condition:
                ReadCondition(condition, state);
                break;
            case Observation observation:
                ReadObservation(observation, state);
                break;
            case MedicationStatement or MedicationRequest or MedicationAdministration:
                ReadMedication((DomainResource)resource, state);
                break;
            case Procedure procedure:
                ReadProcedure(procedure, state);
                break;
            case DiagnosticReport report:
                state.Used(report, $"report grouping {report.Result?.Count ?? 0} result(s), each read on its own");
                break;
            case Specimen specimen:
                state.NotUsed(specimen, $"is a specimen ({Text(specimen.Type) ?? "type not stated"}); the portal does not use specimen details.");
                break;
            default:
                state.NotUsed(resource, $"is a {resource.TypeName}, which the portal does not use; ignored.");
                break;
        }
    }

    private static PatientDemographics MissingPatient(MappingState state, string patientId)
    {
        var source = new SourceReference("Patient", patientId);
        state.Issues.Add(new DataQualityIssue(DataQualitySeverity.Error, $"Patient/{patientId} was not in the record; demographics are unknown.", source));
        return new PatientDemographics("Unknown patient", null, null, AdministrativeSex.Unknown, null, null, source);
    }

    private static (PatientDemographics Demographics, VitalStatus? VitalStatus) Demographics(Patient patient, MappingState state)
    {
        var name = patient.Name?.FirstOrDefault(n => n.Use == HumanName.NameUse.Official) ?? patient.Name?.FirstOrDefault();
        var display = name is null ? null
            : !string.IsNullOrWhiteSpace(name.Text) ? name.Text
            : string.Join(' ', (name.Given ?? []).Append(name.Family).Where(s => !string.IsNullOrWhiteSpace(s)));
        display = state.Bounded(display, "name", patient, 200);
        if (string.IsNullOrWhiteSpace(display))
        {
            state.Issue(DataQualitySeverity.Warning, "has no name.", patient);
            display = "Unnamed patient";
        }

        var mrn = patient.Identifier?.FirstOrDefault(i => i.System == CodeSystems.MedicalRecordNumber || Has(i.Type, CodeSystems.V2Table0203, "MR"))?.Value
            ?? patient.Identifier?.FirstOrDefault()?.Value;
        mrn = state.Bounded(mrn, "medical record number", patient, 64);
        var birthDate = Date(patient.BirthDate);
        if (birthDate is null)
        {
            state.Issue(DataQualitySeverity.Warning, "has no usable birth date; age is unknown.", patient);
        }
        else if (birthDate < EarliestPlausibleBirthDate)
        {
            // Nobody alive now was born before 1900; a birth date that old is an entry error, not an age of 126.
            state.Implausible.Add(new ImplausibleValue("Age", $"(birth date {birthDate.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)})", "birth dates from 1900-01-01", SourceOf(patient)));
            state.Issue(DataQualitySeverity.Error, $"gives birth date {birthDate.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}, before 1900-01-01; refused as implausible, age is unknown. Check the source system.", patient);
            birthDate = null;
        }

        var sex = patient.Gender switch
        {
            AdministrativeGender.Female => AdministrativeSex.Female,
            AdministrativeGender.Male => AdministrativeSex.Male,
            AdministrativeGender.Other => AdministrativeSex.Other,
            _ => AdministrativeSex.Unknown,
        };

        // mCODE CancerPatient: deceased[x] is must-support. A date, or true without one.
        VitalStatus? vital = patient.Deceased switch
        {
            FhirBoolean { Value: true } => new VitalStatus(null, SourceOf(patient)),
            FhirDateTime dt => new VitalStatus(Date(dt.Value), SourceOf(patient)),
            _ => null,
        };
        if (patient.Deceased is FhirDateTime && vital?.DeceasedOn is null)
        {
            state.Issue(DataQualitySeverity.Warning, "gives a date of death the portal cannot read; the patient is treated as deceased.", patient);
        }

        state.Used(patient, vital is null ? "demographics" : "demographics; " + vital.Label.ToLowerInvariant());
        var demographics = new PatientDemographics(display, mrn, birthDate, sex,
            state.Bounded(UsCoreCategory(patient, CodeSystems.UsCoreRace), "race", patient, 100),
            state.Bounded(UsCoreCategory(patient, CodeSystems.UsCoreEthnicity), "ethnicity", patient, 100),
            SourceOf(patient));
        return (demographics, vital);
    }

    private static string? UsCoreCategory(Patient patient, string url)
    {
        var extension = patient.Extension?.FirstOrDefault(e => e.Url == url);
        if (extension is null)
        {
            return null;
        }

        var text = extension.Extension?.FirstOrDefault(e => e.Url == "text")?.Value as FhirString;
        var omb = extension.Extension?.FirstOrDefault(e => e.Url == "ombCategory")?.Value as Coding;
        return text?.Value ?? omb?.Display ?? omb?.Code;
    }

    /// <summary>
    /// Resources with no subject that can still be attributed: Observations reached from this patient's reports (results,
    /// their grouped members and the findings implications derive from), and implications deriving from such a finding.
    /// </summary>
    private static HashSet<string> AttributableWithoutSubject(List<Resource> all, string patientId, ResourceIndex index)
    {
        var reports = all.OfType<DiagnosticReport>().Where(r => IsSubject(r.Subject, patientId));
        var reached = index.ReachableFromReports(reports);
        var own = all.OfType<Observation>().Where(o => IsSubject(o.Subject, patientId)).Select(o => "Observation/" + o.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var observation in all.OfType<Observation>().Where(o => o.Subject is null))
        {
            if ((observation.DerivedFrom ?? []).Select(r => ResourceIndex.KeyOf(r.Reference)).Any(k => k is not null && (own.Contains(k) || reached.Contains(k))))
            {
                reached.Add("Observation/" + observation.Id);
            }
        }

        return reached;
    }

    private static bool BelongsToPatient(Resource resource, string patientId, HashSet<string> attributable, MappingState state)
    {
        var subject = SubjectOf(resource);
        if (subject is null)
        {
            if (!IsPatientScoped(resource))
            {
                state.NotUsed(resource, $"is a {resource.TypeName}, which the portal does not use; ignored.");
                return false;
            }

            if (resource is Observation && attributable.Contains(resource.TypeName + "/" + resource.Id))
            {
                state.Issue(DataQualitySeverity.Information, "names no patient; attributed to this patient because one of the patient's reports points at it.", resource);
                return true;
            }

            state.NotUsed(resource, "names no patient and nothing of this patient's record points at it; not used.", DataQualitySeverity.Warning);
            return false;
        }

        if (!IsSubject(subject, patientId))
        {
            state.NotUsed(resource, "belongs to another patient (or names its patient in a way the portal cannot read); not used.", DataQualitySeverity.Warning);
            return false;
        }

        return true;
    }

    private static bool IsSubject(ResourceReference? subject, string patientId) => PatientIdOf(subject) == patientId;

    /// <summary>Every resource is accounted for: medications by the resources that name them, anything missed said so.</summary>
    private static void AccountForTheRest(List<Resource> all, Patient? patient, MappingState state)
    {
        foreach (var resource in all.Where(r => !ReferenceEquals(r, patient) && !state.IsAccounted(r)))
        {
            if (resource is Medication)
            {
                state.NotUsed(resource, "is a Medication no medication statement, request or administration of this patient refers to; not used.");
            }
            else
            {
                state.NotUsed(resource, "was not read by any rule of the mapper; not used. Tell the portal's developers.", DataQualitySeverity.Warning);
            }
        }
    }

    private static T? Latest<T>(List<T> facts, Func<T, DateOnly?> date)
        where T : class => facts.OrderByDescending(f => date(f) ?? DateOnly.MinValue).FirstOrDefault();
}
