using Npgsql;
using Precision.Portal.Server.Authentication;

namespace Precision.Portal.Server.Hosting;

/// <summary>Which database engine a store runs on: embedded SQLite (the default) or a PostgreSQL server.</summary>
public enum DatabaseProvider
{
    Sqlite,
    PostgreSql,
}

/// <summary>
/// The <c>Provider</c> + <c>ConnectionString</c> convention of the portal's stores (<c>Audit:*</c>, <c>TumorBoards:*</c>):
/// SQLite keeps a file under <c>Portal:DataDirectory</c>; PostgreSQL needs an Npgsql connection string. Settings that
/// cannot work throw <see cref="PortalConfigurationException"/> naming the setting, so the portal refuses to start.
/// </summary>
public static class DatabaseProviderSettings
{
    /// <param name="section">The store's section name, e.g. <c>TumorBoards</c>; messages name <c>{section}:Provider</c>.</param>
    public static DatabaseProvider Resolve(string section, string? provider, string? connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(section);
        DatabaseProvider resolved;
        if (string.IsNullOrWhiteSpace(provider) || string.Equals(provider.Trim(), nameof(DatabaseProvider.Sqlite), StringComparison.OrdinalIgnoreCase))
        {
            resolved = DatabaseProvider.Sqlite;
        }
        else if (string.Equals(provider.Trim(), nameof(DatabaseProvider.PostgreSql), StringComparison.OrdinalIgnoreCase))
        {
            resolved = DatabaseProvider.PostgreSql;
        }
        else
        {
            throw new PortalConfigurationException(
                $"{section}:Provider '{provider}' is not known. Use Sqlite (the default: a file under Portal:DataDirectory) or PostgreSql (with {section}:ConnectionString).");
        }

        if (resolved == DatabaseProvider.Sqlite)
        {
            if (!string.IsNullOrWhiteSpace(connectionString))
            {
                throw new PortalConfigurationException(
                    $"{section}:ConnectionString is set but {section}:Provider is Sqlite (the default), which keeps the data under Portal:DataDirectory. Set {section}:Provider to PostgreSql, or remove the connection string.");
            }

            return resolved;
        }

        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new PortalConfigurationException(
                $"{section}:Provider is PostgreSql, so {section}:ConnectionString must name the server, e.g. 'Host=db.example.org;Database=portal;Username=portal' (the password through an environment variable or secret store).");
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            // The message names the keyword, never the rest of the string (which may hold a password).
            throw new PortalConfigurationException($"{section}:ConnectionString is not a valid PostgreSQL connection string: {ex.Message}", ex);
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw new PortalConfigurationException($"{section}:ConnectionString names no Host. Add Host=<server> (and Database=, Username=).");
        }

        return resolved;
    }

    /// <summary>Server, database and schema of a connection string, never its password.</summary>
    public static string DescribePostgreSql(NpgsqlConnectionStringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return $"PostgreSQL database '{builder.Database ?? builder.Username}' on {builder.Host}:{builder.Port}"
            + (string.IsNullOrEmpty(builder.SearchPath) ? string.Empty : $" (schema {builder.SearchPath})");
    }
}
