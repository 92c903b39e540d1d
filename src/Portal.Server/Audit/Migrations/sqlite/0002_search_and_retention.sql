-- Search by model version, and retention with a chained checkpoint.
--
-- model_version is generated from details_json (which the hash covers), so it cannot disagree with the hashed
-- content and events written before this migration are searchable by it too. It is VIRTUAL: not stored, not part
-- of the canonical form, only indexed.
ALTER TABLE audit_event ADD COLUMN model_version TEXT GENERATED ALWAYS AS (
    CASE WHEN json_valid(details_json) AND json_type(details_json, '$.modelVersion') IN ('text', 'integer', 'real')
         THEN CAST(json_extract(details_json, '$.modelVersion') AS TEXT) END) VIRTUAL;

-- SQLite indexes end in the rowid (= sequence), so "filter = ? AND sequence < ? ORDER BY sequence DESC" walks one index.
CREATE INDEX ix_audit_event_model_version ON audit_event (model_version) WHERE model_version IS NOT NULL;
CREATE INDEX ix_audit_event_actor_display_name ON audit_event (actor_display_name);
CREATE INDEX ix_audit_event_outcome_action ON audit_event (outcome, action);

-- After pruning, the chain starts after this event: the sequence and hash of the last pruned event. The audit.prune
-- event that moved it carries the same values in its hashed details, and the verifier insists they agree.
CREATE TABLE audit_checkpoint (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    sequence INTEGER NOT NULL,
    hash     TEXT    NOT NULL
) STRICT;

-- Retention is the one path that deletes: inside its transaction it writes the highest sequence it may delete here,
-- deletes, and removes the row again. Anything else still hits the trigger.
CREATE TABLE audit_prune_guard (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    through_sequence INTEGER NOT NULL
) STRICT;

DROP TRIGGER audit_event_no_delete;

CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
WHEN OLD.sequence > COALESCE((SELECT through_sequence FROM audit_prune_guard WHERE id = 1), 0)
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only; only retention pruning deletes, and only the oldest events');
END;
