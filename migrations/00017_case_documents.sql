-- +goose Up
-- The documents of a case, the ones its evidence weighs: those that arrived with the case or while
-- it was the customer's latest (at or after its opening, before the customer's next case was
-- opened), and those the case took up: checked, decided or given a liveness verdict in it. A
-- document of an earlier case, with what was decided on it there, stays with that case: its
-- rejection or a new image asked for on it does not follow the customer into a re-verification.
-- ListCaseDocuments and ListCasePageDocuments read it, and so does case_expected_checks: the
-- checks a case expects are on its documents (it took in, until now, every document that arrived
-- after the case's opening, a later case's included). Read filtered by case: the filter is pushed
-- down to cases_pkey and the documents, checks, decisions and verdicts of that case.
CREATE VIEW case_documents AS
SELECT c.id AS case_id, d.id AS document_id
FROM cases c
JOIN documents d ON d.customer_id = c.customer_id
WHERE (d.created_at >= c.created_at
       AND NOT EXISTS (SELECT 1 FROM cases n WHERE n.customer_id = c.customer_id
                       AND n.created_at > c.created_at AND n.created_at <= d.created_at))
   OR EXISTS (SELECT 1 FROM checks k WHERE k.case_id = c.id AND k.document_id = d.id)
   OR EXISTS (SELECT 1 FROM document_decisions x WHERE x.case_id = c.id AND x.document_id = d.id)
   OR EXISTS (SELECT 1 FROM liveness_verdicts v WHERE v.case_id = c.id AND v.document_id = d.id);

CREATE OR REPLACE VIEW case_expected_checks AS
SELECT cd.case_id, d.id AS document_id, e.vendor::text AS vendor
FROM case_documents cd
JOIN documents d ON d.id = cd.document_id
CROSS JOIN LATERAL jsonb_array_elements_text(coalesce(
    (SELECT s.value -> d.type::text FROM app_settings s WHERE s.key = 'checks.defaults'),
    '["cynopsis_ocr", "apptenticate", "argos", "ooto"]'::jsonb)) AS e(vendor)
WHERE e.vendor <> 'artemis'
UNION
SELECT k.case_id, k.document_id, k.vendor FROM checks k WHERE k.kind <> 'record';

-- +goose Down
CREATE OR REPLACE VIEW case_expected_checks AS
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
DROP VIEW case_documents;
