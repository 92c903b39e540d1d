namespace Precision.Training.Baselines;

/// <summary>
/// L2-regularised logistic regression fitted by full-batch gradient descent with a fixed step schedule: the plain
/// linear baseline the neural model must beat. Deterministic (weights start at zero, no sampling).
/// </summary>
public sealed class LogisticRegression
{
    private LogisticRegression(double[] weights, double bias)
    {
        Weights = weights;
        Bias = bias;
    }

    public IReadOnlyList<double> Weights { get; }

    public double Bias { get; }

    public static LogisticRegression Fit(IReadOnlyList<float[]> inputs, IReadOnlyList<bool> outcomes, double l2 = 1e-3, int iterations = 400, double learningRate = 0.5)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outcomes);
        if (inputs.Count == 0 || inputs.Count != outcomes.Count)
        {
            throw new ArgumentException($"Logistic regression needs as many outcomes as inputs, and at least one (got {inputs.Count} inputs, {outcomes.Count} outcomes).");
        }

        var width = inputs[0].Length;
        if (inputs.Any(x => x.Length != width))
        {
            throw new ArgumentException("Every input must have the same number of features.");
        }

        var weights = new double[width];
        double bias = 0;
        var gradient = new double[width];
        for (var iteration = 0; iteration < iterations; iteration++)
        {
            Array.Clear(gradient);
            double biasGradient = 0;
            for (var i = 0; i < inputs.Count; i++)
            {
                var error = Sigmoid(Dot(weights, inputs[i]) + bias) - (outcomes[i] ? 1 : 0);
                for (var j = 0; j < width; j++)
                {
                    gradient[j] += error * inputs[i][j];
                }

                biasGradient += error;
            }

            var step = learningRate / Math.Sqrt(1 + (iteration / 50.0));
            for (var j = 0; j < width; j++)
            {
                weights[j] -= step * ((gradient[j] / inputs.Count) + (l2 * weights[j]));
            }

            bias -= step * biasGradient / inputs.Count;
        }

        return new LogisticRegression(weights, bias);
    }

    public double Predict(float[] input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Length != Weights.Count)
        {
            throw new ArgumentException($"Expected {Weights.Count} features, got {input.Length}.", nameof(input));
        }

        return Sigmoid(Dot(Weights, input) + Bias);
    }

    private static double Dot(IReadOnlyList<double> weights, float[] input)
    {
        double sum = 0;
        for (var j = 0; j < input.Length; j++)
        {
            sum += weights[j] * input[j];
        }

        return sum;
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}
