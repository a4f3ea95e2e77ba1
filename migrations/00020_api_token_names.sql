-- +goose Up
-- An API token's name is what the audit log and a customer's "Arrived via" say of it
-- ("api-token:<name>"), so no two tokens share one, whatever the case and whether revoked: a name
-- in the log points at one token for good. Of tokens named alike before this, all but the first
-- created get the start of their id in brackets.
WITH named AS (
    SELECT id, row_number() OVER (PARTITION BY lower(name) ORDER BY created_at, id) AS n
    FROM api_tokens
)
UPDATE api_tokens t SET name = t.name || ' (' || left(t.id::text, 8) || ')'
FROM named WHERE named.id = t.id AND named.n > 1;
CREATE UNIQUE INDEX api_tokens_name_key ON api_tokens (lower(name));

-- +goose Down
DROP INDEX api_tokens_name_key;
