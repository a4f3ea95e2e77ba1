package decisions_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kycdesk/internal/decisions"
)

// TestSentBackDecisionIsSaidAtTheTop: while a case is back in review after its decision was sent
// back, the decision panel opens with who sent it back, when and why, not only at the bottom of
// the history; the four-eyes text names the roles that confirm (from the permission matrix).
func TestSentBackDecisionIsSaidAtTheTop(t *testing.T) {
	f := setup(t)
	b, _ := json.Marshal(decisions.Rules{Always: true})
	if _, err := f.app.Pool.Exec(f.ctx, "UPDATE app_settings SET value = $1 WHERE key = 'four_eyes.rules'", b); err != nil {
		t.Fatal(err)
	}
	id := f.claimedCase(t, "2035-01-01")
	path := "/cases/" + id.String()
	if r := f.decide(t, f.mc, id, decisions.Approve, "Checked the passport by hand."); r.Status != http.StatusSeeOther {
		t.Fatalf("approve: %d", r.Status)
	}
	page := f.mc.Get(t, path).Doc(t)
	if s := strings.TrimSpace(page.Find("#four-eyes-who").Text()); s != "A manager or an admin other than you must confirm it." {
		t.Errorf("the maker reads %q", s)
	}
	if s := page.Find(".flash").Text(); !strings.Contains(s, "second review by a manager or an admin other than you") {
		t.Errorf("the flash reads %q", s)
	}
	if page.Find("#returned-decision").Length() != 0 {
		t.Error("a pending decision is said to be sent back")
	}

	if r := f.cc.PostForm(t, path+"/second-review", url.Values{"action": {"return"}, "reason": {f.reasons["return"]},
		"comment": {"The photo is blurred: look at it again."}}); r.Status != http.StatusSeeOther {
		t.Fatalf("return: %d", r.Status)
	}
	page = f.mc.Get(t, path).Doc(t)
	notice := page.Find("#returned-decision")
	if notice.Length() != 1 || notice.Parent().Children().First().AttrOr("id", "") != "returned-decision" {
		t.Fatal("the sent-back decision is not said at the top of the decision panel")
	}
	if notice.Closest("#decision").Length() != 1 || notice.NextAllFiltered("#decision-form").Length() != 1 {
		t.Error("the notice is not in the decision panel, above the form")
	}
	text := strings.Join(strings.Fields(notice.Text()), " ")
	for _, want := range []string{"Sent back by Manager Tester on ", f.reasonLabel(t, "return"), "The photo is blurred: look at it again.", "Approve"} {
		if !strings.Contains(text, want) {
			t.Errorf("the notice lacks %q: %s", want, text)
		}
	}

	// Decided again, the notice goes: the new decision waits.
	f.decide(t, f.mc, id, decisions.Approve, "Looked again: the photo is fine.")
	if n := f.mc.Get(t, path).Doc(t).Find("#returned-decision").Length(); n != 0 {
		t.Error("the notice stays once the maker decided again")
	}

	// The admin's settings page says who the second reviewers are.
	admin := f.app.SignIn(t, f.app.CreateUser(t, "admin"))
	s := admin.Get(t, "/admin/review").Doc(t).Find("#four-eyes-who").Text()
	if !strings.Contains(s, "second review by a manager or an admin other than its maker when:") {
		t.Errorf("the settings read %q", s)
	}
}

// TestRefusedDecisionMarksItsFields: the case page that comes back with the decision form's errors
// marks the fields refused (aria-invalid, aria-describedby naming the message) and only them.
func TestRefusedDecisionMarksItsFields(t *testing.T) {
	f := setup(t)
	id := f.claimedCase(t, "2035-01-01")
	// The comment an approval with no finished check needs is there: only the reason is refused.
	r := f.mc.PostForm(t, "/cases/"+id.String()+"/decision", url.Values{"outcome": {"approve"}, "reason": {f.reasons["reject"]},
		"comment": {"Checked the passport by hand."}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("wrong reason: %d", r.Status)
	}
	doc := r.Doc(t)
	reason := doc.Find("#decision-form #reason")
	if reason.AttrOr("aria-invalid", "") != "true" || reason.AttrOr("aria-describedby", "") != "reason-error" || doc.Find("#reason-error").Text() == "" {
		t.Errorf("the reason is not marked: %v", reason.Nodes[0].Attr)
	}
	if n := doc.Find(`#decision-form [aria-invalid]`).Not("#reason").Length(); n != 0 {
		t.Errorf("%d other fields are marked invalid", n)
	}

	var docID string
	_ = f.app.Pool.QueryRow(f.ctx, "SELECT d.id FROM documents d JOIN cases c ON c.customer_id = d.customer_id WHERE c.id = $1", id).Scan(&docID)
	r = f.mc.PostForm(t, "/cases/"+id.String()+"/document-decision", url.Values{"document": {docID}, "outcome": {"new_image"}, "reason": {f.reasons["doc_new_image"]}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("new image without a side: %d", r.Status)
	}
	side := r.Doc(t).Find(`#document-decision-form select[name=side]`)
	if side.AttrOr("aria-invalid", "") != "true" || side.AttrOr("aria-describedby", "") != "side-error" {
		t.Errorf("the side is not marked: %v", side.Nodes[0].Attr)
	}
}
