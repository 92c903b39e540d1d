using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Google.Protobuf;
using Onnx;
using Precision.Inference.Runtime;

namespace Precision.Inference.Explanations;

/// <summary>
/// The efficacy ensemble's <c>probability</c> output evaluated in two halves, for explanations. In the network the
/// clinical encoder sees only clinical features and the genomic encoder only genomic ones; the head's first layer is
/// linear in [patient, therapy, patient ⊙ therapy, prior], so for a fixed therapy t its pre-activation splits into a
/// clinical term M_t·p_clinical and a genomic term M_t·p_genomic + B·t + b. Shapley coalitions mix a patient's and a
/// reference row's features; for one reference row there are only 2^(clinical players) distinct clinical halves and
/// 2^(genomic players) genomic halves, so both terms are computed once per half and every coalition row costs one add,
/// a ReLU and a dot product per member and therapy, instead of a full forward pass.
/// <para>
/// The weights are read from the verified model.onnx itself (<see cref="TryCreate"/>); the arithmetic is the graph's,
/// reassociated, so results differ from ONNX Runtime's by float rounding only. <see cref="CheckAgainst"/>
/// measures that against the runtime, and the explainer uses this path only when the difference is within
/// <see cref="ParityTolerance"/> (<see cref="CheckAgainst"/>); anything unexpected in the graph leaves explanations on the runtime.
/// </para>
/// </summary>
public sealed class SeparableEnsemble
{
    /// <summary>Largest |difference| from ONNX Runtime's probability accepted for the explanation path.</summary>
    public const double ParityTolerance = 1e-5;

    private static readonly int Lanes = Vector256<float>.Count;

    private readonly Member[] _members;
    private readonly int _embedding;
    private readonly int _hidden;
    private readonly float _temperature;

    // Per member side by side ([member × hidden]): the head's prior and context columns, the output weights; Σ b2.
    private readonly float[] _priorColumns;
    private readonly float[] _contextColumns;
    private readonly float[] _outputWeights;
    private readonly float _outputBiasSum;

    // Catalog prior (the graph's prior.* initializers): [C × J], [G × J], [J], per therapy its entries and factors.
    private readonly float[] _cancerApplies;
    private readonly float[] _biomarkerPresent;
    private readonly float[] _biomarkerNotRequired;
    // Line and exclusion factors touch a handful of features (first_line; EGFR, ALK, ERBB2, BRAF): only their rows are kept.
    private readonly (int Feature, float[] Weights)[]? _lineWeight;
    private readonly float[]? _lineBias;
    private readonly (int Feature, float[] Weights)[]? _biomarkerExcluded;
    private readonly float[] _score;
    private readonly int[][] _therapyEntries;
    private readonly float[][] _therapyEntryFactors;
    private readonly bool[] _therapyHasUnmatchedEntries;
    private readonly float _minimumRate;
    private readonly float _maximumRate;

    // Re-challenge (V2 layout): per therapy the clinical feature that flags progression on it, and per member side by
    // side the head's column for the indicator. Null for graphs without it (models 1.x).
    private readonly (int Feature, float Weight)[]? _progressedOnFeature;
    private readonly float[]? _rechallengeColumns;

    private SeparableEnsemble(Member[] members, int clinicalWidth, int genomicWidth, int therapyWidth, int embedding, int hidden, float temperature, PriorWeights prior)
    {
        _members = members;
        ClinicalWidth = clinicalWidth;
        GenomicWidth = genomicWidth;
        TherapyWidth = therapyWidth;
        _embedding = embedding;
        _hidden = hidden;
        _temperature = temperature;
        _priorColumns = [.. members.SelectMany(m => m.PriorColumn)];
        _contextColumns = [.. members.SelectMany(m => m.ContextColumn)];
        _outputWeights = [.. members.SelectMany(m => m.Output)];
        _outputBiasSum = members.Sum(m => m.OutputBias);
        _cancerApplies = prior.CancerApplies;
        _lineWeight = prior.LineWeight is { } lineWeight ? NonZeroRows(lineWeight, clinicalWidth, prior.Score.Length) : null;
        _lineBias = prior.LineBias;
        _biomarkerExcluded = prior.BiomarkerExcluded is { } excluded ? NonZeroRows(excluded, genomicWidth, prior.Score.Length) : null;
        _biomarkerPresent = prior.BiomarkerPresent;
        _biomarkerNotRequired = prior.BiomarkerNotRequired;
        _score = prior.Score;
        _minimumRate = prior.MinimumRate;
        _maximumRate = prior.MaximumRate;
        PriorEntries = prior.Score.Length;
        if (prior.ProgressedOn is { } progressedOn)
        {
            _progressedOnFeature = [.. Enumerable.Range(0, therapyWidth).Select(t => SingleFeature(progressedOn, clinicalWidth, therapyWidth, t))];
            _rechallengeColumns = [.. members.SelectMany(m => m.RechallengeColumn ?? throw new InvalidDataException("the graph has prior.progressed_on but a head without the re-challenge input"))];
        }
        else if (members.Any(m => m.RechallengeColumn is not null))
        {
            throw new InvalidDataException("the head takes a re-challenge input but the graph has no prior.progressed_on");
        }

        _therapyEntries = new int[therapyWidth][];
        _therapyEntryFactors = new float[therapyWidth][];
        _therapyHasUnmatchedEntries = new bool[therapyWidth];
        for (var t = 0; t < therapyWidth; t++)
        {
            var entries = Enumerable.Range(0, PriorEntries).Where(j => prior.TherapyIs[(t * PriorEntries) + j] != 0f).ToArray();
            _therapyEntries[t] = entries;
            _therapyEntryFactors[t] = [.. entries.Select(j => prior.TherapyIs[(t * PriorEntries) + j])];
            _therapyHasUnmatchedEntries[t] = entries.Length < PriorEntries;
        }
    }

    public int ClinicalWidth { get; }

    public int GenomicWidth { get; }

    public int TherapyWidth { get; }

    public int MemberCount => _members.Length;

    /// <summary>Catalog rate entries of the prior (J).</summary>
    public int PriorEntries { get; }

    /// <summary>Floats of one half's term for one therapy: members × hidden units.</summary>
    public int BlockWidth => _members.Length * _hidden;

    /// <summary>
    /// Reads the ensemble from the bytes of a model.onnx written by precision-train (members m0…, layers _clinical.c1/c2,
    /// _genomic.g1/g2, _therapy, _head.h1/h2, temperature, prior.*). Null with the reason when the graph is not that network.
    /// </summary>
    public static SeparableEnsemble? TryCreate(ReadOnlyMemory<byte> onnx, out string? reason)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(onnx.Span);
        }
        catch (InvalidProtocolBufferException e)
        {
            reason = $"model.onnx could not be read as ONNX: {e.Message}";
            return null;
        }

        var tensors = new Dictionary<string, (float[] Values, long[] Dims)>(StringComparer.Ordinal);
        foreach (var initializer in model.Graph.Initializer)
        {
            if (initializer.DataType == (int)TensorProto.Types.DataType.Float)
            {
                tensors[initializer.Name] = (ValuesOf(initializer), [.. initializer.Dims]);
            }
        }

        var members = new List<Member>();
        try
        {
            for (var m = 0; tensors.ContainsKey($"m{m}._head.h1.weight"); m++)
            {
                members.Add(Member.Read(tensors, m));
            }

            if (members.Count == 0)
            {
                reason = "model.onnx has no ensemble member m0 (initializer m0._head.h1.weight); explanations use the runtime.";
                return null;
            }

            var first = members[0];
            if (members.Any(m => m.ClinicalWidth != first.ClinicalWidth || m.GenomicWidth != first.GenomicWidth || m.TherapyWidth != first.TherapyWidth
                || m.Embedding != first.Embedding || m.Hidden != first.Hidden))
            {
                reason = "the ensemble members of model.onnx differ in shape; explanations use the runtime.";
                return null;
            }

            if (first.Hidden % Lanes != 0)
            {
                reason = $"the head has {first.Hidden} hidden units, not a multiple of {Lanes}; explanations use the runtime.";
                return null;
            }

            var temperature = Scalar(tensors, "temperature");
            var prior = PriorWeights.Read(tensors, first.ClinicalWidth, first.GenomicWidth, first.TherapyWidth);
            reason = null;
            return new SeparableEnsemble([.. members], first.ClinicalWidth, first.GenomicWidth, first.TherapyWidth, first.Embedding, first.Hidden, temperature, prior);
        }
        catch (InvalidDataException e)
        {
            reason = $"model.onnx is not the network the separable evaluation knows ({e.Message}); explanations use the runtime.";
            return null;
        }
    }

    /// <summary>The largest |difference| from the runtime found by <see cref="CheckAgainst"/>; null until checked.</summary>
    public double? MaxDifference { get; private set; }

    /// <summary>Checked against the runtime and within <see cref="ParityTolerance"/>: only then may explanations use it.</summary>
    public bool IsVerified => MaxDifference is <= ParityTolerance;

    /// <summary>
    /// Compares this evaluation with <paramref name="scorer"/>'s probability over every therapy for the reference rows
    /// and for rows pairing one reference row's clinical half with another's genomic half (what coalitions do); keeps
    /// and returns the largest |difference| (<see cref="MaxDifference"/>, <see cref="IsVerified"/>).
    /// </summary>
    public double CheckAgainst(IBatchScorer scorer, ReferenceSample sample)
    {
        var difference = MaxDifferenceFrom(scorer, sample);
        MaxDifference = difference;
        return difference;
    }

    private double MaxDifferenceFrom(IBatchScorer scorer, ReferenceSample sample)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        ArgumentNullException.ThrowIfNull(sample);
        if (scorer.ClinicalWidth != ClinicalWidth || scorer.GenomicWidth != GenomicWidth || scorer.TherapyWidth != TherapyWidth
            || sample.ClinicalWidth != ClinicalWidth || sample.GenomicWidth != GenomicWidth)
        {
            return double.PositiveInfinity;
        }

        var n = sample.Count;
        var pairs = Enumerable.Range(0, n).Select(r => (r, r)).Concat(Enumerable.Range(0, n).Select(r => (r, (r + 1) % n))).ToArray();
        var rows = pairs.Length * TherapyWidth;
        var clinical = new float[rows * ClinicalWidth];
        var genomic = new float[rows * GenomicWidth];
        var therapy = new float[rows * TherapyWidth];
        for (var p = 0; p < pairs.Length; p++)
        {
            for (var t = 0; t < TherapyWidth; t++)
            {
                var row = (p * TherapyWidth) + t;
                sample.Clinical.Slice(pairs[p].Item1 * ClinicalWidth, ClinicalWidth).CopyTo(clinical.AsSpan(row * ClinicalWidth));
                sample.Genomic.Slice(pairs[p].Item2 * GenomicWidth, GenomicWidth).CopyTo(genomic.AsSpan(row * GenomicWidth));
                therapy[(row * TherapyWidth) + t] = 1f;
            }
        }

        var expected = new float[rows];
        scorer.Score(clinical, genomic, therapy, expected);
        var all = Enumerable.Range(0, TherapyWidth).ToArray();
        var work = new Workspace(this);
        var clinicalEmbedding = new float[EmbeddingWidth];
        var genomicEmbedding = new float[EmbeddingWidth];
        var cancer = new float[PriorEntries];
        var biomarker = new float[PriorEntries];
        var priorLogit = new float[TherapyWidth];
        var priorContext = new float[TherapyWidth];
        var clinicalBlock = new float[BlockWidth];
        var genomicBlock = new float[BlockWidth];
        var folded = new float[BlockWidth];
        var logit = new float[1];
        var max = 0.0;
        for (var p = 0; p < pairs.Length; p++)
        {
            EncodeClinical(clinical.AsSpan(p * TherapyWidth * ClinicalWidth, ClinicalWidth), clinicalEmbedding, cancer, work);
            EncodeGenomic(genomic.AsSpan(p * TherapyWidth * GenomicWidth, GenomicWidth), genomicEmbedding, biomarker, work);
            TabulatePrior(cancer, biomarker, all, priorLogit, priorContext);
            for (var t = 0; t < TherapyWidth; t++)
            {
                ClinicalBlock(clinicalEmbedding, t, clinicalBlock);
                GenomicBlock(genomicEmbedding, t, genomicBlock);
                var constant = FoldPrior(genomicBlock, priorLogit[t], priorContext[t], folded);
                logit[0] = CalibratedLogit(clinicalBlock, folded, constant);
                Sigmoid(logit);
                var difference = Math.Abs(logit[0] - (double)expected[(p * TherapyWidth) + t]);
                max = double.IsNaN(difference) ? double.PositiveInfinity : Math.Max(max, difference);
            }
        }

        return max;
    }

    /// <summary>
    /// Floats of one half's embeddings: members × embedding width, then (V2 layout) one re-challenge indicator per therapy,
    /// which depends on the clinical half only and enters the clinical block.
    /// </summary>
    public int EmbeddingWidth => (_members.Length * _embedding) + (_progressedOnFeature is null ? 0 : TherapyWidth);

    // The one clinical feature selected for therapy t by the progressed-on selection [C × T], and its weight (the input's scale).
    private static (int Feature, float Weight) SingleFeature(float[] selection, int clinicalWidth, int therapyWidth, int t)
    {
        var features = Enumerable.Range(0, clinicalWidth).Where(c => selection[(c * therapyWidth) + t] != 0f).ToList();
        return features is [var c]
            ? (c, selection[(c * therapyWidth) + t])
            : throw new InvalidDataException($"prior.progressed_on selects {features.Count} clinical features for therapy {t}, not one");
    }

    /// <summary>
    /// Every member's clinical embedding of a clinical half into <paramref name="embedding"/> [members × E], and the
    /// prior's cancer-type match per catalog entry into <paramref name="cancer"/> [J].
    /// </summary>
    internal void EncodeClinical(ReadOnlySpan<float> clinical, Span<float> embedding, Span<float> cancer, Workspace work)
    {
        MatrixTimesVector(clinical, _cancerApplies, PriorEntries, cancer);
        if (_lineWeight is not null && _lineBias is not null)
        {
            // The context's line factor, as the graph computes it: first_line · weight + bias.
            Span<float> line = stackalloc float[PriorEntries];
            SparseRowsTimesVector(clinical, _lineWeight, line);
            for (var j = 0; j < cancer.Length; j++)
            {
                cancer[j] *= line[j] + _lineBias[j];
            }
        }

        for (var m = 0; m < _members.Length; m++)
        {
            _members[m].Clinical.Encode(clinical, embedding.Slice(m * _embedding, _embedding), work.Layer);
        }

        if (_progressedOnFeature is not null)
        {
            var indicators = embedding.Slice(_members.Length * _embedding, TherapyWidth);
            for (var t = 0; t < TherapyWidth; t++)
            {
                indicators[t] = clinical[_progressedOnFeature[t].Feature] * _progressedOnFeature[t].Weight;
            }
        }
    }

    /// <summary>Every member's genomic embedding of a genomic half, and the prior's biomarker match per entry [J].</summary>
    internal void EncodeGenomic(ReadOnlySpan<float> genomic, Span<float> embedding, Span<float> biomarker, Workspace work)
    {
        MatrixTimesVector(genomic, _biomarkerPresent, PriorEntries, biomarker);
        for (var j = 0; j < biomarker.Length; j++)
        {
            biomarker[j] = MathF.Min(biomarker[j] + _biomarkerNotRequired[j], 1f);
        }

        if (_biomarkerExcluded is not null)
        {
            // A context's excluded biomarkers (e.g. EGFR/ALK for PD-L1 ≥ 50 %), as the graph computes them.
            Span<float> excluded = stackalloc float[PriorEntries];
            SparseRowsTimesVector(genomic, _biomarkerExcluded, excluded);
            for (var j = 0; j < biomarker.Length; j++)
            {
                biomarker[j] *= 1f - MathF.Min(excluded[j], 1f);
            }
        }

        for (var m = 0; m < _members.Length; m++)
        {
            _members[m].Genomic.Encode(genomic, embedding.Slice(m * _embedding, _embedding), work.Layer);
        }
    }

    /// <summary>The clinical half's term of the head's pre-activation for <paramref name="therapy"/>: [members × hidden].</summary>
    internal void ClinicalBlock(ReadOnlySpan<float> embedding, int therapy, Span<float> block)
    {
        for (var m = 0; m < _members.Length; m++)
        {
            Accumulate(_members[m].ClinicalColumns[therapy], embedding.Slice(m * _embedding, _embedding), null, block.Slice(m * _hidden, _hidden));
        }

        // The head's re-challenge input for this therapy: its column times the input (the flag times its scale).
        if (_rechallengeColumns is not null && embedding[(_members.Length * _embedding) + therapy] is var indicator and not 0f)
        {
            for (var h = 0; h < BlockWidth; h++)
            {
                block[h] += indicator * _rechallengeColumns[h];
            }
        }
    }

    /// <summary>The genomic half's term with the therapy's own term and the bias: [members × hidden].</summary>
    internal void GenomicBlock(ReadOnlySpan<float> embedding, int therapy, Span<float> block)
    {
        for (var m = 0; m < _members.Length; m++)
        {
            var member = _members[m];
            Accumulate(member.GenomicColumns[therapy], embedding.Slice(m * _embedding, _embedding), member.TherapyBias[therapy], block.Slice(m * _hidden, _hidden));
        }
    }

    /// <summary>
    /// The catalog prior of each of <paramref name="therapies"/> for one cancer-type match and one biomarker match (the
    /// graph's prior: the best matching entry's score, the logit of its rate, whether a biomarker context matched).
    /// It depends on nothing else, so it is computed once per pair of prior vectors, not once per row.
    /// </summary>
    internal void TabulatePrior(ReadOnlySpan<float> cancer, ReadOnlySpan<float> biomarker, int[] therapies, Span<float> logit, Span<float> context)
    {
        for (var i = 0; i < therapies.Length; i++)
        {
            var t = therapies[i];
            var best = _therapyHasUnmatchedEntries[t] ? 0f : float.NegativeInfinity;
            var entries = _therapyEntries[t];
            var factors = _therapyEntryFactors[t];
            for (var e = 0; e < entries.Length; e++)
            {
                var j = entries[e];
                best = MathF.Max(best, cancer[j] * biomarker[j] * factors[e] * _score[j]);
            }

            var tier = MathF.Floor(best);
            var rate = Math.Clamp(best - tier, _minimumRate, _maximumRate);
            logit[i] = MathF.Log(rate / (1f - rate));
            context[i] = Math.Clamp(tier - 1f, 0f, 1f);
        }
    }

    /// <summary>
    /// Adds the prior's terms (u · prior logit + v · biomarker context, per member) to one genomic block, giving the part of
    /// the pre-activation every row with this genomic half and prior shares; returns the output-layer constant
    /// Σ_m (b2_m + prior logit), the prior being added back to each member's residual.
    /// </summary>
    internal float FoldPrior(ReadOnlySpan<float> genomicBlock, float priorLogit, float priorContext, Span<float> folded)
    {
        var logit = Vector256.Create(priorLogit);
        var context = Vector256.Create(priorContext);
        ref var g = ref MemoryMarshal.GetReference(genomicBlock);
        ref var u = ref MemoryMarshal.GetArrayDataReference(_priorColumns);
        ref var v = ref MemoryMarshal.GetArrayDataReference(_contextColumns);
        ref var f = ref MemoryMarshal.GetReference(folded);
        for (var h = 0; h < BlockWidth; h += Lanes)
        {
            var index = (nuint)h;
            var sum = Vector256.FusedMultiplyAdd(logit, Vector256.LoadUnsafe(ref u, index), Vector256.LoadUnsafe(ref g, index));
            Vector256.FusedMultiplyAdd(context, Vector256.LoadUnsafe(ref v, index), sum).StoreUnsafe(ref f, index);
        }

        return _outputBiasSum + (_members.Length * priorLogit);
    }

    /// <summary>
    /// Calibrated logit of one therapy, (mean over members of w2 · ReLU(clinical + folded) + b2 + prior) / temperature,
    /// from the therapy's block of one clinical half and the folded block of a genomic half with its prior.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal float CalibratedLogit(ReadOnlySpan<float> clinicalBlock, ReadOnlySpan<float> foldedBlock, float outputConstant)
    {
        ref var c = ref MemoryMarshal.GetReference(clinicalBlock);
        ref var f = ref MemoryMarshal.GetReference(foldedBlock);
        ref var w = ref MemoryMarshal.GetArrayDataReference(_outputWeights);
        var zero = Vector256<float>.Zero;
        Vector256<float> t0 = zero, t1 = zero;
        var h = 0;

        // Two independent sums, so consecutive FMAs do not wait on each other.
        for (; h + (2 * Lanes) <= BlockWidth; h += 2 * Lanes)
        {
            var i0 = (nuint)h;
            var i1 = (nuint)(h + Lanes);
            t0 = Vector256.FusedMultiplyAdd(Vector256.Max(Vector256.LoadUnsafe(ref c, i0) + Vector256.LoadUnsafe(ref f, i0), zero), Vector256.LoadUnsafe(ref w, i0), t0);
            t1 = Vector256.FusedMultiplyAdd(Vector256.Max(Vector256.LoadUnsafe(ref c, i1) + Vector256.LoadUnsafe(ref f, i1), zero), Vector256.LoadUnsafe(ref w, i1), t1);
        }

        for (; h < BlockWidth; h += Lanes)
        {
            var i0 = (nuint)h;
            t0 = Vector256.FusedMultiplyAdd(Vector256.Max(Vector256.LoadUnsafe(ref c, i0) + Vector256.LoadUnsafe(ref f, i0), zero), Vector256.LoadUnsafe(ref w, i0), t0);
        }

        var mean = (Vector256.Sum(t0 + t1) + outputConstant) / _members.Length;
        return mean / _temperature;
    }

    /// <summary>σ(x) in place, eight at a time: the calibrated probability from <see cref="CalibratedLogit"/>.</summary>
    internal static void Sigmoid(Span<float> values)
    {
        ref var v = ref MemoryMarshal.GetReference(values);
        var i = 0;
        for (; i + Lanes <= values.Length; i += Lanes)
        {
            var x = Vector256.LoadUnsafe(ref v, (nuint)i);
            (Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(-x))).StoreUnsafe(ref v, (nuint)i);
        }

        for (; i < values.Length; i++)
        {
            values[i] = 1f / (1f + MathF.Exp(-values[i]));
        }
    }

    /// <summary>target = bias + Σ_j x_j · column j (columns stored one after another, each target.Length long).</summary>
    private static void Accumulate(float[] columns, ReadOnlySpan<float> x, float[]? bias, Span<float> target)
    {
        var width = target.Length;
        ref var t = ref MemoryMarshal.GetReference(target);
        ref var c = ref MemoryMarshal.GetArrayDataReference(columns);
        ref var xs = ref MemoryMarshal.GetReference(x);
        var h = 0;

        // Four chunks of hidden units at once: four independent sums keep the FMA units busy instead of waiting on one chain.
        for (; h + (4 * Lanes) <= width; h += 4 * Lanes)
        {
            Vector256<float> s0, s1, s2, s3;
            if (bias is null)
            {
                s0 = s1 = s2 = s3 = Vector256<float>.Zero;
            }
            else
            {
                ref var b = ref MemoryMarshal.GetArrayDataReference(bias);
                s0 = Vector256.LoadUnsafe(ref b, (nuint)h);
                s1 = Vector256.LoadUnsafe(ref b, (nuint)(h + Lanes));
                s2 = Vector256.LoadUnsafe(ref b, (nuint)(h + (2 * Lanes)));
                s3 = Vector256.LoadUnsafe(ref b, (nuint)(h + (3 * Lanes)));
            }

            for (var j = 0; j < x.Length; j++)
            {
                var value = Unsafe.Add(ref xs, j);
                if (value == 0f)
                {
                    // Most clinical and genomic features are absent flags, and ReLU zeroes half the hidden units.
                    continue;
                }

                var scale = Vector256.Create(value);
                var column = (nuint)((j * width) + h);
                s0 = Vector256.FusedMultiplyAdd(scale, Vector256.LoadUnsafe(ref c, column), s0);
                s1 = Vector256.FusedMultiplyAdd(scale, Vector256.LoadUnsafe(ref c, column + (nuint)Lanes), s1);
                s2 = Vector256.FusedMultiplyAdd(scale, Vector256.LoadUnsafe(ref c, column + (nuint)(2 * Lanes)), s2);
                s3 = Vector256.FusedMultiplyAdd(scale, Vector256.LoadUnsafe(ref c, column + (nuint)(3 * Lanes)), s3);
            }

            s0.StoreUnsafe(ref t, (nuint)h);
            s1.StoreUnsafe(ref t, (nuint)(h + Lanes));
            s2.StoreUnsafe(ref t, (nuint)(h + (2 * Lanes)));
            s3.StoreUnsafe(ref t, (nuint)(h + (3 * Lanes)));
        }

        if (h + (2 * Lanes) <= width)
        {
            var s0 = bias is null ? Vector256<float>.Zero : Vector256.Create(bias.AsSpan(h, Lanes));
            var s1 = bias is null ? Vector256<float>.Zero : Vector256.Create(bias.AsSpan(h + Lanes, Lanes));
            for (var j = 0; j < x.Length; j++)
            {
                var value = Unsafe.Add(ref xs, j);
                if (value == 0f)
                {
                    continue;
                }

                var scale = Vector256.Create(value);
                var column = (nuint)((j * width) + h);
                s0 = Vector256.FusedMultiplyAdd(scale, Vector256.LoadUnsafe(ref c, column), s0);
                s1 = Vector256.FusedMultiplyAdd(scale, Vector256.LoadUnsafe(ref c, column + (nuint)Lanes), s1);
            }

            s0.StoreUnsafe(ref t, (nuint)h);
            s1.StoreUnsafe(ref t, (nuint)(h + Lanes));
            h += 2 * Lanes;
        }

        for (; h < width; h += Lanes)
        {
            var sum = bias is null ? Vector256<float>.Zero : Vector256.Create(bias.AsSpan(h, Lanes));
            for (var j = 0; j < x.Length; j++)
            {
                sum = Vector256.FusedMultiplyAdd(Vector256.Create(x[j]), Vector256.LoadUnsafe(ref c, (nuint)((j * width) + h)), sum);
            }

            sum.StoreUnsafe(ref t, (nuint)h);
        }
    }

    /// <summary>The rows of a [rows × width] matrix that have a non-zero entry, with their index.</summary>
    private static (int Feature, float[] Weights)[] NonZeroRows(float[] matrix, int rows, int width) =>
        [.. Enumerable.Range(0, rows)
            .Where(r => matrix.AsSpan(r * width, width).ContainsAnyExcept(0f))
            .Select(r => (r, matrix.AsSpan(r * width, width).ToArray()))];

    /// <summary>y = x · M for an M kept as its non-zero rows: the same sums in the same order as the full product.</summary>
    private static void SparseRowsTimesVector(ReadOnlySpan<float> x, (int Feature, float[] Weights)[] rows, Span<float> y)
    {
        y.Clear();
        foreach (var (feature, weights) in rows)
        {
            if (x[feature] == 0f)
            {
                continue;
            }

            for (var j = 0; j < weights.Length; j++)
            {
                y[j] += x[feature] * weights[j];
            }
        }
    }

    /// <summary>y[j] = Σ_i x[i] · matrix[i × width + j] (the prior's MatMul of a row by a [rows × width] constant).</summary>
    private static void MatrixTimesVector(ReadOnlySpan<float> x, float[] matrix, int width, Span<float> y)
    {
        y.Clear();
        for (var i = 0; i < x.Length; i++)
        {
            if (x[i] == 0f)
            {
                continue;
            }

            var row = matrix.AsSpan(i * width, width);
            for (var j = 0; j < width; j++)
            {
                y[j] += x[i] * row[j];
            }
        }
    }

    private static float[] ValuesOf(TensorProto tensor)
    {
        if (tensor.FloatData.Count > 0)
        {
            return [.. tensor.FloatData];
        }

        var raw = tensor.RawData.Span;
        return MemoryMarshal.Cast<byte, float>(raw).ToArray();
    }

    private static float[] Tensor(Dictionary<string, (float[] Values, long[] Dims)> tensors, string name, params long[] dims)
    {
        if (!tensors.TryGetValue(name, out var tensor))
        {
            throw new InvalidDataException($"initializer {name} is missing");
        }

        if (dims.Length > 0 && !tensor.Dims.SequenceEqual(dims))
        {
            throw new InvalidDataException($"initializer {name} has shape [{string.Join(", ", tensor.Dims)}], expected [{string.Join(", ", dims)}]");
        }

        return tensor.Values;
    }

    private static (int Rows, int Columns) Shape(Dictionary<string, (float[] Values, long[] Dims)> tensors, string name)
    {
        if (!tensors.TryGetValue(name, out var tensor) || tensor.Dims.Length != 2)
        {
            throw new InvalidDataException($"initializer {name} is missing or not a matrix");
        }

        return ((int)tensor.Dims[0], (int)tensor.Dims[1]);
    }

    private static float Scalar(Dictionary<string, (float[] Values, long[] Dims)> tensors, string name)
    {
        var values = Tensor(tensors, name);
        return values.Length == 1 ? values[0] : throw new InvalidDataException($"initializer {name} is not a scalar");
    }

    /// <summary>Scratch for one thread: an encoder's hidden layer.</summary>
    internal sealed class Workspace(SeparableEnsemble ensemble)
    {
        public float[] Layer { get; } = new float[ensemble._members.Max(m => Math.Max(m.Clinical.Hidden, m.Genomic.Hidden))];
    }

    /// <summary>A two-layer encoder, W2 · ReLU(W1 · x + b1) + b2, with both weight matrices stored by column (<see cref="Accumulate"/>).</summary>
    private sealed class Encoder
    {
        private readonly float[] _firstColumns;
        private readonly float[] _firstBias;
        private readonly float[] _secondColumns;
        private readonly float[] _secondBias;

        private Encoder(float[] w1, float[] b1, float[] w2, float[] b2, int inputs, int hidden, int outputs)
        {
            Inputs = inputs;
            Hidden = hidden;
            Outputs = outputs;
            _firstColumns = Transpose(w1, hidden, inputs);
            _firstBias = b1;
            _secondColumns = Transpose(w2, outputs, hidden);
            _secondBias = b2;
        }

        public int Inputs { get; }

        public int Hidden { get; }

        public int Outputs { get; }

        public static Encoder Read(Dictionary<string, (float[] Values, long[] Dims)> tensors, string prefix, string first, string second)
        {
            var (hidden, inputs) = Shape(tensors, $"{prefix}.{first}.weight");
            var (outputs, _) = Shape(tensors, $"{prefix}.{second}.weight");
            if (hidden % Lanes != 0 || outputs % Lanes != 0)
            {
                throw new InvalidDataException($"{prefix} has {hidden} hidden units and {outputs} outputs, not multiples of {Lanes}");
            }

            return new Encoder(
                Tensor(tensors, $"{prefix}.{first}.weight", hidden, inputs), Tensor(tensors, $"{prefix}.{first}.bias", hidden),
                Tensor(tensors, $"{prefix}.{second}.weight", outputs, hidden), Tensor(tensors, $"{prefix}.{second}.bias", outputs),
                inputs, hidden, outputs);
        }

        public void Encode(ReadOnlySpan<float> x, Span<float> output, Span<float> layer)
        {
            var hidden = layer[..Hidden];
            Accumulate(_firstColumns, x, _firstBias, hidden);
            ref var a = ref MemoryMarshal.GetReference(hidden);
            for (var h = 0; h < Hidden; h += Lanes)
            {
                Vector256.Max(Vector256.LoadUnsafe(ref a, (nuint)h), Vector256<float>.Zero).StoreUnsafe(ref a, (nuint)h);
            }

            Accumulate(_secondColumns, hidden, _secondBias, output);
        }

        /// <summary>[rows × columns] row-major to column-major.</summary>
        private static float[] Transpose(float[] matrix, int rows, int columns)
        {
            var result = new float[matrix.Length];
            for (var r = 0; r < rows; r++)
            {
                for (var c = 0; c < columns; c++)
                {
                    result[(c * rows) + r] = matrix[(r * columns) + c];
                }
            }

            return result;
        }
    }

    /// <summary>
    /// One member's weights, rearranged: for each therapy t the head's first layer restricted to the clinical and to the
    /// genomic half of the patient embedding (columns A_j + D_j · cond_t[j]), the therapy's own term B · cond_t + b, and
    /// the prior's two columns and the output layer.
    /// </summary>
    private sealed class Member
    {
        private Member(Encoder clinical, Encoder genomic, float[][] clinicalColumns, float[][] genomicColumns, float[][] therapyBias, float[] priorColumn, float[] contextColumn, float[]? rechallengeColumn, float[] output, float outputBias, int therapyWidth)
        {
            RechallengeColumn = rechallengeColumn;
            Clinical = clinical;
            Genomic = genomic;
            ClinicalColumns = clinicalColumns;
            GenomicColumns = genomicColumns;
            TherapyBias = therapyBias;
            PriorColumn = priorColumn;
            ContextColumn = contextColumn;
            Output = output;
            OutputBias = outputBias;
            TherapyWidth = therapyWidth;
        }

        public Encoder Clinical { get; }

        public Encoder Genomic { get; }

        /// <summary>[therapy][embedding j × hidden + h]: column j of the head's first layer for the clinical half, given the therapy.</summary>
        public float[][] ClinicalColumns { get; }

        public float[][] GenomicColumns { get; }

        /// <summary>The head's first-layer columns for the prior logit (u) and the biomarker context (v).</summary>
        public float[] PriorColumn { get; }

        public float[] ContextColumn { get; }

        /// <summary>The head's first-layer column for the re-challenge indicator; null when the head has no such input.</summary>
        public float[]? RechallengeColumn { get; }

        /// <summary>The output layer's weights (w2) and bias (b2).</summary>
        public float[] Output { get; }

        public float OutputBias { get; }

        /// <summary>[therapy][hidden]: b + B · cond_t.</summary>
        public float[][] TherapyBias { get; }

        public int ClinicalWidth => Clinical.Inputs;

        public int GenomicWidth => Genomic.Inputs;

        public int TherapyWidth { get; }

        public int Embedding => Clinical.Outputs;

        public int Hidden => Output.Length;

        public static Member Read(Dictionary<string, (float[] Values, long[] Dims)> tensors, int m)
        {
            var prefix = $"m{m}";
            var clinical = Encoder.Read(tensors, prefix + "._clinical", "c1", "c2");
            var genomic = Encoder.Read(tensors, prefix + "._genomic", "g1", "g2");
            var e = clinical.Outputs;
            if (genomic.Outputs != e)
            {
                throw new InvalidDataException($"{prefix}: clinical and genomic embeddings differ in width");
            }

            var (conditioned, therapyWidth) = Shape(tensors, $"{prefix}._therapy.weight");
            var therapy = Tensor(tensors, $"{prefix}._therapy.weight", 2 * e, therapyWidth);
            if (conditioned != 2 * e)
            {
                throw new InvalidDataException($"{prefix}: the therapy embedding is {conditioned} wide, not {2 * e}");
            }

            var (hidden, headInputs) = Shape(tensors, $"{prefix}._head.h1.weight");
            if (headInputs != (6 * e) + 2 && headInputs != (6 * e) + 3)
            {
                throw new InvalidDataException($"{prefix}: the head takes {headInputs} inputs, not [patient, therapy, product, prior logit, biomarker context(, re-challenge)] = {(6 * e) + 2} or {(6 * e) + 3}");
            }

            var w1 = Tensor(tensors, $"{prefix}._head.h1.weight", hidden, headInputs);
            var b1 = Tensor(tensors, $"{prefix}._head.h1.bias", hidden);
            var w2 = Tensor(tensors, $"{prefix}._head.h2.weight", 1, hidden);
            var b2 = Tensor(tensors, $"{prefix}._head.h2.bias", 1);
            float W1(int h, int column) => w1[(h * headInputs) + column];
            float Condition(int j, int t) => therapy[(j * therapyWidth) + t];

            var clinicalColumns = new float[therapyWidth][];
            var genomicColumns = new float[therapyWidth][];
            var therapyBias = new float[therapyWidth][];
            for (var t = 0; t < therapyWidth; t++)
            {
                clinicalColumns[t] = new float[e * hidden];
                genomicColumns[t] = new float[e * hidden];
                for (var j = 0; j < 2 * e; j++)
                {
                    var columns = j < e ? clinicalColumns[t] : genomicColumns[t];
                    for (var h = 0; h < hidden; h++)
                    {
                        // Patient column j plus product column j scaled by the therapy's embedding j.
                        columns[((j % e) * hidden) + h] = W1(h, j) + (W1(h, (4 * e) + j) * Condition(j, t));
                    }
                }

                var bias = new float[hidden];
                for (var h = 0; h < hidden; h++)
                {
                    var sum = b1[h];
                    for (var j = 0; j < 2 * e; j++)
                    {
                        sum += W1(h, (2 * e) + j) * Condition(j, t);
                    }

                    bias[h] = sum;
                }

                therapyBias[t] = bias;
            }

            var priorColumn = Enumerable.Range(0, hidden).Select(h => W1(h, 6 * e)).ToArray();
            var contextColumn = Enumerable.Range(0, hidden).Select(h => W1(h, (6 * e) + 1)).ToArray();
            var rechallengeColumn = headInputs == (6 * e) + 3 ? Enumerable.Range(0, hidden).Select(h => W1(h, (6 * e) + 2)).ToArray() : null;
            return new Member(clinical, genomic, clinicalColumns, genomicColumns, therapyBias, priorColumn, contextColumn, rechallengeColumn, [.. w2], b2[0], therapyWidth);
        }
    }

    /// <summary>The prior's initializers; line and exclusion factors are null in graphs written before contexts carried them (1.0.0, 1.1.0).</summary>
    private sealed record PriorWeights(
        float[] CancerApplies, float[] BiomarkerPresent, float[] BiomarkerNotRequired, float[] TherapyIs, float[] Score, float MinimumRate, float MaximumRate,
        float[]? LineWeight, float[]? LineBias, float[]? BiomarkerExcluded, float[]? ProgressedOn)
    {
        public static PriorWeights Read(Dictionary<string, (float[] Values, long[] Dims)> tensors, int clinicalWidth, int genomicWidth, int therapyWidth)
        {
            var score = Tensor(tensors, "prior.score");
            var j = score.Length;
            var contextAware = tensors.ContainsKey("prior.line_weight");
            return new PriorWeights(
                Tensor(tensors, "prior.cancer_applies", clinicalWidth, j),
                Tensor(tensors, "prior.biomarker_present", genomicWidth, j),
                Tensor(tensors, "prior.biomarker_not_required", j),
                Tensor(tensors, "prior.therapy_is", therapyWidth, j),
                score,
                Scalar(tensors, "prior.minimum_rate"),
                Scalar(tensors, "prior.maximum_rate"),
                contextAware ? Tensor(tensors, "prior.line_weight", clinicalWidth, j) : null,
                contextAware ? Tensor(tensors, "prior.line_bias", j) : null,
                contextAware ? Tensor(tensors, "prior.biomarker_excluded", genomicWidth, j) : null,
                tensors.ContainsKey("prior.progressed_on") ? Tensor(tensors, "prior.progressed_on", clinicalWidth, therapyWidth) : null);
        }
    }
}
