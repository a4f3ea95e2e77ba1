-- name: GetLoginThrottle :many
SELECT * FROM login_throttle WHERE key = ANY(@keys::text[]);

-- name: RecordLoginFailure :one
INSERT INTO login_throttle (key, failures, last_failure_at) VALUES (@key, 1, now())
ON CONFLICT (key) DO UPDATE SET failures = login_throttle.failures + 1, last_failure_at = now()
RETURNING *;

-- name: ClearLoginThrottle :exec
DELETE FROM login_throttle WHERE key = ANY(@keys::text[]);
