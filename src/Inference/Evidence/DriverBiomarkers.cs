using Precision.Clinical;
using Precision.Clinical.Catalog;

namespace Precision.Inference.Evidence;

/// <summary>
/// The catalog biomarkers that define a disease for treatment choice — the ones its targeted contexts are built on — and
/// so must be shared by patients called "similar". One definition for every layer.
/// </summary>
/// <remarks>
/// Included: the oncogenic drivers (EGFR sensitizing, ALK, ROS1, KRAS G12C, BRAF V600E, ERBB2 amplification, NTRK) and the
/// alterations that select a targeted or tumour-agnostic therapy (BRCA1/2 pathogenic → PARP inhibitors, MSI-high →
/// checkpoint inhibitors in any solid tumour), plus ER (hormone receptor) positivity: in breast cancer it is the subtype
/// that decides endocrine therapy, just as ERBB2 decides anti-HER2 therapy, so an ER-positive and an ER-negative patient
/// are not alike for treatment choice.
/// Not included: PD-L1 ≥ 50 % and TMB-high. They are continuous immune markers that co-occur with any driver, do not define
/// the disease (an EGFR-mutant cancer with PD-L1 ≥ 50 % is still treated as EGFR-mutant) and are already model features, so
/// the embedding distance weighs them; requiring them to match as well would split small driver groups further.
/// </remarks>
public static class DriverBiomarkers
{
    public static IReadOnlySet<BiomarkerKind> All { get; } = new HashSet<BiomarkerKind>
    {
        BiomarkerKind.EgfrSensitizing,
        BiomarkerKind.AlkFusion,
        BiomarkerKind.Ros1Fusion,
        BiomarkerKind.KrasG12C,
        BiomarkerKind.BrafV600E,
        BiomarkerKind.Erbb2Amplification,
        BiomarkerKind.BrcaPathogenic,
        BiomarkerKind.MsiHigh,
        BiomarkerKind.NtrkFusion,
        BiomarkerKind.HormoneReceptorPositive,
    };

    /// <summary>The driver biomarkers among <paramref name="biomarkers"/>.</summary>
    public static IReadOnlySet<BiomarkerKind> Of(IEnumerable<BiomarkerKind> biomarkers)
    {
        ArgumentNullException.ThrowIfNull(biomarkers);
        return biomarkers.Where(All.Contains).ToHashSet();
    }

    /// <summary>The driver biomarkers of a patient (<see cref="BiomarkerDefinitions.BiomarkersOf"/>).</summary>
    public static IReadOnlySet<BiomarkerKind> Of(PatientProfile profile) => Of(BiomarkerDefinitions.BiomarkersOf(profile));

    /// <summary>The drivers as a clinician writes them, in a fixed order, or "no driver biomarker".</summary>
    public static string Describe(IReadOnlySet<BiomarkerKind> drivers)
    {
        ArgumentNullException.ThrowIfNull(drivers);
        return drivers.Count == 0
            ? "no driver biomarker"
            : string.Join(", ", drivers.Order().Select(BiomarkerDefinitions.DisplayName));
    }
}
