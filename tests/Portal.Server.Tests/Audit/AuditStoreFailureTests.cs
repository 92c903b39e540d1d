using Dapper;
using Precision.Portal.Client.Audit;
using Precision.Portal.Server.Audit;

namespace Precision.Portal.Server.Tests.Audit;

/// <summary>
/// Failures the portal meets in production. Tests run as root, where file permissions stop nothing, so each
/// test uses a fault that fails for root too.
/// </summary>
public sealed class AuditStoreFailureTests : IDisposable
{
    private readonly AuditTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Data_directory_under_a_regular_file_fails_with_a_clear_message_and_recovers_once_the_file_is_gone()
    {
        var blocker = Path.Combine(_directory.Root, "not-a-directory");
        await File.WriteAllTextAsync(blocker, "x");
        var dataDirectory = Path.Combine(blocker, "data");
        await using var store = _directory.CreateStore(dataDirectory: dataDirectory);

        var failure = await Assert.ThrowsAsync<AuditWriteException>(() => store.AppendAsync(AuditSamples.Event(1)));
        var check = await Assert.ThrowsAsync<AuditWriteException>(() => store.CheckWritableAsync());

        Assert.StartsWith($"The audit trail at {Path.Combine(dataDirectory, "audit.db")} could not be opened: ", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Check that Audit:DataDirectory names a directory the portal's account can create and write", failure.Message, StringComparison.Ordinal);
        Assert.Equal(failure.Message, check.Message);

        File.Delete(blocker);
        var appended = await store.AppendAsync(AuditSamples.Event(2));
        await store.CheckWritableAsync();

        Assert.Equal(1, appended.Sequence);
        Assert.True((await store.VerifyChainAsync()).IsValid);
    }

    [Fact]
    public async Task Database_path_that_is_a_directory_fails_with_a_clear_message_and_recovers_once_removed()
    {
        Directory.CreateDirectory(_directory.DatabasePath);
        await using var store = _directory.CreateStore();

        var failure = await Assert.ThrowsAsync<AuditWriteException>(() => store.AppendAsync(AuditSamples.Event(1)));

        Assert.Contains(_directory.DatabasePath, failure.Message, StringComparison.Ordinal);
        Assert.Contains("unable to open database file", failure.Message, StringComparison.Ordinal);
        Assert.Contains("is a file, not a directory", failure.Message, StringComparison.Ordinal);

        Directory.Delete(_directory.DatabasePath);
        Assert.Equal(1, (await store.AppendAsync(AuditSamples.Event(2))).Sequence);
    }

    [Fact]
    public async Task Database_file_that_is_not_sqlite_fails_with_advice_to_keep_it_and_restore_a_backup()
    {
        await File.WriteAllBytesAsync(_directory.DatabasePath, [.. Enumerable.Repeat((byte)0x5A, 8192)]);
        await using var store = _directory.CreateStore();

        var failure = await Assert.ThrowsAsync<AuditWriteException>(() => store.AppendAsync(AuditSamples.Event(1)));
        var check = await Assert.ThrowsAsync<AuditWriteException>(() => store.CheckWritableAsync());

        Assert.Contains("file is not a database", failure.Message, StringComparison.Ordinal);
        Assert.Contains("keep the file as evidence, restore the latest backup", failure.Message, StringComparison.Ordinal);
        Assert.Equal(failure.Message, check.Message);
    }

    [Fact]
    public async Task Write_lock_held_by_another_connection_fails_the_append_clearly_without_breaking_the_chain_or_later_appends()
    {
        await using var store = _directory.CreateStore(busyTimeout: TimeSpan.FromMilliseconds(200));
        await AuditSamples.AppendManyAsync(store, 3);

        using (var holder = _directory.OpenDirect())
        {
            using var transaction = holder.BeginTransaction(deferred: false); // BEGIN IMMEDIATE: holds the write lock

            var failure = await Assert.ThrowsAsync<AuditWriteException>(() => store.AppendAsync(AuditSamples.Event(4)));
            var check = await Assert.ThrowsAsync<AuditWriteException>(() => store.CheckWritableAsync());

            Assert.StartsWith($"The audit trail could not be written to {_directory.DatabasePath}: database is locked.", failure.Message, StringComparison.Ordinal);
            Assert.Contains("held the audit database locked for more than 0.2 s", failure.Message, StringComparison.Ordinal);
            Assert.Contains("database is locked", check.Message, StringComparison.Ordinal);
            var whileLocked = await store.VerifyChainAsync(); // WAL readers are not blocked by the writer
            Assert.True(whileLocked.IsValid, whileLocked.Problem);
        }

        var next = await store.AppendAsync(AuditSamples.Event(5));

        Assert.Equal(4, next.Sequence); // the failed append used no sequence number
        var verification = await store.VerifyChainAsync();
        Assert.True(verification.IsValid, verification.Problem);
        Assert.Equal(4, verification.EventsChecked);
    }

    [Fact]
    public async Task Database_with_a_newer_schema_is_refused_with_a_clear_message_and_left_unchanged()
    {
        await using (var current = _directory.CreateStore())
        {
            await current.AppendAsync(AuditSamples.Event(1));
        }

        using (var connection = _directory.OpenDirect())
        {
            connection.Execute("INSERT INTO schema_version (version, name, applied_utc) VALUES (99, 'from_the_future', '2030-01-01T00:00:00Z')");
        }

        await using var store = _directory.CreateStore();
        var failure = await Assert.ThrowsAsync<AuditWriteException>(() => store.AppendAsync(AuditSamples.Event(2)));
        var check = await Assert.ThrowsAsync<AuditWriteException>(() => store.CheckWritableAsync());

        // The known version grows with each migration; what matters is that both are named.
        Assert.Matches("has schema version 99, but this version of the portal only knows up to version [1-9][0-9]?[,.; ]", failure.Message);
        Assert.Contains("Nothing was changed", failure.Message, StringComparison.Ordinal);
        Assert.Equal(failure.Message, check.Message);
        using var after = _directory.OpenDirect();
        Assert.Equal(1, after.ExecuteScalar<long>("SELECT COUNT(*) FROM audit_event"));
    }

    [Fact]
    public async Task A_reader_on_a_damaged_file_reports_what_to_do()
    {
        await using (var store = _directory.CreateStore())
        {
            await AuditSamples.AppendManyAsync(store, 3);
        }

        await File.WriteAllBytesAsync(_directory.DatabasePath, [.. Enumerable.Repeat((byte)0x5A, 8192)]);
        await using var reader = _directory.CreateStore();

        var failure = await Assert.ThrowsAsync<AuditWriteException>(() => reader.ReadRecentAsync(10));

        Assert.Contains("file is not a database", failure.Message, StringComparison.Ordinal);
    }
}
