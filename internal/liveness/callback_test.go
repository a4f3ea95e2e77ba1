package liveness_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"kycdesk/internal/audit"
	"kycdesk/internal/cases"
	"kycdesk/internal/db"
	"kycdesk/internal/liveness"
	"kycdesk/internal/testenv"
	"kycdesk/internal/vendors"
	"kycdesk/internal/vendorsettings"
)

const callbackToken = "artemis-callback-token-0123456789"

// postCallback posts body to Artemis' callback URL with token, as Artemis does (no session, no
// Origin), and returns the status and the answer.
func postCallback(t *testing.T, app *testenv.App, token, body string) (int, string) {
	t.Helper()
	res, err := http.Post(app.URL+"/callbacks/artemis/"+token, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(res.Body)
	return res.StatusCode, b.String()
}

// TestArtemisCallbacks: a callback is heard only with the token the admin set, only from the
// listed addresses; it lands on the customer's case timeline (found by Artemis' customer id, or by
// the profile reference, which is kycdesk's customer id); a repeat is not recorded twice; a
// callback about an unknown customer is kept unlinked; bad bodies are refused.
func TestArtemisCallbacks(t *testing.T) {
	app := testenv.NewApp(t)
	f := newFixture(t, app, 801)
	ctx := context.Background()
	before, err := cases.Get(ctx, db.New(app.Pool), f.caseID)
	if err != nil {
		t.Fatal(err)
	}
	// Without a callback token (and while the simulator answers for Artemis) nothing is heard.
	if st, _ := postCallback(t, app, callbackToken, `{"customerId": 77, "status": "CLEARED"}`); st != http.StatusNotFound {
		t.Fatalf("callback before any token is set: %d", st)
	}
	saveArtemis(t, app, "http://127.0.0.1:1", 5)
	admin := app.CreateUser(t, "admin")
	save := func(allow string) error {
		_, err := app.Server.Settings.Save(ctx, audit.UserActor(admin.ID, admin.Email), vendors.Artemis, "sandbox", vendorsettings.Input{
			Enabled: true, TimeoutSeconds: 5, Concurrency: 4, Config: map[string]string{"callback_allow": allow},
			Secrets: map[string]string{"callback_token": callbackToken}})
		return err
	}
	if err := save("not-an-address"); err == nil {
		t.Fatal("an allow list that is not addresses was saved")
	}
	if _, err := app.Server.Settings.Save(ctx, audit.UserActor(admin.ID, admin.Email), vendors.Artemis, "sandbox", vendorsettings.Input{
		Enabled: true, TimeoutSeconds: 5, Concurrency: 4, Secrets: map[string]string{"callback_token": "short"}}); err == nil {
		t.Fatal("a callback token of 5 characters was saved")
	}
	if err := save("203.0.113.0/24"); err != nil {
		t.Fatal(err)
	}
	app.Exec(t, "UPDATE customers SET artemis_customer_id = 4242 WHERE id = $1", f.customerID)

	if st, _ := postCallback(t, app, "wrong-token-wrong-token-wrong", `{"customerId": 4242, "status": "CLEARED"}`); st != http.StatusNotFound {
		t.Errorf("wrong token: %d", st)
	}
	if st, _ := postCallback(t, app, callbackToken, `{"customerId": 4242, "status": "CLEARED"}`); st != http.StatusForbidden {
		t.Errorf("from an address not listed: %d", st)
	}
	if err := save("203.0.113.0/24, 127.0.0.1"); err != nil {
		t.Fatal(err)
	}

	body := `{"customerId": "4242", "customerReferenceId": "C-99", "profileReferenceId": "` + f.customerID.String() +
		`", "status": "cleared", "riskRating": "LOW", "action": "NONE", "customerType": "INDIVIDUAL", "extra": {"x": 1}}`
	if st, ans := postCallback(t, app, callbackToken, body); st != http.StatusOK || !strings.Contains(ans, liveness.CallbackRecorded) {
		t.Fatalf("callback: %d %s", st, ans)
	}
	// Artemis repeats itself: the same news is answered and not kept again.
	if st, ans := postCallback(t, app, callbackToken, body); st != http.StatusOK || !strings.Contains(ans, liveness.CallbackRepeat) {
		t.Fatalf("repeat: %d %s", st, ans)
	}
	// Found by the profile reference when Artemis' id is not one kycdesk stored.
	if st, ans := postCallback(t, app, callbackToken, `{"profileReferenceId": "`+f.customerID.String()+`", "status": "REQUIRE_UPDATE", "riskRating": "HIGH"}`); st != http.StatusOK ||
		!strings.Contains(ans, liveness.CallbackRecorded) {
		t.Fatalf("by profile reference: %d %s", st, ans)
	}
	var n int
	if err := app.Pool.QueryRow(ctx, "SELECT count(*) FROM audit_events WHERE action = 'artemis.callback' AND case_id = $1", f.caseID).Scan(&n); err != nil || n != 2 {
		t.Fatalf("callbacks on the case's timeline: %d (%v), want 2", n, err)
	}
	page := f.c.Get(t, f.casePath).Doc(t).Find("body").Text()
	for _, want := range []string{"Cynopsis Artemis reported the customer's screening status CLEARED (risk rating LOW; action NONE)",
		"screening status REQUIRE_UPDATE (risk rating HIGH)"} {
		if !strings.Contains(strings.Join(strings.Fields(page), " "), want) {
			t.Errorf("the case page does not say %q", want)
		}
	}
	// Unknown customers are kept, linked to nothing; bad bodies are refused.
	if st, ans := postCallback(t, app, callbackToken, `{"customerId": 999999, "status": "PENDING"}`); st != http.StatusOK || !strings.Contains(ans, liveness.CallbackUnknown) {
		t.Errorf("unknown customer: %d %s", st, ans)
	}
	for _, bad := range []string{`not json`, `[]`, `{"status": "CLEARED"}`} {
		if st, ans := postCallback(t, app, callbackToken, bad); st != http.StatusUnprocessableEntity || !strings.HasPrefix(ans, `{"error":`) {
			t.Errorf("%s: %d %s, want 422 in JSON", bad, st, ans)
		}
	}
	if st, _ := postCallback(t, app, callbackToken, `{"customerId": 1, "status": "`+strings.Repeat("A", 70<<10)+`"}`); st != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over 64 KB: %d", st)
	}
	if st, _ := postCallback(t, app, callbackToken, `{"customerId": 4242, "status": "REJECTED\u0000", "action": "x\ud800"}`); st != http.StatusOK {
		t.Errorf("a NUL and a lone surrogate: %d", st)
	}
	var kept int
	if err := app.Pool.QueryRow(ctx, "SELECT count(*) FROM artemis_callbacks").Scan(&kept); err != nil || kept != 4 {
		t.Errorf("callbacks kept: %d (%v), want 4", kept, err)
	}

	// The callback token is one kycdesk is sent, not one it sends: moving Artemis' address asks for
	// the client secret again, not for it, and callbacks go on being heard.
	if _, err := app.Server.Settings.Save(ctx, audit.UserActor(admin.ID, admin.Email), vendors.Artemis, "sandbox", vendorsettings.Input{
		Enabled: true, TimeoutSeconds: 5, Concurrency: 4, Config: map[string]string{"artemis_url": "http://127.0.0.1:2"},
		Secrets: map[string]string{"client_secret": "a-new-client-secret"}}); err != nil {
		t.Fatalf("moving Artemis with its client secret typed again: %v", err)
	}
	if st, ans := postCallback(t, app, callbackToken, `{"customerId": 4242, "status": "ACCEPTED"}`); st != http.StatusOK || !strings.Contains(ans, liveness.CallbackRecorded) {
		t.Errorf("callback after Artemis moved: %d %s", st, ans)
	}
	// The settings page says where Artemis calls back, and does not say the token is asked for again.
	field := app.SignIn(t, admin).Get(t, "/admin/vendors/artemis/sandbox").Doc(t).Find("#callback_token").Parent()
	if hint := field.Find(".hint").Text(); !strings.Contains(hint, "/callbacks/artemis/") || strings.Contains(hint, "asks for it again") {
		t.Errorf("the callback token's hints: %q", hint)
	}
	// The case's status is Artemis' news, not a decision: it stays where it was.
	if c, _ := cases.Get(ctx, db.New(app.Pool), f.caseID); c.Status != before.Status {
		t.Errorf("case status after the callbacks: %s", c.Status)
	}
}
