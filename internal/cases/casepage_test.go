package cases_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"kycdesk/internal/audit"
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
	if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "Your role (manager) does not allow this: only a reviewer or an admin may work on cases (create customers, upload images, claim cases, add notes,") || notes() != 1 {
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

// TestAssignShowsTheHolderAndRefusesANoOp: a manager's assign form has the case's holder chosen
// (nobody holding it: "Choose…", and a choice is required); assigning the case to whoever holds it
// is refused on the field and writes nothing; a reassignment's audit row names the previous holder
// in its before, and the timeline says "reassigned the case from A to B", for rows recorded before
// the name was kept too.
func TestAssignShowsTheHolderAndRefusesANoOp(t *testing.T) {
	app := testenv.NewApp(t)
	ctx := context.Background()
	rev, other, mgr := app.CreateUser(t, "reviewer"), app.CreateUser(t, "reviewer"), app.CreateUser(t, "manager")
	rename(t, app, rev, "Rita Reviewer")
	rename(t, app, other, "Otto Other")
	c := newCase(t, app, "Asta", "Assign", "DNK", "assign-noop")
	rc, mc := app.SignIn(t, rev), app.SignIn(t, mgr)
	path := "/cases/" + c.ID.String()
	chosen := func(doc *goquery.Document) (string, int) {
		sel := doc.Find("select#assignee option[selected]")
		return sel.AttrOr("value", ""), sel.Length()
	}
	assigns := func() []db.AuditEvent {
		t.Helper()
		var out []db.AuditEvent
		rows, err := db.New(app.Pool).ListCaseTimelineEvents(ctx, db.ListCaseTimelineEventsParams{CaseID: &c.ID, MaxRows: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.AuditEvent.Action == "case.assign" {
				out = append(out, r.AuditEvent)
			}
		}
		return out
	}

	// Nobody holds it: the form asks for a choice.
	doc := mc.Get(t, path).Doc(t)
	if v, n := chosen(doc); n != 0 || doc.Find("select#assignee[required] option").First().AttrOr("value", "x") != "" {
		t.Fatalf("unassigned case: %d options chosen (%q), or no empty required first choice", n, v)
	}
	if r := rc.PostForm(t, path+"/claim", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("claim: %d", r.Status)
	}
	// Held: the holder is the one chosen, not the first user listed.
	if v, n := chosen(mc.Get(t, path).Doc(t)); n != 1 || v != rev.ID.String() {
		t.Fatalf("the assign form chooses %q (%d chosen), not the holder %s", v, n, rev.ID)
	}
	// Assigning it to the holder: refused on the field, nothing written.
	var activity time.Time
	_ = app.Pool.QueryRow(ctx, "SELECT last_activity_at FROM cases WHERE id = $1", c.ID).Scan(&activity)
	r := mc.PostForm(t, path+"/assign", url.Values{"assignee": {rev.ID.String()}})
	if msg := strings.TrimSpace(r.Doc(t).Find("#assignee-error").Text()); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(msg, "Already assigned to Rita Reviewer") {
		t.Fatalf("assigning the case to its holder: %d %q", r.Status, msg)
	}
	if v, _ := chosen(r.Doc(t)); v != rev.ID.String() {
		t.Errorf("the refused form chooses %q", v)
	}
	var after time.Time
	_ = app.Pool.QueryRow(ctx, "SELECT last_activity_at FROM cases WHERE id = $1", c.ID).Scan(&after)
	if n := len(assigns()); n != 0 || !after.Equal(activity) {
		t.Fatalf("a refused assignment wrote %d audit rows, touched the case: %v", n, !after.Equal(activity))
	}

	// Reassigned: the audit row's before names who held it; the timeline says from whom.
	if r := mc.PostForm(t, path+"/assign", url.Values{"assignee": {other.ID.String()}}); r.Status != http.StatusSeeOther {
		t.Fatalf("reassign: %d", r.Status)
	}
	rows := assigns()
	var before struct {
		AssigneeID   string `json:"assignee_id"`
		Assignee     string `json:"assignee"`
		AssigneeName string `json:"assignee_name"`
	}
	if len(rows) != 1 || json.Unmarshal(rows[0].Before, &before) != nil || before.AssigneeID != rev.ID.String() ||
		before.Assignee != rev.Email || before.AssigneeName != "Rita Reviewer" {
		t.Fatalf("the assignment's audit rows: %d, before %+v", len(rows), before)
	}
	lines := timelineLines(t, mc.Get(t, path).Doc(t))
	if len(lines) == 0 || !strings.HasSuffix(lines[0], "reassigned the case from Rita Reviewer to Otto Other") {
		t.Fatalf("the timeline's newest line: %q", lines)
	}

	// An assignment recorded before the previous holder's name was kept (its before has their id
	// only) is said the same way.
	err := db.Transact(ctx, app.Pool, func(q *db.Queries, _ pgx.Tx) error {
		return audit.Record(ctx, q, audit.Event{Actor: audit.System, Action: "case.assign", SubjectType: "case", SubjectID: c.ID.String(),
			CaseID: &c.ID, Before: map[string]any{"status": "in_review", "assignee_id": other.ID},
			After: map[string]any{"status": "in_review", "assignee_id": rev.ID, "assignee": rev.Email}})
	})
	if err != nil {
		t.Fatal(err)
	}
	if lines := timelineLines(t, mc.Get(t, path).Doc(t)); len(lines) == 0 || !strings.HasSuffix(lines[0], "reassigned the case from Otto Other to Rita Reviewer") {
		t.Fatalf("an old row's line: %q", lines)
	}
}

// TestTimelineNamesTheDocumentOfAView: on a case with two documents, a look at an image says
// whose it was: "viewed the front image of the national ID DNK ID998877", and a selfie the
// document it came with.
func TestTimelineNamesTheDocumentOfAView(t *testing.T) {
	app := testenv.NewApp(t)
	ctx := context.Background()
	rev := app.CreateUser(t, "reviewer")
	c := newCase(t, app, "Dora", "Documents", "SWE", "two-docs") // a passport SWE PTWO-DOCS
	var passport, idCard uuid.UUID
	if err := app.Pool.QueryRow(ctx, "SELECT id FROM documents WHERE customer_id = $1", c.CustomerID).Scan(&passport); err != nil {
		t.Fatal(err)
	}
	if err := app.Pool.QueryRow(ctx, `INSERT INTO documents (customer_id, type, issuing_country, number) VALUES ($1, 'national_id', 'DNK', 'ID998877')
		RETURNING id`, c.CustomerID).Scan(&idCard); err != nil {
		t.Fatal(err)
	}
	image := func(doc uuid.UUID, kind string) string {
		t.Helper()
		var id uuid.UUID
		if err := app.Pool.QueryRow(ctx, `INSERT INTO images (customer_id, document_id, kind, sha256, content_type, size_bytes)
			VALUES ($1, $2, $3, repeat('a', 64), 'image/jpeg', 1) RETURNING id`, c.CustomerID, doc, kind).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id.String()
	}
	cl := app.SignIn(t, rev)
	for _, v := range []struct{ image, kind string }{{image(passport, "front"), "front"}, {image(idCard, "front"), "front"}, {image(passport, "selfie"), "selfie"}} {
		err := db.Transact(ctx, app.Pool, func(q *db.Queries, _ pgx.Tx) error {
			return audit.Record(ctx, q, audit.Event{Actor: audit.UserActor(rev.ID, rev.Email), Action: "image.view", SubjectType: "image",
				SubjectID: v.image, CaseID: &c.ID, After: map[string]any{"variant": "display", "kind": v.kind}})
		})
		if err != nil {
			t.Fatal(err)
		}
		note(t, cl, c.ID, "Looked at it.") // each view a line of its own
	}
	got := timelineLines(t, cl.Get(t, "/cases/"+c.ID.String()).Doc(t))
	want := []string{
		"Reviewer Tester viewed the selfie image sent with the passport SWE PTWO-DOCS (display)",
		"Reviewer Tester viewed the front image of the national ID DNK ID998877 (display)",
		"Reviewer Tester viewed the front image of the passport SWE PTWO-DOCS (display)",
	}
	var views []string
	for _, l := range got {
		if strings.Contains(l, "viewed") {
			views = append(views, l)
		}
	}
	if strings.Join(views, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the views read:\n%s\nwant:\n%s", strings.Join(views, "\n"), strings.Join(want, "\n"))
	}
}

// TestDecisionPanelSaysWhyAndOffersTheDocumentsSides: whoever is offered no decision is told why,
// a manager too (the panel was a heading alone), naming who holds the case; the holder's document
// decision offers only the sides the document has (a passport: no back).
func TestDecisionPanelSaysWhyAndOffersTheDocumentsSides(t *testing.T) {
	app := testenv.NewApp(t)
	rev, mgr := app.CreateUser(t, "reviewer"), app.CreateUser(t, "manager")
	rename(t, app, rev, "Rita Reviewer")
	c := newCase(t, app, "Dina", "Decision", "FIN", "why-not") // a passport
	rc, mc := app.SignIn(t, rev), app.SignIn(t, mgr)
	path := "/cases/" + c.ID.String()
	blocked := func(cl *testenv.Client) string {
		t.Helper()
		return strings.TrimSpace(cl.Get(t, path).Doc(t).Find("#decision #decision-blocked").Text())
	}
	if got := blocked(mc); got != "Only the assignee decides; nobody holds this case yet: the reviewer who claims it decides it." {
		t.Errorf("a manager on an unassigned case is told %q", got)
	}
	if r := rc.PostForm(t, path+"/claim", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("claim: %d", r.Status)
	}
	if got := blocked(mc); got != "Only the assignee decides; Rita Reviewer holds this case." {
		t.Errorf("a manager on a case in review is told %q", got)
	}
	if got := blocked(app.SignIn(t, app.CreateUser(t, "reviewer"))); got != "Only the assignee decides; Rita Reviewer holds this case." {
		t.Errorf("another reviewer is told %q", got)
	}
	var sides []string
	rc.Get(t, path).Doc(t).Find("#document-decision-form select[name=side] option").Each(func(_ int, o *goquery.Selection) {
		sides = append(sides, o.AttrOr("value", ""))
	})
	if got := strings.Join(sides, ","); got != ",front,selfie" {
		t.Errorf("the sides offered for a passport: %q", got)
	}
}

// TestNextCaseSaysTheCaseWasClaimed: "Next case" lands on the case it claimed saying so, as Claim
// does.
func TestNextCaseSaysTheCaseWasClaimed(t *testing.T) {
	app := testenv.NewApp(t)
	rev := app.CreateUser(t, "reviewer")
	c := newCase(t, app, "Nils", "Next", "NOR", "next-flash")
	rc := app.SignIn(t, rev)
	r := rc.PostForm(t, "/cases/next", url.Values{"status": {"new"}})
	if r.Status != http.StatusSeeOther || r.Location != "/cases/"+c.ID.String() {
		t.Fatalf("next case: %d %q", r.Status, r.Location)
	}
	if got := strings.TrimSpace(rc.Get(t, r.Location).Doc(t).Find(".flash.flash-ok[role=status]").Text()); !strings.HasPrefix(got, "You claimed the case") {
		t.Fatalf("the case Next case opened says %q", got)
	}
}
