package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"

	"kycdesk/internal/auth"
	"kycdesk/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// concrete fills a route pattern's parameters with harmless values.
func concrete(pattern string) string {
	r := strings.NewReplacer("{id}", uuid.NewString(), "{token}", "not-a-token", "{variant}", "original", "{doc}", uuid.NewString())
	return r.Replace(pattern)
}

func TestEveryRouteHasARule(t *testing.T) {
	s := testenv.NewApp(t).Server
	for _, rt := range s.Routes() {
		if !rt.Access.Public && !rt.Access.Token && rt.Access.Perm == "" {
			t.Errorf("%s %s has no access rule", rt.Method, rt.Pattern)
		}
		if rt.Handler == nil {
			t.Errorf("%s %s has no handler", rt.Method, rt.Pattern)
		}
	}
}

// TestRouteAccess walks the route table: signed out → sign-in page, wrong role → 403 page, right
// role → neither.
func TestRouteAccess(t *testing.T) {
	app := testenv.NewApp(t)
	people := map[auth.Role]testenv.User{}
	for _, r := range auth.Roles {
		people[r] = app.CreateUser(t, string(r))
	}
	token := app.CreateAPIToken(t, "matrix")
	for _, rt := range app.Server.Routes() {
		path := concrete(rt.Pattern)
		send := func(c *testenv.Client) testenv.Response {
			if rt.Method == "GET" {
				return c.Get(t, path)
			}
			return c.PostForm(t, path, url.Values{})
		}
		t.Run(rt.Method+" "+rt.Pattern, func(t *testing.T) {
			if rt.Access.Token {
				// The API takes a token and nothing else: not a browser session, not a bad token.
				for who, c := range map[string]*testenv.Client{"signed out": app.NewClient(), "admin session": app.SignIn(t, people[auth.Admin])} {
					for _, tok := range []string{"", "kyc_wrong", "not-even-a-token"} {
						res := c.API(t, rt.Method, path, tok, "application/json", []byte("{}"))
						if res.Status != http.StatusUnauthorized || !strings.Contains(res.Header.Get("Content-Type"), "json") {
							t.Errorf("%s with token %q: %d %s", who, tok, res.Status, res.Header.Get("Content-Type"))
						}
					}
				}
				res := app.NewClient().API(t, rt.Method, path, token, "application/json", []byte("{}"))
				if res.Status == http.StatusUnauthorized || res.Status == http.StatusForbidden || res.Status >= 500 {
					t.Errorf("with a token: %d %s", res.Status, res.Body)
				}
				// A token reaches only the API.
				if r := app.NewClient().API(t, "GET", "/cases", token, "", nil); r.Status != http.StatusSeeOther {
					t.Errorf("a token reached a page: %d", r.Status)
				}
				return
			}
			res := send(app.NewClient())
			if !rt.Access.Public {
				if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/login") {
					t.Fatalf("signed out: got %d → %q, want 303 to /login", res.Status, res.Location)
				}
				if rt.Method == "GET" && rt.Pattern != "/" && !strings.Contains(res.Location, "next=") {
					t.Errorf("signed out GET does not remember where the user was going: %q", res.Location)
				}
			} else if strings.HasPrefix(res.Location, "/login") && rt.Pattern != "/set-password/{token}" {
				t.Fatalf("public route redirected to sign-in")
			}
			if rt.Access.Public {
				return
			}
			for _, role := range auth.Roles {
				res := send(app.SignIn(t, people[role]))
				allowed := auth.Can(role, rt.Access.Perm)
				switch {
				case !allowed && res.Status != http.StatusForbidden:
					t.Errorf("%s: got %d, want 403", role, res.Status)
				case !allowed:
					if doc := res.Doc(t); !strings.Contains(doc.Find("h1").Text(), "Not allowed") {
						t.Errorf("%s: 403 without the not-allowed page: %q", role, doc.Find("h1").Text())
					}
				case allowed && (res.Status == http.StatusForbidden || strings.HasPrefix(res.Location, "/login?next")):
					t.Errorf("%s: allowed but got %d → %q", role, res.Status, res.Location)
				case allowed && res.Status >= 500:
					t.Errorf("%s: server error %d: %s", role, res.Status, res.Body)
				}
			}
		})
	}
}

// TestCrossOriginPostRefused sends every state-changing route a POST from another site, signed in
// as an admin: each is refused before it reaches the handler.
func TestCrossOriginPostRefused(t *testing.T) {
	app := testenv.NewApp(t)
	admin := app.CreateUser(t, "admin")
	c := app.SignIn(t, admin)
	for _, rt := range app.Server.Routes() {
		if rt.Method == "GET" {
			continue
		}
		res := c.PostForm(t, concrete(rt.Pattern), url.Values{"role": {"admin"}}, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
		if res.Status != http.StatusForbidden || !strings.Contains(res.Body, "another site") {
			t.Errorf("cross-origin POST %s: got %d %q, want 403", rt.Pattern, res.Status, res.Body)
		}
	}
	// The session still works: nothing was done.
	if res := c.Get(t, "/account"); res.Status != http.StatusOK {
		t.Fatalf("session lost after refused posts: %d", res.Status)
	}
}

func TestSecurityHeadersAndOperatorEndpoints(t *testing.T) {
	app := testenv.NewApp(t)
	c := app.NewClient()
	res := c.Get(t, "/login")
	h := res.Header
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP not strict: %q", csp)
	}
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "Cache-Control": "no-store"} {
		if h.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, h.Get(k), v)
		}
	}
	doc := res.Doc(t)
	scripts := doc.Find("script")
	if scripts.Length() == 0 {
		t.Fatal("no script tags: htmx missing")
	}
	scripts.Each(func(_ int, sel *goquery.Selection) {
		src := sel.AttrOr("src", "")
		if !strings.HasPrefix(src, "/static/") || strings.TrimSpace(sel.Text()) != "" {
			t.Errorf("script not self-hosted or inline: src=%q", src)
		}
		if r := c.Get(t, src); r.Status != http.StatusOK || !strings.Contains(r.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("static %s = %d (%s)", src, r.Status, r.Header.Get("Cache-Control"))
		}
	})
	for _, p := range []string{"/healthz", "/readyz"} {
		if r := c.Get(t, p); r.Status != http.StatusOK {
			t.Errorf("%s = %d", p, r.Status)
		}
	}
	m := c.Get(t, "/metrics")
	if m.Status != http.StatusOK || !strings.Contains(m.Body, `kycdesk_http_requests_total{method="GET",route="/healthz",status="200"}`) ||
		!strings.Contains(m.Body, `kycdesk_db_pool_connections{pool="requests"`) ||
		!strings.Contains(m.Body, `kycdesk_db_pool_max_connections{pool="background"}`) || !strings.Contains(m.Body, "kycdesk_http_request_duration_seconds") {
		t.Errorf("metrics lack request counts by route or pool stats:\n%s", m.Body[:min(len(m.Body), 2000)])
	}
	if !strings.Contains(app.Logs(), `"request_id"`) {
		t.Error("log lines carry no request id")
	}
	if r := c.Get(t, "/no/such/page"); r.Status != http.StatusNotFound {
		t.Errorf("unknown page = %d", r.Status)
	}
}

// TestAFormsAddressLeadsBackToItsPage: a refused form leaves its action's address in the address
// bar; asking for it with GET (a reload) leads to the page the form belongs to, not a 405. HEAD is
// answered wherever GET is.
func TestAFormsAddressLeadsBackToItsPage(t *testing.T) {
	app := testenv.NewApp(t)
	c := app.NewClient()
	rev := app.SignIn(t, app.CreateUser(t, "reviewer"))
	id := uuid.NewString()
	for path, want := range map[string]string{
		"/cases/" + id + "/decision":           "/cases/" + id,
		"/cases/" + id + "/notes":              "/cases/" + id,
		"/admin/vendors/argos/production/test": "/admin/vendors/argos/production",
		"/customers":                           "/customers/new",
		"/customers/" + id:                     "/customers/" + id + "/edit",
		"/customers/" + id + "/documents":      "/customers/" + id + "/edit",
		"/cases/next":                          "/cases",
		"/cases/reports.zip":                   "/cases",
	} {
		r := rev.Get(t, path)
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != want {
			t.Errorf("GET %s = %d → %q, want 303 → %s", path, r.Status, r.Header.Get("Location"), want)
		}
	}
	if r := c.Get(t, "/logout"); r.Status != http.StatusMethodNotAllowed {
		t.Errorf("GET /logout = %d, want 405 (no page above it)", r.Status)
	}
	req, _ := http.NewRequest(http.MethodHead, app.URL+"/login", nil)
	if r := c.Do(t, req); r.Status != http.StatusOK {
		t.Errorf("HEAD /login = %d, want 200", r.Status)
	}
	// A signed-in page may audit what it shows; a HEAD shows nothing, so it is not answered.
	req, _ = http.NewRequest(http.MethodHead, app.URL+"/images/"+uuid.NewString()+"/original", nil)
	if r := rev.Do(t, req); r.Status != http.StatusMethodNotAllowed {
		t.Errorf("HEAD on an image = %d, want 405", r.Status)
	}
}
