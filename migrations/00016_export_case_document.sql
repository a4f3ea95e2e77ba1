-- +goose Up
-- The case-list export's document columns are the case's latest document, not the customer's: the
-- customer's latest document that arrived before any later case of theirs was opened. Since a
-- document for a customer whose cases are all decided opens a new case, a rejected case's row
-- showed the passport that opened the re-verification, which the rejection never saw. (The
-- documents of an earlier case still count for a later one: a case opened with no document of its
-- own shows the customer's latest.) Only the view's d changes, and the stored rows of the
-- customers with several cases are made again from it; a document's arrival already marks every
-- case of its customer (documents_export_mark).
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
    WHERE x.customer_id = c.customer_id
      AND NOT EXISTS (SELECT 1 FROM cases n WHERE n.customer_id = c.customer_id
                      AND n.created_at > c.created_at AND n.created_at <= x.created_at)
    ORDER BY x.created_at DESC, x.id DESC LIMIT 1) d ON true
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

UPDATE case_export_rows r SET document_type = v.document_type, document_number = v.document_number,
    document_country = v.document_country, document_expiry = v.document_expiry
FROM case_export_source v
WHERE v.case_id = r.case_id
  AND r.case_id IN (SELECT c.id FROM cases c
                    WHERE EXISTS (SELECT 1 FROM cases n WHERE n.customer_id = c.customer_id AND n.created_at > c.created_at));

-- +goose Down
-- 00014's view: the customer's latest document.
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

UPDATE case_export_rows r SET document_type = v.document_type, document_number = v.document_number,
    document_country = v.document_country, document_expiry = v.document_expiry
FROM case_export_source v
WHERE v.case_id = r.case_id
  AND r.case_id IN (SELECT c.id FROM cases c
                    WHERE EXISTS (SELECT 1 FROM cases n WHERE n.customer_id = c.customer_id AND n.created_at > c.created_at));
