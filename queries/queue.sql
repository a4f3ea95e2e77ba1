-- The queue. Optional filters are sqlc.narg parameters, each on a line of its own: cases.Planned
-- sends a page as the statement of the filters it sets (db.Shapes), kept by PostgreSQL with its
-- plan for the common views, planned for its values for the others.
-- A page is 51 rows (cases.PageSize and one more, to tell whether a next page exists), written as
-- a number: a kept plan does not know a LIMIT given as a parameter and is costed as if it read a
-- tenth of the tab, so PostgreSQL would never keep it.
-- A page is chosen from cases alone, and only its rows are joined to customers and users: when the
-- planner reads many matching cases (a search for a common name, estimated as a handful), it
-- does not look up a customer for each of them before keeping fifty.
-- The risk flag is two flags, risky and not_risky, rather than one value to compare with: a
-- statement that asks for risk_flag itself can use the indexes of flagged cases (migration 00022)
-- in a kept plan, which a comparison with a parameter cannot.

-- name: ListQueueByAge :many
SELECT c.id, c.status, c.assignee_id, c.nationality, c.vendor_outcome, c.risk_flag, c.created_at,
    c.last_activity_at, c.decided_at, cu.given_names, cu.surname, cu.external_ref, u.name AS assignee_name
FROM (
    SELECT q.id, q.customer_id, q.status, q.assignee_id, q.nationality, q.vendor_outcome, q.risk_flag, q.created_at,
        q.last_activity_at, q.decided_at
    FROM cases q
    WHERE q.status = @status
      AND (sqlc.narg(assignee_id)::uuid IS NULL OR q.assignee_id = sqlc.narg(assignee_id))
      AND (NOT @unassigned::bool OR q.assignee_id IS NULL)
      AND (sqlc.narg(vendor_outcome)::text IS NULL OR q.vendor_outcome = sqlc.narg(vendor_outcome))
      AND (NOT @risky::bool OR q.risk_flag)
      AND (NOT @not_risky::bool OR NOT q.risk_flag)
      AND (sqlc.narg(nationality)::text IS NULL OR q.nationality = sqlc.narg(nationality))
      AND (sqlc.narg(created_from)::timestamptz IS NULL OR q.created_at >= sqlc.narg(created_from))
      AND (sqlc.narg(created_to)::timestamptz IS NULL OR q.created_at < sqlc.narg(created_to))
      AND (sqlc.narg(search)::text IS NULL OR q.search_text LIKE '%' || sqlc.narg(search)::text || '%')
      AND (sqlc.narg(after_at)::timestamptz IS NULL OR (q.created_at, q.id) > (sqlc.narg(after_at), sqlc.narg(after_id)::uuid))
    ORDER BY q.created_at, q.id
    LIMIT 51
) c
JOIN customers cu ON cu.id = c.customer_id
LEFT JOIN users u ON u.id = c.assignee_id
ORDER BY c.created_at, c.id;

-- name: ListQueueByActivity :many
SELECT c.id, c.status, c.assignee_id, c.nationality, c.vendor_outcome, c.risk_flag, c.created_at,
    c.last_activity_at, c.decided_at, cu.given_names, cu.surname, cu.external_ref, u.name AS assignee_name
FROM (
    SELECT q.id, q.customer_id, q.status, q.assignee_id, q.nationality, q.vendor_outcome, q.risk_flag, q.created_at,
        q.last_activity_at, q.decided_at
    FROM cases q
    WHERE q.status = @status
      AND (sqlc.narg(assignee_id)::uuid IS NULL OR q.assignee_id = sqlc.narg(assignee_id))
      AND (NOT @unassigned::bool OR q.assignee_id IS NULL)
      AND (sqlc.narg(vendor_outcome)::text IS NULL OR q.vendor_outcome = sqlc.narg(vendor_outcome))
      AND (NOT @risky::bool OR q.risk_flag)
      AND (NOT @not_risky::bool OR NOT q.risk_flag)
      AND (sqlc.narg(nationality)::text IS NULL OR q.nationality = sqlc.narg(nationality))
      AND (sqlc.narg(created_from)::timestamptz IS NULL OR q.created_at >= sqlc.narg(created_from))
      AND (sqlc.narg(created_to)::timestamptz IS NULL OR q.created_at < sqlc.narg(created_to))
      AND (sqlc.narg(search)::text IS NULL OR q.search_text LIKE '%' || sqlc.narg(search)::text || '%')
      AND (sqlc.narg(after_at)::timestamptz IS NULL OR (q.last_activity_at, q.id) < (sqlc.narg(after_at), sqlc.narg(after_id)::uuid))
    ORDER BY q.last_activity_at DESC, q.id DESC
    LIMIT 51
) c
JOIN customers cu ON cu.id = c.customer_id
LEFT JOIN users u ON u.id = c.assignee_id
ORDER BY c.last_activity_at DESC, c.id DESC;

-- name: ListQueueByAgeBefore :many
-- The page before a cursor ("Previous page"): the view's cases just before it, read backwards; the
-- caller puts them back in the view's order.
SELECT c.id, c.status, c.assignee_id, c.nationality, c.vendor_outcome, c.risk_flag, c.created_at,
    c.last_activity_at, c.decided_at, cu.given_names, cu.surname, cu.external_ref, u.name AS assignee_name
FROM (
    SELECT q.id, q.customer_id, q.status, q.assignee_id, q.nationality, q.vendor_outcome, q.risk_flag, q.created_at,
        q.last_activity_at, q.decided_at
    FROM cases q
    WHERE q.status = @status
      AND (sqlc.narg(assignee_id)::uuid IS NULL OR q.assignee_id = sqlc.narg(assignee_id))
      AND (NOT @unassigned::bool OR q.assignee_id IS NULL)
      AND (sqlc.narg(vendor_outcome)::text IS NULL OR q.vendor_outcome = sqlc.narg(vendor_outcome))
      AND (NOT @risky::bool OR q.risk_flag)
      AND (NOT @not_risky::bool OR NOT q.risk_flag)
      AND (sqlc.narg(nationality)::text IS NULL OR q.nationality = sqlc.narg(nationality))
      AND (sqlc.narg(created_from)::timestamptz IS NULL OR q.created_at >= sqlc.narg(created_from))
      AND (sqlc.narg(created_to)::timestamptz IS NULL OR q.created_at < sqlc.narg(created_to))
      AND (sqlc.narg(search)::text IS NULL OR q.search_text LIKE '%' || sqlc.narg(search)::text || '%')
      AND (q.created_at, q.id) < (@before_at::timestamptz, @before_id::uuid)
    ORDER BY q.created_at DESC, q.id DESC
    LIMIT 51
) c
JOIN customers cu ON cu.id = c.customer_id
LEFT JOIN users u ON u.id = c.assignee_id
ORDER BY c.created_at DESC, c.id DESC;

-- name: ListQueueByActivityBefore :many
-- As ListQueueByAgeBefore, for the view by last activity.
SELECT c.id, c.status, c.assignee_id, c.nationality, c.vendor_outcome, c.risk_flag, c.created_at,
    c.last_activity_at, c.decided_at, cu.given_names, cu.surname, cu.external_ref, u.name AS assignee_name
FROM (
    SELECT q.id, q.customer_id, q.status, q.assignee_id, q.nationality, q.vendor_outcome, q.risk_flag, q.created_at,
        q.last_activity_at, q.decided_at
    FROM cases q
    WHERE q.status = @status
      AND (sqlc.narg(assignee_id)::uuid IS NULL OR q.assignee_id = sqlc.narg(assignee_id))
      AND (NOT @unassigned::bool OR q.assignee_id IS NULL)
      AND (sqlc.narg(vendor_outcome)::text IS NULL OR q.vendor_outcome = sqlc.narg(vendor_outcome))
      AND (NOT @risky::bool OR q.risk_flag)
      AND (NOT @not_risky::bool OR NOT q.risk_flag)
      AND (sqlc.narg(nationality)::text IS NULL OR q.nationality = sqlc.narg(nationality))
      AND (sqlc.narg(created_from)::timestamptz IS NULL OR q.created_at >= sqlc.narg(created_from))
      AND (sqlc.narg(created_to)::timestamptz IS NULL OR q.created_at < sqlc.narg(created_to))
      AND (sqlc.narg(search)::text IS NULL OR q.search_text LIKE '%' || sqlc.narg(search)::text || '%')
      AND (q.last_activity_at, q.id) > (@before_at::timestamptz, @before_id::uuid)
    ORDER BY q.last_activity_at, q.id
    LIMIT 51
) c
JOIN customers cu ON cu.id = c.customer_id
LEFT JOIN users u ON u.id = c.assignee_id
ORDER BY c.last_activity_at, c.id;

-- name: QueueMatchesByStatus :many
-- Where else a view's filters find cases, when its tab shows none: up to 1,001 matching cases
-- counted per status (a view of more than that is said to have "more than 1,000").
SELECT m.status, count(*)::bigint AS n
FROM (
    SELECT q.status
    FROM cases q
    WHERE q.status <> @status
      AND (sqlc.narg(assignee_id)::uuid IS NULL OR q.assignee_id = sqlc.narg(assignee_id))
      AND (NOT @unassigned::bool OR q.assignee_id IS NULL)
      AND (sqlc.narg(vendor_outcome)::text IS NULL OR q.vendor_outcome = sqlc.narg(vendor_outcome))
      AND (NOT @risky::bool OR q.risk_flag)
      AND (NOT @not_risky::bool OR NOT q.risk_flag)
      AND (sqlc.narg(nationality)::text IS NULL OR q.nationality = sqlc.narg(nationality))
      AND (sqlc.narg(created_from)::timestamptz IS NULL OR q.created_at >= sqlc.narg(created_from))
      AND (sqlc.narg(created_to)::timestamptz IS NULL OR q.created_at < sqlc.narg(created_to))
      AND (sqlc.narg(search)::text IS NULL OR q.search_text LIKE '%' || sqlc.narg(search)::text || '%')
    LIMIT 1001
) m
GROUP BY m.status;

-- name: ClaimNextCase :one
-- "Next case": the oldest unassigned case in the current queue, claimed in one statement;
-- SKIP LOCKED lets reviewers pressing it at the same moment get different cases. As ClaimCase, only
-- a new case changes status (to in review).
UPDATE cases SET assignee_id = @user_id, last_activity_at = now(),
    status = CASE WHEN status = 'new' THEN 'in_review'::case_status ELSE status END
WHERE id = (
    SELECT c.id FROM cases c
    WHERE c.status = @status AND c.assignee_id IS NULL
      AND c.status IN ('new', 'in_review', 'awaiting_resubmission', 'escalated')
      AND (sqlc.narg(vendor_outcome)::text IS NULL OR c.vendor_outcome = sqlc.narg(vendor_outcome))
      AND (NOT @risky::bool OR c.risk_flag)
      AND (NOT @not_risky::bool OR NOT c.risk_flag)
      AND (sqlc.narg(nationality)::text IS NULL OR c.nationality = sqlc.narg(nationality))
      AND (sqlc.narg(created_from)::timestamptz IS NULL OR c.created_at >= sqlc.narg(created_from))
      AND (sqlc.narg(created_to)::timestamptz IS NULL OR c.created_at < sqlc.narg(created_to))
      AND (sqlc.narg(search)::text IS NULL OR c.search_text LIKE '%' || sqlc.narg(search)::text || '%')
    ORDER BY c.created_at, c.id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
)
RETURNING *;
