-- Append-only, hash-chained audit trail: the PostgreSQL form of sqlite/0001_audit_event.sql, same columns and
-- stored text, so the same canonical form and hashes apply. Text that is compared by range uses the "C" collation
-- so its order is byte order whatever the database's locale.

CREATE TABLE audit_event (
    sequence           bigint PRIMARY KEY,
    id                 text   NOT NULL,
    occurred_utc       text   COLLATE "C" NOT NULL, -- yyyy-MM-ddTHH:mm:ss.fffffffZ: sorts as text, exact to the tick
    actor_subject      text   NOT NULL,
    actor_display_name text   NOT NULL,
    actor_roles        text   NOT NULL, -- JSON array of strings
    action             text   COLLATE "C" NOT NULL,
    outcome            text   NOT NULL, -- AuditOutcome name
    patient_reference  text,
    target             text,
    details_json       text,
    client_address     text,
    correlation_id     text,
    previous_hash      text   NOT NULL,
    hash               text   NOT NULL
);

-- Each filter index ends in the sequence, so "filter = ? AND sequence < ? ORDER BY sequence DESC LIMIT n" walks one index.
CREATE INDEX ix_audit_event_occurred_utc ON audit_event (occurred_utc, action);
CREATE INDEX ix_audit_event_patient_reference ON audit_event (patient_reference, sequence) WHERE patient_reference IS NOT NULL;
CREATE INDEX ix_audit_event_action ON audit_event (action, sequence);
CREATE INDEX ix_audit_event_actor_subject ON audit_event (actor_subject, sequence);

CREATE TABLE audit_chain_head (
    id            integer PRIMARY KEY CHECK (id = 1),
    last_sequence bigint  NOT NULL,
    last_hash     text    NOT NULL
);

INSERT INTO audit_chain_head (id, last_sequence, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Stops accidental edits through the portal or a careless script. Someone with owner rights can drop these;
-- the hash chain is what detects that.
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$;

CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();

CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();

CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();
