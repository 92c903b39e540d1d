-- Search by model version, and retention with a chained checkpoint: the PostgreSQL form of
-- sqlite/0002_search_and_retention.sql.
--
-- model_version is generated from details_json (which the hash covers), so it cannot disagree with the hashed
-- content; it is not part of the canonical form. Details that are not JSON give NULL instead of failing the insert.
CREATE FUNCTION audit_model_version(details text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    parsed jsonb;
BEGIN
    IF details IS NULL OR position('modelVersion' IN details) = 0 THEN
        RETURN NULL; -- the common case, without parsing
    END IF;
    parsed := details::jsonb;
    IF jsonb_typeof(parsed) = 'object' AND jsonb_typeof(parsed -> 'modelVersion') IN ('string', 'number') THEN
        RETURN parsed ->> 'modelVersion';
    END IF;
    RETURN NULL;
EXCEPTION WHEN invalid_text_representation THEN
    RETURN NULL;
END;
$$;

ALTER TABLE audit_event ADD COLUMN model_version text GENERATED ALWAYS AS (audit_model_version(details_json)) STORED;

CREATE INDEX ix_audit_event_model_version ON audit_event (model_version, sequence) WHERE model_version IS NOT NULL;
CREATE INDEX ix_audit_event_actor_display_name ON audit_event (actor_display_name, sequence);
CREATE INDEX ix_audit_event_outcome_action ON audit_event (outcome, action, sequence);
-- Time ranges: the smallest and largest sequence of a range come from this index alone.
CREATE INDEX ix_audit_event_occurred_sequence ON audit_event (occurred_utc, sequence);

-- After pruning, the chain starts after this event: the sequence and hash of the last pruned event. The audit.prune
-- event that moved it carries the same values in its hashed details, and the verifier insists they agree.
CREATE TABLE audit_checkpoint (
    id       integer PRIMARY KEY CHECK (id = 1),
    sequence bigint  NOT NULL,
    hash     text    NOT NULL
);

-- Retention is the one path that deletes: inside its transaction it sets precision.audit_prune_through (transaction
-- local) to the highest sequence it may delete. Anything else still hits the trigger.
CREATE FUNCTION audit_event_guard_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.sequence <= coalesce(nullif(current_setting('precision.audit_prune_through', true), '')::bigint, 0) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit events are append-only; only retention pruning deletes, and only the oldest events';
END;
$$;

DROP TRIGGER audit_event_no_delete ON audit_event;

CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_guard_delete();
