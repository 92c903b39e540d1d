using Precision.Portal.Client.ModelVersions;

namespace Precision.Portal.Server.ModelVersions;

/// <summary>An activation to record: the version served from now on and the one it replaces.</summary>
public sealed record NewModelActivation(
    string Version,
    string OnnxSha256,
    string? PreviousVersion,
    string? PreviousOnnxSha256,
    ModelActivationKind Kind,
    string Reason,
    string ActorSubject,
    string ActorName,
    DateTimeOffset ActivatedUtc);

/// <summary>The activation history could not be read or written; the message names the store and what to do.</summary>
public sealed class ModelActivationStoreException : Exception
{
    public ModelActivationStoreException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    public ModelActivationStoreException()
    {
    }

    public ModelActivationStoreException(string message)
        : base(message)
    {
    }
}

/// <summary>
/// The append-only history of model activations (SQLite or PostgreSQL, the same numbered migrations per dialect).
/// Failures surface as <see cref="ModelActivationStoreException"/>.
/// </summary>
public interface IModelActivationStore
{
    /// <summary>Server, database or file, never a password.</summary>
    string Location { get; }

    Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>The latest activation: the version a restarted portal serves. Null when none was ever recorded.</summary>
    Task<ModelActivationRecord?> ReadLatestAsync(CancellationToken cancellationToken = default);

    /// <summary>The newest <paramref name="count"/> activations, newest first.</summary>
    Task<IReadOnlyList<ModelActivationRecord>> ReadHistoryAsync(int count, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records <paramref name="activation"/> in one transaction that holds the history's write lock and calls
    /// <paramref name="beforeCommit"/> (the audit record; it returns the audit event's id) before inserting: when it
    /// throws, nothing is written.
    /// </summary>
    Task<ModelActivationRecord> RecordAsync(NewModelActivation activation, Func<Task<Guid>> beforeCommit, CancellationToken cancellationToken = default);
}
