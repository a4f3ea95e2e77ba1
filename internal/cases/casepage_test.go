package cases_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kycdesk/internal/cases"
	"kycdesk/internal/db"
	"kycdesk/internal/testenv"
)

// rename gives a test user a name of their own, so that a page naming two of them tells them apart.
func rename(t *testing.T, app *testenv.App, u testenv.User, name string) {
	t.Helper()
	app.Exec(t, "UPDATE users SET name = $1 WHERE id = $2", name, u.ID)
}

// TestNoteFormFollowsTheNoteRule: whoever works cases may note any case, whoever holds it and
// whatever its status, and the page offers the note form exactly then. A reviewer looking at a
// colleague's case, or at a decided one, is offered the form and their note is taken; a manager
// (whose role reads notes) is offered none and a note posted anyway is refused in words. An
// added note comes back with the timeline, swapped out of band, which says so, and the emptied
// note field takes the focus.
func TestNoteFormFollowsTheNoteRule(t *testing.T) {
	app := testenv.NewApp(t)
	holder, other := app.CreateUser(t, "reviewer"), app.CreateUser(t, "reviewer")
	mgr := app.CreateUser(t, "manager")
	c := newCase(t, app, "Nina", "Notebook", "SWE", "note-rule")
	hc, oc, mc := app.SignIn(t, holder), app.SignIn(t, other), app.SignIn(t, mgr)
	path := "/cases/" + c.ID.String()
	if r := hc.PostForm(t, path+"/claim", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("claim: %d", r.Status)
	}
	notes := func() int {
		t.Helper()
		var n int
		if err := app.Pool.QueryRow(context.Background(), "SELECT count(*) FROM case_notes WHERE case_id = $1", c.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Another reviewer, on a case someone else holds: offered the form, and the note is taken.
	if page := oc.Get(t, path).Doc(t); page.Find("#note-form textarea#note-body").Length() != 1 || page.Find("#notes-read-only").Length() != 0 {
		t.Fatal("a reviewer is not offered the note form on a colleague's case, which the server accepts")
	}
	r := oc.PostForm(t, path+"/notes", url.Values{"body": {"Same person as case 12, see there."}}, "HX-Request", "true")
	if r.Status != http.StatusOK || notes() != 1 {
		t.Fatalf("a colleague's note: %d, %d notes", r.Status, notes())
	}
	doc := r.Doc(t)
	if doc.Find("#notes .note").Length() != 1 || doc.Find("#note-body").Text() != "" || doc.Find("#note-body[autofocus]").Length() != 1 ||
		strings.TrimSpace(doc.Find("#note-added[role=status]").Text()) != "Note added." {
		t.Errorf("the notes panel after a note: the note listed, the field emptied and focused, a status said:\n%s", r.Body)
	}
	if tl := doc.Find(`#timeline[hx-swap-oob="innerHTML"] ol.timeline > li`).First().Text(); !strings.Contains(tl, "added a note") {
		t.Errorf("the answer does not bring the timeline with the note: newest line %q", strings.Join(strings.Fields(tl), " "))
	}
	// A full page never takes the focus to the note field.
	if hc.Get(t, path).Doc(t).Find("#note-body[autofocus], #note-added").Length() != 0 {
		t.Error("the case page itself puts the focus on the note field")
	}

	// A manager: no form, words instead, and a note posted anyway (a forged or stale form) is
	// refused with a message and not stored.
	if page := mc.Get(t, path).Doc(t); page.Find("#note-form").Length() != 0 || page.Find("#notes-read-only").Length() != 1 {
		t.Fatal("a manager is offered the note form, which the server refuses")
	}
	r = mc.PostForm(t, path+"/notes", url.Values{"body": {"A manager's remark."}}, "HX-Request", "true")
	if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "does not allow") || notes() != 1 {
		t.Fatalf("a manager's note: %d, %d notes", r.Status, notes())
	}

	// A decided case: still noted by whoever works cases, and offered so.
	if _, err := app.Pool.Exec(context.Background(), "UPDATE cases SET status = 'approved', assignee_id = NULL WHERE id = $1", c.ID); err != nil {
		t.Fatal(err)
	}
	if oc.Get(t, path).Doc(t).Find("#note-form").Length() != 1 {
		t.Fatal("a decided case offers no note form, which the server accepts")
	}
	if r := oc.PostForm(t, path+"/notes", url.Values{"body": {"The customer called about the decision."}}); r.Status != http.StatusSeeOther || notes() != 2 {
		t.Fatalf("a note on a decided case: %d, %d notes", r.Status, notes())
	}
	got, _ := db.New(app.Pool).GetCase(context.Background(), c.ID)
	if got.Status != cases.Approved {
		t.Fatalf("a note changed the case's status to %s", got.Status)
	}
}
