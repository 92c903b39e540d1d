using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Nodes;
using Precision.Inference.Runtime;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.ModelVersions;
using Precision.Portal.Server.Audit;

namespace Precision.Portal.Server.ModelVersions;

/// <summary>
/// Which model version serves, and switching it while the portal runs. Precedence at start: <c>Model:Version</c> when set
/// (an operator's pin: activations are then refused and the page says so); else the latest recorded activation, when
/// that version still verifies with the ONNX hash it was activated with; else the highest verified version. An
/// activation opens and warms the new model first, then records the audit event and the history row in one
/// transaction (no event, no change), then swaps the model in; calls in flight finish on the old one.
/// </summary>
public sealed class ModelActivationCoordinator(
    EfficacyModelService model,
    IModelActivationStore store,
    EfficacyModelOptions options,
    TimeProvider time,
    ILogger<ModelActivationCoordinator> logger) : IDisposable
{
    private const string DefaultSource = "the highest version that passes every check (no activation recorded)";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private string _source = DefaultSource;

    /// <summary><c>Model:Version</c>, when the configuration pins one.</summary>
    public string? PinnedVersion => string.IsNullOrWhiteSpace(options.Version) ? null : options.Version.Trim();

    /// <summary>Why the served version is the one served, in words.</summary>
    public string ActiveSource => PinnedVersion is { } pinned ? $"pinned by the configuration (Model:Version = {pinned})" : _source;

    /// <summary>Set when the latest activation could not be restored at start.</summary>
    public string? StartupNote { get; private set; }

    public EfficacyModelService Model => model;

    public IModelActivationStore Store => store;

    public void Dispose() => _gate.Dispose();

    /// <summary>At start: migrates the history and serves the latest activation's version when nothing pins one.</summary>
    public async Task RestoreAsync(CancellationToken cancellationToken = default)
    {
        ModelActivationRecord? latest;
        try
        {
            await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
            latest = await store.ReadLatestAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ModelActivationStoreException ex)
        {
            StartupNote = $"The activation history could not be read at start, so the latest activation (if any) was not applied: {ex.Message}";
            logger.LogError(ex, "Model activation history unavailable at start; serving {Version}", model.Status.Version);
            return;
        }

        if (latest is null)
        {
            return;
        }

        if (PinnedVersion is { } pinned)
        {
            if (latest.Version != pinned)
            {
                StartupNote = $"The latest activation ({latest.Version}, {Describe(latest)}) is not applied because Model:Version pins {pinned}.";
                logger.LogWarning("Model:Version pins {Pinned}; the latest activation of {Version} is not applied", pinned, latest.Version);
            }

            return;
        }

        var served = model.Status;
        if (served.Version == latest.Version && served.OnnxSha256 == latest.OnnxSha256)
        {
            _source = $"the latest activation ({Describe(latest)})";
            return;
        }

        var check = await Task.Run(() => model.Registry.Verify(latest.Version), cancellationToken).ConfigureAwait(false);
        var fallback = served.IsServing ? $"Serving {served.Version} (the highest version that passes every check) instead" : "No model is served";
        if (check.Model is not { } verified)
        {
            StartupNote = $"The latest activation chose model {latest.Version} ({Describe(latest)}), but it now fails verification: {string.Join(" ", check.Problems)} {fallback}; activate a version to resolve this.";
            logger.LogError("The latest activation chose model {Version}, which now fails verification: {Problems}", latest.Version, string.Join(" ", check.Problems));
            return;
        }

        if (!string.Equals(verified.OnnxSha256, latest.OnnxSha256, StringComparison.OrdinalIgnoreCase))
        {
            StartupNote = $"The latest activation chose model {latest.Version} with ONNX SHA-256 {latest.OnnxSha256[..12]}…, but its folder now holds {verified.OnnxSha256[..12]}…: "
                + $"the files changed after the activation, so they are not served unreviewed. {fallback}; activate the version again to serve its new files.";
            logger.LogError("Model {Version} changed since it was activated (ONNX {Activated} → {Now}); not served", latest.Version, latest.OnnxSha256, verified.OnnxSha256);
            return;
        }

        if (served.Version == latest.Version)
        {
            // The same version with other files was chosen by default; the check above already refused that case.
            _source = $"the latest activation ({Describe(latest)})";
            return;
        }

        var start = await Task.Run(() => model.Prepare(verified), cancellationToken).ConfigureAwait(false);
        if (start.Runtime is not { } runtime)
        {
            StartupNote = $"The latest activation chose model {latest.Version} ({Describe(latest)}), but it could not be opened: {start.Error} {fallback}.";
            logger.LogError("The latest activation chose model {Version}, which could not be opened: {Error}", latest.Version, start.Error);
            return;
        }

        model.Serve(runtime);
        _source = $"the latest activation ({Describe(latest)})";
        logger.LogInformation("Serving model {Version} as the latest activation chose ({Activation})", latest.Version, Describe(latest));
    }

    /// <summary>
    /// Serves <paramref name="version"/> for <paramref name="user"/> (administrators only) with <paramref name="reason"/>,
    /// recording it through <paramref name="audit"/> (the caller's trail, which adds the caller's identity).
    /// </summary>
    public async Task<ModelActivationResult> ActivateAsync(string? version, string? reason, ClaimsPrincipal user, IAuditTrail audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(audit);
        version = version?.Trim() ?? string.Empty;
        if (!user.IsInRole(ModelRegistryAccess.ActivateRole))
        {
            await TryRecordAsync(audit, AuditOutcome.Denied, version, new JsonObject { ["problem"] = "not an administrator" }, cancellationToken).ConfigureAwait(false);
            return ModelActivationResult.Refused($"Only administrators can activate or roll back a model version; {user.Identity?.Name ?? "this user"} is not one. Nothing was changed.");
        }

        if (ModelActivationRequestProblems(version, reason) is { } invalid)
        {
            return ModelActivationResult.Refused(invalid);
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await ActivateLockedAsync(version, reason!.Trim(), user, audit, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private string? ModelActivationRequestProblems(string version, string? reason)
    {
        var problems = ModelRegistryAccess.ValidateReason(reason).ToList();
        if (PinnedVersion is { } pinned)
        {
            problems.Insert(0, $"Model:Version pins {pinned} in this portal's configuration, so the served version cannot be switched here. Remove the Model:Version setting and restart to manage versions from this page.");
        }

        if (ModelRegistry.ParseVersion(version) is null)
        {
            problems.Insert(0, $"'{version}' is not a model version (MAJOR.MINOR.PATCH, e.g. 1.1.0).");
        }
        else if (!model.Registry.PresentVersions().Contains(version, StringComparer.Ordinal))
        {
            var present = model.Registry.PresentVersions();
            problems.Insert(0, $"Model {version} is not in {model.Registry.Directory}, which holds {(present.Count == 0 ? "no version" : string.Join(", ", present))}.");
        }

        return problems.Count == 0 ? null : string.Join(" ", problems) + " Nothing was changed.";
    }

    private async Task<ModelActivationResult> ActivateLockedAsync(string version, string reason, ClaimsPrincipal user, IAuditTrail audit, CancellationToken cancellationToken)
    {
        var served = model.Status;
        var servedText = served.IsServing ? $"model {served.Version} still serves" : "no model is served";
        if (served.Version == version)
        {
            return ModelActivationResult.Refused($"Model {version} is already active. Nothing was changed.");
        }

        var check = await Task.Run(() => model.Registry.Verify(version), cancellationToken).ConfigureAwait(false);
        if (check.Model is not { } verified)
        {
            var problems = string.Join(" ", check.Problems);
            await TryRecordAsync(audit, AuditOutcome.Failure, version, new JsonObject { ["reason"] = reason, ["problem"] = "verification failed", ["message"] = problems }, cancellationToken).ConfigureAwait(false);
            return ModelActivationResult.Refused($"Model {version} fails verification and cannot be activated: {problems} Nothing was changed; {servedText}.");
        }

        var start = await Task.Run(() => model.Prepare(verified), cancellationToken).ConfigureAwait(false);
        if (start.Runtime is not { } runtime)
        {
            await TryRecordAsync(audit, AuditOutcome.Failure, version, new JsonObject { ["reason"] = reason, ["problem"] = "runtime failed", ["message"] = start.Error }, cancellationToken).ConfigureAwait(false);
            return ModelActivationResult.Refused($"Model {version} could not be opened: {start.Error} Nothing was changed; {servedText}.");
        }

        var swapped = false;
        try
        {
            var latest = await store.ReadLatestAsync(cancellationToken).ConfigureAwait(false);
            var kind = latest?.PreviousVersion == version && latest.Version == served.Version ? ModelActivationKind.Rollback : ModelActivationKind.Activate;
            var actor = AuditTrail.ActorOf(user);
            var activation = new NewModelActivation(version, verified.OnnxSha256, served.Version, served.OnnxSha256, kind, reason, actor.Subject, actor.DisplayName, time.GetUtcNow());
            var details = new JsonObject
            {
                ["modelVersion"] = version,
                ["kind"] = kind.ToString(),
                ["fromVersion"] = served.Version,
                ["fromOnnxSha256"] = served.OnnxSha256,
                ["toVersion"] = version,
                ["toOnnxSha256"] = verified.OnnxSha256,
                ["executionProvider"] = runtime.Provider.ToString(),
                ["reason"] = reason,
            };
            var recorded = await store.RecordAsync(
                activation,
                async () => (await audit.RecordAsync(new AuditEntry(AuditActions.ModelActivate, AuditOutcome.Success, null, "efficacy-model", details), cancellationToken).ConfigureAwait(false)).EventId,
                cancellationToken).ConfigureAwait(false);
            model.Serve(runtime);
            swapped = true;
            _source = $"the latest activation ({Describe(recorded)})";
            StartupNote = null;
            logger.LogInformation("{Actor} {Kind} model {Version} (was {Previous})", actor.Subject, kind, version, served.Version);
            var verb = kind == ModelActivationKind.Rollback ? "Rolled back to" : "Activated";
            return new ModelActivationResult(true, $"{verb} model {version}; it serves every prediction from now on (replacing {served.Version ?? "no model"}).", recorded);
        }
        catch (AuditWriteException ex)
        {
            return ModelActivationResult.Refused($"The audit trail could not record the change, so model {version} was not activated ({ex.Message}). Nothing was changed; {servedText}. Try again when the audit trail accepts writes (Administration → Dependencies).");
        }
        catch (ModelActivationStoreException ex)
        {
            // The audit event may already be written while the history row rolled back: say so in the trail too.
            await TryRecordAsync(audit, AuditOutcome.Failure, version, new JsonObject { ["reason"] = reason, ["problem"] = "history not written", ["message"] = ex.Message }, cancellationToken).ConfigureAwait(false);
            return ModelActivationResult.Refused($"{ex.Message} Model {version} was not activated; {servedText}.");
        }
        finally
        {
            if (!swapped)
            {
                runtime.Dispose();
            }
        }
    }

    private async Task TryRecordAsync(IAuditTrail audit, AuditOutcome outcome, string version, JsonObject details, CancellationToken cancellationToken)
    {
        details["modelVersion"] = version;
        try
        {
            await audit.RecordAsync(new AuditEntry(AuditActions.ModelActivate, outcome, null, "efficacy-model", details), cancellationToken).ConfigureAwait(false);
        }
        catch (AuditWriteException ex)
        {
            // The refusal stands either way; the trail's own log names the failure.
            logger.LogWarning(ex, "The refused model activation ({Outcome}) could not be recorded", outcome);
        }
    }

    private static string Describe(ModelActivationRecord activation) =>
        $"{activation.Kind.ToString().ToLowerInvariant()} by {activation.ActorName} on {activation.ActivatedUtc.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC";
}
