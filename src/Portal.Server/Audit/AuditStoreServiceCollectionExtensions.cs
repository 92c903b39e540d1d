using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using Precision.Portal.Client.Audit;
using Precision.Portal.Server.Authentication;
using Precision.Portal.Server.Hosting;

namespace Precision.Portal.Server.Audit;

public static class AuditStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers the audit store named by <c>Audit:Provider</c> — SQLite (default) or PostgreSQL — as <see cref="IAuditStore"/>,
    /// <see cref="IAuditReader"/> and <see cref="IAuditMaintenance"/> (one singleton), with <see cref="AuditStoreOptions"/>
    /// bound from the <c>Audit</c> section of <paramref name="configuration"/>; <paramref name="configure"/> runs after binding,
    /// e.g. to default <c>DataDirectory</c> to <c>ContentRoot/App_Data</c>. Settings that cannot work throw
    /// <see cref="PortalConfigurationException"/> naming the setting, so the portal refuses to start.
    /// The schema is brought up to date at start-up; if that fails (database down) the host still starts, the failure is
    /// logged, and appends and <see cref="IAuditStore.CheckWritableAsync"/> report it until it is fixed.
    /// </summary>
    public static IServiceCollection AddAuditStore(this IServiceCollection services, IConfiguration configuration, Action<AuditStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        var section = configuration.GetSection(AuditStoreOptions.SectionName);
        var provider = Validate(section);
        var options = services.AddOptions<AuditStoreOptions>().Bind(section);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton(TimeProvider.System);
        if (provider == AuditStoreProvider.PostgreSql)
        {
            services.TryAddSingleton(sp => new PostgreSqlAuditStore(
                sp.GetRequiredService<IOptions<AuditStoreOptions>>().Value,
                sp.GetRequiredService<TimeProvider>()));
            services.TryAddSingleton<IAuditStore>(sp => sp.GetRequiredService<PostgreSqlAuditStore>());
            services.TryAddSingleton<IAuditReader>(sp => sp.GetRequiredService<PostgreSqlAuditStore>());
            services.TryAddSingleton<IAuditMaintenance>(sp => sp.GetRequiredService<PostgreSqlAuditStore>());
            services.TryAddSingleton<IAuditMonitoringReader>(sp => sp.GetRequiredService<PostgreSqlAuditStore>());
        }
        else
        {
            services.TryAddSingleton(sp => new SqliteAuditStore(
                sp.GetRequiredService<IOptions<AuditStoreOptions>>().Value,
                sp.GetRequiredService<TimeProvider>()));
            services.TryAddSingleton<IAuditStore>(sp => sp.GetRequiredService<SqliteAuditStore>());
            services.TryAddSingleton<IAuditReader>(sp => sp.GetRequiredService<SqliteAuditStore>());
            services.TryAddSingleton<IAuditMaintenance>(sp => sp.GetRequiredService<SqliteAuditStore>());
            services.TryAddSingleton<IAuditMonitoringReader>(sp => sp.GetRequiredService<SqliteAuditStore>());
        }

        services.AddHostedService<AuditStoreStartup>();
        return services;
    }

    /// <summary>Refuses settings that cannot work, naming the setting and what it must be.</summary>
    internal static AuditStoreProvider Validate(IConfigurationSection section)
    {
        AuditStoreOptions settings;
        try
        {
            settings = section.Get<AuditStoreOptions>() ?? new AuditStoreOptions();
        }
        catch (InvalidOperationException ex)
        {
            throw new PortalConfigurationException($"The Audit settings could not be read: {ex.GetBaseException().Message}", ex);
        }

        var provider = DatabaseProviderSettings.Resolve("Audit", settings.Provider, settings.ConnectionString) == DatabaseProvider.PostgreSql
            ? AuditStoreProvider.PostgreSql
            : AuditStoreProvider.Sqlite;

        if (settings.VerifyInterval < TimeSpan.Zero || (settings.VerifyInterval > TimeSpan.Zero && settings.VerifyInterval < TimeSpan.FromSeconds(1)))
        {
            throw new PortalConfigurationException($"Audit:VerifyInterval must be 00:00:00 (off) or at least one second (it is {settings.VerifyInterval}).");
        }

        if (settings.RetentionDays < 0)
        {
            throw new PortalConfigurationException($"Audit:RetentionDays must be 0 (keep everything) or a positive number of days (it is {settings.RetentionDays}).");
        }

        if (settings.RetentionDays > 0 && settings.RetentionInterval < TimeSpan.FromSeconds(1))
        {
            throw new PortalConfigurationException($"Audit:RetentionInterval must be at least one second when Audit:RetentionDays is set (it is {settings.RetentionInterval}).");
        }

        return provider;
    }
}
