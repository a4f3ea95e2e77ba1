package security_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"kycdesk/internal/customers"
	"kycdesk/internal/server"
	"kycdesk/internal/specimen"
	"kycdesk/internal/testenv"
)

// send sends rt to path as a same-origin browser would: a GET, or a POST of an empty form.
func send(t testing.TB, c *testenv.Client, rt server.Route, path string) testenv.Response {
	t.Helper()
	if rt.Method == "GET" {
		return c.Get(t, path)
	}
	return c.PostForm(t, path, url.Values{})
}

// cell is a status as the matrix prints it: "303→/login", "403", "200".
func cell(res testenv.Response) string {
	s := strconv.Itoa(res.Status)
	if res.Location != "" {
		loc, _, _ := strings.Cut(res.Location, "?")
		s += "→" + loc
	}
	return s
}

// TestAccessBeyondRoles walks every route of the router with the callers the role matrix
// (server.TestRouteAccess) does not cover, on real ids of a case whose customer's name is a
// canary:
//
//   - a user of each role whose session was made before an admin disabled them, and a reviewer
//     disabled straight in the database with the session row left in place: every route that
//     needs a user sends them to /login and shows no data; the API refuses their session; they
//     cannot sign in again;
//   - an API token (and a revoked one): the API answers it, every page sends it to /login, as a
//     bearer header and when pasted as the session cookie;
//   - a reviewer after the managers' exports and reports: 403 with the not-allowed page, no file,
//     no audit row of a report.
func TestAccessBeyondRoles(t *testing.T) {
	app := testenv.NewApp(t)
	admin := app.CreateUser(t, "admin")
	adminC := app.SignIn(t, admin)
	canary := "Canary" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	s := newSubject(t, app, 11, customers.Input{GivenNames: "Ada", Surname: canary, ExternalRef: "canary-1"})

	// A user of each role, signed in, then disabled by the admin: their session ends with it.
	disabled := map[string]*testenv.Client{}
	var cols []string
	for _, role := range []string{"reviewer", "manager", "admin"} {
		u := app.CreateUser(t, role)
		c := app.SignIn(t, u)
		if res := c.Get(t, "/account"); res.Status != http.StatusOK {
			t.Fatalf("%s before being disabled: %d", role, res.Status)
		}
		if res := adminC.PostForm(t, "/admin/users/"+u.ID.String()+"/disable", url.Values{}); res.Status != http.StatusSeeOther {
			t.Fatalf("disable %s: %d %s", role, res.Status, res.Body)
		}
		// A disabled user cannot sign in again, and is told why only with the right password.
		res := app.NewClient().PostForm(t, "/login", url.Values{"email": {u.Email}, "password": {u.Password}})
		if res.Status != http.StatusForbidden || !strings.Contains(res.Body, "disabled") {
			t.Errorf("disabled %s signs in: %d", role, res.Status)
		}
		col := role + " (disabled)"
		disabled[col], cols = c, append(cols, col)
	}
	// Defence in depth: a user disabled by some other path than the admin page (a script, a
	// restore) whose session row survived is refused too.
	d := app.CreateUser(t, "reviewer")
	dc := app.SignIn(t, d)
	app.Exec(t, "UPDATE users SET disabled_at = now() WHERE id = $1", d.ID)
	if n := count(t, app, "SELECT count(*) FROM sessions WHERE user_id = $1", d.ID); n != 1 {
		t.Fatalf("the session row of the database-disabled user: %d", n)
	}
	const dbCol = "reviewer (disabled in DB, session kept)"
	disabled[dbCol], cols = dc, append(cols, dbCol)

	token := app.CreateAPIToken(t, "matrix")
	revoked := app.CreateAPIToken(t, "revoked")
	app.Exec(t, "UPDATE api_tokens SET revoked_at = now() WHERE name = 'revoked'")
	cols = append(cols, "API token", "token as cookie", "revoked token")
	m := newMatrix(cols...)

	for _, rt := range app.Server.Routes() {
		row := rt.Method + " " + rt.Pattern
		path := s.fill(rt.Pattern, nil)
		if rt.Access.Public {
			continue
		}
		t.Run(row, func(t *testing.T) {
			for _, col := range cols[:4] {
				c := disabled[col]
				var res testenv.Response
				if rt.Access.Token {
					res = c.API(t, rt.Method, path, "", "application/json", []byte("{}"))
					if res.Status != http.StatusUnauthorized || !strings.Contains(res.Header.Get("Content-Type"), "json") {
						t.Errorf("%s on the API: %d %s", col, res.Status, res.Header.Get("Content-Type"))
					}
				} else {
					res = send(t, c, rt, path)
					if !(res.Status == http.StatusSeeOther && strings.HasPrefix(res.Location, "/login")) && res.Status != http.StatusForbidden {
						t.Errorf("%s: %d → %q, want 303 to /login or 403", col, res.Status, res.Location)
					}
				}
				if strings.Contains(res.Body, canary) {
					t.Errorf("%s: the response shows the case's data", col)
				}
				m.set(row, col, cell(res))
			}

			// The token on this route: it is the key to the API, and to nothing else.
			var body []byte
			ctype := "application/json"
			if rt.Method == "POST" && !rt.Access.Token {
				ctype, body = "application/x-www-form-urlencoded", nil
			} else if rt.Method == "POST" {
				body = []byte("{}")
			}
			res := app.NewClient().API(t, rt.Method, path, token, ctype, body)
			if rt.Access.Token {
				if res.Status == http.StatusUnauthorized || res.Status == http.StatusForbidden || res.Status >= 500 {
					t.Errorf("API token on the API: %d %s", res.Status, res.Body)
				}
			} else if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/login") || strings.Contains(res.Body, canary) {
				t.Errorf("API token reached a page: %d → %q", res.Status, res.Location)
			}
			m.set(row, "API token", cell(res))
			if !rt.Access.Token {
				res = app.NewClient().API(t, rt.Method, path, "", ctype, body, "Cookie", "kycdesk_session="+token)
				if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/login") || strings.Contains(res.Body, canary) {
					t.Errorf("API token as the session cookie reached a page: %d → %q", res.Status, res.Location)
				}
				m.set(row, "token as cookie", cell(res))
			} else {
				res = app.NewClient().API(t, rt.Method, path, revoked, ctype, body)
				if res.Status != http.StatusUnauthorized || strings.Contains(res.Body, canary) {
					t.Errorf("revoked token on the API: %d", res.Status)
				}
				m.set(row, "revoked token", cell(res))
			}
		})
	}
	m.log(t, "Route × caller → status (public routes left out; \"303→/login\" is the sign-in redirect)")

	// The reviewer and the managers' files: refused before anything is generated or audited.
	t.Run("reviewer and the exports", func(t *testing.T) {
		rev := app.SignIn(t, app.CreateUser(t, "reviewer"))
		before := count(t, app, "SELECT count(*) FROM audit_events")
		for _, p := range []string{"/cases/export.csv", "/cases/export.xlsx", "/cases/export.csv?q=" + canary, "/cases/export/columns",
			s.casePath() + "/report.pdf", "/dashboard", "/dashboard?chart=status&format=csv", "/audit", "/audit/export.csv", "/audit/export.jsonl",
			"/liveness/undelivered"} {
			res := rev.Get(t, p)
			ct := res.Header.Get("Content-Type")
			if res.Status != http.StatusForbidden || !strings.HasPrefix(ct, "text/html") || res.Header.Get("Content-Disposition") != "" ||
				!strings.Contains(res.Doc(t).Find("h1").Text(), "Not allowed") || strings.Contains(res.Body, canary) {
				t.Errorf("reviewer GET %s: %d %s %q", p, res.Status, ct, res.Header.Get("Content-Disposition"))
			}
		}
		res := rev.PostForm(t, "/cases/reports.zip", url.Values{"case": {s.caseID.String()}})
		if res.Status != http.StatusForbidden || strings.Contains(res.Header.Get("Content-Type"), "zip") {
			t.Errorf("reviewer POST /cases/reports.zip: %d %s", res.Status, res.Header.Get("Content-Type"))
		}
		if after := count(t, app, "SELECT count(*) FROM audit_events"); after != before {
			t.Errorf("refused report requests wrote %d audit rows", after-before)
		}
	})
}

// outcome is a response as the case-action matrix prints it: the status, and for a redirect
// whether it carries an ok or an error message.
func outcome(res testenv.Response) string {
	s := strconv.Itoa(res.Status)
	if f := flash(res); f != "" {
		kind, _, _ := strings.Cut(f, ":")
		s += " " + kind + " message"
	} else if res.Status == http.StatusSeeOther {
		s += " done"
	}
	return s
}

// action is one state-changing request on a case.
type action struct {
	name string
	path string
	form func() url.Values
	// multipart sends the form with a front image as multipart/form-data.
	multipart bool
	// open is true for what any reviewer may do on a colleague's case by design.
	open bool
	// role is true where the reviewer's role already lacks the permission (the route refuses).
	role bool
	// done is what the assignee's flash says when the request passed the assignee check (empty:
	// an ok flash).
	done string
}

// post sends a, as multipart when it asks for it.
func (a action) post(t testing.TB, c *testenv.Client, base string) testenv.Response {
	t.Helper()
	if !a.multipart {
		return c.PostForm(t, a.path, a.form())
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range a.form() {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile("front", "front.jpg")
	_, _ = fw.Write(specimen.Generate(99, specimen.Options{}).Front)
	_ = mw.Close()
	req, err := http.NewRequest("POST", base+a.path, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.Do(t, req)
}

// TestOnlyTheAssigneeActs: reviewer A claims a case and records a liveness verdict on it; then
// another reviewer and an admin (who is not the assignee) try every state-changing request on
// that case. Each is refused with a message that says why (a 403 page, or for claim and release
// a redirect with an error message), the database is left exactly as it was, and no audit row is
// written. Notes are the one thing open to colleagues by design (a note changes no decision). The
// same requests by A then succeed, which shows the refusals were not down to a malformed form.
func TestOnlyTheAssigneeActs(t *testing.T) {
	app := testenv.NewApp(t)
	a := app.CreateUser(t, "reviewer")
	b := app.CreateUser(t, "reviewer")
	admin := app.CreateUser(t, "admin")
	ac, bc, adminC := app.SignIn(t, a), app.SignIn(t, b), app.SignIn(t, admin)
	s := newSubject(t, app, 21, customers.Input{ExternalRef: "assigned-1"})
	if res := ac.PostForm(t, s.casePath()+"/claim", url.Values{}); res.Status != http.StatusSeeOther {
		t.Fatalf("A claims: %d", res.Status)
	}
	verdict := func(supersedes string) url.Values {
		return url.Values{"conclusion": {"true"}, "liveness_result": {"true"}, "facial_check": {"true"},
			"eyes_closed": {"false"}, "eyes_closed_confidence": {"96"}, "sunglasses": {"false"}, "sunglasses_confidence": {"99"},
			"face_occluded": {"false"}, "face_occluded_confidence": {"97"}, "liveness_confidence": {"93"},
			"reference_image": {s.selfie.String()}, "audit_images": {s.front.String()}, "comment": {"checked"}, "supersedes": {supersedes}}
	}
	if res := ac.PostForm(t, s.docPath()+"/liveness", verdict("")); res.Status != http.StatusSeeOther {
		t.Fatalf("A records a verdict: %d %s", res.Status, res.Body)
	}
	latest := func() string {
		var id uuid.UUID
		if err := app.Pool.QueryRow(t.Context(), "SELECT id FROM liveness_verdicts WHERE document_id = $1 ORDER BY seq DESC LIMIT 1",
			s.docID).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id.String()
	}
	first := latest()
	// Background work (the verdict's delivery) must be over before the database is compared.
	idle := func() bool {
		return count(t, app, "SELECT count(*) FROM river_job WHERE state NOT IN ('completed', 'discarded', 'cancelled')") == 0
	}
	waitFor(t, "the verdict's delivery", 60*time.Second, idle)

	actions := []action{
		{name: "claim", path: s.casePath() + "/claim", form: func() url.Values { return url.Values{} }},
		{name: "release", path: s.casePath() + "/release", form: func() url.Values { return url.Values{} }},
		{name: "assign", path: s.casePath() + "/assign", form: func() url.Values { return url.Values{"assignee": {b.ID.String()}} }, role: true},
		{name: "note", path: s.casePath() + "/notes", form: func() url.Values { return url.Values{"body": {"a colleague's remark"}} }, open: true},
		{name: "run checks", path: s.docPath() + "/checks", form: func() url.Values {
			return url.Values{"vendor": {"ooto"}, "request_key": {uuid.NewString()}}
		}},
		{name: "record liveness verdict", path: s.docPath() + "/liveness", form: func() url.Values { return verdict(latest()) }},
		// The verdict was delivered, so the assignee's retry gets past the assignee check to "nothing
		// to retry".
		{name: "retry liveness delivery", path: s.casePath() + "/liveness/" + first + "/retry", form: func() url.Values { return url.Values{} },
			done: "nothing to retry"},
		{name: "document decision", path: s.casePath() + "/document-decision", form: func() url.Values {
			return url.Values{"document": {s.docID.String()}, "outcome": {"accept"}, "reason": {reasonID(t, app, "doc_accept")}}
		}},
		{name: "case decision", path: s.casePath() + "/decision", form: func() url.Values {
			return url.Values{"outcome": {"escalate"}, "reason": {reasonID(t, app, "escalate")}, "comment": {"needs a second look"}}
		}},
		{name: "second review", path: s.casePath() + "/second-review", form: func() url.Values {
			return url.Values{"action": {"confirm"}}
		}, role: true},
		{name: "edit customer", path: "/customers/" + s.customerID.String(), form: func() url.Values {
			return url.Values{"given_names": {"Changed"}, "surname": {"By Someone Else"}, "nationality": {"GBR"}}
		}},
		{name: "add document", path: "/customers/" + s.customerID.String() + "/documents", multipart: true, form: func() url.Values {
			return url.Values{"type": {"passport"}, "issuing_country": {"GBR"}, "number": {"X1234567"}}
		}},
	}
	who := map[string]*testenv.Client{"other reviewer": bc, "admin (not assignee)": adminC}
	m := newMatrix("other reviewer", "admin (not assignee)", "assignee")
	for _, act := range actions {
		for _, name := range []string{"other reviewer", "admin (not assignee)"} {
			if act.name == "assign" && name == "admin (not assignee)" || act.name == "second review" && name == "admin (not assignee)" {
				continue // an admin may assign and second-review by role; the role matrix covers them
			}
			before := fingerprint(t, app)
			res := act.post(t, who[name], app.URL)
			m.set(act.name, name, outcome(res))
			if act.open {
				if res.Status != http.StatusSeeOther || strings.HasPrefix(flash(res), "error") {
					t.Errorf("%s by %s: %d %q, want it done (open to colleagues by design)", act.name, name, res.Status, flash(res))
				}
				continue
			}
			switch res.Status {
			case http.StatusForbidden:
				doc := res.Doc(t)
				why := "assigned to someone else"
				if act.role {
					why = "Your role (reviewer) does not allow this: only a manager or an admin may "
				}
				// The refusal is the error page, or, for a form that is given back as it was typed
				// (a liveness verdict), an alert at the form's top.
				page := strings.Contains(doc.Find("h1").Text(), "Not allowed") && strings.Contains(doc.Find("main").Text(), why)
				kept := strings.Contains(doc.Find("main [role=alert]").Text(), why)
				if !page && !kept {
					t.Errorf("%s by %s: 403 without a clear message: %q", act.name, name, clip(doc.Find("main").Text()))
				}
			case http.StatusSeeOther:
				if msg := flash(res); !strings.HasPrefix(msg, "error:") {
					t.Errorf("%s by %s: redirected without an error message (%q)", act.name, name, msg)
				}
			default:
				t.Errorf("%s by %s: %d, want 403 or a redirect with an error", act.name, name, res.Status)
			}
			if after := fingerprint(t, app); after != before {
				t.Errorf("%s by %s changed the database: %s", act.name, name, diff(before, after))
			}
		}
	}

	// The assignee's own requests go through: the forms were sound.
	for _, act := range actions {
		if act.name == "claim" || act.name == "assign" || act.name == "second review" {
			continue
		}
		res := act.post(t, ac, app.URL)
		m.set(act.name, "assignee", outcome(res))
		if act.done != "" {
			if !strings.Contains(flash(res), act.done) {
				t.Errorf("%s by the assignee: %d %q, want %q", act.name, res.Status, flash(res), act.done)
			}
		} else if res.Status != http.StatusSeeOther || strings.HasPrefix(flash(res), "error") {
			t.Errorf("%s by the assignee: %d %q", act.name, res.Status, flash(res))
		}
		if act.name == "release" || act.name == "case decision" {
			// Released, or escalated (which releases the case too): A claims it again, for the
			// actions after it are the holder's alone (editing the customer included).
			if res := ac.PostForm(t, s.casePath()+"/claim", url.Values{}); res.Status != http.StatusSeeOther || strings.HasPrefix(flash(res), "error") {
				t.Fatalf("A claims again: %d %q", res.Status, flash(res))
			}
		}
	}
	m.log(t, "Case action × who → status (A holds the case)")
}
