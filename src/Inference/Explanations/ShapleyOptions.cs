namespace Precision.Inference.Explanations;

/// <summary>How an explanation's coalition rows were scored.</summary>
public enum ShapleyEvaluation
{
    /// <summary>Every distinct input row through the model runtime.</summary>
    ModelRows,

    /// <summary>Each distinct clinical and genomic half once, combined per row (<see cref="SeparableEnsemble"/>).</summary>
    Separable,
}

/// <summary>How Shapley values are computed. The defaults are what the portal uses; tests and benchmarks vary them.</summary>
public sealed record ShapleyOptions
{
    /// <summary>Hard ceiling for <see cref="MaxExactPlayers"/>: 2^20 coalitions is already a million model rows per reference row and therapy.</summary>
    public const int ExactPlayerCeiling = 20;

    /// <summary>Up to this many players, exact Shapley over all 2^k coalitions; above it, permutation sampling.</summary>
    public int MaxExactPlayers { get; init; } = 14;

    /// <summary>
    /// Reference rows used: the first this many of the sample (all when it has fewer). Cost grows linearly with it (exact:
    /// up to 2^k × rows × therapies model rows); the baseline's sampling error shrinks with its square root.
    /// </summary>
    public int ReferenceSize { get; init; } = 32;

    /// <summary>Permutations drawn when sampling (an even number: each is paired with its reverse, antithetic sampling).</summary>
    public int Permutations { get; init; } = 128;

    /// <summary>Seed of the permutation sampler: the same patient and options give the same values.</summary>
    public int Seed { get; init; } = 20261129;

    /// <summary>Rows handed to one <see cref="Runtime.IBatchScorer.Score"/> call (rounded down to a multiple of the therapies explained).</summary>
    public int MaxRowsPerRun { get; init; } = 4_096;

    /// <summary>
    /// Score each distinct input row once. A reference row that already agrees with the patient on a player's features
    /// gives the same model input whether that player is in the coalition or not, so only the subsets of the players
    /// on which they differ are scored. Exact: the values are identical to scoring every row. Off only to measure the cost.
    /// </summary>
    public bool SkipIdenticalRows { get; init; } = true;

    /// <summary>Threads scoring reference rows in parallel on the separable path (−1: as many as the thread pool gives).</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(MaxExactPlayers);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxExactPlayers, ExactPlayerCeiling);
        ArgumentOutOfRangeException.ThrowIfLessThan(Permutations, 2);
        if (Permutations % 2 != 0)
        {
            throw new ArgumentException($"Permutations must be even (antithetic pairs); got {Permutations}.", nameof(Permutations));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRowsPerRun, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ReferenceSize, 1);
        if (MaxDegreeOfParallelism is 0 or < -1)
        {
            throw new ArgumentException($"MaxDegreeOfParallelism must be −1 or at least 1; got {MaxDegreeOfParallelism}.", nameof(MaxDegreeOfParallelism));
        }
    }
}
