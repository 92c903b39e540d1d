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
/// The one way from FHIR resources to a <see cref="PatientProfile"/>, used by the portal and by training.
/// Tolerant of real-world data: what it cannot use becomes a <see cref="DataQualityIssue"/>, never an exception.
/// </summary>
public sealed class PatientProfileMapper(ITherapyResolver? therapyResolver = null)
{
    private static readonly HashSet<string> GenomicsCodes =
    [
        LoincCodes.GeneticVariantAssessment, LoincCodes.TumorMutationalBurden, LoincCodes.MicrosatelliteInstability,
        LoincCodes.GenotypeDisplayName, LoincCodes.PharmacogenomicPhenotype,
    ];

    /// <summary>Maps the resources of one patient. Resources about other patients are ignored and reported.</summary>
    public PatientProfile Map(string patientId, IEnumerable<Resource> resources)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(patientId);
        ArgumentNullException.ThrowIfNull(resources);
        var state = new MappingState(patientId);
        var all = resources.Where(r => r is not null).ToList();

        var patient = all.OfType<Patient>().FirstOrDefault(p => p.Id == patientId);
        var demographics = patient is null
            ? MissingPatient(state, patientId)
            : Demographics(patient, state);

        foreach (var resource in all)
        {
            if (resource is Patient)
            {
                continue;
            }

            if (!BelongsToPatient(resource, patientId))
            {
                state.Issue(DataQualitySeverity.Warning, "belongs to another patient or names none; ignored.", resource);
                continue;
            }

            switch (resource)
            {
                case Condition condition:
                    ReadCondition(condition, state);
                    break;
                case Observation observation:
                    ReadObservation(observation, state);
                    break;
                case MedicationStatement statement:
                    ReadMedication(statement, state);
                    break;
                case MedicationRequest request:
                    ReadMedication(request, state);
                    break;
                case DiagnosticReport:
                    break; // the genomics report only groups observations, which are read on their own
                default:
                    state.Issue(DataQualitySeverity.Information, $"is a {resource.TypeName}, which the portal does not use; ignored.", resource);
                    break;
            }
        }

        return new PatientProfile(
            patientId,
            demographics,
            state.Cancers,
            Latest(state.Stages, s => s.AssessedOn),
            Latest(state.Ecogs, e => e.AssessedOn),
            Latest(state.Smoking, s => s.AssessedOn),
            [.. state.Labs.OrderBy(l => l.Analyte).ThenBy(l => l.EffectiveOn)],
            BuildTherapyLines(state),
            state.Variants,
            state.Fusions,
            state.CopyNumbers,
            state.Tmb,
            state.Msi,
            state.PdL1,
            state.Signature,
            state.EstrogenReceptor,
            [.. state.Pharmacogenomics.Values],
            state.Issues);
    }

    private static PatientDemographics MissingPatient(MappingState state, string patientId)
    {
        var source = new SourceReference("Patient", patientId);
        state.Issues.Add(new DataQualityIssue(DataQualitySeverity.Error, $"Patient/{patientId} was not in the record; demographics are unknown.", source));
        return new PatientDemographics("Unknown patient", null, null, AdministrativeSex.Unknown, null, null, source);
    }

    private static PatientDemographics Demographics(Patient patient, MappingState state)
    {
        var name = patient.Name?.FirstOrDefault(n => n.Use == HumanName.NameUse.Official) ?? patient.Name?.FirstOrDefault();
        var display = name is null ? null
            : !string.IsNullOrWhiteSpace(name.Text) ? name.Text
            : string.Join(' ', (name.Given ?? []).Append(name.Family).Where(s => !string.IsNullOrWhiteSpace(s)));
        if (string.IsNullOrWhiteSpace(display))
        {
            state.Issue(DataQualitySeverity.Warning, "has no name.", patient);
            display = "Unnamed patient";
        }

        var mrn = patient.Identifier?.FirstOrDefault(i => i.System == CodeSystems.MedicalRecordNumber || Has(i.Type, CodeSystems.V2Table0203, "MR"))?.Value
            ?? patient.Identifier?.FirstOrDefault()?.Value;
        var birthDate = Date(patient.BirthDate);
        if (birthDate is null)
        {
            state.Issue(DataQualitySeverity.Warning, "has no usable birth date; age is unknown.", patient);
        }

        var sex = patient.Gender switch
        {
            AdministrativeGender.Female => AdministrativeSex.Female,
            AdministrativeGender.Male => AdministrativeSex.Male,
            AdministrativeGender.Other => AdministrativeSex.Other,
            _ => AdministrativeSex.Unknown,
        };
        return new PatientDemographics(display, mrn, birthDate, sex, UsCoreCategory(patient, CodeSystems.UsCoreRace), UsCoreCategory(patient, CodeSystems.UsCoreEthnicity), SourceOf(patient));
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

    private static bool BelongsToPatient(Resource resource, string patientId)
    {
        if (SubjectOf(resource) is not { } subject)
        {
            return !IsPatientScoped(resource);
        }

        var reference = subject.Reference ?? string.Empty;
        return reference == "Patient/" + patientId || reference.EndsWith("/Patient/" + patientId, StringComparison.Ordinal);
    }

    private static void ReadCondition(Condition condition, MappingState state)
    {
        if (Has(condition.VerificationStatus, "http://terminology.hl7.org/CodeSystem/condition-ver-status", "entered-in-error")
            || Has(condition.VerificationStatus, "http://terminology.hl7.org/CodeSystem/condition-ver-status", "refuted"))
        {
            state.Issue(DataQualitySeverity.Information, "is marked entered-in-error or refuted; ignored.", condition);
            return;
        }

        var snomed = CodeIn(condition.Code, CodeSystems.Snomed);
        var icd10 = CodeIn(condition.Code, CodeSystems.Icd10Cm);
        var known = CancerTypes.BySnomed(snomed) ?? CancerTypes.ByIcd10(icd10);
        var looksLikeCancer = known is not null || (icd10?.StartsWith('C') ?? false)
            || (Text(condition.Code)?.Contains("cancer", StringComparison.OrdinalIgnoreCase) ?? false)
            || (Text(condition.Code)?.Contains("malignant", StringComparison.OrdinalIgnoreCase) ?? false);
        if (!looksLikeCancer)
        {
            state.Issue(DataQualitySeverity.Information, $"is a condition other than a primary cancer ({Text(condition.Code) ?? snomed ?? icd10 ?? "uncoded"}); not used.", condition);
            return;
        }

        if (known is null)
        {
            state.Issue(DataQualitySeverity.Warning, $"is a cancer the model does not know ({Text(condition.Code) ?? snomed ?? icd10}); predictions will be flagged as outside the training data.", condition);
        }

        var code = condition.Code?.Coding?.FirstOrDefault(c => c.System == CodeSystems.Snomed) ?? condition.Code?.Coding?.FirstOrDefault();
        var onset = condition.Onset switch
        {
            FhirDateTime dt => Date(dt.Value),
            Period p => Date(p.Start),
            _ => Date(condition.RecordedDate),
        };
        state.Cancers.Add(new PrimaryCancerCondition(
            known?.CancerType ?? CancerType.Other,
            new CodedConcept(code?.System ?? "unknown", code?.Code ?? "unknown", code?.Display ?? Text(condition.Code)),
            icd10,
            onset,
            Text(condition.BodySite?.FirstOrDefault()),
            SourceOf(condition)));
    }

    private static void ReadObservation(Observation observation, MappingState state)
    {
        if (observation.Status is ObservationStatus.EnteredInError or ObservationStatus.Cancelled)
        {
            state.Issue(DataQualitySeverity.Information, $"has status {observation.Status}; ignored.", observation);
            return;
        }

        var loinc = CodeIn(observation.Code, CodeSystems.Loinc);
        switch (loinc)
        {
            case LoincCodes.EcogPerformanceStatus:
                ReadEcog(observation, state);
                return;
            case LoincCodes.TobaccoSmokingStatus:
                ReadSmoking(observation, state);
                return;
            case LoincCodes.StageGroupClinical or LoincCodes.StageGroupPathological:
                ReadStage(observation, loinc == LoincCodes.StageGroupPathological, state);
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

        state.Issue(DataQualitySeverity.Information,
            $"has code {loinc ?? CodeIn(observation.Code, CodeSystems.Snomed) ?? Text(observation.Code) ?? "(none)"}, which the portal does not use; ignored.", observation);
    }

    private static void ReadEcog(Observation observation, MappingState state)
    {
        var score = observation.Value switch
        {
            Integer i => i.Value,
            Quantity q => (int?)q.Value,
            CodeableConcept cc => EcogFromAnswer(cc),
            _ => null,
        };
        if (score is not (>= 0 and <= 5))
        {
            state.Issue(DataQualitySeverity.Warning, $"is an ECOG performance status without a score from 0 to 5 ({ValueText(observation.Value) ?? "no value"}); ignored.", observation);
            return;
        }

        state.Ecogs.Add(new EcogPerformanceStatus(score.Value, EffectiveDate(observation), SourceOf(observation)));
    }

    private static int? EcogFromAnswer(CodeableConcept concept)
    {
        // LOINC answer list LL529-9: LA9622-7 (0) … LA9627-6 (5).
        string[] answers = ["LA9622-7", "LA9623-5", "LA9624-3", "LA9625-0", "LA9626-8", "LA9627-6"];
        var code = CodeIn(concept, CodeSystems.Loinc);
        var index = Array.IndexOf(answers, code);
        return index >= 0 ? index : int.TryParse(concept.Text, out var n) ? n : null;
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
            state.Issue(DataQualitySeverity.Information, $"is a smoking status the portal cannot classify ({ValueText(observation.Value) ?? "no value"}).", observation);
        }

        state.Smoking.Add(new SmokingStatus(category, EffectiveDate(observation), SourceOf(observation)));
    }

    private static void ReadStage(Observation observation, bool pathological, MappingState state)
    {
        var concept = observation.Value as CodeableConcept;
        var candidates = new[] { concept?.Coding?.FirstOrDefault()?.Code, concept?.Coding?.FirstOrDefault()?.Display, concept?.Text };
        var stageText = candidates.FirstOrDefault(c => c is not null && new StageGroup(c, pathological, null, SourceOf(observation)).StageNumber is not null);
        if (stageText is null)
        {
            state.Issue(DataQualitySeverity.Warning, $"is a stage group the portal cannot read ({Text(concept) ?? "no value"}).", observation);
            return;
        }

        var stage = stageText.Replace("Stage", string.Empty, StringComparison.OrdinalIgnoreCase).Trim();
        state.Stages.Add(new StageGroup(stage, pathological, EffectiveDate(observation), SourceOf(observation)));
    }

    private static void ReadLab(Observation observation, LabAnalyteDefinition analyte, MappingState state)
    {
        if (observation.Value is not Quantity { Value: { } raw } quantity)
        {
            state.Issue(DataQualitySeverity.Warning, $"is a {analyte.DisplayName} result without a numeric value; ignored.", observation);
            return;
        }

        var unit = quantity.Code ?? quantity.Unit ?? string.Empty;
        decimal value;
        if (string.Equals(unit, analyte.CanonicalUnit, StringComparison.Ordinal))
        {
            value = raw;
        }
        else if (analyte.ConversionToCanonical.TryGetValue(unit, out var factor))
        {
            value = decimal.Round(raw * factor, 4);
        }
        else
        {
            state.Issue(DataQualitySeverity.Warning, $"gives {analyte.DisplayName} in '{unit}', which the portal cannot convert to {analyte.CanonicalUnit}; ignored.", observation);
            return;
        }

        if (value < analyte.PlausibleLow || value > analyte.PlausibleHigh)
        {
            state.Issue(DataQualitySeverity.Error,
                $"gives {analyte.DisplayName} {value} {analyte.CanonicalUnit}, outside the plausible range {analyte.PlausibleLow}–{analyte.PlausibleHigh}; ignored. Check the source system.", observation);
            return;
        }

        var date = EffectiveDate(observation);
        if (state.Labs.Any(l => l.Analyte == analyte.Analyte && l.EffectiveOn == date && l.Value == value))
        {
            state.Issue(DataQualitySeverity.Information, $"duplicates another {analyte.DisplayName} result of the same day and value; counted once.", observation);
            return;
        }

        var range = observation.ReferenceRange?.FirstOrDefault() is { Low.Value: { } low, High.Value: { } high } && quantity.Code == analyte.CanonicalUnit
            ? new ReferenceRange(low, high)
            : analyte.ReferenceRange;
        state.Labs.Add(new LabResult(analyte.Analyte, value, analyte.CanonicalUnit, date, range, SourceOf(observation)));
    }

    private static void ReadMedication(DomainResource resource, MappingState state)
    {
        var (status, concept, started, ended, group) = resource switch
        {
            MedicationStatement s => (s.Status?.ToString(), s.Medication as CodeableConcept, Date((s.Effective as Period)?.Start ?? (s.Effective as FhirDateTime)?.Value), Date((s.Effective as Period)?.End), GroupKey(s.Identifier, s.PartOf)),
            MedicationRequest r => (r.Status?.ToString(), r.Medication as CodeableConcept, Date(r.AuthoredOn), (DateOnly?)null, r.GroupIdentifier?.Value ?? GroupKey(r.Identifier, null)),
            _ => ((string?)null, (CodeableConcept?)null, (DateOnly?)null, (DateOnly?)null, (string?)null),
        };
        if (string.Equals(status, "EnteredInError", StringComparison.Ordinal))
        {
            state.Issue(DataQualitySeverity.Information, "is marked entered-in-error; ignored.", resource);
            return;
        }

        if (concept is null)
        {
            state.Issue(DataQualitySeverity.Warning, "names its medication by reference or not at all; the portal reads coded medications only.", resource);
            return;
        }

        var rxnorm = concept.Coding?.FirstOrDefault(c => c.System == CodeSystems.RxNorm);
        if (rxnorm is null)
        {
            state.Issue(DataQualitySeverity.Warning, $"has no RxNorm code for '{Text(concept) ?? "its medication"}'; it cannot be matched to a therapy.", resource);
        }

        var medication = new TherapyMedication(
            Text(concept) ?? rxnorm?.Code ?? "Unnamed medication",
            new CodedConcept(rxnorm?.System ?? CodeSystems.RxNorm, rxnorm?.Code ?? string.Empty, rxnorm?.Display),
            SourceOf(resource));
        state.Medications.Add(new MedicationFact(medication, started, ended, group));
    }

    /// <summary>The line a medication belongs to, when the record says so: a shared therapy-line identifier.</summary>
    private static string? GroupKey(List<Identifier>? identifiers, List<ResourceReference>? partOf) =>
        identifiers?.FirstOrDefault(i => i.System?.Contains("therapy-line", StringComparison.OrdinalIgnoreCase) == true)?.Value
        ?? partOf?.FirstOrDefault(p => p.Reference?.StartsWith("CarePlan/", StringComparison.Ordinal) == true)?.Reference;

    private List<TherapyLine> BuildTherapyLines(MappingState state)
    {
        // Lines: by the record's own grouping when it has one; otherwise drugs started the same day form a line.
        var groups = state.Medications
            .GroupBy(m => m.GroupKey ?? "start:" + (m.StartedOn?.ToString("O", System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"))
            .Select(g => g.ToList())
            .OrderBy(g => g.Min(m => m.StartedOn ?? DateOnly.MaxValue))
            .ToList();

        var lines = new List<TherapyLine>();
        for (var i = 0; i < groups.Count; i++)
        {
            var group = groups[i];
            var started = group.Min(m => m.StartedOn);
            var ended = group.Max(m => m.EndedOn);
            var nextStart = i + 1 < groups.Count ? groups[i + 1].Min(m => m.StartedOn) : null;
            var sources = group.Select(m => m.Medication.Source.Reference).ToHashSet(StringComparer.Ordinal);
            var response = state.Responses.FirstOrDefault(r => r.LinkedTo.Overlaps(sources))
                ?? state.Responses.Where(r => r.LinkedTo.Count == 0 && r.AssessedOn >= started && (nextStart is null || r.AssessedOn < nextStart))
                    .OrderByDescending(r => r.AssessedOn).FirstOrDefault();
            var codes = group.Select(m => m.Medication.Code.Code).Where(c => c.Length > 0).ToList();
            lines.Add(new TherapyLine(
                i + 1,
                therapyResolver?.ResolveTherapyId(codes),
                [.. group.Select(m => m.Medication)],
                started,
                ended,
                response?.Response,
                response?.AssessedOn,
                response?.Source));
        }

        foreach (var orphan in state.Responses.Where(r => !lines.Any(l => l.ResponseSource == r.Source)))
        {
            state.Issues.Add(new DataQualityIssue(DataQualitySeverity.Warning, $"{orphan.Source.Reference} is a treatment response that matches no therapy line; not used.", orphan.Source));
        }

        return lines;
    }

    private static T? Latest<T>(List<T> facts, Func<T, DateOnly?> date)
        where T : class => facts.OrderByDescending(f => date(f) ?? DateOnly.MinValue).FirstOrDefault();
}
