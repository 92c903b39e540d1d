using System.Security.Claims;

namespace Precision.Portal.Client.Authorization;

/// <summary>Values of the identity provider's <c>role</c> claim that the portal understands.</summary>
public static class PortalRoles
{
    public const string ClaimType = "role";
    public const string Clinician = "clinician";
    public const string TumorBoard = "tumor-board";
    public const string Compliance = "compliance";
    public const string Admin = "admin";

    public static IReadOnlyList<string> All { get; } = [Clinician, TumorBoard, Compliance, Admin];

    /// <summary>The user's portal roles; unknown role values are ignored, never trusted.</summary>
    public static IReadOnlyList<string> Of(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return [.. All.Where(user.IsInRole)];
    }

    public static string DisplayName(string role) => role switch
    {
        Clinician => "Clinician",
        TumorBoard => "Tumor board member",
        Compliance => "Compliance officer",
        Admin => "Administrator",
        _ => role,
    };
}

/// <summary>Authorization policy names; registered by the host from <see cref="PortalSections"/>.</summary>
public static class PortalPolicies
{
    public const string Patients = "section-patients";
    public const string TumorBoards = "section-tumor-boards";
    public const string Compliance = "section-compliance";
    public const string Administration = "section-administration";
}

/// <summary>A navigation section and the roles that may open it.</summary>
public sealed record PortalSection(string Title, string Href, string Icon, string Policy, IReadOnlyList<string> Roles, string Description)
{
    public bool IsOpenTo(string role) => Roles.Contains(role, StringComparer.Ordinal);

    public bool IsOpenTo(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return Roles.Any(user.IsInRole);
    }
}

/// <summary>The role matrix: each section and the roles that reach it. Navigation, policies and tests read it from here.</summary>
public static class PortalSections
{
    public static IReadOnlyList<PortalSection> All { get; } =
    [
        new("Patients", "patients", MudBlazor.Icons.Material.Filled.People, PortalPolicies.Patients, [PortalRoles.Clinician],
            "Your patients' records, predictions and explanations."),
        new("Tumor boards", "tumor-boards", MudBlazor.Icons.Material.Filled.Groups, PortalPolicies.TumorBoards, [PortalRoles.TumorBoard],
            "Meetings, live case sessions and signed recommendations."),
        new("Compliance", "compliance", MudBlazor.Icons.Material.Filled.Policy, PortalPolicies.Compliance, [PortalRoles.Compliance, PortalRoles.Admin],
            "The audit trail: who saw what, when, and whether the record is intact; model monitoring."),
        new("Administration", "administration", MudBlazor.Icons.Material.Filled.AdminPanelSettings, PortalPolicies.Administration, [PortalRoles.Admin],
            "System status: audit store, identity provider, configuration."),
    ];

    public static IReadOnlyList<PortalSection> VisibleTo(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return [.. All.Where(s => s.IsOpenTo(user))];
    }

    /// <summary>The sections a role reaches, in navigation order.</summary>
    public static IReadOnlyList<PortalSection> OpenTo(string role) => [.. All.Where(s => s.IsOpenTo(role))];
}
