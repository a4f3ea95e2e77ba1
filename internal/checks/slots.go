package checks

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/db"
	"kycdesk/internal/vendors"
)

// A vendor's concurrency limit holds across every instance on the database. Each instance first
// queues its own callers in its gate (FIFO, at most the limit let through), and a caller let
// through then takes one of the vendor's places in PostgreSQL (vendor_slots, one lease per call),
// so the instances together never have more calls in flight than the limit. With one instance the
// gate already bounds the calls, and the place is free at the first try: one statement to take
// it, one to give it back, each a few tenths of a millisecond while the vendor call takes tens.
//
// A lease lasts as long as its holder may keep the place (the call's own timeout, or the run's
// deadline) and leaseMargin more, counted from PostgreSQL's clock when it is taken: a killed
// instance's places come back by themselves (with the default 60 s vendor timeout, 100 s after
// they were taken at most), and never while the call it made may still be in flight. The margin
// covers the time between the lease's start and the call's, and a call's return after its
// deadline.
//
// A caller let through its gate while the other instances hold every place polls: first after
// slotPollFirst, then doubling up to slotPollMax, each wait drawn between half and the whole of it
// (jitter, so that the instances waiting do not ask in step); a place given back in the same
// instance wakes its waiters at once, and the caller's context ends the wait. LISTEN/NOTIFY would
// answer a place given back elsewhere sooner, but it would pin a connection per instance and take
// PostgreSQL's notification lock at every release, hundreds a second, for a wait that only happens
// when the cluster asks for more than the limit; and it would still need the poll for leases that
// expire, which nobody announces.
const (
	leaseMargin   = 10 * time.Second
	slotPollFirst = 10 * time.Millisecond
	slotPollMax   = 250 * time.Millisecond
)

// errNoSlot: every place under the limit is held.
var errNoSlot = errors.New("checks: no free place")

// clusterSlots takes and gives back vendors' places in PostgreSQL.
type clusterSlots struct {
	pool *pgxpool.Pool
	log  *slog.Logger

	mu    sync.Mutex
	freed map[vendors.Name]chan struct{} // closed when this instance gives back a place of the vendor
}

// lease is one place held.
type lease struct {
	vendor vendors.Name
	slot   int32
	holder uuid.UUID
}

// freedSignal returns the channel closed when this instance next gives back one of v's places.
func (s *clusterSlots) freedSignal(v vendors.Name) chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.freed == nil {
		s.freed = map[vendors.Name]chan struct{}{}
	}
	ch := s.freed[v]
	if ch == nil {
		ch = make(chan struct{})
		s.freed[v] = ch
	}
	return ch
}

func (s *clusterSlots) signalFreed(v vendors.Name) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch := s.freed[v]; ch != nil {
		close(ch)
		delete(s.freed, v)
	}
}

// acquire waits for one of v's places under limit, to be held at most hold (the lease lasts
// leaseMargin more), until ctx ends.
func (s *clusterSlots) acquire(ctx context.Context, v vendors.Name, limit int, hold time.Duration) (lease, error) {
	l := lease{vendor: v, holder: uuid.New()}
	wait := slotPollFirst
	for {
		freed := s.freedSignal(v) // before trying, so a place given back meanwhile is not missed
		slot, err := s.try(ctx, l, limit, hold+leaseMargin)
		if err == nil {
			l.slot = slot
			return l, nil
		}
		if !errors.Is(err, errNoSlot) {
			return lease{}, err
		}
		t := time.NewTimer(wait/2 + rand.N(wait/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return lease{}, ctx.Err()
		case <-freed:
			t.Stop()
		case <-t.C:
			wait = min(2*wait, slotPollMax)
		}
	}
}

// try takes a free place once. When none is found, the rows of the places under limit are made
// if some are missing (the first call to a vendor, a raised limit, the table emptied by a crash)
// and it tries again.
func (s *clusterSlots) try(ctx context.Context, l lease, limit int, ttl time.Duration) (int32, error) {
	q := db.New(s.pool)
	p := db.AcquireVendorSlotParams{Vendor: string(l.vendor), Slots: int32(limit), Holder: l.holder, HoldSeconds: ttl.Seconds()}
	for range 2 {
		slot, err := q.AcquireVendorSlot(ctx, p)
		if err == nil {
			return slot, nil
		}
		if !db.IsNotFound(err) {
			return 0, err
		}
		made, err := q.EnsureVendorSlots(ctx, db.EnsureVendorSlotsParams{Vendor: string(l.vendor), Slots: int32(limit)})
		if err != nil {
			return 0, err
		}
		if made == 0 {
			break
		}
	}
	return 0, errNoSlot
}

// release gives the place back. It is written even when ctx has ended (the call was cancelled);
// when it cannot be, the lease expires by itself.
func (s *clusterSlots) release(ctx context.Context, l lease) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := db.New(s.pool).ReleaseVendorSlot(wctx, db.ReleaseVendorSlotParams{Vendor: string(l.vendor), Slot: l.slot, Holder: l.holder})
	s.signalFreed(l.vendor)
	if err != nil && s.log != nil {
		s.log.Warn("vendor place not given back: it comes back when its lease expires", "vendor", string(l.vendor), "slot", l.slot, "error", err.Error())
	}
}
