using System.Globalization;

namespace Precision.Portal.Client.Pages.TumorBoard.Components;

/// <summary>How tumor board pages write times and numbers: UTC, invariant, unambiguous.</summary>
public static class BoardFormat
{
    public static string Utc(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC";

    public static string Percent(double p) => (p * 100).ToString("0", CultureInfo.InvariantCulture) + "%";

    public static string Interval(double low, double high) =>
        (low * 100).ToString("0", CultureInfo.InvariantCulture) + "–" + (high * 100).ToString("0", CultureInfo.InvariantCulture) + "%";

    /// <summary>The catalog evidence for a therapy, e.g. "FDA approved (level 1) · 37% published (KRAS G12C NSCLC)"; never a rate where no context matches.</summary>
    public static string Evidence(Precision.Portal.Client.Predictions.TherapyEvidence evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        return evidence.PublishedResponseRate is { } published
            ? evidence.EvidenceLevel + " · " + Percent(published) + " published" + (evidence.Context is { } c ? " (" + c + ")" : string.Empty)
            : "No catalog context for this patient";
    }

    public static string Status(Precision.Portal.Client.TumorBoards.BoardCaseStatus status) => status switch
    {
        Precision.Portal.Client.TumorBoards.BoardCaseStatus.AwaitingDiscussion => "Awaiting discussion",
        Precision.Portal.Client.TumorBoards.BoardCaseStatus.Draft => "Draft recommendation",
        Precision.Portal.Client.TumorBoards.BoardCaseStatus.SignedOff => "Signed off",
        _ => status.ToString(),
    };

    public static string Kind(Precision.Portal.Client.TumorBoards.RecommendationKind kind) => kind switch
    {
        Precision.Portal.Client.TumorBoards.RecommendationKind.Therapy => "Therapy",
        Precision.Portal.Client.TumorBoards.RecommendationKind.ClinicalTrial => "Clinical trial",
        _ => "No recommendation",
    };
}
