using Microsoft.IdentityModel.Tokens;

namespace Precision.Portal.DevIdentity;

/// <summary>A demo account of the development identity provider. Passwords are shown on its login page on purpose.</summary>
public sealed record DevIdentityUser(string UserName, string Password, string DisplayName, IReadOnlyList<string> Roles)
{
    /// <summary>Stable subject identifier, as a real provider would issue.</summary>
    public string Subject => "dev-" + UserName;
}

/// <summary>An OIDC client (relying party) registered with the development identity provider.</summary>
public sealed record DevIdentityClient(
    string ClientId,
    string ClientSecret,
    IReadOnlyList<Uri> RedirectUris,
    IReadOnlyList<Uri> PostLogoutRedirectUris);

public sealed class DevIdentityOptions
{
    /// <summary>Where the provider listens; also its issuer.</summary>
    public Uri Url { get; set; } = new("http://localhost:5081/");

    public IList<DevIdentityUser> Users { get; } = [.. DefaultUsers, .. MoreBoardMembers];

    public IList<DevIdentityClient> Clients { get; } = [];

    /// <summary>Token signing key; a fresh RSA key when null. Tests pass their own to mint forged or expired tokens.</summary>
    public SecurityKey? SigningKey { get; set; }

    /// <summary>Lifetime of issued identity tokens.</summary>
    public TimeSpan IdentityTokenLifetime { get; set; } = TimeSpan.FromMinutes(20);

    /// <summary>One demo user per portal role.</summary>
    public static IReadOnlyList<DevIdentityUser> DefaultUsers { get; } =
    [
        new("clinician", "clinician-demo", "Dr. Clara Imhof", ["clinician"]),
        new("board", "board-demo", "Dr. Tomas Berg", ["tumor-board"]),
        new("compliance", "compliance-demo", "Carmen Okafor", ["compliance"]),
        new("admin", "admin-demo", "Ada Lindqvist", ["admin"]),
    ];

    /// <summary>Two more tumor board members, so a meeting can have several people (and someone not invited).</summary>
    public static IReadOnlyList<DevIdentityUser> MoreBoardMembers { get; } =
    [
        new("board2", "board2-demo", "Dr. Amira Haddad", ["tumor-board"]),
        new("board3", "board3-demo", "Dr. Jonas Weber", ["tumor-board"]),
    ];
}
