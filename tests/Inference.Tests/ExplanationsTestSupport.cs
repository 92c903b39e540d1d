using Google.Protobuf;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using Precision.Clinical;
using Precision.Clinical.Catalog;
using Precision.Cohort;
using Precision.Fhir;
using Precision.Inference.Explanations;
using Precision.Inference.Features;
using Precision.Inference.Runtime;

namespace Precision.Inference.Tests;

/// <summary>
/// An <see cref="IBatchScorer"/> over a real ONNX Runtime CPU session, for the tests only (the portal's runtime adapter
/// lives in src/Inference/Runtime). Copies the spans into reused buffers and runs one output.
/// </summary>
internal sealed class OrtTestScorer : IBatchScorer, IDisposable
{
    private static readonly string[] InputNames = ["clinical", "genomic", "therapy"];
    private readonly InferenceSession _session;
    private readonly string[] _outputNames;
    private readonly RunOptions _runOptions = new();
    private float[] _clinical = [];
    private float[] _genomic = [];
    private float[] _therapy = [];
    private float[] _output = [];

    public OrtTestScorer(byte[] model, int clinicalWidth, int genomicWidth, int therapyWidth, string output)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        _session = new InferenceSession(model, options);
        _outputNames = [output];
        ClinicalWidth = clinicalWidth;
        GenomicWidth = genomicWidth;
        TherapyWidth = therapyWidth;
    }

    public int ClinicalWidth { get; }

    public int GenomicWidth { get; }

    public int TherapyWidth { get; }

    public long RowsScored { get; private set; }

    public int Calls { get; private set; }

    public void Score(ReadOnlySpan<float> clinical, ReadOnlySpan<float> genomic, ReadOnlySpan<float> therapy, Span<float> output)
    {
        var rows = output.Length;
        if (_output.Length < rows)
        {
            _clinical = new float[rows * ClinicalWidth];
            _genomic = new float[rows * GenomicWidth];
            _therapy = new float[rows * TherapyWidth];
            _output = new float[rows];
        }

        clinical.CopyTo(_clinical);
        genomic.CopyTo(_genomic);
        therapy.CopyTo(_therapy);
        using var c = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _clinical.AsMemory(0, rows * ClinicalWidth), [rows, ClinicalWidth]);
        using var g = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _genomic.AsMemory(0, rows * GenomicWidth), [rows, GenomicWidth]);
        using var t = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _therapy.AsMemory(0, rows * TherapyWidth), [rows, TherapyWidth]);
        using var o = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _output.AsMemory(0, rows), [rows]);
        _session.Run(_runOptions, InputNames, [c, g, t], _outputNames, [o]);
        _output.AsSpan(0, rows).CopyTo(output);
        RowsScored += rows;
        Calls++;
    }

    public void Dispose()
    {
        _runOptions.Dispose();
        _session.Dispose();
    }
}

/// <summary>A plain C# model behind <see cref="IBatchScorer"/>: f(clinical, genomic, therapy index).</summary>
internal sealed class FunctionScorer(int clinicalWidth, int genomicWidth, int therapyWidth, Func<float[], float[], int, float> function) : IBatchScorer
{
    public int ClinicalWidth => clinicalWidth;

    public int GenomicWidth => genomicWidth;

    public int TherapyWidth => therapyWidth;

    public long RowsScored { get; private set; }

    public int Calls { get; private set; }

    public void Score(ReadOnlySpan<float> clinical, ReadOnlySpan<float> genomic, ReadOnlySpan<float> therapy, Span<float> output)
    {
        for (var row = 0; row < output.Length; row++)
        {
            var oneHot = therapy.Slice(row * therapyWidth, therapyWidth);
            Assert.Equal(1f, oneHot.ToArray().Sum());
            output[row] = function(
                clinical.Slice(row * clinicalWidth, clinicalWidth).ToArray(),
                genomic.Slice(row * genomicWidth, genomicWidth).ToArray(),
                oneHot.IndexOf(1f));
        }

        RowsScored += output.Length;
        Calls++;
    }
}

/// <summary>Writes a linear model as an ONNX graph: logit = clinical·w_c + genomic·w_g + therapy·w_t + b, output [N].</summary>
internal static class LinearOnnxModel
{
    public const string Output = "logit";

    public static byte[] Build(float[] clinicalWeights, float[] genomicWeights, float[] therapyWeights, float bias)
    {
        var graph = new GraphProto { Name = "linear-test-model" };
        graph.Input.Add(Value("clinical", clinicalWeights.Length));
        graph.Input.Add(Value("genomic", genomicWeights.Length));
        graph.Input.Add(Value("therapy", therapyWeights.Length));
        foreach (var (input, weights) in new[] { ("clinical", clinicalWeights), ("genomic", genomicWeights), ("therapy", therapyWeights) })
        {
            var tensor = new TensorProto { Name = input + ".w", DataType = 1 };
            tensor.Dims.AddRange([weights.Length, 1]);
            tensor.FloatData.AddRange(weights);
            graph.Initializer.Add(tensor);
            graph.Node.Add(Node("MatMul", [input, input + ".w"], input + ".term"));
        }

        var b = new TensorProto { Name = "bias", DataType = 1 };
        b.Dims.AddRange([1]);
        b.FloatData.Add(bias);
        graph.Initializer.Add(b);
        graph.Node.Add(Node("Add", ["clinical.term", "genomic.term"], "sum1"));
        graph.Node.Add(Node("Add", ["sum1", "therapy.term"], "sum2"));
        graph.Node.Add(Node("Add", ["sum2", "bias"], "sum3"));
        var reduce = Node("ReduceMean", ["sum3"], Output);
        reduce.Attribute.Add(new AttributeProto { Name = "axes", Ints = { 1 }, Type = AttributeProto.Types.AttributeType.Ints });
        reduce.Attribute.Add(new AttributeProto { Name = "keepdims", I = 0, Type = AttributeProto.Types.AttributeType.Int });
        graph.Node.Add(reduce);
        graph.Output.Add(Value(Output, null));
        var model = new ModelProto { IrVersion = 8, ProducerName = "precision-inference-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 17 });
        return model.ToByteArray();
    }

    private static NodeProto Node(string op, IEnumerable<string> inputs, string output)
    {
        var node = new NodeProto { OpType = op, Name = output + "." + op.ToLowerInvariant() };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }

    private static ValueInfoProto Value(string name, int? width)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        if (width is { } w)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = w });
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
    }
}

/// <summary>Shared, expensive state: catalog, featurizer, mapped fixtures, reference patients from the generator, the real model.</summary>
public sealed class ExplanationsFixture
{
    /// <summary>The seed of the cohort model 1.0.0 was trained on, and the split seed its training used.</summary>
    public const long CohortSeed = 42;
    public const long SplitSeed = 20261128;

    public ExplanationsFixture()
    {
        Root = FindRoot();
        Catalog = TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault(Root));
        // The layout of the committed 1.x models these tests explain.
        Featurizer = new PatientFeaturizer(Catalog, FeatureLayout.V1);
        Mapper = new PatientProfileMapper(new CatalogTherapyResolver(Catalog));
        var generator = new CohortGenerator(Catalog);
        var profiles = Enumerable.Range(1, 200).Select(i =>
        {
            // The committed models (1.0.0, 1.1.0) and their reference populations come from cohorts without the real-world shapes.
            var generated = generator.GeneratePatient(CohortSeed, i, realWorldShapes: false);
            var resources = TransactionBundles.ResourcesWithLocalReferences(generated.Bundle.ToJson());
            return Mapper.Map(generated.Patient.Id, resources);
        }).ToList();
        Generated = profiles;
        // Model 1.1.0's reference population: 100 training patients of the same cohort and feature schema as 1.0.0.
        Reference = ReferenceSample.Load(Path.Combine(Root, "models", "efficacy", "1.1.0", "reference-population.json"), Featurizer.Schema);
        ModelBytes = File.ReadAllBytes(Path.Combine(Root, "models", "efficacy", "1.0.0", "model.onnx"));
    }

    public string Root { get; }

    public TherapyCatalog Catalog { get; }

    public PatientFeaturizer Featurizer { get; }

    public PatientProfileMapper Mapper { get; }

    public IReadOnlyList<PatientProfile> Generated { get; }

    public ReferenceSample Reference { get; }

    public byte[] ModelBytes { get; }

    public FeatureSchema Schema => Featurizer.Schema;

    internal OrtTestScorer RealModel(string version = "1.0.0") =>
        new(version == "1.0.0" ? ModelBytes : File.ReadAllBytes(Path.Combine(Root, "models", "efficacy", version, "model.onnx")),
            Schema.Clinical.Count, Schema.Genomic.Count, Schema.TherapyIds.Count, "probability");

    public PatientProfile MapFixture(string fixture)
    {
        var resources = TransactionBundles.ResourcesWithLocalReferences(File.ReadAllText(Path.Combine(Root, "tests", "fixtures", "fhir", fixture)));
        return Mapper.Map(resources.OfType<Patient>().Single().Id!, resources);
    }

    public IEnumerable<string> FixtureNames() =>
        Directory.GetFiles(Path.Combine(Root, "tests", "fixtures", "fhir"), "*.json").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Precision.Portal.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Run the tests inside the repository.");
    }
}

/// <summary>Independent, deliberately plain Shapley: the definition evaluated coalition by coalition, row by row.</summary>
internal static class BruteForceShapley
{
    /// <summary>φ_i = Σ_{S ⊆ N∖{i}} |S|!(k−|S|−1)!/k! (v(S∪{i}) − v(S)), v(S) = mean_r f(x_S, r_¬S).</summary>
    public static double[] Values(Func<float[], float[], double> f, PatientFeatures x, IReadOnlyList<PatientFeatures> reference, IReadOnlyList<ExplanationPlayer> players)
    {
        var k = players.Count;
        double V(int coalition)
        {
            var total = 0.0;
            foreach (var r in reference)
            {
                var clinical = (float[])r.Clinical.Clone();
                var genomic = (float[])r.Genomic.Clone();
                for (var p = 0; p < k; p++)
                {
                    if ((coalition & (1 << p)) != 0)
                    {
                        foreach (var i in players[p].ClinicalFeatures)
                        {
                            clinical[i] = x.Clinical[i];
                        }

                        foreach (var i in players[p].GenomicFeatures)
                        {
                            genomic[i] = x.Genomic[i];
                        }
                    }
                }

                total += f(clinical, genomic);
            }

            return total / reference.Count;
        }

        static double Factorial(int n) => n <= 1 ? 1 : n * Factorial(n - 1);
        var phi = new double[k];
        for (var i = 0; i < k; i++)
        {
            for (var s = 0; s < 1 << k; s++)
            {
                if ((s & (1 << i)) == 0)
                {
                    var size = System.Numerics.BitOperations.PopCount((uint)s);
                    phi[i] += Factorial(size) * Factorial(k - size - 1) / Factorial(k) * (V(s | (1 << i)) - V(s));
                }
            }
        }

        return phi;
    }
}
