-- Tumor board meetings, their agenda and versioned recommendations. A signed recommendation row is locked by the
-- triggers below: amendments are new rows (version + 1) that name the version they amend.

CREATE TABLE board_meeting (
    id                 TEXT NOT NULL PRIMARY KEY,
    title              TEXT NOT NULL,
    scheduled_utc      TEXT NOT NULL, -- yyyy-MM-ddTHH:mm:ss.fffffffZ
    chair_user_name    TEXT NOT NULL COLLATE NOCASE,
    chair_display_name TEXT NOT NULL,
    created_utc        TEXT NOT NULL,
    created_by_subject TEXT NOT NULL
) STRICT;

CREATE TABLE board_attendee (
    meeting_id TEXT NOT NULL REFERENCES board_meeting (id),
    user_name  TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (meeting_id, user_name)
) STRICT;

CREATE INDEX ix_board_attendee_user_name ON board_attendee (user_name);

CREATE TABLE board_case (
    id            TEXT    NOT NULL PRIMARY KEY,
    meeting_id    TEXT    NOT NULL REFERENCES board_meeting (id),
    position      INTEGER NOT NULL,
    patient_id    TEXT    NOT NULL,
    patient_label TEXT    NOT NULL,
    question      TEXT    NOT NULL,
    added_utc     TEXT    NOT NULL,
    added_by      TEXT    NOT NULL
) STRICT;

CREATE INDEX ix_board_case_meeting ON board_case (meeting_id, position);

CREATE TABLE board_recommendation (
    case_id             TEXT    NOT NULL REFERENCES board_case (id),
    version             INTEGER NOT NULL,
    kind                TEXT    NOT NULL,
    content_json        TEXT    NOT NULL,
    content_hash        TEXT    NOT NULL, -- SHA-256 hex over the canonical content: what the chair signs
    amends              INTEGER,
    author_user_name    TEXT    NOT NULL,
    author_display_name TEXT    NOT NULL,
    saved_utc           TEXT    NOT NULL,
    signed_user_name    TEXT,
    signed_display_name TEXT,
    signed_subject      TEXT,
    signed_utc          TEXT,
    sign_method         TEXT,
    authenticated_utc   TEXT,
    PRIMARY KEY (case_id, version)
) STRICT;

CREATE TRIGGER board_recommendation_signed_no_update BEFORE UPDATE ON board_recommendation
WHEN OLD.signed_utc IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a signed recommendation is locked; save an amendment (a new version) instead');
END;

CREATE TRIGGER board_recommendation_signed_no_delete BEFORE DELETE ON board_recommendation
WHEN OLD.signed_utc IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a signed recommendation is locked; save an amendment (a new version) instead');
END;
