-- name: EnsureLoginThrottle :exec
-- A row for each key (no failures yet), so that attempts made at once queue on it in
-- LockLoginThrottle. Keys in order, as LockLoginThrottle locks them, so two attempts never wait on
-- each other crosswise.
INSERT INTO login_throttle (key, failures, last_failure_at)
SELECT k, 0, now() FROM unnest(@keys::text[]) AS k ORDER BY k
ON CONFLICT (key) DO NOTHING;

-- name: LockLoginThrottle :many
SELECT * FROM login_throttle WHERE key = ANY(@keys::text[]) ORDER BY key FOR UPDATE;

-- name: RecordLoginFailure :one
INSERT INTO login_throttle (key, failures, last_failure_at) VALUES (@key, 1, now())
ON CONFLICT (key) DO UPDATE SET failures = login_throttle.failures + 1, last_failure_at = now()
RETURNING *;

-- name: ClearLoginThrottle :exec
DELETE FROM login_throttle WHERE key = ANY(@keys::text[]);
