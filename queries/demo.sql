-- name: BackdateDemoCase :one
-- Demo seeding only: sets a demo case's opening back, so the queue's ages and SLA marks have
-- something to show, and its risk flag. Only the case row moves: the audit log, which is the
-- case's timeline, keeps the times its rows were written (it is append-only, its trigger stamps
-- each row, and its times follow its ids, which the audit export of a period relies on).
UPDATE cases SET created_at = @created_at, risk_flag = @risk_flag
WHERE id = @id
RETURNING *;

-- name: SyncCaseLastActivity :one
-- Sets a case's last activity to the time of its newest timeline event.
UPDATE cases SET last_activity_at = coalesce((SELECT max(e.at) FROM audit_events e WHERE e.case_id = @id::uuid), last_activity_at)
WHERE id = @id::uuid
RETURNING *;
