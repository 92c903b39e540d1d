namespace Precision.Clinical;

/// <summary>Whether a fact without a date counts as known on the date asked about.</summary>
public enum UndatedFacts
{
    /// <summary>At the point of care: the fact is in the record now, so it is known now.</summary>
    Use,

    /// <summary>For a past date (a line's start, a training row): when it became known cannot be told, so it is not used.</summary>
    Exclude,
}

/// <summary>
/// The one as-of rule: the record as it stood on a date. Every fact is used only from its own date — performance status
/// and stage from their assessment, labs from their draw, genomic results from their report (issued, else effective
/// date), smoking status from its assessment, lines of therapy from their start and their best response from its
/// assessment. The featurizer, the catalog evidence and the rule-lookup baseline all read the profile through it, so a
/// training row is built exactly as the portal builds a prediction on that date.
/// </summary>
public static class AsOfRule
{
    public static bool KnownBy(DateOnly? on, DateOnly asOf, UndatedFacts undated) =>
        on is { } date ? date <= asOf : undated == UndatedFacts.Use;

    /// <summary>The profile with only the facts known by <paramref name="asOf"/>; the latest of each single-valued fact by then.</summary>
    public static PatientProfile Apply(PatientProfile profile, DateOnly asOf, UndatedFacts undated)
    {
        ArgumentNullException.ThrowIfNull(profile);
        bool Known(DateOnly? on) => KnownBy(on, asOf, undated);
        T? Single<T>(T? fact, Func<T, DateOnly?> date)
            where T : class => fact is not null && Known(date(fact)) ? fact : null;

        IReadOnlyList<EcogPerformanceStatus> ecogs = profile.EcogHistory.Count > 0 ? profile.EcogHistory : profile.Ecog is { } e ? [e] : [];
        IReadOnlyList<StageGroup> stages = profile.StageHistory.Count > 0 ? profile.StageHistory : profile.Stage is { } s ? [s] : [];
        var knownEcogs = ecogs.Where(x => Known(x.AssessedOn)).ToList();
        var knownStages = stages.Where(x => Known(x.AssessedOn)).ToList();
        return profile with
        {
            // Among facts known by then, the latest; an undated one (only when undated facts are used) counts as oldest.
            Ecog = knownEcogs.OrderByDescending(x => x.AssessedOn ?? DateOnly.MinValue).FirstOrDefault(),
            EcogHistory = knownEcogs,
            Stage = knownStages.OrderByDescending(x => x.AssessedOn ?? DateOnly.MinValue).FirstOrDefault(),
            StageHistory = knownStages,
            Smoking = Single(profile.Smoking, x => x.AssessedOn),
            Labs = [.. profile.Labs.Where(l => Known(l.EffectiveOn))],
            Variants = [.. profile.Variants.Where(v => Known(v.ReportedOn))],
            Fusions = [.. profile.Fusions.Where(f => Known(f.ReportedOn))],
            CopyNumberAlterations = [.. profile.CopyNumberAlterations.Where(c => Known(c.ReportedOn))],
            TumorMutationalBurden = Single(profile.TumorMutationalBurden, x => x.ReportedOn),
            Microsatellite = Single(profile.Microsatellite, x => x.ReportedOn),
            PdL1 = Single(profile.PdL1, x => x.ReportedOn),
            TCellInflamedSignature = Single(profile.TCellInflamedSignature, x => x.ReportedOn),
            EstrogenReceptor = Single(profile.EstrogenReceptor, x => x.ReportedOn),
            Pharmacogenomics = [.. profile.Pharmacogenomics.Where(p => Known(p.ReportedOn))],
            TherapyLines = [.. profile.TherapyLines
                .Where(l => Known(l.StartedOn))
                .Select(l => l with { EndedOn = Known(l.EndedOn) ? l.EndedOn : null })
                .Select(l => Known(l.ResponseAssessedOn) ? l : l with { BestResponse = null, ResponseAssessedOn = null, ResponseSource = null })],
        };
    }
}
