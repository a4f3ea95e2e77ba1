-- +goose Up
-- OOTO's estimates of the person's age, gender and race are no longer kept (the OOTO client leaves
-- them out): not read off a document, no decision rests on them, and an estimated race is
-- special-category data. The ones kept before go too: from OOTO's check results (the raw fields)
-- and from the answers its vendor calls stored. Nothing else of either changes.
UPDATE checks SET result = result #- '{extra,face.quality.age}' #- '{extra,face.quality.gender}' #- '{extra,face.quality.race}'
WHERE vendor = 'ooto' AND result -> 'extra' ?| ARRAY['face.quality.age', 'face.quality.gender', 'face.quality.race'];

-- +goose StatementBegin
DO $$
DECLARE
    r       record;
    answer  jsonb;
    quality jsonb;
    k       text;
BEGIN
    FOR r IN SELECT id, body FROM vendor_calls WHERE vendor = 'ooto' AND body IS NOT NULL LOOP
        BEGIN
            answer := convert_from(r.body, 'UTF8')::jsonb;
        EXCEPTION WHEN others THEN
            CONTINUE; -- an answer that is not JSON cannot hold them
        END;
        quality := answer #> '{result,face,quality}';
        IF jsonb_typeof(quality) <> 'object' THEN
            CONTINUE;
        END IF;
        FOR k IN SELECT jsonb_object_keys(quality) LOOP
            -- The client matches "Age", "AGE", "age" alike.
            IF lower(regexp_replace(k, '[ _.-]', '', 'g')) IN ('age', 'gender', 'race') THEN
                quality := quality - k;
            END IF;
        END LOOP;
        IF quality IS DISTINCT FROM answer #> '{result,face,quality}' THEN
            UPDATE vendor_calls SET body = convert_to(jsonb_set(answer, '{result,face,quality}', quality)::text, 'UTF8') WHERE id = r.id;
        END IF;
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- What was removed is not kept anywhere: nothing to restore.
SELECT 1;
