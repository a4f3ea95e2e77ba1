package db_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"kycdesk/internal/db"
	"kycdesk/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestTransactRunsADeadlockVictimAgain: two transactions take two rows in opposite orders;
// PostgreSQL ends one as a deadlock victim, and Transact runs it again, so both land.
func TestTransactRunsADeadlockVictimAgain(t *testing.T) {
	ctx := context.Background()
	pool := testenv.DB(t)
	if _, err := pool.Exec(ctx, "CREATE TABLE pair (id int PRIMARY KEY, n int NOT NULL); INSERT INTO pair VALUES (1, 0), (2, 0)"); err != nil {
		t.Fatal(err)
	}
	var ready sync.WaitGroup
	ready.Add(2)
	var runs atomic.Int32
	move := func(first, second int) error {
		once := sync.OnceFunc(func() { ready.Done() })
		return db.Transact(ctx, pool, func(_ *db.Queries, tx pgx.Tx) error {
			runs.Add(1)
			if _, err := tx.Exec(ctx, "UPDATE pair SET n = n + 1 WHERE id = $1", first); err != nil {
				return err
			}
			once()
			ready.Wait() // both hold their first row: the second update closes the cycle
			_, err := tx.Exec(ctx, "UPDATE pair SET n = n + 1 WHERE id = $1", second)
			return err
		})
	}
	errs := make(chan error, 2)
	go func() { errs <- move(1, 2) }()
	go func() { errs <- move(2, 1) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("a transaction failed: %v", err)
		}
	}
	var a, b int
	if err := pool.QueryRow(ctx, "SELECT (SELECT n FROM pair WHERE id = 1), (SELECT n FROM pair WHERE id = 2)").Scan(&a, &b); err != nil {
		t.Fatal(err)
	}
	if a != 2 || b != 2 {
		t.Errorf("rows = %d, %d; want 2, 2", a, b)
	}
	if runs.Load() < 3 {
		t.Errorf("ran %d times: no deadlock happened, the test proves nothing", runs.Load())
	}
}
