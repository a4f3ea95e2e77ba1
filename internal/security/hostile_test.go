package security_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"kycdesk/internal/cases"
	"kycdesk/internal/checks"
	"kycdesk/internal/specimen"
	"kycdesk/internal/testenv"
)

// The payloads: markup, a script URL, a client-side template, and the starts of spreadsheet
// formulas. Each field below carries a mix of them, within what the field's validation allows,
// so that every formula start leads some exported cell.
const (
	pScript   = `<script>alert(1)</script>`
	pImg      = `"><img src=x onerror=alert(1)>`
	pJS       = `javascript:alert(1)`
	pTemplate = `{{7*7}}`
	pCmd      = `=cmd|' /C calc'!A0`
	pSum      = `+SUM(1)`
	pAt       = `@x`
	pMinus    = `-1+1`
)

// hostile are the values put in every text field, by field.
var hostile = map[string]string{
	"user name (reviewer)":        pCmd + " " + pScript,
	"user name (manager)":         pSum + " " + pImg,
	"API token name":              pAt + " " + pScript,
	"decision reason label":       pMinus + " " + pImg + " " + pJS,
	"vendor APP-ID":               pImg + " " + pTemplate,
	"vendor path":                 "/" + pScript,
	"given names (form)":          pScript,
	"surname (form)":              pCmd,
	"address (form)":              pImg + " " + pJS + " " + pTemplate,
	"email (form)":                `=cmd|'/Ccalc'!A0@example.com`,
	"phone (form)":                "+1 (555) 0100",
	"external reference (form)":   "-1:javascript:alert",
	"document number (form)":      "-1 <SCRIPT SRC.X",
	"given names (API)":           pImg,
	"surname (API)":               pAt + " " + pTemplate,
	"address (API)":               pScript,
	"external reference (API)":    "-2.2:javascript:void",
	"document number (API)":       "-9 <IMG SRC.X",
	"document number (API file)":  "-8 <SVG/ONLOAD.X",
	"note":                        pScript + " " + pCmd,
	"note (formula first)":        pSum + " " + pImg,
	"liveness verdict comment":    pImg + " " + pTemplate + " " + pMinus,
	"document decision comment":   pAt + " " + pJS,
	"case decision comment":       `=HYPERLINK("http://evil.example","x") ` + pScript,
	"user agent (sessions page)":  pScript + " Mozilla/5.0",
	"file name (form upload)":     pImg + ".jpg",
	"file name (API upload)":      pScript + ".jpg",
	"queue search (reflected)":    pScript,
	"sign-in next (reflected)":    pJS,
	"login email (reflected)":     pImg + "@example.com",
	"vendor URL (refused, shown)": pJS,
}

// shownAnywhere lists the fields that need not appear as text on any page: a browser's
// user agent is shown as a device description; file names are made safe before they are kept;
// reflected input may be dropped rather than shown.
var shownAnywhere = map[string]bool{"user agent (sessions page)": false, "file name (form upload)": false, "file name (API upload)": false,
	"queue search (reflected)": false, "sign-in next (reflected)": false, "login email (reflected)": false}

// formula reports whether a cell would be read by a spreadsheet as the start of a formula.
func formula(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	r, _ := utf8.DecodeRuneInString(s)
	return r == '＝' || r == '＋' || r == '－' || r == '＠'
}

// signInAs signs u in through the form with a given user agent.
func signInAs(t testing.TB, app *testenv.App, email, password, ua string) *testenv.Client {
	t.Helper()
	c := app.NewClient()
	res := c.PostForm(t, "/login", url.Values{"email": {email}, "password": {password}}, "User-Agent", ua)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %d %s", email, res.Status, res.Body)
	}
	return c
}

// createUserByForm has the admin create a user through the form with a temporary password, then
// signs them in and has them choose their own password, as a new colleague would.
func createUserByForm(t testing.TB, app *testenv.App, admin *testenv.Client, role, name, ua string) (*testenv.Client, uuid.UUID) {
	t.Helper()
	email := role + "-" + uuid.NewString()[:8] + "@example.com"
	res := admin.PostForm(t, "/admin/users", url.Values{"email": {email}, "name": {name}, "role": {role}, "setup": {"password"}})
	if res.Status != http.StatusOK {
		t.Fatalf("create %s: %d %s", role, res.Status, clip(res.Body))
	}
	temp := strings.TrimSpace(res.Doc(t).Find("#one-time-secret").Text())
	c := signInAs(t, app, email, temp, ua)
	pw := "Hostile-Test-Pass-" + uuid.NewString()[:8]
	if res := c.PostForm(t, "/account/password", url.Values{"current": {temp}, "password": {pw}, "confirm": {pw}}); res.Status != http.StatusSeeOther {
		t.Fatalf("%s chooses a password: %d %s", role, res.Status, clip(res.Body))
	}
	var id uuid.UUID
	if err := app.Pool.QueryRow(t.Context(), "SELECT id FROM users WHERE email = $1", email).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return c, id
}

// multipartBody builds a multipart form with fields and files (field name, file name, bytes).
func multipartBody(fields url.Values, files ...[3]any) (string, []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	for _, f := range files {
		fw, _ := mw.CreateFormFile(f[0].(string), f[1].(string))
		_, _ = fw.Write(f[2].([]byte))
	}
	_ = mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

// postMultipart posts a multipart form as a same-origin browser form.
func postMultipart(t testing.TB, c *testenv.Client, base, path, ctype string, body []byte) testenv.Response {
	t.Helper()
	req, err := http.NewRequest("POST", base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Origin", base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.Do(t, req)
}

// visible is a page's text and its attribute values, whitespace collapsed: what a user can see
// or a form shows back.
func visible(body string) string {
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(doc.Text())
	doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			b.WriteString(" ")
			b.WriteString(a.Val)
		}
	})
	return strings.Join(strings.Fields(b.String()), " ")
}

// TestHostileTextIsInert fills every text field a user or the intake API can fill with script,
// markup, template and formula payloads, through the forms and the API as they would, uses the
// data (checks, a liveness verdict, document and case decisions), then reads it all back: every
// page renders it as text and runs nothing; the PDF case report prints it as text and holds no
// active content; every cell of the CSV and XLSX exports, the audit export and the dashboard's CSV
// that would start a formula is neutralised; the audit JSON lines stay valid JSON.
func TestHostileTextIsInert(t *testing.T) {
	app := testenv.NewApp(t)
	adminU := app.CreateUser(t, "admin")
	ua := hostile["user agent (sessions page)"]
	admin := signInAs(t, app, adminU.Email, adminU.Password, ua)

	// Administration: users, an API token, a decision reason, vendor settings.
	rev, revID := createUserByForm(t, app, admin, "reviewer", hostile["user name (reviewer)"], ua)
	mgr, _ := createUserByForm(t, app, admin, "manager", hostile["user name (manager)"], ua)
	res := admin.PostForm(t, "/admin/api-tokens", url.Values{"name": {hostile["API token name"]}})
	token := strings.TrimSpace(res.Doc(t).Find("#new-token").Text())
	if res.Status != http.StatusOK || !strings.HasPrefix(token, "kyc_") {
		t.Fatalf("create an API token: %d %q", res.Status, token)
	}
	if res := admin.PostForm(t, "/admin/review/reasons", url.Values{"outcome": {"escalate"}, "label": {hostile["decision reason label"]}}); res.Status != http.StatusSeeOther {
		t.Fatalf("add a reason: %d %s", res.Status, clip(res.Body))
	}
	var hostileReason string
	if err := app.Pool.QueryRow(t.Context(), "SELECT id::text FROM decision_reasons WHERE label = $1", hostile["decision reason label"]).Scan(&hostileReason); err != nil {
		t.Fatal(err)
	}
	if res := admin.PostForm(t, "/admin/vendors/ooto/sandbox", url.Values{"base_url": {"http://127.0.0.1:9"}, "path": {hostile["vendor path"]},
		"app_id": {hostile["vendor APP-ID"]}, "timeout_seconds": {"30"}, "concurrency": {"2"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("save vendor settings: %d %s", res.Status, clip(res.Body))
	}
	pages := map[string]string{} // label → body, every page read back below
	res = admin.PostForm(t, "/admin/vendors/argos/sandbox", url.Values{"base_url": {hostile["vendor URL (refused, shown)"]},
		"timeout_seconds": {"30"}, "concurrency": {"2"}})
	if res.Status != http.StatusUnprocessableEntity {
		t.Errorf("a javascript: vendor URL: %d", res.Status)
	}
	pages["vendor form refused"] = res.Body

	// A customer through the browser form, with a document whose file name is hostile.
	res = rev.PostForm(t, "/customers", url.Values{"given_names": {hostile["given names (form)"]}, "surname": {hostile["surname (form)"]},
		"address": {hostile["address (form)"]}, "email": {hostile["email (form)"]}, "phone": {hostile["phone (form)"]},
		"external_ref": {hostile["external reference (form)"]}, "nationality": {"GBR"}, "date_of_birth": {"1980-02-03"}})
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/cases/") {
		t.Fatalf("create a customer by form: %d %s", res.Status, clip(res.Body))
	}
	c1 := strings.TrimPrefix(res.Location, "/cases/")
	var cust1 string
	if err := app.Pool.QueryRow(t.Context(), "SELECT customer_id::text FROM cases WHERE id = $1", c1).Scan(&cust1); err != nil {
		t.Fatal(err)
	}
	sp := specimen.Generate(31, specimen.Options{})
	ctype, body := multipartBody(url.Values{"type": {"passport"}, "issuing_country": {"GBR"}, "number": {hostile["document number (form)"]}},
		[3]any{"front", hostile["file name (form upload)"], sp.Front}, [3]any{"selfie", hostile["file name (form upload)"], sp.Selfie})
	if res := postMultipart(t, rev, app.URL, "/customers/"+cust1+"/documents", ctype, body); res.Status != http.StatusSeeOther {
		t.Fatalf("upload by form: %d %s", res.Status, clip(res.Body))
	}

	// A customer through the API, with a declared document and an uploaded one.
	api := app.NewClient()
	in, _ := json.Marshal(map[string]any{"given_names": hostile["given names (API)"], "surname": hostile["surname (API)"],
		"address": hostile["address (API)"], "external_ref": hostile["external reference (API)"], "nationality": "DEU",
		"documents": []map[string]string{{"type": "national_id", "issuing_country": "DEU", "number": hostile["document number (API)"]}}})
	res = api.API(t, "POST", "/api/v1/customers", token, "application/json", in)
	if res.Status != http.StatusCreated {
		t.Fatalf("create a customer by API: %d %s", res.Status, res.Body)
	}
	var created struct {
		ID    string `json:"id"`
		Cases []struct {
			ID string `json:"id"`
		} `json:"cases"`
	}
	if err := json.Unmarshal([]byte(res.Body), &created); err != nil || len(created.Cases) != 1 {
		t.Fatalf("API answer: %v %s", err, res.Body)
	}
	c2 := created.Cases[0].ID
	sp2 := specimen.Generate(32, specimen.Options{})
	ctype, body = multipartBody(url.Values{"type": {"passport"}, "issuing_country": {"DEU"}, "number": {hostile["document number (API file)"]}},
		[3]any{"front", hostile["file name (API upload)"], sp2.Front}, [3]any{"selfie", hostile["file name (API upload)"], sp2.Selfie})
	if res := api.API(t, "POST", "/api/v1/customers/"+created.ID+"/documents", token, ctype, body); res.Status != http.StatusCreated {
		t.Fatalf("upload by API: %d %s", res.Status, res.Body)
	}

	// The reviewer works the form customer's case: notes, checks, a liveness verdict, a document
	// decision, then an escalation with the hostile reason. The API customer's case is claimed.
	docs := map[string]string{} // case → its newest document with images
	for _, c := range []string{c1, c2} {
		var doc string
		if err := app.Pool.QueryRow(t.Context(), `SELECT d.id::text FROM documents d JOIN cases c ON c.customer_id = d.customer_id
			WHERE c.id = $1 AND EXISTS (SELECT 1 FROM images i WHERE i.document_id = d.id) ORDER BY d.created_at DESC LIMIT 1`, c).Scan(&doc); err != nil {
			t.Fatal(err)
		}
		docs[c] = doc
		if res := rev.PostForm(t, "/cases/"+c+"/claim", url.Values{}); res.Status != http.StatusSeeOther || strings.HasPrefix(flash(res), "error") {
			t.Fatalf("claim %s: %d %q", c, res.Status, flash(res))
		}
	}
	docPath := "/cases/" + c1 + "/documents/" + docs[c1]
	for _, n := range []string{hostile["note"], hostile["note (formula first)"]} {
		if res := rev.PostForm(t, "/cases/"+c1+"/notes", url.Values{"body": {n}}); res.Status != http.StatusSeeOther {
			t.Fatalf("note: %d", res.Status)
		}
	}
	var vendorsAll []string
	for _, v := range checks.Runnable {
		vendorsAll = append(vendorsAll, string(v))
	}
	if res := rev.PostForm(t, docPath+"/checks", url.Values{"vendor": vendorsAll, "request_key": {"hostile-1"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("run checks: %d %s", res.Status, clip(res.Body))
	}
	var selfie, front string
	if err := app.Pool.QueryRow(t.Context(), `SELECT (SELECT id::text FROM images WHERE document_id = $1 AND kind = 'selfie'),
		(SELECT id::text FROM images WHERE document_id = $1 AND kind = 'front')`, docs[c1]).Scan(&selfie, &front); err != nil {
		t.Fatal(err)
	}
	if res := rev.PostForm(t, docPath+"/liveness", url.Values{"conclusion": {"true"}, "liveness_result": {"true"}, "facial_check": {"true"},
		"eyes_closed": {"false"}, "eyes_closed_confidence": {"96"}, "sunglasses": {"false"}, "sunglasses_confidence": {"99"},
		"face_occluded": {"false"}, "face_occluded_confidence": {"97"}, "liveness_confidence": {"93"},
		"reference_image": {selfie}, "audit_images": {front}, "comment": {hostile["liveness verdict comment"]}}); res.Status != http.StatusSeeOther {
		t.Fatalf("liveness verdict: %d %s", res.Status, clip(res.Body))
	}
	if res := rev.PostForm(t, "/cases/"+c1+"/document-decision", url.Values{"document": {docs[c1]}, "outcome": {"accept"},
		"reason": {reasonID(t, app, "doc_accept")}, "comment": {hostile["document decision comment"]}}); res.Status != http.StatusSeeOther || strings.HasPrefix(flash(res), "error") {
		t.Fatalf("document decision: %d %q %s", res.Status, flash(res), clip(res.Body))
	}
	waitFor(t, "the checks and the verdict's delivery", 90*time.Second, func() bool {
		return count(t, app, "SELECT count(*) FROM river_job WHERE state NOT IN ('completed', 'discarded', 'cancelled')") == 0
	})
	// The customer's edit form while the reviewer holds the case: only its holder edits, and the
	// escalation below releases it.
	if res := rev.Get(t, "/customers/"+cust1+"/edit"); res.Status != http.StatusOK {
		t.Errorf("edit customer (form): %d", res.Status)
	} else {
		pages["edit customer (form)"] = res.Body
	}
	if res := rev.PostForm(t, "/cases/"+c1+"/decision", url.Values{"outcome": {"escalate"}, "reason": {hostileReason},
		"comment": {hostile["case decision comment"]}}); res.Status != http.StatusSeeOther || strings.HasPrefix(flash(res), "error") {
		t.Fatalf("case decision: %d %q %s", res.Status, flash(res), clip(res.Body))
	}

	// Every page that shows the data, as the people who see it.
	get := func(c *testenv.Client, label, path string) {
		t.Helper()
		res := c.Get(t, path)
		if res.Status >= 500 || res.Status == http.StatusForbidden || res.Status == http.StatusSeeOther {
			t.Errorf("%s (%s): %d", label, path, res.Status)
		}
		pages[label] = res.Body
	}
	for _, s := range cases.Statuses {
		get(rev, "queue "+string(s), "/cases?status="+string(s))
	}
	get(rev, "queue search", "/cases?q="+url.QueryEscape(hostile["queue search (reflected)"]))
	get(rev, "queue bad filters", "/cases?nationality="+url.QueryEscape(pImg)+"&from="+url.QueryEscape(pScript)+"&assignee="+url.QueryEscape(pJS))
	for _, c := range []string{c1, c2} {
		dp := "/cases/" + c + "/documents/" + docs[c]
		get(rev, "case "+c, "/cases/"+c)
		get(mgr, "case as manager "+c, "/cases/"+c)
		get(rev, "review "+c, dp+"/review")
		get(rev, "liveness "+c, dp+"/liveness")
		get(rev, "liveness panel "+c, dp+"/liveness/panel")
		get(rev, "checks panel "+c, dp+"/checks")
	}
	get(rev, "edit customer (API)", "/customers/"+created.ID+"/edit")
	rows, err := app.Pool.Query(t.Context(), "SELECT id FROM vendor_calls ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var calls []int64
	for rows.Next() {
		var id int64
		_ = rows.Scan(&id)
		calls = append(calls, id)
	}
	rows.Close()
	if len(calls) == 0 {
		t.Error("the checks made no vendor call")
	}
	for _, id := range calls {
		get(rev, "raw vendor call "+itoa(id), "/vendor-calls/"+itoa(id))
	}
	get(mgr, "dashboard", "/dashboard")
	get(mgr, "dashboard bad period", "/dashboard?from="+url.QueryEscape(pScript)+"&to="+url.QueryEscape(pImg))
	get(mgr, "audit", "/audit")
	get(mgr, "audit bad period", "/audit?from="+url.QueryEscape(pScript))
	get(mgr, "undelivered", "/liveness/undelivered")
	get(mgr, "export columns", "/cases/export/columns")
	get(mgr, "export bad filter", "/cases/export.csv?status="+url.QueryEscape(pScript)+"&q="+url.QueryEscape(pImg))
	get(mgr, "dashboard CSV bad chart", "/dashboard?format=csv&chart="+url.QueryEscape(pImg))
	get(admin, "users", "/admin/users")
	get(admin, "user", "/admin/users/"+revID.String())
	get(admin, "roles", "/admin/roles")
	get(admin, "tokens", "/admin/api-tokens")
	get(admin, "review settings", "/admin/review")
	get(admin, "vendors", "/admin/vendors")
	get(admin, "vendor form", "/admin/vendors/ooto/sandbox")
	get(rev, "account", "/account")
	get(admin, "account (admin)", "/account")
	get(rev, "not found", "/cases/"+url.PathEscape(pScript))
	anon := app.NewClient()
	get(anon, "login next", "/login?next="+url.QueryEscape(hostile["sign-in next (reflected)"]))
	res = anon.PostForm(t, "/login", url.Values{"email": {hostile["login email (reflected)"]}, "password": {"x"}, "next": {pJS}})
	pages["login refused"] = res.Body
	res = rev.PostForm(t, "/cases/"+c2+"/notes", url.Values{"body": {strings.Repeat("x", cases.MaxNoteLength+1) + pScript}})
	if res.Status != http.StatusUnprocessableEntity {
		t.Errorf("an overlong note: %d", res.Status)
	}
	pages["note refused"] = res.Body
	res = rev.PostForm(t, "/customers", url.Values{"surname": {pScript}, "email": {pImg}, "external_ref": {pScript}, "date_of_birth": {pJS}})
	if res.Status != http.StatusUnprocessableEntity {
		t.Errorf("a refused customer form: %d", res.Status)
	}
	pages["customer form refused"] = res.Body

	shown := map[string][]string{}
	for _, label := range sortedKeys(pages) {
		inert(t, label, pages[label])
		vis := visible(pages[label])
		for field, v := range hostile {
			if strings.Contains(vis, v) {
				shown[field] = append(shown[field], label)
			}
		}
	}
	m := newMatrix("pages showing it as text")
	for _, field := range sortedKeys(hostile) {
		n := len(shown[field])
		m.set(field, "pages showing it as text", itoa(int64(n)))
		if _, optional := shownAnywhere[field]; n == 0 && !optional {
			t.Errorf("%s (%q) is shown on no page: it was dropped or mangled", field, hostile[field])
		}
	}
	m.log(t, "Hostile field → how many pages show it, escaped")

	// Exports, as the manager.
	t.Run("case list CSV", func(t *testing.T) {
		res := mgr.Get(t, "/cases/export.csv?status=all")
		recs := readCSV(t, res)
		checkCells(t, "case list CSV", recs)
		all := flatten(recs)
		for _, want := range []string{"'" + hostile["surname (form)"] + ", " + hostile["given names (form)"], "'" + hostile["external reference (form)"],
			"'" + hostile["case decision comment"], "'" + hostile["decision reason label"], "'" + hostile["user name (reviewer)"]} {
			if !strings.Contains(all, want) {
				t.Errorf("the CSV lacks the neutralised %q", want)
			}
		}
	})
	t.Run("case list XLSX", func(t *testing.T) {
		res := mgr.Get(t, "/cases/export.xlsx?status=all")
		if res.Status != http.StatusOK {
			t.Fatalf("%d", res.Status)
		}
		x, err := excelize.OpenReader(strings.NewReader(res.Body))
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		var all [][]string
		for _, sh := range x.GetSheetList() {
			rows, err := x.GetRows(sh)
			if err != nil {
				t.Fatal(err)
			}
			for i, row := range rows {
				for j := range row {
					name, _ := excelize.CoordinatesToCellName(j+1, i+1)
					if f, _ := x.GetCellFormula(sh, name); f != "" {
						t.Errorf("XLSX %s!%s holds a formula: %q", sh, name, f)
					}
				}
			}
			all = append(all, rows...)
		}
		checkCells(t, "case list XLSX", all)
		if !strings.Contains(flatten(all), "'"+hostile["case decision comment"]) {
			t.Error("the XLSX lacks the neutralised decision comment")
		}
	})
	t.Run("audit CSV and JSON lines", func(t *testing.T) {
		res := mgr.Get(t, "/audit/export.csv")
		checkCells(t, "audit CSV", readCSV(t, res))
		res = mgr.Get(t, "/audit/export.jsonl")
		if res.Status != http.StatusOK {
			t.Fatalf("%d", res.Status)
		}
		n := 0
		for _, line := range strings.Split(strings.TrimSpace(res.Body), "\n") {
			if !json.Valid([]byte(line)) {
				t.Errorf("an audit line is not JSON: %q", clip(line))
			}
			n++
		}
		if !strings.Contains(res.Body, `\u003cscript\u003e`) && !strings.Contains(res.Body, pScript) {
			t.Error("the audit JSON lines lack the payloads")
		}
		t.Logf("%d audit lines", n)
	})
	t.Run("dashboard CSV", func(t *testing.T) {
		res := mgr.Get(t, "/dashboard?chart=decisions-per-reviewer&format=csv")
		recs := readCSV(t, res)
		checkCells(t, "dashboard CSV", recs)
		if !strings.Contains(flatten(recs), "'"+hostile["user name (reviewer)"]) {
			t.Errorf("the dashboard CSV lacks the reviewer, neutralised: %q", recs)
		}
	})
	t.Run("PDF report and ZIP", func(t *testing.T) {
		res := mgr.Get(t, "/cases/"+c1+"/report.pdf")
		if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("%d %s", res.Status, res.Header.Get("Content-Type"))
		}
		if cd := res.Header.Get("Content-Disposition"); strings.ContainsAny(cd, "<>\r\n") || strings.Count(cd, `"`) > 2 {
			t.Errorf("the file name carries user text: %q", cd)
		}
		activePDF(t, "report", []byte(res.Body))
		text := squash(testenv.PDFText(t, []byte(res.Body)))
		for _, field := range []string{"given names (form)", "surname (form)", "user name (reviewer)", "case decision comment"} {
			if !strings.Contains(text, squash(hostile[field])) {
				t.Errorf("the PDF does not print %s (%q) as text", field, hostile[field])
			}
		}
		res = mgr.PostForm(t, "/cases/reports.zip", url.Values{"case": {c1, c2}})
		if res.Status != http.StatusOK {
			t.Fatalf("zip: %d", res.Status)
		}
		zr, err := zip.NewReader(strings.NewReader(res.Body), int64(len(res.Body)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			if strings.ContainsAny(f.Name, `/\<>"`) || strings.Contains(f.Name, "..") {
				t.Errorf("a ZIP entry's name carries user text: %q", f.Name)
			}
			if strings.HasSuffix(f.Name, ".pdf") {
				rc, _ := f.Open()
				b, _ := io.ReadAll(rc)
				rc.Close()
				activePDF(t, f.Name, b)
			}
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// squash drops all white space, so text wrapped across lines by a PDF still matches.
func squash(s string) string { return strings.Join(strings.Fields(s), "") }

func flatten(recs [][]string) string {
	var b strings.Builder
	for _, r := range recs {
		b.WriteString(strings.Join(r, "\x1f"))
		b.WriteString("\n")
	}
	return b.String()
}

// readCSV parses a CSV download (with or without a byte-order mark).
func readCSV(t testing.TB, res testenv.Response) [][]string {
	t.Helper()
	if res.Status != http.StatusOK {
		t.Fatalf("CSV: %d %s", res.Status, clip(res.Body))
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.Body, "\uFEFF")))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v", err)
	}
	return recs
}

// checkCells fails for every cell a spreadsheet would read as a formula.
func checkCells(t testing.TB, label string, recs [][]string) {
	t.Helper()
	for i, r := range recs {
		for j, c := range r {
			if formula(c) {
				t.Errorf("%s row %d cell %d starts a formula: %q", label, i+1, j+1, clip(c))
			}
		}
	}
}

// activeContent matches the PDF objects that run something: JavaScript, launch and submit
// actions, actions on opening, additional actions, javascript: links.
var activeContent = regexp.MustCompile(`/JavaScript|/JS[\s(<]|/Launch|/SubmitForm|/ImportData|/OpenAction|/AA\s*<<|/URI\s*\(\s*javascript:|/RichMedia|/Type\s*/EmbeddedFile\b`)

func activePDF(t testing.TB, label string, b []byte) {
	t.Helper()
	if m := activeContent.Find(b); m != nil {
		t.Errorf("%s: the PDF holds active content %q", label, m)
	}
}
