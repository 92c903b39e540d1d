using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Hl7.Fhir.Model;
using Precision.Clinical;
using Precision.Clinical.Catalog;
using Precision.Cohort.RealWorld;

namespace Precision.Cohort;

/// <summary>The FHIR resources of one patient, in a stable order, and the references that point between them.</summary>
public sealed class PatientResources
{
    private readonly List<(ResourceReference Reference, string Type, string Id)> _references = [];

    public List<Resource> Resources { get; } = [];

    public ResourceReference Reference(string type, string id, string? display = null)
    {
        var reference = new ResourceReference(type + "/" + id, display);
        _references.Add((reference, type, id));
        return reference;
    }

    /// <summary>Rewrites every internal reference to the urn:uuid of its target (for a transaction Bundle).</summary>
    public void UseUuidReferences(Func<string, string, string> fullUrl)
    {
        ArgumentNullException.ThrowIfNull(fullUrl);
        foreach (var (reference, type, id) in _references)
        {
            reference.Reference = fullUrl(type, id);
        }
    }

    /// <summary>Rewrites every internal reference back to <c>Type/id</c> (for ndjson and servers).</summary>
    public void UseRelativeReferences()
    {
        foreach (var (reference, type, id) in _references)
        {
            reference.Reference = type + "/" + id;
        }
    }
}

/// <summary>Builds mCODE / US Core / Genomics Reporting shaped FHIR R4 resources from a simulated patient.</summary>
public sealed partial class FhirBuilder(TherapyCatalog catalog, long seed)
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private readonly TherapyCatalog _catalog = catalog ?? throw new ArgumentNullException(nameof(catalog));

    /// <summary>Deterministic urn:uuid for a resource (name-based, SHA-256 of seed and Type/id).</summary>
    public string FullUrl(string type, string id)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(string.Create(Invariant, $"precision-cohort:{seed}:{type}/{id}")));
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8 (custom, RFC 9562)
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        var hex = Convert.ToHexStringLower(bytes.AsSpan(0, 16));
        return string.Create(Invariant, $"urn:uuid:{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..32]}");
    }

    public PatientResources Build(SyntheticPatient p)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.RealWorld is { } realWorld)
        {
            return BuildRealWorld(p, realWorld);
        }

        var r = new PatientResources();
        var n = p.Id["pat-".Length..];
        r.Resources.Add(BuildPatient(p));

        var conditionId = $"cond-{n}-1";
        r.Resources.Add(BuildCondition(p, r, conditionId, p.CancerType, p.DiagnosedOn, active: true));
        if (p.SecondPrimary is { } second)
        {
            r.Resources.Add(BuildCondition(p, r, $"cond-{n}-2", second.CancerType, second.DiagnosedOn, active: false));
        }

        if (!p.Messiness.MissingStage)
        {
            var stage = Observation($"obs-{n}-stage", FhirProfiles.McodeTnmStageGroup, "survey", LoincCodes.StageGroupClinical, "Stage group.clinical Cancer", p.DiagnosedOn, r, p);
            stage.Value = new CodeableConcept(CodeSystems.PrecisionPortal, "stage-" + p.Stage, "Stage " + p.Stage, "Stage " + p.Stage);
            stage.Focus.Add(r.Reference("Condition", conditionId));
            stage.Method = new CodeableConcept { Text = "AJCC 8th edition" };
            r.Resources.Add(stage);
        }

        AddEcogAndSmoking(p, r, n);
        AddLabs(p, r, n);
        AddLines(p, r, n, conditionId);
        AddGenomics(p, r, n, conditionId, shape: null);
        return r;
    }

    private static void AddEcogAndSmoking(SyntheticPatient p, PatientResources r, string n)
    {
        foreach (var e in p.EcogAssessments)
        {
            var ecog = Observation($"obs-{n}-ecog-{e.Sequence}", FhirProfiles.McodeEcog, "survey", LoincCodes.EcogPerformanceStatus, "ECOG Performance Status score", e.Date, r, p);
            ecog.Value = new Integer(e.Score);
            r.Resources.Add(ecog);
        }

        var smoking = Observation($"obs-{n}-smoking", FhirProfiles.UsCoreSmokingStatus, "social-history", LoincCodes.TobaccoSmokingStatus, "Tobacco smoking status", p.DiagnosedOn, r, p);
        smoking.Value = p.Smoking switch
        {
            SmokingStatusCategory.Never => new CodeableConcept(CodeSystems.Snomed, SnomedCodes.NeverSmoker, "Never smoker", "Never smoker"),
            SmokingStatusCategory.Former => new CodeableConcept(CodeSystems.Snomed, SnomedCodes.FormerSmoker, "Former smoker", "Former smoker"),
            _ => new CodeableConcept(CodeSystems.Snomed, SnomedCodes.CurrentEveryDaySmoker, "Current every day smoker", "Current smoker"),
        };
        r.Resources.Add(smoking);
    }

    private static Patient BuildPatient(SyntheticPatient p)
    {
        var patient = new Patient
        {
            Id = p.Id,
            Meta = new Meta { Profile = [FhirProfiles.McodeCancerPatient, FhirProfiles.UsCorePatient] },
            Identifier =
            [
                new Identifier(CodeSystems.MedicalRecordNumber, p.Mrn)
                {
                    Use = Identifier.IdentifierUse.Usual,
                    Type = new CodeableConcept(CodeSystems.V2Table0203, "MR", "Medical record number", "Medical record number"),
                },
            ],
            Name = [new HumanName { Use = HumanName.NameUse.Official, Family = p.FamilyName, Given = [p.GivenName], Text = p.GivenName + " " + p.FamilyName }],
            Gender = p.Sex switch
            {
                AdministrativeSex.Female => AdministrativeGender.Female,
                AdministrativeSex.Male => AdministrativeGender.Male,
                AdministrativeSex.Other => AdministrativeGender.Other,
                _ => AdministrativeGender.Unknown,
            },
            BirthDate = Date(p.BirthDate),
        };
        patient.Extension.Add(OmbExtension(CodeSystems.UsCoreRace, p.Race));
        patient.Extension.Add(OmbExtension(CodeSystems.UsCoreEthnicity, p.Ethnicity));
        return patient;
    }

    private static Extension OmbExtension(string url, OmbCategory category)
    {
        var extension = new Extension { Url = url };
        extension.Extension.Add(new Extension("ombCategory", new Coding(category.System, category.Code, category.Display)));
        extension.Extension.Add(new Extension("text", new FhirString(category.Display)));
        return extension;
    }

    private static Condition BuildCondition(SyntheticPatient p, PatientResources r, string id, CancerType type, DateOnly diagnosedOn, bool active)
    {
        var coding = CancerTypes.All.First(c => c.CancerType == type);
        var profile = CohortProfiles.Of(type);
        var code = new CodeableConcept { Text = coding.DisplayName };
        code.Coding.Add(new Coding(CodeSystems.Snomed, coding.SnomedCode, coding.SnomedDisplay));
        code.Coding.Add(new Coding(CodeSystems.Icd10Cm, coding.Icd10Code, coding.DisplayName));
        return new Condition
        {
            Id = id,
            Meta = new Meta { Profile = [FhirProfiles.McodePrimaryCancerCondition] },
            ClinicalStatus = new CodeableConcept(CodeSystems.ConditionClinical, active ? "active" : "remission", active ? "Active" : "Remission", null),
            VerificationStatus = new CodeableConcept(CodeSystems.ConditionVerification, "confirmed", "Confirmed", null),
            Category = [new CodeableConcept(CohortSystems.ConditionCategory, "problem-list-item", "Problem List Item", null)],
            Code = code,
            BodySite = [new CodeableConcept(CodeSystems.Snomed, profile.BodySiteSnomed, profile.BodySiteDisplay, profile.BodySiteDisplay)],
            Subject = r.Reference("Patient", p.Id),
            Onset = new FhirDateTime(Date(diagnosedOn)),
            RecordedDate = Date(diagnosedOn.AddDays(3)),
        };
    }

    private static Observation Observation(string id, string? profile, string category, string loinc, string display, DateOnly effective, PatientResources r, SyntheticPatient p)
    {
        var observation = new Observation
        {
            Id = id,
            Status = ObservationStatus.Final,
            Category = [new CodeableConcept(CodeSystems.ObservationCategory, category, CategoryDisplay(category), null)],
            Code = new CodeableConcept(CodeSystems.Loinc, loinc, display, display),
            Subject = r.Reference("Patient", p.Id),
            Effective = new FhirDateTime(Date(effective)),
        };
        if (profile is not null)
        {
            observation.Meta = new Meta { Profile = [profile] };
        }

        return observation;
    }

    private static string CategoryDisplay(string category) => category switch
    {
        "laboratory" => "Laboratory",
        "survey" => "Survey",
        "social-history" => "Social History",
        _ => category,
    };

    private static string AnalyteKey(LabAnalyte a) => a switch
    {
        LabAnalyte.Hemoglobin => "hgb",
        LabAnalyte.Neutrophils => "neut",
        LabAnalyte.Platelets => "plt",
        LabAnalyte.Creatinine => "creat",
        LabAnalyte.AlanineAminotransferase => "alt",
        LabAnalyte.AspartateAminotransferase => "ast",
        LabAnalyte.TotalBilirubin => "bili",
        LabAnalyte.Albumin => "alb",
        LabAnalyte.LactateDehydrogenase => "ldh",
        LabAnalyte.CarcinoembryonicAntigen => "cea",
        LabAnalyte.Ca125 => "ca125",
        LabAnalyte.Ca199 => "ca199",
        _ => a.ToString().ToLowerInvariant(),
    };

    private static void AddLabs(SyntheticPatient p, PatientResources r, string n)
    {
        Observation? firstLab = null;
        foreach (var draw in p.Labs)
        {
            foreach (var value in draw.Values)
            {
                var def = LabAnalytes.Of(value.Analyte);
                var (amount, unit, low, high) = (value.Value, def.CanonicalUnit, def.ReferenceRange.Low, def.ReferenceRange.High);
                if (draw.SiUnits && value.Analyte == LabAnalyte.Albumin)
                {
                    (amount, unit, low, high) = (value.Value * 10, "g/L", low * 10, high * 10);
                }
                else if (draw.SiUnits && value.Analyte == LabAnalyte.Creatinine)
                {
                    (amount, unit, low, high) = (Math.Round(value.Value * 88.42m, 0), "umol/L", Math.Round(low * 88.42m, 0), Math.Round(high * 88.42m, 0));
                }

                var lab = LabObservation($"obs-{n}-lab-{draw.Sequence}-{AnalyteKey(value.Analyte)}", def.LoincCode, def.DisplayName, draw.Date, amount, unit, low, high, r, p);
                r.Resources.Add(lab);
                firstLab ??= lab;
            }
        }

        if (firstLab is null)
        {
            return;
        }

        var firstDate = p.Labs[0].Date;
        if (p.Messiness.DuplicateLab)
        {
            var duplicate = (Observation)firstLab.DeepCopy();
            duplicate.Id = firstLab.Id + "-dup";
            duplicate.Subject = r.Reference("Patient", p.Id);
            r.Resources.Add(duplicate);
        }

        if (p.Messiness.EnteredInError)
        {
            var def = LabAnalytes.Of(LabAnalyte.Hemoglobin);
            var wrong = LabObservation($"obs-{n}-lab-eie", def.LoincCode, def.DisplayName, firstDate, 1.2m, def.CanonicalUnit, def.ReferenceRange.Low, def.ReferenceRange.High, r, p);
            wrong.Status = ObservationStatus.EnteredInError;
            r.Resources.Add(wrong);
        }

        if (p.Messiness.UnknownLoinc)
        {
            // A real LOINC code (potassium, serum/plasma) that the portal does not read.
            r.Resources.Add(LabObservation($"obs-{n}-lab-unknown", "2823-3", "Potassium [Moles/volume] in Serum or Plasma", firstDate, 4.2m, "mmol/L", 3.5m, 5.1m, r, p));
        }
    }

    private static Observation LabObservation(string id, string loinc, string display, DateOnly date, decimal value, string unit, decimal low, decimal high, PatientResources r, SyntheticPatient p)
    {
        var lab = Observation(id, FhirProfiles.UsCoreLab, "laboratory", loinc, display, date, r, p);
        lab.Value = new Quantity(value, unit) { Unit = unit };
        lab.ReferenceRange.Add(new Observation.ReferenceRangeComponent
        {
            Low = new Quantity(low, unit) { Unit = unit },
            High = new Quantity(high, unit) { Unit = unit },
        });
        return lab;
    }

    private void AddLines(SyntheticPatient p, PatientResources r, string n, string conditionId)
    {
        foreach (var line in p.Lines)
        {
            var therapy = _catalog.Therapy(line.TherapyId);
            var medicationIds = new List<string>();
            for (var k = 0; k < therapy.Medications.Count; k++)
            {
                var med = therapy.Medications[k];
                var id = $"medst-{n}-{line.LineNumber}-{k + 1}";
                medicationIds.Add(id);
                var statement = new MedicationStatement
                {
                    Id = id,
                    Meta = new Meta { Profile = [FhirProfiles.McodeMedicationStatement] },
                    Status = line.End is null ? MedicationStatement.MedicationStatusCodes.Active : MedicationStatement.MedicationStatusCodes.Completed,
                    Medication = new CodeableConcept(CodeSystems.RxNorm, med.RxNormCode, med.Name, med.Name),
                    Subject = r.Reference("Patient", p.Id),
                    Effective = new Period
                    {
                        Start = Date(line.Start),
                        End = line.End is { } end ? Date(end) : null,
                    },
                    DateAsserted = Date(line.Start),
                    ReasonReference = [r.Reference("Condition", conditionId)],
                };
                if (!p.Messiness.UngroupedLines)
                {
                    statement.Identifier.Add(new Identifier(CohortSystems.TherapyLine, $"{p.Id}-line-{line.LineNumber}"));
                }

                r.Resources.Add(statement);
            }

            if (line.BestResponse is { } response && line.AssessedOn is { } assessed)
            {
                var observation = ResponseObservation(p, r, n, line.LineNumber, response, assessed, conditionId);
                foreach (var id in medicationIds)
                {
                    observation.PartOf.Add(r.Reference("MedicationStatement", id));
                }

                r.Resources.Add(observation);
            }
        }
    }

    private static Observation ResponseObservation(SyntheticPatient p, PatientResources r, string n, int lineNumber, RecistResponse response, DateOnly assessed, string conditionId)
    {
        var (code, display) = response switch
        {
            RecistResponse.CompleteResponse => (LoincCodes.CompleteResponseAnswer, "Complete response"),
            RecistResponse.PartialResponse => (LoincCodes.PartialResponseAnswer, "Partial response"),
            RecistResponse.StableDisease => (LoincCodes.StableDiseaseAnswer, "Stable disease"),
            _ => (LoincCodes.ProgressiveDiseaseAnswer, "Progressive disease"),
        };
        var observation = Observation($"obs-{n}-response-{lineNumber}", null, "survey", LoincCodes.ResponseToCancerTreatment, "Response to cancer treatment", assessed, r, p);
        observation.Value = new CodeableConcept(CodeSystems.Loinc, code, display, display);
        observation.Method = new CodeableConcept { Text = "RECIST 1.1 best overall response" };
        observation.Focus.Add(r.Reference("Condition", conditionId));
        return observation;
    }

    /// <summary>The genomics report and its observations; <paramref name="shape"/> null: the shape the generator always wrote.</summary>
    private static void AddGenomics(SyntheticPatient p, PatientResources r, string n, string conditionId, GenomicsShape? shape)
    {
        var g = p.Genomics;
        var results = new List<Observation>();
        var implications = new List<Observation>();
        var stu3 = shape?.Stu3Report == true;
        var geneSystem = stu3 ? CodeSystems.HgncStu3 : CodeSystems.Hgnc;
        var specimenId = $"spec-{n}-1";
        var k = 0;

        void OnSpecimen(Observation o)
        {
            if (shape is not null)
            {
                o.Specimen = r.Reference("Specimen", specimenId);
            }
        }

        void Significance(Observation variant, string answer, string display)
        {
            if (shape is null)
            {
                return;
            }

            if (shape.LegacySignificance)
            {
                variant.Component.Add(SignificanceComponent(answer, display));
                return;
            }

            var implication = GenomicObservation($"obs-{n}-gx-dximp-{implications.Count + 1}", FhirProfiles.GenomicsDiagnosticImplication, null, "Diagnostic implication", g, r, p);
            implication.Code = new CodeableConcept { Text = "Diagnostic implication", Coding = [new Coding(RealWorldCodes.TbdCodes, RealWorldCodes.DiagnosticImplicationCode)] };
            implication.DerivedFrom.Add(r.Reference("Observation", variant.Id!));
            implication.Component.Add(SignificanceComponent(answer, display));
            implications.Add(implication);
        }

        Observation SmallVariant(string id, SmallVariantInfo info, CodeableConcept value, decimal? alleleFraction, GenomicSourceClass? origin)
        {
            var o = GenomicObservation(id, FhirProfiles.GenomicsVariant, LoincCodes.GeneticVariantAssessment, "Genetic variant assessment", g, r, p);
            o.Value = value;
            o.Component.Add(Component(LoincCodes.GeneStudied, "Gene studied [ID]", Hgnc(info.Gene, geneSystem)));
            o.Component.Add(Component(LoincCodes.DnaChangeCHgvs, "DNA change (c.HGVS)", new CodeableConcept(CodeSystems.HgvsNomenclature, info.CodingHgvs, info.CodingHgvs, info.CodingHgvs)));
            o.Component.Add(Component(LoincCodes.AminoAcidChangePHgvs, "Amino acid change (pHGVS)", new CodeableConcept(CodeSystems.HgvsNomenclature, info.ProteinHgvs, info.ProteinHgvs, info.ProteinHgvs)));
            o.Component.Add(Component(LoincCodes.DnaChangeType, "DNA change type", new CodeableConcept(CodeSystems.SequenceOntology, info.ChangeTypeCode, info.ChangeTypeDisplay, info.ChangeTypeDisplay)));
            if (alleleFraction is { } vaf)
            {
                o.Component.Add(Component(LoincCodes.SampleVariantAlleleFrequency, "Sample variant allelic frequency [NFr]",
                    new Quantity(vaf, "1") { Unit = "relative frequency of a particular allele in the specimen" }));
            }

            if (origin is { } source)
            {
                o.Component.Add(Component(LoincCodes.GenomicSourceClass, "Genomic source class", SourceClass(source)));
            }

            OnSpecimen(o);
            return o;
        }

        foreach (var v in g.Variants)
        {
            var o = SmallVariant($"obs-{n}-gx-variant-{++k}", v.Variant, Present(), v.AlleleFraction, v.Origin);
            if (v.Variant.Gene.Symbol is "BRCA1" or "BRCA2" && shape is not null)
            {
                var likely = shape.LikelyPathogenic.TryGetValue(v.Variant.Key, out var l) && l;
                Significance(o, likely ? LoincCodes.LikelyPathogenicAnswer : LoincCodes.PathogenicAnswer, likely ? "Likely pathogenic" : "Pathogenic");
            }

            results.Add(o);
        }

        if (shape is not null)
        {
            k = 0;
            foreach (var negative in shape.PertinentNegatives)
            {
                var o = SmallVariant($"obs-{n}-gx-negative-{++k}", negative, new CodeableConcept(CodeSystems.Loinc, LoincCodes.AbsentAnswer, "Absent", "Absent"), null, null);
                o.Code.Text = $"{negative.Gene.Symbol} {negative.ProteinHgvs} not detected";
                results.Add(o);
            }

            if (shape.UncertainSignificance is { } vus)
            {
                var germline = vus.Gene.Symbol == "BRCA2";
                var o = SmallVariant($"obs-{n}-gx-vus", vus, Present(), germline ? 0.49m : 0.23m, germline ? GenomicSourceClass.Germline : GenomicSourceClass.Somatic);
                Significance(o, LoincCodes.UncertainSignificanceAnswer, "Uncertain significance");
                results.Add(o);
            }

            if (shape.Benign is { } benign)
            {
                var o = SmallVariant($"obs-{n}-gx-benign", benign, Present(), 0.51m, GenomicSourceClass.Germline);
                Significance(o, LoincCodes.BenignAnswer, "Benign");
                results.Add(o);
            }
        }

        k = 0;
        foreach (var f in g.Fusions)
        {
            var o = GenomicObservation($"obs-{n}-gx-fusion-{++k}", FhirProfiles.GenomicsVariant, LoincCodes.GeneticVariantAssessment, "Genetic variant assessment", g, r, p);
            o.Code.Text = $"{f.FivePrime.Symbol}::{f.ThreePrime.Symbol} fusion";
            o.Value = Present();
            o.Component.Add(Component(LoincCodes.GeneStudied, "Gene studied [ID] (5' partner)", Hgnc(f.FivePrime, geneSystem)));
            o.Component.Add(Component(LoincCodes.GeneStudied, "Gene studied [ID] (3' partner)", Hgnc(f.ThreePrime, geneSystem)));
            o.Component.Add(Component(LoincCodes.DnaChangeType, "DNA change type", new CodeableConcept(CodeSystems.SequenceOntology, GenomicsKnowledge.SoGeneFusion, "gene_fusion", "gene fusion")));
            o.Component.Add(Component(LoincCodes.GenomicSourceClass, "Genomic source class", SourceClass(GenomicSourceClass.Somatic)));
            OnSpecimen(o);
            results.Add(o);
        }

        k = 0;
        foreach (var c in g.CopyNumbers)
        {
            var o = GenomicObservation($"obs-{n}-gx-cnv-{++k}", FhirProfiles.GenomicsVariant, LoincCodes.GeneticVariantAssessment, "Genetic variant assessment", g, r, p);
            o.Code.Text = $"{c.Gene.Symbol} amplification";
            o.Value = Present();
            o.Component.Add(Component(LoincCodes.GeneStudied, "Gene studied [ID]", Hgnc(c.Gene, geneSystem)));
            o.Component.Add(Component(LoincCodes.DnaChangeType, "DNA change type", new CodeableConcept(CodeSystems.SequenceOntology, GenomicsKnowledge.SoCopyNumberGain, "copy_number_gain", "copy number gain")));
            o.Component.Add(Component(LoincCodes.CopyNumber, "Genomic structural variant copy number", new Quantity(c.CopyNumber, "1") { Unit = "copies" }));
            o.Component.Add(Component(LoincCodes.GenomicSourceClass, "Genomic source class", SourceClass(GenomicSourceClass.Somatic)));
            OnSpecimen(o);
            results.Add(o);
        }

        var tmb = GenomicObservation($"obs-{n}-gx-tmb", stu3 ? FhirProfiles.GenomicsMolecularBiomarker : FhirProfiles.GenomicsTmb, LoincCodes.TumorMutationalBurden, "Mutations/Megabase [# Ratio] in Tumor", g, r, p);
        tmb.Value = new Quantity(g.TmbPerMb, "1/1000000{Base}") { Unit = "mutations per megabase" };
        results.Add(tmb);

        var msi = GenomicObservation($"obs-{n}-gx-msi", stu3 ? FhirProfiles.GenomicsMolecularBiomarker : FhirProfiles.GenomicsMsi, LoincCodes.MicrosatelliteInstability, "Microsatellite instability [Interpretation] in Cancer specimen Qualitative", g, r, p);
        msi.Value = g.Msi switch
        {
            MicrosatelliteStatus.InstabilityHigh => new CodeableConcept(CodeSystems.Loinc, LoincCodes.MsiHighAnswer, "MSI-H", "MSI-H"),
            MicrosatelliteStatus.InstabilityLow => new CodeableConcept(CodeSystems.Loinc, LoincCodes.MsiLowAnswer, "MSI-L", "MSI-L"),
            _ => new CodeableConcept(CodeSystems.Loinc, LoincCodes.MsiStableAnswer, "Stable", "MSS"),
        };
        results.Add(msi);

        if (g.PdL1Tps is { } tps)
        {
            var o = GenomicObservation($"obs-{n}-gx-pdl1", null, LoincCodes.PdL1TumorProportionScore, "PD-L1 by clone 22C3 [Interpretation] in Tissue by Immune stain", g, r, p);
            o.Code.Text = "PD-L1 tumor proportion score (22C3)";
            o.Value = new Quantity(tps, "%") { Unit = "%" };
            o.Method = new CodeableConcept { Text = "Tumor proportion score (TPS)" };
            results.Add(o);
        }

        if (g.HormoneReceptorPositive is { } hr)
        {
            var o = GenomicObservation($"obs-{n}-gx-er", null, LoincCodes.EstrogenReceptorStatus, "Estrogen receptor Ag [Presence] in Breast cancer specimen by Immune stain", g, r, p);
            o.Value = new CodeableConcept { Text = hr ? "Positive" : "Negative" };
            results.Add(o);
        }

        var gep = GenomicObservation($"obs-{n}-gx-gep", null, null, "T-cell-inflamed gene expression profile score", g, r, p);
        gep.Code = new CodeableConcept(CodeSystems.PrecisionPortal, CohortSystems.TcellInflamedGepCode, "T-cell-inflamed gene expression profile score", "T-cell-inflamed GEP score");
        gep.Value = new Quantity { Value = g.TcellInflamedScore, System = CodeSystems.Ucum, Code = "1", Unit = "score" };
        results.Add(gep);

        foreach (var pgx in new[] { g.Dpyd, g.Ugt1a1 })
        {
            var key = pgx.Gene.Symbol.ToLowerInvariant();
            var genotype = GenomicObservation($"obs-{n}-gx-{key}-genotype", FhirProfiles.GenomicsGenotype, LoincCodes.GenotypeDisplayName, "Genotype display name", g, r, p);
            genotype.Value = new CodeableConcept { Text = $"{pgx.Gene.Symbol} {pgx.Genotype}" };
            genotype.Component.Add(Component(LoincCodes.GeneStudied, "Gene studied [ID]", Hgnc(pgx.Gene, geneSystem)));
            genotype.Component.Add(Component(LoincCodes.GenomicSourceClass, "Genomic source class", SourceClass(GenomicSourceClass.Germline)));
            results.Add(genotype);

            var phenotype = GenomicObservation($"obs-{n}-gx-{key}-phenotype", null, LoincCodes.PharmacogenomicPhenotype, "Genetic variation's effect on drug metabolism", g, r, p);
            phenotype.Value = new CodeableConcept { Text = pgx.Phenotype switch
            {
                MetabolizerPhenotype.Poor => "Poor Metabolizer",
                MetabolizerPhenotype.Intermediate => "Intermediate Metabolizer",
                _ => "Normal Metabolizer",
            } };
            phenotype.Component.Add(Component(LoincCodes.GeneStudied, "Gene studied [ID]", Hgnc(pgx.Gene, geneSystem)));
            phenotype.DerivedFrom.Add(r.Reference("Observation", genotype.Id!));
            results.Add(phenotype);
        }

        var report = new DiagnosticReport
        {
            Id = $"dr-{n}-genomics",
            Meta = new Meta { Profile = [stu3 ? FhirProfiles.GenomicReport : FhirProfiles.GenomicsReport] },
            Status = DiagnosticReport.DiagnosticReportStatus.Final,
            Category =
            [
                new CodeableConcept(CodeSystems.V2Table0074, "GE", "Genetics", null),
                new CodeableConcept(CodeSystems.V2Table0074, "LAB", "Laboratory", null),
            ],
            Code = stu3
                ? new CodeableConcept(CodeSystems.Loinc, LoincCodes.GeneticAnalysisReport, "Genetic analysis report", "Comprehensive genomic profiling report")
                : new CodeableConcept(CodeSystems.Loinc, LoincCodes.GenomicsReport, "Master HL7 genetic variant reporting panel", "Comprehensive genomic profiling report"),
            Subject = r.Reference("Patient", p.Id),
            Effective = new FhirDateTime(Date(g.ReportedOn)),
            Issued = new DateTimeOffset(g.ReportedOn.ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero),
            Conclusion = string.Join("; ", Summary(g)),
        };
        report.Extension.Add(new Extension("http://hl7.org/fhir/StructureDefinition/workflow-reasonReference", r.Reference("Condition", conditionId)));
        var all = new List<Observation>(results);
        if (stu3)
        {
            // Genomics Reporting STU3 grouping: the report lists a grouping Observation whose hasMember holds the findings.
            var grouping = GenomicObservation($"obs-{n}-gx-group", null, LoincCodes.GenomicsReport, "Master HL7 genetic variant reporting panel", g, r, p);
            grouping.Code.Text = "Genomic findings";
            foreach (var o in results)
            {
                grouping.HasMember.Add(r.Reference("Observation", o.Id!));
            }

            report.Result.Add(r.Reference("Observation", grouping.Id!));
            all.Insert(0, grouping);
        }
        else
        {
            foreach (var o in results)
            {
                report.Result.Add(r.Reference("Observation", o.Id!));
            }
        }

        foreach (var o in implications)
        {
            report.Result.Add(r.Reference("Observation", o.Id!));
        }

        all.AddRange(implications);
        if (shape is not null)
        {
            report.Specimen.Add(r.Reference("Specimen", specimenId));
            if (shape.NoSubject)
            {
                // Seen in real feeds: the findings name no subject and are reachable only through the report.
                foreach (var o in all)
                {
                    o.Subject = null;
                }
            }
        }

        r.Resources.Add(report);
        r.Resources.AddRange(all);
        if (shape is not null)
        {
            r.Resources.Add(new Specimen
            {
                Id = specimenId,
                Meta = new Meta { Profile = [FhirProfiles.McodeHumanSpecimen] },
                Status = Specimen.SpecimenStatus.Available,
                Type = new CodeableConcept { Text = "Tumor tissue" },
                Subject = r.Reference("Patient", p.Id),
                Collection = new Specimen.CollectionComponent { Collected = new FhirDateTime(Date(shape.SpecimenCollectedOn)) },
            });
        }
    }

    private static IEnumerable<string> Summary(Genomics g)
    {
        foreach (var v in g.Variants)
        {
            yield return $"{v.Variant.Gene.Symbol} {v.Variant.ProteinHgvs}";
        }

        foreach (var f in g.Fusions)
        {
            yield return $"{f.FivePrime.Symbol}::{f.ThreePrime.Symbol} fusion";
        }

        foreach (var c in g.CopyNumbers)
        {
            yield return $"{c.Gene.Symbol} amplification";
        }

        yield return string.Create(Invariant, $"TMB {g.TmbPerMb} mut/Mb");
        yield return g.Msi switch
        {
            MicrosatelliteStatus.InstabilityHigh => "MSI-H",
            MicrosatelliteStatus.InstabilityLow => "MSI-L",
            _ => "MSS",
        };
    }

    private static Observation GenomicObservation(string id, string? profile, string? loinc, string display, Genomics g, PatientResources r, SyntheticPatient p)
    {
        var o = Observation(id, profile, "laboratory", loinc ?? string.Empty, display, g.ReportedOn, r, p);
        o.Category.Add(new CodeableConcept(CodeSystems.V2Table0074, "GE", "Genetics", null));
        return o;
    }

    private static CodeableConcept Present() => new(CodeSystems.Loinc, "LA9633-4", "Present", "Present");

    private static CodeableConcept Hgnc(GeneInfo gene, string system) => new(system, gene.HgncId, gene.Symbol, gene.Symbol);

    /// <summary>Clinical significance (LOINC 53037-8; its long name was not verified, so the coding has no display).</summary>
    private static Observation.ComponentComponent SignificanceComponent(string answer, string display) => new()
    {
        Code = new CodeableConcept { Text = "Clinical significance", Coding = [new Coding(CodeSystems.Loinc, LoincCodes.ClinicalSignificance)] },
        Value = new CodeableConcept(CodeSystems.Loinc, answer, display, display),
    };

    private static CodeableConcept SourceClass(GenomicSourceClass origin) => origin == GenomicSourceClass.Germline
        ? new CodeableConcept(CodeSystems.Loinc, LoincCodes.GermlineAnswer, "Germline", "Germline")
        : new CodeableConcept(CodeSystems.Loinc, LoincCodes.SomaticAnswer, "Somatic", "Somatic");

    private static Observation.ComponentComponent Component(string loinc, string display, DataType value) => new()
    {
        Code = new CodeableConcept(CodeSystems.Loinc, loinc, display, display),
        Value = value,
    };

    private static string Date(DateOnly d) => d.ToString("yyyy-MM-dd", Invariant);
}
