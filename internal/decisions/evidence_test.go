package decisions_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"kycdesk/internal/audit"
	"kycdesk/internal/cases"
	"kycdesk/internal/customers"
	"kycdesk/internal/db"
	"kycdesk/internal/decisions"
	"kycdesk/internal/testenv"
)

func (f *fixture) rules(t *testing.T, r decisions.Rules) {
	t.Helper()
	b, _ := json.Marshal(r)
	if _, err := f.app.Pool.Exec(f.ctx, "UPDATE app_settings SET value = $1 WHERE key = 'four_eyes.rules'", b); err != nil {
		t.Fatal(err)
	}
}

// documents returns the case's documents, oldest first.
func (f *fixture) documents(t *testing.T, caseID uuid.UUID) []uuid.UUID {
	t.Helper()
	rows, err := f.app.Pool.Query(f.ctx, "SELECT d.id FROM documents d JOIN cases c ON c.customer_id = d.customer_id WHERE c.id = $1 ORDER BY d.created_at, d.id", caseID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	return out
}

func (f *fixture) decideDocument(t *testing.T, caseID, docID uuid.UUID, outcome, side string) testenv.Response {
	t.Helper()
	return f.mc.PostForm(t, "/cases/"+caseID.String()+"/document-decision", url.Values{"document": {docID.String()}, "outcome": {outcome},
		"side": {side}, "reason": {f.reasons["doc_"+outcome]}})
}

// check records a finished check of a case's document, as the runner does, and refreshes the
// case's vendor outcome.
func (f *fixture) check(t *testing.T, caseID, docID uuid.UUID, vendor string, state db.CheckState, outcome, errorKind, code, reason string) {
	t.Helper()
	var o *string
	if outcome != "" {
		o = &outcome
	}
	if _, err := f.app.Pool.Exec(f.ctx, `INSERT INTO checks (case_id, document_id, vendor, kind, state, outcome, error_kind, code, reason, request_key, finished_at)
		VALUES ($1, $2, $3, 'ocr', $4, $5, $6, $7, $8, $9, now())`, caseID, docID, vendor, state, o, errorKind, code, reason, uuid.NewString()); err != nil {
		t.Fatal(err)
	}
	if err := db.New(f.app.Pool).RefreshCaseVendorOutcome(f.ctx, caseID); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) decision(t *testing.T, caseID uuid.UUID) (rule string, ev decisions.Evidence) {
	t.Helper()
	var raw []byte
	if err := f.app.Pool.QueryRow(f.ctx, "SELECT coalesce(four_eyes_rule, ''), evidence FROM case_decisions WHERE case_id = $1 ORDER BY decided_at DESC LIMIT 1",
		caseID).Scan(&rule, &raw); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	return rule, ev
}

// TestRejectedDocumentIsEvidence: a case whose only document the reviewer rejected cannot be
// approved (the refusal names the document and what to do); a later decision accepting the
// document reverses the rejection. Where another document stands, approving over the rejected one
// needs a comment, goes to a second review, and the evidence records the rejection.
func TestRejectedDocumentIsEvidence(t *testing.T) {
	f := setup(t)
	f.rules(t, decisions.Rules{OverrideNegative: true, Flags: true})
	id := f.claimedCase(t, "2035-01-01")
	doc := f.documents(t, id)[0]
	f.check(t, id, doc, "argos", db.CheckStateDone, "pass", "", "", "")
	if r := f.decideDocument(t, id, doc, "reject", "front"); r.Status != http.StatusSeeOther {
		t.Fatalf("reject the document: %d %s", r.Status, r.Body)
	}
	r := f.decide(t, f.mc, id, decisions.Approve, "It looks fine to me.")
	msg := r.Doc(t).Find("#outcome-error").Text()
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(msg, "Passport X1 (Document forged or tampered) was rejected") ||
		!strings.Contains(msg, "request resubmission") || !strings.Contains(msg, "new decision on the document") {
		t.Fatalf("approve after the only document was rejected: %d %q", r.Status, msg)
	}
	if got := f.status(t, id); got != cases.InReview {
		t.Fatalf("the refused approval moved the case to %s", got)
	}
	// The rejection is reversed by accepting the document: the approval goes through.
	if r := f.decideDocument(t, id, doc, "accept", ""); r.Status != http.StatusSeeOther {
		t.Fatalf("accept the document: %d", r.Status)
	}
	if r := f.decide(t, f.mc, id, decisions.Approve, ""); r.Status != http.StatusSeeOther || f.status(t, id) != cases.Approved {
		t.Fatalf("approve after the reversal: %d, case %s", r.Status, f.status(t, id))
	}

	// Two documents, one rejected: a comment, a second review, the rejection in the evidence.
	out, err := (&customers.Service{Pool: f.app.Pool}).Create(f.ctx, customers.Origin{Actor: audit.System, Via: "test"}, customers.Input{Surname: "Two",
		DateOfBirth: "1980-01-01", Documents: []customers.DocumentInput{{Type: "passport", Number: "P1", ExpiryDate: "2035-01-01"},
			{Type: "national_id", Number: "N1", ExpiryDate: "2035-01-01"}}})
	if err != nil {
		t.Fatal(err)
	}
	id = out.Case.ID
	if r := f.mc.PostForm(t, "/cases/"+id.String()+"/claim", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("claim: %d", r.Status)
	}
	docs := f.documents(t, id)
	f.check(t, id, docs[1], "argos", db.CheckStateDone, "pass", "", "", "")
	var rejected uuid.UUID
	if err := f.app.Pool.QueryRow(f.ctx, "SELECT id FROM documents WHERE id = ANY($1) AND number = 'P1'", docs).Scan(&rejected); err != nil {
		t.Fatal(err)
	}
	f.decideDocument(t, id, rejected, "reject", "")
	r = f.decide(t, f.mc, id, decisions.Approve, "")
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Doc(t).Find("#comment-error").Text(), "Passport P1 (Document forged or tampered) was rejected") {
		t.Fatalf("approve without a comment over a rejected document: %d %q", r.Status, r.Doc(t).Find("#comment-error").Text())
	}
	if r := f.decide(t, f.mc, id, decisions.Approve, "The identity card is genuine; the passport was a bad scan of another person's."); r.Status != http.StatusSeeOther {
		t.Fatalf("approve with a comment: %d", r.Status)
	}
	rule, ev := f.decision(t, id)
	if f.status(t, id) != cases.PendingSecondReview || rule != "override_negative" {
		t.Fatalf("approval over a rejected document: %s, rule %q", f.status(t, id), rule)
	}
	if ev.Documents != 2 || ev.Usable() != 1 || len(ev.DocumentDecisions) != 1 || ev.DocumentDecisions[0].Outcome != "reject" ||
		!strings.Contains(strings.Join(ev.Flags, ","), "document_rejected:Passport P1") {
		t.Errorf("evidence: %+v", ev)
	}
	page := f.cc.Get(t, "/cases/"+id.String()).Doc(t)
	if !strings.Contains(page.Find("#decision-flags").Text(), "A document was rejected (Passport P1)") ||
		!strings.Contains(page.Find("#pending-evidence").Text(), "Passport P1 was rejected (Document forged or tampered).") {
		t.Errorf("the checker does not see the rejection: %q / %q", page.Find("#decision-flags").Text(), page.Find("#pending-evidence").Text())
	}

	// Only the flags rule: the rejected document is a flag.
	f.rules(t, decisions.Rules{Flags: true})
	out, err = (&customers.Service{Pool: f.app.Pool}).Create(f.ctx, customers.Origin{Actor: audit.System, Via: "test"}, customers.Input{Surname: "Three",
		DateOfBirth: "1980-01-01", Documents: []customers.DocumentInput{{Type: "passport", Number: "P2", ExpiryDate: "2035-01-01"},
			{Type: "national_id", Number: "N2", ExpiryDate: "2035-01-01"}}})
	if err != nil {
		t.Fatal(err)
	}
	id = out.Case.ID
	f.mc.PostForm(t, "/cases/"+id.String()+"/claim", nil)
	f.decideDocument(t, id, f.documents(t, id)[0], "reject", "")
	f.decide(t, f.mc, id, decisions.Approve, "The other document is genuine.")
	if rule, _ := f.decision(t, id); f.status(t, id) != cases.PendingSecondReview || rule != "flags" {
		t.Fatalf("flags rule over a rejected document: %s, rule %q", f.status(t, id), rule)
	}
}

// TestVendorRefusalIsANegativeResult: a vendor's refusal of the document (Apptenticate's 826, too
// blurry) is a negative result: approving needs a comment saying why, goes to a second review
// under "overriding a vendor's negative result", and the checker sees the refusal. A check that
// did not finish (a timeout) is no verdict, but a flag: under the flags rule the approval gets a
// second review.
func TestVendorRefusalIsANegativeResult(t *testing.T) {
	f := setup(t)
	f.rules(t, decisions.Rules{OverrideNegative: true})
	id := f.claimedCase(t, "2035-01-01")
	doc := f.documents(t, id)[0]
	f.check(t, id, doc, "argos", db.CheckStateDone, "pass", "", "", "")
	f.check(t, id, doc, "apptenticate", db.CheckStateDone, "fail", "refused", "826", "The document is too blurry.")
	page := f.mc.Get(t, "/cases/"+id.String()).Doc(t)
	if !strings.Contains(page.Find("#negative-hint").Text(), "Apptenticate ID Reader Plus v3 refused the document") {
		t.Errorf("the decision form does not say approving needs a comment: %q", page.Find("#negative-hint").Text())
	}
	r := f.decide(t, f.mc, id, decisions.Approve, "")
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Doc(t).Find("#comment-error").Text(), "Apptenticate ID Reader Plus v3 refused the document") {
		t.Fatalf("approve without a comment over a refusal: %d %q", r.Status, r.Doc(t).Find("#comment-error").Text())
	}
	f.decide(t, f.mc, id, decisions.Approve, "A sharper copy is on file; the data matches.")
	rule, ev := f.decision(t, id)
	if f.status(t, id) != cases.PendingSecondReview || rule != "override_negative" {
		t.Fatalf("approval over a refusal: %s, rule %q", f.status(t, id), rule)
	}
	if !strings.Contains(strings.Join(ev.Flags, ","), "vendor_refused:apptenticate") || ev.VendorOutcome != "fail" {
		t.Errorf("evidence: %+v", ev)
	}
	page = f.cc.Get(t, "/cases/"+id.String()).Doc(t)
	if !strings.Contains(page.Find("#pending-evidence").Text(), "Apptenticate ID Reader Plus v3 refused the document: The document is too blurry. (code 826)") ||
		!strings.Contains(page.Find("#decision-flags").Text(), "Apptenticate ID Reader Plus v3 refused the document") {
		t.Errorf("the checker does not see the refusal: %q", page.Find("#pending-decision").Text())
	}

	// A technical failure: no verdict, so no comment is needed, but a flag.
	f.rules(t, decisions.Rules{Flags: true})
	id = f.claimedCase(t, "2035-01-01")
	doc = f.documents(t, id)[0]
	f.check(t, id, doc, "cynopsis_ocr", db.CheckStateDone, "pass", "", "", "")
	f.check(t, id, doc, "argos", db.CheckStateFailed, "", "transient", "", "The vendor did not answer in time.")
	if r := f.decide(t, f.mc, id, decisions.Approve, ""); r.Status != http.StatusSeeOther {
		t.Fatalf("approve with a check that did not finish: %d", r.Status)
	}
	rule, ev = f.decision(t, id)
	if f.status(t, id) != cases.PendingSecondReview || rule != "flags" || !strings.Contains(strings.Join(ev.Flags, ","), "vendor_unfinished:argos") {
		t.Fatalf("approval with a check that did not finish: %s, rule %q, flags %v", f.status(t, id), rule, ev.Flags)
	}

	// A rerun still running does not hide the refusal that stands.
	f.rules(t, decisions.Rules{OverrideNegative: true})
	id = f.claimedCase(t, "2035-01-01")
	doc = f.documents(t, id)[0]
	f.check(t, id, doc, "apptenticate", db.CheckStateDone, "fail", "refused", "826", "The document is too blurry.")
	if _, err := f.app.Pool.Exec(f.ctx, `INSERT INTO checks (case_id, document_id, vendor, kind, state, request_key) VALUES ($1, $2, 'apptenticate', 'ocr', 'queued', 'again')`,
		id, doc); err != nil {
		t.Fatal(err)
	}
	if r := f.decide(t, f.mc, id, decisions.Approve, ""); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("approve while a rerun is queued over a refusal: %d", r.Status)
	}
}

// TestFailingLivenessVerdictIsEvidence: the liveness verdict standing on a document fails (not a
// live person, not the document's face), undelivered: approving needs a comment and a second
// review, and the checker sees the verdict. While the decision waits, the maker can neither record
// another verdict, decide on a document, nor release the case.
func TestFailingLivenessVerdictIsEvidence(t *testing.T) {
	f := setup(t)
	f.rules(t, decisions.Rules{OverrideNegative: true})
	f.checkDefaults(t, "ooto") // the face check each verdict comes with is the vendor evidence expected
	verdict := func(caseID uuid.UUID, pass bool) {
		t.Helper()
		doc := f.documents(t, caseID)[0]
		var img, verdictID uuid.UUID
		if err := f.app.Pool.QueryRow(f.ctx, `INSERT INTO images (customer_id, document_id, kind, sha256, content_type, size_bytes)
			SELECT customer_id, id, 'selfie', repeat('a', 64), 'image/jpeg', 1 FROM documents WHERE id = $1 RETURNING id`, doc).Scan(&img); err != nil {
			t.Fatal(err)
		}
		if err := f.app.Pool.QueryRow(f.ctx, `INSERT INTO liveness_verdicts (case_id, document_id, recorded_by, conclusion, liveness_result, facial_check,
			eyes_closed, eyes_closed_confidence, sunglasses, sunglasses_confidence, face_occluded, face_occluded_confidence, liveness_confidence, reference_image_id)
			VALUES ($1, $2, $3, $4, $4, $4, false, 90, false, 90, false, 90, 20, $5) RETURNING id`, caseID, doc, f.maker.ID, pass, img).Scan(&verdictID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.app.Pool.Exec(f.ctx, "INSERT INTO liveness_deliveries (verdict_id) VALUES ($1)", verdictID); err != nil {
			t.Fatal(err)
		}
		f.check(t, caseID, doc, "ooto", db.CheckStateDone, "pass", "", "", "")
	}
	// A passing verdict is no negative result.
	id := f.claimedCase(t, "2035-01-01")
	verdict(id, true)
	if f.decide(t, f.mc, id, decisions.Approve, ""); f.status(t, id) != cases.Approved {
		t.Fatalf("approval with a passing verdict: %s", f.status(t, id))
	}

	id = f.claimedCase(t, "2035-01-01")
	verdict(id, false)
	r := f.decide(t, f.mc, id, decisions.Approve, "")
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Doc(t).Find("#comment-error").Text(), "the liveness verdict on Passport X1 fails") {
		t.Fatalf("approve without a comment over a failing verdict: %d %q", r.Status, r.Doc(t).Find("#comment-error").Text())
	}
	f.decide(t, f.mc, id, decisions.Approve, "The selfie was retaken in branch; I saw the customer.")
	rule, ev := f.decision(t, id)
	if f.status(t, id) != cases.PendingSecondReview || rule != "override_negative" || len(ev.Liveness) != 1 || !ev.Liveness[0].Fails() ||
		!strings.Contains(strings.Join(ev.Flags, ","), "liveness_fail:Passport X1") {
		t.Fatalf("approval over a failing verdict: %s, rule %q, evidence %+v", f.status(t, id), rule, ev)
	}
	page := f.cc.Get(t, "/cases/"+id.String()).Doc(t)
	want := "Liveness verdict on Passport X1: fail (live person: no, face matches: no; not yet delivered to Artemis)"
	if !strings.Contains(page.Find("#pending-evidence").Text(), want) || !strings.Contains(page.Find("#decision-flags").Text(), "The liveness verdict fails (Passport X1)") {
		t.Errorf("the checker does not see the verdict: %q", page.Find("#pending-decision").Text())
	}

	// While it waits: no verdict, no document decision, no release.
	doc := f.documents(t, id)[0]
	count := func(table string) int {
		var n int
		_ = f.app.Pool.QueryRow(f.ctx, "SELECT count(*) FROM "+table+" WHERE case_id = $1", id).Scan(&n)
		return n
	}
	verdicts, docDecisions := count("liveness_verdicts"), count("document_decisions")
	res := f.mc.PostForm(t, "/cases/"+id.String()+"/documents/"+doc.String()+"/liveness", url.Values{"conclusion": {"true"}, "comment": {"second look"}})
	if res.Status != http.StatusConflict || !strings.Contains(res.Doc(t).Find("#liveness-refused").Text(), "second review") {
		t.Errorf("a verdict while pending: %d %q", res.Status, res.Doc(t).Find("#liveness-refused").Text())
	}
	if page := f.mc.Get(t, "/cases/"+id.String()+"/documents/"+doc.String()+"/liveness").Doc(t); page.Find("#liveness-form").Length() != 0 ||
		!strings.Contains(page.Find("#liveness-why").Text(), "second review") {
		t.Error("the liveness page offers a verdict while the decision waits")
	}
	f.decideDocument(t, id, doc, "reject", "")
	if r := f.mc.PostForm(t, "/cases/"+id.String()+"/release", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("release: %d", r.Status)
	}
	c, _ := db.New(f.app.Pool).GetCase(f.ctx, id)
	if c.Status != cases.PendingSecondReview || c.AssigneeID == nil || *c.AssigneeID != f.maker.ID {
		t.Errorf("released while pending: %s %v", c.Status, c.AssigneeID)
	}
	if count("liveness_verdicts") != verdicts || count("document_decisions") != docDecisions {
		t.Error("a verdict or a document decision was recorded while the decision waited")
	}
	if f.mc.Get(t, "/cases/"+id.String()).Doc(t).Find("#release").Length() != 0 {
		t.Error("the case page offers to release a case waiting for its second review")
	}
	if r := f.cc.PostForm(t, "/cases/"+id.String()+"/second-review", url.Values{"action": {"confirm"}}); r.Status != http.StatusSeeOther || f.status(t, id) != cases.Approved {
		t.Fatalf("confirm: %d, %s", r.Status, f.status(t, id))
	}
}

// TestNewImageAskedForIsMetByANewDocument: the customer answers "send a new image of the front" by
// sending the document again, which makes a new document with its own images. Until a front comes
// the request is a flag (under the flags rule, an approval goes to a second review); once a front
// has come, on the new document, it is not, and the approval is final.
func TestNewImageAskedForIsMetByANewDocument(t *testing.T) {
	f := setup(t)
	f.rules(t, decisions.Rules{Flags: true})
	id := f.claimedCase(t, "2035-01-01")
	doc := f.documents(t, id)[0]
	f.check(t, id, doc, "argos", db.CheckStateDone, "pass", "", "", "")
	if r := f.decideDocument(t, id, doc, "new_image", "front"); r.Status != http.StatusSeeOther {
		t.Fatalf("ask for a new front: %d %s", r.Status, r.Body)
	}
	c, err := db.New(f.app.Pool).GetCase(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	gather := func() decisions.Evidence {
		t.Helper()
		ev, err := (&decisions.Service{Pool: f.app.Pool}).Gather(f.ctx, db.New(f.app.Pool), c)
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	const flag = "new_image_requested:front:Passport X1"
	if ev := gather(); strings.Join(ev.Flags, ",") != flag || len(ev.DocumentDecisions) != 1 || !ev.DocumentDecisions[0].Outstanding {
		t.Fatalf("before the new front: %+v", ev)
	}
	if got := f.mc.Get(t, "/cases/"+id.String()).Doc(t).Find("#decision-flags").Text(); !strings.Contains(got, "A new image of the front was asked for and has not come") {
		t.Errorf("the decision panel does not say the front is awaited: %q", got)
	}

	// The customer sends the passport again, with a new front.
	var customerID uuid.UUID
	if err := f.app.Pool.QueryRow(f.ctx, "SELECT customer_id FROM cases WHERE id = $1", id).Scan(&customerID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.app.Server.CustomerService().AddDocument(f.ctx, customers.Origin{Actor: audit.System, Via: "test"}, customerID,
		customers.DocumentInput{Type: "passport", Number: "X1", ExpiryDate: "2035-01-01"},
		[]customers.File{{Kind: "front", Name: "front.jpg", Data: specimenFront(t)}}); err != nil {
		t.Fatal(err)
	}
	// The new document is checked too: unchecked, it would be a check missing.
	f.check(t, id, f.documents(t, id)[1], "argos", db.CheckStateDone, "pass", "", "", "")
	if ev := gather(); len(ev.Flags) != 0 || len(ev.DocumentDecisions) != 1 || ev.DocumentDecisions[0].Outstanding {
		t.Fatalf("after the new front: %+v", ev)
	}
	if got := f.mc.Get(t, "/cases/"+id.String()).Doc(t).Find("#decision-flags").Text(); strings.Contains(got, "has not come") {
		t.Errorf("the decision panel still awaits the front: %q", got)
	}
	if r := f.decide(t, f.mc, id, decisions.Approve, ""); r.Status != http.StatusSeeOther || f.status(t, id) != cases.Approved {
		t.Fatalf("approve once the front came: %d, case %s", r.Status, f.status(t, id))
	}
}

// TestEvidenceIsTheCasesDocuments: a re-verification case weighs the documents of that case, not
// what an earlier case decided on an earlier document. The customer's first case rejected their
// passport and recorded a failing liveness verdict on it; the new case has a new document, checked
// and passing: approving it is neither refused nor sent to a second review for the old rejection or
// verdict. A document a later case takes up again (a check on it in that case) brings its standing
// rejection and verdict with it.
func TestEvidenceIsTheCasesDocuments(t *testing.T) {
	f := setup(t)
	f.rules(t, decisions.Rules{})
	first := f.claimedCase(t, "2035-01-01")
	old := f.documents(t, first)[0]
	f.check(t, first, old, "argos", db.CheckStateDone, "pass", "", "", "")
	if r := f.decideDocument(t, first, old, "reject", ""); r.Status != http.StatusSeeOther {
		t.Fatalf("reject the passport: %d", r.Status)
	}
	// And a failing liveness verdict on it.
	var img, verdict uuid.UUID
	if err := f.app.Pool.QueryRow(f.ctx, `INSERT INTO images (customer_id, document_id, kind, sha256, content_type, size_bytes)
		SELECT customer_id, id, 'selfie', repeat('a', 64), 'image/jpeg', 1 FROM documents WHERE id = $1 RETURNING id`, old).Scan(&img); err != nil {
		t.Fatal(err)
	}
	if err := f.app.Pool.QueryRow(f.ctx, `INSERT INTO liveness_verdicts (case_id, document_id, recorded_by, conclusion, liveness_result, facial_check,
		eyes_closed, eyes_closed_confidence, sunglasses, sunglasses_confidence, face_occluded, face_occluded_confidence, liveness_confidence, reference_image_id)
		VALUES ($1, $2, $3, false, false, false, false, 90, false, 90, false, 90, 20, $4) RETURNING id`, first, old, f.maker.ID, img).Scan(&verdict); err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.Pool.Exec(f.ctx, "INSERT INTO liveness_deliveries (verdict_id) VALUES ($1)", verdict); err != nil {
		t.Fatal(err)
	}
	if r := f.decide(t, f.mc, first, decisions.Reject, "Forged passport."); r.Status != http.StatusSeeOther || f.status(t, first) != cases.Rejected {
		t.Fatalf("reject the first case: %d, %s", r.Status, f.status(t, first))
	}

	f.rules(t, decisions.Rules{OverrideNegative: true, Flags: true})
	q := db.New(f.app.Pool)
	var customerID uuid.UUID
	if err := f.app.Pool.QueryRow(f.ctx, "SELECT customer_id FROM cases WHERE id = $1", first).Scan(&customerID); err != nil {
		t.Fatal(err)
	}
	openCase := func() db.Case {
		t.Helper()
		c, err := q.CreateCase(f.ctx, db.CreateCaseParams{CustomerID: customerID})
		if err != nil {
			t.Fatal(err)
		}
		if r := f.mc.PostForm(t, "/cases/"+c.ID.String()+"/claim", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("claim: %d", r.Status)
		}
		return c
	}
	second := openCase()
	doc, _, err := f.app.Server.CustomerService().AddDocument(f.ctx, customers.Origin{Actor: audit.System, Via: "test"}, customerID,
		customers.DocumentInput{Type: "national_id", Number: "N9", ExpiryDate: "2035-01-01"},
		[]customers.File{{Kind: "front", Name: "front.jpg", Data: specimenFront(t)}})
	if err != nil {
		t.Fatal(err)
	}
	f.check(t, second.ID, doc.ID, "argos", db.CheckStateDone, "pass", "", "", "")
	gather := func(c db.Case) decisions.Evidence {
		t.Helper()
		ev, err := (&decisions.Service{Pool: f.app.Pool}).Gather(f.ctx, q, c)
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	if ev := gather(second); ev.Documents != 1 || len(ev.DocumentDecisions) != 0 || len(ev.Liveness) != 0 || len(ev.Flags) != 0 || ev.Usable() != 1 {
		t.Fatalf("the second case's evidence: %+v", ev)
	}
	if r := f.decide(t, f.mc, second.ID, decisions.Approve, ""); r.Status != http.StatusSeeOther || f.status(t, second.ID) != cases.Approved {
		t.Fatalf("approve the second case: %d, case %s: %q", r.Status, f.status(t, second.ID), r.Doc(t).Find(".field-error, #outcome-error, #comment-error").Text())
	}
	if rule, ev := f.decision(t, second.ID); rule != "" || len(ev.Flags) != 0 {
		t.Errorf("the second case's approval: rule %q, flags %v", rule, ev.Flags)
	}

	// A third case checks the old passport again: its rejection and verdict stand there. The
	// second case's document, which arrived before the third case, is not the third case's.
	third := openCase()
	f.check(t, third.ID, old, "argos", db.CheckStateDone, "pass", "", "", "")
	if ev := gather(third); ev.Documents != 1 || ev.Usable() != 0 || len(ev.DocumentDecisions) != 1 || ev.DocumentDecisions[0].DocumentID != old.String() ||
		len(ev.Liveness) != 1 || strings.Join(ev.Flags, ",") != "document_rejected:Passport X1,liveness_fail:Passport X1" {
		t.Fatalf("the third case's evidence: %+v", ev)
	}
}

// TestReopenedCaseIsNotHeldToTheEarlierRejection: a customer whose passport and case were rejected
// sends a new document through the API; the case it opens weighs that document only, so approving
// it, once its check passed, is neither refused nor sent to a second review for the old rejection.
func TestReopenedCaseIsNotHeldToTheEarlierRejection(t *testing.T) {
	f := setup(t)
	f.rules(t, decisions.Rules{})
	first := f.claimedCase(t, "2035-01-01")
	old := f.documents(t, first)[0]
	f.check(t, first, old, "argos", db.CheckStateDone, "fail", "", "", "")
	if r := f.decideDocument(t, first, old, "reject", ""); r.Status != http.StatusSeeOther {
		t.Fatalf("reject the passport: %d", r.Status)
	}
	if r := f.decide(t, f.mc, first, decisions.Reject, "Forged passport."); r.Status != http.StatusSeeOther || f.status(t, first) != cases.Rejected {
		t.Fatalf("reject the first case: %d, %s", r.Status, f.status(t, first))
	}

	// The rules that would catch the old rejection or the old failing check, were they evidence.
	f.rules(t, decisions.Rules{OverrideNegative: true, Flags: true})
	var customerID uuid.UUID
	if err := f.app.Pool.QueryRow(f.ctx, "SELECT customer_id FROM cases WHERE id = $1", first).Scan(&customerID); err != nil {
		t.Fatal(err)
	}
	doc, _, err := f.app.Server.CustomerService().AddDocument(f.ctx, customers.Origin{Actor: audit.System, Via: "api:onboarding"}, customerID,
		customers.DocumentInput{Type: "passport", Number: "X2", ExpiryDate: "2035-01-01"},
		[]customers.File{{Kind: "front", Name: "front.jpg", Data: specimenFront(t)}})
	if err != nil {
		t.Fatal(err)
	}
	q := db.New(f.app.Pool)
	second, err := q.GetOpenCaseForCustomer(f.ctx, customerID)
	if err != nil {
		t.Fatalf("no case opened by the new document: %v", err)
	}
	if r := f.mc.PostForm(t, "/cases/"+second.ID.String()+"/claim", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("claim: %d", r.Status)
	}
	f.check(t, second.ID, doc.ID, "argos", db.CheckStateDone, "pass", "", "", "")
	ev, err := (&decisions.Service{Pool: f.app.Pool}).Gather(f.ctx, q, second)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Documents != 1 || len(ev.DocumentDecisions) != 0 || len(ev.Flags) != 0 || ev.Usable() != 1 {
		t.Fatalf("the new case's evidence: %+v", ev)
	}
	if r := f.decide(t, f.mc, second.ID, decisions.Approve, ""); r.Status != http.StatusSeeOther || f.status(t, second.ID) != cases.Approved {
		t.Fatalf("approve the new case: %d, case %s: %q", r.Status, f.status(t, second.ID), r.Doc(t).Find(".field-error, #outcome-error, #comment-error").Text())
	}
	if rule, ev := f.decision(t, second.ID); rule != "" || len(ev.Flags) != 0 {
		t.Errorf("the new case's approval: rule %q, flags %v", rule, ev.Flags)
	}
	// The earlier case still holds its own document and its rejection.
	rejected, err := q.GetCase(f.ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if ev, err := (&decisions.Service{Pool: f.app.Pool}).Gather(f.ctx, q, rejected); err != nil || ev.Documents != 1 || ev.Usable() != 0 {
		t.Fatalf("the rejected case's evidence: %+v %v", ev, err)
	}
	// Nor does it expect checks on the new case's document (case_documents scopes both).
	missing, err := q.ListUnfinishedExpectedChecks(f.ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range missing {
		if m.DocumentID == doc.ID {
			t.Errorf("the rejected case expects %s on the new case's document", m.Vendor)
		}
	}
}
