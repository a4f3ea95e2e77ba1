-- +goose Up
-- The checks a case expects: on each document of the case, the vendors of its type's default set
-- (the app setting checks.defaults; without it, the literal below, which is checks.DefaultSet) and
-- any vendor asked for; Artemis record creation examines nothing and is left out. A document of
-- the case is one that arrived with the case or after it, or one the case has checks on.
-- RefreshCaseVendorOutcome (the queue's vendor outcome) and ListUnfinishedExpectedChecks (the
-- checks_missing flag) both read it, filtered by case: the filter is pushed into both branches,
-- so one case's set is read through the indexes on cases, documents and checks.
CREATE VIEW case_expected_checks AS
SELECT c.id AS case_id, d.id AS document_id, e.vendor::text AS vendor
FROM cases c
JOIN documents d ON d.customer_id = c.customer_id
CROSS JOIN LATERAL jsonb_array_elements_text(coalesce(
    (SELECT s.value -> d.type::text FROM app_settings s WHERE s.key = 'checks.defaults'),
    '["cynopsis_ocr", "apptenticate", "argos", "ooto"]'::jsonb)) AS e(vendor)
WHERE e.vendor <> 'artemis'
  AND (d.created_at >= c.created_at OR EXISTS (SELECT 1 FROM checks x WHERE x.case_id = c.id AND x.document_id = d.id))
UNION
SELECT k.case_id, k.document_id, k.vendor FROM checks k WHERE k.kind <> 'record';

-- +goose Down
DROP VIEW case_expected_checks;
