using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Precision.Inference.Runtime;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.ModelVersions;
using Precision.Portal.Server.Audit;

namespace Precision.Portal.Server.ModelVersions;

/// <summary>
/// The registry page's service, one per circuit: versions as the registry checks them now, with their manifest metrics;
/// model cards; the activation history; activation as the signed-in user.
/// </summary>
internal sealed class ModelRegistryService(
    ModelActivationCoordinator coordinator,
    IAuditTrail audit,
    AuditCallContext call,
    IServiceProvider services) : IModelVersionRegistry
{
    private const int HistoryLength = 100;

    public async Task<ModelRegistryOverview> GetOverviewAsync(CancellationToken cancellationToken = default)
    {
        await RequireViewerAsync().ConfigureAwait(false);
        var model = coordinator.Model;
        var served = model.Status;
        // Verification reads and hashes each version's files: done on every visit, so the page shows the files as they are now.
        var checks = await Task.Run(() => model.Registry.ListVersions(), cancellationToken).ConfigureAwait(false);
        var versions = checks.Select(check =>
        {
            var facts = ManifestFacts.Read(check.Directory);
            return new ModelVersionSummary(
                check.Version,
                facts.Date,
                check.IsValid,
                check.Problems,
                check.Model?.OnnxSha256 ?? facts.OnnxSha256,
                facts.Auroc,
                facts.ExpectedCalibrationError,
                facts.Examples,
                check.Model?.ReferencePopulation is not null,
                served.IsServing && served.Version == check.Version);
        }).ToList();

        IReadOnlyList<ModelActivationRecord> history = [];
        string? historyProblem = null;
        try
        {
            history = await coordinator.Store.ReadHistoryAsync(HistoryLength, cancellationToken).ConfigureAwait(false);
        }
        catch (ModelActivationStoreException ex)
        {
            historyProblem = ex.Message;
        }

        return new ModelRegistryOverview(versions, served.Version, served.IsServing ? null : served.Refusal, coordinator.PinnedVersion, coordinator.ActiveSource,
            history, historyProblem, coordinator.StartupNote);
    }

    public async Task<ModelCardView> GetModelCardAsync(string version, CancellationToken cancellationToken = default)
    {
        await RequireViewerAsync().ConfigureAwait(false);
        var registry = coordinator.Model.Registry;
        // Only folder names the registry lists: a version string never becomes an arbitrary path.
        if (ModelRegistry.ParseVersion(version) is null || !registry.PresentVersions().Contains(version, StringComparer.Ordinal))
        {
            var problem = $"There is no model version '{version}' in {registry.Directory}.";
            return new ModelCardView(version, null, problem, [], problem);
        }

        return await Task.Run(() => ModelCardReader.Read(version, Path.Combine(registry.Directory, version)), cancellationToken).ConfigureAwait(false);
    }

    public async Task<ModelActivationResult> ActivateAsync(string version, string reason, CancellationToken cancellationToken = default) =>
        await coordinator.ActivateAsync(version, reason, await UserAsync().ConfigureAwait(false), audit, cancellationToken).ConfigureAwait(false);

    private async Task RequireViewerAsync()
    {
        var user = await UserAsync().ConfigureAwait(false);
        if (!ModelRegistryAccess.ViewRoles.Any(user.IsInRole))
        {
            throw new UnauthorizedAccessException("The model registry is for compliance officers and administrators.");
        }
    }

    private async Task<ClaimsPrincipal> UserAsync()
    {
        if (call.User is { } user)
        {
            return user;
        }

        var state = services.GetRequiredService<AuthenticationStateProvider>();
        return (await state.GetAuthenticationStateAsync().ConfigureAwait(false)).User;
    }
}
