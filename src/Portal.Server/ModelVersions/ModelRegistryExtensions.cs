using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using Precision.Portal.Client.ModelVersions;
using Precision.Portal.Server.Audit;
using Precision.Portal.Server.Authentication;
using Precision.Portal.Server.Hosting;

namespace Precision.Portal.Server.ModelVersions;

public static class ModelRegistryExtensions
{
    /// <summary>
    /// The model registry: the activation history (<c>ModelRegistry:Provider</c> Sqlite — <c>model-registry.db</c> under
    /// <c>Portal:DataDirectory</c> — or PostgreSql with <c>ModelRegistry:ConnectionString</c>), the coordinator that
    /// restores the latest activation at start and switches the served model, the page's service and its policy
    /// (compliance and admin view; the service lets only admin act). Call after the audit trail and the efficacy model.
    /// </summary>
    public static WebApplicationBuilder AddPortalModelRegistry(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = Read(builder.Configuration.GetSection(ModelActivationStoreOptions.SectionName));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IModelActivationStore>(sp =>
        {
            options.DataDirectory = sp.GetRequiredService<PortalDataDirectory>().Path;
            return options.IsPostgreSql ? new PostgreSqlModelActivationStore(options) : new SqliteModelActivationStore(options);
        });
        builder.Services.AddSingleton<ModelActivationCoordinator>();
        builder.Services.AddScoped<IModelVersionRegistry, ModelRegistryService>();
        builder.Services.AddHostedService<ModelActivationStartup>();
        builder.Services.Configure<AuthorizationOptions>(authorization =>
            authorization.AddPolicy(ModelRegistryAccess.Policy, p => p.RequireAuthenticatedUser().RequireRole(ModelRegistryAccess.ViewRoles)));
        return builder;
    }

    /// <summary>Refuses settings that cannot work, naming the setting.</summary>
    private static ModelActivationStoreOptions Read(IConfigurationSection section)
    {
        ModelActivationStoreOptions options;
        try
        {
            options = section.Get<ModelActivationStoreOptions>() ?? new ModelActivationStoreOptions();
        }
        catch (InvalidOperationException ex)
        {
            throw new PortalConfigurationException($"The ModelRegistry settings could not be read: {ex.GetBaseException().Message}", ex);
        }

        DatabaseProviderSettings.Resolve(ModelActivationStoreOptions.SectionName, options.Provider, options.ConnectionString);

        if (options.BusyTimeout <= TimeSpan.Zero)
        {
            throw new PortalConfigurationException($"ModelRegistry:BusyTimeout must be positive (it is {options.BusyTimeout}).");
        }

        return options;
    }
}

/// <summary>Restores the latest activation while the host starts, before the first request.</summary>
internal sealed class ModelActivationStartup(ModelActivationCoordinator coordinator) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => coordinator.RestoreAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
