-- +goose Up
-- The places among the calls in flight to a vendor, shared by every instance: a vendor's
-- concurrency limit holds across the cluster, not per instance. A row is one place (slot) of one
-- vendor; a call takes a free one numbered under the vendor's current limit and gives it back
-- after the call. The holder is one acquisition's random id, so a holder whose lease expired and
-- was taken by another cannot give back the other's place. expires_at is the end of its lease,
-- short and renewed by the holder while its call runs: the places of a killed instance come back
-- by themselves. Rows are made on demand (checks.clusterSlots), up to the highest limit used.
--
-- UNLOGGED: a place is taken and given back for every vendor call (hundreds a second under load),
-- and a transaction that writes only unlogged tables commits without waiting for the WAL to reach
-- the disk. What is lost with it is harmless: after a PostgreSQL crash (or a failover) the table
-- comes back empty, and for at most one call's duration the calls still in flight are not
-- counted.
CREATE UNLOGGED TABLE vendor_slots (
    vendor     text NOT NULL,
    slot       integer NOT NULL CHECK (slot >= 0),
    holder     uuid,
    expires_at timestamptz,
    PRIMARY KEY (vendor, slot),
    CHECK ((holder IS NULL) = (expires_at IS NULL))
);

-- +goose Down
DROP TABLE vendor_slots;
