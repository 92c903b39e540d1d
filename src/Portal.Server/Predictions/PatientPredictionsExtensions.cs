using Precision.Clinical.Catalog;
using Precision.Inference.Explanations;
using Precision.Inference.Features;
using Precision.Inference.Runtime;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.Predictions;

namespace Precision.Portal.Server.Predictions;

public static class PatientPredictionsExtensions
{
    /// <summary>
    /// Predictions, explanations, what-if and feedback for the patient pages (<see cref="IPatientPredictions"/>), on the
    /// model <see cref="EfficacyModelExtensions.AddPortalEfficacyModel"/> serves. <c>Explanations:ReferenceSize</c> sets how
    /// many rows of the model's reference sample the Shapley baseline averages over.
    /// </summary>
    public static WebApplicationBuilder AddPortalPredictions(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new ShapleyOptions();
        if (builder.Configuration["Explanations:ReferenceSize"] is { Length: > 0 } size)
        {
            if (!int.TryParse(size, System.Globalization.CultureInfo.InvariantCulture, out var rows) || rows is < 1 or > 100)
            {
                throw new Authentication.PortalConfigurationException($"Explanations:ReferenceSize is '{size}'; it must be a whole number of reference patients from 1 to 100 (default {options.ReferenceSize}).");
            }

            options = options with { ReferenceSize = rows };
        }

        builder.Services.AddSingleton(sp => new PredictionExplainer(
            sp.GetRequiredService<PatientFeaturizer>(), options, sp.GetRequiredService<ILogger<PredictionExplainer>>()));
        builder.Services.AddScoped<IPatientPredictions>(sp => new PatientPredictionService(
            sp.GetRequiredService<EfficacyModelService>(),
            sp.GetRequiredService<PredictionExplainer>(),
            sp.GetRequiredService<TherapyCatalog>(),
            sp.GetRequiredService<IAuditTrail>(),
            sp.GetService<TimeProvider>() ?? TimeProvider.System));
        return builder;
    }
}
