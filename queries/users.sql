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
-- Whoever gives the user a case reads them with LockAssignee, which this update waits for and
-- which waits for it: the ReleaseUserCases that follows in the same transaction misses no case
-- given at the same moment.
UPDATE users SET disabled_at = now(), updated_at = now()
WHERE id = @id AND disabled_at IS NULL
RETURNING *;

-- name: ReleaseUserCases :many
-- A disabled user's open cases go back to the queue unassigned, as each would on its release (a
-- case in review goes back to new). A decision waiting for its second review stays with its
-- maker; sent back to a disabled maker, it goes back to the queue then (see decisions).
WITH held AS (
    SELECT h.id, h.status FROM cases h
    WHERE h.assignee_id = @user_id AND h.status IN ('new', 'in_review', 'awaiting_resubmission', 'escalated')
    FOR UPDATE
)
UPDATE cases c SET assignee_id = NULL, last_activity_at = now(),
    status = CASE WHEN c.status = 'in_review' THEN 'new'::case_status ELSE c.status END
FROM held WHERE c.id = held.id
RETURNING c.id, held.status AS status_before, c.status;

-- name: CountUserPendingDecisions :one
-- The cases a user holds whose decision waits for its second review.
SELECT count(*) FROM cases WHERE assignee_id = @user_id AND status = 'pending_second_review';

-- name: LockAssignee :one
-- The user a case is about to be given to (claimed by, assigned to, sent back to), read as it is
-- now and share-locked until the transaction ends. Disabling updates this row before it sends the
-- user's cases back to the queue (ReleaseUserCases), and the two locks conflict: a transaction
-- that gives a case either waits for a disabling to commit and then reads the user disabled, or
-- holds the disabling back until it commits, and the release then sees the case it gave. (The
-- foreign key's own lock on the user is FOR KEY SHARE, which a disabling does not wait for.)
-- Take it before locking the case, in the disabling's order: user, then cases.
SELECT * FROM users WHERE id = @id FOR SHARE;

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
