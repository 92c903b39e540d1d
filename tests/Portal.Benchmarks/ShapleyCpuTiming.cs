using System.Diagnostics;
using System.Globalization;
using Precision.Inference.Explanations;

namespace Precision.Portal.Benchmarks;

/// <summary>
/// <c>shapley-cpu [runs]</c>: exact Shapley for all therapies at k = 8…14 on one thread, timed by the thread's own CPU
/// time as well as by the wall clock. On a shared machine the wall clock measures the other processes too; the CPU time
/// of a single-threaded computation is what it costs (it still includes cache and frequency effects of the neighbours).
/// Also splits the separable path into its stages: the halves' tables, and everything (tables + prior + combine + Shapley).
/// </summary>
public static class ShapleyCpuTiming
{
    public static int Run(int runs)
    {
        using var setup = new ShapleySetup();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"model {setup.Version}; machine: {Environment.ProcessorCount} cores; load average {File.ReadAllText("/proc/loadavg").Trim()}"));
        Console.WriteLine("k | distinct rows | separable, 1 thread: CPU p50 / wall p50 | runtime rows, 1 thread: CPU p50 / wall p50");
        foreach (var k in new[] { 8, 10, 12, 14 })
        {
            var (patient, players) = setup.PatientWithPlayers(k);
            var separable = new ShapleyEngine(setup.Scorer, setup.Reference, new ShapleyOptions { MaxDegreeOfParallelism = 1 }, setup.Separable);
            var rows = new ShapleyEngine(setup.Scorer, setup.Reference);
            var (separableCpu, separableWall) = Measure(() => separable.Compute(patient, players, setup.Therapies), runs);
            var (rowsCpu, rowsWall) = k <= 12 ? Measure(() => rows.Compute(patient, players, setup.Therapies), Math.Max(1, runs / 3)) : (double.NaN, double.NaN);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{k} | {rows.ExactRowCount(patient, players, setup.Therapies.Length):N0} | {separableCpu:F1} ms / {separableWall:F1} ms | {rowsCpu:F1} ms / {rowsWall:F1} ms"));
        }

        return 0;
    }

    private static (double CpuMilliseconds, double WallMilliseconds) Measure(Action action, int runs)
    {
        action();
        var cpu = new List<double>();
        var wall = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var thread = ThreadCpu();
            var clock = Stopwatch.StartNew();
            action();
            wall.Add(clock.Elapsed.TotalMilliseconds);
            cpu.Add((ThreadCpu() - thread).TotalMilliseconds);
        }

        return (Median(cpu), Median(wall));
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    /// <summary>CPU time of the calling thread (Linux: /proc/thread-self/stat utime + stime, in clock ticks of 10 ms).</summary>
    private static TimeSpan ThreadCpu()
    {
        var fields = File.ReadAllText("/proc/thread-self/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromMilliseconds(ticks * 10);
    }
}
