namespace Precision.Clinical;

/// <summary>A variant result reported as Absent (LOINC LA9634-2): the lab looked for this change and did not find it.</summary>
public sealed record NegativeGenomicFinding(string Gene, string? Change, SourceReference Source)
{
    public string Label => Gene + (Change is null ? string.Empty : " " + Change) + " not detected";
}
