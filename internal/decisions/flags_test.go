package decisions_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"kycdesk/internal/cases"
	"kycdesk/internal/db"
	"kycdesk/internal/decisions"
	"kycdesk/internal/testenv"
)

// TestMissingChecksAreAFlag: a case on which only some of the expected checks finished (vendor
// outcome "partial": Argos passed, OOTO's face match never ran) is flagged with the vendors
// missing: approving needs a comment saying why, and under the flags rule goes to a second
// review. A check still running is missing too; a case whose expected checks all passed is not
// flagged.
func TestMissingChecksAreAFlag(t *testing.T) {
	f := setup(t)
	f.checkDefaults(t, "argos", "ooto")
	f.rules(t, decisions.Rules{Flags: true})
	id := f.claimedCase(t, "2035-01-01")
	doc := f.documents(t, id)[0]
	f.check(t, id, doc, "argos", db.CheckStateDone, "pass", "", "", "")
	if c, _ := db.New(f.app.Pool).GetCase(f.ctx, id); c.VendorOutcome != "partial" {
		t.Fatalf("vendor outcome %q, want partial", c.VendorOutcome)
	}
	r := f.decide(t, f.mc, id, decisions.Approve, "")
	if msg := r.Doc(t).Find("#comment-error").Text(); r.Status != http.StatusUnprocessableEntity || !strings.Contains(msg, "did not run or have not finished") ||
		!strings.Contains(msg, "OOTO") {
		t.Fatalf("approve without a comment, OOTO not run: %d %q", r.Status, msg)
	}
	if f.status(t, id) != cases.InReview {
		t.Fatal("the refused approval moved the case")
	}
	ooto := decisions.FlagLabel("checks_missing:ooto")
	page := f.mc.Get(t, "/cases/"+id.String()).Doc(t)
	if !strings.Contains(ooto, "OOTO") || !strings.Contains(page.Find("#decision-flags").Text(), ooto) ||
		!strings.Contains(page.Find("#negative-hint").Text(), "expected checks did not run or have not finished") {
		t.Errorf("the panel does not say a check is missing: %q / %q", page.Find("#decision-flags").Text(), page.Find("#negative-hint").Text())
	}
	// A face-match check queued but not finished is still missing.
	if _, err := f.app.Pool.Exec(f.ctx, `INSERT INTO checks (case_id, document_id, vendor, kind, request_key) VALUES ($1, $2, 'ooto', 'face_match', 'queued')`,
		id, doc); err != nil {
		t.Fatal(err)
	}
	if r := f.decide(t, f.mc, id, decisions.Approve, "OOTO is down; the selfie matches the portrait by eye."); r.Status != http.StatusSeeOther {
		t.Fatalf("approve with a comment: %d %s", r.Status, r.Body)
	}
	rule, ev := f.decision(t, id)
	if f.status(t, id) != cases.PendingSecondReview || rule != "flags" || !strings.Contains(strings.Join(ev.Flags, ","), "checks_missing:ooto") {
		t.Fatalf("approval with OOTO missing: %s, rule %q, flags %v", f.status(t, id), rule, ev.Flags)
	}
	if got := f.cc.Get(t, "/cases/"+id.String()).Doc(t).Find("#pending-evidence").Text(); !strings.Contains(got, ooto) {
		t.Errorf("the checker does not see the missing check: %q", got)
	}

	// Every expected check passed: no flag, no comment needed, no second review.
	id = f.claimedCase(t, "2035-01-01")
	doc = f.documents(t, id)[0]
	f.check(t, id, doc, "argos", db.CheckStateDone, "pass", "", "", "")
	f.check(t, id, doc, "ooto", db.CheckStateDone, "pass", "", "", "")
	if r := f.decide(t, f.mc, id, decisions.Approve, ""); r.Status != http.StatusSeeOther || f.status(t, id) != cases.Approved {
		t.Fatalf("approve with every expected check passed: %d, case %s", r.Status, f.status(t, id))
	}
}

// TestRiskFlagIsADecisionFlag: the case's risk flag shows as a Risk badge in the case header and
// is a decision flag: under the flags rule an approval goes to a second review, and the checker
// sees it.
func TestRiskFlagIsADecisionFlag(t *testing.T) {
	f := setup(t)
	f.rules(t, decisions.Rules{Flags: true})
	id := f.claimedCase(t, "2035-01-01")
	f.check(t, id, f.documents(t, id)[0], "argos", db.CheckStateDone, "pass", "", "", "")
	if got := f.mc.Get(t, "/cases/"+id.String()).Doc(t).Find("#case-risk").Length(); got != 0 {
		t.Fatalf("a Risk badge on a case without the risk flag")
	}
	if _, err := f.app.Pool.Exec(f.ctx, "UPDATE cases SET risk_flag = true WHERE id = $1", id); err != nil {
		t.Fatal(err)
	}
	page := f.mc.Get(t, "/cases/"+id.String()).Doc(t)
	if got := strings.TrimSpace(page.Find(".case-head #case-risk").Text()); got != "Risk" {
		t.Errorf("the case header's risk badge: %q", got)
	}
	if got := page.Find("#decision-flags").Text(); !strings.Contains(got, "The case carries the risk flag") {
		t.Errorf("the decision panel does not list the risk flag: %q", got)
	}
	if r := f.decide(t, f.mc, id, decisions.Approve, ""); r.Status != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	rule, ev := f.decision(t, id)
	if f.status(t, id) != cases.PendingSecondReview || rule != "flags" || strings.Join(ev.Flags, ",") != "risk" {
		t.Fatalf("approval of a risk-flagged case: %s, rule %q, flags %v", f.status(t, id), rule, ev.Flags)
	}
	if got := f.cc.Get(t, "/cases/"+id.String()).Doc(t).Find("#pending-evidence").Text(); !strings.Contains(got, "The case carries the risk flag") {
		t.Errorf("the checker does not see the risk flag: %q", got)
	}
	// The export's Flags column says the risk flag once (the case's, and the decision's record of it).
	res := f.cc.Get(t, "/cases/export.csv?status=all")
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.Body, "\ufeff"))).ReadAll()
	if res.Status != http.StatusOK || err != nil || len(recs) < 2 {
		t.Fatalf("export: %d %v %d records", res.Status, err, len(recs))
	}
	col := slices.Index(recs[0], "Flags")
	for _, rec := range recs[1:] {
		if rec[0] == id.String() && (col < 0 || rec[col] != "risk") {
			t.Errorf("the export's flags: %q (column %d)", rec, col)
		}
	}
}

// TestBlockedApprovalIsSaidAsSuch: when the only document is rejected, the decision form does not
// say approving needs a comment (no comment makes it possible): it says approval is not possible
// and why, as the refusal does.
func TestBlockedApprovalIsSaidAsSuch(t *testing.T) {
	f := setup(t)
	id := f.claimedCase(t, "2035-01-01")
	doc := f.documents(t, id)[0]
	f.check(t, id, doc, "argos", db.CheckStateDone, "pass", "", "", "")
	if r := f.decideDocument(t, id, doc, "reject", ""); r.Status != http.StatusSeeOther {
		t.Fatalf("reject the document: %d", r.Status)
	}
	page := f.mc.Get(t, "/cases/"+id.String()).Doc(t)
	if n := page.Find("#negative-hint").Length(); n != 0 {
		t.Errorf("the form says approving needs a comment: %q", page.Find("#negative-hint").Text())
	}
	hint := page.Find("#approve-blocked").Text()
	if !strings.Contains(hint, "Approval is not possible") || !strings.Contains(hint, "Passport X1 (Document forged or tampered) was rejected") ||
		!strings.Contains(hint, "request resubmission") {
		t.Errorf("the form does not say approval is blocked: %q", hint)
	}
	r := f.decide(t, f.mc, id, decisions.Approve, "It is fine.")
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Doc(t).Find("#outcome-error").Text(), "cannot be approved") {
		t.Fatalf("approve with a comment: %d", r.Status)
	}
	if !strings.Contains(r.Doc(t).Find("#approve-blocked").Text(), "Approval is not possible") {
		t.Errorf("the refused form lost the blocked hint")
	}
}

// TestDocumentArrivingWhilePending: the intake API adds a document to a case pending second review
// (the onboarding front end cannot be told to wait). The checker's panel says so (which document,
// how, when; the maker did not see it), confirming needs a comment acknowledging it, and the
// confirmation's audit row names it.
func TestDocumentArrivingWhilePending(t *testing.T) {
	f := setup(t)
	f.rules(t, decisions.Rules{Always: true})
	id := f.claimedCase(t, "2035-01-01")
	f.check(t, id, f.documents(t, id)[0], "argos", db.CheckStateDone, "pass", "", "", "")
	if r := f.decide(t, f.mc, id, decisions.Approve, "Document and selfie match."); r.Status != http.StatusSeeOther || f.status(t, id) != cases.PendingSecondReview {
		t.Fatalf("approve: %d, case %s", r.Status, f.status(t, id))
	}
	// Nothing arrived yet: no warning.
	if n := f.cc.Get(t, "/cases/"+id.String()).Doc(t).Find("#late-evidence").Length(); n != 0 {
		t.Fatal("a warning before any document arrived")
	}
	var customerID string
	if err := f.app.Pool.QueryRow(f.ctx, "SELECT customer_id::text FROM cases WHERE id = $1", id).Scan(&customerID); err != nil {
		t.Fatal(err)
	}
	token := f.app.CreateAPIToken(t, "onboarding")
	body, ct := multipart1(t, map[string]string{"type": "passport", "issuing_country": "UTO", "number": "L2"}, "front", specimenFront(t))
	if r := f.app.NewClient().API(t, "POST", "/api/v1/customers/"+customerID+"/documents", token, ct, body); r.Status != http.StatusCreated {
		t.Fatalf("document through the API: %d %s", r.Status, r.Body)
	}
	page := f.cc.Get(t, "/cases/"+id.String()).Doc(t)
	warn := strings.Join(strings.Fields(page.Find("#late-evidence").Text()), " ")
	if !strings.Contains(warn, "After this decision was made, a document arrived: Passport L2 (through the intake API,") ||
		!strings.Contains(warn, "The maker did not see it.") || !strings.Contains(warn, "Confirming needs a comment") {
		t.Fatalf("the checker is not told: %q", warn)
	}
	r := f.cc.PostForm(t, "/cases/"+id.String()+"/second-review", url.Values{"action": {"confirm"}})
	if msg := r.Doc(t).Find("#comment-error").Text(); r.Status != http.StatusUnprocessableEntity || !strings.Contains(msg, "Passport L2 arrived") {
		t.Fatalf("confirm without a comment: %d %q", r.Status, msg)
	}
	if f.status(t, id) != cases.PendingSecondReview {
		t.Fatal("the refused confirmation moved the case")
	}
	r = f.cc.PostForm(t, "/cases/"+id.String()+"/second-review", url.Values{"action": {"confirm"},
		"comment": {"The passport L2 that came later shows the same person; the approval stands."}})
	if r.Status != http.StatusSeeOther || f.status(t, id) != cases.Approved {
		t.Fatalf("confirm with a comment: %d, case %s", r.Status, f.status(t, id))
	}
	var late string
	_ = f.app.Pool.QueryRow(f.ctx, "SELECT after->>'late_documents' FROM audit_events WHERE action = 'case.second_review' AND case_id = $1", id).Scan(&late)
	if !strings.Contains(late, "Passport L2") {
		t.Errorf("the audit row does not name the late document: %q", late)
	}
	// The case report says it too, beside the confirmation.
	res := f.cc.Get(t, "/cases/"+id.String()+"/report.pdf")
	if res.Status != http.StatusOK {
		t.Fatalf("report: %d", res.Status)
	}
	text := strings.Join(strings.Fields(testenv.PDFText(t, []byte(res.Body))), " ")
	if !strings.Contains(text, "After this decision was made, Passport L2 arrived (through the intake API,") || !strings.Contains(text, "the maker did not see it.") {
		t.Errorf("the case report does not say the document came late:\n%s", text)
	}
}
