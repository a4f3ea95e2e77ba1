package decisions_test

import (
	"bytes"
	"image"
	pngenc "image/png"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/uuid"

	"kycdesk/internal/audit"
	"kycdesk/internal/cases"
	"kycdesk/internal/customers"
	"kycdesk/internal/db"
	"kycdesk/internal/decisions"
)

// TestSentBackDecisionReturnsTheCaseWhereItWas: a decision sent back by its second review puts the
// case back in the status the decision found it in, held by the decision's maker: an escalated
// case is escalated again; a case awaiting resubmission awaits it again, unless the customer sent
// a document while the decision waited, when it is in review.
func TestSentBackDecisionReturnsTheCaseWhereItWas(t *testing.T) {
	f := setup(t)
	f.app.Pool.Exec(f.ctx, `UPDATE app_settings SET value = '{"always": true}' WHERE key = 'four_eyes.rules'`)
	sendBack := func(id uuid.UUID) db.Case {
		t.Helper()
		if got := f.status(t, id); got != cases.PendingSecondReview {
			t.Fatalf("before the second review: %s", got)
		}
		r := f.cc.PostForm(t, "/cases/"+id.String()+"/second-review", url.Values{"action": {"return"}, "reason": {f.reasons["return"]}, "comment": {"Look again."}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("return: %d %s", r.Status, r.Body)
		}
		c, err := db.New(f.app.Pool).GetCase(f.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var audited string
		_ = f.app.Pool.QueryRow(f.ctx, `SELECT after->>'status' FROM audit_events WHERE action = 'case.second_review' AND case_id = $1`, id).Scan(&audited)
		if audited != string(c.Status) {
			t.Errorf("the second review's audit row says %q, the case is %s", audited, c.Status)
		}
		return c
	}
	// awaiting opens a case, asks for a resubmission, has the maker claim it again and reject it.
	awaiting := func() uuid.UUID {
		t.Helper()
		id := f.claimedCase(t, "2035-01-01")
		if r := f.decide(t, f.mc, id, decisions.RequestResubmission, "The photo is blurred."); r.Status != http.StatusSeeOther {
			t.Fatalf("request resubmission: %d %s", r.Status, r.Body)
		}
		if r := f.mc.PostForm(t, "/cases/"+id.String()+"/claim", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("claim: %d", r.Status)
		}
		if r := f.decide(t, f.mc, id, decisions.Reject, "No answer in 30 days."); r.Status != http.StatusSeeOther {
			t.Fatalf("reject: %d %s", r.Status, r.Body)
		}
		return id
	}

	id := awaiting()
	if c := sendBack(id); c.Status != cases.AwaitingResubmission || c.AssigneeID == nil || *c.AssigneeID != f.maker.ID {
		t.Errorf("awaiting, sent back: %s %v", c.Status, c.AssigneeID)
	}
	// Still awaiting: the customer's document, when it comes, puts it in review.
	var png bytes.Buffer
	_ = pngenc.Encode(&png, image.NewGray(image.Rect(0, 0, 480, 360)))
	files := []customers.File{{Kind: "front", Name: "f.png", Data: png.Bytes()}}
	addDocument := func(id uuid.UUID) {
		t.Helper()
		c, _ := db.New(f.app.Pool).GetCase(f.ctx, id)
		if _, _, err := f.app.Server.CustomerService().AddDocument(f.ctx, customers.Origin{Actor: audit.System, Via: "api:onboarding"}, c.CustomerID,
			customers.DocumentInput{Type: "other"}, files); err != nil {
			t.Fatal(err)
		}
	}
	addDocument(id)
	if got := f.status(t, id); got != cases.InReview {
		t.Errorf("awaiting again, a document came: %s", got)
	}

	// The customer answered while the decision waited: sent back, the case is in review.
	id = awaiting()
	addDocument(id)
	if c := sendBack(id); c.Status != cases.InReview || c.AssigneeID == nil || *c.AssigneeID != f.maker.ID {
		t.Errorf("awaiting, a document came, sent back: %s %v", c.Status, c.AssigneeID)
	}

	// Escalated, claimed by another reviewer who approves: sent back, escalated and theirs.
	id = f.claimedCase(t, "2035-01-01")
	if r := f.decide(t, f.mc, id, decisions.Escalate, "needs a senior look"); r.Status != http.StatusSeeOther {
		t.Fatalf("escalate: %d %s", r.Status, r.Body)
	}
	oc := f.app.SignIn(t, f.other)
	if r := oc.PostForm(t, "/cases/"+id.String()+"/claim", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("claim the escalated case: %d", r.Status)
	}
	if r := f.decide(t, oc, id, decisions.Reject, "forged"); r.Status != http.StatusSeeOther {
		t.Fatalf("reject the escalated case: %d %s", r.Status, r.Body)
	}
	if c := sendBack(id); c.Status != cases.Escalated || c.AssigneeID == nil || *c.AssigneeID != f.other.ID {
		t.Errorf("escalated, sent back: %s %v", c.Status, c.AssigneeID)
	}

	// In review: back in review.
	id = f.claimedCase(t, "2035-01-01")
	f.decide(t, f.mc, id, decisions.Reject, "forged")
	if c := sendBack(id); c.Status != cases.InReview {
		t.Errorf("in review, sent back: %s", c.Status)
	}
	var drift int
	if err := f.app.Pool.QueryRow(f.ctx, `SELECT count(*) FROM case_status_counts k
		WHERE k.n <> (SELECT count(*) FROM cases c WHERE c.status = k.status)`).Scan(&drift); err != nil || drift != 0 {
		t.Fatalf("status counters drifted: %d %v", drift, err)
	}
}
