package db_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"kycdesk/internal/db"
	"kycdesk/internal/testenv"
)

// counting passes statements to d and counts those that reach it.
type counting struct {
	d          db.DBTX
	statements int
}

func (c *counting) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	c.statements++
	return c.d.Exec(ctx, sql, args...)
}

func (c *counting) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	c.statements++
	return c.d.Query(ctx, sql, args...)
}

func (c *counting) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	c.statements++
	return c.d.QueryRow(ctx, sql, args...)
}

// TestReadMemo: through a context's memo a read made again with the same arguments reaches the
// database once and gives the same rows; other arguments, a missing row and a write behave as
// without it; a context without a memo passes everything through.
func TestReadMemo(t *testing.T) {
	pool := testenv.DB(t)
	base := context.Background()
	under := &counting{d: pool}
	q := db.New(under)
	user, err := q.CreateUser(base, db.CreateUserParams{Email: "memo@example.com", Name: "Memo Person", Role: db.UserRoleReviewer})
	if err != nil {
		t.Fatal(err)
	}
	under.statements = 0

	ctx := db.WithMemo(base)
	m := db.New(db.Reads(ctx, under))
	first, err := m.GetUser(ctx, user.ID)
	if err != nil {
		t.Fatal(err)
	}
	again, err := m.GetUser(ctx, user.ID)
	if err != nil {
		t.Fatal(err)
	}
	if under.statements != 1 {
		t.Errorf("two identical reads reached the database %d times, want once", under.statements)
	}
	if again.ID != first.ID || again.Name != "Memo Person" || again.Email != first.Email || !again.CreatedAt.Equal(first.CreatedAt) {
		t.Errorf("the memoized read gave %+v, the first %+v", again, first)
	}
	list1, err := m.ListUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	list2, err := m.ListUsers(ctx)
	if err != nil || len(list1) != 1 || len(list2) != 1 || list2[0].ID != user.ID {
		t.Fatalf("lists: %v %v (%v)", list1, list2, err)
	}
	if under.statements != 2 {
		t.Errorf("after a list read twice: %d statements, want 2", under.statements)
	}

	// Another argument is another read; a missing row is pgx.ErrNoRows, as without the memo.
	if _, err := m.GetUser(ctx, uuid.New()); !errors.Is(err, pgx.ErrNoRows) {
		t.Errorf("a missing user through the memo: %v, want pgx.ErrNoRows", err)
	}
	if under.statements != 3 {
		t.Errorf("a read with other arguments: %d statements, want 3", under.statements)
	}

	// A list argument is part of the key too; a read the memo passes through (its argument is of
	// a kind no key holds) leaves what it holds.
	for range 2 {
		if ws, err := m.ListActiveUsersByRole(ctx, []string{"reviewer", "admin"}); err != nil || len(ws) != 1 {
			t.Fatalf("workers: %v, %v", ws, err)
		}
	}
	if _, err := m.ListActiveUsersByRole(ctx, []string{"manager"}); err != nil {
		t.Fatal(err)
	}
	if under.statements != 5 {
		t.Errorf("a list argument read twice, then another: %d statements, want 5", under.statements)
	}
	rows, err := db.Reads(ctx, under).Query(ctx, "SELECT $1::int[]", []int{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if _, err := m.GetUser(ctx, user.ID); err != nil || under.statements != 6 {
		t.Errorf("after a read passed through, the memo was emptied: %d statements, want 6 (%v)", under.statements, err)
	}
	// Statements with an effect are never answered from the memo, though they begin with SELECT.
	for range 2 {
		if _, err := db.Reads(ctx, under).Exec(ctx, "SELECT pg_notify('memo_test', $1)", "x"); err != nil {
			t.Fatal(err)
		}
		var locked bool
		if err := db.Reads(ctx, under).QueryRow(ctx, "SELECT pg_try_advisory_xact_lock(42)").Scan(&locked); err != nil || !locked {
			t.Fatalf("advisory lock: %v %v", locked, err)
		}
	}
	if under.statements != 10 {
		t.Errorf("statements with an effect: %d, want 10", under.statements)
	}

	// A write empties the memo: the next read sees it.
	if _, err := m.UpdateUserProfile(ctx, db.UpdateUserProfileParams{ID: user.ID, Name: "Renamed", Role: db.UserRoleReviewer}); err != nil {
		t.Fatal(err)
	}
	after, err := m.GetUser(ctx, user.ID)
	if err != nil || after.Name != "Renamed" {
		t.Errorf("the read after a write: %q, %v; want the new name", after.Name, err)
	}

	// Without a memo in the context, every read reaches the database.
	n := under.statements
	plain := db.New(db.Reads(base, under))
	for range 2 {
		if _, err := plain.GetUser(base, user.ID); err != nil {
			t.Fatal(err)
		}
	}
	if under.statements != n+2 {
		t.Errorf("without a memo: %d statements, want %d", under.statements-n, 2)
	}
}
