using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using Precision.Portal.Client.ModelVersions;
using Precision.Portal.Server.Audit;
using Precision.Portal.Server.Authentication;

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

        if (!options.IsKnownProvider)
        {
            throw new PortalConfigurationException($"ModelRegistry:Provider '{options.Provider}' is not known. Use Sqlite (the default: model-registry.db under Portal:DataDirectory) or PostgreSql (with ModelRegistry:ConnectionString).");
        }

        if (options.IsPostgreSql)
        {
            if (string.IsNullOrWhiteSpace(options.ConnectionString))
            {
                throw new PortalConfigurationException("ModelRegistry:Provider is PostgreSql, so ModelRegistry:ConnectionString must name the server, e.g. 'Host=db.example.org;Database=portal_models;Username=portal' (the password through an environment variable or secret store).");
            }

            try
            {
                if (string.IsNullOrWhiteSpace(new NpgsqlConnectionStringBuilder(options.ConnectionString).Host))
                {
                    throw new PortalConfigurationException("ModelRegistry:ConnectionString names no Host. Add Host=<server> (and Database=, Username=).");
                }
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or OverflowException)
            {
                // The message names the keyword, never the rest of the string (which may hold a password).
                throw new PortalConfigurationException($"ModelRegistry:ConnectionString is not a valid PostgreSQL connection string: {ex.Message}", ex);
            }
        }
        else if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            throw new PortalConfigurationException("ModelRegistry:ConnectionString is set but ModelRegistry:Provider is Sqlite (the default). Set ModelRegistry:Provider to PostgreSql, or remove the connection string.");
        }

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
