using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Hl7.Fhir.Serialization;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.Authorization;

namespace Precision.Portal.Server.Audit.Export;

/// <summary>
/// <c>GET /compliance/audit/export?format=fhir|ndjson|csv&amp;user=…&amp;patient=…&amp;action=…&amp;outcome=…&amp;from=…&amp;to=…&amp;modelVersion=…</c>:
/// the filtered events, newest first, as a FHIR R4 Bundle (collection) of BALP AuditEvents, as FHIR ndjson, or as CSV.
/// Compliance policy only. A plain GET link, so no antiforgery token is involved; it changes nothing but the trail.
/// The export covers the trail as it stood when the request came (events up to the head at that moment), counts it,
/// records an <c>audit.export</c> event with the filter and the count — and only then streams, page by page. If the
/// event cannot be recorded, nothing is exported (503).
/// </summary>
public static class AuditExportEndpoints
{
    public const string Path = AuditSearchQueryString.ExportPath;
    private const int ExportPageSize = AuditSearchQuery.MaxPageSize;

    public static IEndpointRouteBuilder MapPortalAuditEndpoints(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet(Path, ExportAsync).RequireAuthorization(PortalPolicies.Compliance);
        return endpoints;
    }

    private static async Task ExportAsync(HttpContext context, IAuditReader reader, IAuditTrail trail, ILoggerFactory loggers)
    {
        var cancellationToken = context.RequestAborted;
        var request = context.Request.Query;
        var format = request["format"].ToString().ToLowerInvariant() switch
        {
            "" or "fhir" or "bundle" => ExportFormat.Bundle,
            "ndjson" => ExportFormat.Ndjson,
            "csv" => ExportFormat.Csv,
            _ => (ExportFormat?)null,
        };
        var (query, problems) = AuditSearchQueryString.Parse(name => request.TryGetValue(name, out var v) ? v.ToString() : null);
        if (format is null)
        {
            problems = [.. problems, $"The format '{request["format"]}' is unknown; use fhir (a FHIR Bundle), ndjson or csv."];
        }

        if (problems.Count > 0 || query is null || format is null)
        {
            await PlainAsync(context, StatusCodes.Status400BadRequest, "The audit export could not run:\n- " + string.Join("\n- ", problems));
            return;
        }

        long count;
        AuditSearchQuery snapshot;
        try
        {
            // The trail as it stands now: later events (this export's own among them) are not part of it.
            var newest = await reader.ReadRecentAsync(1, cancellationToken);
            var through = newest.Count == 0 ? 0 : newest[0].Sequence;
            snapshot = query with
            {
                PageSize = ExportPageSize,
                BeforeSequence = Math.Min(query.BeforeSequence ?? long.MaxValue, through + 1),
            };
            count = through == 0 ? 0 : await reader.CountAsync(snapshot, cancellationToken);
            await trail.RecordAsync(new AuditEntry(AuditActions.AuditExport, AuditOutcome.Success, query.PatientReference, Path, new JsonObject
            {
                ["format"] = format.Value.ToString().ToLowerInvariant(),
                ["filter"] = AuditSearchQueryString.Format(query),
                ["throughSequence"] = snapshot.BeforeSequence - 1,
                ["count"] = count,
            }), cancellationToken);
        }
        catch (AuditWriteException ex)
        {
            await PlainAsync(context, StatusCodes.Status503ServiceUnavailable, $"The audit export was refused because the audit trail could not record it: {ex.Message}");
            return;
        }
        catch (InvalidOperationException ex)
        {
            loggers.CreateLogger(typeof(AuditExportEndpoints)).LogError(ex, "The audit trail could not be read for an export");
            await PlainAsync(context, StatusCodes.Status503ServiceUnavailable, $"The audit trail could not be read: {ex.Message}");
            return;
        }

        var stamp = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var (contentType, extension) = format switch
        {
            ExportFormat.Csv => ("text/csv; charset=utf-8", "csv"),
            ExportFormat.Ndjson => ("application/fhir+ndjson", "ndjson"),
            _ => ("application/fhir+json; charset=utf-8", "json"),
        };
        context.Response.ContentType = contentType;
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"audit-export-{stamp}.{extension}\"";
        context.Response.Headers["X-Audit-Export-Count"] = count.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers.CacheControl = "no-store";

        var serverName = context.Request.Host.Host;
        var writer = new StreamWriter(context.Response.Body, new UTF8Encoding(false), 64 * 1024);
        await using (writer.ConfigureAwait(false))
        {
            var builder = new StringBuilder();
            var first = true;
            switch (format)
            {
                case ExportFormat.Csv:
                    await writer.WriteAsync(AuditCsv.HeaderLine);
                    break;
                case ExportFormat.Bundle:
                    await writer.WriteAsync(
                        $$"""{"resourceType":"Bundle","id":"{{Guid.NewGuid():D}}","meta":{"lastUpdated":"{{DateTimeOffset.UtcNow:yyyy-MM-dd'T'HH:mm:ss.fff'Z'}}"},"type":"collection","timestamp":"{{DateTimeOffset.UtcNow:yyyy-MM-dd'T'HH:mm:ss.fff'Z'}}","entry":[""");
                    break;
            }

            var page = snapshot;
            while (snapshot.BeforeSequence > 1)
            {
                var result = await reader.SearchAsync(page, cancellationToken);
                builder.Clear();
                foreach (var e in result.Events)
                {
                    switch (format)
                    {
                        case ExportFormat.Csv:
                            AuditCsv.AppendRow(builder, e);
                            break;
                        case ExportFormat.Ndjson:
                            builder.Append(BalpAuditEventMapper.ToFhir(e, serverName).ToJson()).Append('\n');
                            break;
                        default:
                            builder.Append(first ? string.Empty : ",").Append("{\"fullUrl\":\"urn:uuid:").Append(e.Id.ToString("D"))
                                .Append("\",\"resource\":").Append(BalpAuditEventMapper.ToFhir(e, serverName).ToJson()).Append('}');
                            break;
                    }

                    first = false;
                }

                await writer.WriteAsync(builder, cancellationToken);
                await writer.FlushAsync(cancellationToken);
                if (result.NextBeforeSequence is not { } next)
                {
                    break;
                }

                page = page with { BeforeSequence = next };
            }

            if (format == ExportFormat.Bundle)
            {
                await writer.WriteAsync("]}");
            }
        }
    }

    private static async Task PlainAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(message + "\n");
    }

    private enum ExportFormat
    {
        Bundle,
        Ndjson,
        Csv,
    }
}
