package testenv

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// AuditGate holds the audit chain's lock (audit_events_chain takes it for every audit row) in a
// transaction of its own. A change records its audit rows after its other writes, so it stops at
// the gate with all it did uncommitted and its row locks held: two changes can be made to overlap
// as they would when committing in the same instant, in the order a test chooses.
type AuditGate struct {
	app *App
	tx  pgx.Tx
	pid int32
}

// HoldAuditGate closes the gate until Open (or the test's end).
func (a *App) HoldAuditGate(t testing.TB) *AuditGate {
	t.Helper()
	ctx := context.Background()
	tx, err := a.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback(ctx) })
	g := &AuditGate{app: a, tx: tx}
	if err := tx.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&g.pid); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(7361001)"); err != nil {
		t.Fatal(err)
	}
	return g
}

// Await waits until n transactions wait for the gate: at it, or for a lock held by one that is.
func (g *AuditGate) Await(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var waiting int
		if err := g.app.Pool.QueryRow(context.Background(), `
			WITH w AS (
				SELECT pid, pg_blocking_pids(pid) AS blockers FROM pg_stat_activity
				WHERE datname = current_database() AND wait_event_type = 'Lock'
			)
			SELECT count(*) FROM w
			WHERE $1::int = ANY(w.blockers) OR w.blockers && ARRAY(SELECT v.pid FROM w v WHERE $1::int = ANY(v.blockers))`,
			g.pid).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d transactions wait for the audit gate, want %d", waiting, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Open lets the waiting transactions through.
func (g *AuditGate) Open(t testing.TB) {
	t.Helper()
	if err := g.tx.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
}
