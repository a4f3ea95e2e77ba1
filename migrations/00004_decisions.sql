-- +goose Up
-- Decisions on documents and cases, their reasons, and four-eyes second review.

CREATE TABLE decision_reasons (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    outcome     text NOT NULL CHECK (outcome IN ('approve', 'reject', 'request_resubmission', 'escalate',
                                                 'doc_accept', 'doc_reject', 'doc_new_image', 'return')),
    label       text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    active      boolean NOT NULL DEFAULT true,
    position    integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (outcome, label)
);
INSERT INTO decision_reasons (outcome, label, position) VALUES
    ('approve', 'Identity verified: document and selfie match', 1),
    ('approve', 'Verified after manual review of vendor findings', 2),
    ('reject', 'Document forged or tampered', 1),
    ('reject', 'Selfie does not match the document', 2),
    ('reject', 'Document expired', 3),
    ('reject', 'Customer under age', 4),
    ('reject', 'Data does not match the declaration', 5),
    ('request_resubmission', 'Image blurry or unreadable', 1),
    ('request_resubmission', 'Document not fully in frame', 2),
    ('request_resubmission', 'Back of the document missing', 3),
    ('request_resubmission', 'Selfie missing or unusable', 4),
    ('escalate', 'Possible fraud: needs a senior reviewer', 1),
    ('escalate', 'Vendors disagree and the image does not settle it', 2),
    ('doc_accept', 'Document genuine and readable', 1),
    ('doc_reject', 'Document forged or tampered', 1),
    ('doc_reject', 'Wrong document type', 2),
    ('doc_new_image', 'Image blurry or unreadable', 1),
    ('doc_new_image', 'Glare or reflection hides data', 2),
    ('doc_new_image', 'Side cropped or not fully in frame', 3),
    ('return', 'Evidence does not support the decision', 1),
    ('return', 'Comment or reason missing detail', 2);

CREATE TABLE document_decisions (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    document_id   uuid NOT NULL REFERENCES documents (id),
    case_id       uuid NOT NULL REFERENCES cases (id),
    outcome       text NOT NULL CHECK (outcome IN ('accept', 'reject', 'new_image')),
    side          text CHECK (side IN ('front', 'back', 'selfie')),
    reason_id     uuid NOT NULL REFERENCES decision_reasons (id),
    comment       text NOT NULL DEFAULT '',
    decided_by    uuid NOT NULL REFERENCES users (id),
    decided_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT document_decisions_side CHECK ((outcome = 'new_image') = (side IS NOT NULL))
);
CREATE INDEX document_decisions_document_idx ON document_decisions (document_id, decided_at DESC);

CREATE TABLE case_decisions (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id            uuid NOT NULL REFERENCES cases (id),
    outcome            text NOT NULL CHECK (outcome IN ('approve', 'reject', 'request_resubmission', 'escalate')),
    reason_id          uuid NOT NULL REFERENCES decision_reasons (id),
    comment            text NOT NULL DEFAULT '',
    decided_by         uuid NOT NULL REFERENCES users (id),
    decided_at         timestamptz NOT NULL DEFAULT now(),
    -- What the reviewer saw when deciding: vendor outcomes, flags, checks.
    evidence           jsonb NOT NULL DEFAULT '{}',
    overrides_vendor   boolean NOT NULL DEFAULT false,
    -- Four-eyes: which rule sent the decision to a second review, and how that ended.
    four_eyes_rule     text,
    state              text NOT NULL DEFAULT 'final' CHECK (state IN ('final', 'pending', 'confirmed', 'returned')),
    checker_id         uuid REFERENCES users (id),
    checked_at         timestamptz,
    checker_reason_id  uuid REFERENCES decision_reasons (id),
    checker_comment    text NOT NULL DEFAULT '',
    -- The database itself refuses a checker who is the maker.
    CONSTRAINT case_decisions_checker_is_not_maker CHECK (checker_id IS NULL OR checker_id <> decided_by),
    CONSTRAINT case_decisions_pending_has_rule CHECK (state = 'final' OR four_eyes_rule IS NOT NULL)
);
CREATE INDEX case_decisions_case_idx ON case_decisions (case_id, decided_at DESC);
-- At most one decision waits for a second review per case.
CREATE UNIQUE INDEX case_decisions_one_pending ON case_decisions (case_id) WHERE state = 'pending';

INSERT INTO app_settings (key, value) VALUES
    ('four_eyes.rules', '{"always": false, "override_negative": true, "flags": true}');

-- +goose Down
DELETE FROM app_settings WHERE key = 'four_eyes.rules';
DROP TABLE case_decisions;
DROP TABLE document_decisions;
DROP TABLE decision_reasons;
