package security_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"kycdesk/internal/customers"
	"kycdesk/internal/testenv"
)

// traversals are what an attacker puts where a route expects an id: parent directories raw,
// encoded once and twice, backslashes, NUL, non-ids, SQL and markup, an overlong value, numbers
// out of range.
var traversals = []string{
	"..%2f..%2f..%2fetc%2fpasswd",
	"../../../etc/passwd",
	"..%252f..%252f..%252fetc%252fpasswd",
	"%2e%2e%2f%2e%2e%2fetc%2fpasswd",
	"%2e%2e",
	"..",
	"..%5c..%5cwindows%5cwin.ini",
	"....%2f%2f....%2f%2fetc%2fpasswd",
	"..%c0%af..%c0%afetc%c0%afpasswd",
	"%00",
	"x%00.jpg",
	"not-a-uuid",
	"00000000-0000-0000-0000-000000000000",
	"1%27%20OR%20%271%27%3D%271",
	"%3Cscript%3Ealert(1)%3C%2Fscript%3E",
	strings.Repeat("a", 4000),
	"-1",
	"99999999999999999999999",
	"%2Fetc%2Fpasswd",
}

// leaked matches what a served file of the host would show.
var leaked = regexp.MustCompile(`root:.*:0:0:|\[fonts\]|module kycdesk|BEGIN (RSA |EC )?PRIVATE KEY`)

// params are a route pattern's parameters.
var params = regexp.MustCompile(`\{[a-z]+\}`)

// TestPathTraversal puts each traversal in each parameter of each route ({id}, {doc}, {variant},
// {token}, {verdict}, {vendor}, {env}), the others filled with real ids, as a signed-in admin (an
// API token on the API, nobody on public routes), and does the same under /static/. Every answer
// is a refusal (404, or 400/405/409/415/422) with a page or a JSON error that says so: never a server
// error, never a file, never a success.
func TestPathTraversal(t *testing.T) {
	app := testenv.NewApp(t)
	admin := app.SignIn(t, app.CreateUser(t, "admin"))
	token := app.CreateAPIToken(t, "traversal")
	s := newSubject(t, app, 51, customers.Input{ExternalRef: "trav-1"})
	anon := app.NewClient()
	statuses := map[int]int{}
	requests := 0
	m := newMatrix("answers", "another customer's document")
	for _, rt := range app.Server.Routes() {
		names := params.FindAllString(rt.Pattern, -1)
		if len(names) == 0 {
			continue
		}
		seen := map[string]bool{}
		for _, name := range names {
			for _, bad := range traversals {
				path := s.fill(rt.Pattern, map[string]string{name: bad})
				var res testenv.Response
				switch {
				case rt.Access.Token:
					var body []byte
					if rt.Method == "POST" {
						body = []byte("{}")
					}
					res = anon.API(t, rt.Method, path, token, "application/json", body)
				case rt.Access.Public && rt.Method == "GET":
					res = anon.Get(t, path)
				case rt.Access.Public:
					res = anon.PostForm(t, path, url.Values{})
				default:
					res = send(t, admin, rt, path)
				}
				requests++
				statuses[res.Status]++
				seen[fmt.Sprint(res.Status)] = true
				label := fmt.Sprintf("%s %s with %s=%q", rt.Method, rt.Pattern, name, clip(bad))
				switch res.Status {
				case http.StatusNotFound, http.StatusBadRequest, http.StatusMethodNotAllowed, http.StatusConflict, http.StatusUnsupportedMediaType,
					http.StatusUnprocessableEntity:
				default:
					t.Errorf("%s: %d → %q", label, res.Status, res.Location)
				}
				if leaked.MatchString(res.Body) {
					t.Errorf("%s: the answer holds a file of the host", label)
				}
				ct := res.Header.Get("Content-Type")
				switch {
				case res.Status == http.StatusMethodNotAllowed:
				case strings.HasPrefix(ct, "application/json"):
					if !strings.Contains(res.Body, `"message"`) {
						t.Errorf("%s: a JSON answer without a message: %s", label, clip(res.Body))
					}
				case strings.HasPrefix(ct, "text/html"):
					// An error page says it in its heading; a form sent back says it on the field.
					if d := res.Doc(t); strings.TrimSpace(d.Find("h1, .error, .alert").Text()) == "" {
						t.Errorf("%s: a page that does not say what is wrong", label)
					}
				default:
					t.Errorf("%s: answered %q", label, ct)
				}
			}
		}
		m.set(rt.Method+" "+rt.Pattern, "answers", strings.Join(sortedKeys(seen), " "))
	}
	// A real document of another customer under this case is no document of this case.
	other := newSubject(t, app, 52, customers.Input{ExternalRef: "trav-2"})
	for _, rt := range app.Server.Routes() {
		if !strings.Contains(rt.Pattern, "{doc}") {
			continue
		}
		path := s.fill(rt.Pattern, map[string]string{"{doc}": other.docID.String()})
		res := send(t, admin, rt, path)
		requests++
		statuses[res.Status]++
		m.set(rt.Method+" "+rt.Pattern, "another customer's document", fmt.Sprint(res.Status))
		if res.Status != http.StatusNotFound {
			t.Errorf("%s %s with another customer's document: %d", rt.Method, rt.Pattern, res.Status)
		}
	}
	for _, p := range []string{"/static/..%2f..%2fgo.mod", "/static/../../go.mod", "/static/%2e%2e/%2e%2e/go.mod", "/static/..%5c..%5cgo.mod",
		"/static/....//....//go.mod", "/static/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/static/css/../../../../etc/passwd", "/static/",
		"/static/%00", "/..%2f..%2fetc%2fpasswd", "/images/..%2f..%2fgo.mod/original"} {
		res := admin.Get(t, p)
		requests++
		statuses[res.Status]++
		if res.Status != http.StatusNotFound && res.Status != http.StatusBadRequest && !(res.Status == http.StatusMovedPermanently && !strings.Contains(res.Location, "..")) {
			t.Errorf("GET %s: %d → %q", p, res.Status, res.Location)
		}
		if leaked.MatchString(res.Body) {
			t.Errorf("GET %s: the answer holds a file of the host", p)
		}
	}
	m.log(t, "Route with a traversal in a parameter → statuses seen")
	t.Logf("%d requests: statuses %v", requests, statuses)
	if strings.Contains(app.Logs(), `"level":"ERROR"`) {
		t.Error("the traversals logged errors")
	}
	if res := anon.Get(t, "/healthz"); res.Status != http.StatusOK {
		t.Fatalf("the server is down: %d", res.Status)
	}
}

// bigPost sends a body of n bytes (b repeated) to path as a same-origin browser form would, and
// reads the answer. A server that refuses a body may close the connection before the client has
// written it all; the answer it sent first is what counts, so a write error after the answer is
// not a failure.
func bigPost(t testing.TB, base, path, ctype string, b []byte, n int64, header ...string) (testenv.Response, error) {
	t.Helper()
	req, err := http.NewRequest("POST", base+path, &bigReader{b: b, n: n})
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = n
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Origin", base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := (&http.Client{Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		return testenv.Response{}, err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return testenv.Response{Status: res.StatusCode, Header: res.Header, Body: string(body), Location: res.Header.Get("Location")}, nil
}

// TestOversizedPosts sends a 20 MB url-encoded form to ordinary form routes (signed in and, for
// sign-in, signed out), a 20 MB JSON body and a 20 MB Argos callback, and uploads bigger than the
// upload limit through both upload routes, plus a multipart form of ten thousand parts. Each is
// refused with a status that says so (413, or 400/422) and a message, nothing is stored, and the
// server answers normally afterwards.
func TestOversizedPosts(t *testing.T) {
	app := testenv.NewApp(t)
	rev := app.CreateUser(t, "reviewer")
	admin := app.CreateUser(t, "admin")
	rc, ac := app.SignIn(t, rev), app.SignIn(t, admin)
	token := app.CreateAPIToken(t, "big")
	s := newSubject(t, app, 61, customers.Input{ExternalRef: "big-1"})
	if res := rc.PostForm(t, s.casePath()+"/claim", url.Values{}); res.Status != http.StatusSeeOther {
		t.Fatalf("claim: %d", res.Status)
	}
	cookie := func(c *testenv.Client) string {
		u, _ := url.Parse(app.URL)
		var parts []string
		for _, k := range c.Jar.Cookies(u) {
			parts = append(parts, k.Name+"="+k.Value)
		}
		return strings.Join(parts, "; ")
	}
	const mb = 1 << 20
	form := []byte("body=" + strings.Repeat("A", 1000) + "&x=")
	uploadLimit := app.Cfg.MaxUploadBytes*6 + mb
	manyParts := func() (string, []byte) {
		var fields []string
		for i := range 10000 {
			fields = append(fields, fmt.Sprintf("--B\r\nContent-Disposition: form-data; name=\"f%d\"\r\n\r\nx\r\n", i))
		}
		return "multipart/form-data; boundary=B", []byte(strings.Join(fields, "") + "--B--\r\n")
	}
	mpType, mpBody := manyParts()
	cases := []struct {
		name, path, ctype string
		c                 *testenv.Client
		body              []byte
		size              int64
		api               bool
	}{
		{name: "sign-in form, signed out", path: "/login", ctype: "application/x-www-form-urlencoded", body: form, size: 20 * mb},
		{name: "note", path: s.casePath() + "/notes", ctype: "application/x-www-form-urlencoded", c: rc, body: form, size: 20 * mb},
		{name: "new customer", path: "/customers", ctype: "application/x-www-form-urlencoded", c: rc, body: form, size: 20 * mb},
		{name: "password change", path: "/account/password", ctype: "application/x-www-form-urlencoded", c: rc, body: form, size: 20 * mb},
		{name: "new user", path: "/admin/users", ctype: "application/x-www-form-urlencoded", c: ac, body: form, size: 20 * mb},
		{name: "vendor settings", path: "/admin/vendors/ooto/sandbox", ctype: "application/x-www-form-urlencoded", c: ac, body: form, size: 20 * mb},
		{name: "reports ZIP", path: "/cases/reports.zip", ctype: "application/x-www-form-urlencoded", c: ac, body: form, size: 20 * mb},
		{name: "Argos callback", path: "/callbacks/argos/not-a-token", ctype: "application/json", body: []byte(`{"a":"` + strings.Repeat("A", 1000)), size: 20 * mb},
		{name: "API customer (JSON)", path: "/api/v1/customers", ctype: "application/json", body: []byte(`{"a":"` + strings.Repeat("A", 1000)), size: 20 * mb, api: true},
		{name: "upload form, over the request limit", path: "/customers/" + s.customerID.String() + "/documents", ctype: "multipart/form-data; boundary=B",
			c: rc, body: []byte("--B\r\nContent-Disposition: form-data; name=\"front\"; filename=\"a.jpg\"\r\n\r\n" + strings.Repeat("A", 4096)), size: uploadLimit + mb},
		{name: "API upload, over the request limit", path: "/api/v1/customers/" + s.customerID.String() + "/documents", ctype: "multipart/form-data; boundary=B",
			body: []byte("--B\r\nContent-Disposition: form-data; name=\"front\"; filename=\"a.jpg\"\r\n\r\n" + strings.Repeat("A", 4096)), size: uploadLimit + mb, api: true},
		{name: "upload form, 10,000 parts", path: "/customers/" + s.customerID.String() + "/documents", ctype: mpType, c: rc, body: mpBody, size: int64(len(mpBody))},
		{name: "API upload, 10,000 parts", path: "/api/v1/customers/" + s.customerID.String() + "/documents", ctype: mpType, body: mpBody, size: int64(len(mpBody)), api: true},
	}
	m := newMatrix("size", "answer", "message")
	for _, tc := range cases {
		before := fingerprint(t, app)
		var hdr []string
		if tc.c != nil {
			hdr = append(hdr, "Cookie", cookie(tc.c))
		}
		if tc.api {
			hdr = append(hdr, "Authorization", "Bearer "+token)
		}
		res, err := bigPost(t, app.URL, tc.path, tc.ctype, tc.body, tc.size, hdr...)
		size := fmt.Sprintf("%.1f MB", float64(tc.size)/mb)
		if err != nil {
			m.set(tc.name, "size", size)
			m.set(tc.name, "answer", "connection closed: "+errName(err))
			t.Errorf("%s: no answer: %v", tc.name, err)
			continue
		}
		var msg string
		if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			// The error page's heading and message, or a form's alert.
			d := res.Doc(t)
			msg = strings.TrimSpace(d.Find("h1").First().Text() + ": " + d.Find("h1 + p, .alert").First().Text())
		} else {
			msg = strings.TrimSpace(res.Body)
		}
		m.set(tc.name, "size", size)
		m.set(tc.name, "answer", fmt.Sprint(res.Status))
		m.set(tc.name, "message", clip(msg))
		switch res.Status {
		case http.StatusRequestEntityTooLarge, http.StatusBadRequest, http.StatusUnprocessableEntity:
		default:
			t.Errorf("%s: %d → %q, want 413 (or 400/422)", tc.name, res.Status, res.Location)
		}
		if !strings.Contains(strings.ToLower(msg), "large") && !strings.Contains(msg, "could not be read") && !strings.Contains(msg, "correct") {
			t.Errorf("%s: refused without a message: %q", tc.name, msg)
		}
		if after := fingerprint(t, app); after != before {
			t.Errorf("%s changed the database: %s", tc.name, diff(before, after))
		}
		if res := rc.Get(t, "/account"); res.Status != http.StatusOK {
			t.Fatalf("after %s the server does not answer: %d", tc.name, res.Status)
		}
	}
	m.log(t, "Oversized post → answer")
	if strings.Contains(app.Logs(), `"level":"ERROR"`) {
		t.Error("oversized posts logged errors")
	}
}

func errName(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	}
	return err.Error()
}
