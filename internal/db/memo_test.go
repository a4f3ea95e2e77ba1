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
