-- name: ListDecisionReasons :many
SELECT * FROM decision_reasons ORDER BY outcome, position, label;

-- name: ListActiveReasons :many
SELECT * FROM decision_reasons WHERE active ORDER BY outcome, position, label;

-- name: GetDecisionReason :one
SELECT * FROM decision_reasons WHERE id = @id;

-- name: CreateDecisionReason :one
INSERT INTO decision_reasons (outcome, label, position)
VALUES (@outcome, @label, (SELECT coalesce(max(position), 0) + 1 FROM decision_reasons WHERE outcome = @outcome))
RETURNING *;

-- name: SetDecisionReasonActive :one
UPDATE decision_reasons SET active = @active WHERE id = @id RETURNING *;

-- name: CreateCaseDecision :one
-- status_before is the case's status as the decision found it: where a decision sent back returns it.
INSERT INTO case_decisions (case_id, outcome, reason_id, comment, decided_by, evidence, overrides_vendor, four_eyes_rule, state, status_before)
VALUES (@case_id, @outcome, @reason_id, @comment, @decided_by, @evidence, @overrides_vendor, sqlc.narg(four_eyes_rule), @state, @status_before)
RETURNING *;

-- name: GetPendingCaseDecision :one
SELECT * FROM case_decisions WHERE case_id = @case_id AND state = 'pending';

-- name: CheckCaseDecision :one
-- The second review: only a pending decision, never by its maker (the table's constraint refuses
-- that too, whatever the caller does).
UPDATE case_decisions SET state = @state, checker_id = @checker_id, checked_at = now(),
    checker_reason_id = sqlc.narg(checker_reason_id), checker_comment = @checker_comment
WHERE id = @id AND state = 'pending'
RETURNING *;

-- name: ListCaseDecisions :many
SELECT d.*, r.label AS reason_label, m.name AS maker_name, c.name AS checker_name, cr.label AS checker_reason_label
FROM case_decisions d
JOIN decision_reasons r ON r.id = d.reason_id
JOIN users m ON m.id = d.decided_by
LEFT JOIN users c ON c.id = d.checker_id
LEFT JOIN decision_reasons cr ON cr.id = d.checker_reason_id
WHERE d.case_id = @case_id
ORDER BY d.decided_at DESC;

-- name: LatestFinalCaseDecision :one
SELECT d.*, r.label AS reason_label FROM case_decisions d JOIN decision_reasons r ON r.id = d.reason_id
WHERE d.case_id = @case_id AND d.state IN ('final', 'confirmed')
ORDER BY coalesce(d.checked_at, d.decided_at) DESC LIMIT 1;

-- name: CreateDocumentDecision :one
INSERT INTO document_decisions (document_id, case_id, outcome, side, reason_id, comment, decided_by)
VALUES (@document_id, @case_id, @outcome, sqlc.narg(side), @reason_id, @comment, @decided_by)
RETURNING *;

-- name: ListDocumentDecisions :many
SELECT d.*, r.label AS reason_label, u.name AS maker_name
FROM document_decisions d JOIN decision_reasons r ON r.id = d.reason_id JOIN users u ON u.id = d.decided_by
WHERE d.case_id = @case_id ORDER BY d.decided_at DESC;

-- name: AssignCaseTo :exec
UPDATE cases SET assignee_id = sqlc.narg(assignee_id), last_activity_at = now() WHERE id = @id;

-- name: ListLatestDocumentDecisions :many
-- The decision that stands on each of the given documents (a case's: ListCaseDocuments): the
-- newest, whichever case it was made in (a later decision on the same document reverses an earlier
-- one). image_since: for a new image asked for, whether an image of that kind has come for the
-- customer since, on any of their documents: a customer answers by sending the document again,
-- which makes a new document (images join an existing document only when review has not touched
-- it: never one decided on, see ListUntouchedCaseDocuments).
SELECT DISTINCT ON (d.document_id) d.document_id, d.outcome, d.side, d.decided_at, r.label AS reason_label,
    (d.side IS NOT NULL AND EXISTS (
        SELECT 1 FROM images i
        WHERE i.customer_id = x.customer_id AND i.kind::text = d.side AND i.created_at > d.decided_at
    ))::boolean AS image_since
FROM document_decisions d
JOIN documents x ON x.id = d.document_id
JOIN decision_reasons r ON r.id = d.reason_id
WHERE d.document_id = ANY(@document_ids::uuid[])
ORDER BY d.document_id, d.decided_at DESC, d.id DESC;
