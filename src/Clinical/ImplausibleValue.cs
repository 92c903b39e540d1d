namespace Precision.Clinical;

/// <summary>
/// A value the record gives for a fact the model reads that no patient can have (PD-L1 250 %, ECOG 9, TMB −5, born in
/// 1870): refused for that fact, never read as "not tested". The Data quality tab lists it as an error, and every
/// prediction for the patient carries an applicability warning naming it.
/// </summary>
/// <param name="Fact">The fact as the model's explanation names it ("PD-L1", "ECOG", "TMB", "Age", a lab).</param>
/// <param name="Value">The value as recorded, with its unit ("250 %").</param>
/// <param name="PlausibleRange">What would have been accepted ("0–100 %").</param>
public sealed record ImplausibleValue(string Fact, string Value, string PlausibleRange, SourceReference Source)
{
    public string Message => $"{Fact} {Value} ({Source.Reference}) is outside {PlausibleRange} and was refused: the prediction treats {Fact} as not recorded. Correct the source record.";
}
