package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"kycdesk/internal/db"
	"kycdesk/internal/testenv"
)

// sent records the statements a DBTX is given.
type sent struct{ sql []string }

func (s *sent) Exec(_ context.Context, sql string, _ ...any) (pgconn.CommandTag, error) {
	s.sql = append(s.sql, sql)
	return pgconn.CommandTag{}, nil
}

func (s *sent) Query(_ context.Context, sql string, _ ...any) (pgx.Rows, error) {
	s.sql = append(s.sql, sql)
	return nil, nil
}

func (s *sent) QueryRow(_ context.Context, sql string, _ ...any) pgx.Row {
	s.sql = append(s.sql, sql)
	return nil
}

// filtered is written as queries/ write optional filters: one per line.
const filtered = `-- name: Filtered :many
SELECT n FROM t
WHERE n > $1
  AND ($2::text IS NULL OR b = $2)
  AND (NOT $3::bool OR c IS NULL)
  AND ($4::int IS NULL OR (n, id) > ($4, $5::uuid))
ORDER BY n
LIMIT 3`

// TestShapesWritesTheStatementOfTheFiltersSet: each optional filter is written as applying or not,
// by the value it is given; a statement without optional filters is sent as it is.
func TestShapesWritesTheStatementOfTheFiltersSet(t *testing.T) {
	ctx := context.Background()
	rec := &sent{}
	d := db.Shapes(rec)
	b, id := "x", uuid.New()
	var noText *string
	_, _ = d.Query(ctx, filtered, 0, noText, false, nil, nil)
	_, _ = d.Query(ctx, filtered, 0, &b, true, 7, &id)
	_ = d.QueryRow(ctx, filtered, pgx.QueryExecModeCacheDescribe, 0, &b, false, nil, nil) // options come first
	_, _ = d.Exec(ctx, filtered, 0, nil, true, 7, nil)
	_, _ = d.Query(ctx, "SELECT 1 WHERE $1::int IS NULL", nil)
	_, _ = d.Query(ctx, filtered, 0, sql.NullString{}, false, nil, nil) // NULL, though not nil
	_, _ = d.Query(ctx, filtered, 0, nil, nil, nil, nil)                // a flag that is not a bool
	want := []string{
		`  AND ($2::text IS NULL OR false AND b = $2)
  AND (NOT $3::bool OR false AND c IS NULL)
  AND ($4::int IS NULL OR false AND (n, id) > ($4, $5::uuid))`,
		`  AND ($2::text IS NOT NULL AND b = $2)
  AND ($3::bool AND c IS NULL)
  AND ($4::int IS NOT NULL AND (n, id) > ($4, $5::uuid))`,
		`  AND ($2::text IS NOT NULL AND b = $2)
  AND (NOT $3::bool OR false AND c IS NULL)
  AND ($4::int IS NULL OR false AND (n, id) > ($4, $5::uuid))`,
		`  AND ($2::text IS NULL OR false AND b = $2)
  AND ($3::bool AND c IS NULL)
  AND ($4::int IS NOT NULL AND (n, id) > ($4, $5::uuid))`,
	}
	if len(rec.sql) != 7 {
		t.Fatalf("%d statements sent", len(rec.sql))
	}
	for i, w := range want {
		full := strings.Replace(filtered, `  AND ($2::text IS NULL OR b = $2)
  AND (NOT $3::bool OR c IS NULL)
  AND ($4::int IS NULL OR (n, id) > ($4, $5::uuid))`, w, 1)
		if rec.sql[i] != full {
			t.Errorf("call %d sent\n%s\nwant\n%s", i, rec.sql[i], full)
		}
	}
	if rec.sql[4] != "SELECT 1 WHERE $1::int IS NULL" {
		t.Errorf("a statement without optional filters became %q", rec.sql[4])
	}
	for _, i := range []int{5, 6} {
		if rec.sql[i] != filtered {
			t.Errorf("call %d: a value Shapes cannot judge should send the statement as written, sent\n%s", i, rec.sql[i])
		}
	}
}

// TestShapesReturnTheStatementsRows runs a statement with every kind of optional filter for
// every combination of values, through Shapes and as written: the rows are the same.
func TestShapesReturnTheStatementsRows(t *testing.T) {
	ctx := context.Background()
	pool := testenv.DB(t)
	if _, err := pool.Exec(ctx, `CREATE TABLE t (n int, b text, c int, id uuid)`); err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		var b, c any
		if i%3 != 0 {
			b = []string{"x", "y"}[i%2]
		}
		if i%4 == 0 {
			c = i
		}
		if _, err := pool.Exec(ctx, `INSERT INTO t VALUES ($1, $2, $3, $4)`, i, b, c, uuid.New()); err != nil {
			t.Fatal(err)
		}
	}
	stmt := strings.Replace(filtered, "LIMIT 3", "", 1)
	x, y := "x", "y"
	var lowID, highID = uuid.UUID{}, uuid.Max
	n := 0
	// Besides what sqlc sends (pointers, bools), values whose NULL-ness Go does not show: those
	// are sent as written.
	texts := []any{nil, &x, &y, (*string)(nil), sql.NullString{}, pgtype.Text{}, &pgtype.Text{String: "x", Valid: true}}
	flags := []any{false, true, nil, (*bool)(nil), pgtype.Bool{Valid: true}}
	for _, after := range []int{-1, 0, 5} {
		for _, b := range texts {
			for _, c := range flags {
				for _, cur := range []*int{nil, ptr(3), ptr(4)} {
					for _, id := range []*uuid.UUID{nil, &lowID, &highID} {
						args := []any{after, b, c, cur, id}
						want := collect(t, pool, stmt, args)
						got := collect(t, db.Shapes(pool), stmt, args)
						if !slices.Equal(got, want) {
							t.Errorf("%v: %v through Shapes, %v as written", describe(args), got, want)
						}
						n++
					}
				}
			}
		}
	}
	if n != 945 {
		t.Fatalf("%d combinations", n)
	}
}

func ptr[T any](v T) *T { return &v }

func collect(t *testing.T, d db.DBTX, sql string, args []any) []int {
	t.Helper()
	rows, err := d.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func describe(args []any) string {
	var b strings.Builder
	for _, a := range args {
		switch v := a.(type) {
		case *string:
			if v != nil {
				a = *v
			}
		case *int:
			if v != nil {
				a = *v
			}
		case *uuid.UUID:
			if v != nil {
				a = *v
			}
		}
		fmt.Fprintf(&b, "%v ", a)
	}
	return b.String()
}
