-- Append-only, hash-chained audit trail. Every column of audit_event except hash is covered by the
-- hash (see AuditChainHash); audit_chain_head is updated in the same transaction as each append so that
-- deleting the newest events is detectable too.

CREATE TABLE audit_event (
    sequence           INTEGER PRIMARY KEY,
    id                 TEXT    NOT NULL,
    occurred_utc       TEXT    NOT NULL, -- yyyy-MM-ddTHH:mm:ss.fffffffZ: sorts as text, exact to the tick
    actor_subject      TEXT    NOT NULL,
    actor_display_name TEXT    NOT NULL,
    actor_roles        TEXT    NOT NULL, -- JSON array of strings
    action             TEXT    NOT NULL,
    outcome            TEXT    NOT NULL, -- AuditOutcome name
    patient_reference  TEXT,
    target             TEXT,
    details_json       TEXT,
    client_address     TEXT,
    correlation_id     TEXT,
    previous_hash      TEXT    NOT NULL,
    hash               TEXT    NOT NULL
) STRICT;

-- Time index also carries action so activity-by-hour is answered from the index alone.
CREATE INDEX ix_audit_event_occurred_utc ON audit_event (occurred_utc, action);
CREATE INDEX ix_audit_event_patient_reference ON audit_event (patient_reference) WHERE patient_reference IS NOT NULL;
CREATE INDEX ix_audit_event_action ON audit_event (action);
CREATE INDEX ix_audit_event_actor_subject ON audit_event (actor_subject);

CREATE TABLE audit_chain_head (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    last_sequence INTEGER NOT NULL,
    last_hash     TEXT    NOT NULL
) STRICT;

INSERT INTO audit_chain_head (id, last_sequence, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Stops accidental edits through the portal or a careless script. Someone with file access can drop
-- these; the hash chain is what detects that.
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
