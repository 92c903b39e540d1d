namespace Precision.Clinical;

/// <summary>Patient.deceased[x] when it says the patient died (deceasedBoolean true or a deceasedDateTime).</summary>
public sealed record VitalStatus(DateOnly? DeceasedOn, SourceReference Source)
{
    public string Label => DeceasedOn is { } on ? "Deceased " + on.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) : "Deceased";
}
