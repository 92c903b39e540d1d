-- Predictions now record their monitoring subgroup as such ($.monitoring: sex, ageDecade, cancerType), written by the
-- portal when the prediction is made, so a new feature layout (schema v2 appends re-challenge flags) needs no migration.
-- Events written before keep the reading of 0003 (clinical vector by position, schema ab0db75a… only). The key's format
-- is unchanged. SQLite cannot change a generated column's expression: the indexes and the column are dropped and added
-- again (VIRTUAL: nothing is stored but the indexes, which are rebuilt here).
DROP INDEX ix_audit_event_monitoring;
DROP INDEX ix_audit_event_monitoring_id;
ALTER TABLE audit_event DROP COLUMN monitoring_key;
ALTER TABLE audit_event ADD COLUMN monitoring_key TEXT GENERATED ALWAYS AS (
    CASE
        WHEN action IN ('prediction.create', 'prediction.what-if') AND outcome = 'Success' AND json_valid(details_json) THEN
            'p|' || coalesce(json_extract(details_json, '$.applicability.level'), '') || '|' ||
            CASE WHEN json_type(details_json, '$.monitoring') = 'object' THEN
                coalesce(json_extract(details_json, '$.monitoring.sex'), 'unknown') || '|' ||
                coalesce(json_extract(details_json, '$.monitoring.ageDecade'), 'unknown') || '|' ||
                coalesce(json_extract(details_json, '$.monitoring.cancerType'), 'unknown')
            ELSE
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
            END
        WHEN action = 'prediction.feedback' AND json_valid(details_json) THEN
            'f|' || CASE json_type(details_json, '$.agrees') WHEN 'true' THEN '1' WHEN 'false' THEN '0' ELSE '' END || '|' ||
            coalesce(json_extract(details_json, '$.therapy'), '')
    END) VIRTUAL;

CREATE INDEX ix_audit_event_monitoring ON audit_event (occurred_utc, monitoring_key) WHERE monitoring_key IS NOT NULL;
CREATE INDEX ix_audit_event_monitoring_id ON audit_event (id, monitoring_key) WHERE monitoring_key IS NOT NULL;
