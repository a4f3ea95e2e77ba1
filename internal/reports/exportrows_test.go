package reports_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"kycdesk/internal/audit"
	"kycdesk/internal/cases"
	"kycdesk/internal/customers"
	"kycdesk/internal/reports"
	"kycdesk/internal/testenv"
)

// exportBoth downloads the case-list CSV at query through the view (small export) and through the
// stored rows (big export), fails unless they are the same file, and returns the records.
func exportBoth(t *testing.T, w *world, query string) [][]string {
	t.Helper()
	c := w.app.SignIn(t, w.manager)
	get := func(bulk int64) string {
		defer func(n int64) { *reports.BulkRows = n }(*reports.BulkRows)
		*reports.BulkRows = bulk
		res := c.Get(t, "/cases/export.csv?"+query)
		if res.Status != http.StatusOK {
			t.Fatalf("export %s: %d %s", query, res.Status, res.Body)
		}
		return res.Body
	}
	stored, view := get(0), get(1<<40)
	if stored != view {
		t.Fatalf("%s: the export of the stored rows differs from the view's:\n%s\n---\n%s", query, stored, view)
	}
	return readCSV(t, stored)
}

// storedMatchesView fails unless every stored row is the view's row of its case, for every case.
func storedMatchesView(t *testing.T, w *world) {
	t.Helper()
	var n int
	err := w.app.Pool.QueryRow(context.Background(), `SELECT count(*) FROM (
		(SELECT to_jsonb(v) - 'search_text' FROM case_export_source v EXCEPT SELECT to_jsonb(r) FROM case_export_rows r)
		UNION ALL
		(SELECT to_jsonb(r) FROM case_export_rows r EXCEPT SELECT to_jsonb(v) - 'search_text' FROM case_export_source v)) x`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d stored export rows differ from the view's", n)
	}
}

// TestExportRowsFollowEveryChange changes each table an export row is made of and checks that the
// big export (stored rows) writes what the small one (the view) does: right after a refresh, and
// with the changed cases still marked stale (merged into the stored rows in order).
func TestExportRowsFollowEveryChange(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	var hostileCustomer string
	if err := w.app.Pool.QueryRow(ctx, "SELECT customer_id::text FROM cases WHERE id = $1", w.hostile).Scan(&hostileCustomer); err != nil {
		t.Fatal(err)
	}
	// More new cases around the hostile one (30 hours old), one of them exactly as old, so that a
	// marked case is merged between stored ones by time and by id, not only by status.
	for i, hours := range []int{100, 30, 30, 10, 1} {
		made, err := w.app.Server.CustomerService().Create(ctx, customers.Origin{Actor: audit.System, Via: "test"},
			customers.Input{ExternalRef: fmt.Sprintf("ref-more-%d", i), Surname: fmt.Sprintf("More%d", i), Nationality: "FRA",
				Documents: []customers.DocumentInput{{Type: "passport", IssuingCountry: "FRA", Number: fmt.Sprintf("FR%d", i)}}})
		if err != nil {
			t.Fatal(err)
		}
		at := w.now.Add(-time.Duration(hours) * time.Hour)
		exec(t, w.app, "UPDATE cases SET created_at = $2, last_activity_at = $3 WHERE id = $1", made.Case.ID, at, at.Add(time.Duration(i)*time.Minute))
	}
	exec(t, w.app, "UPDATE cases SET last_activity_at = created_at + interval '1 minute' WHERE id = $1", w.hostile)
	steps := []struct {
		name, sql, column, want string
		id                      string
	}{
		{"customer", "UPDATE customers SET surname = 'Nowak' WHERE id = (SELECT customer_id FROM cases WHERE id = '" + w.polish.String() + "')",
			"Customer", "Nowak, Łukasz", w.polish.String()},
		{"document", "INSERT INTO documents (customer_id, type, issuing_country, number) VALUES ('" + hostileCustomer + "', 'driving_licence', 'GBR', 'NEW123')",
			"Document number", "NEW123", w.hostile.String()},
		{"check", "UPDATE checks SET state = 'done', outcome = 'pass', code = '' WHERE case_id = '" + w.polish.String() + "' AND vendor = 'ooto'",
			"OOTO", "pass", w.polish.String()},
		{"decision", "INSERT INTO case_decisions (case_id, outcome, reason_id, decided_by, comment) SELECT '" + w.hostile.String() +
			"', 'reject', id, '" + w.reviewer.ID.String() + "', 'fake' FROM decision_reasons WHERE outcome = 'reject' ORDER BY position LIMIT 1",
			"Decision", "reject", w.hostile.String()},
		{"liveness delivery", "UPDATE liveness_deliveries SET state = 'failed', delivered_at = NULL WHERE state = 'delivered'",
			"Liveness delivery", "failed", w.polish.String()},
		{"case", "UPDATE cases SET status = 'new', assignee_id = NULL, created_at = now() - interval '20 hours', last_activity_at = now() - interval '5 hours' WHERE id = '" + w.id.String() + "'",
			"Status", "New", w.id.String()},
		{"decision time", "UPDATE cases SET decided_at = created_at + interval '30 hours' WHERE id = '" + w.polish.String() + "'",
			"Time to decision (hours)", "30.0", w.polish.String()},
	}
	for _, refresh := range []bool{true, false} {
		*reports.RefreshBeforeExport = refresh
		for _, s := range steps {
			exec(t, w.app, s.sql)
			if !refresh {
				var marked int
				if err := w.app.Pool.QueryRow(ctx, "SELECT count(*) FROM case_export_stale WHERE case_id = $1", s.id).Scan(&marked); err != nil || marked != 1 {
					t.Fatalf("%s: the changed case is not marked stale (%d, %v)", s.name, marked, err)
				}
			}
			for _, q := range []string{"status=all", "status=all&sort=activity", "status=all&unassigned=1"} {
				recs := exportBoth(t, w, q)
				if q != "status=all" {
					continue
				}
				rows := byCase(t, recs)
				if got := rows[s.id][col(s.column)]; got != s.want {
					t.Errorf("%s (refresh %v): %s is %q, want %q", s.name, refresh, s.column, got, s.want)
				}
			}
			if refresh {
				storedMatchesView(t, w)
			}
		}
		// The second round changes the same rows back and forth.
		r := strings.NewReplacer("Nowak", "Wiśniewski", "'30 hours'", "'12 hours'", "30.0", "12.0", "'20 hours'", "'50 hours'", "'5 hours'", "'29 hours'", "'pass'", "'review'", "pass", "review",
			"state = 'failed', delivered_at = NULL WHERE state = 'delivered'", "state = 'retrying' WHERE state = 'failed'", "failed", "retrying")
		for i := range steps {
			steps[i].sql, steps[i].want = r.Replace(steps[i].sql), r.Replace(steps[i].want)
		}
	}
	*reports.RefreshBeforeExport = true
	if err := reports.RefreshExportRows(ctx, w.app.Pool); err != nil {
		t.Fatal(err)
	}
	storedMatchesView(t, w)
	var left int
	if err := w.app.Pool.QueryRow(ctx, "SELECT count(*) FROM case_export_stale").Scan(&left); err != nil || left != 0 {
		t.Errorf("%d cases still marked after a refresh (%v)", left, err)
	}
}

// TestExportRefreshKeepsAChangeMadeMeanwhile: a refresh that read a case's mark before another
// transaction changed the case (and committed after the refresh computed the row) must leave the
// case marked, so the change is not lost.
func TestExportRefreshKeepsAChangeMadeMeanwhile(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	pool := w.app.Pool
	if err := reports.RefreshExportRows(ctx, pool); err != nil {
		t.Fatal(err)
	}
	customer := "(SELECT customer_id FROM cases WHERE id = '" + w.polish.String() + "')"
	exec(t, w.app, "UPDATE customers SET given_names = 'Jan' WHERE id = "+customer) // marked, committed
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, "UPDATE customers SET surname = 'Later' WHERE id = "+customer); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- reports.RefreshExportRows(ctx, pool) }()
	// The refresh computes the row without the uncommitted change, then waits for that
	// transaction before removing the mark.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var waiting int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%case_export_stale%'").Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the refresh never waited for the open transaction")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var marked int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM case_export_stale WHERE case_id = $1", w.polish).Scan(&marked); err != nil || marked != 1 {
		t.Fatalf("the case changed during the refresh is not marked any more (%d, %v)", marked, err)
	}
	*reports.RefreshBeforeExport = false
	defer func() { *reports.RefreshBeforeExport = true }()
	rows := byCase(t, exportBoth(t, w, "status=all"))
	if got := rows[w.polish.String()][col("Customer")]; got != "Later, Jan" {
		t.Errorf("customer %q, want the change made during the refresh", got)
	}
}

// TestStatusRankIsTheEnumOrder: the merge of a big export compares statuses as PostgreSQL does.
func TestStatusRankIsTheEnumOrder(t *testing.T) {
	var got []string
	if err := testenv.DB(t).QueryRow(context.Background(), "SELECT enum_range(NULL::case_status)::text[]").Scan(&got); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, s := range cases.Statuses {
		want = append(want, string(s))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("case_status is %v, cases.Statuses %v", got, want)
	}
}
