package decisions_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"kycdesk/internal/cases"
	"kycdesk/internal/decisions"
	"kycdesk/internal/vendors"
	"kycdesk/internal/vendorsettings"
)

// expectedWords is how the pages name the vendors a case expects: "Argos ID recognition and OOTO
// document + selfie".
func expectedWords(names ...vendors.Name) string {
	var out []string
	for _, n := range names {
		out = append(out, vendorsettings.Label(n))
	}
	if len(out) < 2 {
		return strings.Join(out, "")
	}
	return strings.Join(out[:len(out)-1], ", ") + " and " + out[len(out)-1]
}

// TestApprovalWithoutFinishedChecksNeedsAComment: a case that expects vendor checks of which none
// has finished (none run, or one still queued) is not approved without a comment: the refusal is
// the comment field's and names the vendors expected. With a comment, the approval goes to a
// second review under the no_checks rule, and the checker is told which checks were expected. A
// case whose document type has an empty default set of checks expects none: no comment is asked.
func TestApprovalWithoutFinishedChecksNeedsAComment(t *testing.T) {
	f := setup(t)
	f.checkDefaults(t, "argos", "ooto")
	want := "Explain why you approve although no vendor check has finished (expected: " +
		expectedWords(vendors.Argos, vendors.OOTO) + ")."

	id := f.claimedCase(t, "2035-01-01")
	r := f.decide(t, f.mc, id, decisions.Approve, "")
	if got := strings.TrimSpace(r.Doc(t).Find("#comment-error").Text()); r.Status != http.StatusUnprocessableEntity || got != want {
		t.Fatalf("approval with no check and no comment: %d %q, want %q", r.Status, got, want)
	}
	if got := f.status(t, id); got != cases.InReview {
		t.Fatalf("the refused approval moved the case: %s", got)
	}
	// A check still queued has not finished: the same refusal.
	if _, err := f.app.Pool.Exec(f.ctx, `INSERT INTO checks (case_id, document_id, vendor, kind, state, request_key)
		SELECT $1, d.id, 'argos', 'ocr', 'queued', 'test' FROM documents d JOIN cases c ON c.customer_id = d.customer_id WHERE c.id = $1`, id); err != nil {
		t.Fatal(err)
	}
	r = f.decide(t, f.mc, id, decisions.Approve, "   ")
	if got := strings.TrimSpace(r.Doc(t).Find("#comment-error").Text()); r.Status != http.StatusUnprocessableEntity || got != want {
		t.Fatalf("approval with a check queued and a blank comment: %d %q, want %q", r.Status, got, want)
	}

	// With a comment: a second review under the no_checks rule, the expected vendors recorded.
	if r := f.decide(t, f.mc, id, decisions.Approve, "Checked the passport by hand; the vendors are down."); r.Status != http.StatusSeeOther {
		t.Fatalf("approval with a comment: %d", r.Status)
	}
	var rule string
	var raw []byte
	if err := f.app.Pool.QueryRow(f.ctx, "SELECT coalesce(four_eyes_rule, ''), evidence FROM case_decisions WHERE case_id = $1", id).Scan(&rule, &raw); err != nil {
		t.Fatal(err)
	}
	// The stored evidence, as its JSON says it (decisions.Evidence).
	var ev struct {
		Unchecked []string `json:"unchecked"`
		Flags     []string `json:"flags"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	if got := f.status(t, id); got != cases.PendingSecondReview || rule != "no_checks" {
		t.Fatalf("approval with a comment: %s, rule %q", got, rule)
	}
	if strings.Join(ev.Unchecked, ",") != "argos,ooto" || strings.Contains(strings.Join(ev.Flags, ","), "checks_missing") {
		t.Errorf("evidence recorded: unchecked %v, flags %v", ev.Unchecked, ev.Flags)
	}
	seen := f.cc.Get(t, "/cases/"+id.String()).Doc(t).Find("#pending-evidence").Text()
	if !strings.Contains(seen, "No vendor check had finished (expected: "+expectedWords(vendors.Argos, vendors.OOTO)+").") {
		t.Errorf("the checker reads: %q", seen)
	}

	// The admin's default set for passports is empty (other types keep theirs): a passport case
	// expects no check, and its approval asks for no comment on that account.
	if _, err := f.app.Pool.Exec(f.ctx, `UPDATE app_settings SET value = jsonb_set(value, '{passport}', '[]') WHERE key = 'checks.defaults'`); err != nil {
		t.Fatal(err)
	}
	id = f.claimedCase(t, "2035-01-01")
	if r := f.decide(t, f.mc, id, decisions.Approve, ""); r.Status != http.StatusSeeOther {
		t.Fatalf("approval of a case that expects no check: %d %q", r.Status, r.Doc(t).Find("#comment-error").Text())
	}
	if err := f.app.Pool.QueryRow(f.ctx, "SELECT coalesce(four_eyes_rule, ''), evidence FROM case_decisions WHERE case_id = $1", id).Scan(&rule, &raw); err != nil {
		t.Fatal(err)
	}
	ev.Unchecked, ev.Flags = nil, nil
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	// Still no vendor evidence behind it: the four-eyes rule speaks, the comment is not asked.
	if got := f.status(t, id); got != cases.PendingSecondReview || rule != "no_checks" || len(ev.Unchecked) != 0 {
		t.Fatalf("approval of a case that expects no check: %s, rule %q, unchecked %v", got, rule, ev.Unchecked)
	}
}

// TestDecisionPanelHintWithoutFinishedChecks: the decision panel says beforehand what the refusal
// would say: approving a case whose expected checks have not finished needs a comment, naming
// them; with a check finished and passing the hint goes; on a case that expects no check, there
// is none.
func TestDecisionPanelHintWithoutFinishedChecks(t *testing.T) {
	f := setup(t)
	f.checkDefaults(t, "argos", "ooto")
	hint := func(id uuid.UUID) (string, bool) {
		t.Helper()
		r := f.mc.Do(t, htmxGet(t, f, "/cases/"+id.String()+"/decision/panel"))
		if r.Status != http.StatusOK {
			t.Fatalf("the panel: %d", r.Status)
		}
		h := r.Doc(t).Find("#negative-hint-slot #negative-hint")
		return strings.Join(strings.Fields(h.Text()), " "), h.Length() == 1
	}

	id := f.claimedCase(t, "2035-01-01")
	want := "Approving needs a comment: no vendor check has finished (expected: " + expectedWords(vendors.Argos, vendors.OOTO) + ")."
	if got, ok := hint(id); !ok || got != want {
		t.Fatalf("the hint before any check: %q, want %q", got, want)
	}
	// The case page's panel says the same.
	if got := strings.Join(strings.Fields(f.mc.Get(t, "/cases/"+id.String()).Doc(t).Find("#decision #negative-hint").Text()), " "); got != want {
		t.Errorf("the case page's hint: %q", got)
	}
	// Both checks finish and pass: no hint.
	if _, err := f.app.Pool.Exec(f.ctx, `INSERT INTO checks (case_id, document_id, vendor, kind, state, outcome, request_key)
		SELECT $1, d.id, v, 'ocr', 'done', 'pass', 'test' FROM documents d JOIN cases c ON c.customer_id = d.customer_id,
		unnest(ARRAY['argos', 'ooto']) v WHERE c.id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if got, ok := hint(id); ok {
		t.Errorf("the hint with every check passed: %q", got)
	}

	// No default check for passports: nothing expected, no hint.
	if _, err := f.app.Pool.Exec(f.ctx, `UPDATE app_settings SET value = jsonb_set(value, '{passport}', '[]') WHERE key = 'checks.defaults'`); err != nil {
		t.Fatal(err)
	}
	id = f.claimedCase(t, "2035-01-01")
	if got, ok := hint(id); ok {
		t.Errorf("the hint on a case that expects no check: %q", got)
	}
}

// TestApprovalOverFailedChecksNeedsAComment: checks that failed technically (retries spent, no
// result) are no vendor evidence either: with every expected check failed or not run, approving
// needs the same comment, naming the vendors expected.
func TestApprovalOverFailedChecksNeedsAComment(t *testing.T) {
	f := setup(t)
	f.checkDefaults(t, "argos", "ooto")
	id := f.claimedCase(t, "2035-01-01")
	doc := f.documents(t, id)[0]
	f.check(t, id, doc, "argos", "failed", "", "", "", "The vendor could not be reached.")
	want := "no vendor check has finished (expected: " + expectedWords(vendors.Argos, vendors.OOTO) + ")"
	r := f.decide(t, f.mc, id, decisions.Approve, "")
	if got := r.Doc(t).Find("#comment-error").Text(); r.Status != http.StatusUnprocessableEntity || !strings.Contains(got, want) {
		t.Fatalf("approval over a failed check, the other not run: %d %q, want %q in it", r.Status, got, want)
	}
	f.check(t, id, doc, "ooto", "failed", "", "", "", "The vendor could not be reached.")
	r = f.decide(t, f.mc, id, decisions.Approve, "")
	if got := r.Doc(t).Find("#comment-error").Text(); r.Status != http.StatusUnprocessableEntity || !strings.Contains(got, want) {
		t.Fatalf("approval over two failed checks: %d %q, want %q in it", r.Status, got, want)
	}
}
