-- name: InsertAuditEvent :one
INSERT INTO audit_events (actor_id, actor_label, action, subject_type, subject_id, case_id, before, after, ip, request_id, prev_hash, hash)
VALUES (sqlc.narg(actor_id), @actor_label, @action, @subject_type, @subject_id, sqlc.narg(case_id), @before, @after, @ip, @request_id, '\x', '\x')
RETURNING id, at, hash;

-- name: AuditChainPage :many
-- One page of the chain in order, with each row's hash recomputed by the same function the
-- insert trigger used.
SELECT e.id, e.at, e.prev_hash, e.hash, audit_event_hash(e) AS computed
FROM audit_events e
WHERE e.id > @after_id
ORDER BY e.id
LIMIT @page_size;

-- name: ListAuditEventsForSubject :many
SELECT * FROM audit_events
WHERE subject_type = @subject_type AND subject_id = @subject_id
ORDER BY id DESC
LIMIT @max_rows;

-- name: ListRecentAuditEvents :many
SELECT * FROM audit_events ORDER BY id DESC LIMIT @max_rows;
