-- name: AcquireVendorSlot :one
-- Takes for holder, until now() + hold_seconds, the lowest place of vendor numbered under slots (its
-- current limit) that is free or whose lease has expired, unless slots or more leases of the
-- vendor are live (a lowered limit: places above it still held count until given back). No row:
-- nothing free (or no rows yet: EnsureVendorSlots). SKIP LOCKED lets concurrent takers pass each
-- other's row rather than queue on it.
WITH live AS (
    SELECT count(*) AS n FROM vendor_slots l
    WHERE l.vendor = @vendor AND l.holder IS NOT NULL AND l.expires_at > now()
), free AS (
    SELECT f.slot FROM vendor_slots f
    WHERE f.vendor = @vendor AND f.slot < @slots::integer AND (f.holder IS NULL OR f.expires_at <= now())
    ORDER BY f.slot
    LIMIT 1
    FOR UPDATE SKIP LOCKED
)
UPDATE vendor_slots s SET holder = @holder::uuid, expires_at = now() + make_interval(secs => @hold_seconds::float8)
FROM free, live
WHERE s.vendor = @vendor AND s.slot = free.slot AND live.n < @slots::integer
RETURNING s.slot;

-- name: EnsureVendorSlots :execrows
-- Makes the rows of vendor's places 0 to slots-1 that do not exist yet.
INSERT INTO vendor_slots (vendor, slot)
SELECT sqlc.arg(vendor)::text, g.slot FROM generate_series(0, sqlc.arg(slots)::integer - 1) AS g (slot)
ON CONFLICT DO NOTHING;

-- name: ReleaseVendorSlot :exec
-- Gives a place back, if holder still holds it.
UPDATE vendor_slots SET holder = NULL, expires_at = NULL
WHERE vendor = @vendor AND slot = @slot AND holder = @holder::uuid;

-- name: RenewVendorSlot :execrows
-- Extends holder's lease of a place to now() + hold_seconds; no row when the place is no longer
-- holder's (its lease expired and another took it).
UPDATE vendor_slots SET expires_at = now() + make_interval(secs => @hold_seconds::float8)
WHERE vendor = @vendor AND slot = @slot AND holder = @holder::uuid;

-- name: ListVendorSlotHolders :many
-- Who holds a place now, and of which vendor: a running check's id among them is making its call;
-- a running check not among them waits for a place while its vendor's places are all held (else
-- it is between its call and writing its outcome, or its worker died and River will rescue it).
SELECT vendor, holder::uuid AS holder FROM vendor_slots WHERE holder IS NOT NULL AND expires_at > now();
