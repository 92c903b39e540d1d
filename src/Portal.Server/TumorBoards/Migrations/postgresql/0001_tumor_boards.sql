-- The PostgreSQL form of sqlite/0001_tumor_boards.sql: same tables, columns and stored text (ids and UTC times as
-- text), so both stores share their SQL. Times and names compared or sorted use the "C" collation (byte order,
-- whatever the database's locale); sign-in names are compared case-insensitively through lower(), as SQLite's
-- NOCASE does. A signed recommendation row is locked by the triggers below: amendments are new rows (version + 1)
-- that name the version they amend.

CREATE TABLE board_meeting (
    id                 text NOT NULL PRIMARY KEY,
    title              text NOT NULL,
    scheduled_utc      text COLLATE "C" NOT NULL, -- yyyy-MM-ddTHH:mm:ss.fffffffZ
    chair_user_name    text COLLATE "C" NOT NULL,
    chair_display_name text NOT NULL,
    created_utc        text NOT NULL,
    created_by_subject text NOT NULL
);

CREATE INDEX ix_board_meeting_chair ON board_meeting (lower(chair_user_name));

CREATE TABLE board_attendee (
    meeting_id text NOT NULL REFERENCES board_meeting (id),
    user_name  text COLLATE "C" NOT NULL,
    PRIMARY KEY (meeting_id, user_name)
);

-- The primary key of the SQLite table is case-insensitive; this keeps "Board" and "board" one attendee here too.
CREATE UNIQUE INDEX ux_board_attendee_meeting_user ON board_attendee (meeting_id, lower(user_name));
CREATE INDEX ix_board_attendee_user_name ON board_attendee (lower(user_name));

CREATE TABLE board_case (
    id            text    NOT NULL PRIMARY KEY,
    meeting_id    text    NOT NULL REFERENCES board_meeting (id),
    position      integer NOT NULL,
    patient_id    text    NOT NULL,
    patient_label text    NOT NULL,
    question      text    NOT NULL,
    added_utc     text    NOT NULL,
    added_by      text    NOT NULL
);

CREATE INDEX ix_board_case_meeting ON board_case (meeting_id, position);

CREATE TABLE board_recommendation (
    case_id             text    NOT NULL REFERENCES board_case (id),
    version             integer NOT NULL,
    kind                text    NOT NULL,
    content_json        text    NOT NULL,
    content_hash        text    NOT NULL, -- SHA-256 hex over the canonical content: what the chair signs
    amends              integer,
    author_user_name    text    NOT NULL,
    author_display_name text    NOT NULL,
    saved_utc           text    NOT NULL,
    signed_user_name    text,
    signed_display_name text,
    signed_subject      text,
    signed_utc          text,
    sign_method         text,
    authenticated_utc   text,
    PRIMARY KEY (case_id, version)
);

CREATE FUNCTION board_recommendation_signed_locked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a signed recommendation is locked; save an amendment (a new version) instead';
END;
$$;

CREATE TRIGGER board_recommendation_signed_no_update BEFORE UPDATE ON board_recommendation
    FOR EACH ROW WHEN (OLD.signed_utc IS NOT NULL) EXECUTE FUNCTION board_recommendation_signed_locked();

CREATE TRIGGER board_recommendation_signed_no_delete BEFORE DELETE ON board_recommendation
    FOR EACH ROW WHEN (OLD.signed_utc IS NOT NULL) EXECUTE FUNCTION board_recommendation_signed_locked();

-- TRUNCATE fires no row triggers: refuse it while any signed row exists.
CREATE FUNCTION board_recommendation_no_truncate_signed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM board_recommendation WHERE signed_utc IS NOT NULL) THEN
        RAISE EXCEPTION 'a signed recommendation is locked; save an amendment (a new version) instead';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER board_recommendation_no_truncate BEFORE TRUNCATE ON board_recommendation
    FOR EACH STATEMENT EXECUTE FUNCTION board_recommendation_no_truncate_signed();
