using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Precision.Clinical.Catalog;
using Precision.Cohort;
using Precision.Fhir;
using Precision.Portal.Server.Patients;
using Precision.Portal.Testing;

namespace Precision.Portal.Benchmarks;

public sealed class PatientRecordBenchmarkConfig : ManualConfig
{
    public PatientRecordBenchmarkConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithStrategy(RunStrategy.Throughput)
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(15));
        AddColumn(StatisticColumn.P50, StatisticColumn.P95);
    }
}

/// <summary>
/// Fetch + map one patient over loopback REST (the real FHIR sandbox, the portal's own client and resilience pipeline)
/// and from ndjson; 100 patients sequentially and in parallel. The cohort is generated (seed 42, 100 patients).
/// </summary>
[Config(typeof(PatientRecordBenchmarkConfig))]
public class PatientRecordBenchmarks
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "precision-patient-bench", Guid.NewGuid().ToString("N"));
    private FhirSandbox _sandbox = null!;
    private ServiceProvider _services = null!;
    private IFhirPatientSource _rest = null!;
    private NdjsonPatientSource _ndjson = null!;
    private PatientProfileMapper _mapper = null!;
    private string[] _patientIds = [];
    private int _next;

    [GlobalSetup]
    public async Task SetUp()
    {
        var catalog = TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault(RepositoryRoot.Path));
        new CohortGenerator(catalog).Generate(new CohortOptions { PatientCount = 100, Seed = 42 }, _directory);
        _sandbox = await FhirSandbox.StartAsync(Path.Combine(_directory, "bundles"));
        _services = new ServiceCollection().AddLogging(l => l.SetMinimumLevel(LogLevel.Warning))
            .AddFhirPatientSource(new FhirSourceOptions { BaseUrl = _sandbox.BaseUrl }, _ => throw new InvalidOperationException())
            .BuildServiceProvider();
        _rest = _services.GetRequiredService<IFhirPatientSource>();
        _ndjson = new NdjsonPatientSource(Path.Combine(_directory, "ndjson"), NullLogger<NdjsonPatientSource>.Instance);
        _mapper = new PatientProfileMapper(new CatalogTherapyResolver(catalog));
        _patientIds = [.. (await _ndjson.SearchAsync(new Clinical.PatientQuery(null, null, 0, 100))).Patients.Select(p => p.PatientId)];
        if (_patientIds.Length != 100)
        {
            throw new InvalidOperationException($"Expected 100 generated patients, found {_patientIds.Length}.");
        }
    }

    [GlobalCleanup]
    public async Task CleanUp()
    {
        await _services.DisposeAsync();
        await _sandbox.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Description = "REST: fetch + map one patient")]
    public async Task<int> RestOnePatient() => await FetchAndMapAsync(_rest, NextId());

    [Benchmark(Description = "ndjson: fetch + map one patient")]
    public async Task<int> NdjsonOnePatient() => await FetchAndMapAsync(_ndjson, NextId());

    [Benchmark(Description = "REST: 100 patients sequentially", OperationsPerInvoke = 100)]
    public async Task<int> RestHundredSequential()
    {
        var facts = 0;
        foreach (var id in _patientIds)
        {
            facts += await FetchAndMapAsync(_rest, id);
        }

        return facts;
    }

    [Benchmark(Description = "REST: 100 patients in parallel", OperationsPerInvoke = 100)]
    public async Task<int> RestHundredParallel() => (await Task.WhenAll(_patientIds.Select(id => FetchAndMapAsync(_rest, id)))).Sum();

    private async Task<int> FetchAndMapAsync(IFhirPatientSource source, string patientId)
    {
        var profile = _mapper.Map(patientId, (await source.ReadAsync(patientId)).Resources);
        return profile.Labs.Count + profile.Variants.Count + profile.TherapyLines.Count;
    }

    private string NextId() => _patientIds[Interlocked.Increment(ref _next) % _patientIds.Length];
}
