-- +goose Up
-- The case-list export says when a decided case was decided, so that its age stops there and
-- "past SLA" says whether it was decided after the SLA (it said "no" for every decided case, and
-- its age kept growing after the decision).

-- case_decided_at: when the case was approved or rejected (after the second review when there
-- was one), NULL while it is not; a decided case whose row lacks cases.decided_at falls back on
-- its latest decision's time. The new column goes last: CREATE OR REPLACE VIEW can only add.
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

ALTER TABLE case_export_rows ADD COLUMN case_decided_at timestamptz;
UPDATE case_export_rows r SET case_decided_at = v.case_decided_at
FROM case_export_source v WHERE v.case_id = r.case_id AND v.case_decided_at IS NOT NULL;

-- The decision time is part of the row now: a change of it alone marks the case too.
DROP TRIGGER cases_export_mark ON cases;
CREATE TRIGGER cases_export_mark AFTER INSERT OR DELETE OR UPDATE OF status, created_at, last_activity_at,
    vendor_outcome, risk_flag, nationality, assignee_id, customer_id, decided_at ON cases
    FOR EACH ROW EXECUTE FUNCTION case_export_mark('case');

-- +goose Down
DROP TRIGGER cases_export_mark ON cases;
CREATE TRIGGER cases_export_mark AFTER INSERT OR DELETE OR UPDATE OF status, created_at, last_activity_at,
    vendor_outcome, risk_flag, nationality, assignee_id, customer_id ON cases
    FOR EACH ROW EXECUTE FUNCTION case_export_mark('case');
ALTER TABLE case_export_rows DROP COLUMN case_decided_at;
-- A view loses a column only by being made again.
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
    c.search_text
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
