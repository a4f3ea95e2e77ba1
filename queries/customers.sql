-- name: CreateCustomer :one
INSERT INTO customers (external_ref, given_names, surname, date_of_birth, nationality, residence_country,
    email, phone, address, created_by, created_via)
VALUES (sqlc.narg(external_ref), @given_names, @surname, sqlc.narg(date_of_birth), @nationality, @residence_country,
    @email, @phone, @address, sqlc.narg(created_by), @created_via)
RETURNING *;

-- name: GetCustomer :one
SELECT * FROM customers WHERE id = @id;

-- name: GetCustomerForUpdate :one
SELECT * FROM customers WHERE id = @id FOR UPDATE;

-- name: LockCustomer :one
-- Documents arriving for one customer take turns on the customer's row, so that the second sees
-- the case the first opened. NO KEY UPDATE: the rows that merely reference the customer (their
-- foreign keys take KEY SHARE) are not held up by it.
SELECT * FROM customers WHERE id = @id FOR NO KEY UPDATE;

-- name: GetCustomerByExternalRef :one
SELECT * FROM customers WHERE external_ref = @external_ref;

-- name: UpdateCustomer :one
UPDATE customers SET given_names = @given_names, surname = @surname, date_of_birth = sqlc.narg(date_of_birth),
    nationality = @nationality, residence_country = @residence_country, email = @email, phone = @phone,
    address = @address, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: CreateDocument :one
INSERT INTO documents (customer_id, type, issuing_country, number, issue_date, expiry_date, created_by)
VALUES (@customer_id, @type, @issuing_country, @number, sqlc.narg(issue_date), sqlc.narg(expiry_date), sqlc.narg(created_by))
RETURNING *;

-- name: GetDocument :one
SELECT * FROM documents WHERE id = @id;

-- name: ListCustomerDocuments :many
SELECT * FROM documents WHERE customer_id = @customer_id ORDER BY created_at, id;

-- name: ListCaseDocuments :many
-- The documents of a case, the ones its evidence weighs: those that arrived with the case or while
-- it was the customer's latest (at or after its opening, before the customer's next case was
-- opened), and those the case took up: checked, decided or given a liveness verdict in it. A
-- document of an earlier case, with what was decided on it there, stays with that case: its
-- rejection or a new image asked for on it does not follow the customer into a re-verification.
-- RefreshCaseVendorOutcome scopes the checks it expects alike, more loosely: documents that arrived
-- at or after the case's opening, or that it checked.
SELECT d.* FROM cases c
JOIN documents d ON d.customer_id = c.customer_id
WHERE c.id = @case_id
  AND ((d.created_at >= c.created_at
        AND NOT EXISTS (SELECT 1 FROM cases n WHERE n.customer_id = c.customer_id
                        AND n.created_at > c.created_at AND n.created_at <= d.created_at))
    OR EXISTS (SELECT 1 FROM checks k WHERE k.case_id = c.id AND k.document_id = d.id)
    OR EXISTS (SELECT 1 FROM document_decisions x WHERE x.case_id = c.id AND x.document_id = d.id)
    OR EXISTS (SELECT 1 FROM liveness_verdicts v WHERE v.case_id = c.id AND v.document_id = d.id))
ORDER BY d.created_at, d.id;

-- name: CreateImage :one
INSERT INTO images (customer_id, document_id, kind, sha256, content_type, size_bytes, width, height, has_thumb,
    file_name, uploaded_by, uploaded_via)
VALUES (@customer_id, sqlc.narg(document_id), @kind, @sha256, @content_type, @size_bytes, @width, @height, @has_thumb,
    @file_name, sqlc.narg(uploaded_by), @uploaded_via)
RETURNING *;

-- name: GetImage :one
SELECT * FROM images WHERE id = @id;

-- name: ListCustomerImages :many
SELECT * FROM images WHERE customer_id = @customer_id ORDER BY created_at, id;

-- name: CountImagesBySHA :one
SELECT count(*) FROM images WHERE sha256 = @sha256;

-- name: ListCasePageDocuments :many
-- The documents a case's page and report show, oldest first: its own, those its evidence weighs
-- (ListCaseDocuments, weighed), and the customer's documents from before it was opened (an earlier
-- case's: an Artemis record and its verdicts carry over, and a reviewer may take one up), but
-- never one that arrived once a later case was opened: that one is the later case's.
SELECT sqlc.embed(d), (
    (d.created_at >= c.created_at
        AND NOT EXISTS (SELECT 1 FROM cases n WHERE n.customer_id = c.customer_id
                        AND n.created_at > c.created_at AND n.created_at <= d.created_at))
    OR EXISTS (SELECT 1 FROM checks k WHERE k.case_id = c.id AND k.document_id = d.id)
    OR EXISTS (SELECT 1 FROM document_decisions x WHERE x.case_id = c.id AND x.document_id = d.id)
    OR EXISTS (SELECT 1 FROM liveness_verdicts v WHERE v.case_id = c.id AND v.document_id = d.id))::boolean AS weighed
FROM cases c
JOIN documents d ON d.customer_id = c.customer_id
WHERE c.id = @case_id
  AND (NOT EXISTS (SELECT 1 FROM cases n WHERE n.customer_id = c.customer_id
                   AND n.created_at > c.created_at AND n.created_at <= d.created_at)
    OR EXISTS (SELECT 1 FROM checks k WHERE k.case_id = c.id AND k.document_id = d.id)
    OR EXISTS (SELECT 1 FROM document_decisions x WHERE x.case_id = c.id AND x.document_id = d.id)
    OR EXISTS (SELECT 1 FROM liveness_verdicts v WHERE v.case_id = c.id AND v.document_id = d.id))
ORDER BY d.created_at, d.id;
