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

-- name: ListUntouchedCaseDocuments :many
-- The documents of a case (case_documents) of one type and issuing country that review has not
-- touched yet: no check, document decision or liveness verdict on them. image_kinds: the kinds of
-- the images each has. Images sent for one of them join it (Service.AddDocumentToCase), oldest
-- first.
SELECT d.*, coalesce(array_agg(DISTINCT i.kind::text) FILTER (WHERE i.kind IS NOT NULL), '{}')::text[] AS image_kinds
FROM case_documents cd
JOIN documents d ON d.id = cd.document_id
LEFT JOIN images i ON i.document_id = d.id
WHERE cd.case_id = @case_id AND d.type = @type AND d.issuing_country = @issuing_country
  AND NOT EXISTS (SELECT 1 FROM checks k WHERE k.document_id = d.id)
  AND NOT EXISTS (SELECT 1 FROM document_decisions x WHERE x.document_id = d.id)
  AND NOT EXISTS (SELECT 1 FROM liveness_verdicts v WHERE v.document_id = d.id)
GROUP BY d.id
ORDER BY d.created_at, d.id;

-- name: FillDocumentDates :one
-- Gives a document the dates it was declared without (a date it has stays as it is).
UPDATE documents SET issue_date = coalesce(issue_date, sqlc.narg(issue_date)),
    expiry_date = coalesce(expiry_date, sqlc.narg(expiry_date))
WHERE id = @id
RETURNING *;

-- name: GetDocument :one
SELECT * FROM documents WHERE id = @id;

-- name: ListCustomerDocuments :many
SELECT * FROM documents WHERE customer_id = @customer_id ORDER BY created_at, id;

-- name: ListCaseDocuments :many
-- The documents of a case, the ones its evidence weighs (the view case_documents, migration 00017),
-- oldest first.
SELECT d.* FROM case_documents cd
JOIN documents d ON d.id = cd.document_id
WHERE cd.case_id = @case_id
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

-- name: HoldBlob :exec
-- A transaction about to refer to the image blobs of sha holds them (shared) until it ends;
-- they are deleted, when no image refers to them, only under TakeBlob (customers.Service.cleanup).
SELECT pg_advisory_xact_lock_shared(hashtextextended(@sha256::text, 7362));

-- name: TakeBlob :exec
-- The image blobs of sha, held alone, to delete them if no image refers to them.
SELECT pg_advisory_xact_lock(hashtextextended(@sha256::text, 7362));

-- name: ListCasePageDocuments :many
-- The documents a case's page and report show, its own first (weighed), oldest first within each:
-- its own, those its evidence weighs
-- (case_documents: weighed), and the customer's documents from before it was opened (an earlier
-- case's: an Artemis record and its verdicts carry over, and a reviewer may take one up), but
-- never one that arrived once a later case was opened and that this case did not take up: that
-- one is the later case's.
SELECT sqlc.embed(d), (cd.document_id IS NOT NULL)::boolean AS weighed
FROM cases c
JOIN documents d ON d.customer_id = c.customer_id
LEFT JOIN case_documents cd ON cd.case_id = c.id AND cd.document_id = d.id
WHERE c.id = @case_id
  AND (cd.document_id IS NOT NULL OR d.created_at < c.created_at)
ORDER BY weighed DESC, d.created_at, d.id;
