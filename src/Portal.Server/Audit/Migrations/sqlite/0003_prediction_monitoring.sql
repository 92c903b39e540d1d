-- Model monitoring (Compliance → Monitoring) aggregates predictions and clinician feedback by day. Parsing every
-- prediction's details (≈ 5 KB of JSON) at query time costs seconds at 1M events, so the few facts monitoring needs are
-- a generated column, computed once per event when it is written (and here for events already in the trail), and kept
-- in two partial indexes: by time for the aggregation, by event id for joining feedback to its prediction.
-- Like model_version it is VIRTUAL, derived from the hashed details, and not part of the canonical form.
--
--   prediction.create / prediction.what-if (Success): p|<applicability level>|<sex>|<age decade>|<cancer type>
--   prediction.feedback:                              f|<1 agrees, 0 disagrees>|<therapy id>
--
-- Predictions do not record the patient's sex, age or cancer type as such; they are read from the recorded clinical
-- feature vector by position, which is only known for the feature schemas listed here (hash in the details). Other
-- schemas give '?' (not derivable) rather than a guess; a new schema needs a migration adding its hash and positions.
-- Schema ab0db75a… (models 1.0.0 and 1.1.0): clinical[0] age_decades, [1] age_missing, [2] sex_female, [3] sex_male,
-- [4] cancer_Other, [5] NonSmallCellLungCancer, [6] ColorectalCancer, [7] BreastCancer, [8] Melanoma,
-- [9] OvarianCancer, [10] PancreaticCancer (PatientFeaturizer; a test pins these positions).
ALTER TABLE audit_event ADD COLUMN monitoring_key TEXT GENERATED ALWAYS AS (
    CASE
        WHEN action IN ('prediction.create', 'prediction.what-if') AND outcome = 'Success' AND json_valid(details_json) THEN
            'p|' || coalesce(json_extract(details_json, '$.applicability.level'), '') || '|' ||
            CASE WHEN json_extract(details_json, '$.featureSchemaHash') = 'ab0db75a9fce65933e7d61562c7cc066c361df3437892cd16c23f7e332eca2b0' THEN
                CASE WHEN json_extract(details_json, '$.inputs.clinical[2]') = 1 THEN 'female'
                     WHEN json_extract(details_json, '$.inputs.clinical[3]') = 1 THEN 'male'
                     ELSE 'unknown' END || '|' ||
                CASE WHEN json_extract(details_json, '$.inputs.clinical[1]') = 1 OR json_type(details_json, '$.inputs.clinical[0]') NOT IN ('integer', 'real') THEN 'unknown'
                     ELSE CAST(CAST(json_extract(details_json, '$.inputs.clinical[0]') AS INTEGER) * 10 AS TEXT) END || '|' ||
                CASE WHEN json_extract(details_json, '$.inputs.clinical[5]') = 1 THEN 'NonSmallCellLungCancer'
                     WHEN json_extract(details_json, '$.inputs.clinical[6]') = 1 THEN 'ColorectalCancer'
                     WHEN json_extract(details_json, '$.inputs.clinical[7]') = 1 THEN 'BreastCancer'
                     WHEN json_extract(details_json, '$.inputs.clinical[8]') = 1 THEN 'Melanoma'
                     WHEN json_extract(details_json, '$.inputs.clinical[9]') = 1 THEN 'OvarianCancer'
                     WHEN json_extract(details_json, '$.inputs.clinical[10]') = 1 THEN 'PancreaticCancer'
                     WHEN json_extract(details_json, '$.inputs.clinical[4]') = 1 THEN 'Other'
                     ELSE 'unknown' END
            ELSE '?|?|?' END
        WHEN action = 'prediction.feedback' AND json_valid(details_json) THEN
            'f|' || CASE json_type(details_json, '$.agrees') WHEN 'true' THEN '1' WHEN 'false' THEN '0' ELSE '' END || '|' ||
            coalesce(json_extract(details_json, '$.therapy'), '')
    END) VIRTUAL;

-- The aggregation reads a time range of this index only (about a third of all events are predictions or feedback).
CREATE INDEX ix_audit_event_monitoring ON audit_event (occurred_utc, monitoring_key) WHERE monitoring_key IS NOT NULL;
-- Feedback names its prediction by event id; this finds it (and its subgroup) without reading the prediction's row.
CREATE INDEX ix_audit_event_monitoring_id ON audit_event (id, monitoring_key) WHERE monitoring_key IS NOT NULL;
