package decisions_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"kycdesk/internal/checks"
	"kycdesk/internal/testenv"
)

// TestDecisionPanelRefreshesOnChecks: the decision panel has its own address, which the case page
// asks again when a check changes: the checks panel's refresh raises checks.ChecksChanged when the
// checks are no longer as it showed them (and only then), and the panel then holds the flag and
// the hint of the vendor's negative result, where it said before that no vendor check had
// finished. Asked for as a page, the address is the case page.
func TestDecisionPanelRefreshesOnChecks(t *testing.T) {
	f := setup(t)
	id := f.claimedCase(t, "2035-01-01")
	panelURL := "/cases/" + id.String() + "/decision/panel"
	if r := f.mc.Get(t, panelURL); r.Status != http.StatusSeeOther || r.Location != "/cases/"+id.String()+"#decision" {
		t.Fatalf("the panel as a page: %d %q", r.Status, r.Location)
	}
	if r := f.mc.Get(t, "/cases/"+uuid.NewString()+"/decision/panel"); r.Status != http.StatusNotFound {
		t.Fatalf("no such case: %d", r.Status)
	}
	panel := func() testenv.Response {
		t.Helper()
		r := f.mc.Do(t, htmxGet(t, f, panelURL))
		if r.Status != http.StatusOK {
			t.Fatalf("the panel: %d %s", r.Status, r.Body)
		}
		return r
	}
	doc := panel().Doc(t)
	if doc.Find("#decision #decision-form").Length() != 1 || doc.Find("#decision-flags-slot").Length() != 1 ||
		doc.Find("#negative-hint-slot").Length() != 1 || doc.Find("#decision-flags").Length() != 0 || doc.Find("nav, main").Length() != 0 {
		t.Fatalf("the panel alone, with its slots and no flag: %s", panel().Body)
	}
	if hint := doc.Find("#negative-hint-slot #negative-hint").Text(); !strings.Contains(hint, "no vendor check has finished") || strings.Contains(hint, "OOTO") {
		t.Fatalf("the panel's hint before any check: %q", hint)
	}
	page := f.mc.Get(t, "/cases/"+id.String()).Doc(t)
	if got, _ := page.Find("#decision").Attr("hx-get"); got != panelURL {
		t.Errorf("the case page's panel refreshes from %q", got)
	}
	if got, _ := page.Find("#decision").Attr("hx-trigger"); !strings.Contains(got, checks.ChecksChanged+" from:body") {
		t.Errorf("the case page's panel refreshes on %q", got)
	}

	// OOTO is queued: the checks panel polls, saying what it shows.
	var docID uuid.UUID
	var checkID uuid.UUID
	if err := f.app.Pool.QueryRow(f.ctx, `INSERT INTO checks (case_id, document_id, vendor, kind, state, request_key)
		SELECT $1, d.id, 'ooto', 'face_match', 'queued', 'test' FROM documents d JOIN cases c ON c.customer_id = d.customer_id WHERE c.id = $1
		RETURNING document_id, id`, id).Scan(&docID, &checkID); err != nil {
		t.Fatal(err)
	}
	page = f.mc.Get(t, "/cases/"+id.String()).Doc(t)
	poll, ok := page.Find("#checks-" + docID.String()).Attr("hx-get")
	if !ok || !strings.Contains(poll, "?seen=") {
		t.Fatalf("the checks panel polls %q", poll)
	}
	if r := f.mc.Do(t, htmxGet(t, f, poll)); r.Status != http.StatusOK || r.Header.Get("HX-Trigger") != "" {
		t.Fatalf("nothing changed: %d, HX-Trigger %q", r.Status, r.Header.Get("HX-Trigger"))
	}
	if _, err := f.app.Pool.Exec(f.ctx, `UPDATE checks SET state = 'done', outcome = 'fail', finished_at = now() WHERE id = $1`, checkID); err != nil {
		t.Fatal(err)
	}
	r := f.mc.Do(t, htmxGet(t, f, poll))
	if r.Status != http.StatusOK || r.Header.Get("HX-Trigger") != checks.ChecksChanged {
		t.Fatalf("OOTO finished: %d, HX-Trigger %q", r.Status, r.Header.Get("HX-Trigger"))
	}
	if next, ok := r.Doc(t).Find("#checks-" + docID.String()).Attr("hx-get"); ok {
		t.Errorf("the finished checks still poll: %q", next)
	}
	doc = panel().Doc(t)
	if hint := doc.Find("#negative-hint-slot #negative-hint").Text(); !strings.Contains(hint, "OOTO") || strings.Contains(hint, "no vendor check has finished") {
		t.Errorf("the refreshed panel's hint: %q", hint)
	}
	if flags := doc.Find("#decision-flags-slot #decision-flags").Text(); !strings.Contains(flags, "OOTO") {
		t.Errorf("the refreshed panel's flags: %q", flags)
	}
}

func htmxGet(t *testing.T, f *fixture, path string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("GET", f.app.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("HX-Request", "true")
	return req
}
