using Hl7.Fhir.Model;
using Precision.Clinical;

namespace Precision.Fhir.Tests;

/// <summary>Builds FHIR resources for one test patient the way real records write them (including their quirks).</summary>
internal sealed class RecordBuilder(string patientId)
{
    private int _next;

    public List<Resource> Resources { get; } = [];

    public ResourceReference Subject => new("Patient/" + patientId);

    public RecordBuilder Patient(string given = "Ada", string family = "Testpatient", string birthDate = "1961-04-12", AdministrativeGender gender = AdministrativeGender.Female)
    {
        Resources.Add(new Patient
        {
            Id = patientId,
            Meta = new Meta { VersionId = "3" },
            Identifier = [new Identifier(CodeSystems.MedicalRecordNumber, "MRN-" + patientId)],
            Name = [new HumanName { Use = HumanName.NameUse.Official, Given = [given], Family = family }],
            BirthDate = birthDate,
            Gender = gender,
            Extension =
            [
                new Extension
                {
                    Url = CodeSystems.UsCoreRace,
                    Extension = [new Extension("ombCategory", new Coding(CodeSystems.CdcRaceEthnicity, "2106-3", "White")), new Extension("text", new FhirString("White"))],
                },
            ],
        });
        return this;
    }

    public Condition Cancer(string snomed, string icd10, string onset, string? verification = "confirmed")
    {
        var condition = new Condition
        {
            Id = NextId("cond"),
            Subject = Subject,
            Code = new CodeableConcept { Coding = [new Coding(CodeSystems.Snomed, snomed, "cancer"), new Coding(CodeSystems.Icd10Cm, icd10)] },
            Onset = new FhirDateTime(onset),
            VerificationStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-ver-status", verification),
        };
        Resources.Add(condition);
        return condition;
    }

    public Observation Observation(string loinc, DataType? value, string date = "2024-03-01", ObservationStatus status = ObservationStatus.Final)
    {
        var observation = new Observation
        {
            Id = NextId("obs"),
            Status = status,
            Subject = Subject,
            Code = new CodeableConcept(CodeSystems.Loinc, loinc),
            Value = value,
            Effective = new FhirDateTime(date),
        };
        Resources.Add(observation);
        return observation;
    }

    public Observation Lab(string loinc, decimal value, string unit, string date = "2024-03-01") =>
        Observation(loinc, new Quantity(value, unit, CodeSystems.Ucum), date);

    public Observation Variant(string gene, string? cHgvs, string? pHgvs, decimal? vaf, string source = LoincCodes.SomaticAnswer)
    {
        var observation = Observation(LoincCodes.GeneticVariantAssessment, new CodeableConcept(CodeSystems.Loinc, "LA9633-4", "Present"));
        observation.Component.Add(Component(LoincCodes.GeneStudied, new CodeableConcept(CodeSystems.Hgnc, "HGNC:" + gene.Length, gene)));
        if (cHgvs is not null)
        {
            observation.Component.Add(Component(LoincCodes.DnaChangeCHgvs, new CodeableConcept(CodeSystems.HgvsNomenclature, cHgvs)));
        }

        if (pHgvs is not null)
        {
            observation.Component.Add(Component(LoincCodes.AminoAcidChangePHgvs, new CodeableConcept(CodeSystems.HgvsNomenclature, pHgvs)));
        }

        if (vaf is not null)
        {
            observation.Component.Add(Component(LoincCodes.SampleVariantAlleleFrequency, new Quantity(vaf.Value, "1", CodeSystems.Ucum)));
        }

        observation.Component.Add(Component(LoincCodes.GenomicSourceClass, new CodeableConcept(CodeSystems.Loinc, source)));
        return observation;
    }

    public MedicationStatement Medication(string rxnorm, string name, string start, string? end = null, string? line = null)
    {
        var statement = new MedicationStatement
        {
            Id = NextId("med"),
            Status = MedicationStatement.MedicationStatusCodes.Completed,
            Subject = Subject,
            Medication = new CodeableConcept(CodeSystems.RxNorm, rxnorm, name, name),
            Effective = new Period(new FhirDateTime(start), end is null ? null : new FhirDateTime(end)),
        };
        if (line is not null)
        {
            statement.Identifier.Add(new Identifier(CodeSystems.PrecisionPortal + "/therapy-line", line));
        }

        Resources.Add(statement);
        return statement;
    }

    /// <summary>Genomics Reporting variant assessment answers (LL1971-2).</summary>
    public static CodeableConcept Present => new(CodeSystems.Loinc, LoincCodes.PresentAnswer, "Present");

    public static CodeableConcept Absent => new(CodeSystems.Loinc, LoincCodes.AbsentAnswer, "Absent");

    public static Extension Intent(string snomed, string display) =>
        new(FhirProfiles.ProcedureIntent, new CodeableConcept(CodeSystems.Snomed, snomed, display));

    /// <summary>A Condition as mCODE profiles it: codings (system, code), optional profile, body site, histology and related primary.</summary>
    public Condition Condition(IEnumerable<(string System, string Code)> codings, string? profile = null, string? text = null, string onset = "2023-01-10",
        string? histologyIcdO3 = null, string? relatedPrimaryId = null, string? clinicalStatus = null)
    {
        var condition = new Condition
        {
            Id = NextId("cond"),
            Subject = Subject,
            Code = new CodeableConcept { Coding = [.. codings.Select(c => new Coding(c.System, c.Code))], Text = text },
            Onset = new FhirDateTime(onset),
            VerificationStatus = new CodeableConcept(CodeSystems.ConditionVerification, "confirmed"),
        };
        if (clinicalStatus is not null)
        {
            condition.ClinicalStatus = new CodeableConcept(CodeSystems.ConditionClinical, clinicalStatus);
        }

        if (profile is not null)
        {
            condition.Meta = new Meta { Profile = [profile] };
        }

        if (histologyIcdO3 is not null)
        {
            condition.Extension.Add(new Extension(FhirProfiles.HistologyMorphologyBehavior, new CodeableConcept(CodeSystems.IcdO3, histologyIcdO3)));
        }

        if (relatedPrimaryId is not null)
        {
            condition.Extension.Add(new Extension(FhirProfiles.ConditionRelated, new ResourceReference("Condition/" + relatedPrimaryId)));
        }

        Resources.Add(condition);
        return condition;
    }

    /// <summary>A Genomics Reporting variant with an explicit assessment value and optional DNA change type, copy number, significance.</summary>
    public Observation VariantResult(string gene, DataType? value, string? cHgvs = null, string? pHgvs = null, string? changeType = null,
        decimal? copyNumber = null, string? significance = null, string geneSystem = CodeSystems.Hgnc)
    {
        var observation = Observation(LoincCodes.GeneticVariantAssessment, value);
        observation.Component.Add(Component(LoincCodes.GeneStudied, new CodeableConcept(geneSystem, "HGNC:" + gene.Length, gene)));
        if (cHgvs is not null)
        {
            observation.Component.Add(Component(LoincCodes.DnaChangeCHgvs, new CodeableConcept(CodeSystems.HgvsNomenclature, cHgvs)));
        }

        if (pHgvs is not null)
        {
            observation.Component.Add(Component(LoincCodes.AminoAcidChangePHgvs, new CodeableConcept(CodeSystems.HgvsNomenclature, pHgvs)));
        }

        if (changeType is not null)
        {
            observation.Component.Add(Component(LoincCodes.DnaChangeType, new CodeableConcept(CodeSystems.SequenceOntology, changeType)));
        }

        if (copyNumber is not null)
        {
            observation.Component.Add(Component(LoincCodes.CopyNumber, new Quantity(copyNumber.Value, "1", CodeSystems.Ucum)));
        }

        if (significance is not null)
        {
            observation.Component.Add(Component(LoincCodes.ClinicalSignificance, new CodeableConcept(CodeSystems.Loinc, significance)));
        }

        return observation;
    }

    /// <summary>A Genomics Reporting diagnostic implication giving a clinical significance to a variant (derivedFrom).</summary>
    public Observation DiagnosticImplication(Observation variant, string significance)
    {
        var observation = Observation("unused", null);
        observation.Code = new CodeableConcept("http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs", "diagnostic-implication");
        observation.DerivedFrom.Add(new ResourceReference("Observation/" + variant.Id));
        observation.Component.Add(Component(LoincCodes.ClinicalSignificance, new CodeableConcept(CodeSystems.Loinc, significance)));
        return observation;
    }

    public MedicationRequest Request(string? rxnorm, string name, string authoredOn, MedicationRequest.MedicationrequestStatus status = MedicationRequest.MedicationrequestStatus.Completed,
        MedicationRequest.MedicationRequestIntent intent = MedicationRequest.MedicationRequestIntent.Order, Extension? treatmentIntent = null)
    {
        var request = new MedicationRequest
        {
            Id = NextId("medrq"),
            Status = status,
            Intent = intent,
            Subject = Subject,
            Medication = rxnorm is null ? new CodeableConcept { Text = name } : new CodeableConcept(CodeSystems.RxNorm, rxnorm, name, name),
            AuthoredOn = authoredOn,
        };
        if (treatmentIntent is not null)
        {
            request.Extension.Add(treatmentIntent);
        }

        Resources.Add(request);
        return request;
    }

    public MedicationAdministration Administration(DataType medication, string date, MedicationRequest? request = null,
        MedicationAdministration.MedicationAdministrationStatusCodes status = MedicationAdministration.MedicationAdministrationStatusCodes.Completed)
    {
        var administration = new MedicationAdministration
        {
            Id = NextId("medadm"),
            Status = status,
            Subject = Subject,
            Medication = medication,
            Effective = new FhirDateTime(date),
            Request = request is null ? null : new ResourceReference("MedicationRequest/" + request.Id),
        };
        Resources.Add(administration);
        return administration;
    }

    public Procedure Procedure(CodeableConcept code, string performed, string? profile = null, string? category = null, Condition? reason = null, EventStatus status = EventStatus.Completed)
    {
        var procedure = new Procedure
        {
            Id = NextId("proc"),
            Status = status,
            Subject = Subject,
            Code = code,
            Performed = new FhirDateTime(performed),
        };
        if (profile is not null)
        {
            procedure.Meta = new Meta { Profile = [profile] };
        }

        if (category is not null)
        {
            procedure.Category = new CodeableConcept(CodeSystems.Snomed, category);
        }

        if (reason is not null)
        {
            procedure.ReasonReference.Add(new ResourceReference("Condition/" + reason.Id));
        }

        Resources.Add(procedure);
        return procedure;
    }

    public static Observation.ComponentComponent Component(string loinc, DataType value) =>
        new() { Code = new CodeableConcept(CodeSystems.Loinc, loinc), Value = value };

    private string NextId(string prefix) => $"{prefix}-{patientId}-{++_next}";
}
