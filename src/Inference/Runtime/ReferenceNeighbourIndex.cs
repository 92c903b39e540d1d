using System.Numerics.Tensors;
using Precision.Clinical;
using Precision.Clinical.Catalog;
using Precision.Inference.Evidence;

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
    private readonly IReadOnlySet<BiomarkerKind>[] _drivers;
    private readonly TherapyCatalog _catalog;

    public ReferenceNeighbourIndex(ReferencePopulation reference, int embeddingWidth, TherapyCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(catalog);
        _catalog = catalog;
        _width = embeddingWidth;
        _patients = [.. reference.Neighbours?.Patients ?? []];
        _cancerTypes = [.. _patients.Select(p => Enum.Parse<CancerType>(p.CancerType))];
        _drivers = [.. _patients.Select(p => DriverBiomarkers.Of((p.Biomarkers ?? []).Select(b => Enum.TryParse<BiomarkerKind>(b, out var kind) ? kind : BiomarkerKind.BiomarkerNegative)))];
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

    /// <summary>
    /// The <paramref name="count"/> nearest reference patients of <paramref name="cohort"/> (same cancer type, same driver
    /// biomarkers), closest first (ties by id, so the order is stable). Fewer when the cohort is smaller: never padded with
    /// patients of another cancer type or driver group.
    /// </summary>
    public IReadOnlyList<SimilarPatient> Nearest(ReadOnlySpan<float> embedding, SimilarityCohort cohort, int count)
    {
        RequireWidth(embedding);
        ArgumentNullException.ThrowIfNull(cohort);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var members = new List<(int Index, float Distance)>();
        for (var i = 0; i < _patients.Length; i++)
        {
            if (cohort.Includes(_cancerTypes[i], _drivers[i]))
            {
                members.Add((i, TensorPrimitives.Distance(embedding, _embeddings.AsSpan(i * _width, _width))));
            }
        }

        return [.. members
            .OrderBy(m => m.Distance).ThenBy(m => _patients[m.Index].Id, StringComparer.Ordinal)
            .Take(count)
            .Select(m => ToSimilar(m.Index, m.Distance))];
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

/// <summary>
/// Who may be called similar to a patient: reference patients with the same cancer type and exactly the same driver
/// biomarkers (<see cref="DriverBiomarkers"/>). Within it, the model's embedding distance orders them.
/// </summary>
public sealed record SimilarityCohort(CancerType CancerType, IReadOnlySet<BiomarkerKind> Drivers)
{
    /// <summary>The patient's primary cancer type (<see cref="CancerType.Other"/> without one) and driver biomarkers.</summary>
    public static SimilarityCohort Of(PatientProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return new SimilarityCohort(profile.PrimaryCancer?.CancerType ?? CancerType.Other, DriverBiomarkers.Of(profile));
    }

    /// <summary>E.g. "non-small cell lung cancer with EGFR sensitizing".</summary>
    public string Description
    {
        get
        {
            var cancer = CancerTypes.DisplayName(CancerType);
            return $"{char.ToLowerInvariant(cancer[0])}{cancer[1..]} with {DriverBiomarkers.Describe(Drivers)}";
        }
    }

    public bool Includes(CancerType cancerType, IReadOnlySet<BiomarkerKind> drivers)
    {
        ArgumentNullException.ThrowIfNull(drivers);
        return cancerType == CancerType && drivers.SetEquals(Drivers);
    }
}
