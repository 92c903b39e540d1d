using Hl7.Fhir.Model;
using Precision.Clinical;
using Precision.Cohort.RealWorld;

namespace Precision.Cohort;

/// <summary>The real-world shapes (docs/cohort.md, "Real-world shapes"): only for patients with a <see cref="RealWorldRecord"/>.</summary>
public sealed partial class FhirBuilder
{
    private PatientResources BuildRealWorld(SyntheticPatient p, RealWorldRecord rw)
    {
        var r = new PatientResources();
        var n = p.Id["pat-".Length..];
        var patient = BuildPatient(p);
        if (rw.Death is { } death)
        {
            patient.Deceased = death.AsBoolean ? new FhirBoolean(true) : new FhirDateTime(Date(death.Date));
        }

        r.Resources.Add(patient);

        var conditionId = $"cond-{n}-1";
        var primary = PrimaryCondition(p, r, conditionId, rw.Diagnosis);
        r.Resources.Add(primary);
        if (p.SecondPrimary is { } second)
        {
            r.Resources.Add(BuildCondition(p, r, $"cond-{n}-2", second.CancerType, second.DiagnosedOn, active: false));
        }

        var secondaryIds = new Dictionary<int, string>();
        foreach (var met in rw.SecondaryCancers)
        {
            var id = $"cond-{n}-met-{met.Sequence}";
            secondaryIds[met.Sequence] = id;
            r.Resources.Add(SecondaryCondition(p, r, id, conditionId, met));
        }

        if (rw.Staging is { } staging)
        {
            AddStaging(p, r, n, primary, staging);
        }

        AddEcogAndSmoking(p, r, n);
        AddLabs(p, r, n);
        AddLinesRealWorld(p, rw, r, n, conditionId);
        AddOtherMedications(p, rw, r, n, conditionId);
        AddProcedures(p, rw, r, n, conditionId, secondaryIds);
        AddGenomics(p, r, n, conditionId, rw.Genomics);
        return r;
    }

    private static CodeableConcept Concept(Concept concept, string? text = null)
    {
        var cc = new CodeableConcept { Text = text ?? concept.Display };
        cc.Coding.Add(new Coding(concept.System, concept.Value, concept.Display));
        return cc;
    }

    private static CodeableConcept Medication(DrugCode drug)
    {
        var cc = new CodeableConcept { Text = drug.Text };
        if (drug.RxNorm is { } rxnorm)
        {
            cc.Coding.Add(new Coding(CodeSystems.RxNorm, rxnorm, drug.RxNormDisplay));
        }

        if (drug.Atc is { } atc)
        {
            cc.Coding.Add(new Coding(CodeSystems.WhoAtc, atc, drug.AtcDisplay));
        }

        return cc;
    }

    private static Extension Intent(string url, bool curative) =>
        new(url, Concept(curative ? RealWorldCodes.Curative : RealWorldCodes.Palliative));

    private static Condition PrimaryCondition(SyntheticPatient p, PatientResources r, string id, DiagnosisCoding dx)
    {
        var code = new CodeableConcept { Text = dx.Text };
        foreach (var concept in new[] { dx.Snomed, dx.Icd10 })
        {
            if (concept is not null)
            {
                code.Coding.Add(new Coding(concept.System, concept.Value, concept.Display));
            }
        }

        var condition = new Condition
        {
            Id = id,
            Meta = new Meta { Profile = [FhirProfiles.McodePrimaryCancerCondition] },
            ClinicalStatus = new CodeableConcept(CodeSystems.ConditionClinical, "active", "Active", null),
            VerificationStatus = new CodeableConcept(CodeSystems.ConditionVerification, "confirmed", "Confirmed", null),
            Category = [new CodeableConcept(CohortSystems.ConditionCategory, "problem-list-item", "Problem List Item", null)],
            Code = code,
            Subject = r.Reference("Patient", p.Id),
            Onset = new FhirDateTime(Date(p.DiagnosedOn)),
            RecordedDate = Date(p.DiagnosedOn.AddDays(3)),
        };
        if (dx.BodySite is { } site)
        {
            condition.BodySite.Add(Concept(site, dx.BodySiteText));
        }
        else if (dx.BodySiteText is { } text)
        {
            condition.BodySite.Add(new CodeableConcept { Text = text });
        }

        if (dx.Morphology is { } morphology)
        {
            condition.Extension.Add(new Extension(FhirProfiles.HistologyMorphologyBehavior, Concept(morphology)));
        }

        return condition;
    }

    private static Condition SecondaryCondition(SyntheticPatient p, PatientResources r, string id, string primaryId, SecondaryCancer met)
    {
        var (snomed, icd, text) = RealWorldCodes.Secondary(met.Site, met.RightSide);
        var code = new CodeableConcept { Text = text };
        if (snomed is not null && !met.IcdOnly)
        {
            code.Coding.Add(new Coding(snomed.System, snomed.Value, snomed.Display));
        }

        code.Coding.Add(new Coding(icd.System, icd.Value, icd.Display));
        var condition = new Condition
        {
            Id = id,
            Meta = new Meta { Profile = [FhirProfiles.McodeSecondaryCancerCondition] },
            ClinicalStatus = new CodeableConcept(CodeSystems.ConditionClinical, "active", "Active", null),
            VerificationStatus = new CodeableConcept(CodeSystems.ConditionVerification, "confirmed", "Confirmed", null),
            Category = [new CodeableConcept(CohortSystems.ConditionCategory, "problem-list-item", "Problem List Item", null)],
            Code = code,
            Subject = r.Reference("Patient", p.Id),
            Onset = new FhirDateTime(Date(met.Onset)),
            RecordedDate = Date(met.Onset),
        };
        switch (met.Related)
        {
            case RelatedPrimaryStyle.ConditionRelated:
                condition.Extension.Add(new Extension(FhirProfiles.ConditionRelated, r.Reference("Condition", primaryId)));
                break;
            case RelatedPrimaryStyle.Stu1:
                condition.Extension.Add(new Extension(FhirProfiles.RelatedPrimaryCancerConditionStu1, r.Reference("Condition", primaryId)));
                break;
            default:
                break;
        }

        return condition;
    }

    private static readonly CodeableConcept Ajcc8 = new(CodeSystems.Snomed, SnomedCodes.Ajcc8thEdition,
        "American Joint Commission on Cancer, Cancer Staging Manual, 8th edition neoplasm staging system (tumor staging)", "AJCC 8th edition");

    private static void AddStaging(SyntheticPatient p, PatientResources r, string n, Condition primary, StagingShape staging)
    {
        var text = "Stage " + p.Stage;
        Observation? group = null;
        if (staging.Style != StageStyle.SummaryOnly)
        {
            var stu3 = staging.Style == StageStyle.TnmStu3;
            var profile = stu3 || staging.Stu2Profile
                ? stu3 ? FhirProfiles.McodeTnmStageGroup : FhirProfiles.McodeCancerStageGroup
                : staging.Pathologic ? FhirProfiles.McodeTnmPathologicalStageGroup : FhirProfiles.McodeTnmClinicalStageGroup;
            var (loinc, display) = staging.Pathologic ? (LoincCodes.StageGroupPathological, "Stage group.pathology Cancer") : (LoincCodes.StageGroupClinical, "Stage group.clinical Cancer");
            group = Observation($"obs-{n}-stage", profile, "survey", loinc, display, staging.AssessedOn, r, p);
            if (stu3)
            {
                group.Code = staging.Pathologic
                    ? new CodeableConcept(CodeSystems.Snomed, SnomedCodes.PathologicTnmStageGrouping, "Pathologic TNM stage grouping", "Pathologic stage group")
                    : new CodeableConcept(CodeSystems.Snomed, SnomedCodes.ClinicalTnmStageGrouping, "Clinical TNM stage grouping", "Clinical stage group");
                group.Method = (CodeableConcept)Ajcc8.DeepCopy();
                group.Value = new CodeableConcept { Text = text };
            }
            else
            {
                group.Method = new CodeableConcept { Text = "AJCC 8th edition" };
                group.Value = staging.PortalCoding
                    ? new CodeableConcept(CodeSystems.PrecisionPortal, "stage-" + p.Stage, text, text)
                    : new CodeableConcept { Text = text };
            }

            if (staging.Focus)
            {
                group.Focus.Add(r.Reference("Condition", primary.Id!));
            }

            r.Resources.Add(group);
            if (staging.Categories is { } tnm)
            {
                var pathologic = staging.Pathologic;
                var stu2Plus = stu3 || staging.Stu2Profile;
                var categories = new[]
                {
                    ("t", tnm.T, pathologic ? RealWorldCodes.PathologicalPrimaryTumor : RealWorldCodes.ClinicalPrimaryTumor, pathologic ? "Primary tumor (T), pathological" : "Primary tumor (T), clinical",
                        stu2Plus ? FhirProfiles.McodeTnmPrimaryTumorCategory : pathologic ? FhirProfiles.McodeTnmPathologicalPrimaryTumorCategory : FhirProfiles.McodeTnmClinicalPrimaryTumorCategory),
                    ("n", tnm.N, pathologic ? RealWorldCodes.PathologicalRegionalNodes : RealWorldCodes.ClinicalRegionalNodes, pathologic ? "Regional lymph nodes (N), pathological" : "Regional lymph nodes (N), clinical",
                        stu2Plus ? FhirProfiles.McodeTnmRegionalNodesCategory : pathologic ? FhirProfiles.McodeTnmPathologicalRegionalNodesCategory : FhirProfiles.McodeTnmClinicalRegionalNodesCategory),
                    ("m", tnm.M, RealWorldCodes.ClinicalDistantMetastases, "Distant metastases (M), clinical",
                        stu2Plus ? FhirProfiles.McodeTnmDistantMetastasesCategory : FhirProfiles.McodeTnmClinicalDistantMetastasesCategory),
                };
                foreach (var (key, value, loincCode, loincDisplay, categoryProfile) in categories)
                {
                    var category = Observation($"obs-{n}-stage-{key}", categoryProfile, "survey", loincCode, loincDisplay, staging.AssessedOn, r, p);
                    category.Code = new CodeableConcept { Text = loincDisplay, Coding = [new Coding(CodeSystems.Loinc, loincCode)] }; // LOINC names not verified: code and text only
                    category.Value = new CodeableConcept { Text = value };
                    category.Focus.Add(r.Reference("Condition", primary.Id!));
                    category.Method = stu3 ? (CodeableConcept)Ajcc8.DeepCopy() : new CodeableConcept { Text = "AJCC 8th edition" };
                    group.HasMember.Add(r.Reference("Observation", category.Id!));
                    r.Resources.Add(category);
                }
            }
        }

        if (staging.ConditionStage)
        {
            var stage = new Condition.StageComponent { Summary = new CodeableConcept { Text = text } };
            if (group is not null)
            {
                stage.Assessment.Add(r.Reference("Observation", group.Id!));
            }

            primary.Stage.Add(stage);
        }
    }

    /// <summary>The drugs of a line as written: the catalog regimen, or the replacement's.</summary>
    private IReadOnlyList<DrugCode> LineDrugs(SyntheticPatient p, int lineIndex) =>
        p.RealWorld?.Replacement is { } replacement
            ? replacement.LineRegimens[lineIndex]
            : [.. _catalog.Therapy(p.Lines[lineIndex].TherapyId).Medications.Select(m => new DrugCode(m.Name, RxNorm: m.RxNormCode, RxNormDisplay: m.Name))];

    private static MedicationStatement Statement(string id, DrugCode drug, SyntheticPatient p, PatientResources r, DateOnly start, DateOnly? end, MedicationStatement.MedicationStatusCodes? status = null) => new()
    {
        Id = id,
        Meta = new Meta { Profile = [FhirProfiles.McodeMedicationStatement] },
        Status = status ?? (end is null ? MedicationStatement.MedicationStatusCodes.Active : MedicationStatement.MedicationStatusCodes.Completed),
        Medication = Medication(drug),
        Subject = r.Reference("Patient", p.Id),
        Effective = new Period { Start = Date(start), End = end is { } e ? Date(e) : null },
        DateAsserted = Date(start),
    };

    private static MedicationRequest Request(string id, DrugCode drug, SyntheticPatient p, PatientResources r, DateOnly authored, MedicationRequest.MedicationrequestStatus status,
        MedicationRequest.MedicationRequestIntent intent = MedicationRequest.MedicationRequestIntent.Order, string? profile = FhirProfiles.McodeMedicationRequest)
    {
        var request = new MedicationRequest
        {
            Id = id,
            Status = status,
            Intent = intent,
            Medication = Medication(drug),
            Subject = r.Reference("Patient", p.Id),
            AuthoredOn = Date(authored),
        };
        if (profile is not null)
        {
            request.Meta = new Meta { Profile = [profile] };
        }

        return request;
    }

    private static MedicationAdministration Administration(string id, DrugCode drug, SyntheticPatient p, PatientResources r, DateOnly given, string requestId, string conditionId) => new()
    {
        Id = id,
        Meta = new Meta { Profile = [FhirProfiles.McodeMedicationAdministration] },
        Status = MedicationAdministration.MedicationAdministrationStatusCodes.Completed,
        Medication = Medication(drug),
        Subject = r.Reference("Patient", p.Id),
        Effective = new FhirDateTime(Date(given)),
        Request = r.Reference("MedicationRequest", requestId),
        ReasonReference = [r.Reference("Condition", conditionId)],
    };

    /// <summary>A course given as requests with one administration per cycle; returns the administrations' ids by date.</summary>
    private static List<(string Id, DateOnly Date)> RequestsWithAdministrations(
        SyntheticPatient p, PatientResources r, string n, string key, IReadOnlyList<DrugCode> drugs, DateOnly start, bool ongoing,
        IReadOnlyList<DateOnly> cycles, string conditionId, bool? curative)
    {
        var administrations = new List<(string, DateOnly)>();
        for (var k = 0; k < drugs.Count; k++)
        {
            var requestId = $"medrq-{n}-{key}-{k + 1}";
            var request = Request(requestId, drugs[k], p, r, start,
                ongoing ? MedicationRequest.MedicationrequestStatus.Active : MedicationRequest.MedicationrequestStatus.Completed);
            request.ReasonReference.Add(r.Reference("Condition", conditionId));
            if (curative is { } c)
            {
                request.Extension.Add(Intent(FhirProfiles.ProcedureIntent, c));
            }

            r.Resources.Add(request);
            for (var cycle = 0; cycle < cycles.Count; cycle++)
            {
                var id = $"medadm-{n}-{key}-{k + 1}-{cycle + 1}";
                var administration = Administration(id, drugs[k], p, r, cycles[cycle], requestId, conditionId);
                if (curative is { } intent)
                {
                    administration.Extension.Add(Intent(FhirProfiles.ProcedureIntent, intent));
                }

                r.Resources.Add(administration);
                administrations.Add((id, cycles[cycle]));
            }
        }

        return administrations;
    }

    private void AddLinesRealWorld(SyntheticPatient p, RealWorldRecord rw, PatientResources r, string n, string conditionId)
    {
        var meds = rw.Medications;
        if (rw.Adjuvant is { } adjuvant)
        {
            if (meds.RequestsAndAdministrations)
            {
                RequestsWithAdministrations(p, r, n, "adj", adjuvant.Drugs, adjuvant.Start, ongoing: false, adjuvant.Cycles, conditionId, curative: true);
            }
            else
            {
                for (var k = 0; k < adjuvant.Drugs.Count; k++)
                {
                    var statement = Statement($"medst-{n}-adj-{k + 1}", adjuvant.Drugs[k], p, r, adjuvant.Start, adjuvant.End);
                    statement.ReasonReference.Add(r.Reference("Condition", conditionId));
                    statement.Extension.Add(Intent(FhirProfiles.TreatmentIntentStu1, curative: true));
                    r.Resources.Add(statement);
                }
            }
        }

        for (var i = 0; i < p.Lines.Count; i++)
        {
            var line = p.Lines[i];
            var drugs = LineDrugs(p, i);
            var partOf = new List<(string Type, string Id)>();
            if (meds.RequestsAndAdministrations)
            {
                var administrations = RequestsWithAdministrations(p, r, n, line.LineNumber.ToString(Invariant), drugs, line.Start, line.End is null,
                    meds.LineCycles[i], conditionId, meds.IntentOnLines ? false : null);
                partOf.AddRange(administrations.Where(a => line.AssessedOn is null || a.Date <= line.AssessedOn).Select(a => ("MedicationAdministration", a.Id)));
            }
            else
            {
                for (var k = 0; k < drugs.Count; k++)
                {
                    var id = $"medst-{n}-{line.LineNumber}-{k + 1}";
                    var statement = Statement(id, drugs[k], p, r, line.Start, line.End);
                    statement.ReasonReference.Add(r.Reference("Condition", conditionId));
                    if (!p.Messiness.UngroupedLines)
                    {
                        statement.Identifier.Add(new Identifier(CohortSystems.TherapyLine, $"{p.Id}-line-{line.LineNumber}"));
                    }

                    if (meds.IntentOnLines)
                    {
                        statement.Extension.Add(Intent(FhirProfiles.TreatmentIntentStu1, curative: false));
                    }

                    r.Resources.Add(statement);
                    partOf.Add(("MedicationStatement", id));
                }
            }

            if (line.BestResponse is { } response && line.AssessedOn is { } assessed)
            {
                var observation = ResponseObservation(p, r, n, line.LineNumber, response, assessed, conditionId);
                foreach (var (type, id) in partOf)
                {
                    observation.PartOf.Add(r.Reference(type, id));
                }

                r.Resources.Add(observation);
            }
        }
    }

    private static void AddOtherMedications(SyntheticPatient p, RealWorldRecord rw, PatientResources r, string n, string conditionId)
    {
        var meds = rw.Medications;
        foreach (var (prefix, list) in new[] { ("supp", meds.Supportive), ("com", meds.Comorbidity) })
        {
            foreach (var other in list)
            {
                var reason = other.Reason is null ? null : new CodeableConcept { Text = other.Reason };
                if (meds.RequestsAndAdministrations)
                {
                    var request = Request($"medrq-{n}-{prefix}-{other.Key}", other.Drug, p, r, other.Start,
                        other.End is null ? MedicationRequest.MedicationrequestStatus.Active : MedicationRequest.MedicationrequestStatus.Completed, profile: null);
                    if (reason is not null)
                    {
                        request.ReasonCode.Add(reason);
                    }

                    r.Resources.Add(request);
                }
                else
                {
                    var statement = Statement($"medst-{n}-{prefix}-{other.Key}", other.Drug, p, r, other.Start, other.End);
                    statement.Meta = null;
                    if (reason is not null)
                    {
                        statement.ReasonCode.Add(reason);
                    }

                    r.Resources.Add(statement);
                }
            }
        }

        if (meds.NotTaken is { } notTaken)
        {
            var statement = new MedicationStatement
            {
                Id = $"medst-{n}-not-taken",
                Status = MedicationStatement.MedicationStatusCodes.NotTaken,
                StatusReason = [new CodeableConcept { Text = notTaken.Reason }],
                Medication = Medication(notTaken.Drug),
                Subject = r.Reference("Patient", p.Id),
                Effective = new FhirDateTime(Date(notTaken.Start)),
                DateAsserted = Date(notTaken.Start),
            };
            r.Resources.Add(statement);
        }

        if (meds.NotGiven is { } notGiven)
        {
            var request = Request($"medrq-{n}-not-given", notGiven.Drug, p, r, notGiven.AuthoredOn,
                notGiven.Draft ? MedicationRequest.MedicationrequestStatus.Draft : MedicationRequest.MedicationrequestStatus.Active,
                notGiven.Proposal ? MedicationRequest.MedicationRequestIntent.Proposal : MedicationRequest.MedicationRequestIntent.Plan);
            request.ReasonReference.Add(r.Reference("Condition", conditionId));
            request.Extension.Add(Intent(FhirProfiles.ProcedureIntent, curative: false));
            r.Resources.Add(request);
        }

        if (meds.EnteredInError is { } error)
        {
            if (meds.RequestsAndAdministrations)
            {
                var request = Request($"medrq-{n}-eie", error.Drug, p, r, error.Start, MedicationRequest.MedicationrequestStatus.EnteredInError);
                request.ReasonReference.Add(r.Reference("Condition", conditionId));
                r.Resources.Add(request);
            }
            else
            {
                var statement = Statement($"medst-{n}-eie", error.Drug, p, r, error.Start, null, MedicationStatement.MedicationStatusCodes.EnteredInError);
                statement.ReasonReference.Add(r.Reference("Condition", conditionId));
                r.Resources.Add(statement);
            }
        }
    }

    private static void AddProcedures(SyntheticPatient p, RealWorldRecord rw, PatientResources r, string n, string conditionId, Dictionary<int, string> secondaryIds)
    {
        if (rw.Surgery is { } surgery)
        {
            var procedure = new Procedure
            {
                Id = $"proc-{n}-surgery",
                Meta = new Meta { Profile = [FhirProfiles.McodeSurgicalProcedure] },
                Status = EventStatus.Completed,
                Category = Concept(RealWorldCodes.SurgicalProcedure),
                Code = surgery.Code is { } code ? Concept(code, surgery.Text) : new CodeableConcept { Text = surgery.Text },
                Subject = r.Reference("Patient", p.Id),
                Performed = new FhirDateTime(Date(surgery.PerformedOn)),
                ReasonReference = [r.Reference("Condition", conditionId)],
            };
            if (RealWorldSimulator.StageGroup(p.Stage) != "IV")
            {
                procedure.Extension.Add(Intent(FhirProfiles.ProcedureIntent, curative: true));
            }

            r.Resources.Add(procedure);
        }

        foreach (var course in rw.Radiotherapy)
        {
            var procedure = RadiotherapyProcedure($"proc-{n}-rt-{course.Sequence}", p, r);
            procedure.Status = EventStatus.Completed;
            procedure.Performed = new Period { Start = Date(course.Start), End = Date(course.End) };
            procedure.ReasonReference.Add(r.Reference("Condition", course.SecondarySequence is { } met ? secondaryIds[met] : conditionId));
            procedure.BodySite.Add(course.BodySite is { } site ? Concept(site, course.BodySiteText) : new CodeableConcept { Text = course.BodySiteText });
            procedure.Extension.Add(Intent(FhirProfiles.ProcedureIntent, course.Curative));
            procedure.Extension.Add(new Extension(FhirProfiles.RadiotherapySessions, new UnsignedInt(course.Sessions)));
            r.Resources.Add(procedure);
        }

        if (rw.ProcedureNotDone)
        {
            var procedure = RadiotherapyProcedure($"proc-{n}-not-done", p, r);
            procedure.Status = EventStatus.NotDone;
            procedure.StatusReason = new CodeableConcept { Text = "Patient declined" };
            procedure.ReasonReference.Add(r.Reference("Condition", conditionId));
            r.Resources.Add(procedure);
        }
    }

    private static Procedure RadiotherapyProcedure(string id, SyntheticPatient p, PatientResources r) => new()
    {
        Id = id,
        Meta = new Meta { Profile = [FhirProfiles.McodeRadiotherapyCourseSummary] },
        Category = Concept(RealWorldCodes.RadiationOncology),
        Code = Concept(RealWorldCodes.RadiotherapyCourse, "Radiotherapy course"),
        Subject = r.Reference("Patient", p.Id),
    };
}
