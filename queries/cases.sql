-- name: CreateCase :one
INSERT INTO cases (customer_id, nationality, search_text) VALUES (@customer_id, @nationality, @search_text)
RETURNING *;

-- name: GetCase :one
SELECT * FROM cases WHERE id = @id;

-- name: GetOpenCaseForCustomer :one
SELECT * FROM cases WHERE customer_id = @customer_id AND status NOT IN ('approved', 'rejected');

-- name: ListCustomerCases :many
SELECT * FROM cases WHERE customer_id = @customer_id ORDER BY created_at DESC;

-- name: GetCaseView :one
SELECT c.*, cu.given_names, cu.surname, cu.external_ref, u.name AS assignee_name
FROM cases c
JOIN customers cu ON cu.id = c.customer_id
LEFT JOIN users u ON u.id = c.assignee_id
WHERE c.id = @id;

-- name: RefreshCaseSearch :exec
-- Keeps the queue's denormalised columns in step with the customer and documents.
UPDATE cases SET search_text = @search_text, nationality = @nationality, last_activity_at = now()
WHERE customer_id = @customer_id AND status NOT IN ('approved', 'rejected');

-- name: TouchCase :exec
UPDATE cases SET last_activity_at = now() WHERE id = @id;

-- name: TransitionCase :one
-- A status change happens only from the status the caller saw; when someone else changed the case
-- meanwhile, no row comes back and the caller reports a conflict.
UPDATE cases SET status = @to_status, last_activity_at = now(),
    decided_at = CASE WHEN @to_status::case_status IN ('approved', 'rejected') THEN now() ELSE decided_at END
WHERE id = @id AND status = @from_status
RETURNING *;

-- name: ClaimCase :one
-- Claiming takes an unassigned open case; two reviewers racing for one case cannot both win. A new
-- case goes in review; any other keeps its status (one awaiting resubmission still waits for the
-- customer, whoever holds it).
UPDATE cases SET assignee_id = @user_id, last_activity_at = now(),
    status = CASE WHEN status = 'new' THEN 'in_review'::case_status ELSE status END
WHERE id = @id AND assignee_id IS NULL AND status IN ('new', 'in_review', 'awaiting_resubmission', 'escalated')
RETURNING *;

-- name: ReleaseCase :one
-- Only the assignee releases; a case in review goes back to new, any other keeps its status. A
-- case whose decision waits for its second review stays with its maker, to whom a returned
-- decision comes back.
UPDATE cases SET assignee_id = NULL, last_activity_at = now(),
    status = CASE WHEN status = 'in_review' THEN 'new'::case_status ELSE status END
WHERE id = @id AND assignee_id = @user_id AND status <> 'pending_second_review'
RETURNING *;

-- name: AssignCase :one
-- As claiming: a new case goes in review, any other keeps its status.
UPDATE cases SET assignee_id = @assignee_id, last_activity_at = now(),
    status = CASE WHEN status = 'new' THEN 'in_review'::case_status ELSE status END
WHERE id = @id AND status IN ('new', 'in_review', 'awaiting_resubmission', 'escalated')
RETURNING *;

-- name: CaseStatusCounts :many
SELECT status, n FROM case_status_counts ORDER BY status;

-- name: CreateNote :one
INSERT INTO case_notes (case_id, author_id, body) VALUES (@case_id, @author_id, @body)
RETURNING *;

-- name: ListCaseNotes :many
SELECT n.*, u.name AS author_name FROM case_notes n JOIN users u ON u.id = n.author_id
WHERE n.case_id = @case_id ORDER BY n.created_at DESC, n.id DESC;

-- name: ListCaseTimeline :many
SELECT * FROM audit_events WHERE case_id = @case_id ORDER BY id DESC LIMIT @max_rows;
