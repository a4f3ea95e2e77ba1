package audit_test

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"kycdesk/internal/audit"
	"kycdesk/internal/db"
	"kycdesk/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestChainVerifiesAndDetectsTampering(t *testing.T) {
	pool := testenv.DB(t)
	ctx := audit.WithMeta(context.Background(), audit.Meta{IP: "192.0.2.1", RequestID: "r1"})
	q := db.New(pool)
	if v, err := audit.Verify(ctx, q); err != nil || !v.OK() || v.Rows != 0 {
		t.Fatalf("fresh database: %+v %v", v, err)
	}
	// Concurrent writers still make one unbroken chain, with ids in chain order.
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.Transact(ctx, pool, func(q *db.Queries, _ pgx.Tx) error {
				return audit.Record(ctx, q, audit.Event{Actor: audit.System, Action: "test.event", SubjectType: "test",
					SubjectID: "x", Before: map[string]any{"n": 1}, After: map[string]any{"n": 2, "s": "é\"<>"}})
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	v, err := audit.Verify(ctx, q)
	if err != nil || !v.OK() || v.Rows != 20 {
		t.Fatalf("after 20 concurrent events: %+v %v", v, err)
	}
	// The table refuses changes.
	if _, err := pool.Exec(ctx, "UPDATE audit_events SET action = 'x' WHERE id = 5"); err == nil {
		t.Fatal("UPDATE allowed on the audit log")
	}
	if _, err := pool.Exec(ctx, "DELETE FROM audit_events WHERE id = 5"); err == nil {
		t.Fatal("DELETE allowed on the audit log")
	}
	// With the trigger disabled, a changed row is found and named.
	var id int64
	if err := pool.QueryRow(ctx, "SELECT id FROM audit_events ORDER BY id OFFSET 7 LIMIT 1").Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;
		UPDATE audit_events SET after = '{"n": 3}' WHERE id = `+strconv.FormatInt(id, 10)+`;
		ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`); err != nil {
		t.Fatal(err)
	}
	v, err = audit.Verify(ctx, q)
	if err != nil || v.OK() || v.BrokenAt != id {
		t.Fatalf("tampered row %d: %+v %v", id, v, err)
	}
}

func TestEventWithoutActorIsRefused(t *testing.T) {
	pool := testenv.DB(t)
	err := audit.Record(context.Background(), db.New(pool), audit.Event{Action: "x", SubjectType: "y"})
	if err != audit.ErrNoActor {
		t.Fatalf("got %v", err)
	}
}
