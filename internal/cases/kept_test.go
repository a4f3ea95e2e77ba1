package cases_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"kycdesk/internal/testenv"
)

// waitHeard waits until the app keeps reads between requests: its listener hears PostgreSQL.
func waitHeard(t *testing.T, app *testenv.App) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !app.Server.Store.Heard().Live; {
		if time.Now().After(deadline) {
			t.Fatal("the app never began to listen")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func countOf(list []string, s string) (n int) {
	for _, e := range list {
		if e == s {
			n++
		}
	}
	return n
}

// TestQueueKeepsCountsAndAssigneesUntilTheyChange: a queue page shows the tab counts and the
// assignee list an earlier page read while no change to them is announced, and reads them again
// once one is: a change of the counters or a new user, made anywhere (here, outside the app), or
// any change this instance itself answers.
func TestQueueKeepsCountsAndAssigneesUntilTheyChange(t *testing.T) {
	app := testenv.NewApp(t)
	rev := app.CreateUser(t, "reviewer")
	c := newCase(t, app, "Kept", "Counts", "DEU", "kept-1")
	waitHeard(t, app)
	cl := app.SignIn(t, rev)
	page := func() (newTab string, assignees []string) {
		t.Helper()
		doc := cl.Get(t, "/cases").Doc(t)
		for _, n := range doc.Find(`select#assignee option`).Nodes {
			if n.FirstChild != nil {
				assignees = append(assignees, strings.TrimSpace(n.FirstChild.Data))
			}
		}
		return strings.TrimSpace(doc.Find(`nav.tabs a[data-status="new"] .count`).Text()), assignees
	}
	n, names := page()
	if n != "1" || countOf(names, "Reviewer Tester") != 1 {
		t.Fatalf("first page: new tab %q, assignees %q", n, names)
	}
	// Counters changed with their triggers off (no kycdesk code can): nothing is announced, so
	// the page answers from what it keeps.
	silently := func(sql string) {
		t.Helper()
		app.Exec(t, "BEGIN; ALTER TABLE case_status_counts DISABLE TRIGGER case_status_counts_announce; "+sql+
			"; ALTER TABLE case_status_counts ENABLE TRIGGER case_status_counts_announce; COMMIT")
	}
	silently("UPDATE case_status_counts SET n = n + 5 WHERE status = 'new'")
	if n, _ := page(); n != "1" {
		t.Fatalf("the new tab counts %s: the counts were read again with nothing announced", n)
	}
	// Any change this instance answers (here a note, which moves no counter) has the next page
	// read them again, without waiting for an announcement.
	if r := cl.PostForm(t, "/cases/"+c.ID.String()+"/notes", url.Values{"body": {"Seen."}}); r.Status != http.StatusSeeOther {
		t.Fatalf("note: %d %s", r.Status, r.Body)
	}
	if n, _ := page(); n != "6" {
		t.Fatalf("the new tab counts %s after this instance answered a change; want 6", n)
	}
	// An announced change of the counters (their trigger), made elsewhere, is heard.
	silently("UPDATE case_status_counts SET n = n - 5 WHERE status = 'new'")
	if n, _ := page(); n != "6" {
		t.Fatalf("the new tab counts %s: the counts were read again with nothing announced", n)
	}
	app.Exec(t, "UPDATE case_status_counts SET n = n WHERE status = 'new'")
	if n, _ := page(); n != "1" {
		t.Fatalf("the new tab counts %s after an announced change; want 1", n)
	}
	// So is a new user.
	app.CreateUser(t, "reviewer")
	app.Exec(t, "SELECT 1") // returns once the app has heard everything committed before
	if _, names := page(); countOf(names, "Reviewer Tester") != 2 {
		t.Fatalf("a new reviewer is not offered as an assignee: %q", names)
	}
	// A claim here moves the counts on the very next page.
	if r := cl.PostForm(t, "/cases/"+c.ID.String()+"/claim", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("claim: %d %s", r.Status, r.Body)
	}
	if n, _ := page(); n != "0" {
		t.Fatalf("the new tab counts %s right after the claim; want 0", n)
	}
}
