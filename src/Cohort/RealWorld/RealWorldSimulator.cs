using System.Globalization;
using Precision.Clinical;
using Precision.Clinical.Catalog;
using static Precision.Cohort.RealWorld.RealWorldRates;

namespace Precision.Cohort.RealWorld;

/// <summary>
/// Draws the real-world shape of a simulated patient. Every draw comes from streams of its own, (seed, index ^ salt + aspect),
/// never from the patient's simulation stream: the simulated course, its dates and its truth are exactly what
/// <see cref="PatientSimulator"/> produced. A patient replaced by an unsupported histology keeps the simulated demographics,
/// labs, ECOG and line dates, but gets other regimens, no driver variants and no truth rows.
/// </summary>
public sealed class RealWorldSimulator
{
    /// <summary>Mixed into the stream number; far above any patient index, so no stream here is a patient's stream.</summary>
    private const long Salt = 0x5245_414C_574F_524CL;

    private readonly TherapyCatalog _catalog;
    private readonly long _seed;
    private readonly DateOnly _referenceDate;
    private readonly Dictionary<string, CatalogMedication> _medications;

    public RealWorldSimulator(TherapyCatalog catalog, long seed, DateOnly referenceDate)
    {
        _catalog = catalog ?? throw new ArgumentNullException(nameof(catalog));
        _seed = seed;
        _referenceDate = referenceDate;
        _medications = catalog.Therapies.SelectMany(t => t.Medications)
            .GroupBy(m => m.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
    }

    private enum Aspect
    {
        Replacement = 1,
        Diagnosis,
        Curative,
        Staging,
        Secondary,
        Genomics,
        Medications,
        Procedures,
        Death,
    }

    private SeededRandom Stream(int index, Aspect aspect) => new(_seed, (index ^ Salt) + ((long)aspect << 40));

    /// <summary>The stage group's roman numeral ("IIIA" → "III").</summary>
    public static string StageGroup(string stage) => new([.. (stage ?? string.Empty).TakeWhile(c => c is 'I' or 'V')]);

    /// <summary>The patient with its real-world shape; a replaced patient also loses its driver variants and truth rows.</summary>
    public SyntheticPatient Apply(SyntheticPatient p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var group = StageGroup(p.Stage);
        var replacement = DrawReplacement(p, Stream(p.Index, Aspect.Replacement));
        var genomics = replacement is null ? p.Genomics : WithoutDrivers(p.Genomics);

        var diagnosis = replacement is null
            ? DrawDiagnosis(p, group, Stream(p.Index, Aspect.Diagnosis))
            : ReplacementDiagnosis(p, replacement.Histology, group, Stream(p.Index, Aspect.Diagnosis));

        SurgeryRecord? surgery = null;
        AdjuvantCourse? adjuvant = null;
        var radiotherapy = new List<RadiotherapyCourse>();
        var firstLine = p.Lines.Count > 0 ? p.Lines[0].Start : _referenceDate;
        if (replacement is null)
        {
            var rectal = diagnosis.Snomed == RealWorldCodes.Rectum;
            (surgery, adjuvant) = DrawCurative(p, group, firstLine, rectal, Stream(p.Index, Aspect.Curative), radiotherapy);
        }
        var staging = p.Messiness.MissingStage ? null : DrawStaging(p, group, surgery, Stream(p.Index, Aspect.Staging));
        var secondaries = DrawSecondaries(p, replacement?.Histology, group, firstLine, Stream(p.Index, Aspect.Secondary));

        var procedures = Stream(p.Index, Aspect.Procedures);
        foreach (var met in secondaries.Where(s => s.Site is MetastaticSite.Bone or MetastaticSite.Brain))
        {
            if (procedures.Chance(PalliativeRadiotherapyBoneOrBrain))
            {
                var brain = met.Site == MetastaticSite.Brain;
                var start = met.Onset.AddDays(procedures.Next(3, 22));
                var (sessions, days) = brain ? procedures.Pick(new List<((int, int), double)> { ((10, 13), 0.6), ((5, 6), 0.4) })
                    : procedures.Pick(new List<((int, int), double)> { ((1, 0), 0.4), ((5, 6), 0.35), ((10, 13), 0.25) });
                var end = start.AddDays(days);
                if (end <= _referenceDate)
                {
                    radiotherapy.Add(new RadiotherapyCourse(0, start, end, Curative: false, sessions,
                        brain ? RealWorldCodes.BrainStructure : null, brain ? "Whole brain" : "Bone metastasis (spine)", met.Sequence));
                }
            }
        }

        var procedureNotDone = procedures.Chance(ProcedureNotDone);
        radiotherapy = [.. radiotherapy.OrderBy(c => c.Start).Select((c, i) => c with { Sequence = i + 1 })];

        var genomicsShape = DrawGenomics(p, genomics, Stream(p.Index, Aspect.Genomics));
        var medications = DrawMedications(p, replacement, adjuvant, Stream(p.Index, Aspect.Medications));

        var record = new RealWorldRecord(replacement, diagnosis, staging, secondaries, surgery, adjuvant, radiotherapy, procedureNotDone,
            genomicsShape, medications, Death: null);
        record = record with { Death = DrawDeath(p, record, Stream(p.Index, Aspect.Death)) };
        return p.WithRealWorld(record, genomics, replacement is null ? p.Truth : []);
    }

    private Replacement? DrawReplacement(SyntheticPatient p, SeededRandom r)
    {
        var (histology, rate) = p.CancerType switch
        {
            CancerType.NonSmallCellLungCancer => (UnsupportedHistology.SmallCellLungCancer, SmallCellOfLung),
            CancerType.PancreaticCancer => (UnsupportedHistology.PancreaticNeuroendocrineTumor, NeuroendocrineOfPancreas),
            CancerType.Melanoma => (UnsupportedHistology.UvealMelanoma, UvealOfMelanoma),
            _ => (UnsupportedHistology.SmallCellLungCancer, 0.0),
        };
        if (rate == 0 || !r.Chance(rate))
        {
            return null;
        }

        var regimens = new List<IReadOnlyList<DrugCode>>();
        var stageFour = StageGroup(p.Stage) == "IV";
        for (var line = 1; line <= p.Lines.Count; line++)
        {
            regimens.Add(histology switch
            {
                UnsupportedHistology.SmallCellLungCancer => line switch
                {
                    1 => stageFour && r.Chance(0.6) ? [Catalog("carboplatin"), RealWorldCodes.Etoposide, RealWorldCodes.Atezolizumab]
                        : r.Chance(0.5) ? [RealWorldCodes.Cisplatin, RealWorldCodes.Etoposide] : [Catalog("carboplatin"), RealWorldCodes.Etoposide],
                    2 => r.Chance(0.5) ? [Catalog("carboplatin"), RealWorldCodes.Etoposide] : [RealWorldCodes.Lurbinectedin],
                    _ => [RealWorldCodes.InvestigationalAgent],
                },
                UnsupportedHistology.PancreaticNeuroendocrineTumor => line switch
                {
                    1 => [RealWorldCodes.Lanreotide],
                    2 => [RealWorldCodes.Captem],
                    _ => [RealWorldCodes.Everolimus],
                },
                _ => line == 1 ? [RealWorldCodes.Tebentafusp] : [RealWorldCodes.InvestigationalAgent],
            });
        }

        return new Replacement(histology, regimens);
    }

    private DrugCode Catalog(string name)
    {
        var med = _medications[name];
        return new DrugCode(med.Name, RxNorm: med.RxNormCode, RxNormDisplay: med.Name);
    }

    private static Genomics WithoutDrivers(Genomics g) => new()
    {
        ReportedOn = g.ReportedOn,
        Biomarkers = [.. g.Biomarkers.Where(b => b == BiomarkerKind.TmbHigh)],
        Variants = [],
        Fusions = [],
        CopyNumbers = [],
        TmbPerMb = g.TmbPerMb,
        Msi = MicrosatelliteStatus.Stable,
        PdL1Tps = null,
        HormoneReceptorPositive = null,
        TcellInflamedScore = g.TcellInflamedScore,
        Dpyd = g.Dpyd,
        Ugt1a1 = g.Ugt1a1,
    };

    private static DiagnosisCoding DrawDiagnosis(SyntheticPatient p, string group, SeededRandom rng)
    {
        var basic = CancerTypes.All.First(c => c.CancerType == p.CancerType);
        var profile = CohortProfiles.Of(p.CancerType);
        var snomed = new Concept(CodeSystems.Snomed, basic.SnomedCode, basic.SnomedDisplay);
        var icd = new Concept(CodeSystems.Icd10Cm, basic.Icd10Code, basic.DisplayName);
        var text = basic.DisplayName;
        Concept? bodySite = new(CodeSystems.Snomed, profile.BodySiteSnomed, profile.BodySiteDisplay);
        string? bodySiteText = profile.BodySiteDisplay;
        var specific = rng.Chance(SpecificSnomed);
        var specificIcd = rng.Chance(SpecificIcd10);
        var withMorphology = rng.Chance(MorphologyExtension);
        var right = rng.Chance(0.5);
        Concept morphology;
        switch (p.CancerType)
        {
            case CancerType.NonSmallCellLungCancer:
            {
                var adenoCode = specific && rng.Chance(0.3);
                if (specific)
                {
                    snomed = adenoCode ? RealWorldCodes.AdenocarcinomaOfLung : group switch
                    {
                        "I" => RealWorldCodes.NsclcStage1,
                        "II" => RealWorldCodes.NsclcStage2,
                        "III" => RealWorldCodes.NsclcStage3,
                        _ => RealWorldCodes.NsclcStage4,
                    };
                    text = adenoCode ? "Adenocarcinoma of lung" : "Non-small cell carcinoma of lung";
                }

                if (specificIcd)
                {
                    icd = RealWorldCodes.IcdLung(rng.Pick(new List<(char, double)> { ('1', 0.55), ('3', 0.3), ('9', 0.15) }), right);
                }

                var driver = p.Genomics.Biomarkers.Overlaps([BiomarkerKind.EgfrSensitizing, BiomarkerKind.AlkFusion, BiomarkerKind.Ros1Fusion]);
                morphology = adenoCode || driver ? RealWorldCodes.Adenocarcinoma
                    : rng.Pick(new List<(Concept, double)> { (RealWorldCodes.Adenocarcinoma, 0.55), (RealWorldCodes.SquamousCellCarcinoma, 0.30), (RealWorldCodes.NonSmallCellCarcinoma, 0.15) });
                break;
            }

            case CancerType.BreastCancer:
            {
                var ductal = rng.Chance(0.4);
                if (specific)
                {
                    snomed = ductal ? RealWorldCodes.InfiltratingDuctBreast : RealWorldCodes.PrimaryBreast;
                    text = ductal ? "Infiltrating duct carcinoma of breast" : "Primary malignant neoplasm of breast";
                }

                if (specificIcd)
                {
                    icd = RealWorldCodes.IcdBreast(p.Sex != AdministrativeSex.Male, right);
                }

                if (!right && rng.Chance(0.5))
                {
                    bodySite = RealWorldCodes.LeftBreastStructure;
                    bodySiteText = "Left breast";
                }
                else
                {
                    bodySiteText = right ? "Right breast" : "Left breast";
                }

                morphology = ductal && specific ? RealWorldCodes.InfiltratingDuctCarcinoma
                    : rng.Chance(0.8) ? RealWorldCodes.InfiltratingDuctCarcinoma : RealWorldCodes.LobularCarcinoma;
                break;
            }

            case CancerType.ColorectalCancer:
                if (rng.Chance(RectumOfColorectal))
                {
                    snomed = RealWorldCodes.Rectum;
                    icd = RealWorldCodes.IcdRectum;
                    text = "Adenocarcinoma of rectum";
                    bodySite = RealWorldCodes.RectumStructure;
                    bodySiteText = "Rectum";
                }
                else if (specific)
                {
                    snomed = RealWorldCodes.PrimaryColon;
                    text = "Primary malignant neoplasm of colon";
                }

                morphology = RealWorldCodes.Adenocarcinoma;
                break;

            case CancerType.OvarianCancer:
                if (specific)
                {
                    snomed = RealWorldCodes.PrimaryOvary;
                    text = "Primary malignant neoplasm of ovary";
                }

                morphology = RealWorldCodes.Adenocarcinoma;
                break;

            case CancerType.PancreaticCancer:
                if (specific)
                {
                    snomed = RealWorldCodes.PrimaryPancreas;
                    text = "Primary malignant neoplasm of pancreas";
                }

                morphology = RealWorldCodes.Adenocarcinoma;
                break;

            default:
                morphology = rng.Pick(new List<(Concept, double)> { (RealWorldCodes.Melanoma, 0.7), (RealWorldCodes.SuperficialSpreadingMelanoma, 0.2), (RealWorldCodes.NodularMelanoma, 0.1) });
                break;
        }

        return new DiagnosisCoding(snomed, icd, text, withMorphology ? morphology : null, bodySite, bodySiteText);
    }

    private static DiagnosisCoding ReplacementDiagnosis(SyntheticPatient p, UnsupportedHistology histology, string group, SeededRandom rng)
    {
        var withMorphology = rng.Chance(0.7);
        switch (histology)
        {
            case UnsupportedHistology.SmallCellLungCancer:
            {
                var staged = rng.Chance(0.5);
                var snomed = staged ? RealWorldCodes.SmallCellLungByStage[group switch { "I" => 0, "II" => 1, "III" => 2, _ => 3 }] : RealWorldCodes.SmallCellLung;
                var profile = CohortProfiles.Of(p.CancerType);
                return new DiagnosisCoding(snomed, RealWorldCodes.IcdLungUnspecified, "Small cell carcinoma of lung",
                    withMorphology ? RealWorldCodes.SmallCellCarcinoma : null, new Concept(CodeSystems.Snomed, profile.BodySiteSnomed, profile.BodySiteDisplay), profile.BodySiteDisplay);
            }

            case UnsupportedHistology.PancreaticNeuroendocrineTumor:
            {
                var profile = CohortProfiles.Of(p.CancerType);
                return new DiagnosisCoding(null, RealWorldCodes.IcdEndocrinePancreas, "Pancreatic neuroendocrine tumor",
                    withMorphology ? RealWorldCodes.NeuroendocrineTumor : null, new Concept(CodeSystems.Snomed, profile.BodySiteSnomed, profile.BodySiteDisplay), profile.BodySiteDisplay);
            }

            default:
            {
                var choroid = rng.Chance(0.8);
                var right = rng.Chance(0.5);
                var icd = choroid ? RealWorldCodes.IcdChoroid : right ? RealWorldCodes.IcdRightCiliaryBody : RealWorldCodes.IcdLeftCiliaryBody;
                return new DiagnosisCoding(null, icd, choroid ? "Uveal melanoma of the choroid" : "Uveal melanoma of the ciliary body",
                    withMorphology ? RealWorldCodes.Melanoma : null, null, choroid ? "Choroid" : (right ? "Right ciliary body" : "Left ciliary body"));
            }
        }
    }

    private (SurgeryRecord?, AdjuvantCourse?) DrawCurative(SyntheticPatient p, string group, DateOnly firstLine, bool rectal, SeededRandom rng, List<RadiotherapyCourse> radiotherapy)
    {
        var type = p.CancerType;
        var early = group is "I" or "II" or "III";
        if (!early && !(type == CancerType.OvarianCancer && group == "IV"))
        {
            return (null, null);
        }

        if (type == CancerType.NonSmallCellLungCancer && group == "III" && rng.Chance(ChemoradiationNsclcStageThree))
        {
            var start = p.DiagnosedOn.AddDays(rng.Next(21, 50));
            var end = start.AddDays(rng.Next(42, 50));
            if (end < firstLine.AddDays(-30))
            {
                radiotherapy.Add(new RadiotherapyCourse(0, start, end, Curative: true, 30, RealWorldCodes.EntireLung, "Lung and mediastinum", null));
            }

            return (null, null);
        }

        if (!rng.Chance(Surgery(type, group)))
        {
            return (null, null);
        }

        var gap = firstLine.DayNumber - p.DiagnosedOn.DayNumber;
        var performed = early ? p.DiagnosedOn.AddDays(rng.Next(14, 46)) : p.DiagnosedOn.AddDays(rng.Next(3, Math.Max(4, gap - 3)));
        var lumpectomy = false;
        SurgeryRecord surgery = type switch
        {
            CancerType.BreastCancer => (lumpectomy = rng.Chance(LumpectomyOfBreastSurgery))
                ? new SurgeryRecord(performed, RealWorldCodes.Lumpectomy, "Lumpectomy")
                : new SurgeryRecord(performed, RealWorldCodes.ExcisionOfBreastTissue, "Mastectomy"),
            CancerType.ColorectalCancer => rectal
                ? new SurgeryRecord(performed, null, "Low anterior resection of rectum")
                : new SurgeryRecord(performed, RealWorldCodes.PartialResectionOfColon, "Partial colectomy"),
            CancerType.NonSmallCellLungCancer => new SurgeryRecord(performed, RealWorldCodes.PartialLobectomyOfLung, "Lobectomy"),
            CancerType.OvarianCancer => new SurgeryRecord(performed, RealWorldCodes.HysterectomyWithBso, group == "IV" ? "Debulking: total abdominal hysterectomy with bilateral salpingo-oophorectomy" : "Total abdominal hysterectomy with bilateral salpingo-oophorectomy"),
            CancerType.PancreaticCancer => new SurgeryRecord(performed, null, rng.Chance(0.75) ? "Pancreaticoduodenectomy (Whipple procedure)" : "Distal pancreatectomy"),
            _ => new SurgeryRecord(performed, null, "Wide local excision of primary melanoma"),
        };

        AdjuvantCourse? adjuvant = null;
        var adjuvantDrugs = type switch
        {
            CancerType.ColorectalCancer => (IReadOnlyList<DrugCode>)[Catalog("fluorouracil"), Catalog("leucovorin"), Catalog("oxaliplatin")],
            CancerType.BreastCancer => [Catalog("docetaxel"), RealWorldCodes.Cyclophosphamide],
            CancerType.NonSmallCellLungCancer => [RealWorldCodes.Cisplatin, Catalog("pemetrexed")],
            _ => [],
        };
        if (adjuvantDrugs.Count > 0 && group is "II" or "III" && rng.Chance(Adjuvant))
        {
            var (cycles, every) = type == CancerType.ColorectalCancer ? (12, 14) : (4, 21);
            var start = performed.AddDays(rng.Next(28, 57));
            var latestEnd = firstLine.AddDays(-183);
            if (start.AddDays(cycles * every) > latestEnd && type == CancerType.ColorectalCancer)
            {
                cycles = 6; // three months, as in the IDEA trials' shorter course
            }

            if (start.AddDays(cycles * every) <= latestEnd)
            {
                var dates = Enumerable.Range(0, cycles).Select(c => start.AddDays(c * every)).ToList();
                adjuvant = new AdjuvantCourse(start, start.AddDays(cycles * every), adjuvantDrugs, dates);
            }
        }

        if (lumpectomy && rng.Chance(RadiotherapyAfterLumpectomy))
        {
            var start = (adjuvant?.End ?? performed).AddDays(rng.Next(21, 43));
            var (sessions, days) = rng.Chance(0.6) ? (15, 20) : (25, 34);
            var end = start.AddDays(days);
            if (end < firstLine.AddDays(-30))
            {
                radiotherapy.Add(new RadiotherapyCourse(0, start, end, Curative: true, sessions, RealWorldCodes.EntireBreast, "Whole breast", null));
            }
        }

        return (surgery, adjuvant);
    }

    private static StagingShape DrawStaging(SyntheticPatient p, string group, SurgeryRecord? surgery, SeededRandom rng)
    {
        var style = rng.Pick(new List<(StageStyle, double)>
        {
            (StageStyle.TnmStu3, StageTnmStu3), (StageStyle.StageGroupStu1Stu2, StageGroupStu1Stu2), (StageStyle.SummaryOnly, StageSummaryOnly),
        });
        var pathologic = surgery is not null && group is "I" or "II" or "III";
        var conditionStage = style == StageStyle.SummaryOnly || rng.Chance(ConditionStageWithObservation);
        var portalCoding = rng.Chance(0.5);
        var stu2 = rng.Chance(0.5);
        TnmCategories? categories = null;
        if (style != StageStyle.SummaryOnly && rng.Chance(TnmCategoryObservations))
        {
            var prefix = pathologic ? "p" : "c";
            var (t, n, m) = group switch
            {
                "I" => (rng.Chance(0.6) ? "T1" : "T2", "N0", "M0"),
                "II" => rng.Chance(0.6) ? (rng.Chance(0.5) ? "T2" : "T3", "N0", "M0") : (rng.Chance(0.5) ? "T1" : "T2", "N1", "M0"),
                "III" => (rng.Pick(["T1", "T2", "T3", "T4"]), rng.Pick(new List<(string, double)> { ("N1", 0.3), ("N2", 0.5), ("N3", 0.2) }), "M0"),
                _ => (rng.Pick(["T1", "T2", "T3", "T4"]), rng.Pick(["N0", "N1", "N2", "N3"]), "M1"),
            };
            // The distant-metastasis category is clinical unless a metastasis was resected; pM0 does not exist in AJCC.
            categories = new TnmCategories(prefix + t, prefix + n, "c" + m);
        }

        return new StagingShape(style, pathologic, pathologic ? surgery!.PerformedOn : p.DiagnosedOn, conditionStage, portalCoding, stu2,
            Focus: style == StageStyle.TnmStu3 || stu2 || rng.Chance(0.5), categories);
    }

    private List<SecondaryCancer> DrawSecondaries(SyntheticPatient p, UnsupportedHistology? histology, string group, DateOnly firstLine, SeededRandom rng)
    {
        var sites = (histology, p.CancerType) switch
        {
            (UnsupportedHistology.UvealMelanoma, _) => [MetastaticSite.Liver, MetastaticSite.Lung, MetastaticSite.Bone],
            (UnsupportedHistology.PancreaticNeuroendocrineTumor, _) => [MetastaticSite.Liver, MetastaticSite.Bone],
            (_, CancerType.NonSmallCellLungCancer) => [MetastaticSite.Bone, MetastaticSite.Brain, MetastaticSite.Liver],
            (_, CancerType.ColorectalCancer) => [MetastaticSite.Liver, MetastaticSite.Lung, MetastaticSite.Peritoneum],
            (_, CancerType.BreastCancer) => [MetastaticSite.Bone, MetastaticSite.Liver, MetastaticSite.Lung, MetastaticSite.Brain],
            (_, CancerType.Melanoma) => [MetastaticSite.Lung, MetastaticSite.Liver, MetastaticSite.Brain, MetastaticSite.Bone],
            (_, CancerType.OvarianCancer) => [MetastaticSite.Peritoneum, MetastaticSite.Liver, MetastaticSite.Lung],
            _ => (List<MetastaticSite>)[MetastaticSite.Liver, MetastaticSite.Peritoneum, MetastaticSite.Lung],
        };

        var result = new List<SecondaryCancer>();
        var lastStart = p.Lines.Count > 0 ? p.Lines[^1].Start : p.DiagnosedOn;
        var onsets = new List<DateOnly>();
        if (group == "IV")
        {
            if (rng.Chance(SecondaryInStageFour))
            {
                var count = rng.Pick(new List<(int, double)> { (1, 0.55), (2, 0.3), (3, 0.15) });
                onsets.Add(p.DiagnosedOn.AddDays(rng.Next(0, 8)));
                for (var k = 1; k < count; k++)
                {
                    onsets.Add(p.DiagnosedOn.AddDays(rng.Next(0, Math.Max(1, lastStart.DayNumber - p.DiagnosedOn.DayNumber) + 1)));
                }
            }
        }
        else if (p.Lines.Count > 0 && rng.Chance(SecondaryBeforeRelapse))
        {
            onsets.Add(firstLine.AddDays(-rng.Next(7, 46)));
        }

        var remaining = sites.ToList();
        for (var k = 0; k < onsets.Count && remaining.Count > 0; k++)
        {
            // The first metastatic site is the most common one for the type more often than not.
            var site = k == 0 && rng.Chance(0.5) ? remaining[0] : rng.Pick(remaining);
            remaining.Remove(site);
            var related = rng.Pick(new List<(RelatedPrimaryStyle, double)>
            {
                (RelatedPrimaryStyle.ConditionRelated, 1 - SecondaryWithoutRelatedPrimary - SecondaryStu1RelatedPrimary),
                (RelatedPrimaryStyle.Stu1, SecondaryStu1RelatedPrimary),
                (RelatedPrimaryStyle.None, SecondaryWithoutRelatedPrimary),
            });
            var onset = onsets[k] > _referenceDate ? _referenceDate : onsets[k];
            result.Add(new SecondaryCancer(0, site, onset, rng.Chance(SecondaryIcd10Only), related, rng.Chance(0.5)));
        }

        return [.. result.OrderBy(s => s.Onset).ThenBy(s => s.Site).Select((s, i) => s with { Sequence = i + 1 })];
    }

    private static GenomicsShape DrawGenomics(SyntheticPatient p, Genomics g, SeededRandom rng)
    {
        var stu3 = rng.Chance(Stu3Report);
        var noSubject = rng.Chance(GenomicsWithoutSubject);
        var legacy = rng.Chance(LegacySignificanceOnVariant);
        var span = g.ReportedOn.DayNumber - p.DiagnosedOn.DayNumber;
        var collected = p.DiagnosedOn.AddDays(rng.Next(0, Math.Max(1, span - 6)));

        var negatives = new List<SmallVariantInfo>();
        if (rng.Chance(PertinentNegatives))
        {
            IReadOnlyList<SmallVariantInfo> candidates = p.CancerType switch
            {
                CancerType.NonSmallCellLungCancer => [GenomicsKnowledge.EgfrL858R, GenomicsKnowledge.EgfrExon19Del, GenomicsKnowledge.KrasG12C, GenomicsKnowledge.BrafV600E],
                CancerType.ColorectalCancer => [GenomicsKnowledge.KrasG12C, GenomicsKnowledge.KrasG12D, GenomicsKnowledge.BrafV600E],
                CancerType.Melanoma => [GenomicsKnowledge.BrafV600E],
                CancerType.PancreaticCancer => [GenomicsKnowledge.KrasG12C, GenomicsKnowledge.Brca1Del, GenomicsKnowledge.Brca2Del],
                _ => [GenomicsKnowledge.Brca1Del, GenomicsKnowledge.Brca2Del],
            };
            var absent = candidates.Where(c => g.Variants.All(v => v.Variant.Key != c.Key)).ToList();
            var count = Math.Min(absent.Count, rng.Next(1, 4));
            for (var k = 0; k < count; k++)
            {
                var pick = rng.Pick(absent);
                absent.Remove(pick);
                negatives.Add(pick);
            }

            negatives = [.. negatives.OrderBy(v => v.Key, StringComparer.Ordinal)];
        }

        var vus = rng.Chance(UncertainSignificanceVariant) ? SyntheticMissense(rng) : null;
        var benign = rng.Chance(BenignVariant) ? SyntheticSynonymous(rng) : null;
        var likely = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var v in g.Variants.Where(v => v.Variant.Gene.Symbol is "BRCA1" or "BRCA2"))
        {
            likely[v.Variant.Key] = rng.Chance(LikelyPathogenic);
        }

        return new GenomicsShape(stu3, noSubject, legacy, collected, negatives, vus, benign, likely);
    }

    private static readonly string[] AminoAcids = ["Ala", "Arg", "Asn", "Asp", "Cys", "Gln", "Glu", "Gly", "His", "Ile", "Leu", "Lys", "Met", "Phe", "Pro", "Ser", "Thr", "Trp", "Tyr", "Val"];
    private static readonly char[] Bases = ['A', 'C', 'G', 'T'];

    /// <summary>
    /// A synthetic missense change in BRCA2 or TP53: position, bases and amino acids are drawn, not looked up, so it is not
    /// checked against the reference sequence. Written with clinical significance "Uncertain significance".
    /// </summary>
    private static SmallVariantInfo SyntheticMissense(SeededRandom rng)
    {
        var brca2 = rng.Chance(0.5);
        var (gene, transcript, length) = brca2 ? (GenomicsKnowledge.Brca2, "NM_000059.4", 3418) : (GenomicsKnowledge.Tp53, "NM_000546.6", 393);
        var codon = rng.Next(2, length);
        var offset = rng.Next(1, 3); // first or second base of the codon: a missense change
        var reference = rng.Pick(Bases);
        var alternate = rng.Pick(Bases.Where(b => b != reference).ToList());
        var from = rng.Pick(AminoAcids);
        var to = rng.Pick(AminoAcids.Where(a => a != from).ToList());
        var position = 3 * (codon - 1) + offset;
        return new SmallVariantInfo($"{gene.Symbol}-VUS", gene, string.Create(CultureInfo.InvariantCulture, $"{transcript}:c.{position}{reference}>{alternate}"),
            string.Create(CultureInfo.InvariantCulture, $"p.{from}{codon}{to}"), GenomicsKnowledge.SoSnv, "SNV");
    }

    /// <summary>A synthetic synonymous change (third codon base) in BRCA1 or BRCA2, written as benign.</summary>
    private static SmallVariantInfo SyntheticSynonymous(SeededRandom rng)
    {
        var brca1 = rng.Chance(0.5);
        var (gene, transcript, length) = brca1 ? (GenomicsKnowledge.Brca1, "NM_007294.4", 1863) : (GenomicsKnowledge.Brca2, "NM_000059.4", 3418);
        var codon = rng.Next(2, length);
        var reference = rng.Pick(Bases);
        var alternate = rng.Pick(Bases.Where(b => b != reference).ToList());
        var amino = rng.Pick(AminoAcids.Where(a => a is not ("Met" or "Trp")).ToList());
        return new SmallVariantInfo($"{gene.Symbol}-benign", gene, string.Create(CultureInfo.InvariantCulture, $"{transcript}:c.{3 * codon}{reference}>{alternate}"),
            string.Create(CultureInfo.InvariantCulture, $"p.{amino}{codon}="), GenomicsKnowledge.SoSnv, "SNV");
    }

    private MedicationShape DrawMedications(SyntheticPatient p, Replacement? replacement, AdjuvantCourse? adjuvant, SeededRandom rng)
    {
        var requests = rng.Chance(LinesAsRequestsAndAdministrations);
        var intent = rng.Chance(IntentOnLines);
        var cycles = new List<IReadOnlyList<DateOnly>>();
        foreach (var line in p.Lines)
        {
            var end = line.End ?? _referenceDate;
            var span = Math.Max(0, end.DayNumber - line.Start.DayNumber);
            var n = Math.Min(rng.Next(2, 7), 1 + span / 7);
            cycles.Add([.. Enumerable.Range(0, n).Select(c => line.Start.AddDays((int)Math.Round(c * (double)span / n)))]);
        }

        var supportive = new List<OtherMedication>();
        var chemoLine = p.Lines.Select((l, i) => (Line: l, Index: i)).FirstOrDefault(x => IsChemotherapy(p, replacement, x.Index));
        if (chemoLine.Line is { } chemo)
        {
            void Add(string key, DrugCode drug, double rate, string reason)
            {
                if (rng.Chance(rate))
                {
                    supportive.Add(new OtherMedication(key, drug, chemo.Start, chemo.End, reason));
                }
            }

            Add("ondansetron", RealWorldCodes.Ondansetron, Ondansetron, "Prevention of chemotherapy-induced nausea and vomiting");
            Add("dexamethasone", RealWorldCodes.Dexamethasone, Dexamethasone, "Antiemetic premedication");
            Add("filgrastim", RealWorldCodes.Filgrastim, Filgrastim, "Prevention of febrile neutropenia");
        }

        var comorbidity = new List<OtherMedication>();
        void Chronic(string key, DrugCode ingredient, DrugCode? product, double rate, string reason)
        {
            if (rng.Chance(rate))
            {
                var drug = product is not null && rng.Chance(0.5) ? product : ingredient;
                comorbidity.Add(new OtherMedication(key, drug, p.DiagnosedOn.AddDays(-rng.Next(180, 3651)), null, reason));
            }
        }

        Chronic("metformin", RealWorldCodes.MetforminIngredient, RealWorldCodes.MetforminTablet, Metformin, "Type 2 diabetes mellitus");
        Chronic("atorvastatin", RealWorldCodes.AtorvastatinIngredient, RealWorldCodes.AtorvastatinTablet, Atorvastatin, "Hyperlipidemia");
        Chronic("lisinopril", RealWorldCodes.LisinoprilTablet, null, Lisinopril, "Hypertension");

        OtherMedication? notTaken = null;
        if (p.Lines.Count > 0 && rng.Chance(NotTaken))
        {
            var drug = rng.Chance(0.5) ? RealWorldCodes.Dexamethasone : RealWorldCodes.Ondansetron;
            notTaken = new OtherMedication("not-taken", drug, p.Lines[0].Start, null, "Patient declined");
        }

        NotGivenRequest? notGiven = null;
        if (p.Lines.Count > 0 && rng.Chance(AntineoplasticNotGiven))
        {
            var given = p.Lines.Select((_, i) => LineDrugsFor(p, replacement, i)).SelectMany(d => d).Select(d => d.Text).ToHashSet(StringComparer.Ordinal);
            var candidates = (replacement?.Histology, p.CancerType) switch
            {
                (UnsupportedHistology.SmallCellLungCancer, _) => [RealWorldCodes.Atezolizumab, RealWorldCodes.Cisplatin],
                (UnsupportedHistology.PancreaticNeuroendocrineTumor, _) => [RealWorldCodes.Everolimus],
                (UnsupportedHistology.UvealMelanoma, _) => [RealWorldCodes.Tebentafusp],
                (_, CancerType.NonSmallCellLungCancer) => [Catalog("docetaxel"), Catalog("paclitaxel")],
                (_, CancerType.ColorectalCancer) => [Catalog("irinotecan"), Catalog("oxaliplatin")],
                (_, CancerType.BreastCancer) => [Catalog("paclitaxel"), Catalog("docetaxel")],
                (_, CancerType.Melanoma) => [Catalog("dacarbazine"), Catalog("paclitaxel")],
                (_, CancerType.OvarianCancer) => [Catalog("olaparib"), Catalog("paclitaxel")],
                _ => (List<DrugCode>)[Catalog("gemcitabine"), Catalog("irinotecan")],
            };
            var drug = candidates.FirstOrDefault(d => !given.Contains(d.Text)) ?? RealWorldCodes.InvestigationalAgent;
            var last = p.Lines[^1].Start;
            var authored = last.AddDays(rng.Next(14, 61));
            authored = authored > _referenceDate ? last.AddDays(Math.Min(1, _referenceDate.DayNumber - last.DayNumber)) : authored;
            var kind = rng.Pick(new List<((bool Draft, bool Proposal), double)> { ((true, true), 0.4), ((true, false), 0.3), ((false, false), 0.3) });
            notGiven = new NotGivenRequest(drug, authored, kind.Draft, kind.Proposal);
        }

        ErroneousMedication? error = null;
        if (p.Lines.Count > 0 && rng.Chance(MedicationEnteredInError))
        {
            var start = p.Lines[0].Start.AddDays(365);
            error = new ErroneousMedication(LineDrugsFor(p, replacement, 0)[0], start > _referenceDate ? p.Lines[0].Start.AddDays(-30) : start);
        }

        return new MedicationShape(requests, intent, cycles, supportive, comorbidity, notTaken, notGiven, error);
    }

    private IReadOnlyList<DrugCode> LineDrugsFor(SyntheticPatient p, Replacement? replacement, int index) =>
        replacement is not null ? replacement.LineRegimens[index]
            : [.. _catalog.Therapy(p.Lines[index].TherapyId).Medications.Select(m => new DrugCode(m.Name, RxNorm: m.RxNormCode, RxNormDisplay: m.Name))];

    private bool IsChemotherapy(SyntheticPatient p, Replacement? replacement, int index) => replacement?.Histology switch
    {
        UnsupportedHistology.SmallCellLungCancer => true,
        UnsupportedHistology.PancreaticNeuroendocrineTumor => replacement.LineRegimens[index].Contains(RealWorldCodes.Captem),
        UnsupportedHistology.UvealMelanoma => false,
        _ => _catalog.Therapy(p.Lines[index].TherapyId).Classes.Any(c => c is TherapyClassTag.Chemotherapy or TherapyClassTag.PlatinumChemotherapy
            or TherapyClassTag.Fluoropyrimidine or TherapyClassTag.Irinotecan),
    };

    private Death? DrawDeath(SyntheticPatient p, RealWorldRecord record, SeededRandom rng)
    {
        if (p.Lines.Count == 0 || p.Lines[^1].End is not { } lastEnd)
        {
            return null;
        }

        var last = LastEvent(p, record, lastEnd);
        if (last >= _referenceDate)
        {
            return null;
        }

        var progressed = p.Lines[^1].BestResponse == RecistResponse.ProgressiveDisease;
        if (!rng.Chance(progressed ? DeathAfterProgressionOnLastLine : DeathOtherwise))
        {
            return null;
        }

        var date = last.AddDays(rng.Next(1, Math.Min(400, _referenceDate.DayNumber - last.DayNumber) + 1));
        return new Death(date, rng.Chance(DeceasedAsBoolean));
    }

    private static DateOnly LastEvent(SyntheticPatient p, RealWorldRecord record, DateOnly lastEnd)
    {
        var dates = new List<DateOnly> { lastEnd, p.Genomics.ReportedOn };
        dates.AddRange(p.Lines.SelectMany(l => new[] { l.Start, l.End ?? l.Start, l.AssessedOn ?? l.Start }));
        dates.AddRange(p.Labs.Select(l => l.Date));
        dates.AddRange(p.EcogAssessments.Select(e => e.Date));
        dates.AddRange(record.SecondaryCancers.Select(s => s.Onset));
        dates.AddRange(record.Radiotherapy.Select(r => r.End));
        dates.AddRange(record.Medications.LineCycles.SelectMany(c => c));
        dates.AddRange(record.Medications.Supportive.Select(s => s.End ?? s.Start));
        if (record.Medications.NotGiven is { } notGiven)
        {
            dates.Add(notGiven.AuthoredOn);
        }

        if (record.Medications.EnteredInError is { } error)
        {
            dates.Add(error.Start);
        }

        if (record.Adjuvant is { } adjuvant)
        {
            dates.Add(adjuvant.End);
        }

        if (record.Surgery is { } surgery)
        {
            dates.Add(surgery.PerformedOn);
        }

        return dates.Max();
    }
}
