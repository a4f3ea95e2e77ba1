-- +goose Up
-- The case-list export's rows, kept ready so that a big export reads one table in the queue's
-- order instead of joining six tables and sorting a million wide rows before its first row.

-- case_export_source is one export row per case, computed from the tables: the case, its
-- customer, the customer's latest document, the latest check of each vendor, the latest decision
-- and the latest liveness verdict with its delivery. Small exports read it directly; big ones read
-- case_export_rows, the same rows stored, and compute only the cases marked stale.
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
-- "vendor=outcome[:code]" for the latest check of each vendor, or its state while it has no
-- outcome ("argos=failed:1003" when it could not run), joined by commas.
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

-- The stored rows: case_export_source's columns but the search text (an export with a search
-- reads the view).
CREATE TABLE case_export_rows (
    case_id              uuid PRIMARY KEY,
    status               case_status NOT NULL,
    created_at           timestamptz NOT NULL,
    last_activity_at     timestamptz NOT NULL,
    vendor_outcome       text NOT NULL,
    risk_flag            boolean NOT NULL,
    case_nationality     text NOT NULL,
    assignee_id          uuid,
    external_ref         text,
    given_names          text NOT NULL,
    surname              text NOT NULL,
    date_of_birth        date,
    nationality          text NOT NULL,
    document_type        document_type,
    document_number      text,
    document_country     text,
    document_expiry      date,
    checks               text,
    decision             text,
    reason_id            uuid,
    decision_comment     text,
    decided_by           uuid,
    decided_at           timestamptz,
    decision_state       text,
    checker_id           uuid,
    checked_at           timestamptz,
    decision_flags       jsonb,
    liveness_result      boolean,
    liveness_confidence  integer,
    delivery_state       liveness_delivery_state
);
-- The export's two orders, status by status as the queue shows them.
CREATE INDEX case_export_rows_age_idx ON case_export_rows (status, created_at, case_id);
CREATE INDEX case_export_rows_activity_idx ON case_export_rows (status, last_activity_at DESC, case_id DESC);

-- The cases whose stored row may be out of date. Every change that can alter a case's export row
-- marks the case in the same transaction, with a new version: a refresh removes a mark only if
-- its version is still the one it read before computing the row, so a change made meanwhile is
-- never lost, and an export reads a stored row only for a case not marked in its snapshot.
CREATE SEQUENCE case_export_stale_version;
CREATE TABLE case_export_stale (
    case_id  uuid PRIMARY KEY,
    version  bigint NOT NULL DEFAULT nextval('case_export_stale_version')
);

-- A customer's or a document's change marks the customer's cases.
CREATE INDEX cases_customer_idx ON cases (customer_id);

-- case_export_mark marks the cases a row touches; its argument says how the row leads to them.
-- +goose StatementBegin
CREATE FUNCTION case_export_mark() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    IF TG_OP = 'DELETE' THEN
        r := OLD;
    ELSE
        r := NEW;
    END IF;
    CASE TG_ARGV[0]
    WHEN 'case' THEN
        INSERT INTO case_export_stale (case_id) VALUES (r.id)
        ON CONFLICT (case_id) DO UPDATE SET version = EXCLUDED.version;
    WHEN 'case_id' THEN
        INSERT INTO case_export_stale (case_id) VALUES (r.case_id)
        ON CONFLICT (case_id) DO UPDATE SET version = EXCLUDED.version;
    WHEN 'customer' THEN
        INSERT INTO case_export_stale (case_id) SELECT c.id FROM cases c WHERE c.customer_id = r.id
        ON CONFLICT (case_id) DO UPDATE SET version = EXCLUDED.version;
    WHEN 'customer_id' THEN
        INSERT INTO case_export_stale (case_id) SELECT c.id FROM cases c WHERE c.customer_id = r.customer_id
        ON CONFLICT (case_id) DO UPDATE SET version = EXCLUDED.version;
    WHEN 'verdict_id' THEN
        INSERT INTO case_export_stale (case_id) SELECT v.case_id FROM liveness_verdicts v WHERE v.id = r.verdict_id
        ON CONFLICT (case_id) DO UPDATE SET version = EXCLUDED.version;
    END CASE;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER cases_export_mark AFTER INSERT OR DELETE OR UPDATE OF status, created_at, last_activity_at,
    vendor_outcome, risk_flag, nationality, assignee_id, customer_id ON cases
    FOR EACH ROW EXECUTE FUNCTION case_export_mark('case');
CREATE TRIGGER customers_export_mark AFTER UPDATE OF external_ref, given_names, surname, date_of_birth, nationality
    ON customers FOR EACH ROW EXECUTE FUNCTION case_export_mark('customer');
CREATE TRIGGER documents_export_mark AFTER INSERT OR DELETE OR UPDATE OF type, number, issuing_country,
    expiry_date, created_at, customer_id ON documents
    FOR EACH ROW EXECUTE FUNCTION case_export_mark('customer_id');
-- A check changes state several times as it runs: only a change the export shows marks its case.
CREATE TRIGGER checks_export_mark AFTER INSERT OR DELETE ON checks
    FOR EACH ROW EXECUTE FUNCTION case_export_mark('case_id');
CREATE TRIGGER checks_export_mark_update AFTER UPDATE ON checks
    FOR EACH ROW WHEN ((OLD.state, OLD.outcome, OLD.code, OLD.vendor, OLD.kind, OLD.created_at, OLD.case_id)
        IS DISTINCT FROM (NEW.state, NEW.outcome, NEW.code, NEW.vendor, NEW.kind, NEW.created_at, NEW.case_id))
    EXECUTE FUNCTION case_export_mark('case_id');
CREATE TRIGGER case_decisions_export_mark AFTER INSERT OR UPDATE OR DELETE ON case_decisions
    FOR EACH ROW EXECUTE FUNCTION case_export_mark('case_id');
CREATE TRIGGER liveness_verdicts_export_mark AFTER INSERT ON liveness_verdicts
    FOR EACH ROW EXECUTE FUNCTION case_export_mark('case_id');
CREATE TRIGGER liveness_deliveries_export_mark AFTER INSERT OR UPDATE OF state ON liveness_deliveries
    FOR EACH ROW EXECUTE FUNCTION case_export_mark('verdict_id');

-- The rows of the cases there are now.
INSERT INTO case_export_rows
SELECT case_id, status, created_at, last_activity_at, vendor_outcome, risk_flag, case_nationality, assignee_id,
    external_ref, given_names, surname, date_of_birth, nationality, document_type, document_number,
    document_country, document_expiry, checks, decision, reason_id, decision_comment, decided_by, decided_at,
    decision_state, checker_id, checked_at, decision_flags, liveness_result, liveness_confidence, delivery_state
FROM case_export_source;

-- +goose Down
DROP TRIGGER liveness_deliveries_export_mark ON liveness_deliveries;
DROP TRIGGER liveness_verdicts_export_mark ON liveness_verdicts;
DROP TRIGGER case_decisions_export_mark ON case_decisions;
DROP TRIGGER checks_export_mark_update ON checks;
DROP TRIGGER checks_export_mark ON checks;
DROP TRIGGER documents_export_mark ON documents;
DROP TRIGGER customers_export_mark ON customers;
DROP TRIGGER cases_export_mark ON cases;
DROP FUNCTION case_export_mark();
DROP TABLE case_export_stale;
DROP SEQUENCE case_export_stale_version;
DROP TABLE case_export_rows;
DROP VIEW case_export_source;
DROP INDEX cases_customer_idx;
