package reports

import (
	"bytes"
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/cases"
	"kycdesk/internal/db"
)

// refreshBatch is how many cases' stored rows one transaction of a refresh computes.
const refreshBatch = 5000

// maxMarked is how many marked cases a big export computes and holds in memory; past it, it
// reads the view instead (slower, never wrong).
const maxMarked = 50_000

// RefreshExportRows brings case_export_rows up to date: batch after batch, it recomputes the rows
// of the cases marked stale and removes each mark unless its case was marked again since the
// mark was read (that change waits for the next refresh). It stops at the newest mark there was
// when it started, so it ends however busy the cases are. Refreshes take turns.
func RefreshExportRows(ctx context.Context, pool *pgxpool.Pool) error {
	upto, err := db.New(pool).LatestExportMark(ctx)
	if err != nil {
		return fmt.Errorf("export: refresh: %w", err)
	}
	if upto == 0 {
		return nil
	}
	var after uuid.UUID
	for {
		var n int
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			q := db.New(tx)
			if err := q.LockExportRefresh(ctx); err != nil {
				return err
			}
			marks, err := q.StaleExportCases(ctx, db.StaleExportCasesParams{After: after, Upto: upto, N: refreshBatch})
			if err != nil || len(marks) == 0 {
				return err
			}
			n = len(marks)
			ids := make([]uuid.UUID, n)
			versions := make([]int64, n)
			for i, m := range marks {
				ids[i], versions[i] = m.CaseID, m.Version
			}
			after = ids[n-1]
			if err := q.DeleteExportRows(ctx, ids); err != nil {
				return err
			}
			if err := q.InsertExportRows(ctx, ids); err != nil {
				return err
			}
			return q.ClearExportMarks(ctx, db.ClearExportMarksParams{CaseIds: ids, Versions: versions})
		})
		if err != nil {
			return fmt.Errorf("export: refresh: %w", err)
		}
		if n < refreshBatch {
			return nil
		}
	}
}

// bulk writes a big export from the stored rows. In the export's snapshot it reads the marked
// cases, computes their rows from the view (same filters, same order) and holds them; then it
// reads the stored rows in order, skips the marked cases, and puts each held row in its place.
// It returns false, having written nothing, when more cases are marked than it would hold.
func (e *exporter) bulk(ctx context.Context, tx pgx.Tx, o order, args []any, emit func([][]byte) error) (bool, error) {
	marked, err := db.New(tx).MarkedExportCases(ctx, maxMarked+1)
	if err != nil {
		return false, fmt.Errorf("export: marked cases: %w", err)
	}
	if len(marked) > maxMarked {
		return false, nil
	}
	var held [][][]byte
	skip := make(map[[16]byte]struct{}, len(marked))
	if len(marked) > 0 {
		for _, id := range marked {
			skip[id] = struct{}{}
		}
		err := e.read(ctx, tx, sourceSQL+o.sql, append(args[:len(args):len(args)], nil, marked), func(v [][]byte) error {
			held = append(held, cloneRow(v))
			return nil
		})
		if err != nil {
			return false, err
		}
	}
	err = e.read(ctx, tx, storedSQL+o.sql, args, func(v [][]byte) error {
		if len(skip) > 0 {
			if _, ok := skip[[16]byte(v[xID])]; ok {
				return nil
			}
		}
		for len(held) > 0 && o.before(held[0], v) {
			if err := emit(held[0]); err != nil {
				return err
			}
			held = held[1:]
		}
		return emit(v)
	})
	if err != nil {
		return true, err
	}
	for _, v := range held {
		if err := emit(v); err != nil {
			return true, err
		}
	}
	return true, nil
}

// cloneRow copies a row's raw values, keeping NULL (nil) apart from empty.
func cloneRow(v [][]byte) [][]byte {
	out := make([][]byte, len(v))
	for i, b := range v {
		if b != nil {
			out[i] = bytes.Clone(b)
		}
	}
	return out
}

// order is one of the export's two orders: its ORDER BY, and the same comparison in Go for
// merging rows.
type order struct {
	sql      string
	activity bool
}

func orderOf(sort string) order {
	if sort == "activity" {
		return order{orderByActivity, true}
	}
	return order{orderByAge, false}
}

// statusRank is each status's place in the case_status enum, which orders them in SQL.
var statusRank = func() map[string]int {
	m := map[string]int{}
	for i, s := range cases.Statuses {
		m[string(s)] = i
	}
	return m
}()

// before reports whether row a comes before row b: status, then age (oldest first) or last
// activity (latest first), then the case id, as PostgreSQL compares them.
func (o order) before(a, b [][]byte) bool {
	if ra, rb := statusRank[string(a[xStatus])], statusRank[string(b[xStatus])]; ra != rb {
		return ra < rb
	}
	col := xCreatedAt
	if o.activity {
		col = xLastActivity
	}
	ta, _ := micros(a[col])
	tb, _ := micros(b[col])
	if ta != tb {
		return (ta < tb) != o.activity
	}
	c := bytes.Compare(a[xID], b[xID])
	if o.activity {
		return c > 0
	}
	return c < 0
}
