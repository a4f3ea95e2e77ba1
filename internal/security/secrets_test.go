package security_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"kycdesk/internal/checks"
	"kycdesk/internal/customers"
	"kycdesk/internal/specimen"
	"kycdesk/internal/testenv"
	"kycdesk/internal/vendors/apptenticate"
	"kycdesk/internal/vendors/argos"
	"kycdesk/internal/vendors/cynopsis"
	"kycdesk/internal/vendors/ooto"
)

// distinct is a value no page, log line or row could hold by chance.
func distinct(label string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return label + "-" + hex.EncodeToString(b)
}

// captured is one answer the app gave, kept to be searched.
type captured struct {
	label  string
	header http.Header
	body   string
}

// leakSearch holds the secrets, where each may legitimately be shown (the one answer that hands
// it over), and everything the app produced.
type leakSearch struct {
	secrets map[string]string          // label → value
	shownIn map[string]map[string]bool // secret label → labels of answers allowed to show it
	answers []captured
}

func (l *leakSearch) secret(label, value string) string {
	l.secrets[label] = value
	return value
}

// keep records an answer: its headers (but the session cookie it sets, which is its job) and body.
func (l *leakSearch) keep(label string, res testenv.Response) testenv.Response {
	h := res.Header.Clone()
	h.Del("Set-Cookie")
	l.answers = append(l.answers, captured{label: label, header: h, body: res.Body})
	return res
}

// forms of a secret as it could be written: as is, URL-encoded, base64 (standard and URL), JSON.
func forms(s string) []string {
	q, _ := json.Marshal(s)
	return []string{s, url.QueryEscape(s), base64.StdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s)),
		strings.Trim(string(q), `"`)}
}

// TestSecretsNeverLeak configures every vendor with credentials of its own (fakes that accept only
// those, on local servers), creates API tokens, passwords (chosen, temporary, set through a link)
// and sessions, then uses the app end to end: the connection test of every vendor, intake through
// the API, every check (Argos asynchronously, so its callback token is in play), a liveness
// verdict delivered to Artemis, a decision, the CSV/XLSX exports, the PDF report and ZIP, the audit
// export in CSV and JSON lines, the dashboard, and every GET route of the router as an admin (and
// the API's as a token). Then it looks for every secret, in every form it could be written, in
// every answer (headers and body), in the app's log, and in every row of every table of the
// database, audit log and vendor call log included. Only the answer that hands a secret over
// (the new token's page, a temporary password's page) may show it.
func TestSecretsNeverLeak(t *testing.T) {
	app := testenv.NewApp(t)
	ls := &leakSearch{secrets: map[string]string{}, shownIn: map[string]map[string]bool{}}
	allow := func(secret, answer string) {
		if ls.shownIn[secret] == nil {
			ls.shownIn[secret] = map[string]bool{}
		}
		ls.shownIn[secret][answer] = true
	}
	ctx := context.Background()

	// The vendors, each a fake that accepts only its own distinctive credentials.
	cynID, cynSecret := distinct("cyn-client"), ls.secret("Cynopsis client secret", distinct("cyn-secret"))
	ls.secret("Cynopsis basic auth", base64.StdEncoding.EncodeToString([]byte(cynID+":"+cynSecret)))
	appUser, appPass := distinct("app-user"), ls.secret("Apptenticate password", distinct("app-password"))
	ls.secret("Apptenticate basic auth", base64.StdEncoding.EncodeToString([]byte(appUser+":"+appPass)))
	argosKey := ls.secret("Argos API key", distinct("argos-key"))
	ootoID, ootoKey := distinct("ooto-app-id"), ls.secret("OOTO APP-KEY", distinct("ooto-app-key"))
	cyn := cynopsis.NewFake(cynID, cynSecret, 7001, specimen.Identify)
	apt := apptenticate.NewFake(appUser, appPass, specimen.Identify)
	arg := argos.NewFake(argosKey, specimen.Identify)
	arg.SetCallbackClient(&http.Client{Timeout: 10 * time.Second})
	arg.SetCallbackDelay(50 * time.Millisecond)
	t.Cleanup(arg.Close)
	oot := ooto.NewFake(ootoID, ootoKey, specimen.Identify)
	serve := func(h http.Handler) string {
		s := httptest.NewServer(h)
		t.Cleanup(s.Close)
		return s.URL
	}
	cynURL, aptURL, argURL, ootURL := serve(cyn), serve(apt), serve(arg), serve(oot)

	// People, each with a password of their own.
	adminU := app.CreateUser(t, "admin")
	ls.secret("admin password", adminU.Password)
	revU := app.CreateUser(t, "reviewer")
	ls.secret("reviewer first password", revU.Password)
	mgrU := app.CreateUser(t, "manager")
	ls.secret("manager password", mgrU.Password)
	admin, rev, mgr := app.SignIn(t, adminU), app.SignIn(t, revU), app.SignIn(t, mgrU)

	// The admin configures every vendor in the sandbox, looks at the forms and tests each one.
	settings := map[string]url.Values{
		"cynopsis_ocr": {"auth_url": {cynURL}, "ocr_url": {cynURL}, "client_id": {cynID}, "client_secret": {cynSecret}, "domain_id": {"7001"}},
		"artemis":      {"auth_url": {cynURL}, "artemis_url": {cynURL}, "client_id": {cynID}, "client_secret": {cynSecret}, "domain_id": {"7001"}},
		"apptenticate": {"base_url": {aptURL}, "username": {appUser}, "password": {appPass}},
		"argos":        {"base_url": {argURL}, "api_key": {argosKey}, "mode": {"async"}},
		"ooto":         {"base_url": {ootURL}, "app_id": {ootoID}, "app_key": {ootoKey}},
	}
	for _, v := range sortedKeys(settings) {
		f := settings[v]
		f.Set("enabled", "on")
		f.Set("timeout_seconds", "30")
		f.Set("concurrency", "4")
		if res := ls.keep("save "+v, admin.PostForm(t, "/admin/vendors/"+v+"/sandbox", f)); res.Status != http.StatusSeeOther {
			t.Fatalf("save %s: %d %s", v, res.Status, clip(res.Body))
		}
		ls.keep("form "+v, admin.Get(t, "/admin/vendors/"+v+"/sandbox"))
		res := ls.keep("test "+v, admin.PostForm(t, "/admin/vendors/"+v+"/sandbox/test", url.Values{}))
		if res.Status != http.StatusOK || !strings.Contains(res.Body, "Connection works") {
			t.Errorf("test connection of %s: %d %s", v, res.Status, clip(res.Doc(t).Find("#test-result").Text()))
		}
	}
	// A refused form with a typed secret does not send the secret back.
	wrong := url.Values{"auth_url": {"ftp://nowhere"}, "client_secret": {cynSecret}, "timeout_seconds": {"30"}, "concurrency": {"4"}}
	if res := ls.keep("refused vendor form", admin.PostForm(t, "/admin/vendors/cynopsis_ocr/production", wrong)); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("a refused vendor form: %d", res.Status)
	}
	// A connection test with a wrong secret (production, not enabled) says it failed, and how,
	// without the secret it tried.
	wrongOOTO := url.Values{"base_url": {ootURL}, "app_id": {ootoID}, "app_key": {ls.secret("wrong OOTO APP-KEY", distinct("wrong-ooto-key"))},
		"timeout_seconds": {"30"}, "concurrency": {"4"}}
	ls.keep("save wrong ooto", admin.PostForm(t, "/admin/vendors/ooto/production", wrongOOTO))
	ls.keep("test wrong ooto", admin.PostForm(t, "/admin/vendors/ooto/production/test", url.Values{}))

	// API tokens: one made on the admin page (its value shown once), one revoked and tried.
	res := admin.PostForm(t, "/admin/api-tokens", url.Values{"name": {"onboarding"}})
	token := ls.secret("API token", strings.TrimSpace(res.Doc(t).Find("#new-token").Text()))
	ls.keep("token shown once", res)
	allow("API token", "token shown once")
	if !strings.HasPrefix(token, "kyc_") {
		t.Fatalf("new token: %d %q", res.Status, token)
	}
	old := ls.secret("revoked API token", app.CreateAPIToken(t, "old"))
	var oldID string
	if err := app.Pool.QueryRow(ctx, "SELECT id::text FROM api_tokens WHERE name = 'old'").Scan(&oldID); err != nil {
		t.Fatal(err)
	}
	ls.keep("revoke token", admin.PostForm(t, "/admin/api-tokens/"+oldID+"/revoke", url.Values{}))
	api := app.NewClient()
	if res := ls.keep("revoked token used", api.API(t, "GET", "/api/v1/customers?external_ref=x", old, "", nil)); res.Status != http.StatusUnauthorized {
		t.Errorf("revoked token: %d", res.Status)
	}
	ls.keep("wrong token used", api.API(t, "GET", "/api/v1/customers?external_ref=x", ls.secret("unknown token", "kyc_"+distinct("guess")), "", nil))

	// Intake through the API.
	sp := specimen.Generate(71, specimen.Options{})
	body, _ := json.Marshal(customers.Input{ExternalRef: "secret-1", GivenNames: sp.GivenNames, Surname: sp.Surname, Nationality: sp.Nationality})
	res = ls.keep("API create", api.API(t, "POST", "/api/v1/customers", token, "application/json", body, "Idempotency-Key", "k-1"))
	var cust struct {
		ID    string `json:"id"`
		Cases []struct {
			ID string `json:"id"`
		} `json:"cases"`
	}
	if err := json.Unmarshal([]byte(res.Body), &cust); err != nil || len(cust.Cases) != 1 {
		t.Fatalf("API create: %d %s", res.Status, res.Body)
	}
	caseID := cust.Cases[0].ID
	ctype, mp := multipartBody(url.Values{"type": {"passport"}, "issuing_country": {sp.IssuingCountry}, "number": {sp.DocumentNumber}},
		[3]any{"front", "front.jpg", sp.Front}, [3]any{"selfie", "selfie.jpg", sp.Selfie})
	if res := ls.keep("API upload", api.API(t, "POST", "/api/v1/customers/"+cust.ID+"/documents", token, ctype, mp)); res.Status != http.StatusCreated {
		t.Fatalf("API upload: %d %s", res.Status, res.Body)
	}
	var docID, frontID, selfieID string
	if err := app.Pool.QueryRow(ctx, `SELECT d.id::text, (SELECT id::text FROM images WHERE document_id = d.id AND kind = 'front'),
		(SELECT id::text FROM images WHERE document_id = d.id AND kind = 'selfie') FROM documents d WHERE d.customer_id = $1`, cust.ID).Scan(&docID, &frontID, &selfieID); err != nil {
		t.Fatal(err)
	}

	// The reviewer runs every check, records a liveness verdict and escalates.
	casePath := "/cases/" + caseID
	docPath := casePath + "/documents/" + docID
	ls.keep("claim", rev.PostForm(t, casePath+"/claim", url.Values{}))
	var names []string
	for _, v := range checks.Runnable {
		names = append(names, string(v))
	}
	if res := ls.keep("run checks", rev.PostForm(t, docPath+"/checks", url.Values{"vendor": names, "request_key": {"s-1"}})); res.Status != http.StatusSeeOther {
		t.Fatalf("run checks: %d", res.Status)
	}
	waitFor(t, "the checks", 90*time.Second, func() bool {
		return count(t, app, "SELECT count(*) FROM checks WHERE state NOT IN ('done', 'failed')") == 0
	})
	ls.keep("verdict", rev.PostForm(t, docPath+"/liveness", url.Values{"conclusion": {"true"}, "liveness_result": {"true"}, "facial_check": {"true"},
		"eyes_closed": {"false"}, "eyes_closed_confidence": {"96"}, "sunglasses": {"false"}, "sunglasses_confidence": {"99"},
		"face_occluded": {"false"}, "face_occluded_confidence": {"97"}, "liveness_confidence": {"93"},
		"reference_image": {selfieID}, "audit_images": {frontID}}))
	waitFor(t, "the verdict's delivery", 60*time.Second, func() bool {
		return count(t, app, "SELECT count(*) FROM liveness_deliveries WHERE state IN ('pending', 'retrying')") == 0
	})
	var states []string
	rows, err := app.Pool.Query(ctx, "SELECT vendor || ':' || state::text || ':' || code FROM checks ORDER BY vendor")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		states = append(states, s)
	}
	rows.Close()
	t.Logf("checks: %v; delivery: %d delivered", states, count(t, app, "SELECT count(*) FROM liveness_deliveries WHERE state = 'delivered'"))
	if n := count(t, app, "SELECT count(*) FROM checks WHERE state = 'done'"); n != len(checks.Runnable) {
		t.Errorf("%d of %d checks done with the configured credentials: %v", n, len(checks.Runnable), states)
	}
	if count(t, app, "SELECT count(*) FROM liveness_deliveries WHERE state = 'delivered'") != 1 {
		t.Error("the verdict was not delivered with the configured credentials")
	}
	for _, cb := range arg.Callbacks() {
		u, _ := url.Parse(cb.URL)
		ls.secret("Argos callback token", u.Path[strings.LastIndex(u.Path, "/")+1:])
	}
	if _, ok := ls.secrets["Argos callback token"]; !ok {
		t.Error("Argos did not call back")
	}
	ls.keep("decide", rev.PostForm(t, casePath+"/decision", url.Values{"outcome": {"escalate"}, "reason": {reasonID(t, app, "escalate")}, "comment": {"see notes"}}))

	// Passwords: the reviewer changes theirs; the manager gets a temporary one and changes it; a
	// new user sets theirs through a one-time link.
	newRev := ls.secret("reviewer new password", "Rev-"+distinct("pw"))
	ls.keep("password change", rev.PostForm(t, "/account/password", url.Values{"current": {revU.Password}, "password": {newRev}, "confirm": {newRev}}))
	res = ls.keep("temporary password", admin.PostForm(t, "/admin/users/"+mgrU.ID.String()+"/temporary-password", url.Values{}))
	temp := ls.secret("temporary password", strings.TrimSpace(res.Doc(t).Find("#one-time-secret").Text()))
	allow("temporary password", "temporary password")
	if temp == "" {
		t.Fatalf("temporary password page: %d", res.Status)
	}
	mgr = app.NewClient()
	ls.keep("sign in with the temporary password", mgr.PostForm(t, "/login", url.Values{"email": {mgrU.Email}, "password": {temp}}))
	newMgr := ls.secret("manager new password", "Mgr-"+distinct("pw"))
	ls.keep("manager chooses a password", mgr.PostForm(t, "/account/password", url.Values{"current": {temp}, "password": {newMgr}, "confirm": {newMgr}}))
	res = ls.keep("new user with a link", admin.PostForm(t, "/admin/users", url.Values{"email": {"linked@example.com"}, "name": {"Linked User"},
		"role": {"reviewer"}, "setup": {"link"}}))
	link := strings.TrimSpace(res.Doc(t).Find("#one-time-secret").Text())
	linkToken := ls.secret("set-password link token", link[strings.LastIndex(link, "/")+1:])
	allow("set-password link token", "new user with a link")
	linkPath := "/set-password/" + linkToken
	ls.keep("set-password page", app.NewClient().Get(t, linkPath))
	allow("set-password link token", "set-password page") // the page's own form posts back to its address
	linked := ls.secret("linked user's password", "Link-"+distinct("pw"))
	ls.keep("set the password", app.NewClient().PostForm(t, linkPath, url.Values{"password": {linked}, "confirm": {linked}}))
	lc := app.SignIn(t, testenv.User{Email: "linked@example.com", Password: linked})

	// The manager's files.
	for _, p := range []string{"/cases/export.csv?status=all", "/cases/export.xlsx?status=all", casePath + "/report.pdf", "/audit/export.csv",
		"/audit/export.jsonl", "/dashboard", "/dashboard?chart=vendor-latency&format=csv", "/audit"} {
		if res := ls.keep("manager "+p, mgr.Get(t, p)); res.Status != http.StatusOK {
			t.Errorf("manager GET %s: %d", p, res.Status)
		}
	}
	ls.keep("reports zip", mgr.PostForm(t, "/cases/reports.zip", url.Values{"case": {caseID}}))

	// Every GET route, as the admin (the API's as the token), with real ids.
	var calls []string
	rows, err = app.Pool.Query(ctx, "SELECT id::text FROM vendor_calls ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		calls = append(calls, id)
	}
	rows.Close()
	if len(calls) == 0 {
		t.Fatal("no vendor call was logged")
	}
	var verdictID string
	if err := app.Pool.QueryRow(ctx, "SELECT id::text FROM liveness_verdicts LIMIT 1").Scan(&verdictID); err != nil {
		t.Fatal(err)
	}
	expand := func(pattern string) []string {
		switch {
		case pattern == "/vendor-calls/{id}":
			var out []string
			for _, id := range calls {
				out = append(out, "/vendor-calls/"+id)
			}
			return out
		case pattern == "/images/{id}/{variant}":
			var out []string
			for _, id := range []string{frontID, selfieID} {
				for _, v := range []string{"original", "display", "thumb"} {
					out = append(out, "/images/"+id+"/"+v)
				}
			}
			return out
		case pattern == "/admin/vendors/{vendor}/{env}":
			var out []string
			for v := range settings {
				for _, env := range []string{"sandbox", "production"} {
					out = append(out, "/admin/vendors/"+v+"/"+env)
				}
			}
			return out
		case pattern == "/admin/users/{id}":
			return []string{"/admin/users/" + adminU.ID.String(), "/admin/users/" + revU.ID.String(), "/admin/users/" + mgrU.ID.String()}
		case pattern == "/api/v1/customers":
			return []string{"/api/v1/customers?external_ref=secret-1"}
		case pattern == "/set-password/{token}":
			return []string{"/set-password/" + uuid.NewString()}
		}
		r := strings.NewReplacer("{doc}", docID, "{verdict}", verdictID)
		p := r.Replace(pattern)
		switch {
		case strings.HasPrefix(p, "/customers/"), strings.HasPrefix(p, "/api/v1/customers/"):
			p = strings.Replace(p, "{id}", cust.ID, 1)
		default:
			p = strings.Replace(p, "{id}", caseID, 1)
		}
		if strings.Contains(p, "{") {
			return nil
		}
		return []string{p}
	}
	visited := 0
	for _, rt := range app.Server.Routes() {
		if rt.Method != "GET" {
			continue
		}
		paths := expand(rt.Pattern)
		if len(paths) == 0 {
			t.Errorf("GET %s was not visited: give it real values in expand", rt.Pattern)
		}
		for _, p := range paths {
			var res testenv.Response
			if rt.Access.Token {
				res = api.API(t, "GET", p, token, "", nil)
			} else {
				res = admin.Get(t, p)
			}
			ls.keep("GET "+p, res)
			visited++
			if res.Status >= 500 {
				t.Errorf("GET %s: %d", p, res.Status)
			}
		}
	}
	ls.keep("linked user's queue", lc.Get(t, "/cases"))
	t.Logf("%d answers kept, %d GET pages visited", len(ls.answers), visited)

	// The session cookies, the most valuable secret a browser holds.
	base, _ := url.Parse(app.URL)
	for who, c := range map[string]*testenv.Client{"admin": admin, "reviewer": rev, "manager": mgr, "linked user": lc} {
		for _, k := range c.Jar.Cookies(base) {
			if k.Name == "kycdesk_session" {
				ls.secret(who+" session cookie", k.Value)
				if _, sec, ok := strings.Cut(k.Value, "."); ok {
					ls.secret(who+" session secret", sec)
				}
			}
		}
	}

	// The key that seals the vendor secrets at rest (the local keeper's file).
	keyText, err := os.ReadFile(filepath.Join(app.Cfg.DataDir, "secrets.key"))
	if err != nil {
		t.Fatalf("the secrets key: %v", err)
	}
	ls.secret("vendor secrets key (as stored)", strings.TrimSpace(string(keyText)))
	raw, err := base64.URLEncoding.DecodeString(strings.TrimSpace(string(keyText)))
	if err != nil || len(raw) != 32 {
		t.Fatalf("the secrets key does not decode: %v", err)
	}
	ls.secret("vendor secrets key (hex)", hex.EncodeToString(raw))
	ls.secret("vendor secrets key (base64)", base64.StdEncoding.EncodeToString(raw))

	// The search finds a secret where it is meant to be, so "clean" below means something.
	for label, where := range ls.shownIn {
		for answer := range where {
			found := false
			for _, a := range ls.answers {
				if a.label == answer && strings.Contains(a.body, ls.secrets[label]) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s is not on %q, where it is handed over: the search is blind", label, answer)
			}
		}
	}

	// Where the secrets must not be: the answers, the log, the database.
	places := map[string]string{"app log": app.Logs()}
	for name, text := range dumpTables(t, app) {
		places["table "+name] = text
	}
	m := newMatrix("answers", "log", "database")
	for _, label := range sortedKeys(ls.secrets) {
		value := ls.secrets[label]
		if len(value) < 12 {
			t.Fatalf("%s is too short to search for: %q", label, value)
		}
		hits := map[string][]string{}
		for _, a := range ls.answers {
			if ls.shownIn[label][a.label] {
				continue
			}
			var hb strings.Builder
			for k, vs := range a.header {
				hb.WriteString(k + ": " + strings.Join(vs, ", ") + "\n")
			}
			for _, f := range forms(value) {
				if strings.Contains(a.body, f) || strings.Contains(hb.String(), f) {
					hits["answers"] = append(hits["answers"], a.label)
					break
				}
			}
		}
		for place, text := range places {
			col := "database"
			if place == "app log" {
				col = "log"
			}
			for _, f := range forms(value) {
				if strings.Contains(text, f) {
					hits[col] = append(hits[col], place)
					break
				}
			}
		}
		for _, col := range []string{"answers", "log", "database"} {
			if len(hits[col]) == 0 {
				m.set(label, col, "clean")
				continue
			}
			m.set(label, col, "LEAK")
			t.Errorf("%s leaks into %s: %v", label, col, hits[col])
		}
	}
	m.log(t, fmt.Sprintf("Secret × where it was looked for (%d answers, %d log bytes, %d tables)", len(ls.answers), len(app.Logs()), len(places)-1))
}

// dumpTables returns every row of every table of the app's schema as text, one string per table:
// bytea as its bytes, JSON re-encoded, everything else printed.
func dumpTables(t testing.TB, app *testenv.App) map[string]string {
	t.Helper()
	ctx := context.Background()
	rows, err := app.Pool.Query(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	out := map[string]string{}
	for _, tbl := range tables {
		rows, err := app.Pool.Query(ctx, "SELECT * FROM "+strconv.Quote(tbl))
		if err != nil {
			t.Fatalf("dump %s: %v", tbl, err)
		}
		var b strings.Builder
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				t.Fatalf("dump %s: %v", tbl, err)
			}
			for _, v := range vals {
				switch x := v.(type) {
				case []byte:
					b.Write(x)
				case string:
					b.WriteString(x)
				case map[string]any, []any:
					j, _ := json.Marshal(x)
					b.Write(j)
				default:
					fmt.Fprint(&b, x)
				}
				b.WriteString("\x1f")
			}
			b.WriteString("\n")
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			t.Fatalf("dump %s: %v", tbl, err)
		}
		out[tbl] = b.String()
	}
	if len(out) < 10 {
		t.Fatalf("only %d tables dumped", len(out))
	}
	return out
}
