namespace Precision.Inference.Explanations;

public enum ShapleyMethod
{
    /// <summary>Every one of the 2^k coalitions evaluated: the values are exact for the reference sample.</summary>
    Exact,

    /// <summary>Random permutations with antithetic pairs; each value has a standard error.</summary>
    PermutationSampling,
}

/// <summary>One player's Shapley value for one therapy, on the model's output scale (probability for the efficacy model).</summary>
/// <param name="Player">Index into <see cref="ShapleyExplanation.Players"/>.</param>
/// <param name="StandardError">Standard error of the sampled value; null when exact.</param>
public sealed record PlayerContribution(int Player, double Value, double? StandardError);

/// <summary>
/// The explanation of one therapy's prediction: baseline (mean prediction over the reference sample) plus the players'
/// contributions equals the prediction for this patient.
/// </summary>
public sealed record TherapyExplanation(
    string TherapyId,
    double Baseline,
    double Prediction,
    IReadOnlyList<PlayerContribution> Contributions)
{
    /// <summary>Sum of the contributions; equals <see cref="Prediction"/> − <see cref="Baseline"/> (efficiency).</summary>
    public double ContributionSum => Contributions.Sum(c => c.Value);
}

/// <summary>
/// Interventional Shapley values of one patient's prediction for each therapy explained. Players are the facts
/// present for the patient (plus one residual player for everything else); absent players take the values of each
/// row of a fixed reference sample from the training data, and the value of a coalition is the mean prediction over
/// those rows.
/// </summary>
public sealed record ShapleyExplanation(
    string PatientId,
    DateOnly AsOf,
    IReadOnlyList<ExplanationPlayer> Players,
    IReadOnlyList<TherapyExplanation> Therapies,
    ShapleyMethod Method,
    string MethodDescription,
    int Coalitions,
    int? Permutations,
    string ReferenceDescription,
    int ReferenceSize,
    long RowsScored,
    TimeSpan Elapsed,
    IReadOnlyList<ExplanationNote> Notes)
{
    /// <summary>One sentence for the UI and the audit record: method, reference sample and its size.</summary>
    public string Summary =>
        $"Shapley values, {MethodDescription}; interventional, against a fixed reference sample of {ReferenceSize} patients ({ReferenceDescription}); "
        + $"contributions sum to prediction − baseline.";
}

/// <summary>Why an explanation could not be given, in words for the clinician; the source names the record entry when one is at fault.</summary>
public sealed record ExplanationProblem(string Message, Clinical.SourceReference? Source);

/// <summary>The answer to an explanation request: an explanation, or the problems that prevent one. Never an exception for a bad record.</summary>
public sealed record ExplanationResult(ShapleyExplanation? Explanation, IReadOnlyList<ExplanationProblem> Problems)
{
    public bool Succeeded => Explanation is not null;

    public static ExplanationResult Success(ShapleyExplanation explanation) => new(explanation, []);

    public static ExplanationResult Failure(params ExplanationProblem[] problems) => new(null, problems);
}
