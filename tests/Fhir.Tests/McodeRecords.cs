using Hl7.Fhir.Model;
using Precision.Clinical;

namespace Precision.Fhir.Tests;

/// <summary>
/// Builds one synthetic patient's resources the way the mCODE (STU3) and HL7 Genomics Reporting profiles define them —
/// profile in <c>meta.profile</c>, their must-support elements and value sets — written here from the profiles'
/// definitions, not copied from the IGs' example instances. Used by the ndjson source tests and, linked, by the REST
/// source tests against the FHIR sandbox.
/// </summary>
public sealed class McodeRecords(string patientId)
{
    private const string GenomicsTbd = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs";
    private const string ConditionCategory = "http://terminology.hl7.org/CodeSystem/condition-category";
    private const string SpecimenType = "http://terminology.hl7.org/CodeSystem/v2-0487";
    private int _next;

    public List<Resource> Resources { get; } = [];

    public string PatientId => patientId;

    public ResourceReference Subject => new("Patient/" + patientId);

    /// <summary>mCODE CancerPatient (US Core Patient): identifier, name, gender, birth date.</summary>
    public Patient Patient(string given, string family, string birthDate = "1958-02-14", AdministrativeGender gender = AdministrativeGender.Female)
    {
        var patient = new Patient
        {
            Id = patientId,
            Meta = new Meta { Profile = [FhirProfiles.McodeCancerPatient] },
            Identifier = [new Identifier(CodeSystems.MedicalRecordNumber, "MRN-" + patientId) { Type = new CodeableConcept(CodeSystems.V2Table0203, "MR") }],
            Name = [new HumanName { Use = HumanName.NameUse.Official, Given = [given], Family = family }],
            Gender = gender,
            BirthDate = birthDate,
        };
        Resources.Add(patient);
        return patient;
    }

    /// <summary>
    /// mCODE PrimaryCancerCondition: clinical and verification status, problem-list category, the cancer code (SNOMED CT from
    /// the primary-or-uncertain-behaviour value set and/or ICD-10-CM), onset and recorded date.
    /// </summary>
    public Condition PrimaryCancer(string onset, string clinicalStatus = "active", params Coding[] codes) =>
        CancerCondition(FhirProfiles.McodePrimaryCancerCondition, onset, clinicalStatus, codes);

    /// <summary>mCODE SecondaryCancerCondition: a metastatic site, with the related primary (condition-related extension).</summary>
    public Condition SecondaryCancer(string onset, Condition? primary, params Coding[] codes)
    {
        var condition = CancerCondition(FhirProfiles.McodeSecondaryCancerCondition, onset, "active", codes);
        if (primary is not null)
        {
            condition.Extension.Add(new Extension(FhirProfiles.ConditionRelated, new ResourceReference("Condition/" + primary.Id)));
        }

        return condition;
    }

    /// <summary>
    /// Genomics Reporting genomic report: a DiagnosticReport (LOINC 51969-4, category GE) whose <c>result</c> lists its
    /// findings. The findings are written separately (<see cref="Variant"/>, <see cref="Panel"/>, <see cref="Implication"/>).
    /// </summary>
    public DiagnosticReport GenomicReport(params Observation[] results)
    {
        var report = new DiagnosticReport
        {
            Id = NextId("report"),
            Meta = new Meta { Profile = [FhirProfiles.GenomicReport] },
            Status = DiagnosticReport.DiagnosticReportStatus.Final,
            Category = [new CodeableConcept(CodeSystems.V2Table0074, "GE", "Genetics")],
            Code = new CodeableConcept(CodeSystems.Loinc, LoincCodes.GeneticAnalysisReport, "Genetic analysis report"),
            Subject = Subject,
            Effective = new FhirDateTime("2024-02-01"),
            Issued = new DateTimeOffset(2024, 2, 3, 0, 0, 0, TimeSpan.Zero),
            Result = [.. results.Select(r => new ResourceReference("Observation/" + r.Id))],
        };
        Resources.Add(report);
        return report;
    }

    /// <summary>
    /// Genomics Reporting Variant: LOINC 69548-6 with Present, gene studied (HGNC), c. and p. HGVS, allele frequency and
    /// genomic source class. <paramref name="withSubject"/> false writes it as many labs do inside a report: without a subject.
    /// </summary>
    public Observation Variant(string gene, string hgncId, string cHgvs, string pHgvs, bool withSubject = false)
    {
        var variant = Finding(FhirProfiles.GenomicsVariant, new CodeableConcept(CodeSystems.Loinc, LoincCodes.GeneticVariantAssessment, "Genetic variant assessment"), withSubject);
        variant.Value = new CodeableConcept(CodeSystems.Loinc, LoincCodes.PresentAnswer, "Present");
        variant.Component.Add(Component(LoincCodes.GeneStudied, new CodeableConcept(CodeSystems.Hgnc, hgncId, gene)));
        variant.Component.Add(Component(LoincCodes.DnaChangeCHgvs, new CodeableConcept(CodeSystems.HgvsNomenclature, cHgvs)));
        variant.Component.Add(Component(LoincCodes.AminoAcidChangePHgvs, new CodeableConcept(CodeSystems.HgvsNomenclature, pHgvs)));
        variant.Component.Add(Component(LoincCodes.SampleVariantAlleleFrequency, new Quantity(0.31m, "1", CodeSystems.Ucum)));
        variant.Component.Add(Component(LoincCodes.GenomicSourceClass, new CodeableConcept(CodeSystems.Loinc, LoincCodes.SomaticAnswer, "Somatic")));
        return variant;
    }

    /// <summary>A grouping Observation (LOINC 81247-9, the master genetic variant reporting panel) whose <c>hasMember</c> lists findings.</summary>
    public Observation Panel(bool withSubject, params Observation[] members)
    {
        var panel = Finding(null, new CodeableConcept(CodeSystems.Loinc, LoincCodes.GenomicsReport, "Master HL7 genetic variant reporting panel"), withSubject);
        panel.HasMember = [.. members.Select(m => new ResourceReference("Observation/" + m.Id))];
        return panel;
    }

    /// <summary>Genomics Reporting diagnostic implication: derived from the variants it interprets (<c>derivedFrom</c>).</summary>
    public Observation Implication(bool withSubject, params Observation[] variants)
    {
        var implication = Finding(FhirProfiles.GenomicsDiagnosticImplication, new CodeableConcept(GenomicsTbd, "diagnostic-implication", "Diagnostic Implication"), withSubject);
        implication.DerivedFrom = [.. variants.Select(v => new ResourceReference("Observation/" + v.Id))];
        implication.Component.Add(Component(LoincCodes.ClinicalSignificance, new CodeableConcept(CodeSystems.Loinc, LoincCodes.PathogenicAnswer, "Pathogenic")));
        return implication;
    }

    /// <summary>A Medication resource (RxNorm), as <c>medicationReference</c> names it; it has no subject.</summary>
    public Medication Medication(string rxnorm, string name)
    {
        var medication = new Medication
        {
            Id = NextId("medication"),
            Code = new CodeableConcept(CodeSystems.RxNorm, rxnorm, name, name),
        };
        Resources.Add(medication);
        return medication;
    }

    /// <summary>mCODE CancerRelatedMedicationAdministration: status, medicationReference, subject, effective period, procedure intent.</summary>
    public MedicationAdministration Administration(Medication medication, string start, string end)
    {
        var administration = new MedicationAdministration
        {
            Id = NextId("administration"),
            Meta = new Meta { Profile = [FhirProfiles.McodeMedicationAdministration] },
            Status = MedicationAdministration.MedicationAdministrationStatusCodes.Completed,
            Medication = new ResourceReference("Medication/" + medication.Id),
            Subject = Subject,
            Effective = new Period(new FhirDateTime(start), new FhirDateTime(end)),
            Extension = [new Extension(FhirProfiles.ProcedureIntent, new CodeableConcept(CodeSystems.Snomed, SnomedCodes.PalliativeIntent, "Palliative"))],
        };
        Resources.Add(administration);
        return administration;
    }

    /// <summary>mCODE CancerRelatedMedicationRequest: status, intent, medicationReference, subject, authoredOn, procedure intent.</summary>
    public MedicationRequest Request(Medication medication, string authoredOn)
    {
        var request = new MedicationRequest
        {
            Id = NextId("request"),
            Meta = new Meta { Profile = [FhirProfiles.McodeMedicationRequest] },
            Status = MedicationRequest.MedicationrequestStatus.Active,
            Intent = MedicationRequest.MedicationRequestIntent.Order,
            Medication = new ResourceReference("Medication/" + medication.Id),
            Subject = Subject,
            AuthoredOn = authoredOn,
            Extension = [new Extension(FhirProfiles.ProcedureIntent, new CodeableConcept(CodeSystems.Snomed, SnomedCodes.PalliativeIntent, "Palliative"))],
        };
        Resources.Add(request);
        return request;
    }

    /// <summary>mCODE CancerRelatedSurgicalProcedure: status, SNOMED CT procedure code, subject, performed date, reason (the cancer).</summary>
    public Procedure Surgery(string snomed, string display, string performed, Condition? reason = null)
    {
        var procedure = new Procedure
        {
            Id = NextId("procedure"),
            Meta = new Meta { Profile = [FhirProfiles.McodeSurgicalProcedure] },
            Status = EventStatus.Completed,
            Category = new CodeableConcept(CodeSystems.Snomed, SnomedCodes.SurgicalProcedure, "Surgical procedure"),
            Code = new CodeableConcept(CodeSystems.Snomed, snomed, display, display),
            Subject = Subject,
            Performed = new FhirDateTime(performed),
        };
        if (reason is not null)
        {
            procedure.ReasonReference.Add(new ResourceReference("Condition/" + reason.Id));
        }

        Resources.Add(procedure);
        return procedure;
    }

    /// <summary>mCODE HumanSpecimen: specimen type (v2-0487), subject, collection date and body site.</summary>
    public Specimen TumorSpecimen(string collected)
    {
        var specimen = new Specimen
        {
            Id = NextId("specimen"),
            Meta = new Meta { Profile = [FhirProfiles.McodeHumanSpecimen] },
            Type = new CodeableConcept(SpecimenType, "TUMOR", "Tumor"),
            Subject = Subject,
            Collection = new Specimen.CollectionComponent { Collected = new FhirDateTime(collected) },
        };
        Resources.Add(specimen);
        return specimen;
    }

    /// <summary>mCODE ECOGPerformanceStatus: LOINC 89247-1, integer score.</summary>
    public Observation Ecog(int score, string date)
    {
        var ecog = Finding(FhirProfiles.McodeEcog, new CodeableConcept(CodeSystems.Loinc, LoincCodes.EcogPerformanceStatus, "ECOG Performance Status score"), withSubject: true);
        ecog.Category = [new CodeableConcept(CodeSystems.ObservationCategory, "survey")];
        ecog.Value = new Integer(score);
        ecog.Effective = new FhirDateTime(date);
        return ecog;
    }

    /// <summary>mCODE STU3/STU4 TNMStageGroup: SNOMED CT clinical TNM stage grouping, AJCC 8th edition method, focus on the primary.</summary>
    public Observation StageGroup(Condition primary, string stageText, string date)
    {
        var stage = Finding(FhirProfiles.McodeTnmStageGroup, new CodeableConcept(CodeSystems.Snomed, SnomedCodes.ClinicalTnmStageGrouping, "Clinical TNM stage grouping"), withSubject: true);
        stage.Category = [new CodeableConcept(CodeSystems.ObservationCategory, "survey")];
        stage.Method = new CodeableConcept(CodeSystems.Snomed, SnomedCodes.Ajcc8thEdition, "AJCC 8th edition");
        stage.Focus = [new ResourceReference("Condition/" + primary.Id)];
        stage.Value = new CodeableConcept { Text = stageText };
        stage.Effective = new FhirDateTime(date);
        return stage;
    }

    /// <summary>US Core laboratory result: LOINC, UCUM quantity, effective date.</summary>
    public Observation Lab(string loinc, decimal value, string unit, string date)
    {
        var lab = Finding(FhirProfiles.UsCoreLab, new CodeableConcept(CodeSystems.Loinc, loinc), withSubject: true);
        lab.Category = [new CodeableConcept(CodeSystems.ObservationCategory, "laboratory")];
        lab.Value = new Quantity(value, unit, CodeSystems.Ucum);
        lab.Effective = new FhirDateTime(date);
        return lab;
    }

    /// <summary>A Genomics Reporting Variant reported Absent (LA9634-2): a pertinent negative for the assayed change.</summary>
    public Observation AbsentVariant(string gene, string hgncId, string cHgvs, string pHgvs)
    {
        var variant = Variant(gene, hgncId, cHgvs, pHgvs, withSubject: true);
        variant.Value = new CodeableConcept(CodeSystems.Loinc, LoincCodes.AbsentAnswer, "Absent");
        variant.Component.RemoveAll(c => c.Code.Coding.Any(x => x.Code == LoincCodes.SampleVariantAlleleFrequency));
        return variant;
    }

    /// <summary>A MedicationRequest for any medication by code or text, with a status and intent of the caller's choosing.</summary>
    public MedicationRequest Order(string? rxnorm, string name, string authoredOn,
        MedicationRequest.MedicationrequestStatus status = MedicationRequest.MedicationrequestStatus.Completed,
        MedicationRequest.MedicationRequestIntent intent = MedicationRequest.MedicationRequestIntent.Order, string? treatmentIntentSnomed = null)
    {
        var request = new MedicationRequest
        {
            Id = NextId("order"),
            Status = status,
            Intent = intent,
            Medication = rxnorm is null ? new CodeableConcept { Text = name } : new CodeableConcept(CodeSystems.RxNorm, rxnorm, name, name),
            Subject = Subject,
            AuthoredOn = authoredOn,
        };
        if (treatmentIntentSnomed is not null)
        {
            request.Extension.Add(new Extension(FhirProfiles.ProcedureIntent, new CodeableConcept(CodeSystems.Snomed, treatmentIntentSnomed)));
        }

        Resources.Add(request);
        return request;
    }

    /// <summary>mCODE RadiotherapyCourseSummary: radiotherapy course of treatment (SNOMED CT), category, performed period, intent.</summary>
    public Procedure RadiotherapyCourse(string start, string end, string intentSnomed, string bodySite)
    {
        var procedure = new Procedure
        {
            Id = NextId("radiotherapy"),
            Meta = new Meta { Profile = [FhirProfiles.McodeRadiotherapyCourseSummary] },
            Status = EventStatus.Completed,
            Category = new CodeableConcept(CodeSystems.Snomed, SnomedCodes.RadiationOncologyProcedure, "Radiation oncology AND/OR radiotherapy"),
            Code = new CodeableConcept(CodeSystems.Snomed, SnomedCodes.RadiotherapyCourseOfTreatment, "Radiotherapy course of treatment"),
            Subject = Subject,
            Performed = new Period(new FhirDateTime(start), new FhirDateTime(end)),
            BodySite = [new CodeableConcept { Text = bodySite }],
            Extension = [new Extension(FhirProfiles.ProcedureIntent, new CodeableConcept(CodeSystems.Snomed, intentSnomed))],
        };
        Resources.Add(procedure);
        return procedure;
    }

    public static Coding Snomed(string code, string display) => new(CodeSystems.Snomed, code, display);

    public static Coding Icd10(string code, string display) => new(CodeSystems.Icd10Cm, code, display);

    private Condition CancerCondition(string profile, string onset, string clinicalStatus, Coding[] codes)
    {
        var condition = new Condition
        {
            Id = NextId("condition"),
            Meta = new Meta { Profile = [profile] },
            ClinicalStatus = new CodeableConcept(CodeSystems.ConditionClinical, clinicalStatus),
            VerificationStatus = new CodeableConcept(CodeSystems.ConditionVerification, "confirmed"),
            Category = [new CodeableConcept(ConditionCategory, "problem-list-item", "Problem List Item")],
            Code = new CodeableConcept { Coding = [.. codes] },
            Subject = Subject,
            Onset = new FhirDateTime(onset),
            RecordedDate = onset,
        };
        Resources.Add(condition);
        return condition;
    }

    private Observation Finding(string? profile, CodeableConcept code, bool withSubject)
    {
        var observation = new Observation
        {
            Id = NextId("finding"),
            Meta = profile is null ? null : new Meta { Profile = [profile] },
            Status = ObservationStatus.Final,
            Category = [new CodeableConcept(CodeSystems.ObservationCategory, "laboratory"), new CodeableConcept(CodeSystems.V2Table0074, "GE")],
            Code = code,
            Subject = withSubject ? Subject : null,
            Effective = new FhirDateTime("2024-02-01"),
        };
        Resources.Add(observation);
        return observation;
    }

    private static Observation.ComponentComponent Component(string loinc, DataType value) =>
        new() { Code = new CodeableConcept(CodeSystems.Loinc, loinc), Value = value };

    private string NextId(string prefix) => $"{prefix}-{patientId}-{++_next}";
}
