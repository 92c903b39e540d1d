using System.Diagnostics;
using System.Numerics;
using System.Runtime.Intrinsics.X86;
using Precision.Inference.Features;
using Precision.Inference.Runtime;

namespace Precision.Inference.Explanations;

/// <summary>
/// Interventional Shapley values over a fixed reference sample, for many therapies at once, through one
/// <see cref="IBatchScorer"/>. The value of a coalition S for a therapy is the mean over the reference rows r of
/// f(x_S, r_¬S): players in S take the patient's features, the others the reference row's.
/// <para>
/// Exact (k ≤ <see cref="ShapleyOptions.MaxExactPlayers"/>): all 2^k coalitions × reference rows × therapies go to the
/// scorer as a few large runs (chunks of <see cref="ShapleyOptions.MaxRowsPerRun"/> rows), then the Shapley weights
/// |S|!(k−|S|−1)!/k! combine the coalition values. Above: permutation sampling with antithetic pairs and a standard
/// error per value. Either way the values sum to prediction − baseline: exactly when exact, per permutation when sampled.
/// </para>
/// The players must partition the features: every clinical and genomic feature belongs to exactly one player.
/// The engine keeps no per-call state: concurrent calls are safe when the scorer's are.
/// </summary>
public sealed class ShapleyEngine
{
    private readonly IBatchScorer _scorer;
    private readonly ReferenceSample _reference;
    private readonly ShapleyOptions _options;
    private readonly int _clinicalWidth;
    private readonly int _genomicWidth;
    private readonly float[] _referenceRows;
    private readonly SeparableEnsemble? _separable;

    /// <summary>Rows × therapies from which the separable path spreads reference rows over threads.</summary>
    private const long ParallelRows = 200_000;

    /// <param name="separable">
    /// When given, coalition rows are scored by evaluating each distinct clinical and genomic half once
    /// (<see cref="SeparableEnsemble"/>) instead of one <paramref name="scorer"/> row each; it must have been checked
    /// against the scorer (<see cref="SeparableEnsemble.CheckAgainst"/>).
    /// </param>
    public ShapleyEngine(IBatchScorer scorer, ReferenceSample reference, ShapleyOptions? options = null, SeparableEnsemble? separable = null)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        ArgumentNullException.ThrowIfNull(reference);
        _options = options ?? new ShapleyOptions();
        _options.Validate();
        if (reference.ClinicalWidth != scorer.ClinicalWidth || reference.GenomicWidth != scorer.GenomicWidth)
        {
            throw new ArgumentException(
                $"The reference sample has {reference.ClinicalWidth} clinical and {reference.GenomicWidth} genomic features; the model takes {scorer.ClinicalWidth} and {scorer.GenomicWidth}.",
                nameof(reference));
        }

        if (separable is not null && (separable.ClinicalWidth != scorer.ClinicalWidth || separable.GenomicWidth != scorer.GenomicWidth || separable.TherapyWidth != scorer.TherapyWidth))
        {
            throw new ArgumentException("The separable ensemble's input widths differ from the model's.", nameof(separable));
        }

        if (separable is { IsVerified: false })
        {
            throw new ArgumentException(
                $"The separable ensemble has not been checked against the model runtime within {SeparableEnsemble.ParityTolerance:0e0} (max difference {separable.MaxDifference?.ToString("0.0e0", System.Globalization.CultureInfo.InvariantCulture) ?? "not measured"}); call CheckAgainst first.",
                nameof(separable));
        }

        _separable = separable;
        _scorer = scorer;
        _reference = reference.Count > _options.ReferenceSize ? reference.Take(_options.ReferenceSize) : reference;
        _clinicalWidth = scorer.ClinicalWidth;
        _genomicWidth = scorer.GenomicWidth;
        var width = FeatureWidth;
        reference = _reference;
        _referenceRows = new float[reference.Count * width];
        for (var r = 0; r < reference.Count; r++)
        {
            reference.Clinical.Slice(r * _clinicalWidth, _clinicalWidth).CopyTo(_referenceRows.AsSpan(r * width));
            reference.Genomic.Slice(r * _genomicWidth, _genomicWidth).CopyTo(_referenceRows.AsSpan((r * width) + _clinicalWidth));
        }
    }

    /// <summary>The reference rows in use (the sample cut to <see cref="ShapleyOptions.ReferenceSize"/>).</summary>
    public ReferenceSample Reference => _reference;

    public ShapleyOptions Options => _options;

    /// <summary>How coalition rows are scored: each distinct clinical and genomic half once, or every distinct row through the runtime.</summary>
    public ShapleyEvaluation Evaluation => _separable is null ? ShapleyEvaluation.ModelRows : ShapleyEvaluation.Separable;

    /// <summary>The separable evaluation in use, if any (with its measured difference from the runtime).</summary>
    public SeparableEnsemble? Separable => _separable;

    private int FeatureWidth => _clinicalWidth + _genomicWidth;

    /// <summary>Model rows an exact computation would score for this patient and these players (after skipping identical rows).</summary>
    public long ExactRowCount(PatientFeatures patient, IReadOnlyList<ExplanationPlayer> players, int therapyCount)
    {
        var plan = Prepare(patient, players);
        return PlannedExactPatientRows(plan) * therapyCount;
    }

    /// <summary>Shapley values of <paramref name="players"/> for the therapies at <paramref name="therapies"/> (indices into the model's one-hot).</summary>
    public ShapleyValues Compute(PatientFeatures patient, IReadOnlyList<ExplanationPlayer> players, IReadOnlyList<int> therapies, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(therapies);
        if (therapies.Count == 0 || therapies.Any(t => t < 0 || t >= _scorer.TherapyWidth) || therapies.Distinct().Count() != therapies.Count)
        {
            throw new ArgumentException($"Therapies must be distinct indices in 0..{_scorer.TherapyWidth - 1}.", nameof(therapies));
        }

        var stopwatch = Stopwatch.StartNew();
        var plan = Prepare(patient, players);
        return plan.Players <= _options.MaxExactPlayers
            ? ComputeExact(plan, therapies, stopwatch, cancellationToken)
            : ComputeSampled(plan, therapies, stopwatch, cancellationToken);
    }

    private static long PlannedExactPatientRows(Plan plan) =>
        1 + plan.Differing.Sum(d => (1L << BitOperations.PopCount(d)) - 1);

    private Plan Prepare(PatientFeatures patient, IReadOnlyList<ExplanationPlayer> players)
    {
        ArgumentNullException.ThrowIfNull(patient);
        ArgumentNullException.ThrowIfNull(players);
        if (patient.Clinical.Length != _clinicalWidth || patient.Genomic.Length != _genomicWidth)
        {
            throw new ArgumentException($"The patient has {patient.Clinical.Length} clinical and {patient.Genomic.Length} genomic features; the model takes {_clinicalWidth} and {_genomicWidth}.", nameof(patient));
        }

        if (players.Count is 0 or > 64)
        {
            throw new ArgumentException($"Between 1 and 64 players are supported; got {players.Count}.", nameof(players));
        }

        var width = FeatureWidth;
        var owner = new int[width];
        Array.Fill(owner, -1);
        var features = new int[players.Count][];
        for (var p = 0; p < players.Count; p++)
        {
            features[p] = [.. players[p].ClinicalFeatures, .. players[p].GenomicFeatures.Select(g => g + _clinicalWidth)];
            foreach (var (index, isGenomic) in players[p].ClinicalFeatures.Select(i => (i, false)).Concat(players[p].GenomicFeatures.Select(i => (i, true))))
            {
                var limit = isGenomic ? _genomicWidth : _clinicalWidth;
                if (index < 0 || index >= limit)
                {
                    throw new ArgumentException($"Player '{players[p].Name}' names {(isGenomic ? "genomic" : "clinical")} feature {index}, outside 0..{limit - 1}.", nameof(players));
                }

                var combined = isGenomic ? index + _clinicalWidth : index;
                if (owner[combined] >= 0)
                {
                    throw new ArgumentException($"Feature {combined} belongs to both '{players[owner[combined]].Name}' and '{players[p].Name}'; players must not overlap.", nameof(players));
                }

                owner[combined] = p;
            }
        }

        if (Array.IndexOf(owner, -1) is var missing and >= 0)
        {
            throw new ArgumentException($"Feature {missing} belongs to no player; the players must cover every feature (add a residual player).", nameof(players));
        }

        var x = new float[width];
        patient.Clinical.CopyTo(x, 0);
        patient.Genomic.CopyTo(x, _clinicalWidth);
        var all = players.Count == 64 ? ulong.MaxValue : (1UL << players.Count) - 1;
        var differing = new ulong[_reference.Count];
        var differingClinical = new ulong[_reference.Count];
        var differingGenomic = new ulong[_reference.Count];
        for (var r = 0; r < _reference.Count; r++)
        {
            var row = _referenceRows.AsSpan(r * width, width);
            for (var f = 0; f < width; f++)
            {
                // Bitwise comparison: the row handed to the model is identical exactly when the bits are.
                if (!_options.SkipIdenticalRows || BitConverter.SingleToInt32Bits(row[f]) != BitConverter.SingleToInt32Bits(x[f]))
                {
                    (f < _clinicalWidth ? differingClinical : differingGenomic)[r] |= 1UL << owner[f];
                }
            }

            differing[r] = _options.SkipIdenticalRows ? differingClinical[r] | differingGenomic[r] : all;
        }

        return new Plan(x, features, differing, differingClinical, differingGenomic, players.Count);
    }

    private ShapleyValues ComputeExact(Plan plan, IReadOnlyList<int> therapies, Stopwatch stopwatch, CancellationToken cancellationToken)
    {
        var k = plan.Players;
        var t = therapies.Count;
        var referenceCount = _reference.Count;
        var patientRows = PlannedExactPatientRows(plan);
        if (patientRows * t > int.MaxValue)
        {
            throw new InvalidOperationException($"Exact Shapley for {k} players would score {patientRows * t:N0} rows; lower MaxExactPlayers or the reference sample size.");
        }

        // Patient row 0 is the patient; reference row r owns rows offset[r] .. offset[r] + 2^d_r − 2, one per proper
        // subset of the players on which it differs from the patient (the full subset is the patient itself).
        var offsets = new int[referenceCount];
        var keys = new List<(int Reference, ulong Key)>((int)patientRows) { (-1, 0) };
        for (var r = 0; r < referenceCount; r++)
        {
            offsets[r] = keys.Count;
            var d = plan.Differing[r];
            var subsets = (1UL << BitOperations.PopCount(d)) - 1;
            for (ulong j = 0; j < subsets; j++)
            {
                keys.Add((r, Deposit(j, d)));
            }
        }

        var outputs = Score(plan, keys, therapies, cancellationToken);

        var coalitions = 1 << k;
        var value = new double[coalitions * t];
        for (var r = 0; r < referenceCount; r++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var d = plan.Differing[r];
            var full = (1UL << BitOperations.PopCount(d)) - 1;
            for (var s = 0; s < coalitions; s++)
            {
                var j = Extract((ulong)s, d);
                var row = j == full ? 0 : offsets[r] + (int)j;
                var source = outputs.AsSpan(row * t, t);
                var target = value.AsSpan(s * t, t);
                for (var i = 0; i < t; i++)
                {
                    target[i] += source[i];
                }
            }
        }

        for (var i = 0; i < value.Length; i++)
        {
            value[i] /= referenceCount;
        }

        // φ_i = Σ_{S ∌ i} |S|!(k−|S|−1)!/k! · (v(S ∪ {i}) − v(S)); weight[s] = 1 / (k · C(k−1, s)).
        var weight = new double[k];
        for (var s = 0; s < k; s++)
        {
            weight[s] = 1.0 / (k * Binomial(k - 1, s));
        }

        var phi = new double[t * k];
        for (var s = 0; s < coalitions; s++)
        {
            var size = BitOperations.PopCount((uint)s);
            if (size == k)
            {
                continue;
            }

            var w = weight[size];

            for (var p = 0; p < k; p++)
            {
                if ((s & (1 << p)) != 0)
                {
                    continue;
                }

                var with = (s | (1 << p)) * t;
                var without = s * t;
                for (var i = 0; i < t; i++)
                {
                    phi[(i * k) + p] += w * (value[with + i] - value[without + i]);
                }
            }
        }

        var baseline = value.AsSpan(0, t).ToArray();
        var prediction = Array.ConvertAll(outputs.AsSpan(0, t).ToArray(), v => (double)v);
        return new ShapleyValues(ShapleyMethod.Exact, k, [.. therapies], baseline, prediction, phi, null, coalitions, null, (long)keys.Count * t, stopwatch.Elapsed);
    }

    private ShapleyValues ComputeSampled(Plan plan, IReadOnlyList<int> therapies, Stopwatch stopwatch, CancellationToken cancellationToken)
    {
        var k = plan.Players;
        var t = therapies.Count;
        var referenceCount = _reference.Count;
        var pairs = _options.Permutations / 2;
        var random = new Random(_options.Seed);
        var all = k == 64 ? ulong.MaxValue : (1UL << k) - 1;

        // Each permutation visits k + 1 prefixes; the empty and the full coalition are shared by all of them.
        var orders = new int[pairs][];
        var coalitionIndex = new Dictionary<ulong, int>();
        var coalitionList = new List<ulong>();
        int Coalition(ulong mask)
        {
            if (!coalitionIndex.TryGetValue(mask, out var index))
            {
                coalitionIndex[mask] = index = coalitionList.Count;
                coalitionList.Add(mask);
            }

            return index;
        }

        Coalition(0);
        Coalition(all);
        for (var pair = 0; pair < pairs; pair++)
        {
            var order = Enumerable.Range(0, k).ToArray();
            random.Shuffle(order);
            orders[pair] = order;
            ulong forward = 0, backward = 0;
            for (var m = 0; m < k - 1; m++)
            {
                forward |= 1UL << order[m];
                backward |= 1UL << order[k - 1 - m];
                Coalition(forward);
                Coalition(backward);
            }
        }

        // One model row per distinct (reference row, coalition ∩ players that differ); row 0 is the patient.
        var keys = new List<(int Reference, ulong Key)> { (-1, 0) };
        var rowOf = new int[coalitionList.Count * referenceCount];
        var perReference = new Dictionary<ulong, int>();
        for (var r = 0; r < referenceCount; r++)
        {
            perReference.Clear();
            var d = plan.Differing[r];
            for (var c = 0; c < coalitionList.Count; c++)
            {
                var key = coalitionList[c] & d;
                if (key == d)
                {
                    rowOf[(c * referenceCount) + r] = 0;
                    continue;
                }

                if (!perReference.TryGetValue(key, out var row))
                {
                    perReference[key] = row = keys.Count;
                    keys.Add((r, key));
                }

                rowOf[(c * referenceCount) + r] = row;
            }
        }

        var outputs = Score(plan, keys, therapies, cancellationToken);
        var value = new double[coalitionList.Count * t];
        for (var c = 0; c < coalitionList.Count; c++)
        {
            var target = value.AsSpan(c * t, t);
            for (var r = 0; r < referenceCount; r++)
            {
                var source = outputs.AsSpan(rowOf[(c * referenceCount) + r] * t, t);
                for (var i = 0; i < t; i++)
                {
                    target[i] += source[i];
                }
            }

            for (var i = 0; i < t; i++)
            {
                target[i] /= referenceCount;
            }
        }

        // Per antithetic pair, each player's marginal contribution averaged over the permutation and its reverse: one sample.
        var sum = new double[t * k];
        var sumOfSquares = new double[t * k];
        var sample = new double[t * k];
        for (var pair = 0; pair < pairs; pair++)
        {
            Array.Clear(sample);
            var order = orders[pair];
            foreach (var reversed in new[] { false, true })
            {
                ulong prefix = 0;
                var before = coalitionIndex[0];
                for (var m = 0; m < k; m++)
                {
                    var player = reversed ? order[k - 1 - m] : order[m];
                    prefix |= 1UL << player;
                    var after = coalitionIndex[prefix];
                    for (var i = 0; i < t; i++)
                    {
                        sample[(i * k) + player] += 0.5 * (value[(after * t) + i] - value[(before * t) + i]);
                    }

                    before = after;
                }
            }

            for (var i = 0; i < sample.Length; i++)
            {
                sum[i] += sample[i];
                sumOfSquares[i] += sample[i] * sample[i];
            }
        }

        var phi = new double[t * k];
        var standardError = new double[t * k];
        for (var i = 0; i < phi.Length; i++)
        {
            phi[i] = sum[i] / pairs;
            var variance = pairs > 1 ? Math.Max(0, (sumOfSquares[i] - (pairs * phi[i] * phi[i])) / (pairs - 1)) : 0;
            standardError[i] = Math.Sqrt(variance / pairs);
        }

        var baseline = value.AsSpan(coalitionIndex[0] * t, t).ToArray();
        var prediction = Array.ConvertAll(outputs.AsSpan(0, t).ToArray(), v => (double)v);
        return new ShapleyValues(ShapleyMethod.PermutationSampling, k, [.. therapies], baseline, prediction, phi, standardError,
            coalitionList.Count, _options.Permutations, (long)keys.Count * t, stopwatch.Elapsed);
    }

    /// <summary>
    /// Scores every (reference row, key) row for every therapy, in runs of at most <see cref="ShapleyOptions.MaxRowsPerRun"/>
    /// rows; output row <c>p × therapies + i</c> is patient row p with therapy i. Key −1 reference means the patient.
    /// </summary>
    private float[] Score(Plan plan, List<(int Reference, ulong Key)> keys, IReadOnlyList<int> therapies, CancellationToken cancellationToken)
    {
        if (_separable is not null)
        {
            return ScoreSeparable(_separable, plan, keys, therapies, cancellationToken);
        }

        var t = therapies.Count;
        var c = _clinicalWidth;
        var g = _genomicWidth;
        var width = FeatureWidth;
        var therapyWidth = _scorer.TherapyWidth;
        var patientRowsPerRun = Math.Max(1, _options.MaxRowsPerRun / t);
        patientRowsPerRun = Math.Min(patientRowsPerRun, keys.Count);
        var capacity = patientRowsPerRun * t;
        var clinical = new float[capacity * c];
        var genomic = new float[capacity * g];
        var therapy = new float[capacity * therapyWidth];
        for (var row = 0; row < capacity; row++)
        {
            therapy[(row * therapyWidth) + therapies[row % t]] = 1f;
        }

        var outputs = new float[keys.Count * t];
        var work = new float[width];
        for (var start = 0; start < keys.Count; start += patientRowsPerRun)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = Math.Min(patientRowsPerRun, keys.Count - start);
            for (var n = 0; n < count; n++)
            {
                var (reference, key) = keys[start + n];
                if (reference < 0)
                {
                    plan.Patient.CopyTo(work, 0);
                }
                else
                {
                    _referenceRows.AsSpan(reference * width, width).CopyTo(work);
                    for (var remaining = key; remaining != 0; remaining &= remaining - 1)
                    {
                        foreach (var f in plan.Features[BitOperations.TrailingZeroCount(remaining)])
                        {
                            work[f] = plan.Patient[f];
                        }
                    }
                }

                var clinicalPart = work.AsSpan(0, c);
                var genomicPart = work.AsSpan(c, g);
                var first = n * t;
                for (var i = 0; i < t; i++)
                {
                    clinicalPart.CopyTo(clinical.AsSpan((first + i) * c, c));
                    genomicPart.CopyTo(genomic.AsSpan((first + i) * g, g));
                }
            }

            var rows = count * t;
            var output = outputs.AsSpan(start * t, rows);
            _scorer.Score(clinical.AsSpan(0, rows * c), genomic.AsSpan(0, rows * g), therapy.AsSpan(0, rows * therapyWidth), output);
            ThrowIfNotFinite(output);
        }

        return outputs;
    }

    /// <summary>
    /// <see cref="Score"/> through the <see cref="SeparableEnsemble"/>: per reference row, each distinct clinical half
    /// (the patient's values for the coalition's players whose clinical features differ, the reference row's elsewhere)
    /// and each distinct genomic half is tabulated once for all therapies, then every row combines one of each.
    /// Reference rows are independent and run in parallel.
    /// </summary>
    private float[] ScoreSeparable(SeparableEnsemble separable, Plan plan, List<(int Reference, ulong Key)> keys, IReadOnlyList<int> therapies, CancellationToken cancellationToken)
    {
        var t = therapies.Count;
        var outputs = new float[keys.Count * t];

        // Keys come grouped by reference row (the patient's own row first, reference −1).
        var groups = new List<(int Reference, int Start, int End)>();
        for (var start = 0; start < keys.Count;)
        {
            var end = start;
            while (end < keys.Count && keys[end].Reference == keys[start].Reference)
            {
                end++;
            }

            groups.Add((keys[start].Reference, start, end));
            start = end;
        }

        var explained = therapies.ToArray();
        // Threads pay off only for large explanations (measured: all therapies at k = 8, ≈ 94 k rows, ran slower in parallel).
        var parallelism = (long)keys.Count * t >= ParallelRows ? _options.MaxDegreeOfParallelism : 1;
        var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = parallelism };
        Parallel.ForEach(groups, parallel, () => new SeparableWork(separable, _clinicalWidth, _genomicWidth), (group, _, work) =>
        {
            ScoreGroup(separable, plan, keys, group, explained, work, outputs);
            return work;
        }, _ => { });

        ThrowIfNotFinite(outputs);

        return outputs;
    }

    private void ScoreGroup(SeparableEnsemble separable, Plan plan, List<(int Reference, ulong Key)> keys, (int Reference, int Start, int End) group, int[] therapies, SeparableWork work, float[] outputs)
    {
        var t = therapies.Length;
        var (r, start, end) = group;
        var rows = end - start;
        var clinicalMask = r < 0 ? 0UL : plan.DifferingClinical[r];
        var genomicMask = r < 0 ? 0UL : plan.DifferingGenomic[r];
        work.Begin(rows);
        for (var k = start; k < end; k++)
        {
            // The patient's row takes every feature from the patient: as if every player were in the coalition.
            var key = r < 0 ? ulong.MaxValue : keys[k].Key;
            work.RowClinical[k - start] = Half(work.ClinicalIndex, work.ClinicalKeys, key & clinicalMask);
            work.RowGenomic[k - start] = Half(work.GenomicIndex, work.GenomicKeys, key & genomicMask);
        }

        var clinicalHalves = work.ClinicalKeys.Count;
        var genomicHalves = work.GenomicKeys.Count;
        var embedding = separable.EmbeddingWidth;
        var entries = separable.PriorEntries;
        var block = separable.BlockWidth;
        work.EnsureHalves(clinicalHalves, genomicHalves);

        // Each half through the encoders once.
        var width = FeatureWidth;
        var reference = r < 0 ? plan.Patient.AsSpan() : _referenceRows.AsSpan(r * width, width);
        for (var i = 0; i < clinicalHalves; i++)
        {
            BuildHalf(plan, reference, work.ClinicalKeys[i], 0, _clinicalWidth, work.Row);
            separable.EncodeClinical(work.Row.AsSpan(0, _clinicalWidth), work.ClinicalEmbeddings.AsSpan(i * embedding, embedding), work.Cancer.AsSpan(i * entries, entries), work.Ensemble);
        }

        for (var i = 0; i < genomicHalves; i++)
        {
            BuildHalf(plan, reference, work.GenomicKeys[i], _clinicalWidth, _genomicWidth, work.Row);
            separable.EncodeGenomic(work.Row.AsSpan(0, _genomicWidth), work.GenomicEmbeddings.AsSpan(i * embedding, embedding), work.Biomarker.AsSpan(i * entries, entries), work.Ensemble);
        }

        // The prior depends on the clinical half only through its cancer-type match (the same for most halves: the
        // patient's cancer type or the reference row's), so it is computed per distinct match and genomic half.
        var classes = new List<int>();
        for (var i = 0; i < clinicalHalves; i++)
        {
            var cancer = work.Cancer.AsSpan(i * entries, entries);
            var found = -1;
            for (var c = 0; c < classes.Count && found < 0; c++)
            {
                found = work.Cancer.AsSpan(classes[c] * entries, entries).SequenceEqual(cancer) ? c : -1;
            }

            if (found < 0)
            {
                found = classes.Count;
                classes.Add(i);
            }

            work.CancerClass[i] = found;
        }

        var pairs = classes.Count * genomicHalves;
        work.EnsurePairs(pairs, t);
        for (var c = 0; c < classes.Count; c++)
        {
            for (var g = 0; g < genomicHalves; g++)
            {
                var pair = (c * genomicHalves) + g;
                separable.TabulatePrior(work.Cancer.AsSpan(classes[c] * entries, entries), work.Biomarker.AsSpan(g * entries, entries), therapies,
                    work.PriorLogit.AsSpan(pair * t, t), work.PriorContext.AsSpan(pair * t, t));
            }
        }

        for (var k = 0; k < rows; k++)
        {
            work.RowPair[k] = (work.CancerClass[work.RowClinical[k]] * genomicHalves) + work.RowGenomic[k];
        }

        // Therapy by therapy: this therapy's terms of every half, then every row; all of it stays in cache.
        for (var i = 0; i < t; i++)
        {
            var therapy = therapies[i];
            for (var c = 0; c < clinicalHalves; c++)
            {
                separable.ClinicalBlock(work.ClinicalEmbeddings.AsSpan(c * embedding, embedding), therapy, work.ClinicalBlocks.AsSpan(c * block, block));
            }

            for (var g = 0; g < genomicHalves; g++)
            {
                separable.GenomicBlock(work.GenomicEmbeddings.AsSpan(g * embedding, embedding), therapy, work.GenomicBlock);
                for (var c = 0; c < classes.Count; c++)
                {
                    var pair = (c * genomicHalves) + g;
                    work.OutputConstant[pair] = separable.FoldPrior(
                        work.GenomicBlock, work.PriorLogit[(pair * t) + i], work.PriorContext[(pair * t) + i], work.Folded.AsSpan(pair * block, block));
                }
            }

            var logits = work.Logits.AsSpan(0, rows);
            var clinicalBlocks = work.ClinicalBlocks;
            var folded = work.Folded;
            for (var k = 0; k < rows; k++)
            {
                var pair = work.RowPair[k];
                logits[k] = separable.CalibratedLogit(clinicalBlocks.AsSpan(work.RowClinical[k] * block, block), folded.AsSpan(pair * block, block), work.OutputConstant[pair]);
            }

            SeparableEnsemble.Sigmoid(logits);
            for (var k = 0; k < rows; k++)
            {
                outputs[((start + k) * t) + i] = logits[k];
            }
        }

        static int Half(Dictionary<ulong, int> index, List<ulong> list, ulong key)
        {
            if (!index.TryGetValue(key, out var position))
            {
                index[key] = position = list.Count;
                list.Add(key);
            }

            return position;
        }
    }

    /// <summary>Features [offset, offset + count) of the row: the reference's, with the patient's for the players in <paramref name="key"/>.</summary>
    private static void BuildHalf(Plan plan, ReadOnlySpan<float> reference, ulong key, int offset, int count, float[] row)
    {
        reference.Slice(offset, count).CopyTo(row);
        for (var remaining = key; remaining != 0; remaining &= remaining - 1)
        {
            foreach (var f in plan.Features[BitOperations.TrailingZeroCount(remaining)])
            {
                if (f >= offset && f < offset + count)
                {
                    row[f - offset] = plan.Patient[f];
                }
            }
        }
    }

    /// <summary>One thread's scratch for <see cref="ScoreSeparable"/>: the halves of one reference row's keys, their embeddings and terms.</summary>
    private sealed class SeparableWork(SeparableEnsemble separable, int clinicalWidth, int genomicWidth)
    {
        public SeparableEnsemble.Workspace Ensemble { get; } = new(separable);

        public Dictionary<ulong, int> ClinicalIndex { get; } = [];

        public Dictionary<ulong, int> GenomicIndex { get; } = [];

        public List<ulong> ClinicalKeys { get; } = [];

        public List<ulong> GenomicKeys { get; } = [];

        public float[] Row { get; } = new float[Math.Max(clinicalWidth, genomicWidth)];

        public float[] GenomicBlock { get; } = new float[separable.BlockWidth];

        /// <summary>Per row of the group: its clinical half, genomic half, and (cancer-type match, genomic half) pair.</summary>
        public int[] RowClinical { get; private set; } = [];

        public int[] RowGenomic { get; private set; } = [];

        public int[] RowPair { get; private set; } = [];

        public float[] Logits { get; private set; } = [];

        /// <summary>Per clinical half: embeddings, the prior's cancer-type match, its distinct-match index, this therapy's term.</summary>
        public float[] ClinicalEmbeddings { get; private set; } = [];

        public float[] Cancer { get; private set; } = [];

        public int[] CancerClass { get; private set; } = [];

        public float[] ClinicalBlocks { get; private set; } = [];

        public float[] GenomicEmbeddings { get; private set; } = [];

        public float[] Biomarker { get; private set; } = [];

        /// <summary>Per (cancer-type match, genomic half): prior per therapy, and this therapy's folded term and constant.</summary>
        public float[] PriorLogit { get; private set; } = [];

        public float[] PriorContext { get; private set; } = [];

        public float[] Folded { get; private set; } = [];

        public float[] OutputConstant { get; private set; } = [];

        public void Begin(int rows)
        {
            ClinicalIndex.Clear();
            GenomicIndex.Clear();
            ClinicalKeys.Clear();
            GenomicKeys.Clear();
            if (RowClinical.Length < rows)
            {
                RowClinical = new int[rows];
                RowGenomic = new int[rows];
                RowPair = new int[rows];
                Logits = new float[rows];
            }
        }

        public void EnsureHalves(int clinical, int genomic)
        {
            if (CancerClass.Length < clinical)
            {
                ClinicalEmbeddings = new float[clinical * separable.EmbeddingWidth];
                Cancer = new float[clinical * separable.PriorEntries];
                CancerClass = new int[clinical];
                ClinicalBlocks = new float[clinical * separable.BlockWidth];
            }

            if (GenomicEmbeddings.Length < genomic * separable.EmbeddingWidth)
            {
                GenomicEmbeddings = new float[genomic * separable.EmbeddingWidth];
                Biomarker = new float[genomic * separable.PriorEntries];
            }
        }

        public void EnsurePairs(int pairs, int therapies)
        {
            if (OutputConstant.Length < pairs)
            {
                OutputConstant = new float[pairs];
                Folded = new float[pairs * separable.BlockWidth];
            }

            if (PriorLogit.Length < pairs * therapies)
            {
                PriorLogit = new float[pairs * therapies];
                PriorContext = new float[pairs * therapies];
            }
        }
    }

    private static void ThrowIfNotFinite(ReadOnlySpan<float> outputs)
    {
        foreach (var v in outputs)
        {
            if (!float.IsFinite(v))
            {
                throw new InvalidOperationException("The model returned a non-finite value for an explanation row.");
            }
        }
    }

    private static double Binomial(int n, int k)
    {
        var result = 1.0;
        for (var i = 1; i <= k; i++)
        {
            result = result * (n - k + i) / i;
        }

        return result;
    }

    /// <summary>The bits of <paramref name="value"/> at the set positions of <paramref name="mask"/>, packed to the low end (PEXT).</summary>
    private static ulong Extract(ulong value, ulong mask)
    {
        if (Bmi2.X64.IsSupported)
        {
            return Bmi2.X64.ParallelBitExtract(value, mask);
        }

        ulong result = 0;
        var bit = 0;
        for (var m = mask; m != 0; m &= m - 1, bit++)
        {
            if ((value & (m & (ulong)-(long)m)) != 0)
            {
                result |= 1UL << bit;
            }
        }

        return result;
    }

    /// <summary>The low bits of <paramref name="value"/> spread onto the set positions of <paramref name="mask"/> (PDEP).</summary>
    private static ulong Deposit(ulong value, ulong mask)
    {
        if (Bmi2.X64.IsSupported)
        {
            return Bmi2.X64.ParallelBitDeposit(value, mask);
        }

        ulong result = 0;
        var bit = 0;
        for (var m = mask; m != 0; m &= m - 1, bit++)
        {
            if ((value & (1UL << bit)) != 0)
            {
                result |= m & (ulong)-(long)m;
            }
        }

        return result;
    }

    /// <param name="DifferingClinical">Per reference row, the players whose clinical features differ from the patient's.</param>
    private sealed record Plan(float[] Patient, int[][] Features, ulong[] Differing, ulong[] DifferingClinical, ulong[] DifferingGenomic, int Players);
}
