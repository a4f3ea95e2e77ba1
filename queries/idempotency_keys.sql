-- name: SaveFirstIdempotentResponse :execrows
-- Saves the answer to (token, key) unless one is saved already. An insert of a key that another
-- transaction inserted and has not committed yet waits for it: it then inserts nothing (0 rows)
-- when that one commits, and the row when it rolls back. Each statement of a READ COMMITTED
-- transaction sees what committed before it, so the caller can read the winner's answer next.
INSERT INTO idempotency_keys (token_id, key, request_hash, response_status, response_body)
VALUES (@token_id, @key, @request_hash, @response_status, @response_body)
ON CONFLICT (token_id, key) DO NOTHING;
