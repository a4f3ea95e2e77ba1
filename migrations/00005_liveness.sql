-- +goose Up
-- Manual liveness verdicts and their delivery to Cynopsis Artemis
-- (PUT /api/customer/{customerId}/document/{documentId}/liveness).

-- A verdict is recorded once and never changed: a correction is a new verdict that names the one it
-- supersedes. Its fields map one to one to the request body (LivenessResultRequestDto).
CREATE TABLE liveness_verdicts (
    id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- seq orders the verdicts of a document without relying on clock ties.
    seq                      bigint NOT NULL GENERATED ALWAYS AS IDENTITY UNIQUE,
    case_id                  uuid NOT NULL REFERENCES cases (id),
    document_id              uuid NOT NULL REFERENCES documents (id),
    recorded_by              uuid NOT NULL REFERENCES users (id),
    recorded_at              timestamptz NOT NULL DEFAULT now(),
    conclusion               boolean NOT NULL,
    liveness_result          boolean NOT NULL,
    facial_check             boolean NOT NULL,
    eyes_closed              boolean NOT NULL,
    eyes_closed_confidence   double precision NOT NULL CHECK (eyes_closed_confidence BETWEEN 0 AND 100),
    sunglasses               boolean NOT NULL,
    sunglasses_confidence    double precision NOT NULL CHECK (sunglasses_confidence BETWEEN 0 AND 100),
    face_occluded            boolean NOT NULL,
    face_occluded_confidence double precision NOT NULL CHECK (face_occluded_confidence BETWEEN 0 AND 100),
    -- Sent as liivenessConfidence (the contract's spelling), in percent.
    liveness_confidence      integer NOT NULL CHECK (liveness_confidence BETWEEN 0 AND 100),
    reference_image_id       uuid NOT NULL REFERENCES images (id),
    audit_image_ids          uuid[] NOT NULL DEFAULT '{}',
    comment                  text NOT NULL DEFAULT '' CHECK (length(comment) <= 2000),
    -- The verdict this one corrects; each verdict is corrected at most once, so the history of a
    -- document is a single line.
    supersedes               uuid UNIQUE REFERENCES liveness_verdicts (id)
);
CREATE INDEX liveness_verdicts_document_idx ON liveness_verdicts (document_id, seq DESC);
CREATE INDEX liveness_verdicts_case_idx ON liveness_verdicts (case_id, seq DESC);

-- +goose StatementBegin
CREATE FUNCTION liveness_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER liveness_verdicts_append_only BEFORE UPDATE OR DELETE ON liveness_verdicts
    FOR EACH ROW EXECUTE FUNCTION liveness_refuse_change();
CREATE TRIGGER liveness_verdicts_no_truncate BEFORE TRUNCATE ON liveness_verdicts
    FOR EACH STATEMENT EXECUTE FUNCTION liveness_refuse_change();

-- superseded: never sent, or not sent again, because a later verdict on the same document reached
-- Artemis first; sending this one would overwrite the later one there.
CREATE TYPE liveness_delivery_state AS ENUM ('pending', 'retrying', 'delivered', 'failed', 'superseded');

-- The push of one verdict to Artemis. Updated only by guarded statements: a run takes the
-- delivery by incrementing attempts, and only the run holding the current attempt may finish it.
CREATE TABLE liveness_deliveries (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    verdict_id           uuid NOT NULL UNIQUE REFERENCES liveness_verdicts (id),
    state                liveness_delivery_state NOT NULL DEFAULT 'pending',
    attempts             integer NOT NULL DEFAULT 0,
    next_attempt_at      timestamptz,
    -- Plain words for a reviewer; the vendor's own message included where it gave one.
    last_error           text NOT NULL DEFAULT '',
    error_kind           text NOT NULL DEFAULT '',
    http_status          integer NOT NULL DEFAULT 0,
    -- The Artemis records the verdict was written to.
    artemis_customer_id  bigint,
    artemis_document_id  bigint,
    -- Artemis' answer: document id, docverCheckStatus, liveness block, updatedBy/updatedAt.
    response             jsonb,
    job_id               bigint,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    delivered_at         timestamptz,
    CONSTRAINT liveness_deliveries_delivered CHECK ((state = 'delivered') = (delivered_at IS NOT NULL))
);
CREATE INDEX liveness_deliveries_undelivered_idx ON liveness_deliveries (created_at)
    WHERE state IN ('pending', 'retrying', 'failed');

-- Every attempt at a delivery and how it ended, so earlier failures stay visible after a success.
CREATE TABLE liveness_delivery_attempts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    verdict_id   uuid NOT NULL REFERENCES liveness_verdicts (id),
    attempt      integer NOT NULL,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz NOT NULL DEFAULT now(),
    outcome      liveness_delivery_state NOT NULL,
    http_status  integer NOT NULL DEFAULT 0,
    error        text NOT NULL DEFAULT ''
);
CREATE INDEX liveness_delivery_attempts_verdict_idx ON liveness_delivery_attempts (verdict_id, id);

CREATE TRIGGER liveness_delivery_attempts_append_only BEFORE UPDATE OR DELETE ON liveness_delivery_attempts
    FOR EACH ROW EXECUTE FUNCTION liveness_refuse_change();

-- +goose Down
DROP TABLE liveness_delivery_attempts;
DROP TABLE liveness_deliveries;
DROP TYPE liveness_delivery_state;
DROP TABLE liveness_verdicts;
DROP FUNCTION liveness_refuse_change();
