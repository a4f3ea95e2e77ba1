package checks_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"kycdesk/internal/audit"
	"kycdesk/internal/specimen"
	"kycdesk/internal/testenv"
	"kycdesk/internal/vendors"
	"kycdesk/internal/vendorsettings"
)

// storedCalls is everything kept of the vendor calls of caseID (every call with no case when nil),
// and the ids of those calls.
func storedCalls(t *testing.T, app *testenv.App, caseID *uuid.UUID) (string, []int64) {
	t.Helper()
	rows, err := app.Pool.Query(context.Background(), `SELECT id, endpoint || E'\n' || vendor_code || E'\n' || meaning || E'\n' || error || E'\n' ||
		encode(coalesce(body, ''), 'escape') FROM vendor_calls WHERE case_id IS NOT DISTINCT FROM $1 ORDER BY id`, caseID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var all strings.Builder
	var ids []int64
	for rows.Next() {
		var id int64
		var text string
		if err := rows.Scan(&id, &text); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		all.WriteString(text + "\n")
	}
	return all.String(), ids
}

// noSecret fails the test when text holds one of secrets.
func noSecret(t *testing.T, where, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s holds the secret %q", where, s)
		}
	}
}

// TestVendorEchoingItsKeyIsStoredRedacted: Argos (the simulator, configured as a real vendor with
// its key) answers with an error whose message quotes the key, and more of it under names the key
// redaction did not know (x-api-key, accessToken). What is stored of the call (body, meaning,
// code) and what the reviewer's pages show (the raw call, the check's reason, the case page) hold
// "[redacted]" where the key was; so do the calls of the admin's connection test.
func TestVendorEchoingItsKeyIsStoredRedacted(t *testing.T) {
	app := testenv.NewApp(t)
	ctx := context.Background()
	admin := app.CreateUser(t, "admin")
	sim := app.Server.Sim.Settings(app.URL + "/sim").Argos
	key := sim.APIKey
	in := vendorsettings.Input{Enabled: true, Config: map[string]string{"base_url": sim.BaseURL, "path": sim.Path, "mode": "sync"},
		Secrets: map[string]string{"api_key": key}, TimeoutSeconds: 30, Concurrency: 4}
	if _, err := app.Server.Settings.Save(ctx, audit.UserActor(admin.ID, admin.Email), vendors.Argos, "sandbox", in); err != nil {
		t.Fatal(err)
	}
	echo, _ := json.Marshal(map[string]any{"errorCode": "9999", "message": "Request refused: your key was " + key + ".",
		"request": map[string]any{"headers": map[string]string{"x-api-key": key, "Accept": "application/json"}, "accessToken": key, "app-key": key}})
	fault := vendors.Fault{Kind: vendors.FaultStatus, Status: http.StatusBadRequest, Body: string(echo), Count: 1}

	app.Server.Sim.Argos.Faults.Inject(fault)
	rev := app.SignIn(t, app.CreateUser(t, "reviewer"))
	caseID, docID := demoCase(t, app, 3301, specimen.Options{})
	runChecks(t, app, rev, caseID, docID, "argos")
	ar := wait(t, app, caseID, 1)["argos"]
	if ar.Code != "9999" || !strings.Contains(ar.Reason, "your key was [redacted]") {
		t.Errorf("the check: code %q, reason %q; want the vendor's words with the key redacted", ar.Code, ar.Reason)
	}
	noSecret(t, "the check's reason", ar.Reason, key)
	stored, ids := storedCalls(t, app, &caseID)
	if len(ids) == 0 || !strings.Contains(stored, "your key was [redacted]") {
		t.Fatalf("the stored calls (%d) do not say what the vendor said, redacted:\n%s", len(ids), stored)
	}
	noSecret(t, "a stored call", stored, key)
	for _, id := range ids {
		page := rev.Get(t, "/vendor-calls/"+itoa(id))
		if page.Status != http.StatusOK {
			t.Fatalf("/vendor-calls/%d: %d", id, page.Status)
		}
		noSecret(t, "the raw call page", page.Body, key)
	}
	noSecret(t, "the case page", rev.Get(t, "/cases/"+caseID.String()).Body, key)
	noSecret(t, "the checks panel", rev.Get(t, "/cases/"+caseID.String()+"/documents/"+docID.String()+"/checks").Body, key)

	// The admin's connection test records its call too (with no case).
	app.Server.Sim.Argos.Faults.Inject(fault)
	ac := app.SignIn(t, admin)
	res := ac.PostForm(t, "/admin/vendors/argos/sandbox/test", url.Values{}, "HX-Request", "true")
	if res.Status != http.StatusOK {
		t.Fatalf("connection test: %d", res.Status)
	}
	noSecret(t, "the connection test's answer", res.Body, key)
	stored, ids = storedCalls(t, app, nil)
	if len(ids) == 0 || !strings.Contains(stored, "[redacted]") {
		t.Fatalf("the connection test's calls (%d):\n%s", len(ids), stored)
	}
	noSecret(t, "a connection test's stored call", stored, key)
}

// TestVendorEchoingItsTokensIsStoredRedacted: the tokens a client obtains are secrets as its
// credentials are: Apptenticate logs kycdesk in, then refuses the document quoting the access
// token, the refresh token and the password in plain text; none of them is stored.
func TestVendorEchoingItsTokensIsStoredRedacted(t *testing.T) {
	app := testenv.NewApp(t)
	ctx := context.Background()
	const access, refresh, password = "tok-access-Q7f3kP29", "tok-refresh-Zx81mW44", "pw-Hq28vLs0"
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/token/"):
			_, _ = w.Write([]byte(`{"access": "` + access + `", "refresh": "` + refresh + `"}`))
		default:
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"detail": "` + r.Header.Get("Authorization") + ` (refresh ` + refresh + `, password ` + password + `) may not read documents."}`))
		}
	}))
	t.Cleanup(vendor.Close)
	admin := app.CreateUser(t, "admin")
	in := vendorsettings.Input{Enabled: true, Config: map[string]string{"base_url": vendor.URL, "username": "kycdesk"},
		Secrets: map[string]string{"password": password}, TimeoutSeconds: 30, Concurrency: 4}
	if _, err := app.Server.Settings.Save(ctx, audit.UserActor(admin.ID, admin.Email), vendors.Apptenticate, "sandbox", in); err != nil {
		t.Fatal(err)
	}
	rev := app.SignIn(t, app.CreateUser(t, "reviewer"))
	caseID, docID := demoCase(t, app, 3302, specimen.Options{})
	runChecks(t, app, rev, caseID, docID, "apptenticate")
	ap := wait(t, app, caseID, 1)["apptenticate"]
	noSecret(t, "the check's reason", ap.Reason, access, refresh, password)
	stored, ids := storedCalls(t, app, &caseID)
	if len(ids) < 2 || !strings.Contains(stored, "may not read documents") {
		t.Fatalf("the stored calls (%d) do not hold the vendor's answer:\n%s", len(ids), stored)
	}
	noSecret(t, "a stored call", stored, access, refresh, password)
	for _, id := range ids {
		noSecret(t, "the raw call page", rev.Get(t, "/vendor-calls/"+itoa(id)).Body, access, refresh, password)
	}
}
