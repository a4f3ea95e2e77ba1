-- name: CreateUser :one
INSERT INTO users (email, name, role, password_hash, must_change_password)
VALUES (@email, @name, @role, sqlc.narg(password_hash), @must_change_password)
RETURNING *;

-- name: GetUser :one
SELECT * FROM users WHERE id = @id;

-- name: GetUserByEmail :one
SELECT * FROM users WHERE email = lower(@email::text);

-- name: ListUsers :many
SELECT * FROM users ORDER BY disabled_at IS NOT NULL, lower(name), email;

-- name: ListActiveUsersByRole :many
SELECT * FROM users WHERE disabled_at IS NULL AND role::text = ANY(@roles::text[]) ORDER BY lower(name);

-- name: UpdateUserProfile :one
UPDATE users SET name = @name, role = @role, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: SetUserPassword :one
UPDATE users SET password_hash = @password_hash, must_change_password = @must_change_password,
    updated_at = now()
WHERE id = @id
RETURNING *;

-- name: DisableUser :one
UPDATE users SET disabled_at = now(), updated_at = now()
WHERE id = @id AND disabled_at IS NULL
RETURNING *;

-- name: EnableUser :one
UPDATE users SET disabled_at = NULL, updated_at = now()
WHERE id = @id AND disabled_at IS NOT NULL
RETURNING *;

-- name: LockUser :execrows
UPDATE users SET locked_at = now(), updated_at = now() WHERE id = @id AND locked_at IS NULL;

-- name: UnlockUser :one
UPDATE users SET locked_at = NULL, updated_at = now()
WHERE id = @id AND locked_at IS NOT NULL
RETURNING *;

-- name: CountActiveAdmins :one
SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL;
