namespace Precision.Clinical;

public enum ResourceUse
{
    /// <summary>The resource became a fact of the profile (or a part of one).</summary>
    Used,

    /// <summary>Read and deliberately not used; the detail says why.</summary>
    NotUsed,
}

/// <summary>What the mapper did with one resource: the fact it became, or why it was not used (the Data quality tab lists every one).</summary>
public sealed record ResourceAccount(SourceReference Source, ResourceUse Use, string Detail);
