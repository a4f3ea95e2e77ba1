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
	if r := w.app.SignIn(t, w.reviewer).PostForm(t, path+"/claim", nil); r.Status != http.StatusSeeOther {
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
	for _, want := range []string{"Reviewer Tester claimed the case", "Manager Tester assigned the case to Reviewer Tester", "system opened the case"} {
		if !strings.Contains(trail, want) {
			t.Errorf("the audit trail lacks %q", want)
		}
	}
	if n := strings.Count(trail, "assigned the case to Reviewer Tester"); n != 2 {
		t.Errorf("%d assignments name the assignee by name, want 2", n)
	}
	// Neither the actors' nor the assignee's email, anywhere in the report (its footer names
	// whoever generated it, w.manager, with their email).
	for _, email := range []string{w.reviewer.Email, w.manager2.Email} {
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
