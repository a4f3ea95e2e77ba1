package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"kycdesk/internal/testenv"
)

// TestMethodNotAllowedSaysWhatIs: a 405 carries an Allow header with the methods the address
// answers (RFC 9110, 15.5.6), and its message names them: in the API's JSON shape for the API,
// in words for a page. A method at an address that answers none is not found.
func TestMethodNotAllowedSaysWhatIs(t *testing.T) {
	app := testenv.NewApp(t)
	token := app.CreateAPIToken(t, "methods")
	c := app.NewClient()
	for _, tc := range []struct {
		method, path, allow, words string
	}{
		{"DELETE", "/api/v1/cases/" + uuid.NewString(), "GET", "it answers GET."},
		{"PUT", "/api/v1/customers", "GET, POST", "it answers GET and POST."},
		{"GET", "/api/v1/customers/" + uuid.NewString() + "/documents", "POST", "it answers POST."},
		{"POST", "/api/v1/openapi.json", "GET, HEAD", "it answers GET and HEAD."},
		{"PROPFIND", "/api/v1/customers", "GET, POST", "PROPFIND is not one this address answers; it answers GET and POST."},
	} {
		r := c.API(t, tc.method, tc.path, token, "", nil)
		var e struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != tc.allow || json.Unmarshal([]byte(r.Body), &e) != nil ||
			!strings.Contains(e.Error.Message, tc.words) {
			t.Errorf("%s %s: %d Allow %q %s, want 405 Allow %q saying %q", tc.method, tc.path, r.Status, r.Header.Get("Allow"), r.Body, tc.allow, tc.words)
		}
	}

	// Pages.
	rev := app.SignIn(t, app.CreateUser(t, "reviewer"))
	for _, tc := range []struct {
		client                     *testenv.Client
		method, path, allow, words string
	}{
		{c, "DELETE", "/login", "GET, HEAD, POST", "it answers GET, HEAD and POST."},
		{c, "GET", "/logout", "POST", "GET is not one this address answers; it answers POST."},
		{rev, "HEAD", "/images/" + uuid.NewString() + "/original", "GET", ""},
		{rev, "DELETE", "/cases/" + uuid.NewString(), "GET", "it answers GET."},
	} {
		req, _ := http.NewRequest(tc.method, app.URL+tc.path, nil)
		r := tc.client.Do(t, req)
		if r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != tc.allow || !strings.Contains(r.Body, tc.words) {
			t.Errorf("%s %s: %d Allow %q %q, want 405 Allow %q saying %q", tc.method, tc.path, r.Status, r.Header.Get("Allow"), r.Body, tc.allow, tc.words)
		}
	}

	// Nothing at the address: 404, whatever the method.
	for _, method := range []string{"DELETE", "PROPFIND"} {
		req, _ := http.NewRequest(method, app.URL+"/no/such/page", nil)
		if r := c.Do(t, req); r.Status != http.StatusNotFound || r.Header.Get("Allow") != "" {
			t.Errorf("%s /no/such/page: %d Allow %q, want 404", method, r.Status, r.Header.Get("Allow"))
		}
	}
	r := c.API(t, "GET", "/api/v1/nothing", token, "", nil)
	if r.Status != http.StatusNotFound || !strings.Contains(r.Body, "openapi.json") || strings.Contains(r.Body, "page") {
		t.Errorf("GET /api/v1/nothing: %d %s, want 404 pointing to the description", r.Status, r.Body)
	}
}
