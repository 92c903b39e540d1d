using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Precision.Portal.Client.Audit;

namespace Precision.Portal.Server.Audit;

public static class AuditStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers the SQLite audit store as <see cref="IAuditStore"/> and <see cref="IAuditReader"/> (one singleton),
    /// with <see cref="AuditStoreOptions"/> bound from the <c>Audit</c> section of <paramref name="configuration"/>;
    /// <paramref name="configure"/> runs after binding, e.g. to default <c>DataDirectory</c> to <c>ContentRoot/App_Data</c>.
    /// The schema is brought up to date at start-up; if that fails the host still starts, the failure is logged,
    /// and appends and <see cref="IAuditStore.CheckWritableAsync"/> report it until it is fixed.
    /// </summary>
    public static IServiceCollection AddAuditStore(this IServiceCollection services, IConfiguration configuration, Action<AuditStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        var options = services.AddOptions<AuditStoreOptions>().Bind(configuration.GetSection(AuditStoreOptions.SectionName));
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new SqliteAuditStore(
            sp.GetRequiredService<IOptions<AuditStoreOptions>>().Value,
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<IAuditStore>(sp => sp.GetRequiredService<SqliteAuditStore>());
        services.TryAddSingleton<IAuditReader>(sp => sp.GetRequiredService<SqliteAuditStore>());
        services.AddHostedService<AuditStoreStartup>();
        return services;
    }
}
