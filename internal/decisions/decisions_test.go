package decisions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	pngenc "image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"kycdesk/internal/apperr"
	"kycdesk/internal/audit"
	"kycdesk/internal/auth"
	"kycdesk/internal/cases"
	"kycdesk/internal/customers"
	"kycdesk/internal/db"
	"kycdesk/internal/decisions"
	"kycdesk/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

type fixture struct {
	app     *testenv.App
	maker   testenv.User
	checker testenv.User
	other   testenv.User
	mc, cc  *testenv.Client
	reasons map[string]string // outcome → a reason id
	ctx     context.Context
}

func setup(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{app: testenv.NewApp(t), ctx: context.Background(), reasons: map[string]string{}}
	f.maker, f.other = f.app.CreateUser(t, "reviewer"), f.app.CreateUser(t, "reviewer")
	f.checker = f.app.CreateUser(t, "manager")
	f.mc, f.cc = f.app.SignIn(t, f.maker), f.app.SignIn(t, f.checker)
	// The fixture's cases expect one vendor's check (Argos), so a test's single passing check is the
	// whole vendor evidence; a test of missing checks sets the defaults it means.
	f.checkDefaults(t, "argos")
	list, err := db.New(f.app.Pool).ListActiveReasons(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range list {
		if f.reasons[r.Outcome] == "" {
			f.reasons[r.Outcome] = r.ID.String()
		}
	}
	return f
}

// checkDefaults sets the vendors checked by default on every document type (the checks a case
// expects).
func (f *fixture) checkDefaults(t *testing.T, vendors ...string) {
	t.Helper()
	m := map[string][]string{}
	for _, d := range customers.DocumentTypes {
		m[d.Value] = vendors
	}
	b, _ := json.Marshal(m)
	if _, err := f.app.Pool.Exec(f.ctx, `INSERT INTO app_settings (key, value) VALUES ('checks.defaults', $1)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, b); err != nil {
		t.Fatal(err)
	}
}

// claimedCase opens a case for a customer and lets the maker claim it.
func (f *fixture) claimedCase(t *testing.T, expiry string) uuid.UUID {
	t.Helper()
	svc := &customers.Service{Pool: f.app.Pool}
	out, err := svc.Create(f.ctx, customers.Origin{Actor: audit.System, Via: "test"}, customers.Input{Surname: "Decide", GivenNames: "Dana",
		DateOfBirth: "1980-01-01", Documents: []customers.DocumentInput{{Type: "passport", Number: "X1", ExpiryDate: expiry}}})
	if err != nil {
		t.Fatal(err)
	}
	if r := f.mc.PostForm(t, "/cases/"+out.Case.ID.String()+"/claim", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("claim: %d", r.Status)
	}
	return out.Case.ID
}

func (f *fixture) status(t *testing.T, id uuid.UUID) cases.Status {
	c, err := db.New(f.app.Pool).GetCase(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return c.Status
}

func (f *fixture) decide(t *testing.T, c *testenv.Client, id uuid.UUID, outcome, comment string) testenv.Response {
	t.Helper()
	return c.PostForm(t, "/cases/"+id.String()+"/decision", url.Values{"outcome": {outcome}, "reason": {f.reasons[outcome]}, "comment": {comment}})
}

func TestEachDecisionPath(t *testing.T) {
	f := setup(t)
	f.app.Pool.Exec(f.ctx, `UPDATE app_settings SET value = '{"always": false, "override_negative": true, "flags": true, "escalated": false, "no_checks": false}' WHERE key = 'four_eyes.rules'`)
	for outcome, want := range map[string]cases.Status{
		decisions.Approve: cases.Approved, decisions.Reject: cases.Rejected,
		decisions.RequestResubmission: cases.AwaitingResubmission, decisions.Escalate: cases.Escalated,
	} {
		id := f.claimedCase(t, "2035-01-01")
		if r := f.decide(t, f.mc, id, outcome, "looks right"); r.Status != http.StatusSeeOther {
			t.Fatalf("%s: %d %s", outcome, r.Status, r.Body)
		}
		if got := f.status(t, id); got != want {
			t.Errorf("%s: case %s, want %s", outcome, got, want)
		}
		var ev string
		_ = f.app.Pool.QueryRow(f.ctx, "SELECT after::text FROM audit_events WHERE action = 'case.decide' AND case_id = $1", id).Scan(&ev)
		if !strings.Contains(ev, `"evidence"`) || !strings.Contains(ev, f.reasonLabel(t, outcome)) {
			t.Errorf("%s: audit row lacks evidence or reason: %s", outcome, ev)
		}
	}
	// Refusals: no outcome, a reason of another outcome, a decided case, a non-assignee.
	id := f.claimedCase(t, "2035-01-01")
	r := f.mc.PostForm(t, "/cases/"+id.String()+"/decision", url.Values{"outcome": {""}})
	if r.Status != http.StatusUnprocessableEntity || r.Doc(t).Find("#outcome-error").Text() == "" {
		t.Fatalf("no outcome: %d", r.Status)
	}
	r = f.mc.PostForm(t, "/cases/"+id.String()+"/decision", url.Values{"outcome": {"approve"}, "reason": {f.reasons["reject"]}, "comment": {"keep me"}})
	if r.Status != http.StatusUnprocessableEntity || r.Doc(t).Find("#reason-error").Text() == "" || r.Doc(t).Find("#comment").Text() != "keep me" {
		t.Fatalf("wrong reason: %d", r.Status)
	}
	oc := f.app.SignIn(t, f.other)
	if r := f.decide(t, oc, id, decisions.Approve, ""); r.Status != http.StatusForbidden {
		t.Fatalf("non-assignee decides: %d", r.Status)
	}
	if r := f.decide(t, f.cc, id, decisions.Approve, ""); r.Status != http.StatusForbidden {
		t.Fatalf("manager (no cases.work) decides: %d", r.Status)
	}
	if f.status(t, id) != cases.InReview {
		t.Fatal("a refused decision changed the case")
	}
}

// TestDecisionsOnACaseAwaitingResubmission: a reviewer who holds a case awaiting the customer's
// resubmission decides it as it stands (claiming it kept it awaiting): reject it when the customer
// never sends anything, approve or escalate it, or renew the request, which records the new
// decision and keeps the case waiting. A four-eyes decision goes to its second review and comes
// back awaiting resubmission, where it was. Only the holder decides.
func TestDecisionsOnACaseAwaitingResubmission(t *testing.T) {
	f := setup(t)
	f.app.Pool.Exec(f.ctx, `UPDATE app_settings SET value = '{"always": false, "override_negative": true, "flags": true, "escalated": false, "no_checks": false}' WHERE key = 'four_eyes.rules'`)
	// awaiting opens a case, asks for a resubmission, and has the maker claim it again.
	awaiting := func() uuid.UUID {
		t.Helper()
		id := f.claimedCase(t, "2035-01-01")
		if r := f.decide(t, f.mc, id, decisions.RequestResubmission, "The photo is blurred."); r.Status != http.StatusSeeOther {
			t.Fatalf("request resubmission: %d %s", r.Status, r.Body)
		}
		if r := f.mc.PostForm(t, "/cases/"+id.String()+"/claim", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("claim: %d", r.Status)
		}
		if got := f.status(t, id); got != cases.AwaitingResubmission {
			t.Fatalf("claimed awaiting case: %s", got)
		}
		return id
	}
	for outcome, want := range map[string]cases.Status{
		decisions.Approve: cases.Approved, decisions.Reject: cases.Rejected,
		decisions.Escalate: cases.Escalated, decisions.RequestResubmission: cases.AwaitingResubmission,
	} {
		id := awaiting()
		page := f.mc.Get(t, "/cases/"+id.String())
		if page.Doc(t).Find("#decision-form").Length() != 1 || page.Doc(t).Find(`#decision-form input[name=outcome][value=`+outcome+`]`).Length() != 1 {
			t.Fatalf("%s: the holder of an awaiting case is not offered the decision", outcome)
		}
		if r := f.decide(t, f.mc, id, outcome, "The customer did not answer."); r.Status != http.StatusSeeOther {
			t.Fatalf("%s from awaiting: %d %s", outcome, r.Status, r.Body)
		}
		c, _ := db.New(f.app.Pool).GetCase(f.ctx, id)
		if c.Status != want {
			t.Errorf("%s from awaiting: case %s, want %s", outcome, c.Status, want)
		}
		if (want == cases.Escalated || want == cases.AwaitingResubmission) && c.AssigneeID != nil {
			t.Errorf("%s from awaiting: still assigned", outcome)
		}
		// The timeline's newest line (this decision) says the case left its holder when it did.
		newest := f.mc.Get(t, "/cases/"+id.String()).Doc(t).Find("ol.timeline > li").First().Text()
		unassigned := strings.Contains(newest, "the case went back to the queue, unassigned")
		if released := want == cases.Escalated || want == cases.AwaitingResubmission; unassigned != released {
			t.Errorf("%s from awaiting: the timeline says the case went back to the queue: %v", outcome, unassigned)
		}
		var n int
		var before, after string
		_ = f.app.Pool.QueryRow(f.ctx, `SELECT count(*), max(before->>'status') FILTER (WHERE after->>'outcome' = $2), max(after->>'status') FILTER (WHERE after->>'outcome' = $2)
			FROM audit_events WHERE action = 'case.decide' AND case_id = $1 AND id > (SELECT min(id) FROM audit_events WHERE action = 'case.decide' AND case_id = $1)`, id, outcome).Scan(&n, &before, &after)
		if n != 1 || before != "awaiting_resubmission" || after != string(want) {
			t.Errorf("%s from awaiting: %d audit rows, %s → %s", outcome, n, before, after)
		}
		if outcome == decisions.RequestResubmission {
			var decided int
			_ = f.app.Pool.QueryRow(f.ctx, "SELECT count(*) FROM case_decisions WHERE case_id = $1 AND outcome = 'request_resubmission' AND state = 'final'", id).Scan(&decided)
			if decided != 2 {
				t.Errorf("a renewed request: %d requests recorded, want 2", decided)
			}
		}
	}

	// Only the holder: another reviewer is refused, and nobody decides an awaiting case unclaimed.
	id := awaiting()
	oc := f.app.SignIn(t, f.other)
	if r := f.decide(t, oc, id, decisions.Reject, ""); r.Status != http.StatusForbidden {
		t.Fatalf("non-holder decides: %d", r.Status)
	}
	if r := f.mc.PostForm(t, "/cases/"+id.String()+"/release", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("release: %d", r.Status)
	}
	f.decide(t, f.mc, id, decisions.Reject, "")
	if got := f.status(t, id); got != cases.AwaitingResubmission {
		t.Fatalf("an unclaimed awaiting case was decided: %s", got)
	}

	// Four-eyes: a rejection goes to a second review; sent back, the case awaits the resubmission
	// again (no document came), held by its maker.
	f.app.Pool.Exec(f.ctx, `UPDATE app_settings SET value = '{"always": true}' WHERE key = 'four_eyes.rules'`)
	id = awaiting()
	if r := f.decide(t, f.mc, id, decisions.Reject, "No answer in 30 days."); r.Status != http.StatusSeeOther {
		t.Fatalf("reject under four-eyes: %d %s", r.Status, r.Body)
	}
	if got := f.status(t, id); got != cases.PendingSecondReview {
		t.Fatalf("reject under four-eyes from awaiting: %s", got)
	}
	if r := f.cc.PostForm(t, "/cases/"+id.String()+"/second-review", url.Values{"action": {"return"}, "reason": {f.reasons["return"]}, "comment": {"Call the customer once."}}); r.Status != http.StatusSeeOther {
		t.Fatalf("return: %d", r.Status)
	}
	c, _ := db.New(f.app.Pool).GetCase(f.ctx, id)
	if c.Status != cases.AwaitingResubmission || c.AssigneeID == nil || *c.AssigneeID != f.maker.ID {
		t.Fatalf("after return: %s %v", c.Status, c.AssigneeID)
	}
	var drift int
	if err := f.app.Pool.QueryRow(f.ctx, `SELECT count(*) FROM case_status_counts k
		WHERE k.n <> (SELECT count(*) FROM cases c WHERE c.status = k.status)`).Scan(&drift); err != nil || drift != 0 {
		t.Fatalf("status counters drifted: %d %v", drift, err)
	}
}

func (f *fixture) reasonLabel(t *testing.T, outcome string) string {
	r, err := db.New(f.app.Pool).GetDecisionReason(f.ctx, uuid.MustParse(f.reasons[outcome]))
	if err != nil {
		t.Fatal(err)
	}
	return r.Label
}

func TestFourEyesRules(t *testing.T) {
	f := setup(t)
	set := func(r decisions.Rules) {
		b, _ := json.Marshal(r)
		if _, err := f.app.Pool.Exec(f.ctx, "UPDATE app_settings SET value = $1 WHERE key = 'four_eyes.rules'", b); err != nil {
			t.Fatal(err)
		}
	}
	// Rule "always".
	set(decisions.Rules{Always: true})
	id := f.claimedCase(t, "2035-01-01")
	// No vendor check has finished on the fixture's cases: an approval says why.
	f.decide(t, f.mc, id, decisions.Approve, "Checked the passport by hand.")
	if f.status(t, id) != cases.PendingSecondReview {
		t.Fatal("always: not pending")
	}
	// The maker cannot confirm their own decision, even with the checker permission...
	admin := f.app.CreateUser(t, "admin")
	ac := f.app.SignIn(t, admin)
	// ...and the database refuses it whatever the application does.
	var decisionID uuid.UUID
	_ = f.app.Pool.QueryRow(f.ctx, "SELECT id FROM case_decisions WHERE case_id = $1", id).Scan(&decisionID)
	if _, err := f.app.Pool.Exec(f.ctx, "UPDATE case_decisions SET checker_id = decided_by, state = 'confirmed' WHERE id = $1", decisionID); err == nil ||
		!strings.Contains(err.Error(), "case_decisions_checker_is_not_maker") {
		t.Fatalf("database accepted maker = checker: %v", err)
	}
	// A reviewer has no checker permission.
	oc := f.app.SignIn(t, f.other)
	if r := oc.PostForm(t, "/cases/"+id.String()+"/second-review", url.Values{"action": {"confirm"}}); r.Status != http.StatusForbidden {
		t.Fatalf("reviewer confirms: %d", r.Status)
	}
	// A different checker sends it back with a reason and a comment, then the maker decides again.
	if r := f.cc.PostForm(t, "/cases/"+id.String()+"/second-review", url.Values{"action": {"return"}, "reason": {f.reasons["return"]}, "comment": {""}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("return without a comment: %d", r.Status)
	}
	if r := f.cc.PostForm(t, "/cases/"+id.String()+"/second-review", url.Values{"action": {"return"}, "reason": {f.reasons["return"]}, "comment": {"Check the photo."}}); r.Status != http.StatusSeeOther {
		t.Fatalf("return: %d", r.Status)
	}
	c, _ := db.New(f.app.Pool).GetCase(f.ctx, id)
	if c.Status != cases.InReview || c.AssigneeID == nil || *c.AssigneeID != f.maker.ID {
		t.Fatalf("after return: %s %v", c.Status, c.AssigneeID)
	}
	f.decide(t, f.mc, id, decisions.Approve, "Looked at the photo again: it is the customer.")
	if r := ac.PostForm(t, "/cases/"+id.String()+"/second-review", url.Values{"action": {"confirm"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("confirm: %d", r.Status)
	}
	if f.status(t, id) != cases.Approved {
		t.Fatal("confirmed decision did not approve")
	}

	// Rule "override a vendor's negative result": a comment is required, and it goes to four-eyes.
	set(decisions.Rules{OverrideNegative: true})
	id = f.claimedCase(t, "2035-01-01")
	if _, err := f.app.Pool.Exec(f.ctx, "UPDATE cases SET vendor_outcome = 'fail' WHERE id = $1", id); err != nil {
		t.Fatal(err)
	}
	r := f.decide(t, f.mc, id, decisions.Approve, "")
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Doc(t).Find("#comment-error").Text(), "negative") {
		t.Fatalf("override without comment: %d", r.Status)
	}
	if got := r.Doc(t).Find("#reason option[selected]").AttrOr("value", ""); got == "" || got != f.reasons[decisions.Approve] {
		t.Errorf("the reason chosen was lost on the refusal: %q", got)
	}
	f.decide(t, f.mc, id, decisions.Approve, "The vendor misread a blurry corner; the document is fine.")
	if f.status(t, id) != cases.PendingSecondReview {
		t.Fatal("override: not pending")
	}
	// Rejecting agrees with the vendor: no second review under this rule.
	id = f.claimedCase(t, "2035-01-01")
	f.app.Pool.Exec(f.ctx, "UPDATE cases SET vendor_outcome = 'fail' WHERE id = $1", id)
	f.decide(t, f.mc, id, decisions.Reject, "")
	if f.status(t, id) != cases.Rejected {
		t.Fatal("reject with a negative vendor result went to four-eyes")
	}

	// Rule "a flag is present": an expired document.
	set(decisions.Rules{Flags: true})
	id = f.claimedCase(t, time.Now().AddDate(-1, 0, 0).Format("2006-01-02"))
	f.decide(t, f.mc, id, decisions.Approve, "The renewal is under way; checked the passport by hand.")
	if f.status(t, id) != cases.PendingSecondReview {
		t.Fatal("flags: expired document not sent to four-eyes")
	}
	page := f.cc.Get(t, "/cases/"+id.String())
	if !strings.Contains(page.Doc(t).Find("#decision-flags").Text(), "expired") || page.Doc(t).Find("#confirm-decision").Length() != 1 {
		t.Fatal("the checker does not see the flag or the confirm button")
	}
	if page := f.mc.Get(t, "/cases/"+id.String()); page.Doc(t).Find("#confirm-decision").Length() != 0 {
		t.Fatal("the maker is offered to confirm their own decision")
	}
	// No rule: straight through.
	set(decisions.Rules{})
	id = f.claimedCase(t, time.Now().AddDate(-1, 0, 0).Format("2006-01-02"))
	f.decide(t, f.mc, id, decisions.Approve, "The renewal is under way; checked the passport by hand.")
	if f.status(t, id) != cases.Approved {
		t.Fatal("no rule: not approved directly")
	}
	// The API reads the final decision.
	token := f.app.CreateAPIToken(t, "t")
	res := f.app.NewClient().API(t, "GET", "/api/v1/cases/"+id.String(), token, "", nil)
	if !strings.Contains(res.Body, `"outcome":"approve"`) {
		t.Fatalf("API decision: %s", res.Body)
	}
}

func TestDocumentDecisions(t *testing.T) {
	f := setup(t)
	id := f.claimedCase(t, "2035-01-01")
	var docID string
	_ = f.app.Pool.QueryRow(f.ctx, "SELECT d.id FROM documents d JOIN cases c ON c.customer_id = d.customer_id WHERE c.id = $1", id).Scan(&docID)
	r := f.mc.PostForm(t, "/cases/"+id.String()+"/document-decision", url.Values{"document": {docID}, "outcome": {"new_image"}, "reason": {f.reasons["doc_new_image"]}})
	if r.Status != http.StatusUnprocessableEntity || r.Doc(t).Find("#side-error").Text() == "" {
		t.Fatalf("new image without a side: %d", r.Status)
	}
	// A refused form comes back as it was sent, the document decision's comment in its own field
	// (not the case decision's), and the sides offered say a passport has no back.
	long := strings.Repeat("x", 4001)
	r = f.mc.PostForm(t, "/cases/"+id.String()+"/document-decision", url.Values{"document": {docID}, "outcome": {"reject"}, "side": {"front"},
		"reason": {f.reasons["doc_reject"]}, "comment": {long}})
	form := r.Doc(t).Find("#document-decision-form")
	if r.Status != http.StatusUnprocessableEntity || r.Doc(t).Find("#doc_comment-error").Text() == "" || r.Doc(t).Find("#comment-error").Length() != 0 {
		t.Fatalf("overlong document comment: %d, errors %q / %q", r.Status, r.Doc(t).Find("#doc_comment-error").Text(), r.Doc(t).Find("#comment-error").Text())
	}
	for sel, want := range map[string]string{"select[name=outcome] option[selected]": "reject", "select[name=side] option[selected]": "front",
		"select[name=reason] option[selected]": f.reasons["doc_reject"], "select[name=document] option[selected]": docID} {
		if got := form.Find(sel).AttrOr("value", ""); got != want {
			t.Errorf("after the refusal %s = %q, want %q", sel, got, want)
		}
	}
	if form.Find("input[name=comment]").AttrOr("value", "") != long || r.Doc(t).Find("#decision-form textarea[name=comment]").Text() != "" {
		t.Error("the document comment was not kept in its own field")
	}
	if form.Find("select[name=document] option[data-no-back]").Length() != 1 {
		t.Error("the passport is not marked as having no back")
	}
	r = f.mc.PostForm(t, "/cases/"+id.String()+"/document-decision", url.Values{"document": {docID}, "outcome": {"new_image"}, "side": {"back"}, "reason": {f.reasons["doc_new_image"]}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Doc(t).Find("#side-error").Text(), "no back side") {
		t.Fatalf("the back of a passport asked for: %d %q", r.Status, r.Doc(t).Find("#side-error").Text())
	}
	r = f.mc.PostForm(t, "/cases/"+id.String()+"/document-decision", url.Values{"document": {docID}, "outcome": {"new_image"}, "side": {"front"}, "reason": {f.reasons["doc_new_image"]}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("document decision: %d %s", r.Status, r.Body)
	}
	page := f.mc.Get(t, "/cases/"+id.String())
	if !strings.Contains(page.Doc(t).Find(".decisions").Text(), "New image requested (front)") {
		t.Fatal("document decision not listed")
	}
	_ = auth.Admin
}

func TestCheckDefaultsAndAutoRun(t *testing.T) {
	app := testenv.NewApp(t)
	admin := app.SignIn(t, app.CreateUser(t, "admin"))
	if r := app.SignIn(t, app.CreateUser(t, "manager")).PostForm(t, "/admin/review/checks", url.Values{}); r.Status != http.StatusForbidden {
		t.Fatalf("manager sets defaults: %d", r.Status)
	}
	if r := admin.PostForm(t, "/admin/review/checks", url.Values{"defaults.passport": {"nope"}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("unknown vendor: %d", r.Status)
	}
	if r := admin.PostForm(t, "/admin/review/checks", url.Values{"defaults.passport": {"argos"}, "auto_run": {"on"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("save: %d", r.Status)
	}
	page := admin.Get(t, "/admin/review")
	if page.Doc(t).Find(`input[name="defaults.passport"][value=argos][checked]`).Length() != 1 ||
		page.Doc(t).Find(`input[name="defaults.passport"][value=ooto][checked]`).Length() != 0 || page.Doc(t).Find("#auto-run[checked]").Length() != 1 {
		t.Fatal("the saved defaults are not shown")
	}
	// A passport arriving through the API gets exactly the default checks, by itself.
	token := app.CreateAPIToken(t, "onboarding")
	api := app.NewClient()
	r := api.API(t, "POST", "/api/v1/customers", token, "application/json", []byte(`{"surname": "Auto", "external_ref": "auto-1"}`))
	var cust struct{ ID string }
	_ = json.Unmarshal([]byte(r.Body), &cust)
	sp := specimenFront(t)
	body, ct := multipart1(t, map[string]string{"type": "passport", "issuing_country": "UTO"}, "front", sp)
	if r := api.API(t, "POST", "/api/v1/customers/"+cust.ID+"/documents", token, ct, body); r.Status != http.StatusCreated {
		t.Fatalf("document: %d %s", r.Status, r.Body)
	}
	var vendorsRun []string
	rows, err := app.Pool.Query(context.Background(), "SELECT vendor FROM checks")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v string
		_ = rows.Scan(&v)
		vendorsRun = append(vendorsRun, v)
	}
	if strings.Join(vendorsRun, ",") != "argos" {
		t.Fatalf("checks run on intake: %v", vendorsRun)
	}
}

// TestSettingsFormsKeepWhatWasTyped: a refused review-settings or reason form comes back with the
// values sent, beside their errors, not with the saved settings.
func TestSettingsFormsKeepWhatWasTyped(t *testing.T) {
	app := testenv.NewApp(t)
	admin := app.SignIn(t, app.CreateUser(t, "admin"))
	r := admin.PostForm(t, "/admin/review/rules", url.Values{"always": {"on"}, "min_age": {"0"}, "low_confidence": {"1.5"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad rules: %d", r.Status)
	}
	doc := r.Doc(t)
	if v, _ := doc.Find("#min_age").Attr("value"); v != "0" {
		t.Errorf("min_age shows %q, want the 0 typed", v)
	}
	if v, _ := doc.Find("#low_confidence").Attr("value"); v != "1.5" {
		t.Errorf("low_confidence shows %q, want the 1.5 typed", v)
	}
	if _, on := doc.Find("input[name=always]").Attr("checked"); !on {
		t.Error("the ticked 'always' box came back unticked")
	}
	if doc.Find("#min_age-error").Text() == "" || doc.Find("#low_confidence-error").Text() == "" {
		t.Error("the fields' errors are missing")
	}
	// A reason that exists already: refused on its field, the typed label and outcome kept.
	form := url.Values{"outcome": {"reject"}, "label": {"Blurry beyond reading"}}
	if r := admin.PostForm(t, "/admin/review/reasons", form); r.Status != http.StatusSeeOther {
		t.Fatalf("new reason: %d", r.Status)
	}
	r = admin.PostForm(t, "/admin/review/reasons", form)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("the same reason again: %d", r.Status)
	}
	doc = r.Doc(t)
	if v, _ := doc.Find("input[name=label]").Attr("value"); v != "Blurry beyond reading" {
		t.Errorf("label shows %q", v)
	}
	if v, _ := doc.Find("select[name=outcome] option[selected]").Attr("value"); v != "reject" {
		t.Errorf("outcome shows %q", v)
	}
}

// A reason is retired or brought back by saying so: anything else is refused, and changes nothing.
func TestReasonActiveMustBeSaid(t *testing.T) {
	app := testenv.NewApp(t)
	admin := app.SignIn(t, app.CreateUser(t, "admin"))
	if r := admin.PostForm(t, "/admin/review/reasons", url.Values{"outcome": {"escalate"}, "label": {"Needs legal"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("new reason: %d", r.Status)
	}
	var id string
	if err := app.Pool.QueryRow(context.Background(), "SELECT id::text FROM decision_reasons WHERE label = 'Needs legal'").Scan(&id); err != nil {
		t.Fatal(err)
	}
	if r := admin.PostForm(t, "/admin/review/reasons/"+id, url.Values{"active": {"maybe"}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("active=maybe: %d", r.Status)
	}
	var active bool
	_ = app.Pool.QueryRow(context.Background(), "SELECT active FROM decision_reasons WHERE id = $1", id).Scan(&active)
	if !active {
		t.Fatal("an unclear request retired the reason")
	}
	if r := admin.PostForm(t, "/admin/review/reasons/"+id, url.Values{"active": {"false"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("retire: %d", r.Status)
	}
}

// Saving the review settings unchanged writes no audit row.
func TestUnchangedSettingsAreNotAudited(t *testing.T) {
	app := testenv.NewApp(t)
	admin := app.SignIn(t, app.CreateUser(t, "admin"))
	form := url.Values{"flags": {"on"}, "min_age": {"21"}, "low_confidence": {"0.5"}}
	count := func() int {
		var n int
		_ = app.Pool.QueryRow(context.Background(), "SELECT count(*) FROM audit_events WHERE action = 'settings.update'").Scan(&n)
		return n
	}
	for i := range 2 {
		if r := admin.PostForm(t, "/admin/review/rules", form); r.Status != http.StatusSeeOther {
			t.Fatalf("save %d: %d", i, r.Status)
		}
	}
	first := count()
	if first == 0 {
		t.Fatal("the first save was not audited")
	}
	if r := admin.PostForm(t, "/admin/review/rules", form); r.Status != http.StatusSeeOther || count() != first {
		t.Fatalf("an unchanged save wrote %d audit rows", count()-first)
	}
}

// TestApprovalNeedsEvidence: with the default rules, a case without any document cannot be
// approved; an approval with no finished vendor check behind it needs a comment and goes to a
// second review, as does the approval of an escalated case.
func TestApprovalNeedsEvidence(t *testing.T) {
	f := setup(t)
	// No document at all: refused on the outcome.
	svc := &customers.Service{Pool: f.app.Pool}
	out, err := svc.Create(f.ctx, customers.Origin{Actor: audit.System, Via: "test"}, customers.Input{Surname: "Nodoc", DateOfBirth: "1980-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	if r := f.mc.PostForm(t, "/cases/"+out.Case.ID.String()+"/claim", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("claim: %d", r.Status)
	}
	r := f.decide(t, f.mc, out.Case.ID, decisions.Approve, "")
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Doc(t).Find("#outcome-error").Text(), "without any document") {
		t.Fatalf("approve without a document: %d %q", r.Status, r.Doc(t).Find("#outcome-error").Text())
	}
	// No vendor check finished: a comment saying why, and a second review.
	id := f.claimedCase(t, "2035-01-01")
	r = f.decide(t, f.mc, id, decisions.Approve, "")
	if got := r.Doc(t).Find("#comment-error").Text(); r.Status != http.StatusUnprocessableEntity || !strings.Contains(got, "no vendor check has finished") {
		t.Fatalf("approval without checks or comment: %d %q", r.Status, got)
	}
	if r := f.decide(t, f.mc, id, decisions.Approve, "Checked the passport by hand."); r.Status != http.StatusSeeOther {
		t.Fatalf("approval without checks, with a comment: %d", r.Status)
	}
	var rule string
	_ = f.app.Pool.QueryRow(f.ctx, "SELECT coalesce(four_eyes_rule, '') FROM case_decisions WHERE case_id = $1", id).Scan(&rule)
	if f.status(t, id) != cases.PendingSecondReview || rule != "no_checks" {
		t.Fatalf("approval without checks: %s, rule %q", f.status(t, id), rule)
	}
	// While it waits, its evidence stays as decided: no edit, no check, no new document.
	var custID, docID string
	_ = f.app.Pool.QueryRow(f.ctx, "SELECT c.customer_id::text, d.id::text FROM cases c JOIN documents d ON d.customer_id = c.customer_id WHERE c.id = $1", id).Scan(&custID, &docID)
	if r := f.mc.PostForm(t, "/customers/"+custID, url.Values{"surname": {"Changed"}, "date_of_birth": {"1980-01-01"}}); r.Status != http.StatusConflict ||
		r.Doc(t).Find(`#customer-form-refused a[href="/cases/`+id.String()+`"]`).Length() != 1 {
		t.Errorf("edit while pending: %d (want the form again with why and the way back to the case)", r.Status)
	}
	if r := f.mc.PostForm(t, "/cases/"+id.String()+"/documents/"+docID+"/checks", url.Values{"vendor": {"ooto"}}); r.Status != http.StatusConflict {
		t.Errorf("checks while pending: %d", r.Status)
	}
	var png bytes.Buffer
	_ = pngenc.Encode(&png, image.NewGray(image.Rect(0, 0, 480, 360))) // readable: at least 320 pixels a side
	files := []customers.File{{Kind: "front", Name: "f.png", Data: png.Bytes()}}
	custUUID := uuid.MustParse(custID)
	if _, _, err := f.app.Server.CustomerService().AddDocument(f.ctx, customers.Origin{Actor: audit.System, Via: "browser"}, custUUID, customers.DocumentInput{Type: "other"}, files); apperr.CodeOf(err) != apperr.Conflict {
		t.Errorf("staff upload while pending: %v", err)
	}
	if _, _, err := f.app.Server.CustomerService().AddDocument(f.ctx, customers.Origin{Actor: audit.System, Via: "api:onboarding"}, custUUID, customers.DocumentInput{Type: "other"}, files); err != nil {
		t.Errorf("the customer's upload through the API while pending: %v", err)
	}
	var surname string
	_ = f.app.Pool.QueryRow(f.ctx, "SELECT surname FROM customers WHERE id = $1", custID).Scan(&surname)
	if surname != "Decide" {
		t.Errorf("the customer changed while pending: %q", surname)
	}
	// Escalated by one reviewer, approved by another: a second review.
	id = f.claimedCase(t, "2035-01-01")
	if _, err := f.app.Pool.Exec(f.ctx, "INSERT INTO checks (case_id, document_id, vendor, kind, state, outcome, request_key) SELECT $1, d.id, 'argos', 'ocr', 'done', 'pass', 'test' FROM documents d JOIN cases c ON c.customer_id = d.customer_id WHERE c.id = $1", id); err != nil {
		t.Fatal(err)
	}
	f.decide(t, f.mc, id, decisions.Escalate, "needs a senior look")
	oc := f.app.SignIn(t, f.other)
	if r := oc.PostForm(t, "/cases/"+id.String()+"/claim", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("claim the escalated case: %d", r.Status)
	}
	// An escalated case is not offered a resubmission, and one sent all the same is refused on the
	// form with what was typed kept: the case would come back unescalated, without its second review.
	page := oc.Get(t, "/cases/"+id.String())
	if page.Doc(t).Find(`#decision-form input[name=outcome]`).Length() == 0 ||
		page.Doc(t).Find(`#decision-form input[name=outcome][value=request_resubmission]`).Length() != 0 {
		t.Error("the escalated case's decision form offers a resubmission (or no outcome at all)")
	}
	if keys := page.Doc(t).Find("#decision-keys").Text(); keys != "Keys: a approve · r reject" {
		t.Errorf("the escalated case's keyboard hint: %q", keys)
	}
	if page.Doc(t).Find(`#decision-form optgroup[data-outcome=request_resubmission], #decision-form optgroup[data-outcome=escalate]`).Length() != 0 {
		t.Error("the escalated case's reasons offer those of outcomes it does not offer")
	}
	res := oc.PostForm(t, "/cases/"+id.String()+"/decision", url.Values{"outcome": {decisions.RequestResubmission},
		"reason": {f.reasons[decisions.RequestResubmission]}, "comment": {"The photo is blurred."}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Doc(t).Find("#outcome-error").Text(), "escalated case cannot wait") ||
		!strings.Contains(res.Doc(t).Find("#decision-form textarea[name=comment]").Text(), "The photo is blurred.") {
		t.Fatalf("resubmission of an escalated case: %d, error %q", res.Status, res.Doc(t).Find("#outcome-error").Text())
	}
	if f.status(t, id) != cases.Escalated {
		t.Fatalf("after the refused resubmission the case is %s", f.status(t, id))
	}
	f.decide(t, oc, id, decisions.Approve, "")
	_ = f.app.Pool.QueryRow(f.ctx, "SELECT coalesce(four_eyes_rule, '') FROM case_decisions WHERE case_id = $1 AND outcome = 'approve'", id).Scan(&rule)
	if f.status(t, id) != cases.PendingSecondReview || rule != "escalated" {
		t.Fatalf("approval of an escalated case: %s, rule %q", f.status(t, id), rule)
	}
}

// A refused case decision names every field that is wrong at once: the missing reason and the
// comment an override requires, not the first of them and then the next on the next submit.
func TestCaseDecisionRefusalNamesEveryField(t *testing.T) {
	f := setup(t)
	b, _ := json.Marshal(decisions.Rules{OverrideNegative: true})
	if _, err := f.app.Pool.Exec(f.ctx, "UPDATE app_settings SET value = $1 WHERE key = 'four_eyes.rules'", b); err != nil {
		t.Fatal(err)
	}
	id := f.claimedCase(t, "2035-01-01")
	if _, err := f.app.Pool.Exec(f.ctx, "UPDATE cases SET vendor_outcome = 'fail' WHERE id = $1", id); err != nil {
		t.Fatal(err)
	}
	r := f.mc.PostForm(t, "/cases/"+id.String()+"/decision", url.Values{"outcome": {decisions.Approve}, "reason": {""}, "comment": {""}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("approve without reason or comment: %d", r.Status)
	}
	doc := r.Doc(t)
	if got := doc.Find("#reason-error").Text(); !strings.Contains(got, "Choose a reason") {
		t.Errorf("reason's error: %q", got)
	}
	if got := doc.Find("#comment-error").Text(); !strings.Contains(got, "negative") {
		t.Errorf("comment's error: %q", got)
	}
	if f.status(t, id) != cases.InReview {
		t.Fatalf("the refused decision moved the case: %s", f.status(t, id))
	}
}

// TestDisablingAUserReturnsTheirCasesToTheQueue: an admin disabling a reviewer sends the open
// cases they hold back to the queue, unassigned, each release on the case's record, and says so;
// a decision of theirs waiting for its second review stays theirs, and sent back, its case goes
// back to the queue rather than to the disabled maker.
func TestDisablingAUserReturnsTheirCasesToTheQueue(t *testing.T) {
	f := setup(t)
	admin := f.app.SignIn(t, f.app.CreateUser(t, "admin"))
	held := f.claimedCase(t, "2030-01-01")
	f.app.Pool.Exec(f.ctx, `UPDATE app_settings SET value = '{"always": true}' WHERE key = 'four_eyes.rules'`)
	pending := f.claimedCase(t, "2030-01-01")
	if r := f.decide(t, f.mc, pending, decisions.Reject, "The photo is of a screen."); r.Status != http.StatusSeeOther || f.status(t, pending) != cases.PendingSecondReview {
		t.Fatalf("reject under four-eyes: %d %s", r.Status, f.status(t, pending))
	}
	if r := admin.PostForm(t, "/admin/users/"+f.maker.ID.String()+"/disable", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("disable: %d", r.Status)
	}
	said := admin.Get(t, "/admin/users/"+f.maker.ID.String()).Body
	for _, want := range []string{"The open case they held went back to the queue, unassigned.", "One decision of theirs waits for its second review"} {
		if !strings.Contains(said, want) {
			t.Errorf("the admin is not told %q", want)
		}
	}
	c, _ := db.New(f.app.Pool).GetCase(f.ctx, held)
	if c.Status != cases.New || c.AssigneeID != nil {
		t.Fatalf("the disabled reviewer's case in review: %s, assignee %v", c.Status, c.AssigneeID)
	}
	if got := f.app.AuditActions(t, "case", held.String()); len(got) == 0 || got[0] != "case.release" {
		t.Fatalf("the release is not on the case's record: %v", got)
	}
	oc := f.app.SignIn(t, f.other)
	if page := oc.Get(t, "/cases/"+held.String()).Body; !strings.Contains(page, "who held it, was disabled") {
		t.Error("the case's timeline does not say why it was released")
	}
	c, _ = db.New(f.app.Pool).GetCase(f.ctx, pending)
	if c.Status != cases.PendingSecondReview || c.AssigneeID == nil || *c.AssigneeID != f.maker.ID {
		t.Fatalf("the pending decision's case: %s, assignee %v", c.Status, c.AssigneeID)
	}
	if r := f.cc.PostForm(t, "/cases/"+pending.String()+"/second-review", url.Values{"action": {"return"}, "reason": {f.reasons["return"]},
		"comment": {"Look at the photo again."}}); r.Status != http.StatusSeeOther {
		t.Fatalf("return: %d %s", r.Status, r.Body)
	}
	c, _ = db.New(f.app.Pool).GetCase(f.ctx, pending)
	if c.Status != cases.New || c.AssigneeID != nil {
		t.Fatalf("sent back to a disabled maker: %s, assignee %v", c.Status, c.AssigneeID)
	}
	if page := oc.Get(t, "/cases/"+pending.String()).Body; !strings.Contains(page, "its maker is disabled, so the case went back to the queue") {
		t.Error("the case's timeline does not say why the sent-back case went to the queue")
	}
	if r := oc.PostForm(t, "/cases/"+pending.String()+"/claim", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("another reviewer takes the case sent back: %d", r.Status)
	}
	var drift int
	if err := f.app.Pool.QueryRow(f.ctx, `SELECT count(*) FROM case_status_counts k
		WHERE k.n <> (SELECT count(*) FROM cases c WHERE c.status = k.status)`).Scan(&drift); err != nil || drift != 0 {
		t.Fatalf("status counters drifted: %d %v", drift, err)
	}
}

// TestDemotingAUserReturnsTheirCasesToTheQueue: a reviewer made a manager (a role that does not
// work cases) can no longer act on the cases they hold: the open ones go back to the queue, as on
// a disabling, and the admin and the cases' timelines say so; a decision of theirs waiting for
// its second review, sent back, goes to the queue; they cannot claim a case any more; and a case
// held from before offers them no release.
func TestDemotingAUserReturnsTheirCasesToTheQueue(t *testing.T) {
	f := setup(t)
	admin := f.app.SignIn(t, f.app.CreateUser(t, "admin"))
	held := f.claimedCase(t, "2030-01-01")
	f.app.Pool.Exec(f.ctx, `UPDATE app_settings SET value = '{"always": true}' WHERE key = 'four_eyes.rules'`)
	pending := f.claimedCase(t, "2030-01-01")
	if r := f.decide(t, f.mc, pending, decisions.Reject, "The photo is of a screen."); r.Status != http.StatusSeeOther || f.status(t, pending) != cases.PendingSecondReview {
		t.Fatalf("reject under four-eyes: %d %s", r.Status, f.status(t, pending))
	}
	if r := admin.PostForm(t, "/admin/users/"+f.maker.ID.String()+"/role", url.Values{"role": {"manager"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("role change: %d %s", r.Status, r.Body)
	}
	if said := admin.Get(t, "/admin/users/"+f.maker.ID.String()).Body; !strings.Contains(said, "The open case they held went back to the queue, unassigned: their new role does not work cases.") {
		t.Error("the admin is not told the held case went back to the queue")
	}
	c, _ := db.New(f.app.Pool).GetCase(f.ctx, held)
	if c.Status != cases.New || c.AssigneeID != nil {
		t.Fatalf("the demoted reviewer's case in review: %s, assignee %v", c.Status, c.AssigneeID)
	}
	if got := f.app.AuditActions(t, "case", held.String()); len(got) == 0 || got[0] != "case.release" {
		t.Fatalf("the release is not on the case's record: %v", got)
	}
	oc := f.app.SignIn(t, f.other)
	if page := oc.Get(t, "/cases/"+held.String()).Body; !strings.Contains(page, "was given the manager role, which does not work cases") {
		t.Error("the case's timeline does not say why it was released")
	}
	if r := f.cc.PostForm(t, "/cases/"+pending.String()+"/second-review", url.Values{"action": {"return"}, "reason": {f.reasons["return"]},
		"comment": {"Look at the photo again."}}); r.Status != http.StatusSeeOther {
		t.Fatalf("return: %d %s", r.Status, r.Body)
	}
	c, _ = db.New(f.app.Pool).GetCase(f.ctx, pending)
	if c.Status != cases.New || c.AssigneeID != nil {
		t.Fatalf("sent back to a maker who no longer works cases: %s, assignee %v", c.Status, c.AssigneeID)
	}
	if page := oc.Get(t, "/cases/"+pending.String()).Body; !strings.Contains(page, "its maker no longer works cases, so the case went back to the queue") {
		t.Error("the case's timeline does not say why the sent-back case went to the queue")
	}
	if r := f.mc.PostForm(t, "/cases/"+held.String()+"/claim", nil); r.Status == http.StatusSeeOther {
		t.Fatal("a manager claimed a case")
	}
	// A case a manager holds from before (demoted before their cases were released) offers them
	// no release, which their role would refuse.
	f.app.Exec(t, `UPDATE cases SET assignee_id = $1, status = 'in_review' WHERE id = $2`, f.maker.ID, held)
	if doc := f.mc.Get(t, "/cases/"+held.String()).Doc(t); doc.Find(`form[action$="/release"]`).Length() != 0 {
		t.Error("a manager is offered to release a case")
	}
	var drift int
	if err := f.app.Pool.QueryRow(f.ctx, `SELECT count(*) FROM case_status_counts k
		WHERE k.n <> (SELECT count(*) FROM cases c WHERE c.status = k.status)`).Scan(&drift); err != nil || drift != 0 {
		t.Fatalf("status counters drifted: %d %v", drift, err)
	}
}
