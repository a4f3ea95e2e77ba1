-- +goose Up
-- The case-list export flags a late document (late_document:<document>), as the decision panel and
-- the case report say it: a document that arrived while the latest decision waited for its second
-- review (after the maker decided, before the checker confirmed or returned it; while it is
-- pending, until now), which the maker did not see (decisions.LateDocuments).
--
-- The documents are the case's as ListCaseDocuments scopes them: the customer's, arrived after the
-- case was opened and before any later case of the customer. Its other clause (a document the
-- case took up: checked, decided or given a verdict in it) adds none here: a document that arrived
-- after the decision and before the checker's answer arrived while the case was open, when no
-- later case can have been opened. The row is marked stale when such a document arrives
-- (documents_export_mark) and when the decision changes (case_decisions_export_mark), as before.
-- The new column goes last: CREATE OR REPLACE VIEW can only add.
CREATE OR REPLACE VIEW case_export_source AS
SELECT c.id AS case_id, c.status, c.created_at, c.last_activity_at, c.vendor_outcome, c.risk_flag,
    c.nationality AS case_nationality, c.assignee_id,
    cu.external_ref, cu.given_names, cu.surname, cu.date_of_birth, cu.nationality,
    d.type AS document_type, d.number AS document_number, d.issuing_country AS document_country,
    d.expiry_date AS document_expiry,
    k.checks,
    cd.outcome AS decision, cd.reason_id, cd.comment AS decision_comment, cd.decided_by, cd.decided_at,
    cd.state AS decision_state, cd.checker_id, cd.checked_at, cd.evidence -> 'flags' AS decision_flags,
    lv.liveness_result, lv.liveness_confidence, ld.state AS delivery_state,
    c.search_text,
    (CASE WHEN c.status IN ('approved', 'rejected') THEN coalesce(c.decided_at, cd.checked_at, cd.decided_at) END)::timestamptz AS case_decided_at,
    ln.late_documents
FROM cases c
JOIN customers cu ON cu.id = c.customer_id
LEFT JOIN LATERAL (
    SELECT x.type, x.number, x.issuing_country, x.expiry_date FROM documents x
    WHERE x.customer_id = c.customer_id ORDER BY x.created_at DESC, x.id DESC LIMIT 1) d ON true
LEFT JOIN LATERAL (
    SELECT string_agg(l.vendor || '=' || coalesce(l.outcome, l.state::text)
               || CASE WHEN l.code <> '' THEN ':' || l.code ELSE '' END, ',' ORDER BY l.vendor) AS checks
    FROM (SELECT DISTINCT ON (y.vendor) y.vendor, y.outcome, y.state, y.code FROM checks y
          WHERE y.case_id = c.id AND y.kind <> 'record' ORDER BY y.vendor, y.created_at DESC) l) k ON true
LEFT JOIN LATERAL (
    SELECT x.outcome, x.reason_id, x.comment, x.decided_by, x.decided_at, x.state, x.checker_id, x.checked_at, x.evidence
    FROM case_decisions x WHERE x.case_id = c.id ORDER BY x.decided_at DESC, x.id DESC LIMIT 1) cd ON true
LEFT JOIN LATERAL (
    SELECT x.id, x.liveness_result, x.liveness_confidence FROM liveness_verdicts x
    WHERE x.case_id = c.id ORDER BY x.seq DESC LIMIT 1) lv ON true
LEFT JOIN liveness_deliveries ld ON ld.verdict_id = lv.id
-- The late documents of the latest decision: [type, number] of each, oldest first; NULL for none.
LEFT JOIN LATERAL (
    SELECT jsonb_agg(jsonb_build_array(x.type, x.number) ORDER BY x.created_at, x.id) AS late_documents
    FROM documents x
    WHERE cd.state IN ('pending', 'confirmed', 'returned')
      AND x.customer_id = c.customer_id AND x.created_at > cd.decided_at
      AND (cd.checked_at IS NULL OR x.created_at <= cd.checked_at)
      AND NOT EXISTS (SELECT 1 FROM cases n WHERE n.customer_id = c.customer_id
                      AND n.created_at > c.created_at AND n.created_at <= x.created_at)) ln ON true;

ALTER TABLE case_export_rows ADD COLUMN late_documents jsonb;
UPDATE case_export_rows r SET late_documents = v.late_documents
FROM case_export_source v WHERE v.case_id = r.case_id AND v.late_documents IS NOT NULL;

-- +goose Down
ALTER TABLE case_export_rows DROP COLUMN late_documents;
-- A view loses a column only by being made again (00008's).
DROP VIEW case_export_source;
CREATE VIEW case_export_source AS
SELECT c.id AS case_id, c.status, c.created_at, c.last_activity_at, c.vendor_outcome, c.risk_flag,
    c.nationality AS case_nationality, c.assignee_id,
    cu.external_ref, cu.given_names, cu.surname, cu.date_of_birth, cu.nationality,
    d.type AS document_type, d.number AS document_number, d.issuing_country AS document_country,
    d.expiry_date AS document_expiry,
    k.checks,
    cd.outcome AS decision, cd.reason_id, cd.comment AS decision_comment, cd.decided_by, cd.decided_at,
    cd.state AS decision_state, cd.checker_id, cd.checked_at, cd.evidence -> 'flags' AS decision_flags,
    lv.liveness_result, lv.liveness_confidence, ld.state AS delivery_state,
    c.search_text,
    (CASE WHEN c.status IN ('approved', 'rejected') THEN coalesce(c.decided_at, cd.checked_at, cd.decided_at) END)::timestamptz AS case_decided_at
FROM cases c
JOIN customers cu ON cu.id = c.customer_id
LEFT JOIN LATERAL (
    SELECT x.type, x.number, x.issuing_country, x.expiry_date FROM documents x
    WHERE x.customer_id = c.customer_id ORDER BY x.created_at DESC, x.id DESC LIMIT 1) d ON true
LEFT JOIN LATERAL (
    SELECT string_agg(l.vendor || '=' || coalesce(l.outcome, l.state::text)
               || CASE WHEN l.code <> '' THEN ':' || l.code ELSE '' END, ',' ORDER BY l.vendor) AS checks
    FROM (SELECT DISTINCT ON (y.vendor) y.vendor, y.outcome, y.state, y.code FROM checks y
          WHERE y.case_id = c.id AND y.kind <> 'record' ORDER BY y.vendor, y.created_at DESC) l) k ON true
LEFT JOIN LATERAL (
    SELECT x.outcome, x.reason_id, x.comment, x.decided_by, x.decided_at, x.state, x.checker_id, x.checked_at, x.evidence
    FROM case_decisions x WHERE x.case_id = c.id ORDER BY x.decided_at DESC, x.id DESC LIMIT 1) cd ON true
LEFT JOIN LATERAL (
    SELECT x.id, x.liveness_result, x.liveness_confidence FROM liveness_verdicts x
    WHERE x.case_id = c.id ORDER BY x.seq DESC LIMIT 1) lv ON true
LEFT JOIN liveness_deliveries ld ON ld.verdict_id = lv.id;
