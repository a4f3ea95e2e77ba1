package cases_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/cases"
	"kycdesk/internal/db"
	"kycdesk/internal/loadtest"
	"kycdesk/internal/testenv"
)

// explained stands where List sends its page's statement and, instead of running it, asks
// PostgreSQL how many buffers the statement's plan reads, under the plan_cache_mode given.
type explained struct {
	conn    *pgxpool.Conn
	buffers int
}

var errExplained = errors.New("explained, not run")

func (e *explained) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	return pgconn.CommandTag{}, errExplained
}

func (e *explained) QueryRow(context.Context, string, ...any) pgx.Row { return nil }

func (e *explained) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	// Prepared by name and run through EXECUTE, so plan_cache_mode decides the plan (EXPLAIN of
	// the statement itself would plan it for its values either way).
	c := e.conn.Conn()
	if _, err := c.Prepare(ctx, "explained", sql); err != nil {
		return nil, err
	}
	defer func() { _ = c.Deallocate(ctx, "explained") }()
	values := make([]string, len(args))
	for i, a := range args {
		values[i] = literal(a)
	}
	var raw []byte
	if err := c.QueryRow(ctx, "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE explained("+strings.Join(values, ", ")+")").Scan(&raw); err != nil {
		return nil, err
	}
	var out []struct {
		Plan struct {
			Hit  int `json:"Shared Hit Blocks"`
			Read int `json:"Shared Read Blocks"`
		} `json:"Plan"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || len(out) != 1 {
		return nil, errors.New("explain: " + string(raw))
	}
	e.buffers = out[0].Plan.Hit + out[0].Plan.Read
	return nil, errExplained
}

// literal writes a value of the queue's statement as SQL.
func literal(a any) string {
	switch v := a.(type) {
	case nil:
		return "NULL"
	case bool:
		return strconv.FormatBool(v)
	case db.CaseStatus:
		return "'" + string(v) + "'"
	case *string:
		if v != nil {
			return "'" + strings.ReplaceAll(*v, "'", "''") + "'"
		}
	case *bool:
		if v != nil {
			return strconv.FormatBool(*v)
		}
	case *time.Time:
		if v != nil {
			return "'" + v.Format(time.RFC3339Nano) + "'"
		}
	case *uuid.UUID:
		if v != nil {
			return "'" + v.String() + "'"
		}
	default:
		panic(fmt.Sprintf("literal: %T", a))
	}
	return "NULL"
}

// TestKeptPlansReadWhatPlansForTheValuesRead: for each view cases.Planned lets keep its plan, on
// a queue of 40,000 cases and with rare and common values, the plan PostgreSQL keeps (generic)
// reads about what a plan made for the values reads. A view whose best plan depends on its values
// (the cases without the risk flag, for one) would read far more for a rare value, and must be
// planned per call.
func TestKeptPlansReadWhatPlansForTheValuesRead(t *testing.T) {
	app := testenv.NewApp(t)
	ctx := context.Background()
	me := app.CreateUser(t, "reviewer")
	if _, err := loadtest.Seed(ctx, app.Pool, loadtest.Options{Cases: 40_000, Staff: []uuid.UUID{me.ID}, Seed: 7, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	// A rare value where the mix has none: five flagged cases in the approved tab, the newest.
	if _, err := app.Pool.Exec(ctx, `UPDATE cases SET risk_flag = id IN (
		SELECT id FROM cases WHERE status = 'approved' ORDER BY created_at DESC LIMIT 5) WHERE status = 'approved'`); err != nil {
		t.Fatal(err)
	}
	// VACUUM too: the update left the flagged cases' index entries of the old rows, which the
	// first plan to read them would visit (and mark), and the second would not.
	if _, err := app.Pool.Exec(ctx, "VACUUM ANALYZE cases"); err != nil {
		t.Fatal(err)
	}
	conn, err := app.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	old := time.Now().AddDate(-1, -6, 0)
	oldRange := "&from=" + old.Format("2006-01-02") + "&to=" + old.AddDate(0, 0, 2).Format("2006-01-02")
	views := []string{"", "sort=activity", "risk=yes", "sort=activity&risk=yes", "assignee=none", "assignee=none&sort=activity", "assignee=me", "outcome=fail",
		"outcome=none", "nationality=DEU", "nationality=ISL", "nationality=TUV", oldRange[1:], "assignee=me" + oldRange,
		"nationality=ISL" + oldRange, "outcome=review" + oldRange, "assignee=none" + oldRange,
		"risk=yes&outcome=fail", "risk=yes&outcome=pass", "risk=yes&outcome=none", "risk=yes" + oldRange,
		"risk=yes&outcome=review" + oldRange,
		// Planned per call: checked only if Planned lets them keep a plan.
		"nationality=ISL&outcome=fail", "nationality=DEU&outcome=fail", "assignee=none&nationality=ISL",
		"risk=no", "risk=no&outcome=fail", "risk=yes&nationality=ISL", "risk=yes&assignee=none",
		"assignee=me&sort=activity", "nationality=ISL&sort=activity", "outcome=fail&sort=activity",
		"sort=activity" + oldRange, "assignee=none&sort=activity" + oldRange}
	kept := 0
	for _, view := range views {
		for _, status := range []string{"approved", "in_review", "new"} {
			v, _ := url.ParseQuery(view + "&status=" + status)
			f, errs := cases.ParseFilter(v, me.ID)
			if len(errs) > 0 {
				t.Fatalf("%s: %v", view, errs)
			}
			if !cases.KeepsPlan(f) {
				continue
			}
			kept++
			read := map[string]int{}
			for _, mode := range []string{"force_generic_plan", "force_custom_plan"} {
				if _, err := conn.Exec(ctx, "SET plan_cache_mode = "+mode); err != nil {
					t.Fatal(err)
				}
				e := &explained{conn: conn}
				if _, err := cases.List(ctx, db.New(db.Shapes(e)), f); !errors.Is(err, errExplained) {
					t.Fatalf("%s: %v", view, err)
				}
				read[mode] = e.buffers
			}
			generic, custom := read["force_generic_plan"], read["force_custom_plan"]
			if generic > 3*custom+30 {
				t.Errorf("status=%s&%s keeps its plan, which reads %d buffers where a plan for its values reads %d", status, view, generic, custom)
			}
		}
	}
	if _, err := conn.Exec(ctx, "RESET plan_cache_mode"); err != nil {
		t.Fatal(err)
	}
	if kept < 30 {
		t.Fatalf("only %d of the views keep their plans: the test checks little", kept)
	}
}
