using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Precision.Clinical.Catalog;
using Precision.Inference.Evidence;
using Precision.Inference.Features;
using Precision.Inference.Runtime;
using Precision.Portal.Client.Predictions;
using Precision.Portal.Server.Authentication;
using Precision.Portal.Server.Health;

namespace Precision.Portal.Server.Predictions;

public static class EfficacyModelExtensions
{
    /// <summary>
    /// The efficacy model (<c>Model:*</c> settings): chosen and verified by the registry, opened on the configured
    /// execution provider and warmed up while the portal starts. Settings that cannot work stop the portal naming the
    /// setting; a model that fails its checks leaves the portal running with <c>/health/ready</c> unhealthy and the reason.
    /// </summary>
    public static WebApplicationBuilder AddPortalEfficacyModel(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var section = builder.Configuration.GetSection(EfficacyModelOptions.SectionName);
        var options = Read(section);
        var directory = options.Directory is { Length: > 0 } configured
            ? Path.GetFullPath(configured, builder.Environment.ContentRootPath)
            : ModelRegistry.FindDefaultDirectory(builder.Environment.ContentRootPath, AppContext.BaseDirectory)
              ?? Path.Combine(builder.Environment.ContentRootPath, ModelRegistry.DefaultRelativePath);
        Validate(options, directory);

        builder.Services.AddSingleton(options);
        builder.Services.TryAddSingleton(_ => TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault()));
        builder.Services.TryAddSingleton(sp => new PatientFeaturizer(sp.GetRequiredService<TherapyCatalog>()));
        builder.Services.TryAddSingleton(sp => new CatalogEvidence(sp.GetRequiredService<TherapyCatalog>()));
        builder.Services.AddSingleton(sp => new ModelRegistry(directory, sp.GetRequiredService<PatientFeaturizer>().Schema));
        builder.Services.AddSingleton(sp => EfficacyModelService.Start(
            sp.GetRequiredService<ModelRegistry>(),
            options,
            sp.GetRequiredService<PatientFeaturizer>(),
            sp.GetRequiredService<CatalogEvidence>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("Precision.Inference.EfficacyModel"),
            sp.GetService<TimeProvider>()));
        builder.Services.AddSingleton<IEfficacyModelStatus, EfficacyModelStatus>();
        builder.Services.AddHostedService<EfficacyModelStartup>();
        builder.Services.AddHealthChecks().AddCheck<EfficacyModelHealthCheck>("model", tags: [PortalHealthChecks.ReadyTag]);
        return builder;
    }

    private static EfficacyModelOptions Read(IConfigurationSection section)
    {
        var provider = section[nameof(EfficacyModelOptions.ExecutionProvider)];
        if (!string.IsNullOrWhiteSpace(provider) && !Enum.GetNames<ExecutionProviderPreference>().Contains(provider, StringComparer.OrdinalIgnoreCase))
        {
            throw new PortalConfigurationException($"Model:ExecutionProvider is '{provider}'; it must be Auto (CUDA when available, else CPU), Cuda or Cpu.");
        }

        try
        {
            return section.Get<EfficacyModelOptions>() ?? new EfficacyModelOptions();
        }
        catch (InvalidOperationException ex)
        {
            throw new PortalConfigurationException($"The Model settings could not be read: {ex.GetBaseException().Message}", ex);
        }
    }

    /// <summary>Refuses settings that cannot work, at start, naming the setting and what it must be.</summary>
    private static void Validate(EfficacyModelOptions options, string directory)
    {
        var problems = options.Validate().ToList();
        if (!string.IsNullOrWhiteSpace(options.Directory) && !Directory.Exists(directory))
        {
            problems.Add($"Model:Directory '{options.Directory}' does not exist ({directory}). Set it to a folder holding one subfolder per model version (like the repository's {ModelRegistry.DefaultRelativePath}), or leave it empty.");
        }

        if (problems.Count == 0 && !string.IsNullOrWhiteSpace(options.Version) && Directory.Exists(directory))
        {
            var present = ModelRegistry.PresentVersions(directory);
            if (!present.Contains(options.Version, StringComparer.Ordinal))
            {
                problems.Add($"Model:Version is {options.Version}, but {directory} holds {(present.Count == 0 ? "no model version" : "only " + string.Join(", ", present))}. Set Model:Version to one of them, or leave it empty to serve the highest valid version.");
            }
        }

        if (problems.Count > 0)
        {
            throw new PortalConfigurationException(string.Join(" ", problems));
        }
    }
}

/// <summary>Opens and warms up the model while the host starts, so the first prediction does not pay for it.</summary>
internal sealed class EfficacyModelStartup(EfficacyModelService model) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.FromResult(model.Status);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Ready only when a verified model is served; otherwise the refusal says what differs and what to do.</summary>
internal sealed class EfficacyModelHealthCheck(EfficacyModelService model) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = model.Status;
        if (!status.IsServing)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(status.Refusal, data: new Dictionary<string, object> { ["directory"] = status.ModelDirectory }));
        }

        var data = new Dictionary<string, object>
        {
            ["version"] = status.Version!,
            ["onnxSha256"] = status.OnnxSha256!,
            ["executionProvider"] = status.Provider!.ToString(),
            ["referencePopulation"] = status.HasReferencePopulation,
        };
        if (status.Provider.FallbackReason is { } reason)
        {
            data["cudaUnavailable"] = reason;
        }

        return Task.FromResult(HealthCheckResult.Healthy(
            $"Model {status.Version} (ONNX sha256 {status.OnnxSha256![..12]}…) serving on {status.Provider}; loaded in {status.StartDuration?.TotalMilliseconds:0} ms.", data));
    }
}

/// <summary>The served model's facts for the footer and the administration page; read on each render, so an activation shows at once.</summary>
internal sealed class EfficacyModelStatus(EfficacyModelService model) : IEfficacyModelStatus
{
    public EfficacyModelInfo Current
    {
        get
        {
            var status = model.Status;
            return new(
                status.IsServing,
                status.Version,
                status.OnnxSha256,
                status.Provider?.Name,
                status.Provider?.FallbackReason,
                status.HasReferencePopulation,
                status.LoadedAt,
                status.StartDuration,
                status.ModelDirectory,
                status.Refusal);
        }
    }
}
