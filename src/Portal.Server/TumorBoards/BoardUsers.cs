using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Precision.Portal.Client.Authorization;
using Precision.Portal.Client.TumorBoards;
using Precision.Portal.Server.Audit;

namespace Precision.Portal.Server.TumorBoards;

/// <summary>Who is calling: the HTTP request's user, or the Blazor circuit's.</summary>
public interface IBoardUserSource
{
    Task<ClaimsPrincipal> UserAsync();
}

internal sealed class BoardUserSource(AuditCallContext call, IServiceProvider services) : IBoardUserSource
{
    public async Task<ClaimsPrincipal> UserAsync()
    {
        if (call.User is { } user)
        {
            return user;
        }

        var state = services.GetRequiredService<AuthenticationStateProvider>();
        return (await state.GetAuthenticationStateAsync().ConfigureAwait(false)).User;
    }
}

public static class BoardUsers
{
    /// <summary>The sign-in name attendees are invited by: <c>preferred_username</c>, else the subject.</summary>
    public static BoardMember MemberOf(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var subject = user.FindFirst("sub")?.Value ?? user.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? "unknown";
        var userName = user.FindFirst("preferred_username")?.Value ?? subject;
        var displayName = user.FindFirst("name")?.Value ?? user.Identity?.Name ?? userName;
        return new BoardMember(userName, displayName, subject);
    }

    public static bool MayRunMeetings(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true && (user.IsInRole(PortalRoles.TumorBoard) || user.IsInRole(PortalRoles.Admin));

    /// <summary>When the identity provider last authenticated the user (<c>auth_time</c>, seconds since 1970), if it said.</summary>
    public static DateTimeOffset? AuthenticatedAt(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return long.TryParse(user.FindFirst("auth_time")?.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;
    }
}
