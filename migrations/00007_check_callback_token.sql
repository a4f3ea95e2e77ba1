-- +goose Up
-- An Argos callback is found by the token in its URL, which the check holds before Argos is
-- asked: a callback that arrives before Argos' own answer (with the transaction id) is not lost.
CREATE UNIQUE INDEX checks_callback_token_idx ON checks (callback_token_hash) WHERE callback_token_hash IS NOT NULL;

-- +goose Down
DROP INDEX checks_callback_token_idx;
