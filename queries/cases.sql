-- name: CreateCase :one
INSERT INTO cases (customer_id, nationality, search_text) VALUES (@customer_id, @nationality, @search_text)
RETURNING *;

-- name: GetCase :one
SELECT * FROM cases WHERE id = @id;

-- name: GetOpenCaseForCustomer :one
SELECT * FROM cases WHERE customer_id = @customer_id AND status NOT IN ('approved', 'rejected');

-- name: LockOpenCaseForCustomer :one
-- The customer's open case, its row locked until the transaction ends, for a change to the
-- customer that depends on who holds the case and in what status: a claim, release, assignment
-- or decision running meanwhile is waited for, and the row is read again as it committed (a case
-- decided meanwhile is then no longer open: no row). NO KEY UPDATE, as those updates take: the
-- rows that merely reference the case (vendor calls, notes) are not held up by it.
SELECT * FROM cases WHERE customer_id = @customer_id AND status NOT IN ('approved', 'rejected') FOR NO KEY UPDATE;

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

-- name: ListCaseTimelineEvents :many
-- The latest events of a case, newest first; image views only with @with_views. The case page
-- reads the views apart (ListCaseViewRuns, ListCaseImageViews) and folds them, so that views, which
-- are many (every look at an image is audited), can never push a decision or a note off its
-- timeline; the case report's audit trail lists them with the rest. actor_name is the actor's name
-- as the pages show people ('' for the system and API tokens: their label says who).
-- assignee_name is an assignment's assignee's name, for the rows recorded before it was kept in
-- the row itself (they have the assignee's email); previous_assignee_name likewise the name of
-- who held the case before it (the rows before it was kept have only their id).
SELECT sqlc.embed(e), coalesce(u.name, '')::text AS actor_name, coalesce(au.name, '')::text AS assignee_name,
    coalesce(bu.name, '')::text AS previous_assignee_name
FROM audit_events e LEFT JOIN users u ON u.id = e.actor_id
    LEFT JOIN users au ON e.action = 'case.assign' AND au.id::text = e.after->>'assignee_id'
    LEFT JOIN users bu ON e.action = 'case.assign' AND bu.id::text = e.before->>'assignee_id'
WHERE e.case_id = @case_id AND (@with_views::boolean OR e.action <> 'image.view')
ORDER BY e.id DESC LIMIT @max_rows;

-- name: ListCaseViewRuns :many
-- One row per run of consecutive image views by one person on the case (no other event of the case
-- between them), among the events after @after_id, newest run first. A run is the rows whose place
-- in the case's sequence and whose place among that person's views advance together.
WITH e AS (
    SELECT id, at, actor_id, actor_label, subject_id, action = 'image.view' AS is_view,
        row_number() OVER (ORDER BY id DESC)
            - row_number() OVER (PARTITION BY action = 'image.view', actor_id, actor_label ORDER BY id DESC) AS run
    FROM audit_events a
    WHERE a.case_id = @case_id AND a.id > @after_id
), r AS (
    SELECT actor_id, actor_label, count(*)::int AS views, count(DISTINCT subject_id)::int AS images,
        min(id)::bigint AS first_id, max(id)::bigint AS last_id,
        min(at)::timestamptz AS first_at, max(at)::timestamptz AS last_at
    FROM e
    WHERE is_view
    GROUP BY actor_id, actor_label, run
)
SELECT r.actor_label, coalesce(u.name, '')::text AS actor_name, r.views, r.images, r.first_id, r.last_id, r.first_at, r.last_at
FROM r LEFT JOIN users u ON u.id = r.actor_id
ORDER BY r.last_id DESC;

-- name: ListCaseImageViews :many
-- The document of each image viewed (its type, issuing country and number; empty for an image of no
-- document), so that the timeline says which one was looked at when the case has several.
SELECT sqlc.embed(e), coalesce(u.name, '')::text AS actor_name, coalesce(d.type::text, '')::text AS document_type,
    coalesce(d.issuing_country, '')::text AS document_country, coalesce(d.number, '')::text AS document_number
FROM audit_events e LEFT JOIN users u ON u.id = e.actor_id
    LEFT JOIN images i ON i.id = CASE WHEN e.subject_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN e.subject_id::uuid END
    LEFT JOIN documents d ON d.id = i.document_id
WHERE e.case_id = @case_id AND e.action = 'image.view' AND e.id > @after_id
ORDER BY e.id DESC LIMIT @max_rows;
