using Microsoft.AspNetCore.Components.Server.Circuits;
using Precision.Portal.Client.Audit;

namespace Precision.Portal.Server.Audit;

/// <summary>The resolved data directory: <c>Portal:DataDirectory</c>, or <c>App_Data</c> under the content root.</summary>
public sealed record PortalDataDirectory(string Path);

public static class PortalAuditTrailExtensions
{
    /// <summary>The audit store under the portal's data directory, and the audit trail pages and handlers record through.</summary>
    public static WebApplicationBuilder AddPortalAuditTrail(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configured = builder.Configuration["Portal:DataDirectory"];
        var dataDirectory = new PortalDataDirectory(System.IO.Path.GetFullPath(string.IsNullOrWhiteSpace(configured)
            ? System.IO.Path.Combine(builder.Environment.ContentRootPath, "App_Data")
            : configured));
        builder.Services.AddSingleton(dataDirectory);
        builder.Services.AddAuditStore(builder.Configuration, options => options.DataDirectory = dataDirectory.Path);
        builder.Services.AddScoped<AuditCallContext>();
        builder.Services.AddScoped<AuditTrail>();
        builder.Services.AddScoped<IAuditTrail>(sp => sp.GetRequiredService<AuditTrail>());
        builder.Services.AddScoped<CircuitHandler, AuditCircuitHandler>();
        builder.Services.AddSingleton<AuditChainMonitor>();
        builder.Services.AddSingleton<IAuditChainMonitor>(sp => sp.GetRequiredService<AuditChainMonitor>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AuditChainMonitor>());
        builder.Services.AddHostedService<AuditRetentionService>();
        return builder;
    }
}
