-- +goose Up
-- Callbacks from Cynopsis Artemis: a customer's screening status changed at Artemis. Each one that
-- says something new about its customer is kept, with its body as received (a few short words,
-- size-capped); a repeat (the same status, risk rating, action and type as the customer's latest)
-- is not. A callback naming a customer kycdesk does not know is kept all the same, unlinked.
CREATE TABLE artemis_callbacks (
    id                    bigserial PRIMARY KEY,
    received_at           timestamptz NOT NULL DEFAULT now(),
    artemis_customer_id   bigint,
    profile_reference_id  text NOT NULL DEFAULT '',
    customer_reference_id text NOT NULL DEFAULT '',
    status                text NOT NULL DEFAULT '',
    risk_rating           text NOT NULL DEFAULT '',
    action                text NOT NULL DEFAULT '',
    customer_type         text NOT NULL DEFAULT '',
    customer_id           uuid REFERENCES customers (id) ON DELETE SET NULL,
    case_id               uuid REFERENCES cases (id) ON DELETE SET NULL,
    body                  jsonb NOT NULL
);
CREATE INDEX artemis_callbacks_customer_idx ON artemis_callbacks (customer_id, id DESC);
CREATE INDEX artemis_callbacks_artemis_idx ON artemis_callbacks (artemis_customer_id, id DESC);

-- +goose Down
DROP TABLE artemis_callbacks;
