-- name: CreateCheck :one
INSERT INTO checks (case_id, document_id, vendor, kind, request_key, requested_by, requested_via)
VALUES (@case_id, @document_id, @vendor, @kind, @request_key, sqlc.narg(requested_by), @requested_via)
ON CONFLICT (document_id, vendor, request_key) DO NOTHING
RETURNING *;

-- name: GetCheck :one
SELECT * FROM checks WHERE id = @id;

-- name: ListCaseChecks :many
SELECT * FROM checks WHERE case_id = @case_id ORDER BY created_at DESC, vendor;

-- name: StartCheck :one
-- A run takes the check unless it already finished; the attempt it records is the run's, so a
-- run presumed dead that wakes up later cannot complete it (see FinishCheck).
UPDATE checks SET state = 'running', attempts = attempts + 1, started_at = coalesce(started_at, now()), next_attempt_at = NULL
WHERE id = @id AND state NOT IN ('done', 'failed')
RETURNING *;

-- name: FinishCheck :one
UPDATE checks SET state = @state, outcome = sqlc.narg(outcome), code = @code, reason = @reason, error_kind = @error_kind,
    result = sqlc.narg(result), finished_at = now(), next_attempt_at = NULL, callback_token_hash = NULL
WHERE id = @id AND state IN ('running', 'retrying') AND attempts = @attempts
RETURNING *;

-- name: RetryCheck :one
UPDATE checks SET state = 'retrying', reason = @reason, code = @code, error_kind = @error_kind, next_attempt_at = @next_attempt_at
WHERE id = @id AND state = 'running' AND attempts = @attempts
RETURNING *;

-- name: AwaitCallback :one
UPDATE checks SET transaction_id = @transaction_id, callback_token_hash = @callback_token_hash,
    callback_scale = @callback_scale, callback_due_at = @callback_due_at, callback_acknowledged_at = now()
WHERE id = @id AND state = 'running' AND attempts = @attempts
RETURNING *;

-- name: ExpectCallback :execrows
-- The run about to ask Argos for an asynchronous answer records the hash of its callback URL's
-- token first, so that a callback arriving before Argos' acknowledgement finds the check.
UPDATE checks SET callback_token_hash = @callback_token_hash
WHERE id = @id AND state = 'running' AND attempts = @attempts;

-- name: GetCheckByCallbackToken :one
SELECT * FROM checks WHERE callback_token_hash = @callback_token_hash;

-- name: GetCheckByTransaction :one
SELECT * FROM checks WHERE vendor = @vendor AND transaction_id = @transaction_id;

-- name: RefreshCaseVendorOutcome :exec
-- The case's vendor outcome, from the latest finished check per document and vendor: "fail" when
-- one failed (a vendor's refusal of the document is a failure), "review" when one asks for a
-- review or did not finish, "pass" only when every expected check passed, "partial" when those
-- that finished passed but some expected ones have not (not run, or still running), "none" when
-- none finished. Expected are the checks of the view case_expected_checks (migrations 00013, 00017), the
-- set ListUnfinishedExpectedChecks reads too.
-- The row is left alone when neither the outcome nor the second of its last activity would change:
-- an update rewrites every index of the case (the trigram index with every trigram of its search
-- text), and the checks of one document, run at once by several vendors, finish within a moment
-- of each other.
WITH latest AS (
    SELECT DISTINCT ON (k.document_id, k.vendor) k.document_id, k.vendor, k.outcome, k.state FROM checks k
    WHERE k.case_id = @case_id AND k.state IN ('done', 'failed') AND k.kind <> 'record'
    ORDER BY k.document_id, k.vendor, k.finished_at DESC
), o AS (
    SELECT CASE WHEN bool_or(l.outcome = 'fail') THEN 'fail'
                WHEN bool_or(l.outcome = 'review' OR l.state = 'failed') THEN 'review'
                WHEN bool_and(coalesce(l.outcome = 'pass', false)) THEN 'pass'
                WHEN bool_or(l.outcome = 'pass') THEN 'partial'
                ELSE 'none' END AS outcome
    FROM case_expected_checks x LEFT JOIN latest l ON l.document_id = x.document_id AND l.vendor = x.vendor
    WHERE x.case_id = @case_id
)
UPDATE cases SET last_activity_at = now(), vendor_outcome = o.outcome
FROM o
WHERE cases.id = @case_id
  AND (cases.vendor_outcome <> o.outcome OR date_trunc('second', cases.last_activity_at) < date_trunc('second', now()));

-- name: ListUnfinishedExpectedChecks :many
-- The checks a case expects (case_expected_checks, the set RefreshCaseVendorOutcome reads) that
-- have no finished check (done, or failed: a failed one is its own flag): not run at all, or
-- queued, running or retrying. started says which.
SELECT x.document_id, x.vendor::text AS vendor,
    EXISTS (SELECT 1 FROM checks k WHERE k.case_id = @case_id AND k.document_id = x.document_id AND k.vendor = x.vendor)::boolean AS started
FROM case_expected_checks x
WHERE x.case_id = @case_id AND NOT EXISTS (
    SELECT 1 FROM checks k
    WHERE k.case_id = @case_id AND k.document_id = x.document_id AND k.vendor = x.vendor
      AND k.state IN ('done', 'failed') AND k.kind <> 'record'
)
ORDER BY x.vendor, x.document_id;

-- name: InsertVendorCall :exec
INSERT INTO vendor_calls (check_id, case_id, vendor, method, endpoint, started_at, latency_ms, http_status, vendor_code, meaning, attempt, body, error)
VALUES (sqlc.narg(check_id), sqlc.narg(case_id), @vendor, @method, @endpoint, @started_at, @latency_ms, @http_status, @vendor_code, @meaning, @attempt, @body, @error);

-- name: ListCaseVendorCalls :many
SELECT id, check_id, case_id, vendor, method, endpoint, started_at, latency_ms, http_status, vendor_code, meaning, attempt, error,
    coalesce(octet_length(body), 0)::int AS body_size
FROM vendor_calls WHERE case_id = @case_id ORDER BY id DESC LIMIT 500;

-- name: GetVendorCall :one
SELECT * FROM vendor_calls WHERE id = @id;

-- name: SetCustomerArtemisID :exec
UPDATE customers SET artemis_customer_id = @artemis_customer_id WHERE id = @id AND artemis_customer_id IS NULL;

-- name: SetDocumentArtemisID :exec
UPDATE documents SET artemis_document_id = @artemis_document_id WHERE id = @id AND artemis_document_id IS NULL;

-- name: ListDocumentImages :many
SELECT * FROM images WHERE document_id = @document_id ORDER BY created_at DESC;

-- name: LockCase :exec
-- Check completions on one case take turns, so each recomputes the case's outcome seeing the
-- others'.
SELECT id FROM cases WHERE id = @id FOR UPDATE;
