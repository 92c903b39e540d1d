using Microsoft.Data.Sqlite;
using Npgsql;
using Precision.Portal.Client.Audit;

namespace Precision.Portal.Server.Audit;

/// <summary>Turns low-level failures into messages that say what failed and what an operator should do.</summary>
internal static class AuditStoreFailure
{
    // Primary SQLite result codes (https://sqlite.org/rescode.html).
    private const int SqliteIoError = 10;
    private const int SqliteCorrupt = 11;
    private const int SqliteFull = 13;
    private const int SqliteCantOpen = 14;
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteReadOnly = 8;
    private const int SqliteConstraint = 19;
    private const int SqliteNotADatabase = 26;

    public static AuditWriteException Write(string databasePath, Exception exception, TimeSpan busyTimeout) =>
        exception as AuditWriteException
        ?? new AuditWriteException(
            $"The audit trail could not be written to {databasePath}: {Reason(exception)}. {Advice(databasePath, exception, busyTimeout)}",
            exception);

    public static AuditWriteException Open(string databasePath, Exception exception, TimeSpan busyTimeout) =>
        exception as AuditWriteException
        ?? new AuditWriteException(
            $"The audit trail at {databasePath} could not be opened: {Reason(exception)}. {Advice(databasePath, exception, busyTimeout)}",
            exception);

    public static InvalidOperationException Read(string databasePath, Exception exception, TimeSpan busyTimeout) =>
        new($"The audit trail could not be read from {databasePath}: {Reason(exception)}. {Advice(databasePath, exception, busyTimeout)}", exception);

    public static string Reason(Exception exception)
    {
        if (exception is PostgresException postgres)
        {
            return postgres.MessageText.TrimEnd('.');
        }

        if (exception is NpgsqlException { InnerException: { } inner } npgsql && !npgsql.Message.Contains(inner.Message, StringComparison.Ordinal))
        {
            return $"{npgsql.Message.TrimEnd('.')} ({inner.Message.TrimEnd('.')})";
        }

        var message = exception.Message;
        if (exception is SqliteException)
        {
            // "SQLite Error 8: 'attempt to write a readonly database'." -> the quoted part
            var start = message.IndexOf('\'', StringComparison.Ordinal);
            var end = message.LastIndexOf('\'');
            if (start >= 0 && end > start)
            {
                message = message[(start + 1)..end];
            }
        }

        return message.TrimEnd('.');
    }

    private static string Advice(string databasePath, Exception exception, TimeSpan busyTimeout) => exception switch
    {
        SqliteException sqlite => (sqlite.SqliteErrorCode & 0xFF) switch
        {
            SqliteReadOnly => "Check that the portal's data directory and the audit database files (including its -wal and -shm files) are writable by the portal's account and that the volume is not mounted read-only.",
            SqliteCantOpen => $"Check that the data directory exists and is writable by the portal's account, and that {databasePath} is a file, not a directory.",
            SqliteFull => "The disk holding the portal's data directory is full. Free space there; nothing is recorded until then.",
            SqliteBusy or SqliteLocked => $"Another connection or process held the audit database locked for more than {busyTimeout.TotalSeconds:0.#} s. Check for a backup job, a tool holding the file open, or another portal instance that is stuck.",
            SqliteCorrupt or SqliteNotADatabase => "The file is damaged or is not an audit database. Stop the portal, keep the file as evidence, restore the latest backup and verify the chain.",
            SqliteConstraint => "The stored events no longer match the chain head, so the audit database was changed outside the portal. Verify the chain before recording anything else.",
            SqliteIoError => "The storage reported an I/O error. Check the disk and the volume holding the portal's data directory.",
            _ => "Check the portal's data directory and logs.",
        },
        PostgresException postgres => postgres.SqlState switch
        {
            "55P03" => $"Another portal instance or session held the audit chain locked for more than {busyTimeout.TotalSeconds:0.#} s. Check for long transactions on the audit database (pg_stat_activity).",
            "25006" => "The PostgreSQL server accepts no writes (a standby, or default_transaction_read_only). Point Audit:ConnectionString at the primary.",
            "42501" => "The database user in Audit:ConnectionString may not write the audit tables. Grant it INSERT and UPDATE on them (and ownership for migrations).",
            "28P01" or "28000" => "The PostgreSQL server refused the user or password in Audit:ConnectionString.",
            "3D000" => "The database named in Audit:ConnectionString does not exist. Create it; the portal creates its tables itself.",
            "53100" => "The PostgreSQL server's disk is full. Free space there; nothing is recorded until then.",
            "57P01" or "57P02" or "57P03" => "The PostgreSQL server is shutting down or starting up. Try again when it is back.",
            "23505" => "The stored events no longer match the chain head, so the audit database was changed outside the portal. Verify the chain before recording anything else.",
            "P0001" => "An append-only rule of the audit tables refused the change. Verify the chain before recording anything else.",
            _ => "Check the PostgreSQL server's log and Audit:ConnectionString.",
        },
        NpgsqlException => "Check that the PostgreSQL server named in Audit:ConnectionString is running and reachable from the portal, and that its credentials are right.",
        IOException or UnauthorizedAccessException =>
            "Check that Audit:DataDirectory names a directory the portal's account can create and write.",
        InvalidDataException =>
            "The audit database was changed outside the portal. Verify the chain before recording anything else.",
        _ => "Check the portal's data directory and logs.",
    };
}
