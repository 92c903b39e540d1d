namespace Precision.Inference.Explanations;

/// <summary>
/// Raw result of <see cref="ShapleyEngine.Compute"/>: per explained therapy, the baseline v(∅), the prediction v(N) and
/// one value (and, when sampled, a standard error) per player.
/// </summary>
public sealed class ShapleyValues
{
    private readonly double[] _baseline;
    private readonly double[] _prediction;
    private readonly double[] _values;
    private readonly double[]? _standardErrors;

    internal ShapleyValues(
        ShapleyMethod method, int players, IReadOnlyList<int> therapies, double[] baseline, double[] prediction, double[] values,
        double[]? standardErrors, int coalitions, int? permutations, long rowsScored, TimeSpan elapsed)
    {
        Method = method;
        PlayerCount = players;
        Therapies = therapies;
        _baseline = baseline;
        _prediction = prediction;
        _values = values;
        _standardErrors = standardErrors;
        Coalitions = coalitions;
        Permutations = permutations;
        RowsScored = rowsScored;
        Elapsed = elapsed;
    }

    public ShapleyMethod Method { get; }

    public int PlayerCount { get; }

    /// <summary>Therapy indices (positions in the schema's therapy list), in the order the values are given.</summary>
    public IReadOnlyList<int> Therapies { get; }

    /// <summary>Distinct coalitions whose value was computed (2^k when exact).</summary>
    public int Coalitions { get; }

    /// <summary>Permutations drawn (sampling only).</summary>
    public int? Permutations { get; }

    /// <summary>Model rows scored, after skipping identical rows.</summary>
    public long RowsScored { get; }

    public TimeSpan Elapsed { get; }

    /// <summary>Mean model output over the reference sample, for the <paramref name="therapy"/>-th explained therapy.</summary>
    public double Baseline(int therapy) => _baseline[therapy];

    /// <summary>Model output for the patient.</summary>
    public double Prediction(int therapy) => _prediction[therapy];

    public double Value(int therapy, int player) => _values[Index(therapy, player)];

    /// <summary>Standard error of a sampled value; null when exact.</summary>
    public double? StandardError(int therapy, int player) => _standardErrors?[Index(therapy, player)];

    private int Index(int therapy, int player)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(player);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(player, PlayerCount);
        return (therapy * PlayerCount) + player;
    }
}
