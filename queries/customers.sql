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
