using Dapper;
using Precision.Portal.Client.ModelVersions;
using Precision.Portal.Server.ModelVersions;
using Precision.Portal.Server.Tests.Audit;

namespace Precision.Portal.Server.Tests.ModelVersions;

/// <summary>The activation history on a real SQLite file and a real PostgreSQL schema (<c>PRECISION_TEST_POSTGRES</c>).</summary>
public sealed class ModelActivationStoreTests
{
    private static ModelActivationStore Create(AuditTestDatabase db) => db.Engine == AuditEngine.Sqlite
        ? new SqliteModelActivationStore(new ModelActivationStoreOptions { DataDirectory = db.Directory.Root })
        : new PostgreSqlModelActivationStore(new ModelActivationStoreOptions { Provider = "PostgreSql", ConnectionString = db.ConnectionString });

    private static System.Data.Common.DbConnection OpenDirect(AuditTestDatabase db)
    {
        if (db.Engine != AuditEngine.Sqlite)
        {
            return db.OpenDirect();
        }

        var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(db.Directory.Root, "model-registry.db")};Pooling=False");
        connection.Open();
        return connection;
    }

    private static NewModelActivation Activation(string version, string? previous, DateTimeOffset at, ModelActivationKind kind = ModelActivationKind.Activate) =>
        new(version, "sha-" + version, previous, previous is null ? null : "sha-" + previous, kind, $"  Reason for {version}: validation report 2026-11  ", "sub-admin", "Ada Admin", at);

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Activations_read_back_newest_first_with_every_field_and_utc_times(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        using var store = Create(db);
        var first = new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.FromHours(1)).AddTicks(1234567);
        var firstEvent = Guid.NewGuid();
        var secondEvent = Guid.NewGuid();

        Assert.Null(await store.ReadLatestAsync());
        var a = await store.RecordAsync(Activation("1.0.0", "1.1.0", first), () => Task.FromResult(firstEvent));
        var b = await store.RecordAsync(Activation("1.1.0", "1.0.0", first.AddMinutes(5), ModelActivationKind.Rollback), () => Task.FromResult(secondEvent));
        var history = await store.ReadHistoryAsync(10);

        Assert.Equal([b.Id, a.Id], history.Select(h => h.Id));
        Assert.True(b.Id > a.Id);
        Assert.Equal(b, history[0]);
        Assert.Equal(a, history[1]);
        Assert.Equal(history[0], await store.ReadLatestAsync());
        Assert.Equal(ModelActivationKind.Rollback, history[0].Kind);
        Assert.Equal("1.0.0", history[0].PreviousVersion);
        Assert.Equal("sha-1.0.0", history[0].PreviousOnnxSha256);
        Assert.Equal(secondEvent, history[0].AuditEventId);
        Assert.Equal("Reason for 1.0.0: validation report 2026-11", history[1].Reason);
        Assert.Equal(TimeSpan.Zero, history[1].ActivatedUtc.Offset);
        Assert.Equal(first.UtcTicks, history[1].ActivatedUtc.UtcTicks);
        Assert.Single(await store.ReadHistoryAsync(1));
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task When_the_audit_record_fails_inside_the_transaction_nothing_is_written(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        using var store = Create(db);

        var failure = await Assert.ThrowsAsync<InvalidCastException>(() =>
            store.RecordAsync(Activation("1.0.0", null, DateTimeOffset.UtcNow), () => throw new InvalidCastException("audit down")));

        Assert.Equal("audit down", failure.Message);
        Assert.Empty(await store.ReadHistoryAsync(10));
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task The_history_is_append_only_and_a_second_instance_sees_the_same_rows_without_migrating_again(AuditEngine engine)
    {
        using var db = new AuditTestDatabase(engine);
        using (var store = Create(db))
        {
            await store.RecordAsync(Activation("1.0.0", "1.1.0", DateTimeOffset.UtcNow), () => Task.FromResult(Guid.NewGuid()));
        }

        using var connection = OpenDirect(db);
        Assert.ThrowsAny<Exception>(() => connection.Execute("UPDATE model_activation SET reason = 'rewritten afterwards'"));
        Assert.ThrowsAny<Exception>(() => connection.Execute("DELETE FROM model_activation"));
        Assert.Equal(1, connection.ExecuteScalar<long>("SELECT MAX(version) FROM schema_version"));

        using var again = Create(db);
        var latest = await again.ReadLatestAsync();
        Assert.Equal("Reason for 1.0.0: validation report 2026-11", latest!.Reason);
    }

    [Fact]
    public async Task An_unreachable_postgresql_server_is_named_in_the_error_without_the_password()
    {
        using var store = new PostgreSqlModelActivationStore(new ModelActivationStoreOptions
        {
            Provider = "PostgreSql",
            ConnectionString = "Host=127.0.0.1;Port=1;Database=models;Username=portal;Password=s3cret-value;Timeout=2",
            BusyTimeout = TimeSpan.FromSeconds(1),
        });

        var failure = await Assert.ThrowsAsync<ModelActivationStoreException>(() => store.ReadHistoryAsync(5));

        Assert.Contains("PostgreSQL database 'models' on 127.0.0.1:1", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-value", failure.Message, StringComparison.Ordinal);
    }
}
