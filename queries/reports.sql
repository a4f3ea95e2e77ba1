-- Managers' reports: the case-list export, the per-case report, the dashboard and the audit-log
-- export. The case-list export's own statement is in internal/reports/stream.go: it is read row
-- by row as it streams, which sqlc's generated code (every row into a slice first) cannot do.

-- name: CountExportCases :one
-- How many cases an export will write: the page query's filters, over one status or all of them.
SELECT count(*) FROM cases q
WHERE (sqlc.narg(status)::case_status IS NULL OR q.status = sqlc.narg(status))
  AND (sqlc.narg(assignee_id)::uuid IS NULL OR q.assignee_id = sqlc.narg(assignee_id))
  AND (NOT @unassigned::bool OR q.assignee_id IS NULL)
  AND (sqlc.narg(vendor_outcome)::text IS NULL OR q.vendor_outcome = sqlc.narg(vendor_outcome))
  AND (sqlc.narg(risk_flag)::bool IS NULL OR q.risk_flag = sqlc.narg(risk_flag))
  AND (sqlc.narg(nationality)::text IS NULL OR q.nationality = sqlc.narg(nationality))
  AND (sqlc.narg(created_from)::timestamptz IS NULL OR q.created_at >= sqlc.narg(created_from))
  AND (sqlc.narg(created_to)::timestamptz IS NULL OR q.created_at < sqlc.narg(created_to))
  AND (sqlc.narg(search)::text IS NULL OR q.search_text LIKE '%' || sqlc.narg(search)::text || '%');

-- name: DashboardAgeing :many
-- Open cases by age against the SLA: bucket 0 is under a quarter of it, 1 to 3 the next quarters,
-- 4 one to two SLAs, 5 beyond two.
SELECT width_bucket(date_part('epoch', sqlc.arg(now)::timestamptz - created_at) / sqlc.arg(sla_seconds)::float8,
    ARRAY[0.25, 0.5, 0.75, 1, 2]::float8[])::int AS bucket, count(*) AS n
FROM cases
WHERE status IN ('new', 'in_review', 'awaiting_resubmission', 'escalated', 'pending_second_review')
GROUP BY 1 ORDER BY 1;

-- name: DashboardDecisionsPerDay :many
-- Case decisions made per day (UTC) and outcome; a decision a second reviewer sent back counts as
-- "returned".
SELECT (decided_at AT TIME ZONE 'UTC')::date AS day,
    (CASE WHEN state = 'returned' THEN 'returned' ELSE outcome END)::text AS outcome, count(*) AS n
FROM case_decisions
WHERE decided_at >= sqlc.arg(from_at)::timestamptz AND decided_at < sqlc.arg(to_at)::timestamptz
GROUP BY 1, 2 ORDER BY 1, 2;

-- name: DashboardDecisionsPerReviewer :many
SELECT u.name, u.email, (CASE WHEN d.state = 'returned' THEN 'returned' ELSE d.outcome END)::text AS outcome, count(*) AS n
FROM case_decisions d JOIN users u ON u.id = d.decided_by
WHERE d.decided_at >= sqlc.arg(from_at)::timestamptz AND d.decided_at < sqlc.arg(to_at)::timestamptz
GROUP BY u.id, u.name, u.email, 3 ORDER BY u.name, u.email, 3;

-- name: DashboardChecks :many
-- Vendor checks asked for in the period, by vendor and how they ended.
SELECT vendor, (coalesce(outcome, CASE WHEN state = 'failed' THEN 'error' ELSE 'in progress' END))::text AS result, count(*) AS n
FROM checks
WHERE created_at >= sqlc.arg(from_at)::timestamptz AND created_at < sqlc.arg(to_at)::timestamptz AND kind <> 'record'
GROUP BY 1, 2 ORDER BY 1, 2;

-- name: DashboardVendorCalls :many
-- Vendor calls in the period: how many failed to get an answer (no answer, 429, 5xx), how many
-- the vendor refused (other 4xx), and the latency percentiles.
SELECT vendor, count(*) AS calls,
    count(*) FILTER (WHERE http_status = 0 OR http_status = 429 OR http_status >= 500) AS errors,
    count(*) FILTER (WHERE http_status >= 400 AND http_status < 500 AND http_status <> 429) AS refusals,
    (percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms))::float8 AS p50,
    (percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms))::float8 AS p95
FROM vendor_calls
WHERE started_at >= sqlc.arg(from_at)::timestamptz AND started_at < sqlc.arg(to_at)::timestamptz
GROUP BY vendor ORDER BY vendor;

-- name: DashboardUndeliveredLiveness :one
SELECT count(*) FROM liveness_deliveries WHERE state IN ('pending', 'retrying', 'failed');

-- name: AuditRangeBounds :one
-- The audit events of a period are the ids from the first event at or after from_at to the last
-- event before to_at (ids follow the chain, and times follow ids: both are drawn under the chain's
-- lock). 0 when there is none.
SELECT coalesce((SELECT f.id FROM audit_events f WHERE f.at >= sqlc.arg(from_at)::timestamptz ORDER BY f.at, f.id LIMIT 1), 0)::bigint AS first_id,
    coalesce((SELECT l.id FROM audit_events l WHERE l.at < sqlc.arg(to_at)::timestamptz ORDER BY l.at DESC, l.id DESC LIMIT 1), 0)::bigint AS last_id;

-- name: AuditEventBefore :one
-- The chain's row before an id: the one the first row of a range must link to.
SELECT id, hash FROM audit_events WHERE id < @id ORDER BY id DESC LIMIT 1;

-- name: AuditEventAfter :one
-- The chain's row after an id: it must link to the last row of a range.
SELECT id, prev_hash FROM audit_events WHERE id > @id ORDER BY id LIMIT 1;

-- name: AuditChainRange :many
-- One page of a range's chain, each row's hash recomputed by the function the insert trigger uses.
SELECT e.id, e.prev_hash, e.hash, audit_event_hash(e) AS computed
FROM audit_events e
WHERE e.id > @after_id AND e.id <= @last_id
ORDER BY e.id
LIMIT @page_size;

-- name: AuditEventsRange :many
-- One page of a range's events for the export, with each row's hash recomputed.
SELECT e.id, e.at, e.actor_id, e.actor_label, e.action, e.subject_type, e.subject_id, e.case_id, e.before, e.after,
    e.ip, e.request_id, e.prev_hash, e.hash, audit_event_hash(e) AS computed
FROM audit_events e
WHERE e.id > @after_id AND e.id <= @last_id
ORDER BY e.id
LIMIT @page_size;

-- name: ExportUserNames :many
-- Everyone's name, for the people an export's rows name by id.
SELECT id, name FROM users;

-- The stored rows of the case-list export (migrations 00006, 00008 and 00014), brought up to date by
-- reports.RefreshExportRows.

-- name: LockExportRefresh :exec
-- Refreshes of the stored export rows take turns, until the end of the transaction.
SELECT pg_advisory_xact_lock(hashtext('case_export_rows'));

-- name: LatestExportMark :one
-- The newest mark's version: a refresh goes no further, so that it ends while cases are marked.
SELECT coalesce(max(version), 0)::bigint FROM case_export_stale;

-- name: StaleExportCases :many
-- The next batch of marked cases, after the last one done.
SELECT case_id, version FROM case_export_stale
WHERE case_id > @after AND version <= @upto
ORDER BY case_id LIMIT @n;

-- name: DeleteExportRows :exec
DELETE FROM case_export_rows WHERE case_id = ANY(@case_ids::uuid[]);

-- name: InsertExportRows :exec
-- The rows of these cases as the tables say now (none for a case that is gone).
INSERT INTO case_export_rows (case_id, status, created_at, last_activity_at, vendor_outcome, risk_flag, case_nationality,
    assignee_id, external_ref, given_names, surname, date_of_birth, nationality, document_type, document_number,
    document_country, document_expiry, checks, decision, reason_id, decision_comment, decided_by, decided_at,
    decision_state, checker_id, checked_at, decision_flags, liveness_result, liveness_confidence, delivery_state,
    case_decided_at, late_documents)
SELECT case_id, status, created_at, last_activity_at, vendor_outcome, risk_flag, case_nationality,
    assignee_id, external_ref, given_names, surname, date_of_birth, nationality, document_type, document_number,
    document_country, document_expiry, checks, decision, reason_id, decision_comment, decided_by, decided_at,
    decision_state, checker_id, checked_at, decision_flags, liveness_result, liveness_confidence, delivery_state,
    case_decided_at, late_documents
FROM case_export_source WHERE case_id = ANY(@case_ids::uuid[]);

-- name: ClearExportMarks :exec
-- Removes the marks done, each only if its case was not marked again since it was read.
DELETE FROM case_export_stale s
USING (SELECT unnest(@case_ids::uuid[]) AS case_id, unnest(@versions::bigint[]) AS version) u
WHERE s.case_id = u.case_id AND s.version = u.version;

-- name: MarkedExportCases :many
-- The cases whose stored rows an export must not use (at most n of them).
SELECT case_id FROM case_export_stale LIMIT @n;

-- name: MarkAllExportCases :exec
-- Marks every case (after a bulk load that ran without the marking triggers).
INSERT INTO case_export_stale (case_id) SELECT id FROM cases
ON CONFLICT (case_id) DO UPDATE SET version = EXCLUDED.version;
