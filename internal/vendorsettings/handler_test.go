package vendorsettings_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"kycdesk/internal/config"
	"kycdesk/internal/simulator"
	"kycdesk/internal/testenv"
	"kycdesk/internal/vendors"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// simForm is a complete form for vendor v pointing at the app's built-in simulator (mounted at
// /sim) with its credentials; secret is the value of the integration's one secret.
func simForm(app *testenv.App, v vendors.Name, secret string) url.Values {
	base := app.URL + "/sim"
	f := url.Values{"enabled": {"on"}, "timeout_seconds": {"20"}, "concurrency": {"2"}}
	switch v {
	case vendors.CynopsisOCR, vendors.Artemis:
		f.Set("auth_url", base+simulator.CynopsisPrefix)
		f.Set("client_id", simulator.CynopsisClientID)
		f.Set("client_secret", secret)
		f.Set("domain_id", strconv.FormatInt(simulator.CynopsisDomainID, 10))
		if v == vendors.CynopsisOCR {
			f.Set("ocr_url", base+simulator.CynopsisPrefix)
		} else {
			f.Set("artemis_url", base+simulator.CynopsisPrefix)
		}
	case vendors.Apptenticate:
		f.Set("base_url", base+simulator.ApptenticatePrefix)
		f.Set("username", simulator.ApptenticateUsername)
		f.Set("password", secret)
	case vendors.Argos:
		f.Set("base_url", base+simulator.ArgosPrefix)
		f.Set("api_key", secret)
	case vendors.OOTO:
		f.Set("base_url", base+simulator.OOTOPrefix)
		f.Set("app_id", simulator.OOTOAppID)
		f.Set("app_key", secret)
	}
	return f
}

// simSecret is the simulator's value of v's secret.
func simSecret(v vendors.Name) string {
	switch v {
	case vendors.CynopsisOCR, vendors.Artemis:
		return simulator.CynopsisClientSecret
	case vendors.Apptenticate:
		return simulator.ApptenticatePassword
	case vendors.Argos:
		return simulator.ArgosAPIKey
	}
	return simulator.OOTOAppKey
}

func TestOnlyAdminsReachTheVendorPages(t *testing.T) {
	app := testenv.NewApp(t)
	for _, role := range []string{"reviewer", "manager"} {
		c := app.SignIn(t, app.CreateUser(t, role))
		for _, path := range []string{"/admin/vendors", "/admin/vendors/cynopsis_ocr/sandbox"} {
			if res := c.Get(t, path); res.Status != http.StatusForbidden {
				t.Errorf("%s GET %s: %d", role, path, res.Status)
			}
		}
		for _, path := range []string{"/admin/vendors/environment", "/admin/vendors/cynopsis_ocr/sandbox", "/admin/vendors/cynopsis_ocr/sandbox/test"} {
			if res := c.PostForm(t, path, simForm(app, vendors.CynopsisOCR, "x-secret")); res.Status != http.StatusForbidden {
				t.Errorf("%s POST %s: %d", role, path, res.Status)
			}
		}
		if res := c.Get(t, "/cases"); strings.Contains(res.Body, `href="/admin/vendors"`) {
			t.Errorf("%s sees the Vendors menu entry", role)
		}
	}
	if n := len(app.AuditActions(t, "vendor_settings", "cynopsis_ocr/sandbox")); n != 0 {
		t.Fatalf("refused requests left %d audit events", n)
	}
	admin := app.SignIn(t, app.CreateUser(t, "admin"))
	res := admin.Get(t, "/admin/vendors")
	if res.Status != http.StatusOK || !strings.Contains(res.Body, `href="/admin/vendors"`) {
		t.Fatalf("admin: %d", res.Status)
	}
	doc := res.Doc(t)
	if n := doc.Find("#vendors tbody tr").Length(); n != 10 {
		t.Fatalf("overview rows: %d, want 5 integrations × 2 environments", n)
	}
	// Nothing is configured: the simulator answers in the active (sandbox) environment.
	if got := doc.Find(`tr[data-vendor=apptenticate][data-env=sandbox] td.answers`).Text(); !strings.Contains(got, "simulator answers") {
		t.Fatalf("sandbox row: %q", got)
	}
	if got := doc.Find(`tr[data-vendor=apptenticate][data-env=production] td.answers`).Text(); !strings.Contains(got, "not the active") {
		t.Fatalf("production row: %q", got)
	}
	for _, path := range []string{"/admin/vendors/nobody/sandbox", "/admin/vendors/argos/staging"} {
		if res := admin.Get(t, path); res.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d", path, res.Status)
		}
	}
}

func TestSaveRefusesBadSettingsAndKeepsWhatWasTyped(t *testing.T) {
	app := testenv.NewApp(t)
	c := app.SignIn(t, app.CreateUser(t, "admin"))
	const secret = "typed-secret-Zq81xv"
	form := url.Values{
		"auth_url": {"http://crm.cynopsis.example"}, "ocr_url": {"https://d1.cynopsis.example:99999"}, "client_id": {""},
		"client_secret": {secret}, "domain_id": {"tenant-7"}, "token_path": {"oauth/token"},
		"enabled": {"on"}, "timeout_seconds": {"900"}, "concurrency": {"3"},
	}
	res := c.PostForm(t, "/admin/vendors/cynopsis_ocr/production", form)
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", res.Status)
	}
	doc := res.Doc(t)
	for field, want := range map[string]string{
		"auth_url":        "Use https",
		"ocr_url":         "port must be a number from 1 to 65535",
		"client_id":       "Required to enable",
		"domain_id":       "whole number",
		"token_path":      "starts with /",
		"timeout_seconds": "1 to 600",
	} {
		if got := doc.Find("#" + field + "-error").Text(); !strings.Contains(got, want) {
			t.Errorf("%s error %q, want %q", field, got, want)
		}
	}
	for field, want := range map[string]string{"auth_url": "http://crm.cynopsis.example", "ocr_url": "https://d1.cynopsis.example:99999",
		"domain_id": "tenant-7", "timeout_seconds": "900", "concurrency": "3"} {
		if got, _ := doc.Find("#" + field).Attr("value"); got != want {
			t.Errorf("%s kept as %q, want %q", field, got, want)
		}
	}
	if _, checked := doc.Find("#enabled").Attr("checked"); !checked {
		t.Error("enabled box not kept")
	}
	if strings.Contains(res.Body, secret) {
		t.Fatal("the typed secret came back in the page")
	}
	if v, _ := doc.Find("#client_secret").Attr("value"); v != "" || doc.Find("#secret-not-kept").Length() != 1 {
		t.Fatalf("secret input %q; notice shown: %d", v, doc.Find("#secret-not-kept").Length())
	}
	// Nothing was stored.
	if st, err := app.Server.Settings.Get(context.Background(), vendors.CynopsisOCR, "production"); err != nil || st.Exists {
		t.Fatalf("settings stored after errors: %+v %v", st, err)
	}
	// Plain http is fine for the sandbox on this machine (the simulator), not for another host.
	sandbox := simForm(app, vendors.CynopsisOCR, secret)
	if res := c.PostForm(t, "/admin/vendors/cynopsis_ocr/sandbox", sandbox); res.Status != http.StatusSeeOther {
		t.Fatalf("loopback http in sandbox: %d %s", res.Status, res.Doc(t).Find(".error").Text())
	}
	// Typing a new secret and ticking "clear" at once is refused.
	both := simForm(app, vendors.CynopsisOCR, "another-secret")
	both.Set("clear", "client_secret")
	res = c.PostForm(t, "/admin/vendors/cynopsis_ocr/sandbox", both)
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Doc(t).Find("#client_secret-error").Text(), "not both") {
		t.Fatalf("new value and clear: %d", res.Status)
	}
	if strings.Contains(res.Body, "another-secret") || strings.Contains(res.Body, secret) {
		t.Fatal("a secret was rendered back")
	}
}

func TestProductionServerRefusesPlainHTTPInSandboxToo(t *testing.T) {
	app := testenv.NewApp(t)
	app.Server.Settings.Production = true
	c := app.SignIn(t, app.CreateUser(t, "admin"))
	res := c.PostForm(t, "/admin/vendors/argos/sandbox", url.Values{"base_url": {"http://argos.example"}, "timeout_seconds": {"60"}, "concurrency": {"4"}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Doc(t).Find("#base_url-error").Text(), "https") {
		t.Fatalf("http URL on a production server: %d", res.Status)
	}
}

func TestSavedSecretIsNeverShownLoggedOrStoredInClear(t *testing.T) {
	app := testenv.NewApp(t, func(c *config.Config) { c.LogLevel = "debug" })
	admin := app.CreateUser(t, "admin")
	c := app.SignIn(t, admin)
	const secret = "never-show-me-9f3Kq2"
	form := simForm(app, vendors.Apptenticate, secret)
	res := c.PostForm(t, "/admin/vendors/apptenticate/sandbox", form)
	if res.Status != http.StatusSeeOther || res.Location != "/admin/vendors/apptenticate/sandbox" {
		t.Fatalf("save: %d → %q", res.Status, res.Location)
	}
	var pages []string
	res = c.Get(t, res.Location)
	pages = append(pages, res.Body)
	doc := res.Doc(t)
	if !strings.Contains(doc.Find(".flash-ok").Text(), "saved") {
		t.Errorf("no flash after saving: %q", doc.Find(".flash").Text())
	}
	if got := doc.Find("#password-status").Text(); !strings.Contains(got, "set on") || !strings.Contains(got, "••••") {
		t.Errorf("secret status %q", got)
	}
	if v, _ := doc.Find("#password").Attr("value"); v != "" {
		t.Errorf("password input carries %q", v)
	}
	if v, _ := doc.Find("#username").Attr("value"); v != simulator.ApptenticateUsername {
		t.Errorf("username %q", v)
	}
	// Saving again without typing the secret keeps it.
	form.Set("password", "")
	form.Set("device", "IOS")
	if res := c.PostForm(t, "/admin/vendors/apptenticate/sandbox", form); res.Status != http.StatusSeeOther {
		t.Fatalf("save without the secret: %d", res.Status)
	}
	r, err := app.Server.Settings.ResolveEnv(context.Background(), vendors.Apptenticate, "sandbox")
	if err != nil || r.Values["password"] != secret || r.Values["device"] != "IOS" || r.Simulated {
		t.Fatalf("resolved: %+v %v", r.Values, err)
	}
	// An error page after it was set, the overview, a full-page connection test.
	bad := url.Values{"base_url": {"ftp://nowhere"}, "timeout_seconds": {"60"}, "concurrency": {"4"}, "enabled": {"on"}}
	if res := c.PostForm(t, "/admin/vendors/apptenticate/sandbox", bad); res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad URL: %d", res.Status)
	} else {
		pages = append(pages, res.Body)
	}
	pages = append(pages, c.Get(t, "/admin/vendors").Body)
	res = c.PostForm(t, "/admin/vendors/apptenticate/sandbox/test", url.Values{})
	if res.Status != http.StatusOK {
		t.Fatalf("test: %d", res.Status)
	}
	pages = append(pages, res.Body)
	for i, p := range pages {
		if strings.Contains(p, secret) {
			t.Errorf("page %d shows the secret", i)
		}
	}
	// The audit rows name the secret that changed, never its value.
	var audit string
	if err := app.Pool.QueryRow(context.Background(),
		`SELECT string_agg(action || coalesce(before::text, '') || coalesce(after::text, ''), E'\n') FROM audit_events WHERE subject_type = 'vendor_settings'`).Scan(&audit); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(audit, secret) || !strings.Contains(audit, `"secrets_changed": ["password"]`) || !strings.Contains(audit, "vendor_settings.test") {
		t.Errorf("audit rows: %s", audit)
	}
	// At rest the column holds ciphertext.
	var raw []byte
	if err := app.Pool.QueryRow(context.Background(), `SELECT secrets FROM vendor_settings WHERE vendor = 'apptenticate' AND environment = 'sandbox'`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if len(raw) == 0 || strings.Contains(string(raw), secret) || strings.Contains(string(raw), "password") {
		t.Errorf("secrets column in clear: %q", raw)
	}
	// Nor in the vendor calls the test made, nor in the logs.
	var bodies string
	if err := app.Pool.QueryRow(context.Background(), `SELECT coalesce(string_agg(endpoint || encode(coalesce(body, ''), 'escape') || error, E'\n'), '') FROM vendor_calls`).Scan(&bodies); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(bodies, secret) {
		t.Error("a vendor call holds the secret")
	}
	if logs := app.Logs(); strings.Contains(logs, secret) {
		t.Error("the logs hold the secret")
	}
	// Clearing removes it, and then enabling is refused until a new one is typed.
	clear := simForm(app, vendors.Apptenticate, "")
	clear.Set("clear", "password")
	clear.Del("enabled")
	if res := c.PostForm(t, "/admin/vendors/apptenticate/sandbox", clear); res.Status != http.StatusSeeOther {
		t.Fatalf("clear: %d", res.Status)
	}
	if st, _ := app.Server.Settings.Get(context.Background(), vendors.Apptenticate, "sandbox"); !st.SecretsSet["password"].IsZero() {
		t.Fatal("secret still set after clearing")
	}
	clear.Del("clear")
	clear.Set("enabled", "on")
	res = c.PostForm(t, "/admin/vendors/apptenticate/sandbox", clear)
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Doc(t).Find("#password-error").Text(), "Required to enable") {
		t.Fatalf("enable without a password: %d", res.Status)
	}
}

// TestConnectionAgainstTheSimulator tests each integration, configured with the simulator's
// address, first with its credentials (the outcome says it works), then with a wrong secret
// (the outcome says in plain words that the credentials were refused).
func TestConnectionAgainstTheSimulator(t *testing.T) {
	app := testenv.NewApp(t)
	c := app.SignIn(t, app.CreateUser(t, "admin"))
	for _, v := range []vendors.Name{vendors.CynopsisOCR, vendors.Artemis, vendors.Apptenticate, vendors.Argos, vendors.OOTO} {
		t.Run(string(v), func(t *testing.T) {
			path := "/admin/vendors/" + string(v) + "/production"
			if res := c.PostForm(t, path, simForm(app, v, simSecret(v))); res.Status != http.StatusSeeOther {
				t.Fatalf("save: %d %s", res.Status, res.Doc(t).Find(".error").Text())
			}
			// htmx gets the result box alone.
			res := c.PostForm(t, path+"/test", url.Values{}, "HX-Request", "true")
			box := res.Doc(t).Find("#test-result")
			if res.Status != http.StatusOK || box.AttrOr("data-ok", "") != "true" || !strings.Contains(box.Text(), "Connection works") {
				t.Fatalf("test with the right credentials: %d %q", res.Status, box.Text())
			}
			if strings.Contains(res.Body, "<html") {
				t.Error("htmx got a whole page")
			}
			wrong := simForm(app, v, "wrong-"+simSecret(v))
			if res := c.PostForm(t, path, wrong); res.Status != http.StatusSeeOther {
				t.Fatalf("save wrong secret: %d", res.Status)
			}
			// Without htmx, the whole form comes back with the result.
			res = c.PostForm(t, path+"/test", url.Values{})
			doc := res.Doc(t)
			box = doc.Find("#test-result")
			if res.Status != http.StatusOK || doc.Find("#vendor-form").Length() != 1 || box.AttrOr("data-ok", "") != "false" {
				t.Fatalf("test with a wrong secret: %d %q", res.Status, box.Text())
			}
			if got := box.Text(); !strings.Contains(got, "credentials were refused") || !strings.Contains(got, "auth") {
				t.Errorf("failure not in plain words: %q", got)
			}
			if strings.Contains(res.Body, "wrong-"+simSecret(v)) {
				t.Error("the page shows the secret")
			}
			acts := app.AuditActions(t, "vendor_settings", string(v)+"/production")
			if len(acts) < 2 || acts[0] != "vendor_settings.test" || acts[1] != "vendor_settings.update" {
				t.Errorf("audit: %v", acts)
			}
		})
	}
	// The history on the form says what the tests found.
	hist := c.Get(t, "/admin/vendors/ooto/production").Doc(t).Find("table").Last()
	if text := hist.Text(); !strings.Contains(text, "connection works") || !strings.Contains(text, "failed: the credentials were refused") {
		t.Errorf("history: %q", text)
	}
	// Each line says what was done in words, its audit code below.
	words := hist.Find(".audit-words").Map(func(_ int, s *goquery.Selection) string { return s.Text() })
	if len(words) < 4 || words[0] != "Connection tested" || !slices.Contains(words, "Settings saved") {
		t.Errorf("history's words: %q", words)
	}
}

func TestConnectionTestOfIncompleteOrUnreachableSettings(t *testing.T) {
	app := testenv.NewApp(t)
	c := app.SignIn(t, app.CreateUser(t, "admin"))
	res := c.PostForm(t, "/admin/vendors/argos/sandbox/test", url.Values{}, "HX-Request", "true")
	if got := res.Doc(t).Find("#test-result").Text(); !strings.Contains(got, "Fill in and save these settings first: Base URL, API key.") {
		t.Fatalf("incomplete: %q", got)
	}
	// Nothing listens on the discard port of this machine.
	form := url.Values{"base_url": {"http://127.0.0.1:9"}, "api_key": {"k-123456"}, "timeout_seconds": {"5"}, "concurrency": {"1"}}
	if res := c.PostForm(t, "/admin/vendors/argos/sandbox", form); res.Status != http.StatusSeeOther {
		t.Fatalf("save: %d", res.Status)
	}
	res = c.PostForm(t, "/admin/vendors/argos/sandbox/test", url.Values{}, "HX-Request", "true")
	box := res.Doc(t).Find("#test-result")
	if box.AttrOr("data-ok", "") != "false" || !strings.Contains(box.Text(), "could not be reached") {
		t.Fatalf("unreachable: %q", box.Text())
	}
}

func TestSwitchingTheActiveEnvironment(t *testing.T) {
	app := testenv.NewApp(t)
	c := app.SignIn(t, app.CreateUser(t, "admin"))
	if res := c.PostForm(t, "/admin/vendors/environment", url.Values{"environment": {"staging"}}); res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad environment: %d", res.Status)
	}
	// Configure OOTO in production with the simulator, then switch: the overview says the vendor
	// answers OOTO checks, the simulator still the others.
	if res := c.PostForm(t, "/admin/vendors/ooto/production", simForm(app, vendors.OOTO, simulator.OOTOAppKey)); res.Status != http.StatusSeeOther {
		t.Fatalf("save: %d", res.Status)
	}
	res := c.PostForm(t, "/admin/vendors/environment", url.Values{"environment": {"production"}})
	if res.Status != http.StatusSeeOther || res.Location != "/admin/vendors" {
		t.Fatalf("switch: %d %q", res.Status, res.Location)
	}
	if env, _ := app.Server.Settings.ActiveEnvironment(context.Background()); env != "production" {
		t.Fatalf("active: %s", env)
	}
	doc := c.Get(t, "/admin/vendors").Doc(t)
	if got := doc.Find("#active-env").Text(); got != "production" {
		t.Errorf("active shown: %q", got)
	}
	if got := doc.Find(`tr[data-vendor=ooto][data-env=production] td.answers`).Text(); !strings.Contains(got, "the vendor") {
		t.Errorf("ooto production: %q", got)
	}
	if got := doc.Find(`tr[data-vendor=argos][data-env=production] td.answers`).Text(); !strings.Contains(got, "simulator answers") {
		t.Errorf("argos production: %q", got)
	}
	if acts := app.AuditActions(t, "app_settings", "vendors.environment"); len(acts) != 1 || acts[0] != "vendor_settings.environment" {
		t.Errorf("audit: %v", acts)
	}
}

// TestArgosCallbackWaitIsASetting: the wait for Argos' callback is whole minutes from 1 to 1440;
// anything else is refused on its field, and a good value is kept.
func TestArgosCallbackWaitIsASetting(t *testing.T) {
	app := testenv.NewApp(t)
	c := app.SignIn(t, app.CreateUser(t, "admin"))
	for _, bad := range []string{"0", "2h", "1441", "-5"} {
		form := simForm(app, vendors.Argos, "k-123")
		form.Set("callback_wait_minutes", bad)
		res := c.PostForm(t, "/admin/vendors/argos/sandbox", form)
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Doc(t).Find("#callback_wait_minutes-error").Text(), "1 to 1440") {
			t.Fatalf("%q: %d %q", bad, res.Status, res.Doc(t).Find("#callback_wait_minutes-error").Text())
		}
	}
	form := simForm(app, vendors.Argos, "k-123")
	form.Set("callback_wait_minutes", "25")
	if res := c.PostForm(t, "/admin/vendors/argos/sandbox", form); res.Status != http.StatusSeeOther {
		t.Fatalf("25 minutes: %d", res.Status)
	}
	st, err := app.Server.Settings.Get(context.Background(), vendors.Argos, "sandbox")
	if err != nil || st.Config["callback_wait_minutes"] != "25" {
		t.Fatalf("stored %v %v", st.Config, err)
	}
}

// TestAddressesAreRefusedWhereTheClientWouldRefuseThem: a base URL with a query or fragment, or a
// path with spaces, is refused on its field rather than saved and failing at the first call.
func TestAddressesAreRefusedWhereTheClientWouldRefuseThem(t *testing.T) {
	app := testenv.NewApp(t)
	c := app.SignIn(t, app.CreateUser(t, "admin"))
	for field, bad := range map[string]string{"base_url": app.URL + "/sim/ooto?x=1#frag", "path": "/a b"} {
		form := simForm(app, vendors.OOTO, "k-1")
		form.Set(field, bad)
		res := c.PostForm(t, "/admin/vendors/ooto/sandbox", form)
		if res.Status != http.StatusUnprocessableEntity || res.Doc(t).Find("#"+field+"-error").Text() == "" {
			t.Errorf("%s %q: %d %q", field, bad, res.Status, res.Doc(t).Find("#"+field+"-error").Text())
		}
		if v, _ := res.Doc(t).Find("#" + field).Attr("value"); v != bad {
			t.Errorf("%s shows %q, want what was typed", field, v)
		}
	}
}
