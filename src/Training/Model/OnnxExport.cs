using Google.Protobuf;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Precision.Training.Model;

/// <summary>
/// Writes the trained ensemble as one ONNX graph (IR 8, opset 17, dynamic batch "N"), from C#:
/// inputs <c>clinical</c> [N, C], <c>genomic</c> [N, G], <c>therapy</c> [N, T];
/// outputs <c>member_probabilities</c> [N, members] (each sigmoid(member logit / temperature)), <c>probability</c> [N]
/// (calibrated: sigmoid(mean logit / temperature))
/// and <c>embedding</c> [N, E] (the members' patient embeddings averaged, for similar-patient search).
/// </summary>
public static class OnnxExport
{
    public const string ClinicalInput = "clinical";
    public const string GenomicInput = "genomic";
    public const string TherapyInput = "therapy";
    public const string MemberProbabilitiesOutput = "member_probabilities";
    public const string ProbabilityOutput = "probability";
    public const string EmbeddingOutput = "embedding";

    public static byte[] ToOnnx(TrainedEnsemble ensemble, int clinicalWidth, int genomicWidth, int therapyCount, string producerVersion)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        var graph = new GraphProto { Name = "precision-efficacy-ensemble" };
        graph.Input.Add(Value(ClinicalInput, clinicalWidth));
        graph.Input.Add(Value(GenomicInput, genomicWidth));
        graph.Input.Add(Value(TherapyInput, therapyCount));

        AddCatalogPrior(graph, ensemble.Members[0].Prior);
        var rechallenge = AddRechallenge(graph, ensemble.Members[0].Prior);
        var logits = new List<string>();
        var embeddings = new List<string>();
        for (var m = 0; m < ensemble.Members.Count; m++)
        {
            var weights = ensemble.Members[m].state_dict().ToDictionary(p => p.Key, p => p.Value);
            string Linear(string input, string layer, string output, bool bias = true)
            {
                var w = Initializer(graph, $"m{m}.{layer}.weight", weights[layer + ".weight"]);
                var node = Node("Gemm", [input, w, .. bias ? [Initializer(graph, $"m{m}.{layer}.bias", weights[layer + ".bias"])] : Array.Empty<string>()], output);
                node.Attribute.Add(new AttributeProto { Name = "transB", I = 1, Type = AttributeProto.Types.AttributeType.Int });
                graph.Node.Add(node);
                return output;
            }

            string Relu(string input, string output)
            {
                graph.Node.Add(Node("Relu", [input], output));
                return output;
            }

            var clinical = Linear(Relu(Linear(ClinicalInput, "_clinical.c1", $"m{m}.c1"), $"m{m}.c1.relu"), "_clinical.c2", $"m{m}.c2");
            var genomic = Linear(Relu(Linear(GenomicInput, "_genomic.g1", $"m{m}.g1"), $"m{m}.g1.relu"), "_genomic.g2", $"m{m}.g2");
            graph.Node.Add(Concat([clinical, genomic], $"m{m}.patient"));
            var conditioned = Linear(TherapyInput, "_therapy", $"m{m}.therapy", bias: false);
            graph.Node.Add(Node("Mul", [$"m{m}.patient", conditioned], $"m{m}.product"));
            graph.Node.Add(Concat(
                [$"m{m}.patient", conditioned, $"m{m}.product", PriorLogit, PriorBiomarkerContext, .. rechallenge ? [PriorRechallenge] : Array.Empty<string>()],
                $"m{m}.head.input"));
            var residual = Linear(Relu(Linear($"m{m}.head.input", "_head.h1", $"m{m}.h1"), $"m{m}.h1.relu"), "_head.h2", $"m{m}.residual");
            graph.Node.Add(Node("Add", [residual, PriorLogit], $"m{m}.logit"));
            logits.Add($"m{m}.logit");
            embeddings.Add($"m{m}.patient");
        }

        graph.Node.Add(Concat(logits, "logits"));
        graph.Initializer.Add(Scalar("temperature", (float)ensemble.Temperature));
        graph.Node.Add(Node("Div", ["logits", "temperature"], "member_calibrated_logits"));
        graph.Node.Add(Node("Sigmoid", ["member_calibrated_logits"], MemberProbabilitiesOutput));
        var mean = Node("ReduceMean", ["logits"], "mean_logit");
        mean.Attribute.Add(new AttributeProto { Name = "axes", Ints = { 1 }, Type = AttributeProto.Types.AttributeType.Ints });
        mean.Attribute.Add(new AttributeProto { Name = "keepdims", I = 0, Type = AttributeProto.Types.AttributeType.Int });
        graph.Node.Add(mean);
        graph.Node.Add(Node("Div", ["mean_logit", "temperature"], "calibrated_logit"));
        graph.Node.Add(Node("Sigmoid", ["calibrated_logit"], ProbabilityOutput));
        var sum = embeddings[0];
        for (var m = 1; m < embeddings.Count; m++)
        {
            graph.Node.Add(Node("Add", [sum, embeddings[m]], $"embedding.sum{m}"));
            sum = $"embedding.sum{m}";
        }

        graph.Initializer.Add(Scalar("member_share", 1f / embeddings.Count));
        graph.Node.Add(Node("Mul", [sum, "member_share"], EmbeddingOutput));
        graph.Output.Add(Value(MemberProbabilitiesOutput, ensemble.Members.Count));
        graph.Output.Add(Value(ProbabilityOutput, null));
        graph.Output.Add(Value(EmbeddingOutput, ensemble.Members[0].EmbeddingWidth));

        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "precision-train",
            ProducerVersion = producerVersion,
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 17 });
        return model.ToByteArray();
    }

    private const string PriorLogit = "prior.logit";
    private const string PriorBiomarkerContext = "prior.biomarker_context";
    private const string PriorRechallenge = "prior.rechallenge";

    /// <summary>
    /// The re-challenge indicator [N, 1] of <see cref="EfficacyNetwork.RechallengeOf"/>: (clinical · progressed_on ⊙ therapy)
    /// summed over therapies (as a product with a column of ones). False when the layout has no progression flags.
    /// </summary>
    private static bool AddRechallenge(GraphProto graph, Inference.Features.CatalogPrior prior)
    {
        if (prior.ProgressedOn is null)
        {
            return false;
        }

        graph.Initializer.Add(Constant("prior.progressed_on", prior.ProgressedOn, prior.ClinicalWidth, prior.TherapyWidth));
        graph.Initializer.Add(Constant("prior.therapy_ones", [.. Enumerable.Repeat(1f, prior.TherapyWidth)], prior.TherapyWidth, 1));
        graph.Node.Add(Node("MatMul", [ClinicalInput, "prior.progressed_on"], "prior.progressed_by_therapy"));
        graph.Node.Add(Node("Mul", ["prior.progressed_by_therapy", TherapyInput], "prior.progressed_this"));
        graph.Node.Add(Node("MatMul", ["prior.progressed_this", "prior.therapy_ones"], PriorRechallenge));
        return true;
    }

    /// <summary>The catalog prior, shared by all members: the same operations as <see cref="EfficacyNetwork.PriorOf"/>.</summary>
    private static void AddCatalogPrior(GraphProto graph, Inference.Features.CatalogPrior prior)
    {
        var j = prior.Entries.Count;
        graph.Initializer.Add(Constant("prior.cancer_applies", prior.CancerApplies, prior.ClinicalWidth, j));
        graph.Initializer.Add(Constant("prior.line_weight", prior.LineWeight, prior.ClinicalWidth, j));
        graph.Initializer.Add(Constant("prior.line_bias", prior.LineBias, j));
        graph.Initializer.Add(Constant("prior.biomarker_present", prior.BiomarkerPresent, prior.GenomicWidth, j));
        graph.Initializer.Add(Constant("prior.biomarker_excluded", prior.BiomarkerExcluded, prior.GenomicWidth, j));
        graph.Initializer.Add(Constant("prior.biomarker_not_required", prior.BiomarkerNotRequired, j));
        graph.Initializer.Add(Constant("prior.therapy_is", prior.TherapyIs, prior.TherapyWidth, j));
        graph.Initializer.Add(Constant("prior.score", prior.Score, j));
        graph.Initializer.Add(Scalar("prior.zero", 0f));
        graph.Initializer.Add(Scalar("prior.one", 1f));
        graph.Initializer.Add(Scalar("prior.minimum_rate", Inference.Features.CatalogPrior.MinimumRate));
        graph.Initializer.Add(Scalar("prior.maximum_rate", Inference.Features.CatalogPrior.MaximumRate));
        graph.Node.Add(Node("MatMul", [GenomicInput, "prior.biomarker_present"], "prior.biomarker_count"));
        graph.Node.Add(Node("Add", ["prior.biomarker_count", "prior.biomarker_not_required"], "prior.biomarker_sum"));
        graph.Node.Add(Node("Min", ["prior.biomarker_sum", "prior.one"], "prior.biomarker"));
        graph.Node.Add(Node("MatMul", [GenomicInput, "prior.biomarker_excluded"], "prior.excluded_count"));
        graph.Node.Add(Node("Min", ["prior.excluded_count", "prior.one"], "prior.excluded"));
        graph.Node.Add(Node("Sub", ["prior.one", "prior.excluded"], "prior.allowed"));
        graph.Node.Add(Node("Mul", ["prior.biomarker", "prior.allowed"], "prior.biomarker_allowed"));
        graph.Node.Add(Node("MatMul", [ClinicalInput, "prior.cancer_applies"], "prior.cancer_type"));
        graph.Node.Add(Node("MatMul", [ClinicalInput, "prior.line_weight"], "prior.line_weighted"));
        graph.Node.Add(Node("Add", ["prior.line_weighted", "prior.line_bias"], "prior.line"));
        graph.Node.Add(Node("Mul", ["prior.cancer_type", "prior.line"], "prior.cancer"));
        graph.Node.Add(Node("MatMul", [TherapyInput, "prior.therapy_is"], "prior.therapy"));
        graph.Node.Add(Node("Mul", ["prior.cancer", "prior.biomarker_allowed"], "prior.cancer_biomarker"));
        graph.Node.Add(Node("Mul", ["prior.cancer_biomarker", "prior.therapy"], "prior.match"));
        graph.Node.Add(Node("Mul", ["prior.match", "prior.score"], "prior.scored"));
        var max = Node("ReduceMax", ["prior.scored"], "prior.best");
        max.Attribute.Add(new AttributeProto { Name = "axes", Ints = { 1 }, Type = AttributeProto.Types.AttributeType.Ints });
        max.Attribute.Add(new AttributeProto { Name = "keepdims", I = 1, Type = AttributeProto.Types.AttributeType.Int });
        graph.Node.Add(max);
        graph.Node.Add(Node("Floor", ["prior.best"], "prior.tier"));
        graph.Node.Add(Node("Sub", ["prior.best", "prior.tier"], "prior.fraction"));
        graph.Node.Add(Node("Clip", ["prior.fraction", "prior.minimum_rate", "prior.maximum_rate"], "prior.rate"));
        graph.Node.Add(Node("Sub", ["prior.one", "prior.rate"], "prior.non_rate"));
        graph.Node.Add(Node("Div", ["prior.rate", "prior.non_rate"], "prior.odds"));
        graph.Node.Add(Node("Log", ["prior.odds"], PriorLogit));
        graph.Node.Add(Node("Sub", ["prior.tier", "prior.one"], "prior.tier_above_one"));
        graph.Node.Add(Node("Clip", ["prior.tier_above_one", "prior.zero", "prior.one"], PriorBiomarkerContext));
    }

    private static TensorProto Constant(string name, float[] values, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = 1 };
        tensor.Dims.AddRange(dims);
        tensor.FloatData.AddRange(values);
        return tensor;
    }

    private static NodeProto Node(string op, IEnumerable<string> inputs, string output)
    {
        var node = new NodeProto { OpType = op, Name = output + "." + op.ToLowerInvariant() };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }

    private static NodeProto Concat(IEnumerable<string> inputs, string output)
    {
        var node = Node("Concat", inputs, output);
        node.Attribute.Add(new AttributeProto { Name = "axis", I = 1, Type = AttributeProto.Types.AttributeType.Int });
        return node;
    }

    private static string Initializer(GraphProto graph, string name, Tensor value)
    {
        var tensor = new TensorProto { Name = name, DataType = 1 }; // FLOAT
        tensor.Dims.AddRange(value.shape);
        tensor.FloatData.AddRange(value.detach().contiguous().data<float>().ToArray());
        graph.Initializer.Add(tensor);
        return name;
    }

    private static TensorProto Scalar(string name, float value)
    {
        var tensor = new TensorProto { Name = name, DataType = 1 };
        tensor.FloatData.Add(value);
        return tensor;
    }

    /// <summary>A float tensor [N] or [N, width] with a symbolic batch dimension.</summary>
    private static ValueInfoProto Value(string name, int? width)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        if (width is { } w)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = w });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } },
        };
    }
}
