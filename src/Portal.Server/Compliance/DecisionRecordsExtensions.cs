using Precision.Clinical.Catalog;
using Precision.Inference.Runtime;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.Compliance;

namespace Precision.Portal.Server.Compliance;

public static class DecisionRecordsExtensions
{
    /// <summary>
    /// Decision records and replay for the compliance pages (<see cref="IDecisionRecords"/>): read from the audit trail,
    /// replayed on the model versions of the registry <see cref="Predictions.EfficacyModelExtensions.AddPortalEfficacyModel"/> set up.
    /// </summary>
    public static WebApplicationBuilder AddPortalDecisionRecords(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // One replayer for the process: it owns the replay sessions and disposes them when the host stops.
        builder.Services.AddSingleton(sp => new DecisionReplayer(
            sp.GetRequiredService<ModelRegistry>(),
            sp.GetRequiredService<EfficacyModelOptions>(),
            sp.GetRequiredService<TherapyCatalog>(),
            sp.GetRequiredService<ILogger<DecisionReplayer>>()));
        builder.Services.AddScoped<IDecisionRecords>(sp => new DecisionRecordService(
            sp.GetRequiredService<IAuditReader>(),
            sp.GetRequiredService<IAuditTrail>(),
            sp.GetRequiredService<DecisionReplayer>(),
            sp.GetRequiredService<TherapyCatalog>()));
        return builder;
    }
}
