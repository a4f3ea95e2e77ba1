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
	f.decide(t, f.mc, id, decisions.Approve, "")
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
