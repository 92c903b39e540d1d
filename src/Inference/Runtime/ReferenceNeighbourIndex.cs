using System.Numerics.Tensors;
using Precision.Clinical;
using Precision.Clinical.Catalog;

namespace Precision.Inference.Runtime;

/// <summary>
/// The reference patients' embeddings in one contiguous array, searched exhaustively: at most a few thousand patients
/// of 32 values, a few tens of microseconds, exact, and nothing to tune or keep in sync.
/// </summary>
public sealed class ReferenceNeighbourIndex
{
    private readonly float[] _embeddings;
    private readonly int _width;
    private readonly ReferencePatient[] _patients;
    private readonly CancerType[] _cancerTypes;
    private readonly TherapyCatalog _catalog;

    public ReferenceNeighbourIndex(ReferencePopulation reference, int embeddingWidth, TherapyCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(catalog);
        _catalog = catalog;
        _width = embeddingWidth;
        _patients = [.. reference.Neighbours?.Patients ?? []];
        _cancerTypes = [.. _patients.Select(p => Enum.Parse<CancerType>(p.CancerType))];
        _embeddings = new float[_patients.Length * _width];
        for (var i = 0; i < _patients.Length; i++)
        {
            _patients[i].Embedding.AsSpan(0, _width).CopyTo(_embeddings.AsSpan(i * _width));
        }
    }

    public int Count => _patients.Length;

    /// <summary>Euclidean distance to the nearest reference patient; null when there are none.</summary>
    public double? NearestDistance(ReadOnlySpan<float> embedding)
    {
        RequireWidth(embedding);
        var best = float.PositiveInfinity;
        for (var i = 0; i < _patients.Length; i++)
        {
            best = Math.Min(best, TensorPrimitives.Distance(embedding, _embeddings.AsSpan(i * _width, _width)));
        }

        return _patients.Length == 0 ? null : best;
    }

    /// <summary>The <paramref name="count"/> nearest reference patients, closest first (ties by id, so the order is stable).</summary>
    public IReadOnlyList<SimilarPatient> Nearest(ReadOnlySpan<float> embedding, int count)
    {
        RequireWidth(embedding);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var distances = new float[_patients.Length];
        for (var i = 0; i < _patients.Length; i++)
        {
            distances[i] = TensorPrimitives.Distance(embedding, _embeddings.AsSpan(i * _width, _width));
        }

        return [.. Enumerable.Range(0, _patients.Length)
            .OrderBy(i => distances[i]).ThenBy(i => _patients[i].Id, StringComparer.Ordinal)
            .Take(count)
            .Select(i => ToSimilar(i, distances[i]))];
    }

    private SimilarPatient ToSimilar(int i, double distance)
    {
        var p = _patients[i];
        var therapy = _catalog.Therapies.FirstOrDefault(t => t.Id == p.TherapyId)?.DisplayName ?? p.TherapyId;
        return new SimilarPatient(p.Id, _cancerTypes[i], p.AgeBand, p.Sex, p.Biomarkers ?? [], p.TherapyId, therapy, p.LineNumber, p.Responded, distance);
    }

    private void RequireWidth(ReadOnlySpan<float> embedding)
    {
        if (embedding.Length != _width)
        {
            throw new ArgumentException($"The embedding has {embedding.Length} values; the model's has {_width}.", nameof(embedding));
        }
    }
}
