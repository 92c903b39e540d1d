using System.Globalization;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Precision.Clinical;
using static Precision.Fhir.FhirElementReading;

namespace Precision.Fhir;

/// <summary>
/// Reads HL7 Genomics Reporting IG observations (STU1–STU3 and the older shapes hospitals still send): variants, fusions,
/// copy number, negative results, clinical significance (on the variant or on a diagnostic implication deriving from it),
/// TMB, MSI, PD-L1, ER, expression signatures and pharmacogenes. Presence is decided by Observation.value
/// (Present / Absent), the variant's kind by its own shape (DNA change type, molecular consequence), a biomarker's number
/// only with its unit.
/// </summary>
internal static partial class GenomicObservations
{
    private const string TbdCodes = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs";
    private const string TbdCodesStu1 = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes";

    private static readonly HashSet<string> SmallVariantTypes = new(StringComparer.Ordinal)
    {
        "SO:0001483", "SO:0002007", "SO:1000032", "SO:1000002", "SO:0000694",
    };

    private static readonly HashSet<string> SizeDependentTypes = new(StringComparer.Ordinal) { "SO:0000159", "SO:0000667", "SO:1000035" };

    private static readonly HashSet<string> CopyNumberTypes = new(StringComparer.Ordinal)
    {
        SequenceOntologyCodes.CopyNumberChange, SequenceOntologyCodes.CopyNumberGain, SequenceOntologyCodes.CopyNumberLoss,
    };

    /// <summary>
    /// Before the resources are read one by one: the clinical significance each diagnostic implication gives the variants it
    /// derives from, and the variants a molecular consequence calls a gene fusion.
    /// </summary>
    public static void Prepare(IEnumerable<Observation> observations, MappingState state)
    {
        foreach (var observation in observations)
        {
            var kind = TbdCode(observation);
            if (kind is not ("diagnostic-implication" or "molecular-consequence") && !HasProfile(observation, FhirProfiles.GenomicsDiagnosticImplication))
            {
                continue;
            }

            var significance = Significance(Component(observation, LoincCodes.ClinicalSignificance)?.Value as CodeableConcept);
            var fusion = (observation.Component ?? []).Where(c => Has(c.Code, TbdCodes, "feature-consequence") || Has(c.Code, TbdCodesStu1, "feature-consequence"))
                .Any(c => SequenceOntology(c.Value as CodeableConcept).Contains(SequenceOntologyCodes.GeneFusion));
            foreach (var target in (observation.DerivedFrom ?? []).Select(r => ResourceIndex.KeyOf(r.Reference)).OfType<string>())
            {
                if (significance is { } s && s != ClinicalSignificance.NotReported)
                {
                    state.ImplicationSignificance[target] = (s, SourceOf(observation));
                }

                if (fusion)
                {
                    state.FusionConsequences.Add(target);
                }
            }
        }
    }

    public static bool TryRead(Observation observation, string? loinc, MappingState state)
    {
        switch (TbdCode(observation))
        {
            case "diagnostic-implication" or "molecular-consequence":
                ReadImplication(observation, state);
                return true;
            case "therapeutic-implication":
                state.NotUsed(observation, "is a therapeutic implication (the lab's drug interpretation); the portal uses the catalog's evidence instead.");
                return true;
        }

        if (HasProfile(observation, FhirProfiles.GenomicsDiagnosticImplication))
        {
            ReadImplication(observation, state);
            return true;
        }

        var text = Text(observation.Code) ?? string.Empty;
        switch (loinc)
        {
            case LoincCodes.GeneticVariantAssessment:
                ReadVariant(observation, state);
                return true;
            case LoincCodes.TumorMutationalBurden:
                ReadTmb(observation, state);
                return true;
            case LoincCodes.MicrosatelliteInstability:
                ReadMsi(observation, state);
                return true;
            case LoincCodes.EstrogenReceptorStatus:
                ReadEstrogenReceptor(observation, state);
                return true;
            case LoincCodes.GenotypeDisplayName:
            case LoincCodes.PharmacogenomicPhenotype:
                ReadPharmacogene(observation, loinc, state);
                return true;
            case "53041-0":
                state.NotUsed(observation, "is a region studied (what the test covered); the portal does not use coverage.");
                return true;
            case LoincCodes.PdL1TumorProportionScore:
                ReadPdL1(observation, state);
                return true;
        }

        if (observation.Code?.Coding?.Any(c => c.System == CodeSystems.PrecisionPortal && c.Code == PortalCodes.TCellInflamedSignature) == true)
        {
            if (ValueNumber(observation.Value) is { } score)
            {
                state.Signature = new ExpressionSignature("T-cell-inflamed GEP", score, SourceOf(observation)) { ReportedOn = ReportedDate(observation) };
                state.Used(observation, $"T-cell-inflamed GEP score {score.ToString("0.##", CultureInfo.InvariantCulture)}");
            }
            else
            {
                state.NotUsed(observation, "is a T-cell-inflamed GEP score without a number; not used.", DataQualitySeverity.Warning);
            }

            return true;
        }

        // Coded only by text, or under a code the portal does not list: recognized by name so they never vanish silently.
        if (loinc is null)
        {
            if (TmbWords().IsMatch(text))
            {
                ReadTmb(observation, state);
                state.Issue(DataQualitySeverity.Information, "was recognized as tumor mutational burden by its text, not by LOINC 94076-7.", observation);
                return true;
            }

            if (MsiWords().IsMatch(text))
            {
                ReadMsi(observation, state);
                state.Issue(DataQualitySeverity.Information, "was recognized as microsatellite instability by its text, not by LOINC 81695-9.", observation);
                return true;
            }
        }

        if (text.Contains("PD-L1", StringComparison.OrdinalIgnoreCase) || text.Contains("PDL1", StringComparison.OrdinalIgnoreCase))
        {
            ReadPdL1(observation, state);
            return true;
        }

        if (observation.Value is null && observation.HasMember is { Count: > 0 } members)
        {
            state.Used(observation, $"groups {members.Count} result(s), each read on its own");
            return true;
        }

        return false;
    }

    private static void ReadImplication(Observation observation, MappingState state)
    {
        var targets = (observation.DerivedFrom ?? []).Select(r => ResourceIndex.KeyOf(r.Reference)).OfType<string>().ToList();
        var significance = Significance(Component(observation, LoincCodes.ClinicalSignificance)?.Value as CodeableConcept);
        if (targets.Count == 0)
        {
            state.NotUsed(observation, "is an implication that names no variant (derivedFrom); not used.", DataQualitySeverity.Warning);
            return;
        }

        var what = significance is { } s && s != ClinicalSignificance.NotReported ? $"clinical significance {Describe(s)}"
            : state.FusionConsequences.Overlaps(targets) ? "molecular consequence: gene fusion" : null;
        if (what is null)
        {
            state.NotUsed(observation, "is an implication without a clinical significance or a consequence the portal reads; not used.");
            return;
        }

        state.Used(observation, $"{what} of {string.Join(", ", targets)}");
    }

    private static void ReadVariant(Observation observation, MappingState state)
    {
        var genes = Components(observation, LoincCodes.GeneStudied).Select(c => Gene(c.Value as CodeableConcept, observation, state)).OfType<(string Symbol, string? Id)>().ToList();
        if (genes.Count == 0)
        {
            state.NotUsed(observation, "is a genetic variant without a readable gene studied (48018-6); not used.", DataQualitySeverity.Warning);
            return;
        }

        var source = SourceOf(observation);
        var coding = state.Bounded(Hgvs(Component(observation, LoincCodes.DnaChangeCHgvs)?.Value), "c.HGVS", observation, 200);
        var protein = state.Bounded(ProteinChange.Short(Hgvs(Component(observation, LoincCodes.AminoAcidChangePHgvs)?.Value)), "p.HGVS", observation, 200);
        var genomic = Hgvs(Component(observation, LoincCodes.GenomicHgvs)?.Value);
        var copyNumber = ValueNumber(Component(observation, LoincCodes.CopyNumber)?.Value);
        var types = Components(observation, LoincCodes.DnaChangeType).SelectMany(c => SequenceOntology(c.Value as CodeableConcept))
            .Concat((observation.Component ?? []).Where(c => Has(c.Code, TbdCodes, "molecular-consequence") || Has(c.Code, TbdCodesStu1, "molecular-consequence"))
                .SelectMany(c => SequenceOntology(c.Value as CodeableConcept)))
            .ToHashSet(StringComparer.Ordinal);
        var hasHgvs = coding is not null || protein is not null || genomic is not null;
        var distinctGenes = genes.Select(g => g.Symbol).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var key = "Observation/" + observation.Id;

        var kind = types.Contains(SequenceOntologyCodes.GeneFusion) || state.FusionConsequences.Contains(key) ? VariantKind.Fusion
            : types.Overlaps(CopyNumberTypes) ? VariantKind.CopyNumber
            : types.Overlaps(SmallVariantTypes) ? VariantKind.Small
            : types.Overlaps(SizeDependentTypes) ? (hasHgvs ? VariantKind.Small : copyNumber is not null ? VariantKind.CopyNumber : VariantKind.Unknown)
            : distinctGenes.Count >= 2 && !hasHgvs ? VariantKind.Fusion
            : hasHgvs ? VariantKind.Small
            : copyNumber is not null ? VariantKind.CopyNumber
            : VariantKind.Unknown;
        var describedGene = string.Join("::", distinctGenes);
        if (kind == VariantKind.Unknown)
        {
            state.NotUsed(observation, $"is a {describedGene} variant whose kind cannot be told (no DNA change type, HGVS, copy number or second gene); not used.", DataQualitySeverity.Warning);
            return;
        }

        var presence = PresenceOf(observation.Value);
        var change = kind switch
        {
            VariantKind.Fusion => "fusion",
            VariantKind.CopyNumber => "copy number change",
            _ => protein ?? coding ?? genomic,
        };
        switch (presence)
        {
            case Presence.Absent:
                state.NegativeFindings.Add(new NegativeGenomicFinding(describedGene, change, source));
                state.Used(observation, $"negative result: {describedGene} {change} not detected");
                return;
            case Presence.NotCalled:
                state.NotUsed(observation, $"is a {describedGene} result the lab could not call ({Text(observation.Value as CodeableConcept) ?? "no call / indeterminate"}); not used.");
                return;
            case Presence.Missing:
                state.NotUsed(observation, $"is a {describedGene} {change} result without a Present/Absent value (LOINC LA9633-4 / LA9634-2); not used: presence cannot be assumed.", DataQualitySeverity.Warning);
                return;
            case Presence.Unreadable:
                state.NotUsed(observation, $"is a {describedGene} {change} result with a value the portal cannot read as present or absent ({ValueText(observation.Value) ?? "?"}); not used.", DataQualitySeverity.Warning);
                return;
        }

        var significance = Significance(Component(observation, LoincCodes.ClinicalSignificance)?.Value as CodeableConcept) ?? ClinicalSignificance.NotReported;
        if (significance == ClinicalSignificance.NotReported && state.ImplicationSignificance.TryGetValue(key, out var implied))
        {
            significance = implied.Significance;
        }

        if (significance is ClinicalSignificance.Benign or ClinicalSignificance.LikelyBenign)
        {
            state.NotUsed(observation, $"is a {Describe(significance)} {describedGene} {change}; benign variants are not used.");
            return;
        }

        if (kind != VariantKind.Small && significance == ClinicalSignificance.UncertainSignificance)
        {
            state.NotUsed(observation, $"is a {describedGene} {change} of uncertain significance; not used.");
            return;
        }

        switch (kind)
        {
            case VariantKind.Fusion:
                var fusion = (distinctGenes.Count >= 2 ? new GeneFusion(distinctGenes[0], distinctGenes[1], source) : new GeneFusion(string.Empty, distinctGenes[0], source)) with { ReportedOn = ReportedDate(observation) };
                state.Fusions.Add(fusion);
                state.Used(observation, "fusion " + fusion.Label);
                return;
            case VariantKind.CopyNumber:
                ReadCopyNumber(observation, distinctGenes[0], types, copyNumber, state);
                return;
        }

        if (hasHgvs && copyNumber is not null)
        {
            state.Issue(DataQualitySeverity.Information, "is a small variant with a copy-number component; read as the small variant it describes, the copy number is not used.", observation);
        }

        var fraction = AlleleFraction(Component(observation, LoincCodes.SampleVariantAlleleFrequency)?.Value as Quantity, observation, state);
        var origin = CodeIn(Component(observation, LoincCodes.GenomicSourceClass)?.Value as CodeableConcept, CodeSystems.Loinc) switch
        {
            LoincCodes.SomaticAnswer or LoincCodes.LikelySomaticAnswer => GenomicSourceClass.Somatic,
            LoincCodes.GermlineAnswer or LoincCodes.LikelyGermlineAnswer => GenomicSourceClass.Germline,
            _ => GenomicSourceClass.Unknown,
        };
        if (coding is null && protein is null)
        {
            state.Issue(DataQualitySeverity.Warning, $"is a {genes[0].Symbol} variant with neither c.HGVS nor p.HGVS; shown without its change.", observation);
        }

        var variant = new GenomicVariant(genes[0].Symbol, genes[0].Id, coding, protein, fraction, origin, source) { Significance = significance, ReportedOn = ReportedDate(observation) };
        state.Variants.Add(variant);
        state.Used(observation, significance == ClinicalSignificance.UncertainSignificance
            ? $"variant of uncertain significance {variant.Label}: shown, never counted as a biomarker"
            : $"variant {variant.Label}{(significance == ClinicalSignificance.NotReported ? string.Empty : " (" + Describe(significance) + ")")}");
    }

    private static void ReadCopyNumber(Observation observation, string gene, HashSet<string> types, decimal? copyNumber, MappingState state)
    {
        var amplification = (Components(observation, LoincCodes.DnaChangeType).Any(c => (Text(c.Value as CodeableConcept) ?? string.Empty).Contains("amplification", StringComparison.OrdinalIgnoreCase)))
            || (Text(observation.Code) ?? string.Empty).Contains("amplification", StringComparison.OrdinalIgnoreCase);
        CopyNumberChange? change = types.Contains(SequenceOntologyCodes.CopyNumberLoss) ? CopyNumberChange.Loss
            : copyNumber is { } n ? (n >= CopyNumberAlteration.AmplificationThreshold ? CopyNumberChange.Amplification : n > 2 ? CopyNumberChange.Gain : n < 2 ? CopyNumberChange.Loss : null)
            : amplification ? CopyNumberChange.Amplification
            : types.Contains(SequenceOntologyCodes.CopyNumberGain) ? CopyNumberChange.Gain
            : null;
        if (change is null)
        {
            state.NotUsed(observation, $"is a {gene} copy-number result that says neither gain nor loss{(copyNumber is { } c ? $" (copy number {c.ToString(CultureInfo.InvariantCulture)})" : string.Empty)}; not used.", DataQualitySeverity.Warning);
            return;
        }

        if (change == CopyNumberChange.Gain)
        {
            state.Issue(DataQualitySeverity.Information, copyNumber is null
                ? $"is a {gene} copy number gain without a copy number; shown, not counted as an amplification."
                : $"is a {gene} gain to {copyNumber.Value.ToString("0.#", CultureInfo.InvariantCulture)} copies, below the amplification threshold of {CopyNumberAlteration.AmplificationThreshold}; shown, not counted as an amplification.", observation);
        }

        var alteration = new CopyNumberAlteration(gene, change.Value, copyNumber, SourceOf(observation)) { ReportedOn = ReportedDate(observation) };
        state.CopyNumbers.Add(alteration);
        state.Used(observation, alteration.Label + (copyNumber is { } cn ? $" (copy number {cn.ToString("0.#", CultureInfo.InvariantCulture)})" : string.Empty));
    }

    private static (string Symbol, string? Id)? Gene(CodeableConcept? concept, Observation observation, MappingState state)
    {
        if (concept is null)
        {
            return null;
        }

        var hgnc = concept.Coding?.FirstOrDefault(c => c.System is CodeSystems.Hgnc or CodeSystems.HgncStu3);
        var symbol = (hgnc?.Display ?? Text(concept) ?? concept.Coding?.FirstOrDefault()?.Display)?.Trim();
        if (symbol is null)
        {
            return null;
        }

        if (!GeneSymbol().IsMatch(symbol))
        {
            state.Issue(DataQualitySeverity.Warning, $"names a gene studied that is not a gene symbol ('{(symbol.Length > 40 ? symbol[..40] + "…" : symbol)}').", observation);
            return null;
        }

        var id = hgnc?.Code is { } code ? (code.StartsWith("HGNC:", StringComparison.OrdinalIgnoreCase) ? code : "HGNC:" + code) : null;
        return (symbol, id is { Length: <= 20 } ? id : null);
    }

    private enum VariantKind
    {
        Unknown,
        Small,
        CopyNumber,
        Fusion,
    }

    private enum Presence
    {
        Present,
        Absent,
        NotCalled,
        Missing,
        Unreadable,
    }

    /// <summary>Observation.value of a variant (LL1971-2); legacy words map to the same answers.</summary>
    private static Presence PresenceOf(DataType? value)
    {
        if (value is null)
        {
            return Presence.Missing;
        }

        var code = CodeIn(value as CodeableConcept, CodeSystems.Loinc);
        switch (code)
        {
            case LoincCodes.PresentAnswer:
                return Presence.Present;
            case LoincCodes.AbsentAnswer:
                return Presence.Absent;
            case LoincCodes.NoCallAnswer or LoincCodes.IndeterminateAnswer:
                return Presence.NotCalled;
        }

        var words = ((value as CodeableConcept)?.Text ?? ValueText(value) ?? (value is FhirBoolean b ? (b.Value == true ? "present" : "absent") : string.Empty)).Trim().ToUpperInvariant();
        return words switch
        {
            "PRESENT" or "DETECTED" or "POSITIVE" => Presence.Present,
            "ABSENT" or "NOT DETECTED" or "NEGATIVE" or "NOT PRESENT" => Presence.Absent,
            "NO CALL" or "INDETERMINATE" or "FAILED" => Presence.NotCalled,
            _ => Presence.Unreadable,
        };
    }

    /// <summary>Clinical significance (LL4034-6 and the pre-2017 answers), by code or by its words.</summary>
    private static ClinicalSignificance? Significance(CodeableConcept? concept)
    {
        if (concept is null)
        {
            return null;
        }

        var byCode = CodeIn(concept, CodeSystems.Loinc) switch
        {
            LoincCodes.PathogenicAnswer or LoincCodes.PresumedPathogenicAnswer => ClinicalSignificance.Pathogenic,
            LoincCodes.LikelyPathogenicAnswer => ClinicalSignificance.LikelyPathogenic,
            LoincCodes.UncertainSignificanceAnswer or LoincCodes.UnknownSignificanceAnswer => ClinicalSignificance.UncertainSignificance,
            LoincCodes.LikelyBenignAnswer or LoincCodes.PresumedBenignAnswer => ClinicalSignificance.LikelyBenign,
            LoincCodes.BenignAnswer => ClinicalSignificance.Benign,
            _ => (ClinicalSignificance?)null,
        };
        if (byCode is not null)
        {
            return byCode;
        }

        var words = (Text(concept) ?? string.Empty).ToUpperInvariant();
        return words switch
        {
            _ when words.Contains("LIKELY PATHOGENIC", StringComparison.Ordinal) => ClinicalSignificance.LikelyPathogenic,
            _ when words.Contains("LIKELY BENIGN", StringComparison.Ordinal) => ClinicalSignificance.LikelyBenign,
            _ when words.Contains("UNCERTAIN", StringComparison.Ordinal) || words.Contains("UNKNOWN SIGNIFICANCE", StringComparison.Ordinal) || words == "VUS" => ClinicalSignificance.UncertainSignificance,
            _ when words.Contains("PATHOGENIC", StringComparison.Ordinal) => ClinicalSignificance.Pathogenic,
            _ when words.Contains("BENIGN", StringComparison.Ordinal) => ClinicalSignificance.Benign,
            _ => ClinicalSignificance.NotReported,
        };
    }

    private static string Describe(ClinicalSignificance significance) => significance switch
    {
        ClinicalSignificance.Pathogenic => "pathogenic",
        ClinicalSignificance.LikelyPathogenic => "likely pathogenic",
        ClinicalSignificance.UncertainSignificance => "uncertain significance",
        ClinicalSignificance.LikelyBenign => "likely benign",
        ClinicalSignificance.Benign => "benign",
        _ => "not reported",
    };

    private static decimal? AlleleFraction(Quantity? quantity, Observation observation, MappingState state)
    {
        if (quantity?.Value is not { } value)
        {
            return null;
        }

        var unit = quantity.Code ?? quantity.Unit;
        var fraction = unit == "%" || (unit is null or "1" or "" && value > 1) ? value / 100 : value;
        if (fraction is < 0 or > 1)
        {
            state.Issue(DataQualitySeverity.Warning, $"gives an allele fraction of {value.ToString(CultureInfo.InvariantCulture)} {unit}, which is not a fraction or a percentage; not used.", observation);
            return null;
        }

        return fraction;
    }

    private static void ReadTmb(Observation observation, MappingState state)
    {
        if (observation.Value is not Quantity { Value: { } value } quantity)
        {
            state.NotUsed(observation, $"is a tumor mutational burden without a number ({ValueText(observation.Value) ?? Text(observation.Interpretation?.FirstOrDefault()) ?? "no value"}); the model needs mutations per megabase; not used.", DataQualitySeverity.Warning);
            return;
        }

        var unit = quantity.Code ?? quantity.Unit;
        if (!IsPerMegabase(quantity))
        {
            state.NotUsed(observation, unit is null
                ? $"gives a tumor mutational burden of {value.ToString(CultureInfo.InvariantCulture)} without a unit; the portal cannot tell mutations per megabase from a count or a percentage; not used."
                : $"gives a tumor mutational burden in '{(unit.Length > 40 ? unit[..40] + "…" : unit)}', not in mutations per megabase (UCUM 1/1000000{{Base}}); not used.", DataQualitySeverity.Warning);
            return;
        }

        if (value is < 0 or >= 1000)
        {
            state.Refuse(observation, "TMB", $"{value.ToString(CultureInfo.InvariantCulture)} mutations/Mb", "0–1000 mutations/Mb");
            return;
        }

        state.Tmb = new TumorMutationalBurden(value, SourceOf(observation)) { ReportedOn = ReportedDate(observation) };
        state.Used(observation, $"TMB {value.ToString("0.#", CultureInfo.InvariantCulture)} mutations/Mb");
    }

    /// <summary>Genomics Reporting STU2 fixes UCUM 1/1000000{Base}; labs also write the annotation differently or only a unit text.</summary>
    private static bool IsPerMegabase(Quantity quantity)
    {
        if (quantity.Code is { } code)
        {
            var c = code.Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
            return c is "1/1000000{BASE}" or "/1000000{BASE}" or "{MUTATIONS}/1000000{BASE}" or "{MUTATION}/1000000{BASE}" or "{MUTATIONS}/1000000{BASES}" or "1/1000000{BASES}";
        }

        return quantity.Unit is { } unit && PerMegabaseText().IsMatch(unit.Trim());
    }

    private static void ReadMsi(Observation observation, MappingState state)
    {
        var code = CodeIn(observation.Value as CodeableConcept, CodeSystems.Loinc);
        var words = " " + (Text(observation.Value as CodeableConcept) + " " + ValueText(observation.Value)).ToUpperInvariant().Replace('-', ' ').Replace('_', ' ') + " ";
        MicrosatelliteStatus? status = code switch
        {
            LoincCodes.MsiHighAnswer => MicrosatelliteStatus.InstabilityHigh,
            LoincCodes.MsiLowAnswer => MicrosatelliteStatus.InstabilityLow,
            LoincCodes.MsiStableAnswer => MicrosatelliteStatus.Stable,
            _ when words.Contains(" MSI H ", StringComparison.Ordinal) || words.Contains(" MSI HIGH ", StringComparison.Ordinal) || words.Contains(" HIGH ", StringComparison.Ordinal) => MicrosatelliteStatus.InstabilityHigh,
            _ when words.Contains(" MSI L ", StringComparison.Ordinal) || words.Contains(" MSI LOW ", StringComparison.Ordinal) || words.Contains(" LOW ", StringComparison.Ordinal) => MicrosatelliteStatus.InstabilityLow,
            _ when words.Contains(" MSS ", StringComparison.Ordinal) || words.Contains(" STABLE ", StringComparison.Ordinal) => MicrosatelliteStatus.Stable,
            _ => null,
        };
        if (status is null)
        {
            var shown = words.Trim();
            state.NotUsed(observation, $"is a microsatellite instability result the portal cannot read ({(shown.Length == 0 ? "no value" : shown.Length > 80 ? shown[..80] + "…" : shown)}); not used.", DataQualitySeverity.Warning);
            return;
        }

        state.Msi = new MicrosatelliteInstability(status.Value, SourceOf(observation)) { ReportedOn = ReportedDate(observation) };
        state.Used(observation, "MSI: " + status switch
        {
            MicrosatelliteStatus.InstabilityHigh => "MSI-high",
            MicrosatelliteStatus.InstabilityLow => "MSI-low",
            _ => "stable (MSS)",
        });
    }

    private static void ReadPdL1(Observation observation, MappingState state)
    {
        var described = (Text(observation.Code) + " " + Text(observation.Method)).ToUpperInvariant();
        if (described.Contains("CPS", StringComparison.Ordinal) || described.Contains("COMBINED POSITIVE", StringComparison.Ordinal) || described.Contains("IMMUNE CELL", StringComparison.Ordinal))
        {
            state.NotUsed(observation, "is a PD-L1 combined positive or immune-cell score, not the tumor proportion score the model uses; not used.");
            return;
        }

        if (observation.Value is not Quantity { Value: { } tps } quantity)
        {
            state.NotUsed(observation, $"is a PD-L1 result without a percentage ({ValueText(observation.Value) ?? "no value"}); the model needs the tumor proportion score; not used.", DataQualitySeverity.Warning);
            return;
        }

        if ((quantity.Code ?? quantity.Unit) is not ("%" or "percent"))
        {
            state.NotUsed(observation, $"gives PD-L1 as {tps.ToString(CultureInfo.InvariantCulture)} {quantity.Code ?? quantity.Unit ?? "(no unit)"}, not a percentage of tumor cells; not used.", DataQualitySeverity.Warning);
            return;
        }

        if (tps is < 0 or > 100)
        {
            state.Refuse(observation, "PD-L1", $"TPS {tps.ToString(CultureInfo.InvariantCulture)} %", "0–100 %");
            return;
        }

        state.PdL1 = new PdL1Expression(tps, SourceOf(observation)) { ReportedOn = ReportedDate(observation) };
        state.Used(observation, $"PD-L1 TPS {tps.ToString("0", CultureInfo.InvariantCulture)} %");
    }

    private static void ReadEstrogenReceptor(Observation observation, MappingState state)
    {
        var answer = (Text(observation.Value as CodeableConcept) ?? ValueText(observation.Value) ?? string.Empty).Trim();
        if (answer.StartsWith("pos", StringComparison.OrdinalIgnoreCase) || answer.StartsWith("neg", StringComparison.OrdinalIgnoreCase))
        {
            var positive = answer.StartsWith("pos", StringComparison.OrdinalIgnoreCase);
            state.EstrogenReceptor = new EstrogenReceptorStatus(positive, SourceOf(observation)) { ReportedOn = ReportedDate(observation) };
            state.Used(observation, "estrogen receptor " + (positive ? "positive" : "negative"));
        }
        else
        {
            state.NotUsed(observation, $"is an estrogen receptor result the portal cannot read ({(answer.Length > 60 ? answer[..60] + "…" : answer)}).", DataQualitySeverity.Warning);
        }
    }

    private static void ReadPharmacogene(Observation observation, string loinc, MappingState state)
    {
        var gene = Gene(Component(observation, LoincCodes.GeneStudied)?.Value as CodeableConcept, observation, state)?.Symbol;
        if (gene is null)
        {
            state.NotUsed(observation, "is a pharmacogenomic result without a gene; not used.", DataQualitySeverity.Warning);
            return;
        }

        var value = state.Bounded(Text(observation.Value as CodeableConcept) ?? ValueText(observation.Value), "genotype or phenotype", observation, 100);
        state.Pharmacogenomics.TryGetValue(gene, out var existing);
        existing ??= new PharmacogenomicResult(gene, null, null, SourceOf(observation)) { ReportedOn = ReportedDate(observation) };
        state.Pharmacogenomics[gene] = loinc == LoincCodes.GenotypeDisplayName ? existing with { Genotype = value } : existing with { Phenotype = value };
        state.Used(observation, $"{gene} {(loinc == LoincCodes.GenotypeDisplayName ? "genotype" : "phenotype")} {value}");
    }

    /// <summary>The Genomics Reporting "TBD" code of an observation (diagnostic-implication, molecular-consequence …), if any.</summary>
    private static string? TbdCode(Observation observation) =>
        observation.Code?.Coding?.FirstOrDefault(c => c.System is TbdCodes or TbdCodesStu1)?.Code;

    private static IEnumerable<string> SequenceOntology(CodeableConcept? concept) =>
        (concept?.Coding ?? []).Where(c => c.System is CodeSystems.SequenceOntology or CodeSystems.SequenceOntologyAlternative || c.Code?.StartsWith("SO:", StringComparison.Ordinal) == true)
            .Select(c => c.Code).OfType<string>();

    /// <summary>An HGVS expression: a coding's code (the IG's shape), or the text or string older feeds send.</summary>
    private static string? Hgvs(DataType? value) => value switch
    {
        CodeableConcept cc => cc.Coding?.Select(c => c.Code ?? c.Display).FirstOrDefault(s => !string.IsNullOrWhiteSpace(s)) ?? cc.Text,
        FhirString s => s.Value,
        _ => null,
    };

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9\-\.@/]{0,29}$", RegexOptions.CultureInvariant)]
    private static partial Regex GeneSymbol();

    [GeneratedRegex(@"tumou?r mutation(al)? burden|\bTMB\b|mutations?\s*(/|per)\s*(mb|megabase)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TmbWords();

    [GeneratedRegex(@"microsatellite|\bMSI\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MsiWords();

    [GeneratedRegex(@"^(mut(ation)?s?|muts)\s*(/|per)\s*(mb|megabase)s?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PerMegabaseText();
}

/// <summary>Sequence Ontology terms for DNA change type (48019-4) and molecular consequence.</summary>
internal static class SequenceOntologyCodes
{
    public const string GeneFusion = "SO:0001565";
    public const string CopyNumberGain = "SO:0001742";
    public const string CopyNumberLoss = "SO:0001743";
    public const string CopyNumberChange = "SO:0001019";
}
