using System.Data.Common;
using System.Globalization;
using Dapper;
using Precision.Portal.Client.ModelVersions;
using Precision.Portal.Server.Audit;

namespace Precision.Portal.Server.ModelVersions;

/// <summary>
/// What both engines share: the statements (plain SQL both dialects accept), row mapping, time format and error
/// wrapping. Each engine opens connections, takes its write lock and migrates.
/// </summary>
public abstract class ModelActivationStore : IModelActivationStore, IDisposable
{
    private const string Columns = """
        id AS Id, version AS Version, onnx_sha256 AS OnnxSha256, previous_version AS PreviousVersion,
        previous_onnx_sha256 AS PreviousOnnxSha256, kind AS Kind, reason AS Reason, actor_subject AS ActorSubject,
        actor_name AS ActorName, activated_utc AS ActivatedUtc, audit_event_id AS AuditEventId
        """;

    private readonly SemaphoreSlim _initializeLock = new(1, 1);
    private volatile bool _initialized;

    public abstract string Location { get; }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        if (_initialized)
        {
            return;
        }

        await _initializeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialized)
            {
                return;
            }

            try
            {
                await MigrateAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is DbException or InvalidOperationException or IOException or UnauthorizedAccessException or TimeoutException)
            {
                throw new ModelActivationStoreException(
                    $"The model activation history ({Location}) could not be opened or migrated: {ex.Message} "
                    + "Check that the database is reachable and writable (ModelRegistry:Provider, ModelRegistry:ConnectionString or Portal:DataDirectory).", ex);
            }

            _initialized = true;
        }
        finally
        {
            _initializeLock.Release();
        }
    }

    public async Task<ModelActivationRecord?> ReadLatestAsync(CancellationToken cancellationToken = default) =>
        await ReadHistoryAsync(1, cancellationToken).ConfigureAwait(false) is [var latest] ? latest : null;

    public async Task<IReadOnlyList<ModelActivationRecord>> ReadHistoryAsync(int count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return await GuardAsync("read", async () =>
        {
            var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var rows = await connection.QueryAsync<ActivationRow>(new CommandDefinition(
                    $"SELECT {Columns} FROM model_activation ORDER BY id DESC LIMIT @Count", new { Count = count }, cancellationToken: cancellationToken)).ConfigureAwait(false);
                return (IReadOnlyList<ModelActivationRecord>)[.. rows.Select(r => r.ToRecord())];
            }
        }).ConfigureAwait(false);
    }

    public async Task<ModelActivationRecord> RecordAsync(NewModelActivation activation, Func<Task<Guid>> beforeCommit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(activation);
        ArgumentNullException.ThrowIfNull(beforeCommit);
        if (string.IsNullOrWhiteSpace(activation.Reason))
        {
            throw new ArgumentException("An activation needs a reason.", nameof(activation));
        }

        return await GuardAsync("write", async () =>
        {
            var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var transaction = await BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    // Inside the lock: the audit event and the row stand or fall together (no event, no change).
                    var auditEventId = await beforeCommit().ConfigureAwait(false);
                    var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                        """
                        INSERT INTO model_activation (version, onnx_sha256, previous_version, previous_onnx_sha256, kind, reason,
                            actor_subject, actor_name, activated_utc, audit_event_id)
                        VALUES (@Version, @OnnxSha256, @PreviousVersion, @PreviousOnnxSha256, @Kind, @Reason,
                            @ActorSubject, @ActorName, @ActivatedUtc, @AuditEventId)
                        RETURNING id
                        """,
                        new
                        {
                            activation.Version,
                            activation.OnnxSha256,
                            activation.PreviousVersion,
                            activation.PreviousOnnxSha256,
                            Kind = activation.Kind.ToString(),
                            Reason = activation.Reason.Trim(),
                            activation.ActorSubject,
                            activation.ActorName,
                            ActivatedUtc = FormatUtc(activation.ActivatedUtc),
                            AuditEventId = auditEventId.ToString("D", CultureInfo.InvariantCulture),
                        },
                        transaction,
                        cancellationToken: cancellationToken)).ConfigureAwait(false);
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    return new ModelActivationRecord(id, activation.Version, activation.OnnxSha256, activation.PreviousVersion, activation.PreviousOnnxSha256,
                        activation.Kind, activation.Reason.Trim(), activation.ActorSubject, activation.ActorName, ParseUtc(FormatUtc(activation.ActivatedUtc)), auditEventId);
                }
            }
        }).ConfigureAwait(false);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _initializeLock.Dispose();
        }
    }

    /// <summary>Creates or upgrades the schema (the engine's numbered scripts).</summary>
    protected abstract Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>An open connection; the schema is already migrated.</summary>
    protected abstract Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);

    /// <summary>A transaction that holds the history's write lock, so activations from several instances queue.</summary>
    protected abstract Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);

    internal static string FormatUtc(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    internal static DateTimeOffset ParseUtc(string value) =>
        DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    internal static SqlMigrator EmbeddedMigrator(string dialect) =>
        SqlMigrator.FromEmbeddedScripts(typeof(ModelActivationStore).Assembly, $"Precision.Portal.Server.ModelVersions.Migrations.{dialect}.");

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        return await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> GuardAsync<T>(string operation, Func<Task<T>> work)
    {
        try
        {
            return await work().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DbException or TimeoutException or InvalidOperationException)
        {
            throw new ModelActivationStoreException(
                $"The model activation history ({Location}) could not be {(operation == "read" ? "read" : "written")}: {ex.Message} "
                + (operation == "read" ? "Check that the database is reachable." : "Nothing was changed; check that the database is reachable and writable, then try again."), ex);
        }
    }

#pragma warning disable CA1812 // instantiated by Dapper
    private sealed class ActivationRow
    {
        public long Id { get; set; }

        public string Version { get; set; } = string.Empty;

        public string OnnxSha256 { get; set; } = string.Empty;

        public string? PreviousVersion { get; set; }

        public string? PreviousOnnxSha256 { get; set; }

        public string Kind { get; set; } = string.Empty;

        public string Reason { get; set; } = string.Empty;

        public string ActorSubject { get; set; } = string.Empty;

        public string ActorName { get; set; } = string.Empty;

        public string ActivatedUtc { get; set; } = string.Empty;

        public string AuditEventId { get; set; } = string.Empty;

        public ModelActivationRecord ToRecord() => new(
            Id, Version, OnnxSha256, PreviousVersion, PreviousOnnxSha256, Enum.Parse<ModelActivationKind>(Kind), Reason, ActorSubject, ActorName,
            ParseUtc(ActivatedUtc), Guid.Parse(AuditEventId));
    }
#pragma warning restore CA1812
}
