-- name: CreateSession :one
INSERT INTO sessions (user_id, secret_hash, data, ip, user_agent, expires_at)
VALUES (@user_id, @secret_hash, @data, @ip, @user_agent, @expires_at)
RETURNING *;

-- name: GetLiveSession :one
-- A session is live while it is neither past its absolute lifetime nor idle for too long, and its
-- user is enabled.
SELECT s.*, u.email, u.name AS user_name, u.role, u.must_change_password
FROM sessions s
JOIN users u ON u.id = s.user_id
WHERE s.id = @id
  AND s.expires_at > now()
  AND s.last_seen_at > now() - make_interval(secs => @idle_seconds::float8)
  AND u.disabled_at IS NULL;

-- name: TouchSession :exec
UPDATE sessions SET last_seen_at = now(), ip = @ip WHERE id = @id;

-- name: UpdateSessionData :exec
UPDATE sessions SET data = @data WHERE id = @id;

-- name: DeleteSession :exec
DELETE FROM sessions WHERE id = @id;

-- name: DeleteUserSession :execrows
DELETE FROM sessions WHERE id = @id AND user_id = @user_id;

-- name: DeleteUserSessions :execrows
DELETE FROM sessions WHERE user_id = @user_id;

-- name: ListUserSessions :many
SELECT * FROM sessions
WHERE user_id = @user_id AND expires_at > now()
  AND last_seen_at > now() - make_interval(secs => @idle_seconds::float8)
ORDER BY last_seen_at DESC;

-- name: DeleteExpiredSessions :execrows
DELETE FROM sessions
WHERE expires_at <= now() OR last_seen_at <= now() - make_interval(secs => @idle_seconds::float8);

-- name: CountLiveSessionsByUser :many
SELECT user_id, count(*)::int AS sessions FROM sessions
WHERE expires_at > now() AND last_seen_at > now() - make_interval(secs => @idle_seconds::float8)
GROUP BY user_id;

-- name: AnnounceSessionChange :exec
-- What migration 00018's triggers announce, said directly (sessions.Store.Sync's marker).
SELECT pg_notify('kycdesk_sessions', @payload::text);
