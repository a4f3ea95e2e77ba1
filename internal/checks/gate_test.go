package checks

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestGateBoundsAndServesInOrder: never more than the limit at once, every waiter served, and a
// freed place goes to the oldest waiter.
func TestGateBoundsAndServesInOrder(t *testing.T) {
	g := &gate{}
	ctx := context.Background()
	const limit = 3
	var now, peak atomic.Int32
	var wg sync.WaitGroup
	for range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := g.acquire(ctx, limit); err != nil {
				t.Error(err)
				return
			}
			if n := now.Add(1); n > peak.Load() {
				peak.Store(n)
			}
			time.Sleep(time.Millisecond)
			now.Add(-1)
			g.release(limit)
		}()
	}
	wg.Wait()
	if peak.Load() > limit || g.inUse != 0 || len(g.waiters) != 0 {
		t.Fatalf("peak %d, left in use %d, waiting %d", peak.Load(), g.inUse, len(g.waiters))
	}

	// Order: with the one place taken, waiters queue; each release lets in the oldest.
	if err := g.acquire(ctx, 1); err != nil {
		t.Fatal(err)
	}
	order := make(chan int, 5)
	for i := range 5 {
		go func() {
			if g.acquire(ctx, 1) == nil {
				order <- i
			}
		}()
		waitFor(t, func() bool { g.mu.Lock(); defer g.mu.Unlock(); return len(g.waiters) == i+1 })
	}
	for want := range 5 {
		g.release(1)
		if got := <-order; got != want {
			t.Fatalf("let in waiter %d, want %d", got, want)
		}
	}
	g.release(1)
	if g.inUse != 0 {
		t.Fatalf("in use %d", g.inUse)
	}
}

// TestGateCancelAndLimitChanges: a waiter that gives up neither keeps nor loses a place, a raised
// limit lets waiters in at once, and a lowered one takes effect as places are given back.
func TestGateCancelAndLimitChanges(t *testing.T) {
	g := &gate{}
	bg := context.Background()
	if err := g.acquire(bg, 1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- g.acquire(ctx, 1) }()
	waitFor(t, func() bool { g.mu.Lock(); defer g.mu.Unlock(); return len(g.waiters) == 1 })
	cancel()
	if err := <-done; err == nil {
		t.Fatal("a cancelled wait got a place")
	}
	if g.inUse != 1 || len(g.waiters) != 0 {
		t.Fatalf("after a cancelled wait: in use %d, waiting %d", g.inUse, len(g.waiters))
	}

	// Two wait under limit 1; a caller under limit 4 lets both in and takes the fourth place.
	got := make(chan struct{}, 2)
	for range 2 {
		go func() {
			if g.acquire(bg, 1) == nil {
				got <- struct{}{}
			}
		}()
	}
	waitFor(t, func() bool { g.mu.Lock(); defer g.mu.Unlock(); return len(g.waiters) == 2 })
	if err := g.acquire(bg, 4); err != nil {
		t.Fatal(err)
	}
	<-got
	<-got
	if g.inUse != 4 {
		t.Fatalf("in use %d, want 4 (1 + 2 let in + 1)", g.inUse)
	}
	// Lowered to 2: a new waiter gets in only once fewer than 2 are in use.
	go func() {
		if g.acquire(bg, 2) == nil {
			got <- struct{}{}
		}
	}()
	waitFor(t, func() bool { g.mu.Lock(); defer g.mu.Unlock(); return len(g.waiters) == 1 })
	g.release(2)
	g.release(2)
	select {
	case <-got:
		t.Fatal("let in with 2 of 2 in use")
	case <-time.After(20 * time.Millisecond):
	}
	g.release(2)
	<-got
	if g.inUse != 2 {
		t.Fatalf("in use %d, want 2", g.inUse)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(time.Millisecond)
	}
}
