using System.Text.Json;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Precision.Clinical;
using Precision.Clinical.Terminology;
using Precision.Cohort.RealWorld;
using Xunit.Abstractions;

namespace Precision.Cohort.Tests;

/// <summary>2,000 patients generated once, with their real-world shapes, for the rate and consistency tests.</summary>
public sealed class RealWorldCohortFixture
{
    public const long Seed = 2000;

    public RealWorldCohortFixture()
    {
        var generator = TestSupport.Generator();
        Patients = [.. Enumerable.Range(1, 2000).AsParallel().AsOrdered().Select(i => generator.GeneratePatient(Seed, i))];
    }

    public IReadOnlyList<GeneratedPatient> Patients { get; }
}

public sealed partial class RealWorldShapesTests(RealWorldCohortFixture cohort, ITestOutputHelper output) : IClassFixture<RealWorldCohortFixture>
{
    private static readonly DateOnly ReferenceDate = new(2025, 6, 30);

    private IEnumerable<GeneratedPatient> Kept => cohort.Patients.Where(p => !p.Patient.Replaced);

    private static RealWorldRecord Rw(GeneratedPatient p) => p.Patient.RealWorld!;

    private static string StageGroup(GeneratedPatient p) => RealWorldSimulator.StageGroup(p.Patient.Stage);

    private static IEnumerable<string> Codes(CodeableConcept? concept) => concept?.Coding.Select(c => c.Code).OfType<string>() ?? [];

    private void AssertRate(string name, IEnumerable<GeneratedPatient> group, Func<GeneratedPatient, bool> has, double expected, double extraTolerance = 0)
    {
        var list = group.ToList();
        Assert.True(list.Count >= 30, $"{name}: only {list.Count} patients");
        var observed = list.Count(has) / (double)list.Count;
        var tolerance = 4 * Math.Sqrt(expected * (1 - expected) / list.Count) + 0.01 + extraTolerance;
        output.WriteLine($"{name}: {observed:P1} of {list.Count} (configured {expected:P1}, tolerance ±{tolerance:P1})");
        Assert.True(Math.Abs(observed - expected) <= tolerance, $"{name}: observed {observed:P1} of {list.Count}, configured {expected:P1} (tolerance ±{tolerance:P1})");
    }

    private void AssertBand(string name, IEnumerable<GeneratedPatient> group, Func<GeneratedPatient, bool> has, double low, double high)
    {
        var list = group.ToList();
        Assert.True(list.Count >= 30, $"{name}: only {list.Count} patients");
        var observed = list.Count(has) / (double)list.Count;
        output.WriteLine($"{name}: {observed:P1} of {list.Count} (expected {low:P0}–{high:P0})");
        Assert.InRange(observed, low, high);
    }

    private static Condition Primary(GeneratedPatient p) => p.Resources.OfType<Condition>().Single(c => c.Id == $"cond-{p.Patient.Id[4..]}-1");

    [Fact]
    public void Unsupported_histologies_replace_patients_at_their_rates_and_have_no_truth_rows()
    {
        var all = cohort.Patients;
        AssertRate("small cell of lung cancers", all.Where(p => p.Patient.CancerType == CancerType.NonSmallCellLungCancer),
            p => Rw(p).Replacement?.Histology == UnsupportedHistology.SmallCellLungCancer, RealWorldRates.SmallCellOfLung);
        AssertRate("neuroendocrine of pancreatic cancers", all.Where(p => p.Patient.CancerType == CancerType.PancreaticCancer),
            p => Rw(p).Replacement?.Histology == UnsupportedHistology.PancreaticNeuroendocrineTumor, RealWorldRates.NeuroendocrineOfPancreas);
        AssertRate("uveal of melanomas", all.Where(p => p.Patient.CancerType == CancerType.Melanoma),
            p => Rw(p).Replacement?.Histology == UnsupportedHistology.UvealMelanoma, RealWorldRates.UvealOfMelanoma, extraTolerance: 0.01);

        var catalogCodes = TestSupport.Catalog.Therapies.ToDictionary(t => t.Id, t => t.Medications.Select(m => m.RxNormCode).Order(StringComparer.Ordinal).ToList());
        foreach (var p in all.Where(p => p.Patient.Replaced))
        {
            Assert.Empty(p.Patient.Truth);
            Assert.Empty(p.Patient.Genomics.Variants);
            Assert.Empty(p.Patient.Genomics.Fusions);
            Assert.Empty(p.Patient.Genomics.CopyNumbers);
            // No driver: nothing found but the variant of uncertain significance or the benign one.
            Assert.DoesNotContain(p.Resources.OfType<Observation>(), o => Codes(o.Code).Contains("69548-6") && Codes(o.Value as CodeableConcept).Contains("LA9633-4")
                && !o.Id!.EndsWith("-gx-vus", StringComparison.Ordinal) && !o.Id.EndsWith("-gx-benign", StringComparison.Ordinal));
            Assert.DoesNotContain(p.Resources.OfType<Observation>(), o => Codes(o.Code).Contains(LoincCodes.PdL1TumorProportionScore));

            // No line is a catalog regimen: group the written medications by line start, compare RxNorm sets.
            var lines = LineMedications(p);
            Assert.NotEmpty(lines);
            foreach (var codes in lines.Values)
            {
                Assert.DoesNotContain(catalogCodes.Values, c => c.SequenceEqual(codes.Order(StringComparer.Ordinal)));
            }
        }
    }

    /// <summary>RxNorm codes of the palliative line medications, by start date (statements and requests with an order intent).</summary>
    private static Dictionary<string, List<string>> LineMedications(GeneratedPatient p)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var line in p.Patient.Lines)
        {
            result[line.Start.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)] = [];
        }

        foreach (var resource in p.Resources)
        {
            var (start, medication, status) = resource switch
            {
                MedicationStatement s when s.Id!.Contains("-adj-", StringComparison.Ordinal) is false && s.ReasonReference.Count > 0 && s.Effective is Period period
                    => (period.Start, s.Medication as CodeableConcept, s.Status?.ToString()),
                MedicationRequest r when r.Id!.Contains("-adj-", StringComparison.Ordinal) is false && r.Intent == MedicationRequest.MedicationRequestIntent.Order && r.ReasonReference.Count > 0
                    => (r.AuthoredOn, r.Medication as CodeableConcept, r.Status?.ToString()),
                _ => (null, null, null),
            };
            if (start is not null && result.TryGetValue(start, out var codes) && status is not ("EnteredInError"))
            {
                codes.AddRange(medication!.Coding.Where(c => c.System == CodeSystems.RxNorm).Select(c => c.Code!));
            }
        }

        return result;
    }

    [Fact]
    public void Every_kept_patient_classifies_to_its_simulated_cancer_type_and_replaced_ones_to_none()
    {
        var classifier = ClinicalTerminology.CancerTypes;
        foreach (var p in cohort.Patients.Take(600))
        {
            var condition = Primary(p);
            var classification = classifier.Classify(CancerCodesOf(condition));
            if (p.Patient.Replaced)
            {
                Assert.False(classification.IsSupported, $"{p.Patient.Id} ({Rw(p).Replacement!.Histology}) classified as {classification.CancerType}");
            }
            else
            {
                Assert.True(classification.IsSupported && classification.CancerType == p.Patient.CancerType,
                    $"{p.Patient.Id}: simulated {p.Patient.CancerType}, classified {classification.Role} {classification.CancerType} ({classification.Note})");
            }

            foreach (var met in p.Resources.OfType<Condition>().Where(c => c.Id!.Contains("-met-", StringComparison.Ordinal)))
            {
                Assert.Equal(CancerConditionRole.Secondary, classifier.Classify(CancerCodesOf(met)).Role);
            }
        }

        Assert.Contains(cohort.Patients.Take(600), p => p.Patient.Replaced);
    }

    private static CancerCodes CancerCodesOf(Condition condition)
    {
        static CodedConcept Coded(Coding c) => new(c.System!, c.Code!, c.Display);
        var morphology = condition.Extension.Where(e => e.Url == FhirProfiles.HistologyMorphologyBehavior)
            .SelectMany(e => ((CodeableConcept)e.Value!).Coding).Select(Coded).ToList();
        return new CancerCodes(
            [.. (condition.Code?.Coding ?? []).Select(Coded)],
            [.. condition.BodySite.SelectMany(b => b.Coding).Select(Coded)],
            morphology,
            condition.Code?.Text);
    }

    [Fact]
    public void Diagnosis_coding_follows_its_rates()
    {
        var kept = Kept.ToList();
        var basic = CancerTypes.All.ToDictionary(c => c.CancerType, c => c.SnomedCode);
        AssertRate("more specific SNOMED CT (NSCLC, breast, ovarian, pancreatic)",
            kept.Where(p => p.Patient.CancerType is CancerType.NonSmallCellLungCancer or CancerType.BreastCancer or CancerType.OvarianCancer or CancerType.PancreaticCancer),
            p => !Codes(Primary(p).Code).Contains(basic[p.Patient.CancerType]), RealWorldRates.SpecificSnomed);
        AssertRate("rectum of colorectal (SNOMED 363351006 + C20)", kept.Where(p => p.Patient.CancerType == CancerType.ColorectalCancer),
            p => Codes(Primary(p).Code).Contains("363351006") && Codes(Primary(p).Code).Contains("C20"), RealWorldRates.RectumOfColorectal);
        AssertRate("histology-morphology-behavior extension", kept,
            p => Primary(p).Extension.Any(e => e.Url == FhirProfiles.HistologyMorphologyBehavior), RealWorldRates.MorphologyExtension);
        AssertRate("specific ICD-10-CM (NSCLC, breast)", kept.Where(p => p.Patient.CancerType is CancerType.NonSmallCellLungCancer or CancerType.BreastCancer),
            p => Codes(Primary(p).Code).Any(c => c.StartsWith("C34.", StringComparison.Ordinal) && c != "C34.90" || c.StartsWith("C50.9", StringComparison.Ordinal) && c != "C50.919"),
            RealWorldRates.SpecificIcd10);
    }

    [Fact]
    public void Staging_is_a_mix_of_mcode_versions_at_its_rates()
    {
        var staged = cohort.Patients.Where(p => !p.Patient.Messiness.MissingStage).ToList();
        bool Stu3(GeneratedPatient p) => p.Resources.OfType<Observation>().Any(o => Codes(o.Code).Any(c => c is SnomedCodes.ClinicalTnmStageGrouping or SnomedCodes.PathologicTnmStageGrouping));
        bool Stu1(GeneratedPatient p) => p.Resources.OfType<Observation>().Any(o => Codes(o.Code).Any(c => c is LoincCodes.StageGroupClinical or LoincCodes.StageGroupPathological));
        AssertRate("STU3/STU4 TNMStageGroup", staged, Stu3, RealWorldRates.StageTnmStu3);
        AssertRate("STU1/STU2 stage group (LOINC)", staged, Stu1, RealWorldRates.StageGroupStu1Stu2);
        AssertRate("Condition.stage.summary only", staged, p => !Stu3(p) && !Stu1(p) && Primary(p).Stage.Single().Summary?.Text == "Stage " + p.Patient.Stage, RealWorldRates.StageSummaryOnly);
        var withObservation = staged.Where(p => Stu3(p) || Stu1(p)).ToList();
        AssertRate("Condition.stage with assessment", withObservation, p => Primary(p).Stage.Any(s => s.Assessment.Count == 1), RealWorldRates.ConditionStageWithObservation);
        AssertRate("TNM category observations", withObservation,
            p => p.Resources.OfType<Observation>().Count(o => Codes(o.Code).Any(c => c is "21905-5" or "21906-3" or "21907-1" or "21899-0" or "21900-6" or "21901-4")) == 3,
            RealWorldRates.TnmCategoryObservations);
        Assert.All(cohort.Patients.Where(p => p.Patient.Messiness.MissingStage), p => Assert.Empty(Primary(p).Stage));

        // Pathologic staging only for resected stage I–III; its date is the surgery's.
        foreach (var p in staged.Where(p => Rw(p).Staging!.Pathologic))
        {
            Assert.NotNull(Rw(p).Surgery);
            Assert.Contains(StageGroup(p), new[] { "I", "II", "III" });
        }

        Assert.Contains(staged, p => Rw(p).Staging!.Pathologic && Stu3(p));
    }

    [Fact]
    public void Secondary_cancers_follow_stage_and_relapse_and_link_to_the_primary()
    {
        bool HasSecondary(GeneratedPatient p) => p.Resources.OfType<Condition>().Any(c => c.Meta?.Profile.Contains(FhirProfiles.McodeSecondaryCancerCondition) == true);
        AssertRate("secondary cancers in stage IV", cohort.Patients.Where(p => StageGroup(p) == "IV"), HasSecondary, RealWorldRates.SecondaryInStageFour);
        AssertRate("secondary cancer before relapse, stage I–III", cohort.Patients.Where(p => StageGroup(p) != "IV"), HasSecondary, RealWorldRates.SecondaryBeforeRelapse);

        var secondaries = cohort.Patients.SelectMany(p => p.Resources.OfType<Condition>().Where(c => c.Id!.Contains("-met-", StringComparison.Ordinal)).Select(c => (p, c))).ToList();
        Assert.InRange(secondaries.Count(x => !Codes(x.c.Code).Any(c => c.StartsWith('9'))) / (double)secondaries.Count, 0.10, 0.35);
        Assert.InRange(secondaries.Count(x => x.c.Extension.Count == 0) / (double)secondaries.Count, 0.08, 0.25);
        Assert.Contains(secondaries, x => x.c.Extension.Any(e => e.Url == FhirProfiles.RelatedPrimaryCancerConditionStu1));
        Assert.Contains(secondaries, x => x.c.Extension.Any(e => e.Url == FhirProfiles.ConditionRelated));
        foreach (var (p, c) in secondaries)
        {
            var onset = DateOnly.Parse(((FhirDateTime)c.Onset!).Value!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(onset >= p.Patient.DiagnosedOn && onset <= ReferenceDate, $"{c.Id}: onset {onset}");
            if (StageGroup(p) != "IV")
            {
                Assert.True(onset < p.Patient.Lines[0].Start && onset >= p.Patient.Lines[0].Start.AddDays(-45), $"{c.Id}: onset {onset}, first line {p.Patient.Lines[0].Start}");
            }
        }
    }

    [Fact]
    public void Genomics_shapes_follow_their_rates()
    {
        var all = cohort.Patients;
        IEnumerable<Observation> Gx(GeneratedPatient p) => p.Resources.OfType<Observation>().Where(o => o.Id!.Contains("-gx-", StringComparison.Ordinal));
        AssertRate("pertinent negatives (LA9634-2)", all, p => Gx(p).Any(o => Codes(o.Value as CodeableConcept).Contains(LoincCodes.AbsentAnswer)), RealWorldRates.PertinentNegatives, extraTolerance: 0.02);
        AssertRate("variant of uncertain significance", all, p => Gx(p).Any(o => o.Id!.EndsWith("-gx-vus", StringComparison.Ordinal)), RealWorldRates.UncertainSignificanceVariant);
        AssertRate("benign variant", all, p => Gx(p).Any(o => o.Id!.EndsWith("-gx-benign", StringComparison.Ordinal)), RealWorldRates.BenignVariant);
        AssertRate("STU3 genomic report (51969-4)", all, p => p.Resources.OfType<DiagnosticReport>().Single().Code.Coding.Any(c => c.Code == LoincCodes.GeneticAnalysisReport), RealWorldRates.Stu3Report);
        AssertRate("genomic observations without subject", all, p => Gx(p).All(o => o.Subject is null), RealWorldRates.GenomicsWithoutSubject);
        AssertRate("significance as a diagnostic implication (of patients with one to state)",
            all.Where(p => Gx(p).Any(o => o.Component.Any(c => Codes(c.Code).Contains(LoincCodes.ClinicalSignificance)))),
            p => Gx(p).Any(o => Codes(o.Code).Contains(RealWorldCodes.DiagnosticImplicationCode)), 1 - RealWorldRates.LegacySignificanceOnVariant);

        foreach (var p in all)
        {
            var report = p.Resources.OfType<DiagnosticReport>().Single();
            var specimen = Assert.Single(p.Resources.OfType<Specimen>());
            Assert.Equal("Tumor tissue", specimen.Type!.Text);
            Assert.True(string.CompareOrdinal(((FhirDateTime)specimen.Collection!.Collected!).Value, ((FhirDateTime)report.Effective!).Value) < 0);
            Assert.Single(report.Specimen);

            // Every genomic observation is reachable from the report: result, then hasMember.
            var reachable = report.Result.Select(r => r.Reference!).ToHashSet(StringComparer.Ordinal);
            foreach (var grouping in Gx(p).Where(o => o.HasMember.Count > 0))
            {
                reachable.UnionWith(grouping.HasMember.Select(r => r.Reference!));
            }

            var fullUrls = p.Bundle.Entry.ToDictionary(e => e.Resource!.Id!, e => e.FullUrl!, StringComparer.Ordinal);
            Assert.All(Gx(p), o => Assert.Contains(fullUrls[o.Id!], reachable));

            // Germline BRCA variants carry a clinical significance (pathogenic or likely pathogenic), one way or the other.
            foreach (var brca in Gx(p).Where(o => o.Id!.Contains("-gx-variant-", StringComparison.Ordinal) && o.Component.Any(c => Codes(c.Value as CodeableConcept).Any(x => x is "BRCA1" or "HGNC:1100" or "HGNC:1101"))))
            {
                var significance = brca.Component.Where(c => Codes(c.Code).Contains(LoincCodes.ClinicalSignificance))
                    .Concat(Gx(p).Where(o => o.DerivedFrom.Any(d => d.Reference == fullUrls[brca.Id!])).SelectMany(o => o.Component))
                    .SelectMany(c => Codes(c.Value as CodeableConcept)).ToList();
                Assert.Contains(significance, s => s is LoincCodes.PathogenicAnswer or LoincCodes.LikelyPathogenicAnswer);
            }
        }
    }

    [Fact]
    public void Medications_follow_their_rates()
    {
        var all = cohort.Patients;
        AssertRate("lines as requests + administrations", all, p => p.Resources.OfType<MedicationAdministration>().Any(), RealWorldRates.LinesAsRequestsAndAdministrations);
        var withChemo = all.Where(p => Rw(p).Medications.Supportive.Count > 0 || IsChemo(p)).ToList();
        bool Has(GeneratedPatient p, string text) => p.Resources.Any(r => r switch
        {
            MedicationStatement s => s.Status != MedicationStatement.MedicationStatusCodes.NotTaken && (s.Medication as CodeableConcept)?.Text == text,
            MedicationRequest q => (q.Medication as CodeableConcept)?.Text == text,
            _ => false,
        });
        AssertRate("ondansetron with chemotherapy", withChemo, p => Has(p, "Ondansetron"), RealWorldRates.Ondansetron);
        AssertRate("dexamethasone with chemotherapy", withChemo, p => Has(p, "Dexamethasone"), RealWorldRates.Dexamethasone);
        AssertRate("filgrastim with chemotherapy", withChemo, p => Has(p, "Filgrastim"), RealWorldRates.Filgrastim);
        AssertRate("metformin", all, p => Has(p, "Metformin") || Has(p, "Metformin ER 500 mg tablet"), RealWorldRates.Metformin);
        AssertRate("atorvastatin", all, p => Has(p, "Atorvastatin") || Has(p, "Atorvastatin 20 mg tablet"), RealWorldRates.Atorvastatin);
        AssertRate("lisinopril", all, p => Has(p, "Lisinopril 10 mg tablet"), RealWorldRates.Lisinopril);
        AssertRate("not-taken statement", all, p => p.Resources.OfType<MedicationStatement>().Any(s => s.Status == MedicationStatement.MedicationStatusCodes.NotTaken), RealWorldRates.NotTaken);
        AssertRate("antineoplastic request never given (draft / proposal / plan)", all,
            p => p.Resources.OfType<MedicationRequest>().Any(r => r.Status == MedicationRequest.MedicationrequestStatus.Draft || r.Intent is MedicationRequest.MedicationRequestIntent.Plan or MedicationRequest.MedicationRequestIntent.Proposal),
            RealWorldRates.AntineoplasticNotGiven);
        AssertRate("medication entered in error", all,
            p => p.Resources.Any(r => r is MedicationStatement { Status: MedicationStatement.MedicationStatusCodes.EnteredInError } or MedicationRequest { Status: MedicationRequest.MedicationrequestStatus.EnteredInError }),
            RealWorldRates.MedicationEnteredInError);
        AssertRate("treatment intent on line medications", all.Where(p => p.Patient.Lines.Count > 0),
            p => p.Resources.Where(r => r.Id!.StartsWith("medst-", StringComparison.Ordinal) || r.Id!.StartsWith("medrq-", StringComparison.Ordinal))
                .Where(r => Regex.IsMatch(r.Id!, @"-\d+-\d+$")).All(r => ((DomainResource)r).Extension.Any(e => e.Url is FhirProfiles.ProcedureIntent or FhirProfiles.TreatmentIntentStu1)),
            RealWorldRates.IntentOnLines);

        foreach (var p in all.Where(p => p.Resources.OfType<MedicationAdministration>().Any()))
        {
            Assert.DoesNotContain(p.Resources.OfType<MedicationStatement>(), s => s.Identifier.Count > 0);
            for (var i = 0; i < p.Patient.Lines.Count; i++)
            {
                var line = p.Patient.Lines[i];
                var cycles = Rw(p).Medications.LineCycles[i];
                Assert.InRange(cycles.Count, 1, 6);
                Assert.All(cycles, c => Assert.InRange(c, line.Start, line.End ?? ReferenceDate));
                Assert.True(cycles.Count >= 2 || (line.End ?? ReferenceDate).DayNumber - line.Start.DayNumber < 7);
            }

            var fullUrls = p.Bundle.Entry.ToDictionary(e => e.FullUrl!, e => e.Resource!, StringComparer.Ordinal);
            foreach (var response in p.Resources.OfType<Observation>().Where(o => Codes(o.Code).Contains(LoincCodes.ResponseToCancerTreatment)))
            {
                Assert.NotEmpty(response.PartOf);
                Assert.All(response.PartOf, r => Assert.IsType<MedicationAdministration>(fullUrls[r.Reference!]));
            }
        }
    }

    private static bool IsChemo(GeneratedPatient p) => p.Patient.Replaced
        ? Rw(p).Replacement!.Histology == UnsupportedHistology.SmallCellLungCancer || Rw(p).Replacement!.LineRegimens.Any(l => l.Contains(RealWorldCodes.Captem))
        : p.Patient.Lines.Any(l => TestSupport.Catalog.Therapy(l.TherapyId).Classes.Any(c => c is Clinical.Catalog.TherapyClassTag.Chemotherapy
            or Clinical.Catalog.TherapyClassTag.PlatinumChemotherapy or Clinical.Catalog.TherapyClassTag.Fluoropyrimidine or Clinical.Catalog.TherapyClassTag.Irinotecan));

    [Fact]
    public void Curative_treatment_is_dated_before_relapse()
    {
        var early = Kept.Where(p => StageGroup(p) is "I" or "II" or "III").ToList();
        AssertBand("surgery, stage I–III", early, p => Rw(p).Surgery is not null, 0.65, 0.90);
        var adjuvantEligible = early.Where(p => StageGroup(p) is "II" or "III" && Rw(p).Surgery is not null
            && p.Patient.CancerType is CancerType.ColorectalCancer or CancerType.BreastCancer or CancerType.NonSmallCellLungCancer).ToList();
        AssertBand("adjuvant course, resected stage II–III colorectal/breast/NSCLC (60 % where the dates allow)", adjuvantEligible, p => Rw(p).Adjuvant is not null, 0.40, 0.62);
        AssertBand("radiotherapy after lumpectomy (90 % where the dates allow)", early.Where(p => Rw(p).Surgery?.Code == RealWorldCodes.Lumpectomy),
            p => Rw(p).Radiotherapy.Any(c => c.Curative), 0.75, 0.95);
        AssertBand("chemoradiation, stage III NSCLC", early.Where(p => p.Patient.CancerType == CancerType.NonSmallCellLungCancer && StageGroup(p) == "III"),
            p => Rw(p).Radiotherapy.Any(c => c.Curative && c.BodySite == RealWorldCodes.EntireLung), 0.35, 0.65);
        AssertRate("procedure not done", cohort.Patients, p => p.Resources.OfType<Procedure>().Any(x => x.Status == EventStatus.NotDone), RealWorldRates.ProcedureNotDone);

        foreach (var p in cohort.Patients)
        {
            var firstLine = p.Patient.Lines[0].Start;
            if (Rw(p).Surgery is { } surgery)
            {
                Assert.True(surgery.PerformedOn > p.Patient.DiagnosedOn && surgery.PerformedOn < firstLine);
            }

            if (Rw(p).Adjuvant is { } adjuvant)
            {
                Assert.True(adjuvant.Start > Rw(p).Surgery!.PerformedOn && adjuvant.End <= firstLine.AddDays(-183), $"{p.Patient.Id}: adjuvant {adjuvant.Start}–{adjuvant.End}, first line {firstLine}");
                Assert.All(p.Resources.Where(r => r.Id!.Contains("-adj-", StringComparison.Ordinal)).OfType<DomainResource>(),
                    r => Assert.Contains(r.Extension, e => Codes(e.Value as CodeableConcept).Contains(SnomedCodes.CurativeIntent)));
            }

            foreach (var course in Rw(p).Radiotherapy)
            {
                Assert.True(course.Start >= p.Patient.DiagnosedOn && course.End <= ReferenceDate && course.Start <= course.End);
                if (course.Curative)
                {
                    Assert.True(course.End < firstLine);
                }
            }
        }
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}")]
    private static partial Regex DatePrefix();

    [Fact]
    public void Deaths_follow_progression_and_come_after_every_recorded_event()
    {
        var all = cohort.Patients;
        AssertBand("deceased", all, p => p.Resources.OfType<Patient>().Single().Deceased is not null, 0.15, 0.25);
        var deceased = all.Where(p => Rw(p).Death is not null).ToList();
        AssertRate("deceasedBoolean of the deceased", deceased, p => p.Resources.OfType<Patient>().Single().Deceased is FhirBoolean, RealWorldRates.DeceasedAsBoolean);
        double Rate(IEnumerable<GeneratedPatient> group) => group.Count(p => Rw(p).Death is not null) / (double)group.Count();
        var progressed = all.Where(p => p.Patient.Lines[^1].BestResponse == RecistResponse.ProgressiveDisease).ToList();
        var others = all.Where(p => p.Patient.Lines[^1].BestResponse != RecistResponse.ProgressiveDisease).ToList();
        output.WriteLine($"deceased after progression on the last line {Rate(progressed):P1}, otherwise {Rate(others):P1}");
        Assert.True(Rate(progressed) > Rate(others) + 0.1);

        foreach (var p in deceased)
        {
            var death = Rw(p).Death!.Date;
            Assert.True(death <= ReferenceDate);
            foreach (var resource in p.Resources.Where(r => r is not Patient))
            {
                foreach (var date in Dates(JsonDocument.Parse(resource.ToJson()).RootElement))
                {
                    Assert.True(string.CompareOrdinal(date[..10], death.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)) < 0,
                        $"{resource.TypeName}/{resource.Id} has {date}, after or on the death on {death}");
                }
            }
        }
    }

    private static IEnumerable<string> Dates(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    foreach (var date in Dates(property.Value))
                    {
                        yield return date;
                    }
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    foreach (var date in Dates(item))
                    {
                        yield return date;
                    }
                }

                break;
            case JsonValueKind.String when DatePrefix().IsMatch(element.GetString()!):
                yield return element.GetString()!;
                break;
            default:
                break;
        }
    }

    [Fact]
    public void Without_real_world_shapes_a_patient_is_what_main_wrote_and_its_simulation_is_the_same_either_way()
    {
        var generator = TestSupport.Generator();
        foreach (var index in new[] { 1, 2, 3, 17, 250 })
        {
            var legacy = generator.GeneratePatient(RealWorldCohortFixture.Seed, index, realWorldShapes: false);
            var realWorld = cohort.Patients[index - 1];
            Assert.Null(legacy.Patient.RealWorld);
            Assert.Equal(legacy.Patient.Lines.Select(l => (l.LineNumber, l.TherapyId, l.Start, l.End, l.BestResponse, l.AssessedOn)),
                realWorld.Patient.Lines.Select(l => (l.LineNumber, l.TherapyId, l.Start, l.End, l.BestResponse, l.AssessedOn)));
            Assert.Equal(legacy.Patient.Labs.Select(l => l.Date), realWorld.Patient.Labs.Select(l => l.Date));
            Assert.Equal(legacy.Patient.DiagnosedOn, realWorld.Patient.DiagnosedOn);
            if (!realWorld.Patient.Replaced)
            {
                Assert.Equal(legacy.Patient.Truth, realWorld.Patient.Truth);
            }
        }
    }
}

public sealed class RealWorldTruthTests
{
    private static Dictionary<string, List<string>> ByPatient(string path) =>
        File.ReadLines(path).Skip(1).GroupBy(l => l[..l.IndexOf(',', StringComparison.Ordinal)], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);

    [Fact]
    public void Truth_rows_are_identical_for_kept_patients_and_absent_for_replaced_ones()
    {
        using var legacy = TestSupport.NewTempDirectory();
        using var realWorld = TestSupport.NewTempDirectory();
        var generator = TestSupport.Generator();
        generator.Generate(new CohortOptions { PatientCount = 300, Seed = 5, WriteBundles = false, RealWorldShapes = false }, legacy.Path);
        generator.Generate(new CohortOptions { PatientCount = 300, Seed = 5, WriteBundles = false, MaxDegreeOfParallelism = 1 }, realWorld.Path);

        var before = ByPatient(Path.Combine(legacy.Path, "truth", "true-response-probabilities.csv"));
        var after = ByPatient(Path.Combine(realWorld.Path, "truth", "true-response-probabilities.csv"));
        var replaced = File.ReadLines(Path.Combine(realWorld.Path, "truth", "data-quality.csv")).Skip(1)
            .Where(l => l.Contains(",unsupported-histology-", StringComparison.Ordinal)).Select(l => l.Split(',')[0]).ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(replaced);
        Assert.Equal(300, before.Count);
        foreach (var (patient, rows) in before)
        {
            if (replaced.Contains(patient))
            {
                Assert.False(after.ContainsKey(patient), $"{patient} was replaced but has truth rows");
            }
            else
            {
                Assert.Equal(rows, after[patient]);
            }
        }

        // The deliberate messiness of the simulation is listed as before; the real-world labels come after it.
        var qualityBefore = ByPatient(Path.Combine(legacy.Path, "truth", "data-quality.csv"));
        var qualityAfter = ByPatient(Path.Combine(realWorld.Path, "truth", "data-quality.csv"));
        foreach (var (patient, rows) in qualityBefore.Where(q => !replaced.Contains(q.Key)))
        {
            Assert.Equal(rows, qualityAfter[patient].Take(rows.Count));
        }

        var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(realWorld.Path, "manifest.json"))).RootElement.GetProperty("resourceCounts");
        Assert.Equal(CohortGenerator.ResourceTypes, manifest.EnumerateObject().Select(p => p.Name));
        Assert.All(CohortGenerator.ResourceTypes, t => Assert.True(manifest.GetProperty(t).GetInt32() > 0, t));
    }

    [Fact]
    public void Real_world_files_are_byte_identical_across_runs_and_thread_counts()
    {
        using var a = TestSupport.NewTempDirectory();
        using var b = TestSupport.NewTempDirectory();
        var generator = TestSupport.Generator();
        generator.Generate(new CohortOptions { PatientCount = 80, Seed = 31, MaxDegreeOfParallelism = 2 }, a.Path);
        generator.Generate(new CohortOptions { PatientCount = 80, Seed = 31, MaxDegreeOfParallelism = 1 }, b.Path);
        var hashesA = TestSupport.HashTree(a.Path);
        Assert.Equal(hashesA, TestSupport.HashTree(b.Path));
        foreach (var type in CohortGenerator.ResourceTypes)
        {
            Assert.Contains($"ndjson/{type}.ndjson", hashesA.Keys);
        }
    }
}
