using Microsoft.Data.Sqlite;
using Precision.Portal.Client.Audit;

namespace Precision.Portal.Server.Audit;

public sealed partial class SqliteAuditStore
{
    /// <summary>The writer loop's connection with its prepared statements.</summary>
    private sealed class ChainWriter : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _readHead;
        private readonly SqliteCommand _insert;
        private readonly SqliteCommand _updateHead;
        private readonly SqliteParameter[] _insertParameters;
        private readonly SqliteParameter _headSequence;
        private readonly SqliteParameter _headHash;

        public ChainWriter(SqliteConnection connection)
        {
            _connection = connection;
            _readHead = connection.CreateCommand();
            _readHead.CommandText = "SELECT last_sequence, last_hash FROM audit_chain_head WHERE id = 1";

            _insert = connection.CreateCommand();
            _insert.CommandText = $"INSERT INTO audit_event ({AuditEventColumns.Select}) VALUES ($p0, $p1, $p2, $p3, $p4, $p5, $p6, $p7, $p8, $p9, $p10, $p11, $p12, $p13, $p14)";
            _insertParameters = new SqliteParameter[15];
            for (var i = 0; i < _insertParameters.Length; i++)
            {
                _insertParameters[i] = _insert.Parameters.Add(new SqliteParameter { ParameterName = $"$p{i}" });
            }

            _updateHead = connection.CreateCommand();
            _updateHead.CommandText = "UPDATE audit_chain_head SET last_sequence = $sequence, last_hash = $hash WHERE id = 1";
            _headSequence = _updateHead.Parameters.Add(new SqliteParameter { ParameterName = "$sequence" });
            _headHash = _updateHead.Parameters.Add(new SqliteParameter { ParameterName = "$hash" });
        }

        /// <summary>Appends the batch in one transaction; either all events are committed or none.</summary>
        public AuditEvent[] Append(IReadOnlyList<NewAuditEvent> batch, TimeProvider time)
        {
            // BEGIN IMMEDIATE: take the write lock before reading the head, so no other process can extend
            // the chain between our read and our write.
            using var transaction = _connection.BeginTransaction(deferred: false);
            _readHead.Transaction = transaction;
            _insert.Transaction = transaction;
            _updateHead.Transaction = transaction;

            long sequence;
            string previousHash;
            using (var reader = _readHead.ExecuteReader())
            {
                if (!reader.Read())
                {
                    throw new InvalidDataException("the chain head record is missing");
                }

                sequence = reader.GetInt64(0);
                previousHash = reader.GetString(1);
            }

            var written = new AuditEvent[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                var occurred = time.GetUtcNow();
                sequence++;
                var id = Guid.CreateVersion7(occurred);
                var e = batch[i];
                var stored = StoredAuditEvent.Create(sequence, id, occurred, e, previousHash);
                var hash = AuditChainHash.Compute(stored);
                Bind(_insertParameters, stored, hash);
                _insert.ExecuteNonQuery();
                written[i] = AuditEventRules.Written(stored, occurred, e, hash);
                previousHash = hash;
            }

            _headSequence.Value = sequence;
            _headHash.Value = previousHash;
            _updateHead.ExecuteNonQuery();
            transaction.Commit();
            return written;
        }

        public void Dispose()
        {
            _readHead.Dispose();
            _insert.Dispose();
            _updateHead.Dispose();
            _connection.Dispose();
        }

        public static void Bind(SqliteParameter[] p, in StoredAuditEvent e, string hash)
        {
            p[0].Value = e.Sequence;
            p[1].Value = e.Id;
            p[2].Value = e.OccurredUtc;
            p[3].Value = e.ActorSubject;
            p[4].Value = e.ActorDisplayName;
            p[5].Value = e.ActorRoles;
            p[6].Value = e.Action;
            p[7].Value = e.Outcome;
            p[8].Value = (object?)e.PatientReference ?? DBNull.Value;
            p[9].Value = (object?)e.Target ?? DBNull.Value;
            p[10].Value = (object?)e.DetailsJson ?? DBNull.Value;
            p[11].Value = (object?)e.ClientAddress ?? DBNull.Value;
            p[12].Value = (object?)e.CorrelationId ?? DBNull.Value;
            p[13].Value = e.PreviousHash;
            p[14].Value = hash;
        }
    }
}
