using Precision.Portal.Client.Authorization;

namespace Precision.Portal.Client.ModelVersions;

/// <summary>
/// Who reaches the model registry: compliance officers and administrators see versions, model cards, subgroup results
/// and the activation history; only administrators activate or roll back a version.
/// </summary>
public static class ModelRegistryAccess
{
    public const string Policy = "model-registry";

    public const string Href = "compliance/models";

    public static IReadOnlyList<string> ViewRoles { get; } = [PortalRoles.Compliance, PortalRoles.Admin];

    public const string ActivateRole = PortalRoles.Admin;

    /// <summary>A reason shorter than this says nothing an auditor could follow ("fix", "test").</summary>
    public const int MinimumReasonLength = 10;

    public const int MaximumReasonLength = 1000;

    /// <summary>Every problem with an activation reason, in words the administrator can act on; empty when it is acceptable.</summary>
    public static IReadOnlyList<string> ValidateReason(string? reason)
    {
        var trimmed = reason?.Trim() ?? string.Empty;
        if (trimmed.Length == 0)
        {
            return ["A reason is required: say why this version should serve predictions (e.g. the validation result or incident it answers)."];
        }

        if (trimmed.Length < MinimumReasonLength)
        {
            return [$"The reason is too short ({trimmed.Length} characters): write at least {MinimumReasonLength} characters that an auditor could follow."];
        }

        return trimmed.Length > MaximumReasonLength
            ? [$"The reason is {trimmed.Length} characters long; keep it to {MaximumReasonLength} and link to longer documents."]
            : [];
    }
}

/// <summary>Activate: serve another version. Rollback: serve again the version the latest activation replaced.</summary>
public enum ModelActivationKind
{
    Activate,
    Rollback,
}

/// <summary>One model version folder as the registry checked it, with its headline test metrics from the manifest.</summary>
/// <param name="Problems">Why the registry refuses it (empty when it verifies).</param>
/// <param name="Auroc">AUROC of the calibrated ensemble on held-out patients (manifest <c>metrics.Overall</c>).</param>
/// <param name="ExpectedCalibrationError">ECE (10 bins) on the same patients.</param>
public sealed record ModelVersionSummary(
    string Version,
    string? Date,
    bool IsValid,
    IReadOnlyList<string> Problems,
    string? OnnxSha256,
    double? Auroc,
    double? ExpectedCalibrationError,
    int? TestExamples,
    bool HasReferencePopulation,
    bool IsActive);

/// <summary>One recorded activation: which version replaced which, by whom, when and why, and its audit event.</summary>
public sealed record ModelActivationRecord(
    long Id,
    string Version,
    string OnnxSha256,
    string? PreviousVersion,
    string? PreviousOnnxSha256,
    ModelActivationKind Kind,
    string Reason,
    string ActorSubject,
    string ActorName,
    DateTimeOffset ActivatedUtc,
    Guid AuditEventId);

/// <summary>The registry page's data.</summary>
/// <param name="ActiveVersion">The version served now; null when none is.</param>
/// <param name="ActiveProblem">Why no version is served.</param>
/// <param name="PinnedVersion"><c>Model:Version</c> when set: it wins over activations and switching is disabled.</param>
/// <param name="ActiveSource">Why the active version is the one served, in words.</param>
/// <param name="HistoryProblem">The activation store could not be read (history missing, activation refused).</param>
/// <param name="StartupNote">What happened to the latest activation at start when it could not be restored.</param>
public sealed record ModelRegistryOverview(
    IReadOnlyList<ModelVersionSummary> Versions,
    string? ActiveVersion,
    string? ActiveProblem,
    string? PinnedVersion,
    string ActiveSource,
    IReadOnlyList<ModelActivationRecord> History,
    string? HistoryProblem,
    string? StartupNote)
{
    /// <summary>The version a rollback returns to: the one the latest activation replaced, when it still verifies.</summary>
    public string? RollbackVersion => History.Count > 0 && History[0].PreviousVersion is { } previous
        && previous != ActiveVersion && Versions.Any(v => v.Version == previous && v.IsValid) ? previous : null;
}

/// <summary>One row of a subgroup table of the model card.</summary>
public sealed record SubgroupRow(string Group, int Examples, double? ObservedRate, double? MeanPredicted, double? Auroc, double? ExpectedCalibrationError)
{
    /// <summary>Below this many held-out examples the card leaves AUROC and ECE out: too few to estimate them.</summary>
    public const int SmallGroupThreshold = 30;

    public bool IsSmall => Examples < SmallGroupThreshold;
}

/// <summary>One subgroup table (<c>### Sex</c>, <c>### Age band</c> …) under the card's <c>## Subgroups</c>.</summary>
public sealed record SubgroupTable(string Dimension, IReadOnlyList<SubgroupRow> Rows);

/// <summary>A version's model card rendered to safe HTML (no raw HTML, images inlined), and its subgroup tables.</summary>
/// <param name="Html">Null when the card is missing or unreadable (<paramref name="Problem"/> says why).</param>
/// <param name="SubgroupProblem">Why the card has no usable subgroup tables.</param>
public sealed record ModelCardView(string Version, string? Html, string? Problem, IReadOnlyList<SubgroupTable> Subgroups, string? SubgroupProblem);

/// <summary>The outcome of an activation or rollback.</summary>
public sealed record ModelActivationResult(bool Succeeded, string Message, ModelActivationRecord? Activation)
{
    public static ModelActivationResult Refused(string message) => new(false, message, null);
}

/// <summary>The model registry as pages use it.</summary>
public interface IModelVersionRegistry
{
    Task<ModelRegistryOverview> GetOverviewAsync(CancellationToken cancellationToken = default);

    Task<ModelCardView> GetModelCardAsync(string version, CancellationToken cancellationToken = default);

    /// <summary>
    /// Serves <paramref name="version"/> from now on (administrators only; a reason is required). The change is recorded
    /// in the audit trail and the activation history before it takes effect; when either cannot be written nothing changes.
    /// </summary>
    Task<ModelActivationResult> ActivateAsync(string version, string reason, CancellationToken cancellationToken = default);
}
