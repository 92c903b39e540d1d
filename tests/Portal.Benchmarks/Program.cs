using BenchmarkDotNet.Running;
using Precision.Portal.Benchmarks;

// Portal.Server also has a public Program (for WebApplicationFactory), so name the assembly by a benchmark type.
BenchmarkSwitcher.FromAssembly(typeof(AuditAppendBenchmarks).Assembly).Run(args);
