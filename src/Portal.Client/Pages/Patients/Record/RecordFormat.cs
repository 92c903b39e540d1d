using System.Globalization;
using Precision.Clinical;

namespace Precision.Portal.Client.Pages.Patients.Record;

/// <summary>The patient pages' wording for the record's facts, in one place so the header, tabs and reports agree.</summary>
public static class RecordFormat
{
    public static string Date(DateOnly? date, string missing = "—") =>
        date?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? missing;

    /// <summary>Condition.clinicalStatus in words; the code as recorded when it is not one of R4's.</summary>
    public static string ClinicalStatus(string? status) => status switch
    {
        null => "Status not recorded",
        "active" => "Active",
        "recurrence" => "Recurrence",
        "relapse" => "Relapse",
        "remission" => "In remission",
        "resolved" => "Resolved",
        "inactive" => "Inactive",
        _ => status,
    };

    /// <summary>mCODE treatment intent in words; curative covers adjuvant, neoadjuvant and definitive treatment.</summary>
    public static string Intent(TreatmentIntent intent) => intent switch
    {
        TreatmentIntent.Curative => "Curative",
        TreatmentIntent.Palliative => "Palliative",
        TreatmentIntent.Supportive => "Supportive",
        TreatmentIntent.Other => "Other intent",
        _ => "Intent not recorded",
    };

    public static string ProcedureKind(CancerProcedureKind kind) => kind == CancerProcedureKind.Surgery ? "Surgery" : "Radiotherapy";

    /// <summary>Whether the model leaves a variant of this significance out: uncertain, likely benign or benign.</summary>
    public static bool IsNotUsedForPredictions(ClinicalSignificance significance) =>
        significance is ClinicalSignificance.UncertainSignificance or ClinicalSignificance.LikelyBenign or ClinicalSignificance.Benign;

    /// <summary>The significance chip's words. A VUS (or a benign call) always says it is not used: it is never actionable.</summary>
    public static string Significance(ClinicalSignificance significance) => significance switch
    {
        ClinicalSignificance.Pathogenic => "Pathogenic",
        ClinicalSignificance.LikelyPathogenic => "Likely pathogenic",
        ClinicalSignificance.UncertainSignificance => "VUS — not used for predictions",
        ClinicalSignificance.LikelyBenign => "Likely benign — not used for predictions",
        ClinicalSignificance.Benign => "Benign — not used for predictions",
        _ => "Not reported",
    };

    /// <summary>Order of the variant table: pathogenic calls first, then unreported, then VUS and benign calls.</summary>
    public static int SignificanceRank(ClinicalSignificance significance) => significance switch
    {
        ClinicalSignificance.Pathogenic => 0,
        ClinicalSignificance.LikelyPathogenic => 1,
        ClinicalSignificance.NotReported => 2,
        ClinicalSignificance.UncertainSignificance => 3,
        ClinicalSignificance.LikelyBenign => 4,
        _ => 5,
    };

    /// <summary>A copy-number change with its copies, and for a gain that it is below the amplification threshold.</summary>
    public static string CopyNumber(CopyNumberAlteration cnv)
    {
        ArgumentNullException.ThrowIfNull(cnv);
        var copies = cnv.CopyNumber is { } n ? string.Create(CultureInfo.InvariantCulture, $" ({n:0.#} copies)") : string.Empty;
        if (cnv.Change != CopyNumberChange.Gain)
        {
            return cnv.Label + copies;
        }

        return cnv.Label + copies + (cnv.CopyNumber is null
            ? " — copy number not reported; not counted as amplification"
            : string.Create(CultureInfo.InvariantCulture, $" — below the amplification threshold of {CopyNumberAlteration.AmplificationThreshold:0} copies; not counted as amplification"));
    }

    /// <summary>The diagnosis as the header and reports write it: the display name and the ICD-10 code.</summary>
    public static string Diagnosis(PrimaryCancerCondition? cancer) => cancer is null
        ? "No primary cancer recorded"
        : cancer.DisplayName + (cancer.Icd10Code is null ? string.Empty : $" ({cancer.Icd10Code})");

    /// <summary>Metastatic sites grouped under the primary cancer the record links them to; the rest under null (primary not linked).</summary>
    public static IReadOnlyDictionary<PrimaryCancerCondition, IReadOnlyList<SecondaryCancerCondition>> SecondariesByPrimary(
        PatientProfile profile, out IReadOnlyList<SecondaryCancerCondition> unlinked)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var byPrimary = new Dictionary<PrimaryCancerCondition, IReadOnlyList<SecondaryCancerCondition>>(ReferenceEqualityComparer.Instance);
        var rest = new List<SecondaryCancerCondition>();
        foreach (var group in profile.SecondaryCancers.GroupBy(s => LinkedPrimary(profile, s)))
        {
            if (group.Key is { } primary)
            {
                byPrimary[primary] = [.. group];
            }
            else
            {
                rest.AddRange(group);
            }
        }

        unlinked = rest;
        return byPrimary;
    }

    /// <summary>The primary cancer of the record that <paramref name="secondary"/> names (by type and id; versions may differ).</summary>
    public static PrimaryCancerCondition? LinkedPrimary(PatientProfile profile, SecondaryCancerCondition secondary)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(secondary);
        return secondary.RelatedPrimary is { } related
            ? profile.PrimaryCancers.FirstOrDefault(p => p.Source.ResourceType == related.ResourceType && p.Source.Id == related.Id)
            : null;
    }
}
