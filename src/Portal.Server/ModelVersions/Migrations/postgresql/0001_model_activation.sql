-- The PostgreSQL form of sqlite/0001_model_activation.sql: same columns and stored text.

CREATE TABLE model_activation (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version              text   NOT NULL,
    onnx_sha256          text   NOT NULL,
    previous_version     text,
    previous_onnx_sha256 text,
    kind                 text   NOT NULL CHECK (kind IN ('Activate', 'Rollback')),
    reason               text   NOT NULL CHECK (length(trim(reason)) > 0),
    actor_subject        text   NOT NULL,
    actor_name           text   NOT NULL,
    activated_utc        text   COLLATE "C" NOT NULL, -- yyyy-MM-ddTHH:mm:ss.fffffffZ
    audit_event_id       text   NOT NULL
);

CREATE FUNCTION model_activation_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'model activations are append-only';
END;
$$;

CREATE TRIGGER model_activation_no_update BEFORE UPDATE ON model_activation
    FOR EACH ROW EXECUTE FUNCTION model_activation_append_only();

CREATE TRIGGER model_activation_no_delete BEFORE DELETE ON model_activation
    FOR EACH ROW EXECUTE FUNCTION model_activation_append_only();

CREATE TRIGGER model_activation_no_truncate BEFORE TRUNCATE ON model_activation
    FOR EACH STATEMENT EXECUTE FUNCTION model_activation_append_only();
