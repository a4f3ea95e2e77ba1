-- +goose Up
-- Users, their sessions, sign-in throttling, one-time set-password links, and the audit log.

CREATE TYPE user_role AS ENUM ('reviewer', 'manager', 'admin');

CREATE TABLE users (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email                 text NOT NULL,
    name                  text NOT NULL,
    role                  user_role NOT NULL,
    password_hash         text,
    must_change_password  boolean NOT NULL DEFAULT false,
    disabled_at           timestamptz,
    locked_at             timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_lower CHECK (email = lower(email))
);
CREATE UNIQUE INDEX users_email_key ON users (email);

-- A session row: the cookie carries the id and a secret; only the secret's SHA-256 is stored,
-- so a database dump does not hand out live sessions.
CREATE TABLE sessions (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_hash   bytea NOT NULL,
    data          jsonb NOT NULL DEFAULT '{}',
    ip            text NOT NULL DEFAULT '',
    user_agent    text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

-- Failed sign-ins per key ('email:<address>' or 'ip:<address>'). Keyed by the address typed, not
-- by user, so an unknown email is throttled exactly like a known one and reveals nothing.
CREATE TABLE login_throttle (
    key             text PRIMARY KEY,
    failures        integer NOT NULL DEFAULT 0,
    last_failure_at timestamptz NOT NULL DEFAULT now()
);

-- One-time links to set a password, for new users and resets.
CREATE TABLE password_tokens (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL UNIQUE,
    created_by  uuid REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

-- The audit log: append-only and hash-chained. Every row's hash covers the previous row's hash and
-- its own content, so changing or removing a row breaks the chain from there on.
CREATE TABLE audit_events (
    id            bigint PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_id      uuid REFERENCES users (id),
    actor_label   text NOT NULL,
    action        text NOT NULL,
    subject_type  text NOT NULL,
    subject_id    text NOT NULL DEFAULT '',
    case_id       uuid,
    before        jsonb,
    after         jsonb,
    ip            text NOT NULL DEFAULT '',
    request_id    text NOT NULL DEFAULT '',
    prev_hash     bytea NOT NULL,
    hash          bytea NOT NULL
);
CREATE SEQUENCE audit_events_id_seq OWNED BY audit_events.id;
CREATE INDEX audit_events_case_id_idx ON audit_events (case_id, id DESC) WHERE case_id IS NOT NULL;
CREATE INDEX audit_events_subject_idx ON audit_events (subject_type, subject_id, id DESC);
CREATE INDEX audit_events_at_idx ON audit_events (at);

-- audit_event_hash is the one definition of a row's hash, used by the insert trigger and by
-- `kycdesk audit verify`. Every field is length-prefixed so no two rows can encode alike.
-- +goose StatementBegin
CREATE FUNCTION audit_event_hash(e audit_events) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(
        e.prev_hash ||
        convert_to(concat_ws(E'\x1f',
            e.id::text,
            (extract(epoch FROM e.at) * 1000000)::bigint::text,
            coalesce(e.actor_id::text, ''),
            length(e.actor_label) || ':' || e.actor_label,
            length(e.action) || ':' || e.action,
            length(e.subject_type) || ':' || e.subject_type,
            length(e.subject_id) || ':' || e.subject_id,
            coalesce(e.case_id::text, ''),
            coalesce(e.before::text, 'null'),
            coalesce(e.after::text, 'null'),
            length(e.ip) || ':' || e.ip,
            length(e.request_id) || ':' || e.request_id
        ), 'UTF8'))
$$;
-- +goose StatementEnd

-- The chain is extended under a transaction-scoped advisory lock, and the id is drawn only after
-- the lock is held, so ids follow chain order even when transactions race.
-- +goose StatementBegin
CREATE FUNCTION audit_events_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    prev bytea;
BEGIN
    PERFORM pg_advisory_xact_lock(7361001);
    NEW.id := nextval('audit_events_id_seq');
    NEW.at := clock_timestamp();
    SELECT hash INTO prev FROM audit_events ORDER BY id DESC LIMIT 1;
    NEW.prev_hash := coalesce(prev, '\x'::bytea);
    NEW.hash := audit_event_hash(NEW);
    RETURN NEW;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION audit_events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_chain();
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();

-- +goose Down
DROP FUNCTION audit_event_hash(audit_events);
DROP TABLE audit_events;
DROP FUNCTION audit_events_refuse_change();
DROP FUNCTION audit_events_chain();
DROP TABLE password_tokens;
DROP TABLE login_throttle;
DROP TABLE sessions;
DROP TABLE users;
DROP TYPE user_role;
