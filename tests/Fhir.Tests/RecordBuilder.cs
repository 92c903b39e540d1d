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

    public static Observation.ComponentComponent Component(string loinc, DataType value) =>
        new() { Code = new CodeableConcept(CodeSystems.Loinc, loinc), Value = value };

    private string NextId(string prefix) => $"{prefix}-{patientId}-{++_next}";
}
