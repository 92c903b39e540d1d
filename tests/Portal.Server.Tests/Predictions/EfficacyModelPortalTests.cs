using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Precision.Inference.Runtime;
using Precision.Portal.Client.Predictions;
using Precision.Portal.Server.Authentication;
using Precision.Portal.Testing;

namespace Precision.Portal.Server.Tests.Predictions;

/// <summary>The portal with the real committed model on the real ONNX Runtime (CPU on this machine).</summary>
public sealed class EfficacyModelPortalTests
{
    [Fact]
    public async Task With_the_committed_model_the_model_check_reports_the_model_version_and_provider_and_the_footer_facts_match()
    {
        await using var host = await PortalTestHost.StartAsync();
        using var client = host.CreateClient(followRedirects: false);

        using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        var text = await ready.Content.ReadAsStringAsync();
        using var body = JsonDocument.Parse(text);

        // Only the model's check is asserted: the others (identity provider discovery) have their own tests and can be
        // slow on a loaded machine.
        var model = body.RootElement.GetProperty("checks").GetProperty("model");
        Assert.True(model.GetProperty("status").GetString() == "Healthy", text);
        Assert.Matches(@"^Model \d+\.\d+\.\d+ \(ONNX sha256 [0-9a-f]{12}…\) serving on (CPU|CUDA \(device 0\)); loaded in \d+ ms\.$", model.GetProperty("description").GetString());
        var version = model.GetProperty("data").GetProperty("version").GetString();
        var provider = model.GetProperty("data").GetProperty("executionProvider").GetString();
        var status = host.Services.GetRequiredService<IEfficacyModelStatus>().Current;
        Assert.Equal($"Model {version} · {status.ExecutionProvider}", status.FooterText);
        Assert.StartsWith(status.ExecutionProvider!, provider, StringComparison.Ordinal);
        if (status.ExecutionProvider == ExecutionProviderInfo.Cpu)
        {
            // This machine has no CUDA libraries: Auto (the default) fell back and said why.
            Assert.Contains("CUDA execution provider is unavailable", host.Logs.AllText, StringComparison.Ordinal);
            Assert.NotNull(status.FallbackReason);
        }

        var service = host.Services.GetRequiredService<EfficacyModelService>();
        Assert.NotNull(service.Predictor);
    }

    [Fact]
    public async Task With_a_damaged_model_the_portal_runs_but_is_not_ready_and_says_which_file_differs()
    {
        var directory = Path.Combine(Path.GetTempPath(), "precision-portal-models", Guid.NewGuid().ToString("N"));
        var version = Path.Combine(directory, "1.0.0");
        Directory.CreateDirectory(version);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepositoryRoot.Path, "models", "efficacy", "1.0.0")))
        {
            File.Copy(file, Path.Combine(version, Path.GetFileName(file)));
        }

        var onnx = Path.Combine(version, "model.onnx");
        var bytes = await File.ReadAllBytesAsync(onnx);
        bytes[4096] ^= 0x10;
        await File.WriteAllBytesAsync(onnx, bytes);
        try
        {
            var options = new PortalTestHostOptions();
            options.Settings["Model:Directory"] = directory;
            options.Settings["Model:ExecutionProvider"] = "Cpu";
            await using var host = await PortalTestHost.StartAsync(options);
            using var client = host.CreateClient(followRedirects: false);

            using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
            using var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());

            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            var model = body.RootElement.GetProperty("checks").GetProperty("model");
            Assert.Equal("Unhealthy", model.GetProperty("status").GetString());
            var description = model.GetProperty("description").GetString();
            Assert.Contains(onnx + ": SHA-256 is", description, StringComparison.Ordinal);
            Assert.Contains("expects 3900a5e7ff3bf6bb640858d90554954d5e87d257112bb61c4261b6b6c5c811db", description, StringComparison.Ordinal);
            Assert.Equal("Healthy", body.RootElement.GetProperty("checks").GetProperty("audit-store").GetProperty("status").GetString());
            Assert.Equal("Model unavailable", host.Services.GetRequiredService<IEfficacyModelStatus>().Current.FooterText);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("Model:ExecutionProvider", "Gpu", "Model:ExecutionProvider is 'Gpu'; it must be Auto (CUDA when available, else CPU), Cuda or Cpu.")]
    [InlineData("Model:IntraOpThreads", "0", "Model:IntraOpThreads must be between 1 and 256 (it is 0).")]
    [InlineData("Model:DeviceId", "-1", "Model:DeviceId must be a CUDA device ordinal")]
    [InlineData("Model:Version", "latest", "Model:Version 'latest' is not a version (MAJOR.MINOR.PATCH")]
    [InlineData("Model:Version", "9.9.9", "Model:Version is 9.9.9, but")]
    [InlineData("Model:Directory", "/nonexistent/models", "Model:Directory '/nonexistent/models' does not exist")]
    [InlineData("Model:BatchSize", "many", "The Model settings could not be read")]
    public async Task Invalid_model_settings_stop_the_portal_naming_the_setting(string key, string value, string message)
    {
        var options = new PortalTestHostOptions { StartIdentityProvider = false };
        options.Settings[key] = value;

        var error = await Assert.ThrowsAnyAsync<Exception>(() => PortalTestHost.StartAsync(options));

        var configuration = FindInner<PortalConfigurationException>(error);
        Assert.NotNull(configuration);
        Assert.Contains(message, configuration.Message, StringComparison.Ordinal);
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

            error = error.InnerException;
        }

        return null;
    }
}
