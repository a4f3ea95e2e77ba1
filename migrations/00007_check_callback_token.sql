-- +goose Up
-- An Argos callback is found by the token in its URL, which the check holds before Argos is
-- asked: a callback that arrives before Argos' own answer (with the transaction id) is not lost.
CREATE UNIQUE INDEX checks_callback_token_idx ON checks (callback_token_hash) WHERE callback_token_hash IS NOT NULL;
-- When Argos acknowledged the request: the callback's wait is measured from it.
ALTER TABLE checks ADD COLUMN callback_acknowledged_at timestamptz;

-- +goose Down
ALTER TABLE checks DROP COLUMN callback_acknowledged_at;
DROP INDEX checks_callback_token_idx;
