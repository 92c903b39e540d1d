namespace Precision.Clinical;

/// <summary>
/// Whether an oncology ranking may be offered for a patient at all. One rule for the server (which refuses) and the page
/// (which says why): never for a patient recorded as deceased, never without a primary cancer diagnosis.
/// </summary>
public static class PredictionEligibility
{
    /// <summary>Why no predictions are offered, in words for the clinician; null when they may be.</summary>
    public static string? WhyNot(PatientProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (profile.VitalStatus is { } deceased)
        {
            return $"The record says the patient has died ({deceased.Label}, {deceased.Source.Reference}). Treatment predictions are not offered.";
        }

        if (profile.PrimaryCancer is null)
        {
            return profile.SecondaryCancers.Count > 0
                ? "The record has metastatic sites but no primary cancer diagnosis, so the cancer type is unknown. Add the primary cancer (mCODE PrimaryCancerCondition) to the record; no oncology ranking is offered until then."
                : "The record has no primary cancer diagnosis (only other conditions or genomic results). No oncology ranking is offered.";
        }

        return null;
    }
}
