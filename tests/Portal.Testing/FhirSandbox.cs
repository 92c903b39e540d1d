using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Precision.Portal.Testing;

public sealed class FhirSandboxOptions
{
    /// <summary>Require <c>Authorization: Bearer</c> with this token (or one issued by <c>/auth/token</c>) on FHIR requests.</summary>
    public string? RequireToken { get; set; }

    /// <summary>With <see cref="ClientSecret"/>: enables the client-credentials token endpoint and the bearer check.</summary>
    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    /// <summary>Lifetime of tokens issued by <c>/auth/token</c>; the sandbox's default is 300 s.</summary>
    public TimeSpan? TokenLifetime { get; set; }

    /// <summary>Public FHIR base for links and fullUrls; by default the sandbox uses X-Forwarded-* or the Host header.</summary>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary><c>_count</c> for searches that give none (sandbox default 20).</summary>
    public int? PageSize { get; set; }

    /// <summary>Log every request to the captured output.</summary>
    public bool Verbose { get; set; }

    /// <summary>How long to wait for the sandbox to answer <c>/metadata</c> (packages already installed).</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Further command-line arguments for <c>server.mjs</c>.</summary>
    public IList<string> ExtraArguments { get; } = [];
}

/// <summary>
/// The real FHIR R4 test server (<c>infra/fhir-sandbox</c>: Medplum's fhir-router with an in-memory repository) as a
/// child process on a free loopback port. Installs its npm packages once per machine if they are missing, waits until
/// <c>/metadata</c> answers, and stops the process by its id on dispose.
/// </summary>
public sealed partial class FhirSandbox : IAsyncDisposable
{
    private static readonly SemaphoreSlim InstallLock = new(1, 1);
    private static readonly ConcurrentDictionary<int, Process> Running = new();
    private static bool _installed;

    private readonly Process _process;
    private readonly StringBuilder _output;
    private readonly HttpClient _http;
    private int _stopped;

    static FhirSandbox()
    {
        // A test run that ends without disposing its sandboxes must not leave node processes behind.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var process in Running.Values)
            {
                TryKill(process);
            }
        };
    }

    private FhirSandbox(Process process, StringBuilder output, Uri baseUrl, int resourceCount, string? bearerToken)
    {
        _process = process;
        _output = output;
        BaseUrl = baseUrl;
        LoadedResourceCount = resourceCount;
        ProcessId = process.Id;
#pragma warning disable CA2000 // the client owns its handler
        _http = new HttpClient(new SocketsHttpHandler { UseCookies = false }, disposeHandler: true) { Timeout = TimeSpan.FromMinutes(5) };
#pragma warning restore CA2000
        if (bearerToken is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
        }
    }

    /// <summary>The FHIR base, with a trailing slash (<c>http://127.0.0.1:PORT/fhir/</c>), so relative URIs resolve under it.</summary>
    public Uri BaseUrl { get; }

    /// <summary>The token endpoint (<c>http://127.0.0.1:PORT/auth/token</c>); it answers when a client id was configured.</summary>
    public Uri TokenEndpoint => new(BaseUrl, "../auth/token");

    public int ProcessId { get; }

    /// <summary>Resources in the store when it became ready (what <c>--load</c> loaded).</summary>
    public int LoadedResourceCount { get; }

    /// <summary>From process start to <c>/metadata</c> answering.</summary>
    public TimeSpan StartupTime { get; private set; }

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the sandbox wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary><c>infra/fhir-sandbox</c> in this repository.</summary>
    public static string SandboxDirectory => Path.Combine(RepositoryRoot.Path, "infra", "fhir-sandbox");

    /// <summary>The hand-written test bundle's directory, for <see cref="StartAsync"/>.</summary>
    public static string TestDataDirectory => Path.Combine(SandboxDirectory, "test-data");

    public static async Task<FhirSandbox> StartAsync(string? loadDirectory = null, FhirSandboxOptions? options = null)
    {
        options ??= new FhirSandboxOptions();
        if (loadDirectory is not null && !Directory.Exists(loadDirectory))
        {
            throw new DirectoryNotFoundException($"FHIR sandbox data directory not found: {loadDirectory}");
        }

        await EnsureInstalledAsync();
        var directory = SandboxDirectory;
        var startInfo = new ProcessStartInfo(NodePath(directory))
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        startInfo.ArgumentList.Add(Path.Combine(directory, "server.mjs"));
        AddArguments(startInfo.ArgumentList, loadDirectory, options);

        var output = new StringBuilder();
        var ready = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(string? line, bool isError)
        {
            if (line is null)
            {
                return;
            }

            lock (output)
            {
                output.Append(isError ? "[stderr] " : string.Empty).AppendLine(line);
            }

            var match = ReadyLine().Match(line);
            if (match.Success)
            {
                ready.TrySetResult(match);
            }
        }

        var clock = Stopwatch.StartNew();
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => OnLine(e.Data, isError: false);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data, isError: true);
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("exited"));
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {startInfo.FileName}.");
        }

        Running[process.Id] = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        FhirSandbox? sandbox = null;
        try
        {
            Match match;
            try
            {
                match = await ready.Task.WaitAsync(options.StartTimeout);
            }
            catch (InvalidOperationException)
            {
                await process.WaitForExitAsync(); // flushes the output readers
                throw new InvalidOperationException(
                    $"The FHIR sandbox exited with code {process.ExitCode} before it was ready. Output:\n{Captured(output)}");
            }
            catch (TimeoutException)
            {
                throw new TimeoutException(
                    $"The FHIR sandbox did not print its ready line within {options.StartTimeout.TotalSeconds:0} s. Output:\n{Captured(output)}");
            }

            var baseUrl = new Uri(match.Groups["base"].Value.TrimEnd('/') + "/");
            var count = int.TryParse(match.Groups["count"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1;
            sandbox = new FhirSandbox(process, output, baseUrl, count, options.RequireToken);
            await sandbox.WaitForMetadataAsync(options.StartTimeout - clock.Elapsed);
            sandbox.StartupTime = clock.Elapsed;
            return sandbox;
        }
        catch
        {
            sandbox?._http.Dispose();
            TryKill(process);
            Running.TryRemove(process.Id, out _);
            process.Dispose();
            throw;
        }
    }

    /// <summary>POSTs a transaction (or batch) bundle to the base and throws unless it and every entry succeeded.</summary>
    public async Task LoadBundleAsync(string bundleJson)
    {
        ArgumentNullException.ThrowIfNull(bundleJson);
        using var content = new StringContent(bundleJson, Encoding.UTF8, "application/fhir+json");
        using var response = await _http.PostAsync(BaseUrl, content);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"The FHIR sandbox refused the bundle ({(int)response.StatusCode}): {body}");
        }

        using var result = JsonDocument.Parse(body);
        if (result.RootElement.TryGetProperty("entry", out var entries))
        {
            foreach (var entry in entries.EnumerateArray())
            {
                var status = entry.TryGetProperty("response", out var r) && r.TryGetProperty("status", out var s) ? s.GetString() : null;
                if (status is null || !status.StartsWith('2'))
                {
                    throw new InvalidOperationException($"A bundle entry failed ({status ?? "no status"}): {entry}");
                }
            }
        }
    }

    /// <summary>A client for the sandbox: base address <see cref="BaseUrl"/>, accepts FHIR JSON, sends the bearer token if one is required.</summary>
    public HttpClient CreateClient()
    {
        var client = new HttpClient { BaseAddress = BaseUrl };
        client.DefaultRequestHeaders.Accept.ParseAdd("application/fhir+json");
        client.DefaultRequestHeaders.Authorization = _http.DefaultRequestHeaders.Authorization;
        return client;
    }

    /// <summary>Stops the process by its id: SIGTERM (graceful), then kill after 5 s.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                if (!OperatingSystem.IsWindows())
                {
                    await SignalTerminateAsync(ProcessId);
                }

                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await _process.WaitForExitAsync(grace.Token);
                }
                catch (OperationCanceledException)
                {
                    TryKill(_process);
                    await _process.WaitForExitAsync();
                }
            }
        }
        finally
        {
            Running.TryRemove(ProcessId, out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _http.Dispose();
        _process.Dispose();
    }

    /// <summary>Runs <c>npm ci</c> in <c>infra/fhir-sandbox</c> once per process if its packages are missing.</summary>
    public static async Task EnsureInstalledAsync()
    {
        if (Volatile.Read(ref _installed))
        {
            return;
        }

        await InstallLock.WaitAsync();
        try
        {
            var directory = SandboxDirectory;
            if (!_installed && !IsInstalled(directory))
            {
                await RunNpmCiAsync(directory);
                if (!IsInstalled(directory))
                {
                    throw new InvalidOperationException($"npm ci in {directory} finished but {NodePath(directory)} or @medplum/fhir-router is missing.");
                }
            }

            Volatile.Write(ref _installed, true);
        }
        finally
        {
            InstallLock.Release();
        }
    }

    private async Task WaitForMetadataAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        var metadata = new Uri(BaseUrl, "metadata");
        string last = "no answer";
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                break;
            }

            try
            {
                using var response = await _http.GetAsync(metadata);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                last = $"HTTP {(int)response.StatusCode}";
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The FHIR sandbox at {metadata} did not answer /metadata ({last}). Output:\n{Output}");
    }

    private static void AddArguments(System.Collections.ObjectModel.Collection<string> args, string? loadDirectory, FhirSandboxOptions options)
    {
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                args.Add(name);
                args.Add(value);
            }
        }

        Add("--host", "127.0.0.1");
        Add("--port", "0"); // the sandbox picks a free port and prints it in its ready line: no race for the port
        Add("--load", loadDirectory is null ? null : Path.GetFullPath(loadDirectory));
        Add("--require-token", options.RequireToken);
        Add("--client-id", options.ClientId);
        Add("--client-secret", options.ClientSecret);
        Add("--token-lifetime", options.TokenLifetime is { } lifetime ? ((int)Math.Ceiling(lifetime.TotalSeconds)).ToString(CultureInfo.InvariantCulture) : null);
        Add("--base-url", options.PublicBaseUrl?.ToString().TrimEnd('/'));
        Add("--page-size", options.PageSize?.ToString(CultureInfo.InvariantCulture));
        if (options.Verbose)
        {
            args.Add("--verbose");
        }

        foreach (var extra in options.ExtraArguments)
        {
            args.Add(extra);
        }
    }

    private static string NodePath(string directory) =>
        Path.Combine(directory, "node_modules", "node", "bin", OperatingSystem.IsWindows() ? "node.exe" : "node");

    private static bool IsInstalled(string directory) =>
        File.Exists(NodePath(directory)) && Directory.Exists(Path.Combine(directory, "node_modules", "@medplum", "fhir-router"));

    private static async Task RunNpmCiAsync(string directory)
    {
        var startInfo = new ProcessStartInfo("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var npm = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start npm.");
        var stdout = npm.StandardOutput.ReadToEndAsync();
        var stderr = npm.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try
        {
            await npm.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            TryKill(npm);
            throw new TimeoutException($"npm ci in {directory} took over 10 minutes.");
        }

        if (npm.ExitCode != 0)
        {
            throw new InvalidOperationException($"npm ci in {directory} failed with exit code {npm.ExitCode}:\n{await stdout}\n{await stderr}");
        }
    }

    /// <summary>SIGTERM through kill(1), so the sandbox stops gracefully; without kill(1) the caller's hard kill follows.</summary>
    private static async Task SignalTerminateAsync(int processId)
    {
        try
        {
            using var term = Process.Start(new ProcessStartInfo("kill", ["-TERM", processId.ToString(CultureInfo.InvariantCulture)])
            {
                UseShellExecute = false,
                RedirectStandardError = true,
            });
            if (term is not null)
            {
                await term.WaitForExitAsync();
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No kill(1) on this machine.
        }
    }

    private static void TryKill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }
    }

    private static string Captured(StringBuilder output)
    {
        lock (output)
        {
            return output.Length == 0 ? "(nothing)" : output.ToString();
        }
    }

    [GeneratedRegex(@"FHIR sandbox ready on (?<base>\S+) with (?<count>\d+|unknown) resources")]
    private static partial Regex ReadyLine();
}

/// <summary>The repository's root: the directory above the test binaries that holds <c>Precision.Portal.sln</c>.</summary>
public static class RepositoryRoot
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(System.IO.Path.Combine(directory.FullName, "Precision.Portal.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName
            ?? throw new InvalidOperationException($"No Precision.Portal.sln above {AppContext.BaseDirectory}.");
    });

    public static string Path => Root.Value;
}
