using System.Security.Cryptography;
using System.Text;
using Precision.Clinical;

namespace Precision.Inference.Features;

/// <summary>One observed outcome: a patient's features when a catalog therapy was started, and whether they responded (CR/PR).</summary>
public sealed record ResponseExample(
    string PatientId,
    string TherapyId,
    int LineNumber,
    PatientFeatures Features,
    bool Responded);

public enum DataSplit
{
    Train,
    Validation,
    Test,
}

/// <summary>Rows for training and evaluation, built with the same featurizer the portal uses at inference time.</summary>
public static class ResponseExamples
{
    /// <summary>
    /// One example per therapy line that maps to a catalog therapy and has an assessed best response. Lines without
    /// either are skipped: they carry no label the model could learn from.
    /// </summary>
    public static IEnumerable<ResponseExample> From(PatientProfile profile, PatientFeaturizer featurizer)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(featurizer);
        foreach (var line in profile.TherapyLines)
        {
            if (line.CatalogTherapyId is { } therapyId && line.ObjectiveResponse is { } responded && featurizer.Schema.TherapyIds.Contains(therapyId))
            {
                yield return new ResponseExample(profile.PatientId, therapyId, line.LineNumber, featurizer.FeaturizeAtLineStart(profile, line), responded);
            }
        }
    }
}

/// <summary>
/// Assigns whole patients to train / validation / test by a seeded hash of the patient id: every example of a patient
/// lands in the same split, and the assignment does not depend on file order or cohort size.
/// </summary>
public sealed class PatientSplit(long seed, double trainFraction = 0.7, double validationFraction = 0.15)
{
    public DataSplit Of(string patientId)
    {
        ArgumentException.ThrowIfNullOrEmpty(patientId);
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(seed.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + patientId));
        var unit = BitConverter.ToUInt64(digest, 0) / (double)ulong.MaxValue;
        return unit < trainFraction ? DataSplit.Train : unit < trainFraction + validationFraction ? DataSplit.Validation : DataSplit.Test;
    }
}
