-- name: CreateAPIToken :one
INSERT INTO api_tokens (name, token_hash, created_by) VALUES (@name, @token_hash, @created_by)
RETURNING *;

-- name: GetAPITokenByHash :one
SELECT * FROM api_tokens WHERE token_hash = @token_hash AND revoked_at IS NULL;

-- name: TouchAPIToken :exec
UPDATE api_tokens SET last_used_at = now(), last_used_ip = @ip WHERE id = @id;

-- name: ListAPITokens :many
-- With who created each token, and whether that user is disabled since: a token outlives its
-- creator's account, which the list says.
SELECT t.*, u.name AS creator_name, (u.disabled_at IS NOT NULL)::bool AS creator_disabled
FROM api_tokens t LEFT JOIN users u ON u.id = t.created_by
ORDER BY t.revoked_at IS NOT NULL, t.created_at DESC;

-- name: RevokeAPIToken :one
UPDATE api_tokens SET revoked_at = now() WHERE id = @id AND revoked_at IS NULL
RETURNING *;

-- name: GetIdempotentResponse :one
SELECT * FROM idempotency_keys WHERE token_id = @token_id AND key = @key;
