package vendorsettings_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"kycdesk/internal/simulator"
	"kycdesk/internal/testenv"
	"kycdesk/internal/vendors"
)

// keyCatcher is a host that is not the vendor's: it records the API keys sent to it.
type keyCatcher struct {
	*httptest.Server
	mu   sync.Mutex
	keys []string
}

func newKeyCatcher(t *testing.T) *keyCatcher {
	k := &keyCatcher{}
	k.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.mu.Lock()
		k.keys = append(k.keys, r.Header.Get("x-api-key"))
		k.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"errorCode": "1005", "message": "idImage is required"}`))
	}))
	t.Cleanup(k.Close)
	return k
}

func (k *keyCatcher) received() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.keys...)
}

// TestChangedAddressNeedsTheSecretsAgain: a stored secret is sent only where it was sent when it
// was typed. Saving a new base URL or path without typing the secret again is refused (422, the
// secret's field says to type it again and why, the other fields keep what was typed, no secret
// is rendered) and nothing is stored, so a connection test after it still goes to the old host.
// With the secret typed, or cleared, the change is saved; a change of anything but an address
// needs no secret.
func TestChangedAddressNeedsTheSecretsAgain(t *testing.T) {
	app := testenv.NewApp(t)
	c := app.SignIn(t, app.CreateUser(t, "admin"))
	const path = "/admin/vendors/argos/sandbox"
	ctx := context.Background()
	if res := c.PostForm(t, path, simForm(app, vendors.Argos, simulator.ArgosAPIKey)); res.Status != http.StatusSeeOther {
		t.Fatalf("save: %d", res.Status)
	}
	oldURL := simForm(app, vendors.Argos, "").Get("base_url")
	updates := func() int { return len(app.AuditActions(t, "vendor_settings", "argos/sandbox")) }
	saved := updates()
	evil := newKeyCatcher(t)

	for field, value := range map[string]string{"base_url": evil.URL, "path": "/modules/recognition/elsewhere"} {
		form := simForm(app, vendors.Argos, "")
		form.Set(field, value)
		form.Set("timeout_seconds", "33")
		res := c.PostForm(t, path, form)
		if res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%s changed without the key: %d, want 422", field, res.Status)
		}
		doc := res.Doc(t)
		if got := doc.Find("#api_key-error").Text(); !strings.Contains(got, "Type the API key again: the address it is sent to changed") {
			t.Errorf("%s changed: the key's field says %q", field, got)
		}
		if got, _ := doc.Find("#" + field).Attr("value"); got != value {
			t.Errorf("%s changed: the field shows %q, want what was typed", field, got)
		}
		if got, _ := doc.Find("#timeout_seconds").Attr("value"); got != "33" {
			t.Errorf("%s changed: the timeout shows %q, want what was typed", field, got)
		}
		if strings.Contains(res.Body, simulator.ArgosAPIKey) {
			t.Errorf("%s changed: the page shows the stored key", field)
		}
	}
	if st, err := app.Server.Settings.Get(ctx, vendors.Argos, "sandbox"); err != nil || st.Config["base_url"] != oldURL || st.Config["path"] != "" || st.Timeout.Seconds() != 20 {
		t.Fatalf("a refused save stored %v (timeout %s): %v", st.Config, st.Timeout, err)
	}
	if n := updates(); n != saved {
		t.Errorf("a refused save wrote %d audit rows", n-saved)
	}
	// The test after the refused save tries the saved settings: the old host, with its key.
	res := c.PostForm(t, path+"/test", url.Values{}, "HX-Request", "true")
	if box := res.Doc(t).Find("#test-result"); box.AttrOr("data-ok", "") != "true" {
		t.Errorf("test after the refused save: %q", box.Text())
	}
	if got := evil.received(); len(got) != 0 {
		t.Fatalf("the other host was sent %d requests: %q", len(got), got)
	}

	// Anything but an address changes without the key.
	other := simForm(app, vendors.Argos, "")
	other.Set("timeout_seconds", "45")
	if res := c.PostForm(t, path, other); res.Status != http.StatusSeeOther {
		t.Fatalf("timeout changed without the key: %d %s", res.Status, res.Doc(t).Find(".error").Text())
	}
	// The key typed with the new address: saved, and it is the one the new host gets.
	moved := simForm(app, vendors.Argos, "key-for-the-new-host")
	moved.Set("base_url", evil.URL)
	if res := c.PostForm(t, path, moved); res.Status != http.StatusSeeOther {
		t.Fatalf("new address with the key typed: %d %s", res.Status, res.Doc(t).Find(".error").Text())
	}
	c.PostForm(t, path+"/test", url.Values{}, "HX-Request", "true")
	if got := evil.received(); len(got) != 1 || got[0] != "key-for-the-new-host" {
		t.Errorf("the new host received %q, want the key typed for it", got)
	}
	// Moving back while clearing the key is saved too: nothing stored goes anywhere.
	back := simForm(app, vendors.Argos, "")
	back.Set("clear", "api_key")
	back.Del("enabled")
	if res := c.PostForm(t, path, back); res.Status != http.StatusSeeOther {
		t.Fatalf("new address with the key cleared: %d %s", res.Status, res.Doc(t).Find(".error").Text())
	}
}

// TestEverySecretIsAskedForWhenAnAddressMoves: for Cynopsis, whose client secret goes to the auth
// URL and whose token goes to the OCR URL, moving either (or the token path) asks for the client
// secret again, named in words.
func TestEverySecretIsAskedForWhenAnAddressMoves(t *testing.T) {
	app := testenv.NewApp(t)
	c := app.SignIn(t, app.CreateUser(t, "admin"))
	const path = "/admin/vendors/cynopsis_ocr/sandbox"
	if res := c.PostForm(t, path, simForm(app, vendors.CynopsisOCR, simulator.CynopsisClientSecret)); res.Status != http.StatusSeeOther {
		t.Fatalf("save: %d", res.Status)
	}
	for field, value := range map[string]string{"auth_url": "http://127.0.0.1:9", "ocr_url": "http://127.0.0.1:9", "token_path": "/oauth/other"} {
		form := simForm(app, vendors.CynopsisOCR, "")
		form.Set(field, value)
		res := c.PostForm(t, path, form)
		if got := res.Doc(t).Find("#client_secret-error").Text(); res.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(got, "Type the client secret again: the address it is sent to changed") {
			t.Errorf("%s changed: %d %q", field, res.Status, got)
		}
	}
}
