-- +goose Up
-- A case's vendor outcome says "pass" only when every expected check passed, and "partial" when
-- those that finished passed but others have not run or not finished (see RefreshCaseVendorOutcome).

ALTER TABLE cases DROP CONSTRAINT cases_vendor_outcome_check;
ALTER TABLE cases ADD CONSTRAINT cases_vendor_outcome_check CHECK (vendor_outcome IN ('none', 'pass', 'partial', 'review', 'fail'));

-- The open cases' outcomes again, as RefreshCaseVendorOutcome computes them (decided cases keep
-- the outcome they were decided with).
WITH open_cases AS (
    SELECT id, customer_id, created_at FROM cases WHERE status NOT IN ('approved', 'rejected')
), latest AS (
    SELECT DISTINCT ON (k.case_id, k.document_id, k.vendor) k.case_id, k.document_id, k.vendor, k.outcome, k.state
    FROM checks k JOIN open_cases c ON c.id = k.case_id
    WHERE k.state IN ('done', 'failed') AND k.kind <> 'record'
    ORDER BY k.case_id, k.document_id, k.vendor, k.finished_at DESC
), expected AS (
    SELECT c.id AS case_id, d.id AS document_id, e.vendor
    FROM open_cases c
    JOIN documents d ON d.customer_id = c.customer_id
    CROSS JOIN LATERAL jsonb_array_elements_text(coalesce(
        (SELECT s.value -> d.type::text FROM app_settings s WHERE s.key = 'checks.defaults'),
        '["cynopsis_ocr", "apptenticate", "argos", "ooto"]'::jsonb)) AS e(vendor)
    WHERE e.vendor <> 'artemis'
      AND (d.created_at >= c.created_at OR EXISTS (SELECT 1 FROM checks x WHERE x.case_id = c.id AND x.document_id = d.id))
    UNION
    SELECT k.case_id, k.document_id, k.vendor FROM checks k JOIN open_cases c ON c.id = k.case_id WHERE k.kind <> 'record'
), o AS (
    SELECT x.case_id,
        CASE WHEN bool_or(l.outcome = 'fail') THEN 'fail'
             WHEN bool_or(l.outcome = 'review' OR l.state = 'failed') THEN 'review'
             WHEN bool_and(coalesce(l.outcome = 'pass', false)) THEN 'pass'
             WHEN bool_or(l.outcome = 'pass') THEN 'partial'
             ELSE 'none' END AS outcome
    FROM expected x
    LEFT JOIN latest l ON l.case_id = x.case_id AND l.document_id = x.document_id AND l.vendor = x.vendor
    GROUP BY x.case_id
)
UPDATE cases SET vendor_outcome = o.outcome FROM o WHERE cases.id = o.case_id AND cases.vendor_outcome <> o.outcome;

-- +goose Down
UPDATE cases SET vendor_outcome = 'pass' WHERE vendor_outcome = 'partial';
ALTER TABLE cases DROP CONSTRAINT cases_vendor_outcome_check;
ALTER TABLE cases ADD CONSTRAINT cases_vendor_outcome_check CHECK (vendor_outcome IN ('none', 'pass', 'review', 'fail'));
