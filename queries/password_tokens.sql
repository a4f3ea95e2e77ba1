-- name: CreatePasswordToken :one
INSERT INTO password_tokens (user_id, token_hash, created_by, expires_at)
VALUES (@user_id, @token_hash, @created_by, @expires_at)
RETURNING *;

-- name: GetUsablePasswordToken :one
SELECT t.*, u.email, u.name AS user_name
FROM password_tokens t JOIN users u ON u.id = t.user_id
WHERE t.token_hash = @token_hash AND t.used_at IS NULL AND t.expires_at > now()
  AND u.disabled_at IS NULL;

-- name: UsePasswordToken :execrows
UPDATE password_tokens SET used_at = now() WHERE id = @id AND used_at IS NULL AND expires_at > now();

-- name: RevokeUserPasswordTokens :exec
UPDATE password_tokens SET used_at = now() WHERE user_id = @user_id AND used_at IS NULL;
