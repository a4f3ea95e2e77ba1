-- +goose Up
-- Vendor settings (credentials encrypted), checks run as durable jobs, and every vendor call.

CREATE TYPE check_state AS ENUM ('queued', 'running', 'done', 'failed', 'retrying');

-- One row per vendor integration and environment. config holds URLs, paths and other settings
-- that are not secret; secrets holds the encrypted JSON of the secret values, never shown again.
CREATE TABLE vendor_settings (
    vendor           text NOT NULL CHECK (vendor IN ('cynopsis_ocr', 'artemis', 'apptenticate', 'argos', 'ooto')),
    environment      text NOT NULL CHECK (environment IN ('sandbox', 'production')),
    enabled          boolean NOT NULL DEFAULT false,
    config           jsonb NOT NULL DEFAULT '{}',
    secrets          bytea,
    secrets_set      jsonb NOT NULL DEFAULT '{}', -- which secrets are set, and when: {"client_secret": "2026-…"}
    timeout_seconds  integer NOT NULL DEFAULT 60 CHECK (timeout_seconds BETWEEN 1 AND 600),
    concurrency      integer NOT NULL DEFAULT 4 CHECK (concurrency BETWEEN 1 AND 64),
    updated_by       uuid REFERENCES users (id),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (vendor, environment)
);

-- Application-wide settings an admin changes: the active vendor environment, the default vendor
-- set per document type, whether checks run on API intake.
CREATE TABLE app_settings (
    key         text PRIMARY KEY,
    value       jsonb NOT NULL,
    updated_by  uuid REFERENCES users (id),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE checks (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id              uuid NOT NULL REFERENCES cases (id),
    document_id          uuid NOT NULL REFERENCES documents (id),
    vendor               text NOT NULL,
    kind                 text NOT NULL, -- ocr, recognition, face_match
    state                check_state NOT NULL DEFAULT 'queued',
    attempts             integer NOT NULL DEFAULT 0,
    -- One check per (document, vendor, request): a repeated request creates nothing new.
    request_key          text NOT NULL,
    requested_by         uuid REFERENCES users (id),
    requested_via        text NOT NULL DEFAULT 'browser',
    created_at           timestamptz NOT NULL DEFAULT now(),
    started_at           timestamptz,
    finished_at          timestamptz,
    next_attempt_at      timestamptz,
    outcome              text CHECK (outcome IN ('pass', 'review', 'fail')),
    code                 text NOT NULL DEFAULT '',
    reason               text NOT NULL DEFAULT '',
    error_kind           text NOT NULL DEFAULT '',
    result               jsonb,
    -- Argos asynchronous mode: the transaction awaited and the hash of the callback URL's token.
    transaction_id       text,
    callback_token_hash  bytea,
    callback_scale       jsonb,
    callback_due_at      timestamptz,
    UNIQUE (document_id, vendor, request_key)
);
CREATE INDEX checks_case_id_idx ON checks (case_id, created_at DESC);
CREATE UNIQUE INDEX checks_transaction_idx ON checks (vendor, transaction_id) WHERE transaction_id IS NOT NULL;

CREATE TABLE vendor_calls (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    check_id     uuid REFERENCES checks (id),
    case_id      uuid REFERENCES cases (id),
    vendor       text NOT NULL,
    method       text NOT NULL,
    endpoint     text NOT NULL,
    started_at   timestamptz NOT NULL,
    latency_ms   integer NOT NULL,
    http_status  integer NOT NULL DEFAULT 0,
    vendor_code  text NOT NULL DEFAULT '',
    meaning      text NOT NULL DEFAULT '',
    attempt      integer NOT NULL DEFAULT 1,
    body         bytea,
    error        text NOT NULL DEFAULT ''
);
CREATE INDEX vendor_calls_check_id_idx ON vendor_calls (check_id, id);
CREATE INDEX vendor_calls_case_id_idx ON vendor_calls (case_id, id);
CREATE INDEX vendor_calls_vendor_started_idx ON vendor_calls (vendor, started_at);

-- The Artemis records a customer and a document were given, needed for the liveness PUT.
ALTER TABLE customers ADD COLUMN artemis_customer_id bigint;
ALTER TABLE documents ADD COLUMN artemis_document_id bigint;

-- +goose Down
ALTER TABLE documents DROP COLUMN artemis_document_id;
ALTER TABLE customers DROP COLUMN artemis_customer_id;
DROP TABLE vendor_calls;
DROP TABLE checks;
DROP TABLE app_settings;
DROP TABLE vendor_settings;
DROP TYPE check_state;
