using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.Authorization;
using Precision.Portal.Client.TumorBoards;
using Precision.Portal.Server.Audit;
using Precision.Portal.Server.Authentication;
using Precision.Portal.Server.Health;
using Precision.Portal.Server.Hosting;

namespace Precision.Portal.Server.TumorBoards;

public static class TumorBoardsExtensions
{
    /// <summary>
    /// Tumor boards: the store named by <c>TumorBoards:Provider</c> — SQLite (default: <c>tumor-boards.db</c> under
    /// <c>Portal:DataDirectory</c>) or PostgreSQL (<c>TumorBoards:ConnectionString</c>) — with its readiness check, the
    /// in-process live session coordinator, sign-off tickets, and <see cref="ITumorBoards"/> for pages. Call after the
    /// audit trail. Settings that cannot work throw <see cref="PortalConfigurationException"/> naming the setting.
    /// </summary>
    public static WebApplicationBuilder AddPortalTumorBoards(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var section = builder.Configuration.GetSection(TumorBoardStoreOptions.SectionName);
        var provider = ValidateStoreSettings(section);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ITumorBoardStore>(sp =>
        {
            var options = section.Get<TumorBoardStoreOptions>() ?? new TumorBoardStoreOptions();
            options.DataDirectory = sp.GetRequiredService<PortalDataDirectory>().Path;
            return provider == DatabaseProvider.PostgreSql ? new PostgreSqlTumorBoardStore(options) : new SqliteTumorBoardStore(options);
        });
        builder.Services.AddHealthChecks().AddCheck<TumorBoardStoreHealthCheck>("tumor-board-store", tags: [PortalHealthChecks.ReadyTag]);
        builder.Services.AddSingleton<BoardSessionCoordinator>();
        builder.Services.AddSingleton<SignOffTickets>();
        builder.Services.AddScoped<BoardCircuitPresence>();
        builder.Services.AddScoped<CircuitHandler, BoardPresenceCircuitHandler>();
        builder.Services.AddScoped<IBoardUserSource, BoardUserSource>();
        builder.Services.AddScoped<TumorBoardService>();
        builder.Services.AddScoped<ITumorBoards>(sp => sp.GetRequiredService<TumorBoardService>());
        builder.Services.AddHostedService<TumorBoardStoreStartup>();
        return builder;
    }

    /// <summary>Refuses settings that cannot work, naming the setting and what it must be.</summary>
    internal static DatabaseProvider ValidateStoreSettings(IConfigurationSection section)
    {
        TumorBoardStoreOptions settings;
        try
        {
            settings = section.Get<TumorBoardStoreOptions>() ?? new TumorBoardStoreOptions();
        }
        catch (InvalidOperationException ex)
        {
            throw new PortalConfigurationException($"The TumorBoards settings could not be read: {ex.GetBaseException().Message}", ex);
        }

        var provider = settings.ParsedProvider;
        if (settings.BusyTimeout <= TimeSpan.Zero)
        {
            throw new PortalConfigurationException($"TumorBoards:BusyTimeout must be positive, e.g. 00:00:05 (it is {settings.BusyTimeout}).");
        }

        return provider;
    }

    /// <summary>The sign-off round trip through the identity provider, and the FHIR export of a case.</summary>
    public static IEndpointRouteBuilder MapPortalTumorBoards(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/tumor-boards/sign-off/{ticket}", SignOffAsync).RequireAuthorization(PortalPolicies.TumorBoards);
        endpoints.MapGet("/api/tumor-boards/{meetingId:guid}/cases/{caseId:guid}/fhir", ExportFhirAsync).RequireAuthorization(PortalPolicies.TumorBoards);
        return endpoints;
    }

    /// <summary>
    /// First visit: sends the chair to the identity provider with <c>prompt=login</c> and <c>max_age=0</c>. Back from
    /// it (the portal cookie now carries a fresh <c>auth_time</c>): signs, then returns to the meeting.
    /// </summary>
    private static async Task<IResult> SignOffAsync(string ticket, HttpContext context, SignOffTickets tickets, TumorBoardService boards)
    {
        if (tickets.Find(ticket) is not { } pending)
        {
            return Results.LocalRedirect("/tumor-boards?signoff=expired");
        }

        var back = $"/tumor-boards/{pending.MeetingId}?case={pending.CaseId}&signoff={pending.Ticket}";
        if (pending.Result is not null)
        {
            return Results.LocalRedirect(back);
        }

        var authenticated = BoardUsers.AuthenticatedAt(context.User);
        var fresh = authenticated is { } at && at >= pending.StartedUtc.AddSeconds(-1);
        if (!fresh && !pending.ChallengeSent)
        {
            pending.ChallengeSent = true;
            var properties = new OpenIdConnectChallengeProperties
            {
                Prompt = "login",
                MaxAge = TimeSpan.Zero,
                RedirectUri = "/tumor-boards/sign-off/" + pending.Ticket,
            };
            return Results.Challenge(properties, [PortalAuthenticationExtensions.OidcScheme]);
        }

        await boards.CompleteSignOffAsync(pending, context.RequestAborted).ConfigureAwait(false);
        return Results.LocalRedirect(back);
    }

    /// <summary>The case's signed or latest recommendation as FHIR; 503 with the reason when the board store or the audit trail fails.</summary>
    internal static async Task<IResult> ExportFhirAsync(Guid meetingId, Guid caseId, TumorBoardService boards, ITumorBoardStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        try
        {
            return await ExportFhirCoreAsync(meetingId, caseId, boards, store, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TumorBoardStoreException ex)
        {
            return Results.Problem(ex.Message, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        catch (AuditWriteException ex)
        {
            // Nothing leaves the portal unrecorded; say why, as the other endpoints do.
            return Results.Problem($"The export was refused because the audit trail could not record it: {ex.Message}", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static async Task<IResult> ExportFhirCoreAsync(Guid meetingId, Guid caseId, TumorBoardService boards, ITumorBoardStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var opened = await boards.OpenMeetingAsync(meetingId, cancellationToken).ConfigureAwait(false);
        if (opened.Value is not { } meeting)
        {
            return opened.Denied ? Results.Problem(opened.Error, statusCode: StatusCodes.Status403Forbidden) : Results.Problem(opened.Error, statusCode: StatusCodes.Status404NotFound);
        }

        if (meeting.Cases.FirstOrDefault(c => c.Id == caseId) is not { } boardCase)
        {
            return Results.Problem("That case is not on this meeting's agenda.", statusCode: StatusCodes.Status404NotFound);
        }

        var versions = await store.ReadRecommendationsAsync(caseId, cancellationToken).ConfigureAwait(false);
        if (versions.Count == 0)
        {
            return Results.Problem("There is no recommendation for this case yet, so there is nothing to export.", statusCode: StatusCodes.Status409Conflict);
        }

        // Recorded before anything leaves the portal: fail closed.
        var receipt = await boards.RecordReportExportAsync(meetingId, caseId, "fhir", cancellationToken).ConfigureAwait(false);
        if (!receipt.Succeeded)
        {
            return Results.Problem(receipt.Error, statusCode: StatusCodes.Status403Forbidden);
        }

        var bundle = TumorBoardFhirExport.Build(meeting, boardCase, versions[0], time.GetUtcNow());
        return Results.Text(TumorBoardFhirExport.ToJson(bundle), "application/fhir+json; charset=utf-8");
    }
}

/// <summary>Creates and migrates the tumor board database at start-up so problems show in the log at once.</summary>
internal sealed class TumorBoardStoreStartup(ITumorBoardStore store, ILogger<TumorBoardStoreStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (TumorBoardStoreException ex)
        {
            // Not rethrown: the rest of the portal keeps working; the readiness check reports it until it is fixed.
            logger.LogError(ex, "The tumor board store is unavailable: {Problem}", ex.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// Ready only when the tumor board store takes writes. Its message names the database and the setting to fix; the rest of
/// the portal keeps working when it is not.
/// </summary>
internal sealed class TumorBoardStoreHealthCheck(ITumorBoardStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.CheckWritableAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy("The tumor board store accepts writes.");
        }
        catch (TumorBoardStoreException ex)
        {
            return HealthCheckResult.Unhealthy(ex.Message);
        }
    }
}
