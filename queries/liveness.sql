-- name: InsertLivenessVerdict :one
INSERT INTO liveness_verdicts (case_id, document_id, recorded_by, conclusion, liveness_result, facial_check,
    eyes_closed, eyes_closed_confidence, sunglasses, sunglasses_confidence, face_occluded, face_occluded_confidence,
    liveness_confidence, reference_image_id, audit_image_ids, comment, supersedes)
VALUES (@case_id, @document_id, @recorded_by, @conclusion, @liveness_result, @facial_check,
    @eyes_closed, @eyes_closed_confidence, @sunglasses, @sunglasses_confidence, @face_occluded, @face_occluded_confidence,
    @liveness_confidence, @reference_image_id, @audit_image_ids, @comment, sqlc.narg(supersedes))
RETURNING *;

-- name: LatestLivenessVerdict :one
-- The newest verdict on a document: the one a new verdict corrects.
SELECT * FROM liveness_verdicts WHERE document_id = @document_id ORDER BY seq DESC LIMIT 1;

-- name: InsertLivenessDelivery :one
INSERT INTO liveness_deliveries (verdict_id) VALUES (@verdict_id) RETURNING *;

-- name: SetLivenessDeliveryJob :exec
UPDATE liveness_deliveries SET job_id = @job_id WHERE verdict_id = @verdict_id;

-- name: GetLivenessDelivery :one
SELECT sqlc.embed(v), sqlc.embed(d)
FROM liveness_verdicts v JOIN liveness_deliveries d ON d.verdict_id = v.id
WHERE v.id = @verdict_id;

-- name: StartLivenessDelivery :one
-- A run takes the delivery unless it is final; the attempt it records is the run's own, so a run
-- presumed dead that wakes up later cannot finish it (see FinishLivenessDelivery).
UPDATE liveness_deliveries SET attempts = attempts + 1, next_attempt_at = NULL, updated_at = now()
WHERE verdict_id = @verdict_id AND state IN ('pending', 'retrying')
RETURNING *;

-- name: DeliverLiveness :one
UPDATE liveness_deliveries SET state = 'delivered', delivered_at = now(), updated_at = now(), next_attempt_at = NULL,
    last_error = '', error_kind = '', http_status = @http_status, response = @response,
    artemis_customer_id = @artemis_customer_id, artemis_document_id = @artemis_document_id
WHERE verdict_id = @verdict_id AND state IN ('pending', 'retrying') AND attempts = @attempts
RETURNING *;

-- name: FailLivenessDelivery :one
-- Ends a run without delivery: state is 'retrying' (with next_attempt_at) or 'failed'.
UPDATE liveness_deliveries SET state = @state, next_attempt_at = sqlc.narg(next_attempt_at), updated_at = now(),
    last_error = @last_error, error_kind = @error_kind, http_status = @http_status,
    artemis_customer_id = coalesce(sqlc.narg(artemis_customer_id), artemis_customer_id),
    artemis_document_id = coalesce(sqlc.narg(artemis_document_id), artemis_document_id)
WHERE verdict_id = @verdict_id AND state IN ('pending', 'retrying') AND attempts = @attempts
RETURNING *;

-- name: SupersedeLivenessDeliveries :many
-- Once a verdict is delivered, older verdicts of the same document that have not reached Artemis
-- are never sent: they would overwrite the newer one there.
UPDATE liveness_deliveries d SET state = 'superseded', next_attempt_at = NULL, updated_at = now(),
    last_error = 'Not sent: a later verdict on this document was delivered to Artemis first.'
FROM liveness_verdicts v
WHERE d.verdict_id = v.id AND v.document_id = @document_id AND v.seq < @before_seq
    AND d.state IN ('pending', 'retrying', 'failed')
RETURNING d.verdict_id;

-- name: NewerLivenessDelivered :one
SELECT EXISTS (
    SELECT 1 FROM liveness_verdicts v JOIN liveness_deliveries d ON d.verdict_id = v.id
    WHERE v.document_id = @document_id AND v.seq > @after_seq AND d.state = 'delivered'
) AS delivered;

-- name: RequeueLivenessDelivery :one
-- "Retry now": a delivery that is not final is made pending again, at once.
UPDATE liveness_deliveries SET state = 'pending', next_attempt_at = NULL, updated_at = now()
WHERE verdict_id = @verdict_id AND state IN ('pending', 'retrying', 'failed')
RETURNING *;

-- name: InsertLivenessAttempt :exec
INSERT INTO liveness_delivery_attempts (verdict_id, attempt, started_at, outcome, http_status, error)
VALUES (@verdict_id, @attempt, @started_at, @outcome, @http_status, @error);

-- name: ListCaseLivenessVerdicts :many
-- Every verdict on a case with its delivery and who recorded it, newest first.
SELECT sqlc.embed(v), sqlc.embed(d), u.name AS recorded_by_name, u.email AS recorded_by_email
FROM liveness_verdicts v
JOIN liveness_deliveries d ON d.verdict_id = v.id
JOIN users u ON u.id = v.recorded_by
WHERE v.case_id = @case_id
ORDER BY v.seq DESC;

-- name: ListCaseLivenessAttempts :many
SELECT a.* FROM liveness_delivery_attempts a JOIN liveness_verdicts v ON v.id = a.verdict_id
WHERE v.case_id = @case_id
ORDER BY a.id DESC;

-- name: ListUndeliveredLiveness :many
-- Verdicts not (yet) at Artemis, across cases, oldest first: what a manager chases.
SELECT v.id AS verdict_id, v.case_id, v.document_id, v.recorded_at, u.name AS recorded_by_name,
    d.state, d.attempts, d.next_attempt_at, d.last_error, d.http_status, d.updated_at,
    cu.given_names, cu.surname, doc.type AS document_type, doc.number AS document_number
FROM liveness_deliveries d
JOIN liveness_verdicts v ON v.id = d.verdict_id
JOIN users u ON u.id = v.recorded_by
JOIN documents doc ON doc.id = v.document_id
JOIN customers cu ON cu.id = doc.customer_id
WHERE d.state IN ('pending', 'retrying', 'failed')
ORDER BY d.created_at, d.id
LIMIT @max_rows;

-- name: LockLivenessCustomer :one
-- Pushes for one customer take turns, across instances: the first may create the customer's
-- Artemis record, and the others must see its id. Session-level, taken on a connection of its own
-- (db.LockConn) and released when that connection is closed.
SELECT pg_try_advisory_lock(hashtextextended('kycdesk.liveness:' || @customer_id::text, 0)) AS locked;

-- name: WaitArtemisCustomerLock :exec
-- The Artemis check waits for the same per-customer turn as the liveness pushes (same key), so a
-- check and a push never both create the customer's Artemis record. Session-level, as
-- LockLivenessCustomer.
SELECT pg_advisory_lock(hashtextextended('kycdesk.liveness:' || @customer_id::text, 0));

-- name: ListLatestLivenessVerdicts :many
-- The verdict that stands on each of the given documents (a case's: ListCaseDocuments): the
-- newest, whichever case it was recorded in, a correction replacing what it supersedes; with who
-- recorded it and how its delivery to Artemis stands.
SELECT DISTINCT ON (v.document_id) v.id, v.document_id, v.case_id, v.conclusion, v.liveness_result, v.facial_check,
    v.recorded_at, u.name AS recorded_by_name, d.state AS delivery_state
FROM liveness_verdicts v
JOIN users u ON u.id = v.recorded_by
LEFT JOIN liveness_deliveries d ON d.verdict_id = v.id
WHERE v.document_id = ANY(@document_ids::uuid[])
ORDER BY v.document_id, v.seq DESC;

-- name: ListHeldLivenessVerdicts :many
-- The verdict Artemis holds for each of the given documents: the one delivered last, in whichever
-- case it was recorded (the Artemis record is the document's, and documents carry across cases).
-- Each delivery is a PUT that replaces what Artemis had; on deliveries at the same instant, the
-- later verdict. A verdict recorded later but not delivered has not replaced it.
SELECT DISTINCT ON (v.document_id) v.id, v.document_id, v.case_id, v.conclusion, v.recorded_at,
    u.name AS recorded_by_name, d.delivered_at::timestamptz AS delivered_at
FROM liveness_verdicts v
JOIN liveness_deliveries d ON d.verdict_id = v.id
JOIN users u ON u.id = v.recorded_by
WHERE v.document_id = ANY(@document_ids::uuid[]) AND d.state = 'delivered' AND d.delivered_at IS NOT NULL
ORDER BY v.document_id, d.delivered_at DESC, v.seq DESC;


-- name: GetCustomerIDByArtemisID :one
-- The customer Artemis knows by this id (kycdesk stores it when it creates the record there).
SELECT id FROM customers WHERE artemis_customer_id = @artemis_customer_id ORDER BY created_at LIMIT 1;

-- name: LatestArtemisCallback :one
-- The latest callback kept about a customer: by kycdesk's customer when known, else by Artemis' id.
SELECT * FROM artemis_callbacks
WHERE (sqlc.narg(customer_id)::uuid IS NOT NULL AND customer_id = sqlc.narg(customer_id))
   OR (sqlc.narg(customer_id)::uuid IS NULL AND artemis_customer_id = @artemis_customer_id)
ORDER BY id DESC LIMIT 1;

-- name: CreateArtemisCallback :one
INSERT INTO artemis_callbacks (artemis_customer_id, profile_reference_id, customer_reference_id, status, risk_rating,
    action, customer_type, customer_id, case_id, body)
VALUES (sqlc.narg(artemis_customer_id), @profile_reference_id, @customer_reference_id, @status, @risk_rating,
    @action, @customer_type, sqlc.narg(customer_id), sqlc.narg(case_id), @body)
RETURNING *;

-- name: LockArtemisCallbacks :exec
-- Callbacks about one Artemis customer take turns, so a repeat arriving twice at once is kept once.
SELECT pg_advisory_xact_lock(hashtextextended('artemis_callback:' || @key::text, 0));
