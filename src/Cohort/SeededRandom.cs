namespace Precision.Cohort;

/// <summary>
/// A small deterministic random generator (xoshiro256**, seeded through SplitMix64). The same seed and stream give the
/// same sequence on every platform and .NET version, unlike <see cref="System.Random"/>, whose algorithm may change.
/// Each patient draws from its own stream (seed, patient index), so patient 17 is the same whatever the cohort size.
/// </summary>
public sealed class SeededRandom
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;
    private double? _spareNormal;

    public SeededRandom(long seed, long stream = 0)
    {
        var x = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)stream * 0xD1B54A32D192ED03UL ^ 0x2545F4914F6CDD1DUL);
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    public ulong NextUInt64()
    {
        var result = RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [minInclusive, maxExclusive).</summary>
    public int Next(int minInclusive, int maxExclusive)
    {
        if (maxExclusive <= minInclusive)
        {
            return minInclusive;
        }

        var range = (ulong)((long)maxExclusive - minInclusive);
        return (int)(minInclusive + (long)(NextUInt64() % range));
    }

    public double Uniform(double min, double max) => min + (max - min) * NextDouble();

    public bool Chance(double probability) => NextDouble() < probability;

    /// <summary>Standard normal (Marsaglia polar method).</summary>
    public double Normal()
    {
        if (_spareNormal is { } spare)
        {
            _spareNormal = null;
            return spare;
        }

        double u, v, s;
        do
        {
            u = 2 * NextDouble() - 1;
            v = 2 * NextDouble() - 1;
            s = u * u + v * v;
        }
        while (s >= 1 || s == 0);

        var factor = Math.Sqrt(-2 * Math.Log(s) / s);
        _spareNormal = v * factor;
        return u * factor;
    }

    public double Normal(double mean, double sd) => mean + sd * Normal();

    public double LogNormal(double median, double sigma) => median * Math.Exp(sigma * Normal());

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(0, items.Count)];

    /// <summary>Picks by weight; weights need not sum to 1.</summary>
    public T Pick<T>(IReadOnlyList<(T Item, double Weight)> items)
    {
        var total = 0.0;
        foreach (var (_, w) in items)
        {
            total += w;
        }

        var r = NextDouble() * total;
        foreach (var (item, w) in items)
        {
            if (r < w)
            {
                return item;
            }

            r -= w;
        }

        return items[^1].Item;
    }

    private static ulong SplitMix(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        var z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
