using System.Globalization;
using Precision.Clinical;
using Precision.Clinical.Catalog;

namespace Precision.Cohort;

/// <summary>
/// Simulates one patient from (seed, index): demographics, tumour biology, labs, guideline-like therapy lines and
/// observed responses sampled from the true response probabilities. Pure: no I/O, no clock, no shared state.
/// </summary>
public sealed class PatientSimulator
{
    /// <summary>Probability that a line deviates from the guideline choice (documented in docs/cohort.md).</summary>
    public const double OffGuidelineRate = 0.12;

    /// <summary>
    /// Probability that a later line re-challenges a regimen the patient already received (any earlier one, whatever its
    /// response). Real-world re-challenge after progression is rarer; the simulator gives enough of it that the
    /// re-challenge modifier can be learned and measured (docs/cohort.md).
    /// </summary>
    public const double RechallengeRate = 0.15;

    private readonly ResponseModel _model;
    private readonly long _seed;
    private readonly DateOnly _referenceDate;

    public PatientSimulator(ResponseModel model, long seed, DateOnly referenceDate)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _seed = seed;
        _referenceDate = referenceDate;
    }

    public static string PatientId(int index) => "pat-" + index.ToString("D6", CultureInfo.InvariantCulture);

    public SyntheticPatient Simulate(int index)
    {
        var rng = new SeededRandom(_seed, index);
        var profile = rng.Pick(CohortProfiles.All.Select(p => (p, p.CohortShare)).ToList());
        var type = profile.CancerType;
        var sex = type == CancerType.OvarianCancer ? AdministrativeSex.Female
            : rng.Chance(profile.MaleFraction) ? AdministrativeSex.Male : AdministrativeSex.Female;
        var stage = rng.Pick(profile.Stages);
        var stageIv = stage.StartsWith("IV", StringComparison.Ordinal);

        var firstLineStart = _referenceDate.AddDays(-rng.Next(120, 5 * 365));
        var diagnosedOn = stageIv ? firstLineStart.AddDays(-rng.Next(14, 56)) : firstLineStart.AddDays(-rng.Next(180, 1100));
        var age = (int)Math.Clamp(Math.Round(rng.Normal(profile.MeanAgeAtDiagnosis, profile.AgeSd)), 25, 92);
        var birthDate = diagnosedOn.AddYears(-age).AddDays(-rng.Next(0, 365));

        var race = rng.Pick(Demographics.Race);
        var ethnicity = rng.Pick(Demographics.Ethnicity);
        var given = rng.Pick(sex == AdministrativeSex.Male ? Demographics.MaleGiven : Demographics.FemaleGiven)
            + rng.Next(1, 1000).ToString(CultureInfo.InvariantCulture);
        var family = rng.Pick(Demographics.Family) + rng.Next(1, 1000).ToString(CultureInfo.InvariantCulture);

        // The report reaches the oncologist before the first line is chosen (the guideline choice uses it): at the latest
        // three days before the first line starts, never before the diagnosis.
        var reportedOn = diagnosedOn.AddDays(rng.Next(10, 40));
        if (reportedOn > firstLineStart.AddDays(-3))
        {
            reportedOn = firstLineStart.AddDays(-3) < diagnosedOn ? diagnosedOn : firstLineStart.AddDays(-3);
        }

        var genomics = SimulateGenomics(rng, type, stage, reportedOn);
        var smoking = SimulateSmoking(rng, profile, genomics);

        var baselineEcog = rng.Pick(new List<(int, double)> { (0, 0.35), (1, 0.45), (2, 0.15), (3, 0.05) });
        var baseline = SimulateBaselineLabs(rng, type, sex, stageIv, baselineEcog);

        var maxLines = rng.Pick(new List<(int, double)> { (1, 0.45), (2, 0.33), (3, 0.22) });
        var lines = new List<TherapyLineRecord>();
        var labs = new List<LabDraw>();
        var ecogs = new List<EcogAssessment>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        ResponseFacts? firstLineFacts = null;
        ResponseFacts? lastFacts = null;
        var start = firstLineStart;
        var markerLevel = baseline[LabAnalyte.CarcinoembryonicAntigen];
        var ecog = baselineEcog;
        var siDraw = rng.Chance(0.05) ? rng.Next(1, maxLines + 1) : 0;

        for (var lineNumber = 1; lineNumber <= maxLines && start <= _referenceDate.AddDays(-7); lineNumber++)
        {
            if (lineNumber > 1 && rng.Chance(0.3))
            {
                ecog = Math.Min(4, ecog + 1);
            }

            ecogs.Add(new EcogAssessment(lineNumber, start.AddDays(-rng.Next(0, 8)), ecog));
            var drawValues = DrawLabs(rng, baseline, type, lineNumber, onTreatment: false, response: null, ref markerLevel);
            labs.Add(new LabDraw(labs.Count + 1, start.AddDays(-rng.Next(1, 11)), drawValues, lineNumber == siDraw));

            var facts = new ResponseFacts(
                type, lineNumber, age + (start.DayNumber - diagnosedOn.DayNumber) / 365, ecog, smoking, genomics.Biomarkers,
                Value(drawValues, LabAnalyte.Albumin), Value(drawValues, LabAnalyte.LactateDehydrogenase),
                Value(drawValues, LabAnalyte.TotalBilirubin), Value(drawValues, LabAnalyte.Creatinine),
                genomics.Dpyd.Phenotype, genomics.Ugt1a1.Phenotype, genomics.TcellInflamedHigh)
            {
                ProgressedOn = ProgressedOn(lines),
            };
            firstLineFacts ??= facts;
            lastFacts = facts;

            var guideline = GuidelineTherapy(type, lineNumber, genomics, ecog, facts.AgeYears, used, lines);
            var therapyId = guideline;
            var offGuideline = false;
            var rechallenge = false;
            if (lines.Count > 0 && rng.Chance(RechallengeRate))
            {
                therapyId = rng.Pick(lines.Select(l => l.TherapyId).Distinct(StringComparer.Ordinal).ToList());
                rechallenge = true;
            }
            else if (rng.Chance(OffGuidelineRate))
            {
                var alternatives = PlausibleTherapies(type).Where(t => !used.Contains(t) && t != guideline).ToList();
                if (alternatives.Count > 0)
                {
                    therapyId = rng.Pick(alternatives);
                    offGuideline = true;
                }
            }

            if (therapyId is null)
            {
                break;
            }

            used.Add(therapyId);
            var estimate = _model.Estimate(therapyId, facts);
            var responder = rng.Chance(estimate.Probability);
            var therapy = _model.Catalog.Therapy(therapyId);
            var chemoOnly = therapy.Classes.All(c => c is TherapyClassTag.Chemotherapy or TherapyClassTag.PlatinumChemotherapy
                or TherapyClassTag.Fluoropyrimidine or TherapyClassTag.Irinotecan);
            RecistResponse response = responder
                ? rng.Chance(chemoOnly ? 0.08 : 0.15) ? RecistResponse.CompleteResponse : RecistResponse.PartialResponse
                : rng.Chance(0.55) ? RecistResponse.StableDisease : RecistResponse.ProgressiveDisease;

            var assessed = start.AddDays(rng.Next(49, 91));
            var durationDays = response switch
            {
                RecistResponse.CompleteResponse or RecistResponse.PartialResponse => (int)rng.LogNormal(330, 0.5),
                RecistResponse.StableDisease => (int)rng.LogNormal(150, 0.4),
                _ => 0,
            };
            var end = response == RecistResponse.ProgressiveDisease
                ? assessed.AddDays(rng.Next(0, 15))
                : start.AddDays(Math.Max(durationDays, assessed.DayNumber - start.DayNumber + 14));

            var onTreatment = start.AddDays(42);
            if (onTreatment <= _referenceDate && onTreatment < end)
            {
                labs.Add(new LabDraw(labs.Count + 1, onTreatment,
                    DrawLabs(rng, baseline, type, lineNumber, onTreatment: true, response, ref markerLevel, therapy), false));
            }

            var observed = assessed <= _referenceDate ? response : (RecistResponse?)null;
            lines.Add(new TherapyLineRecord(lineNumber, therapyId, start, end <= _referenceDate ? end : null,
                observed, observed is null ? null : assessed, offGuideline, estimate) { Rechallenge = rechallenge });

            if (end > _referenceDate)
            {
                break;
            }

            AdvanceMarkerAfter(response, ref markerLevel);
            start = end.AddDays(rng.Next(10, 41));
        }

        // The next decision after the last line: its facts, one line later, with what progressed on so far (re-challenge).
        var nextLineFacts = lastFacts! with { LineNumber = lastFacts!.LineNumber + 1, ProgressedOn = ProgressedOn(lines) };
        var truth = new List<TruthRow>();
        foreach (var therapy in _model.Catalog.Therapies)
        {
            // One row per line the therapy was given (a re-challenge gives it twice), else one row at first line.
            var firstLine = _model.Estimate(therapy.Id, firstLineFacts!);
            var nextLine = _model.Estimate(therapy.Id, nextLineFacts).Probability;
            var linesGiven = lines.Where(l => l.TherapyId == therapy.Id).Select(l => (TherapyLineRecord?)l).DefaultIfEmpty(null);
            foreach (var line in linesGiven)
            {
                var estimate = line?.Estimate ?? firstLine;
                truth.Add(new TruthRow(PatientId(index), therapy.Id, estimate.ContextId, estimate.Probability, line?.LineNumber, line?.BestResponse)
                {
                    FirstLineProbability = firstLine.Probability,
                    NextLineProbability = nextLine,
                });
            }
        }

        var messiness = new Messiness(
            EnteredInError: rng.Chance(0.03),
            DuplicateLab: rng.Chance(0.03),
            SiUnitDraw: siDraw > 0 && labs.Any(l => l.SiUnits),
            UnknownLoinc: rng.Chance(0.02),
            MissingStage: rng.Chance(0.03),
            UngroupedLines: rng.Chance(0.03));

        SecondPrimary? second = null;
        if (rng.Chance(0.02))
        {
            var others = CohortProfiles.All.Select(p => p.CancerType)
                .Where(t => t != type && (sex == AdministrativeSex.Female || t != CancerType.OvarianCancer)).ToList();
            second = new SecondPrimary(rng.Pick(others), diagnosedOn.AddDays(-rng.Next(3 * 365, 15 * 365)));
        }

        return new SyntheticPatient
        {
            Index = index,
            Id = PatientId(index),
            Mrn = "MRN" + index.ToString("D8", CultureInfo.InvariantCulture),
            GivenName = given,
            FamilyName = family,
            Sex = sex,
            BirthDate = birthDate,
            Race = race,
            Ethnicity = ethnicity,
            CancerType = type,
            DiagnosedOn = diagnosedOn,
            Stage = stage,
            Smoking = smoking,
            Genomics = genomics,
            Lines = lines,
            Labs = labs,
            EcogAssessments = ecogs,
            Messiness = messiness,
            Truth = truth,
            SecondPrimary = second,
        };
    }

    private static HashSet<string> ProgressedOn(List<TherapyLineRecord> lines) =>
        lines.Where(l => l.BestResponse == RecistResponse.ProgressiveDisease).Select(l => l.TherapyId).ToHashSet(StringComparer.Ordinal);

    private static decimal? Value(IReadOnlyList<LabValue> values, LabAnalyte analyte) =>
        values.FirstOrDefault(v => v.Analyte == analyte)?.Value;

    /// <summary>Biomarker prevalences per cancer type; see docs/cohort.md for the sources.</summary>
    private static Genomics SimulateGenomics(SeededRandom rng, CancerType type, string stage, DateOnly reportedOn)
    {
        var biomarkers = new HashSet<BiomarkerKind>();
        var variants = new List<SmallVariantCall>();
        var fusions = new List<FusionCall>();
        var cnas = new List<CopyNumberCall>();
        decimal? pdl1 = null;
        bool? hrPositive = null;

        decimal Vaf() => Math.Round((decimal)rng.Uniform(0.08, 0.55), 3);
        void Somatic(SmallVariantInfo v) => variants.Add(new SmallVariantCall(v, Vaf(), GenomicSourceClass.Somatic));

        var stageIv = stage.StartsWith("IV", StringComparison.Ordinal);
        var msiHighRate = Prevalences.MsiHigh(type, stageIv);
        var msi = rng.Chance(msiHighRate) ? MicrosatelliteStatus.InstabilityHigh
            : rng.Chance(0.03) ? MicrosatelliteStatus.InstabilityLow : MicrosatelliteStatus.Stable;
        if (msi == MicrosatelliteStatus.InstabilityHigh)
        {
            biomarkers.Add(BiomarkerKind.MsiHigh);
        }

        var ntrk = rng.Chance(Prevalences.NtrkFusion);
        switch (type)
        {
            case CancerType.NonSmallCellLungCancer:
            {
                var driver = ntrk ? "ntrk" : rng.Pick(new List<(string, double)>
                {
                    ("egfr", Prevalences.NsclcEgfr), ("alk", Prevalences.NsclcAlk), ("ros1", Prevalences.NsclcRos1),
                    ("kras-g12c", Prevalences.NsclcKrasG12C), ("kras-other", Prevalences.NsclcKrasOther),
                    ("none", 1 - Prevalences.NsclcEgfr - Prevalences.NsclcAlk - Prevalences.NsclcRos1 - Prevalences.NsclcKrasG12C - Prevalences.NsclcKrasOther),
                });
                switch (driver)
                {
                    case "egfr":
                        Somatic(rng.Chance(0.6) ? GenomicsKnowledge.EgfrExon19Del : GenomicsKnowledge.EgfrL858R);
                        biomarkers.Add(BiomarkerKind.EgfrSensitizing);
                        break;
                    case "alk":
                        fusions.Add(new FusionCall(GenomicsKnowledge.Eml4, GenomicsKnowledge.Alk));
                        biomarkers.Add(BiomarkerKind.AlkFusion);
                        break;
                    case "ros1":
                        fusions.Add(new FusionCall(GenomicsKnowledge.Cd74, GenomicsKnowledge.Ros1));
                        biomarkers.Add(BiomarkerKind.Ros1Fusion);
                        break;
                    case "kras-g12c":
                        Somatic(GenomicsKnowledge.KrasG12C);
                        biomarkers.Add(BiomarkerKind.KrasG12C);
                        break;
                    case "kras-other":
                        Somatic(rng.Chance(0.5) ? GenomicsKnowledge.KrasG12D : GenomicsKnowledge.KrasG12V);
                        break;
                    default:
                        break;
                }

                var tps = rng.Pick(new List<((int Lo, int Hi), double)>
                {
                    ((50, 100), Prevalences.NsclcPdL1AtLeast50), ((1, 49), Prevalences.NsclcPdL1From1To49),
                    ((0, 0), 1 - Prevalences.NsclcPdL1AtLeast50 - Prevalences.NsclcPdL1From1To49),
                });
                pdl1 = rng.Next(tps.Lo, tps.Hi + 1);
                if (pdl1 >= 50 && !biomarkers.Contains(BiomarkerKind.EgfrSensitizing) && !biomarkers.Contains(BiomarkerKind.AlkFusion))
                {
                    biomarkers.Add(BiomarkerKind.PdL1High);
                }

                break;
            }

            case CancerType.ColorectalCancer:
            {
                var driver = rng.Pick(new List<(string, double)>
                {
                    ("braf", Prevalences.CrcBrafV600E), ("kras-g12c", Prevalences.CrcKrasG12C), ("kras-other", Prevalences.CrcKrasOther),
                    ("none", 1 - Prevalences.CrcBrafV600E - Prevalences.CrcKrasG12C - Prevalences.CrcKrasOther),
                });
                if (driver == "braf")
                {
                    Somatic(GenomicsKnowledge.BrafV600E);
                    biomarkers.Add(BiomarkerKind.BrafV600E);
                }
                else if (driver == "kras-g12c")
                {
                    Somatic(GenomicsKnowledge.KrasG12C);
                    biomarkers.Add(BiomarkerKind.KrasG12C);
                }
                else if (driver == "kras-other")
                {
                    Somatic(rng.Chance(0.55) ? GenomicsKnowledge.KrasG12D : GenomicsKnowledge.KrasG12V);
                }

                if (rng.Chance(Prevalences.CrcErbb2Amplification))
                {
                    cnas.Add(new CopyNumberCall(GenomicsKnowledge.Erbb2, rng.Next(8, 25)));
                }

                break;
            }

            case CancerType.BreastCancer:
            {
                var her2 = rng.Chance(Prevalences.BreastErbb2Amplification);
                if (her2)
                {
                    cnas.Add(new CopyNumberCall(GenomicsKnowledge.Erbb2, rng.Next(7, 30)));
                    biomarkers.Add(BiomarkerKind.Erbb2Amplification);
                }

                hrPositive = rng.Chance(her2 ? Prevalences.BreastHrPositiveIfHer2 : Prevalences.BreastHrPositiveIfHer2Negative);
                if (hrPositive == true)
                {
                    biomarkers.Add(BiomarkerKind.HormoneReceptorPositive);
                }

                if (rng.Chance(Prevalences.BreastGermlineBrca))
                {
                    variants.Add(new SmallVariantCall(rng.Chance(0.5) ? GenomicsKnowledge.Brca1Del : GenomicsKnowledge.Brca2Del, 0.5m, GenomicSourceClass.Germline));
                    biomarkers.Add(BiomarkerKind.BrcaPathogenic);
                }

                break;
            }

            case CancerType.Melanoma:
                if (rng.Chance(Prevalences.MelanomaBrafV600E))
                {
                    Somatic(GenomicsKnowledge.BrafV600E);
                    biomarkers.Add(BiomarkerKind.BrafV600E);
                }

                break;

            case CancerType.OvarianCancer:
                if (rng.Chance(Prevalences.OvarianBrca))
                {
                    var germline = rng.Chance(0.7);
                    var variant = rng.Chance(0.6) ? GenomicsKnowledge.Brca1Del : GenomicsKnowledge.Brca2Del;
                    variants.Add(new SmallVariantCall(variant, germline ? 0.5m : Vaf(), germline ? GenomicSourceClass.Germline : GenomicSourceClass.Somatic));
                    biomarkers.Add(BiomarkerKind.BrcaPathogenic);
                }

                if (rng.Chance(0.9))
                {
                    Somatic(GenomicsKnowledge.Tp53R175H);
                }

                break;

            case CancerType.PancreaticCancer:
                if (rng.Chance(Prevalences.PancreaticKrasOther))
                {
                    Somatic(rng.Chance(0.55) ? GenomicsKnowledge.KrasG12D : GenomicsKnowledge.KrasG12V);
                }

                if (rng.Chance(Prevalences.PancreaticGermlineBrca))
                {
                    variants.Add(new SmallVariantCall(rng.Chance(0.4) ? GenomicsKnowledge.Brca1Del : GenomicsKnowledge.Brca2Del, 0.5m, GenomicSourceClass.Germline));
                    biomarkers.Add(BiomarkerKind.BrcaPathogenic);
                }

                break;

            default:
                break;
        }

        if (ntrk)
        {
            fusions.Add(new FusionCall(GenomicsKnowledge.Tpm3, GenomicsKnowledge.Ntrk1));
            biomarkers.Add(BiomarkerKind.NtrkFusion);
        }

        var profile = CohortProfiles.Of(type);
        var tmb = msi == MicrosatelliteStatus.InstabilityHigh ? rng.LogNormal(40, 0.4) : rng.LogNormal(profile.TmbMedian, 0.7);
        var tmbValue = Math.Round((decimal)Math.Min(tmb, 150), 1);
        if (tmbValue >= 10)
        {
            biomarkers.Add(BiomarkerKind.TmbHigh);
        }

        var gep = Math.Round((decimal)rng.Normal(msi == MicrosatelliteStatus.InstabilityHigh ? 0.2 : -0.6, 0.5), 3);

        var dpyd = rng.Pick(new List<(PgxResult, double)>
        {
            (new PgxResult(GenomicsKnowledge.Dpyd, "*1/*1", MetabolizerPhenotype.Normal), 0.93),
            (new PgxResult(GenomicsKnowledge.Dpyd, "*1/*2A", MetabolizerPhenotype.Intermediate), 0.065),
            (new PgxResult(GenomicsKnowledge.Dpyd, "*2A/*2A", MetabolizerPhenotype.Poor), 0.005),
        });
        var ugt = rng.Pick(new List<(PgxResult, double)>
        {
            (new PgxResult(GenomicsKnowledge.Ugt1a1, "*1/*1", MetabolizerPhenotype.Normal), 0.50),
            (new PgxResult(GenomicsKnowledge.Ugt1a1, "*1/*28", MetabolizerPhenotype.Intermediate), 0.40),
            (new PgxResult(GenomicsKnowledge.Ugt1a1, "*28/*28", MetabolizerPhenotype.Poor), 0.10),
        });

        return new Genomics
        {
            ReportedOn = reportedOn,
            Biomarkers = biomarkers,
            Variants = variants,
            Fusions = fusions,
            CopyNumbers = cnas,
            TmbPerMb = tmbValue,
            Msi = msi,
            PdL1Tps = pdl1,
            HormoneReceptorPositive = hrPositive,
            TcellInflamedScore = gep,
            Dpyd = dpyd,
            Ugt1a1 = ugt,
        };
    }

    private static SmokingStatusCategory SimulateSmoking(SeededRandom rng, CancerTypeProfile profile, Genomics genomics)
    {
        var never = profile.NeverSmoker;
        var former = profile.FormerSmoker;
        if (genomics.Biomarkers.Overlaps([BiomarkerKind.EgfrSensitizing, BiomarkerKind.AlkFusion, BiomarkerKind.Ros1Fusion]))
        {
            never = 0.6;
            former = 0.32;
        }

        var r = rng.NextDouble();
        return r < never ? SmokingStatusCategory.Never : r < never + former ? SmokingStatusCategory.Former : SmokingStatusCategory.Current;
    }

    private static Dictionary<LabAnalyte, decimal> SimulateBaselineLabs(SeededRandom rng, CancerType type, AdministrativeSex sex, bool stageIv, int ecog)
    {
        var male = sex == AdministrativeSex.Male;
        var poor = ecog >= 2;
        var renal = rng.Chance(0.05);
        var hepatic = rng.Chance(type == CancerType.PancreaticCancer ? 0.10 : 0.04);
        var marker = type switch
        {
            CancerType.ColorectalCancer => rng.LogNormal(stageIv ? 25 : 6, 0.9),
            CancerType.OvarianCancer => rng.LogNormal(stageIv ? 400 : 180, 0.9),
            CancerType.PancreaticCancer => rng.LogNormal(stageIv ? 600 : 150, 1.0),
            _ => 0,
        };
        return new Dictionary<LabAnalyte, decimal>
        {
            [LabAnalyte.Hemoglobin] = (decimal)(rng.Normal(male ? 13.6 : 12.4, 1.3) - (poor ? 0.8 : 0)),
            [LabAnalyte.Neutrophils] = (decimal)Math.Max(1.2, rng.Normal(4.5, 1.5)),
            [LabAnalyte.Platelets] = (decimal)Math.Max(60, rng.Normal(260, 70)),
            [LabAnalyte.Creatinine] = (decimal)(renal ? rng.Uniform(2.0, 3.0) : Math.Max(0.45, rng.Normal(male ? 1.0 : 0.85, 0.18))),
            [LabAnalyte.AlanineAminotransferase] = (decimal)rng.LogNormal(22, 0.4),
            [LabAnalyte.AspartateAminotransferase] = (decimal)rng.LogNormal(24, 0.35),
            [LabAnalyte.TotalBilirubin] = (decimal)(hepatic ? rng.Uniform(1.9, 3.5) : rng.LogNormal(0.6, 0.35)),
            [LabAnalyte.Albumin] = (decimal)(rng.Normal(3.9, 0.4) - (poor ? 0.3 : 0) - (type == CancerType.PancreaticCancer ? 0.2 : 0)),
            [LabAnalyte.LactateDehydrogenase] = (decimal)(rng.LogNormal(200, 0.3) * (stageIv ? 1.3 : 1.0) * (type == CancerType.Melanoma && stageIv ? 1.2 : 1.0)),
            [LabAnalyte.CarcinoembryonicAntigen] = (decimal)marker,
        };
    }

    private static LabAnalyte? TumorMarker(CancerType type) => type switch
    {
        CancerType.ColorectalCancer => LabAnalyte.CarcinoembryonicAntigen,
        CancerType.OvarianCancer => LabAnalyte.Ca125,
        CancerType.PancreaticCancer => LabAnalyte.Ca199,
        _ => null,
    };

    private static List<LabValue> DrawLabs(
        SeededRandom rng, Dictionary<LabAnalyte, decimal> baseline, CancerType type, int lineNumber, bool onTreatment,
        RecistResponse? response, ref decimal markerLevel, Therapy? therapy = null)
    {
        var myelosuppressive = onTreatment && therapy is not null && therapy.Classes.Contains(TherapyClassTag.Chemotherapy);
        double Noise(double sd) => 1 + rng.Normal(0, sd);
        decimal Round(double v, int digits) => Math.Round((decimal)Math.Max(v, 0), digits, MidpointRounding.AwayFromZero);
        double B(LabAnalyte a) => (double)baseline[a];

        var values = new List<LabValue>
        {
            new(LabAnalyte.Hemoglobin, Round(B(LabAnalyte.Hemoglobin) * Noise(0.04) - (myelosuppressive ? 1.0 : 0) - 0.2 * (lineNumber - 1), 1)),
            new(LabAnalyte.Neutrophils, Round(B(LabAnalyte.Neutrophils) * Noise(0.12) * (myelosuppressive ? 0.6 : 1), 2)),
            new(LabAnalyte.Platelets, Round(B(LabAnalyte.Platelets) * Noise(0.1) * (myelosuppressive ? 0.7 : 1), 0)),
            new(LabAnalyte.Creatinine, Round(B(LabAnalyte.Creatinine) * Noise(0.06), 2)),
            new(LabAnalyte.AlanineAminotransferase, Round(B(LabAnalyte.AlanineAminotransferase) * Noise(0.15), 0)),
            new(LabAnalyte.AspartateAminotransferase, Round(B(LabAnalyte.AspartateAminotransferase) * Noise(0.12), 0)),
            new(LabAnalyte.TotalBilirubin, Round(B(LabAnalyte.TotalBilirubin) * Noise(0.1), 1)),
            new(LabAnalyte.Albumin, Round(B(LabAnalyte.Albumin) * Noise(0.03) - 0.1 * (lineNumber - 1), 1)),
            new(LabAnalyte.LactateDehydrogenase, Round(B(LabAnalyte.LactateDehydrogenase) * Noise(0.1)
                * (response is RecistResponse.CompleteResponse or RecistResponse.PartialResponse ? 0.8 : response == RecistResponse.ProgressiveDisease ? 1.25 : 1), 0)),
        };

        if (TumorMarker(type) is { } marker)
        {
            var level = (double)markerLevel * Noise(0.08) * response switch
            {
                RecistResponse.CompleteResponse => 0.2,
                RecistResponse.PartialResponse => 0.45,
                RecistResponse.StableDisease => 0.95,
                RecistResponse.ProgressiveDisease => 1.6,
                _ => 1,
            };
            values.Add(new LabValue(marker, Round(level, marker == LabAnalyte.CarcinoembryonicAntigen ? 1 : 0)));
        }

        return values;
    }

    private static void AdvanceMarkerAfter(RecistResponse response, ref decimal markerLevel)
    {
        // Every line ends in progression (or stopping); the marker at the next baseline is higher than where it went on treatment.
        markerLevel *= response switch
        {
            RecistResponse.CompleteResponse => 0.6m,
            RecistResponse.PartialResponse => 0.9m,
            RecistResponse.StableDisease => 1.3m,
            _ => 1.8m,
        };
    }

    /// <summary>Guideline-like choice of the next line (simplified NCCN/ESMO logic; docs/cohort.md).</summary>
    private static string? GuidelineTherapy(
        CancerType type, int line, Genomics g, int ecog, int age, HashSet<string> used, List<TherapyLineRecord> previous)
    {
        bool Has(BiomarkerKind b) => g.Biomarkers.Contains(b);
        string? FirstUnused(params string[] ids) => ids.FirstOrDefault(id => !used.Contains(id));
        var hadIo = used.Any(id => id.Contains("pembrolizumab", StringComparison.Ordinal) || id.Contains("nivolumab", StringComparison.Ordinal));

        if (line >= 2 && Has(BiomarkerKind.NtrkFusion) && !used.Contains("larotrectinib"))
        {
            return "larotrectinib";
        }

        if (line >= 2 && Has(BiomarkerKind.MsiHigh) && !hadIo)
        {
            return "pembrolizumab";
        }

        switch (type)
        {
            case CancerType.NonSmallCellLungCancer:
                if (line == 1)
                {
                    return Has(BiomarkerKind.EgfrSensitizing) ? "osimertinib"
                        : Has(BiomarkerKind.AlkFusion) ? "alectinib"
                        : Has(BiomarkerKind.Ros1Fusion) ? "crizotinib"
                        : Has(BiomarkerKind.NtrkFusion) ? "larotrectinib"
                        : Has(BiomarkerKind.PdL1High) ? "pembrolizumab"
                        : "carboplatin-pemetrexed-pembrolizumab";
                }

                if (Has(BiomarkerKind.KrasG12C) && !used.Contains("sotorasib"))
                {
                    return "sotorasib";
                }

                return hadIo ? FirstUnused("docetaxel", "paclitaxel") : FirstUnused("carboplatin-pemetrexed", "docetaxel");

            case CancerType.ColorectalCancer:
                if (line == 1)
                {
                    return Has(BiomarkerKind.MsiHigh) ? "pembrolizumab" : "folfox";
                }

                if (Has(BiomarkerKind.BrafV600E) && !used.Contains("encorafenib-cetuximab"))
                {
                    return "encorafenib-cetuximab";
                }

                if (Has(BiomarkerKind.KrasG12C) && !used.Contains("sotorasib"))
                {
                    return "sotorasib";
                }

                return line >= 3 && Has(BiomarkerKind.TmbHigh) && !hadIo ? "pembrolizumab" : FirstUnused("folfox", "folfiri");

            case CancerType.BreastCancer:
                if (line == 1)
                {
                    return Has(BiomarkerKind.Erbb2Amplification) ? "trastuzumab-pertuzumab-docetaxel"
                        : Has(BiomarkerKind.HormoneReceptorPositive) ? "letrozole-palbociclib"
                        : "paclitaxel";
                }

                if (Has(BiomarkerKind.HormoneReceptorPositive) && !used.Contains("letrozole-palbociclib"))
                {
                    return "letrozole-palbociclib";
                }

                return Has(BiomarkerKind.BrcaPathogenic) && !used.Contains("olaparib") ? "olaparib"
                    : FirstUnused("paclitaxel", "carboplatin-paclitaxel");

            case CancerType.Melanoma:
                if (line == 1)
                {
                    // Both are guideline options with BRAF V600E; about 40% start with the targeted combination.
                    return Has(BiomarkerKind.BrafV600E) && g.TmbPerMb < 14 ? "dabrafenib-trametinib" : "nivolumab-ipilimumab";
                }

                return Has(BiomarkerKind.BrafV600E) ? FirstUnused("dabrafenib-trametinib", "nivolumab-ipilimumab", "dacarbazine")
                    : FirstUnused("dacarbazine", "paclitaxel");

            case CancerType.OvarianCancer:
                if (line == 1)
                {
                    return "carboplatin-paclitaxel";
                }

                return Has(BiomarkerKind.BrcaPathogenic) && !used.Contains("olaparib") ? "olaparib" : FirstUnused("paclitaxel");

            case CancerType.PancreaticCancer:
                if (line == 1)
                {
                    return ecog <= 1 && age < 75 ? "folfirinox" : "gemcitabine-nab-paclitaxel";
                }

                var respondedBefore = previous.Any(p => p.BestResponse is RecistResponse.CompleteResponse or RecistResponse.PartialResponse or RecistResponse.StableDisease);
                return Has(BiomarkerKind.BrcaPathogenic) && respondedBefore && !used.Contains("olaparib") ? "olaparib"
                    : FirstUnused("gemcitabine-nab-paclitaxel", "folfirinox");

            default:
                return null;
        }
    }

    /// <summary>Therapies an oncologist might plausibly (if off-guideline) give for the cancer type.</summary>
    private IReadOnlyList<string> PlausibleTherapies(CancerType type)
    {
        var fromContexts = _model.Catalog.ResponseRates
            .Where(r => _model.Catalog.Context(r.ContextId).CancerTypes.Contains(type))
            .Select(r => r.TherapyId);
        return [.. fromContexts.Append("pembrolizumab").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }
}
