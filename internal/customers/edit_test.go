package customers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"

	"kycdesk/internal/audit"
	"kycdesk/internal/customers"
	"kycdesk/internal/specimen"
	"kycdesk/internal/testenv"
)

// editFixture is a customer with one open case, unassigned, and two reviewers.
type editFixture struct {
	app        *testenv.App
	ctx        context.Context
	customerID string
	caseID     string
	holder     testenv.User
	other      testenv.User
	hc, oc     *testenv.Client // signed in as holder and other
}

func newEditFixture(t *testing.T) *editFixture {
	t.Helper()
	ctx := context.Background()
	app := testenv.NewApp(t)
	out, err := app.Server.CustomerService().Create(ctx, customers.Origin{Actor: audit.System, Via: "test"},
		customers.Input{GivenNames: "Karin", Surname: "Holm", DateOfBirth: "1970-03-04", ExternalRef: "edit-" + uuid.NewString()[:8]})
	if err != nil {
		t.Fatal(err)
	}
	f := &editFixture{app: app, ctx: ctx, customerID: out.Customer.ID.String(), caseID: out.Case.ID.String(),
		holder: app.CreateUser(t, "reviewer"), other: app.CreateUser(t, "reviewer")}
	f.hc, f.oc = app.SignIn(t, f.holder), app.SignIn(t, f.other)
	return f
}

var editForm = url.Values{"given_names": {"Changed"}, "surname": {"Name"}, "date_of_birth": {"1999-09-09"}}

// stored is the customer's surname and date of birth as stored.
func (f *editFixture) stored(t *testing.T) string {
	t.Helper()
	var surname, dob string
	if err := f.app.Pool.QueryRow(f.ctx, "SELECT surname, coalesce(date_of_birth::text, '') FROM customers WHERE id = $1", f.customerID).Scan(&surname, &dob); err != nil {
		t.Fatal(err)
	}
	return surname + " " + dob
}

func (f *editFixture) updates(t *testing.T) int {
	t.Helper()
	var n int
	if err := f.app.Pool.QueryRow(f.ctx, "SELECT count(*) FROM audit_events WHERE action = 'customer.update' AND subject_id = $1", f.customerID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// unchanged fails the test when the customer's data or audit trail changed.
func (f *editFixture) unchanged(t *testing.T, what string) {
	t.Helper()
	if got := f.stored(t); got != "Holm 1970-03-04" {
		t.Errorf("%s: the customer was changed to %q", what, got)
	}
	if n := f.updates(t); n != 0 {
		t.Errorf("%s: %d customer.update audit rows", what, n)
	}
}

// flash is the error flash the case page shows c once.
func (f *editFixture) flash(t *testing.T, c *testenv.Client) string {
	t.Helper()
	return c.Get(t, "/cases/"+f.caseID).Doc(t).Find(".flash-error").Text()
}

// TestCustomerEditNeedsTheCaseHeld: a customer's data is changed only by the reviewer holding
// their open case. On an unclaimed case the form and the save lead back to the case page saying
// to claim it first; on a case someone else holds both are forbidden; the holder saves (and the
// audit row names the case). The case page offers Edit to the holder alone.
func TestCustomerEditNeedsTheCaseHeld(t *testing.T) {
	f := newEditFixture(t)
	edit, save := "/customers/"+f.customerID+"/edit", "/customers/"+f.customerID

	// Unclaimed: nobody edits yet.
	if r := f.oc.Get(t, edit); r.Status != http.StatusSeeOther || r.Location != "/cases/"+f.caseID {
		t.Errorf("the edit form of an unclaimed case: %d to %q, want back to the case", r.Status, r.Location)
	} else if got := f.flash(t, f.oc); !strings.Contains(got, "Claim the case first") {
		t.Errorf("the edit form of an unclaimed case: the case page says %q", got)
	}
	// A save on a case released while the form was open: the form again, as typed, saying why,
	// with the way back to the case.
	if r := f.oc.PostForm(t, save, editForm); r.Status != http.StatusConflict {
		t.Errorf("a save on an unclaimed case: %d, want 409", r.Status)
	} else if doc := r.Doc(t); !strings.Contains(doc.Find("#customer-form-refused").Text(), "Claim the case first") ||
		doc.Find(`#customer-form-refused a[href="/cases/`+f.caseID+`"]`).Length() != 1 || doc.Find(`#surname[value="Name"]`).Length() != 1 {
		t.Errorf("a save on an unclaimed case: the form says %q, and does not keep what was typed or lead back to the case",
			doc.Find("#customer-form-refused").Text())
	}
	f.unchanged(t, "unclaimed")
	page := f.oc.Get(t, "/cases/"+f.caseID).Doc(t)
	if page.Find("#edit-customer").Length() != 0 || !strings.Contains(page.Find("#customer-claim-first").Text(), "Claim the case") {
		t.Error("an unclaimed case offers Edit, or does not say to claim the case first")
	}

	if r := f.hc.PostForm(t, "/cases/"+f.caseID+"/claim", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("claim: %d", r.Status)
	}
	// Someone else's case: forbidden, whatever the form holds.
	if r := f.oc.Get(t, edit); r.Status != http.StatusForbidden {
		t.Errorf("the edit form of someone else's case: %d, want 403", r.Status)
	}
	for name, form := range map[string]url.Values{"valid": editForm, "invalid": {"surname": {""}, "date_of_birth": {"not a date"}}} {
		r := f.oc.PostForm(t, save, form)
		if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "only its assignee can act on it") {
			t.Errorf("a %s save by a reviewer who does not hold the case: %d, want 403 saying why", name, r.Status)
		}
	}
	f.unchanged(t, "someone else's case")
	if f.oc.Get(t, "/cases/"+f.caseID).Doc(t).Find("#edit-customer, #customer-claim-first").Length() != 0 {
		t.Error("a reviewer who does not hold the case is offered Edit, or told to claim a case someone holds")
	}

	// The holder edits.
	if f.hc.Get(t, "/cases/"+f.caseID).Doc(t).Find("#edit-customer").Length() != 1 {
		t.Error("the holder is not offered Edit")
	}
	if r := f.hc.Get(t, edit); r.Status != http.StatusOK || r.Doc(t).Find(`#surname[value="Holm"]`).Length() != 1 {
		t.Errorf("the holder's edit form: %d", r.Status)
	}
	if r := f.hc.PostForm(t, save, editForm); r.Status != http.StatusSeeOther || r.Location != "/cases/"+f.caseID {
		t.Fatalf("the holder's save: %d to %q", r.Status, r.Location)
	}
	if got := f.stored(t); got != "Name 1999-09-09" {
		t.Errorf("the holder's save stored %q", got)
	}
	var caseID string
	if err := f.app.Pool.QueryRow(f.ctx, "SELECT case_id::text FROM audit_events WHERE action = 'customer.update' AND subject_id = $1 AND actor_id = $2",
		f.customerID, f.holder.ID).Scan(&caseID); err != nil || caseID != f.caseID {
		t.Errorf("the holder's save is audited on case %q (%v), want %s", caseID, err, f.caseID)
	}
}

// TestDecidedCustomerIsNotEdited: once the customer's cases are all decided, their data cannot be
// changed by anyone, the reviewer who held the case included: the form and the save are refused
// (409) saying why and how to change it (a new case), and nothing is written. The decided case's
// page offers no Edit.
func TestDecidedCustomerIsNotEdited(t *testing.T) {
	f := newEditFixture(t)
	if r := f.hc.PostForm(t, "/cases/"+f.caseID+"/claim", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("claim: %d", r.Status)
	}
	// Rejected (and confirmed) with the holder still its assignee, as a decision leaves it.
	if _, err := f.app.Pool.Exec(f.ctx, "UPDATE cases SET status = 'rejected', decided_at = now() WHERE id = $1", f.caseID); err != nil {
		t.Fatal(err)
	}
	for _, who := range []struct {
		name string
		c    *testenv.Client
	}{{"the reviewer who held it", f.hc}, {"another reviewer", f.oc}} {
		for _, r := range []testenv.Response{who.c.Get(t, "/customers/"+f.customerID+"/edit"), who.c.PostForm(t, "/customers/"+f.customerID, editForm)} {
			msg := strings.Join(strings.Fields(r.Doc(t).Find("main").Text()), " ")
			if len(msg) > 300 {
				msg = msg[:300]
			}
			if r.Status != http.StatusConflict || !strings.Contains(msg, "cases are all decided") || !strings.Contains(msg, "open a new case") {
				t.Errorf("%s: %d %q, want 409 saying the cases are decided and what to do", who.name, r.Status, msg)
			}
		}
		if who.c.Get(t, "/cases/"+f.caseID).Doc(t).Find("#edit-customer, #customer-claim-first").Length() != 0 {
			t.Errorf("%s: the decided case offers Edit", who.name)
		}
	}
	f.unchanged(t, "decided")
}

// waitForLockWait returns once a query of the app waits for a lock (the request under test reached
// the row a concurrent transaction holds).
func waitForLockWait(t *testing.T, f *editFixture) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		if err := f.app.Pool.QueryRow(f.ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the request never waited for the case's row")
}

// TestCustomerEditRacingADecision: an edit sent while the case's decision is being committed
// waits for it and is judged on the decided case (409, nothing written): the check is made under
// the case's lock, in the transaction that writes, not on what was read before.
func TestCustomerEditRacingADecision(t *testing.T) {
	f := newEditFixture(t)
	if r := f.hc.PostForm(t, "/cases/"+f.caseID+"/claim", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("claim: %d", r.Status)
	}
	tx, err := f.app.Pool.Begin(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(f.ctx)
	if _, err := tx.Exec(f.ctx, "UPDATE cases SET status = 'rejected', decided_at = now() WHERE id = $1", f.caseID); err != nil {
		t.Fatal(err)
	}
	done := make(chan testenv.Response, 1)
	go func() { done <- f.hc.PostForm(t, "/customers/"+f.customerID, editForm) }()
	waitForLockWait(t, f)
	if err := tx.Commit(f.ctx); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r.Status != http.StatusConflict {
		t.Errorf("an edit racing the decision: %d, want 409", r.Status)
	}
	f.unchanged(t, "racing the decision")
}

// TestStaffUploadRacingAnAssignment: a document uploaded while a manager's assignment of the
// unclaimed case to someone else is being committed waits for it and is refused (403), as an
// upload to someone else's case is; nothing is stored.
func TestStaffUploadRacingAnAssignment(t *testing.T) {
	f := newEditFixture(t)
	tx, err := f.app.Pool.Begin(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(f.ctx)
	if _, err := tx.Exec(f.ctx, "UPDATE cases SET assignee_id = $2, status = 'in_review' WHERE id = $1", f.caseID, f.other.ID); err != nil {
		t.Fatal(err)
	}
	passport := specimen.Generate(71, specimen.Options{DocumentType: specimen.Passport})
	done := make(chan testenv.Response, 1)
	go func() {
		done <- postUpload(t, f.app, f.hc, f.customerID, map[string]string{"type": "passport", "issuing_country": "UTO", "number": passport.DocumentNumber},
			[][3]any{{"front", "page.jpg", passport.Front}})
	}()
	waitForLockWait(t, f)
	if err := tx.Commit(f.ctx); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r.Status != http.StatusForbidden || !strings.Contains(r.Body, "assigned to someone else") {
		t.Errorf("an upload racing an assignment to someone else: %d, want 403", r.Status)
	}
	var docs int
	if err := f.app.Pool.QueryRow(f.ctx, "SELECT count(*) FROM documents WHERE customer_id = $1", f.customerID).Scan(&docs); err != nil || docs != 0 {
		t.Errorf("%d documents stored (%v)", docs, err)
	}
	// The holder uploads.
	if r := postUpload(t, f.app, f.oc, f.customerID, map[string]string{"type": "passport", "issuing_country": "UTO", "number": passport.DocumentNumber},
		[][3]any{{"front", "page.jpg", passport.Front}}); r.Status != http.StatusSeeOther || r.Location != "/cases/"+f.caseID {
		t.Errorf("the holder's upload: %d to %q", r.Status, r.Location)
	}
}

// TestCustomerEditKeepsYourPlace: the edit form names the customer (heading and tab title) and
// Cancel leads back to their case. A save refused because the case was reassigned (403) or
// decided (409) while the form was open answers the form again with what was typed, saying at
// its top why it cannot be saved, with a link back to the case; nothing is written.
func TestCustomerEditKeepsYourPlace(t *testing.T) {
	f := newEditFixture(t)
	if r := f.hc.PostForm(t, "/cases/"+f.caseID+"/claim", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("claim: %d", r.Status)
	}
	edit, save := "/customers/"+f.customerID+"/edit", "/customers/"+f.customerID
	page := f.hc.Get(t, edit).Doc(t)
	const named = "Edit customer: Holm, Karin"
	if got := strings.Join(strings.Fields(page.Find("h1").Text()), " "); got != named {
		t.Errorf("the heading reads %q, want %q", got, named)
	}
	if got := page.Find("title").Text(); !strings.Contains(got, named) {
		t.Errorf("the tab title reads %q, want %q", got, named)
	}
	if got := page.Find("#customer-form a.btn").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.TrimSpace(s.Text()) == "Cancel"
	}).AttrOr("href", ""); got != "/cases/"+f.caseID {
		t.Errorf("Cancel leads to %q, want the case", got)
	}

	typed := url.Values{"given_names": {"Karin Maria"}, "surname": {"Holm-Berg"}, "date_of_birth": {"1970-03-05"}, "address": {"1 Test Street\nLondon"}}
	refused := func(name string, want int, says string) {
		t.Helper()
		r := f.hc.PostForm(t, save, typed)
		if r.Status != want {
			t.Fatalf("%s: %d, want %d", name, r.Status, want)
		}
		doc := r.Doc(t)
		if got := doc.Find("#customer-form-refused").Text(); !strings.Contains(got, says) {
			t.Errorf("%s: the form says %q, want %q", name, got, says)
		}
		if doc.Find(`#customer-form-refused a[href="/cases/`+f.caseID+`"]`).Length() != 1 {
			t.Errorf("%s: no link back to the case", name)
		}
		for field, v := range map[string]string{"given_names": "Karin Maria", "surname": "Holm-Berg", "date_of_birth": "1970-03-05"} {
			if got := doc.Find("#"+field).AttrOr("value", ""); got != v {
				t.Errorf("%s: %s shows %q, want %q as typed", name, field, got, v)
			}
		}
		if got := doc.Find("#address").Text(); got != "1 Test Street\nLondon" {
			t.Errorf("%s: the address shows %q as typed", name, got)
		}
		if got := strings.Join(strings.Fields(doc.Find("h1").Text()), " "); got != named {
			t.Errorf("%s: the heading reads %q", name, got)
		}
		f.unchanged(t, name)
	}

	// Reassigned to someone else while the holder typed.
	if _, err := f.app.Pool.Exec(f.ctx, "UPDATE cases SET assignee_id = $2 WHERE id = $1", f.caseID, f.other.ID); err != nil {
		t.Fatal(err)
	}
	refused("reassigned", http.StatusForbidden, "assigned to someone else")
	// Decided while the form was open.
	if _, err := f.app.Pool.Exec(f.ctx, "UPDATE cases SET status = 'rejected', decided_at = now() WHERE id = $1", f.caseID); err != nil {
		t.Fatal(err)
	}
	refused("decided", http.StatusConflict, "cases are all decided")
}

// TestCustomerSaveThatChangesNothing: saving the form as it was (spaces aside) writes nothing and
// no audit row, and says so; a save that changes only a line break of the address is a change,
// and the timeline shows the line break.
func TestCustomerSaveThatChangesNothing(t *testing.T) {
	f := newEditFixture(t)
	if r := f.hc.PostForm(t, "/cases/"+f.caseID+"/claim", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("claim: %d", r.Status)
	}
	save := "/customers/" + f.customerID
	same := url.Values{"given_names": {" Karin"}, "surname": {"Holm  "}, "date_of_birth": {"1970-03-04"}}
	if r := f.hc.PostForm(t, save, same); r.Status != http.StatusSeeOther || r.Location != "/cases/"+f.caseID {
		t.Fatalf("a save that changes nothing: %d to %q", r.Status, r.Location)
	}
	if got := f.hc.Get(t, "/cases/"+f.caseID).Doc(t).Find(".flash-ok").Text(); !strings.Contains(got, "Nothing changed: the customer's data is as it was.") {
		t.Errorf("a save that changes nothing says %q", got)
	}
	f.unchanged(t, "a save that changes nothing")

	same.Set("address", "1 Test Street\nLondon SW1A 1AA")
	if r := f.hc.PostForm(t, save, same); r.Status != http.StatusSeeOther {
		t.Fatalf("an address: %d", r.Status)
	}
	same.Set("address", "1 Test Street London SW1A 1AA")
	if r := f.hc.PostForm(t, save, same); r.Status != http.StatusSeeOther {
		t.Fatalf("a line break made a space: %d", r.Status)
	}
	if got := f.hc.Get(t, "/cases/"+f.caseID).Doc(t).Find(".flash-ok").Text(); !strings.Contains(got, "The customer's data was saved.") {
		t.Errorf("a save that changes the address says %q", got)
	}
	if n := f.updates(t); n != 2 {
		t.Errorf("%d customer.update audit rows, want 2", n)
	}
	want := "address “1 Test Street ⏎ London SW1A 1AA” → “1 Test Street London SW1A 1AA”"
	if body := f.hc.Get(t, "/cases/"+f.caseID).Body; !strings.Contains(body, want) {
		t.Errorf("the case page does not say %q", want)
	}
}
