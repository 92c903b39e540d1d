namespace Precision.Cohort;

/// <summary>A gene with its HGNC id (sources in docs/clinical-codes.md).</summary>
public sealed record GeneInfo(string Symbol, string HgncId);

/// <summary>A small variant with its HGVS descriptions and Sequence Ontology change type.</summary>
public sealed record SmallVariantInfo(
    string Key,
    GeneInfo Gene,
    string CodingHgvs,
    string ProteinHgvs,
    string ChangeTypeCode,
    string ChangeTypeDisplay);

/// <summary>The genes and variants the cohort draws from.</summary>
public static class GenomicsKnowledge
{
    public static readonly GeneInfo Egfr = new("EGFR", "HGNC:3236");
    public static readonly GeneInfo Alk = new("ALK", "HGNC:427");
    public static readonly GeneInfo Eml4 = new("EML4", "HGNC:1316");
    public static readonly GeneInfo Ros1 = new("ROS1", "HGNC:10261");
    public static readonly GeneInfo Cd74 = new("CD74", "HGNC:1697");
    public static readonly GeneInfo Kras = new("KRAS", "HGNC:6407");
    public static readonly GeneInfo Braf = new("BRAF", "HGNC:1097");
    public static readonly GeneInfo Erbb2 = new("ERBB2", "HGNC:3430");
    public static readonly GeneInfo Brca1 = new("BRCA1", "HGNC:1100");
    public static readonly GeneInfo Brca2 = new("BRCA2", "HGNC:1101");
    public static readonly GeneInfo Ntrk1 = new("NTRK1", "HGNC:8031");
    public static readonly GeneInfo Tpm3 = new("TPM3", "HGNC:12012");
    public static readonly GeneInfo Tp53 = new("TP53", "HGNC:11998");
    public static readonly GeneInfo Dpyd = new("DPYD", "HGNC:3012");
    public static readonly GeneInfo Ugt1a1 = new("UGT1A1", "HGNC:12530");

    // Sequence Ontology change types (48019-4 values).
    public const string SoSnv = "SO:0001483";
    public const string SoDeletion = "SO:0000159";
    public const string SoGeneFusion = "SO:0001565";
    public const string SoCopyNumberGain = "SO:0001742";

    public static readonly SmallVariantInfo EgfrL858R = new("EGFR-L858R", Egfr, "NM_005228.5:c.2573T>G", "p.Leu858Arg", SoSnv, "SNV");
    public static readonly SmallVariantInfo EgfrExon19Del = new("EGFR-E746_A750del", Egfr, "NM_005228.5:c.2235_2249del", "p.Glu746_Ala750del", SoDeletion, "deletion");
    public static readonly SmallVariantInfo KrasG12C = new("KRAS-G12C", Kras, "NM_004985.5:c.34G>T", "p.Gly12Cys", SoSnv, "SNV");
    public static readonly SmallVariantInfo KrasG12D = new("KRAS-G12D", Kras, "NM_004985.5:c.35G>A", "p.Gly12Asp", SoSnv, "SNV");
    public static readonly SmallVariantInfo KrasG12V = new("KRAS-G12V", Kras, "NM_004985.5:c.35G>T", "p.Gly12Val", SoSnv, "SNV");
    public static readonly SmallVariantInfo BrafV600E = new("BRAF-V600E", Braf, "NM_004333.6:c.1799T>A", "p.Val600Glu", SoSnv, "SNV");
    public static readonly SmallVariantInfo Brca1Del = new("BRCA1-E23fs", Brca1, "NM_007294.4:c.68_69del", "p.Glu23ValfsTer17", SoDeletion, "deletion");
    public static readonly SmallVariantInfo Brca2Del = new("BRCA2-S1982fs", Brca2, "NM_000059.4:c.5946del", "p.Ser1982ArgfsTer22", SoDeletion, "deletion");
    public static readonly SmallVariantInfo Tp53R175H = new("TP53-R175H", Tp53, "NM_000546.6:c.524G>A", "p.Arg175His", SoSnv, "SNV");
}
