using Hl7.Fhir.Model;
using Precision.Clinical;
using static Precision.Fhir.FhirElementReading;

namespace Precision.Fhir;

/// <summary>Reads HL7 Genomics Reporting IG observations: variants, fusions, copy number, TMB, MSI, PD-L1, signatures, PGx.</summary>
internal static class GenomicObservations
{
    public static bool TryRead(Observation observation, string? loinc, MappingState state)
    {
        switch (loinc)
        {
            case LoincCodes.GeneticVariantAssessment:
                ReadVariant(observation, state);
                return true;
            case LoincCodes.TumorMutationalBurden:
                if (ValueNumber(observation.Value) is { } tmb and >= 0 and < 1000)
                {
                    state.Tmb = new TumorMutationalBurden(tmb, SourceOf(observation));
                }
                else
                {
                    state.Issue(DataQualitySeverity.Warning, "is a tumor mutational burden without a plausible value; ignored.", observation);
                }

                return true;
            case LoincCodes.MicrosatelliteInstability:
                ReadMsi(observation, state);
                return true;
            case LoincCodes.EstrogenReceptorStatus:
                var answer = (Text(observation.Value as CodeableConcept) ?? ValueText(observation.Value) ?? string.Empty).Trim();
                if (answer.StartsWith("pos", StringComparison.OrdinalIgnoreCase) || answer.StartsWith("neg", StringComparison.OrdinalIgnoreCase))
                {
                    state.EstrogenReceptor = new EstrogenReceptorStatus(answer.StartsWith("pos", StringComparison.OrdinalIgnoreCase), SourceOf(observation));
                }
                else
                {
                    state.Issue(DataQualitySeverity.Warning, $"is an estrogen receptor result the portal cannot read ({answer}).", observation);
                }

                return true;
            case LoincCodes.GenotypeDisplayName:
            case LoincCodes.PharmacogenomicPhenotype:
                ReadPharmacogene(observation, loinc, state);
                return true;
        }

        var text = Text(observation.Code) ?? string.Empty;
        if (loinc == LoincCodes.PdL1TumorProportionScore || text.Contains("PD-L1", StringComparison.OrdinalIgnoreCase))
        {
            if (ValueNumber(observation.Value) is { } tps and >= 0 and <= 100)
            {
                state.PdL1 = new PdL1Expression(tps, SourceOf(observation));
            }
            else
            {
                state.Issue(DataQualitySeverity.Warning, "is a PD-L1 score without a percentage from 0 to 100; ignored.", observation);
            }

            return true;
        }

        if (observation.Code?.Coding?.Any(c => c.System == CodeSystems.PrecisionPortal && c.Code == PortalCodes.TCellInflamedSignature) == true)
        {
            if (ValueNumber(observation.Value) is { } score)
            {
                state.Signature = new ExpressionSignature("T-cell-inflamed GEP", score, SourceOf(observation));
            }

            return true;
        }

        return false;
    }

    private static void ReadVariant(Observation observation, MappingState state)
    {
        var genes = Components(observation, LoincCodes.GeneStudied)
            .Select(c => c.Value as CodeableConcept)
            .Select(cc => cc?.Coding?.FirstOrDefault(c => c.System == CodeSystems.Hgnc) is { } hgnc ? (Symbol: hgnc.Display ?? Text(cc), Id: hgnc.Code) : (Symbol: Text(cc), Id: (string?)null))
            .Where(g => !string.IsNullOrWhiteSpace(g.Symbol))
            .ToList();
        if (genes.Count == 0)
        {
            state.Issue(DataQualitySeverity.Warning, "is a genetic variant without a gene studied (48018-6); ignored.", observation);
            return;
        }

        var changeType = ValueText(Component(observation, LoincCodes.DnaChangeType)?.Value) ?? string.Empty;
        var text = Text(observation.Code) + " " + Text(Component(observation, LoincCodes.DnaChangeType)?.Value as CodeableConcept);
        var source = SourceOf(observation);
        if (genes.Count >= 2 || changeType == SequenceOntologyCodes.GeneFusion || text.Contains("fusion", StringComparison.OrdinalIgnoreCase))
        {
            state.Fusions.Add(new GeneFusion(genes[0].Symbol!, genes.Count > 1 ? genes[1].Symbol! : genes[0].Symbol!, source));
            return;
        }

        var copyNumber = ValueNumber(Component(observation, LoincCodes.CopyNumber)?.Value);
        if (copyNumber is not null || SequenceOntologyCodes.IsCopyNumber(changeType))
        {
            var change = changeType == SequenceOntologyCodes.CopyNumberLoss || copyNumber < 2 ? CopyNumberChange.Loss : CopyNumberChange.Amplification;
            state.CopyNumbers.Add(new CopyNumberAlteration(genes[0].Symbol!, change, copyNumber, source));
            return;
        }

        var coding = ValueText(Component(observation, LoincCodes.DnaChangeCHgvs)?.Value);
        var protein = ProteinChange.Short(ValueText(Component(observation, LoincCodes.AminoAcidChangePHgvs)?.Value));
        var fraction = ValueNumber(Component(observation, LoincCodes.SampleVariantAlleleFrequency)?.Value);
        if (fraction > 1)
        {
            fraction /= 100; // some labs report percent
        }

        var originCode = CodeIn(Component(observation, LoincCodes.GenomicSourceClass)?.Value as CodeableConcept, CodeSystems.Loinc);
        var origin = originCode switch
        {
            LoincCodes.SomaticAnswer => GenomicSourceClass.Somatic,
            LoincCodes.GermlineAnswer => GenomicSourceClass.Germline,
            _ => GenomicSourceClass.Unknown,
        };
        if (coding is null && protein is null)
        {
            state.Issue(DataQualitySeverity.Warning, $"is a {genes[0].Symbol} variant with neither c.HGVS nor p.HGVS; shown without its change.", observation);
        }

        state.Variants.Add(new GenomicVariant(genes[0].Symbol!, genes[0].Id, coding, protein, fraction, origin, source));
    }

    private static void ReadMsi(Observation observation, MappingState state)
    {
        var value = (ValueText(observation.Value) + " " + Text(observation.Value as CodeableConcept)).ToUpperInvariant();
        MicrosatelliteStatus? status = value switch
        {
            _ when value.Contains(LoincCodes.MsiHighAnswer, StringComparison.Ordinal) || value.Contains("MSI-H", StringComparison.Ordinal) || value.Contains("HIGH", StringComparison.Ordinal) => MicrosatelliteStatus.InstabilityHigh,
            _ when value.Contains(LoincCodes.MsiLowAnswer, StringComparison.Ordinal) || value.Contains("MSI-L", StringComparison.Ordinal) || value.Contains("LOW", StringComparison.Ordinal) => MicrosatelliteStatus.InstabilityLow,
            _ when value.Contains(LoincCodes.MsiStableAnswer, StringComparison.Ordinal) || value.Contains("MSS", StringComparison.Ordinal) || value.Contains("STABLE", StringComparison.Ordinal) => MicrosatelliteStatus.Stable,
            _ => null,
        };
        if (status is null)
        {
            state.Issue(DataQualitySeverity.Warning, $"is a microsatellite instability result the portal cannot read ({value.Trim()}).", observation);
            return;
        }

        state.Msi = new MicrosatelliteInstability(status.Value, SourceOf(observation));
    }

    private static void ReadPharmacogene(Observation observation, string loinc, MappingState state)
    {
        var gene = Text(Component(observation, LoincCodes.GeneStudied)?.Value as CodeableConcept)
            ?? (Component(observation, LoincCodes.GeneStudied)?.Value as CodeableConcept)?.Coding?.FirstOrDefault()?.Display;
        if (gene is null)
        {
            state.Issue(DataQualitySeverity.Warning, "is a pharmacogenomic result without a gene; ignored.", observation);
            return;
        }

        var value = Text(observation.Value as CodeableConcept) ?? ValueText(observation.Value);
        state.Pharmacogenomics.TryGetValue(gene, out var existing);
        existing ??= new PharmacogenomicResult(gene, null, null, SourceOf(observation));
        state.Pharmacogenomics[gene] = loinc == LoincCodes.GenotypeDisplayName ? existing with { Genotype = value } : existing with { Phenotype = value };
    }
}

/// <summary>Sequence Ontology terms for DNA change type (48019-4).</summary>
internal static class SequenceOntologyCodes
{
    public const string GeneFusion = "SO:0001565";
    public const string CopyNumberGain = "SO:0001742";
    public const string CopyNumberLoss = "SO:0001743";
    public const string CopyNumberChange = "SO:0001019";

    public static bool IsCopyNumber(string code) => code is CopyNumberGain or CopyNumberLoss or CopyNumberChange;
}
