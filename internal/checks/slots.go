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
// A lease is short (leaseTTL, counted from PostgreSQL's clock) and renewed by its holder every
// leaseRenew while the call runs: a killed instance's places come back within leaseTTL, while a
// call may take as long as it needs (a liveness push, several Artemis calls, included). A holder
// whose renewal finds the place taken (it could not renew for a whole leaseTTL: the database was
// out of reach) logs it; its call goes on, the limit exceeded by one for the rest of that call.
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
	slotPollFirst = 10 * time.Millisecond
	slotPollMax   = 250 * time.Millisecond
)

// leaseTTL and leaseRenew are variables for the tests only.
var (
	leaseTTL   = 15 * time.Second
	leaseRenew = 5 * time.Second
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
	// stop ends the renewals; done is closed once they have ended.
	stop, done chan struct{}
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

// acquire waits for one of v's places under limit until ctx ends, and renews its lease until it
// is given back. holder names the lease: a check's id (its panel says a check holding none is
// waiting for a place), a random one otherwise; one holder takes one place at a time.
func (s *clusterSlots) acquire(ctx context.Context, v vendors.Name, limit int, holder uuid.UUID) (lease, error) {
	l := lease{vendor: v, holder: holder}
	wait := slotPollFirst
	for {
		freed := s.freedSignal(v) // before trying, so a place given back meanwhile is not missed
		slot, err := s.try(ctx, l, limit)
		if err == nil {
			l.slot, l.stop, l.done = slot, make(chan struct{}), make(chan struct{})
			go s.renew(context.WithoutCancel(ctx), l)
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

// renew extends l's lease every leaseRenew until l.stop is closed.
func (s *clusterSlots) renew(ctx context.Context, l lease) {
	defer close(l.done)
	t := time.NewTicker(leaseRenew)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		rctx, cancel := context.WithTimeout(ctx, leaseRenew)
		n, err := db.New(s.pool).RenewVendorSlot(rctx, db.RenewVendorSlotParams{HoldSeconds: leaseTTL.Seconds(),
			Vendor: string(l.vendor), Slot: l.slot, Holder: l.holder})
		cancel()
		if s.log == nil {
			continue
		}
		switch {
		case err != nil:
			s.log.Warn("vendor place not renewed: retried at the next renewal", "vendor", string(l.vendor), "slot", l.slot, "error", err.Error())
		case n == 0:
			s.log.Warn("vendor place lost: its lease expired before it could be renewed and another call took it", "vendor", string(l.vendor), "slot", l.slot)
			return
		}
	}
}

// try takes a free place once. When none is found, the rows of the places under limit are made
// if some are missing (the first call to a vendor, a raised limit, the table emptied by a crash)
// and it tries again.
func (s *clusterSlots) try(ctx context.Context, l lease, limit int) (int32, error) {
	q := db.New(s.pool)
	p := db.AcquireVendorSlotParams{Vendor: string(l.vendor), Slots: int32(limit), Holder: l.holder, HoldSeconds: leaseTTL.Seconds()}
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
	close(l.stop)
	<-l.done // no renewal after the place is given back
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := db.New(s.pool).ReleaseVendorSlot(wctx, db.ReleaseVendorSlotParams{Vendor: string(l.vendor), Slot: l.slot, Holder: l.holder})
	s.signalFreed(l.vendor)
	if err != nil && s.log != nil {
		s.log.Warn("vendor place not given back: it comes back when its lease expires", "vendor", string(l.vendor), "slot", l.slot, "error", err.Error())
	}
}
