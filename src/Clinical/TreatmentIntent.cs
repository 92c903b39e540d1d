namespace Precision.Clinical;

/// <summary>
/// mCODE treatment intent (STU1 treatment-intent, STU2+ procedure-intent extension; SNOMED CT). mCODE has no code for
/// adjuvant or neoadjuvant therapy: both are curative in intent.
/// </summary>
public enum TreatmentIntent
{
    NotRecorded,

    /// <summary>373808002 Curative - procedure intent.</summary>
    Curative,

    /// <summary>363676003 Palliative - procedure intent.</summary>
    Palliative,

    /// <summary>399707004 Supportive - procedure intent.</summary>
    Supportive,

    /// <summary>Any other intent of the value set (diagnostic, preventive, screening …).</summary>
    Other,
}
