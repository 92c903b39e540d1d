-- Which efficacy model version was activated (or rolled back to), by whom, when and why. Append-only: the history is
-- evidence for compliance, and the latest row decides which version a restarted portal serves.

CREATE TABLE model_activation (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    version              TEXT    NOT NULL,
    onnx_sha256          TEXT    NOT NULL,
    previous_version     TEXT,
    previous_onnx_sha256 TEXT,
    kind                 TEXT    NOT NULL CHECK (kind IN ('Activate', 'Rollback')),
    reason               TEXT    NOT NULL CHECK (length(trim(reason)) > 0),
    actor_subject        TEXT    NOT NULL,
    actor_name           TEXT    NOT NULL,
    activated_utc        TEXT    NOT NULL, -- yyyy-MM-ddTHH:mm:ss.fffffffZ
    audit_event_id       TEXT    NOT NULL  -- the model.activate event recorded in the same transaction
) STRICT;

CREATE TRIGGER model_activation_no_update BEFORE UPDATE ON model_activation
BEGIN
    SELECT RAISE(ABORT, 'model activations are append-only');
END;

CREATE TRIGGER model_activation_no_delete BEFORE DELETE ON model_activation
BEGIN
    SELECT RAISE(ABORT, 'model activations are append-only');
END;
