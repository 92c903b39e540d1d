using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Precision.Portal.Client.Audit;
using Precision.Portal.Server.Authentication;
using Precision.Portal.Testing;

namespace Precision.Portal.Server.Tests.Hosting;

public sealed class ResilienceTests
{
    [Fact]
    public async Task Identity_provider_down_at_start_is_reported_by_ready_and_the_portal_recovers_when_it_returns()
    {
        await using var host = await PortalTestHost.StartAsync(new PortalTestHostOptions { StartIdentityProvider = false });
        using var client = host.CreateClient(followRedirects: false);

        using (var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            var body = await ready.Content.ReadAsStringAsync();
            Assert.Contains("did not answer", body, StringComparison.Ordinal);
            Assert.Contains(host.IdentityProviderUrl.ToString(), body, StringComparison.Ordinal);
        }

        using (var page = await client.GetAsync(new Uri("/patients", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, page.StatusCode);
            Assert.Contains("Sign-in is unavailable", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await host.StartIdentityProviderAsync();

        // The provider's first discovery can take seconds on a busy machine: recovery is eventual, within a bound.
        var (status, text) = (HttpStatusCode.ServiceUnavailable, string.Empty);
        for (var attempt = 0; attempt < 10 && status != HttpStatusCode.OK; attempt++)
        {
            using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
            (status, text) = (ready.StatusCode, await ready.Content.ReadAsStringAsync());
            if (status != HttpStatusCode.OK)
            {
                await Task.Delay(1000);
            }
        }

        Assert.True(status == HttpStatusCode.OK, text);

        using var signedIn = await host.SignInAsync("clinician", "clinician-demo");
        using var patients = await signedIn.GetAsync(new Uri("/patients", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, patients.StatusCode);
        Assert.Equal("/patients", patients.RequestMessage!.RequestUri!.AbsolutePath);
    }

    [Fact]
    public async Task Audit_database_locked_by_another_process_refuses_sign_in_with_a_clear_message_and_recovers()
    {
        var options = new PortalTestHostOptions();
        options.Settings["Audit:BusyTimeout"] = "00:00:00.300";
        await using var host = await PortalTestHost.StartAsync(options);
        using (var warmUp = await host.SignInAsync("compliance", "compliance-demo"))
        {
            // The store exists and has its schema before another process takes the lock.
        }

        await using (await host.LockAuditDatabaseAsync())
        {
            using var client = host.CreateClient(followRedirects: false);
            using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains("audit", await ready.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);

            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => host.SignInAsync("clinician", "clinician-demo"));
            Assert.Contains("audit trail could not record it", refused.Message, StringComparison.Ordinal);
        }

        using var recovered = await host.SignInAsync("clinician", "clinician-demo");
        var audit = host.Services.GetRequiredService<IAuditReader>();
        Assert.True((await audit.VerifyChainAsync()).IsValid);
    }

    [Fact]
    public async Task Outside_development_without_an_authority_the_portal_refuses_to_start_and_says_what_to_set()
    {
        var options = new PortalTestHostOptions { Environment = "Production", StartIdentityProvider = false };
        options.Settings["Oidc:Authority"] = string.Empty;
        var error = await Assert.ThrowsAnyAsync<Exception>(() => PortalTestHost.StartAsync(options));
        var configuration = FindInner<PortalConfigurationException>(error);
        Assert.NotNull(configuration);
        Assert.Contains("Oidc:Authority is not configured", configuration.Message, StringComparison.Ordinal);
        Assert.Contains("ASPNETCORE_ENVIRONMENT=Development", configuration.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://idp.example.org/")]
    [InlineData("http://idp.example.org/")]
    public async Task Invalid_authority_is_refused_at_start(string authority)
    {
        var options = new PortalTestHostOptions { StartIdentityProvider = false };
        options.Settings["Oidc:Authority"] = authority;
        var error = await Assert.ThrowsAnyAsync<Exception>(() => PortalTestHost.StartAsync(options));
        var configuration = FindInner<PortalConfigurationException>(error);
        Assert.NotNull(configuration);
        Assert.Contains("Oidc:Authority", configuration.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Fhir:BaseUrl", "fhir/relative", "must be an absolute http(s) URL")]
    [InlineData("Fhir:BaseUrl", "ftp://fhir.example.org/", "must be an absolute http(s) URL")]
    [InlineData("Fhir:AttemptTimeout", "not-a-timespan", "The Fhir settings could not be read")]
    [InlineData("Fhir:MaxRetries", "99", "Fhir:MaxRetries must be between 0 and 10")]
    [InlineData("Fhir:MaxResponseBytes", "1000", "Fhir:MaxResponseBytes must be between 65536 (64 KiB) and 1073741824 (1 GiB)")]
    [InlineData("Fhir:MaxResourcesPerPatient", "0", "Fhir:MaxResourcesPerPatient must be between 100 and 1000000")]
    [InlineData("Fhir:MaxPatientsScanned", "100001", "Fhir:MaxPatientsScanned must be between 100 and 100000")]
    [InlineData("Fhir:TokenEndpoint", "https://auth.example.org/token", "Fhir:ClientId and Fhir:ClientSecret are required")]
    [InlineData("DemoCohort:PatientCount", "0", "DemoCohort:PatientCount must be between 1 and 100000")]
    public async Task Invalid_patient_record_settings_are_refused_at_start_naming_the_setting(string key, string value, string message)
    {
        var options = new PortalTestHostOptions { StartIdentityProvider = false };
        options.Settings[key] = value;
        var error = await Assert.ThrowsAnyAsync<Exception>(() => PortalTestHost.StartAsync(options));
        var configuration = FindInner<PortalConfigurationException>(error);
        Assert.NotNull(configuration);
        Assert.Contains(message, configuration.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pages_and_health_carry_security_headers()
    {
        await using var host = await PortalTestHost.StartAsync();
        using var client = await host.SignInAsync("admin", "admin-demo");
        foreach (var path in new[] { "/administration", "/health/ready" })
        {
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            var csp = string.Join(' ', response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
            Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
            Assert.NotEmpty(response.Headers.GetValues(Server.Hosting.ObservabilityExtensions.CorrelationHeader));
        }
    }

    private static T? FindInner<T>(Exception? error)
        where T : Exception
    {
        while (error is not null)
        {
            if (error is T found)
            {
                return found;
            }

            error = error is AggregateException { InnerExceptions.Count: > 0 } aggregate ? aggregate.InnerExceptions[0] : error.InnerException;
        }

        return null;
    }
}
