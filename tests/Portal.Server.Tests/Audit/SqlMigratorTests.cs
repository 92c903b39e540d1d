using Dapper;
using Microsoft.Data.Sqlite;
using Precision.Portal.Server.Audit;

namespace Precision.Portal.Server.Tests.Audit;

public sealed class SqlMigratorTests : IDisposable
{
    private readonly AuditTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Audit_scripts_are_found_as_embedded_resources_and_a_second_run_applies_nothing()
    {
        var migrator = SqlMigrator.FromEmbeddedScripts(typeof(SqliteAuditStore).Assembly, "Precision.Portal.Server.Audit.Migrations.sqlite.");
        using var connection = _directory.OpenDirect();

        var first = await migrator.MigrateAsync(connection);
        var second = await migrator.MigrateAsync(connection);

        Assert.Equal((1, "audit_event"), (first[0].Version, first[0].Name));
        Assert.Equal(migrator.Migrations.Count, first.Count);
        Assert.Empty(second);
        var recorded = connection.Query<(long Version, string Name, string AppliedUtc)>("SELECT version, name, applied_utc FROM schema_version ORDER BY version").ToList();
        Assert.Equal(migrator.Migrations.Select(m => (long)m.Version), recorded.Select(r => r.Version));
        Assert.EndsWith("Z", recorded[0].AppliedUtc, StringComparison.Ordinal);
        Assert.Equal(1, connection.ExecuteScalar<long>("SELECT COUNT(*) FROM audit_chain_head"));
    }

    [Fact]
    public async Task Scripts_are_applied_in_version_order_whatever_order_they_are_given_in()
    {
        var migrator = new SqlMigrator(
        [
            new SqlMigration(3, "third", "INSERT INTO step (name) VALUES ('third');"),
            new SqlMigration(1, "first", "CREATE TABLE step (id INTEGER PRIMARY KEY, name TEXT NOT NULL); INSERT INTO step (name) VALUES ('first');"),
            new SqlMigration(2, "second", "INSERT INTO step (name) VALUES ('second');"),
        ], "test scripts");
        using var connection = _directory.OpenDirect();

        var applied = await migrator.MigrateAsync(connection);

        Assert.Equal([1, 2, 3], applied.Select(m => m.Version));
        Assert.Equal(["first", "second", "third"], connection.Query<string>("SELECT name FROM step ORDER BY id"));
        Assert.Equal(3, migrator.LatestVersion);
    }

    [Fact]
    public async Task Only_missing_scripts_are_applied_when_new_ones_ship()
    {
        using var connection = _directory.OpenDirect();
        SqlMigration[] shipped = [new(1, "first", "CREATE TABLE step (name TEXT);")];
        await new SqlMigrator(shipped, "v1").MigrateAsync(connection);

        var applied = await new SqlMigrator([.. shipped, new(2, "second", "INSERT INTO step VALUES ('second');")], "v2").MigrateAsync(connection);

        Assert.Equal([2], applied.Select(m => m.Version));
        Assert.Equal(["second"], connection.Query<string>("SELECT name FROM step"));
    }

    [Fact]
    public async Task A_failing_script_is_rolled_back_keeps_earlier_ones_and_can_be_retried_once_fixed()
    {
        using var connection = _directory.OpenDirect();
        var broken = new SqlMigrator(
        [
            new SqlMigration(1, "first", "CREATE TABLE first (x INTEGER);"),
            new SqlMigration(2, "second", "CREATE TABLE second (x INTEGER); INSERT INTO no_such_table VALUES (1);"),
        ], "test scripts");

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => broken.MigrateAsync(connection));

        Assert.StartsWith("Schema migration 0002_second failed and was rolled back; the database stays at version 1: ", failure.Message, StringComparison.Ordinal);
        Assert.Contains("no such table: no_such_table", failure.Message, StringComparison.Ordinal);
        Assert.Equal(1, connection.ExecuteScalar<long>("SELECT MAX(version) FROM schema_version"));
        Assert.Equal(0, connection.ExecuteScalar<long>("SELECT COUNT(*) FROM sqlite_master WHERE name = 'second'"));

        var fixedScripts = new SqlMigrator(
        [
            new SqlMigration(1, "first", "CREATE TABLE first (x INTEGER);"),
            new SqlMigration(2, "second", "CREATE TABLE second (x INTEGER);"),
        ], "test scripts");
        Assert.Equal([2], (await fixedScripts.MigrateAsync(connection)).Select(m => m.Version));
    }

    [Fact]
    public async Task A_database_newer_than_the_scripts_is_refused_and_left_unchanged()
    {
        using var connection = _directory.OpenDirect();
        await new SqlMigrator([new(1, "a", "CREATE TABLE a (x INTEGER);"), new(2, "b", "CREATE TABLE b (x INTEGER);")], "new portal").MigrateAsync(connection);

        var older = new SqlMigrator([new(1, "a", "CREATE TABLE a (x INTEGER);")], "old portal");
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => older.MigrateAsync(connection));

        Assert.Equal(
            "The database has schema version 2, but this version of the portal only knows up to version 1 (old portal). "
            + "It was upgraded by a newer portal: run that version, or restore a backup that matches this one. Nothing was changed.",
            failure.Message);
        Assert.Equal(2, connection.ExecuteScalar<long>("SELECT COUNT(*) FROM schema_version"));
    }

    [Fact]
    public async Task Two_connections_migrating_at_once_apply_each_script_once()
    {
        var migrator = new SqlMigrator(
            Enumerable.Range(1, 20).Select(v => new SqlMigration(v, $"step{v}", $"CREATE TABLE t{v} (x INTEGER);")),
            "test scripts");
        using var first = _directory.OpenDirect();
        using var second = _directory.OpenDirect();

        var applied = await Task.WhenAll(
            Task.Run(() => migrator.MigrateAsync(first)),
            Task.Run(() => migrator.MigrateAsync(second)));

        Assert.Equal(Enumerable.Range(1, 20), applied.SelectMany(a => a).Select(m => m.Version).Order());
        Assert.Equal(20, first.ExecuteScalar<long>("SELECT COUNT(*) FROM schema_version"));
    }

    [Fact]
    public void Duplicate_versions_and_unknown_prefixes_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new SqlMigrator([new(1, "a", ""), new(1, "b", "")], "test scripts"));
        var missing = Assert.Throws<InvalidOperationException>(() => SqlMigrator.FromEmbeddedScripts(typeof(SqliteAuditStore).Assembly, "Precision.Portal.Server.Nothing.Migrations.postgresql."));
        Assert.Contains("No migration scripts", missing.Message, StringComparison.Ordinal);
    }
}
