using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Precision.Clinical.Catalog;
using Precision.Fhir;
using Precision.Portal.Client.Patients;
using Precision.Portal.Server.Audit;
using Precision.Portal.Server.Authentication;
using Precision.Portal.Server.Health;

namespace Precision.Portal.Server.Patients;

public static class PatientRecordsExtensions
{
    internal const string FhirHttpClient = "fhir";

    /// <summary>
    /// Patient records from a FHIR REST server (<c>Fhir:BaseUrl</c>, with retries honouring Retry-After, timeouts and a
    /// circuit breaker) or, by default, from a Bulk Data ndjson directory.
    /// </summary>
    public static WebApplicationBuilder AddPortalPatientRecords(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = Read<FhirSourceOptions>(builder.Configuration.GetSection(FhirSourceOptions.SectionName));
        var demoCohort = Read<DemoCohortOptions>(builder.Configuration.GetSection(DemoCohortOptions.SectionName));
        Validate(options, demoCohort);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(_ => TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault()));
        builder.Services.AddSingleton<ITherapyResolver, CatalogTherapyResolver>();
        builder.Services.AddSingleton<PatientProfileMapper>();
        builder.Services.AddSingleton(demoCohort);
        builder.Services.AddSingleton<DemoCohort>();
        builder.Services.AddScoped<IPatientDirectory, PatientDirectory>();

        builder.Services.AddFhirPatientSource(options, sp => DemoCohortDirectory(sp.GetRequiredService<PortalDataDirectory>()), (sp, directory) =>
            // Only the embedded default generates data; a configured directory is read as it is.
            options.NdjsonDirectory is null ? () => sp.GetRequiredService<DemoCohort>().EnsureAsync(directory) : null);
        builder.Services.AddHealthChecks().AddCheck<PatientRecordSourceHealthCheck>("patient-records", tags: [PortalHealthChecks.ReadyTag]);
        return builder;
    }

    private static T Read<T>(IConfigurationSection section)
        where T : new()
    {
        try
        {
            return section.Get<T>() ?? new T();
        }
        catch (InvalidOperationException ex)
        {
            throw new PortalConfigurationException($"The {section.Key} settings could not be read: {ex.GetBaseException().Message}", ex);
        }
    }

    /// <summary>Refuses settings that cannot work, at start, naming the setting and what it must be.</summary>
    private static void Validate(FhirSourceOptions fhir, DemoCohortOptions demoCohort)
    {
        static bool IsHttpUrl(Uri? uri) => uri is { IsAbsoluteUri: true } && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
        var problem =
            fhir.BaseUrl is not null && !IsHttpUrl(fhir.BaseUrl) ? $"Fhir:BaseUrl '{fhir.BaseUrl}' must be an absolute http(s) URL of a FHIR R4 server, or empty to read ndjson."
            : fhir.AttemptTimeout <= TimeSpan.Zero ? "Fhir:AttemptTimeout must be positive (e.g. 00:00:05)."
            : fhir.TotalTimeout < fhir.AttemptTimeout ? "Fhir:TotalTimeout must be at least Fhir:AttemptTimeout."
            : fhir.MaxRetries is < 0 or > 10 ? "Fhir:MaxRetries must be between 0 and 10."
            : fhir.SearchPageSize is < 1 or > 1000 ? "Fhir:SearchPageSize must be between 1 and 1000."
            : fhir.MaxResponseBytes is < 65_536 or > 1_073_741_824 ? "Fhir:MaxResponseBytes must be between 65536 (64 KiB) and 1073741824 (1 GiB)."
            : fhir.MaxResourcesPerPatient is < 100 or > 1_000_000 ? "Fhir:MaxResourcesPerPatient must be between 100 and 1000000."
            : fhir.MaxPatientsScanned is < 100 or > 100_000 ? "Fhir:MaxPatientsScanned must be between 100 and 100000."
            : fhir.TokenEndpoint is not null && !IsHttpUrl(fhir.TokenEndpoint) ? $"Fhir:TokenEndpoint '{fhir.TokenEndpoint}' must be an absolute http(s) URL."
            : fhir.TokenEndpoint is not null && (string.IsNullOrWhiteSpace(fhir.ClientId) || string.IsNullOrWhiteSpace(fhir.ClientSecret)) ? "Fhir:TokenEndpoint is set, so Fhir:ClientId and Fhir:ClientSecret are required."
            : demoCohort.PatientCount is < 1 or > 100_000 ? $"DemoCohort:PatientCount must be between 1 and 100000 (it is {demoCohort.PatientCount})."
            : null;
        if (problem is not null)
        {
            throw new PortalConfigurationException(problem);
        }
    }

    /// <summary>
    /// The patient record source the options describe: REST (with its resilience pipeline and optional client-credentials
    /// token) when <see cref="FhirSourceOptions.BaseUrl"/> is set, else the ndjson directory.
    /// </summary>
    public static IServiceCollection AddFhirPatientSource(
        this IServiceCollection services,
        FhirSourceOptions options,
        Func<IServiceProvider, string> defaultNdjsonDirectory,
        Func<IServiceProvider, string, Func<Task>?>? prepareNdjsonDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.TryAddSingleton(options);
        if (options.BaseUrl is not null)
        {
            // No HttpClient request logging: it writes each FHIR URL (Patient/123, ?patient=…) into log lines and scopes.
            var http = services.AddHttpClient(FhirHttpClient, c => c.Timeout = Timeout.InfiniteTimeSpan).RemoveAllLoggers();
            if (options.TokenEndpoint is not null)
            {
                services.AddSingleton<FhirAccessTokens>();
                services.AddTransient<ClientCredentialsTokenHandler>();
                services.AddHttpClient(ClientCredentialsTokenHandler.TokenHttpClient);
                http.AddHttpMessageHandler<ClientCredentialsTokenHandler>();
            }

            // Outside the retries: a response over the limit fails once, with a message naming Fhir:MaxResponseBytes.
            http.AddHttpMessageHandler(() => new FhirResponseSizeLimitHandler(options.MaxResponseBytes));
            http.AddResilienceHandler("fhir-resilience", pipeline =>
            {
                pipeline.AddTimeout(options.TotalTimeout);
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = options.MaxRetries,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = TimeSpan.FromMilliseconds(200),
                    ShouldRetryAfterHeader = true, // 429/503 with Retry-After wait as the server asks
                });
                pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
                {
                    FailureRatio = 0.5,
                    MinimumThroughput = 8,
                    SamplingDuration = TimeSpan.FromSeconds(30),
                    BreakDuration = TimeSpan.FromSeconds(15),
                });
                pipeline.AddTimeout(options.AttemptTimeout);
            });
            services.AddSingleton<IFhirPatientSource>(sp =>
                new FhirRestPatientSource(sp.GetRequiredService<IHttpClientFactory>().CreateClient(FhirHttpClient), options));
        }
        else
        {
            services.AddSingleton<IFhirPatientSource>(sp =>
            {
                var directory = options.NdjsonDirectory ?? defaultNdjsonDirectory(sp);
                return new NdjsonPatientSource(directory, sp.GetRequiredService<ILogger<NdjsonPatientSource>>(), prepareNdjsonDirectory?.Invoke(sp, directory));
            });
        }

        return services;
    }

    /// <summary>Where the embedded default keeps its generated demo cohort.</summary>
    public static string DemoCohortDirectory(PortalDataDirectory dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        return Path.Combine(dataDirectory.Path, "demo-cohort", "ndjson");
    }
}

/// <summary>Ready when the patient record source answers a one-patient search.</summary>
internal sealed class PatientRecordSourceHealthCheck(IFhirPatientSource source) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var page = await source.SearchAsync(new Clinical.PatientQuery(null, null, 0, 1), cancellationToken);
            return HealthCheckResult.Healthy($"{source.Description} answers ({page.TotalCount} patients).");
        }
        catch (FhirSourceException ex)
        {
            return HealthCheckResult.Unhealthy(ex.Message);
        }
    }
}
