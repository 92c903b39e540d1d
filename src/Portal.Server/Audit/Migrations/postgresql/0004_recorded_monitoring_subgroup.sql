-- The PostgreSQL form of sqlite/0004_recorded_monitoring_subgroup.sql: predictions record their monitoring subgroup
-- ($.monitoring); events without it keep the reading of 0003. The key is a STORED column: rows already written keep the
-- value 0003 computed, which is what this function gives them too (they have no $.monitoring), so only new rows differ.
CREATE OR REPLACE FUNCTION audit_monitoring_key(action text, outcome text, details text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    parsed   jsonb;
    clinical jsonb;
    subgroup text;
BEGIN
    IF details IS NULL THEN
        RETURN NULL;
    END IF;
    IF action IN ('prediction.create', 'prediction.what-if') AND outcome = 'Success' THEN
        parsed := details::jsonb;
        clinical := parsed -> 'inputs' -> 'clinical';
        IF jsonb_typeof(parsed -> 'monitoring') = 'object' THEN
            subgroup := coalesce(parsed -> 'monitoring' ->> 'sex', 'unknown') || '|' ||
                        coalesce(parsed -> 'monitoring' ->> 'ageDecade', 'unknown') || '|' ||
                        coalesce(parsed -> 'monitoring' ->> 'cancerType', 'unknown');
        ELSIF parsed ->> 'featureSchemaHash' = 'ab0db75a9fce65933e7d61562c7cc066c361df3437892cd16c23f7e332eca2b0'
           AND jsonb_typeof(clinical) = 'array' THEN
            subgroup :=
                CASE WHEN (clinical ->> 2)::float8 = 1 THEN 'female'
                     WHEN (clinical ->> 3)::float8 = 1 THEN 'male'
                     ELSE 'unknown' END || '|' ||
                CASE WHEN (clinical ->> 1)::float8 = 1 OR jsonb_typeof(clinical -> 0) IS DISTINCT FROM 'number' THEN 'unknown'
                     ELSE (trunc((clinical ->> 0)::float8)::bigint * 10)::text END || '|' ||
                CASE WHEN (clinical ->> 5)::float8 = 1 THEN 'NonSmallCellLungCancer'
                     WHEN (clinical ->> 6)::float8 = 1 THEN 'ColorectalCancer'
                     WHEN (clinical ->> 7)::float8 = 1 THEN 'BreastCancer'
                     WHEN (clinical ->> 8)::float8 = 1 THEN 'Melanoma'
                     WHEN (clinical ->> 9)::float8 = 1 THEN 'OvarianCancer'
                     WHEN (clinical ->> 10)::float8 = 1 THEN 'PancreaticCancer'
                     WHEN (clinical ->> 4)::float8 = 1 THEN 'Other'
                     ELSE 'unknown' END;
        ELSE
            subgroup := '?|?|?';
        END IF;
        RETURN 'p|' || coalesce(parsed -> 'applicability' ->> 'level', '') || '|' || subgroup;
    ELSIF action = 'prediction.feedback' THEN
        parsed := details::jsonb;
        RETURN 'f|' || CASE jsonb_typeof(parsed -> 'agrees') WHEN 'boolean' THEN CASE WHEN (parsed ->> 'agrees')::boolean THEN '1' ELSE '0' END ELSE '' END
            || '|' || coalesce(parsed ->> 'therapy', '');
    END IF;
    RETURN NULL;
EXCEPTION
    -- Details that are not JSON, or a vector entry that is not a number: no monitoring facts, never a failed append.
    WHEN invalid_text_representation OR data_exception THEN
        RETURN NULL;
END;
$$;
