using System.Globalization;
using BenchmarkDotNet.Running;
using Precision.Portal.Benchmarks;

if (args is ["page-timing", ..])
{
    return await PredictionPageTiming.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20);
}

if (args is ["shapley-cpu", ..])
{
    return ShapleyCpuTiming.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 9);
}

// Portal.Server also has a public Program (for WebApplicationFactory), so name the assembly by a benchmark type.
BenchmarkSwitcher.FromAssembly(typeof(AuditAppendBenchmarks).Assembly).Run(args);
return 0;
