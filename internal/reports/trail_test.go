package reports_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kycdesk/internal/audit"
	"kycdesk/internal/db"
	"kycdesk/internal/testenv"
)

// TestCaseReportTrailNamesPeople: the case report's audit trail names people as the case page's
// timeline does, by name and not by the email the audit log recorded, an assignee too (also in an
// assignment recorded before the row kept the assignee's name), and the system by its label.
func TestCaseReportTrailNamesPeople(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	path := "/cases/" + w.hostile.String()
	// Another reviewer claims it and a manager gives it to w.reviewer (assigning a case to its
	// holder is refused, as it would change nothing).
	other := w.app.CreateUser(t, "reviewer")
	if r := w.app.SignIn(t, other).PostForm(t, path+"/claim", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("claim: %d %s", r.Status, r.Body)
	}
	mgr2 := w.app.SignIn(t, w.manager2)
	if r := mgr2.PostForm(t, path+"/assign", url.Values{"assignee": {w.reviewer.ID.String()}}); r.Status != http.StatusSeeOther {
		t.Fatalf("assign: %d %s", r.Status, r.Body)
	}
	// An assignment as it was recorded before the row kept the assignee's name: their email only.
	err := audit.Record(ctx, db.New(w.app.Pool), audit.Event{Actor: audit.Actor{UserID: &w.manager2.ID, Label: w.manager2.Email},
		Action: "case.assign", SubjectType: "case", SubjectID: w.hostile.String(), CaseID: &w.hostile,
		After: map[string]any{"status": "in_review", "assignee_id": w.reviewer.ID, "assignee": w.reviewer.Email}})
	if err != nil {
		t.Fatal(err)
	}

	res := w.app.SignIn(t, w.manager).Get(t, path+"/report.pdf")
	if res.Status != http.StatusOK {
		t.Fatalf("report: %d %s", res.Status, res.Body)
	}
	text := strings.Join(strings.Fields(testenv.PDFText(t, []byte(res.Body))), " ")
	_, trail, ok := strings.Cut(text, "Audit trail")
	if !ok {
		t.Fatalf("no audit trail in the report:\n%s", text)
	}
	for _, want := range []string{"Reviewer Tester claimed the case", "Manager Tester reassigned the case from Reviewer Tester to Reviewer Tester",
		"Manager Tester assigned the case to Reviewer Tester", "system opened the case"} {
		if !strings.Contains(trail, want) {
			t.Errorf("the audit trail lacks %q", want)
		}
	}
	if n := strings.Count(trail, "to Reviewer Tester"); n != 2 {
		t.Errorf("%d assignments name the assignee by name, want 2", n)
	}
	// Neither the actors' nor the assignee's email, anywhere in the report (its footer names
	// whoever generated it, w.manager, with their email).
	for _, email := range []string{w.reviewer.Email, other.Email, w.manager2.Email} {
		local, _, _ := strings.Cut(email, "@")
		if strings.Contains(text, local) {
			t.Errorf("the report names someone by their email %s", email)
		}
	}
	if t.Failed() {
		t.Logf("audit trail:\n%s", trail)
	}
}

// TestCaseReportTrailNamesTheEarlierCase: a case opened by a document that arrived after the
// customer's earlier case was decided says so in its report's audit trail, as its timeline does,
// and names that case (the timeline links to it; paper cannot).
func TestCaseReportTrailNamesTheEarlierCase(t *testing.T) {
	w := newWorld(t)
	postDocument(t, w, w.polish.String(), w.app.CreateAPIToken(t, "onboarding"), "R1")
	var next string
	if err := w.app.Pool.QueryRow(context.Background(), `SELECT id::text FROM cases WHERE customer_id = (SELECT customer_id FROM cases WHERE id = $1)
		AND id <> $1 ORDER BY created_at DESC LIMIT 1`, w.polish).Scan(&next); err != nil {
		t.Fatalf("no case opened by the document: %v", err)
	}
	res := w.app.SignIn(t, w.manager).Get(t, "/cases/"+next+"/report.pdf")
	if res.Status != http.StatusOK {
		t.Fatalf("report: %d %s", res.Status, res.Body)
	}
	text := strings.Join(strings.Fields(testenv.PDFText(t, []byte(res.Body))), " ")
	_, trail, _ := strings.Cut(text, "Audit trail")
	if want := "after the customer's earlier case was approved (case " + w.polish.String() + ")"; !strings.Contains(trail, want) {
		t.Errorf("the audit trail lacks %q:\n%s", want, trail)
	}
}

// TestCaseReportTrailSaysWhatAnEditChanged: an edit of the customer's data says what it changed
// (field: before → after), in the report's audit trail and on the case page's timeline alike.
func TestCaseReportTrailSaysWhatAnEditChanged(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	var customerID string
	if err := w.app.Pool.QueryRow(ctx, "SELECT customer_id::text FROM cases WHERE id = $1", w.id).Scan(&customerID); err != nil {
		t.Fatal(err)
	}
	var given, surname, nationality string
	if err := w.app.Pool.QueryRow(ctx, "SELECT given_names, surname, nationality FROM customers WHERE id = $1", customerID).Scan(&given, &surname, &nationality); err != nil {
		t.Fatal(err)
	}
	// The reviewer holding the case corrects the surname and adds an email.
	res := w.app.SignIn(t, w.reviewer).PostForm(t, "/customers/"+customerID, url.Values{"given_names": {given}, "surname": {"Nguyễn"},
		"nationality": {nationality}, "email": {"thi@example.com"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", res.Status, res.Body)
	}
	want := "edited the customer's data: surname “" + surname + "” → “Nguyễn”; email (none) → “thi@example.com”"

	mgr := w.app.SignIn(t, w.manager)
	pdfRes := mgr.Get(t, "/cases/"+w.id.String()+"/report.pdf")
	if pdfRes.Status != http.StatusOK {
		t.Fatalf("report: %d %s", pdfRes.Status, pdfRes.Body)
	}
	text := strings.Join(strings.Fields(exactText(t, []byte(pdfRes.Body))), " ")
	_, trail, _ := strings.Cut(text, "Audit trail")
	if !strings.Contains(trail, "Reviewer Tester "+want) {
		t.Errorf("the report's audit trail lacks %q:\n%s", want, trail)
	}
	page := mgr.Get(t, "/cases/"+w.id.String()).Doc(t)
	if tl := strings.Join(strings.Fields(page.Find("#timeline").Text()), " "); !strings.Contains(tl, want) {
		t.Errorf("the timeline lacks %q:\n%s", want, tl)
	}
	// What the audit row holds besides the customer's data (their id) is not said.
	if strings.Contains(trail, customerID) {
		t.Error("the audit trail names the customer's id")
	}
}
