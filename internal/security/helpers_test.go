package security_test

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"

	"kycdesk/internal/audit"
	"kycdesk/internal/customers"
	"kycdesk/internal/db"
	"kycdesk/internal/specimen"
	"kycdesk/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// subject is a customer with an open case and one passport (front and selfie images).
type subject struct {
	customerID, caseID, docID uuid.UUID
	front, selfie             uuid.UUID // image ids
	name                      string    // the customer's full name, to look for in responses
}

// newSubject creates a customer through the service, as the intake would, with a specimen passport.
func newSubject(t testing.TB, app *testenv.App, seed uint64, in customers.Input) subject {
	t.Helper()
	ctx := context.Background()
	sp := specimen.Generate(seed, specimen.Options{})
	if in.Surname == "" {
		in.GivenNames, in.Surname = sp.GivenNames, sp.Surname
	}
	if in.Nationality == "" {
		in.Nationality = sp.Nationality
	}
	svc := app.Server.CustomerService()
	o := customers.Origin{Actor: audit.System, Via: "test"}
	out, err := svc.Create(ctx, o, in)
	if err != nil {
		t.Fatal(err)
	}
	doc, imgs, err := svc.AddDocument(ctx, o, out.Customer.ID, customers.DocumentInput{Type: "passport", IssuingCountry: sp.IssuingCountry,
		Number: sp.DocumentNumber, ExpiryDate: sp.ExpiryDate.Format("2006-01-02")},
		[]customers.File{{Kind: "front", Name: "front.jpg", Data: sp.Front}, {Kind: "selfie", Name: "selfie.jpg", Data: sp.Selfie}})
	if err != nil {
		t.Fatal(err)
	}
	s := subject{customerID: out.Customer.ID, caseID: out.Case.ID, docID: doc.ID, name: customers.Name(out.Customer)}
	for _, im := range imgs {
		switch im.Kind {
		case db.ImageKindFront:
			s.front = im.ID
		case db.ImageKindSelfie:
			s.selfie = im.ID
		}
	}
	return s
}

// casePath is the case's page.
func (s subject) casePath() string { return "/cases/" + s.caseID.String() }

// docPath is the document's base path under its case.
func (s subject) docPath() string { return s.casePath() + "/documents/" + s.docID.String() }

// ids fills a route pattern's parameters with the subject's real ids (extra gives other values).
func (s subject) fill(pattern string, extra map[string]string) string {
	vals := map[string]string{"{id}": s.caseID.String(), "{doc}": s.docID.String(), "{variant}": "display",
		"{token}": "not-a-token", "{verdict}": uuid.NewString(), "{vendor}": "ooto", "{env}": "sandbox"}
	switch {
	case strings.HasPrefix(pattern, "/customers/"), strings.HasPrefix(pattern, "/api/v1/customers/"):
		vals["{id}"] = s.customerID.String()
	case strings.HasPrefix(pattern, "/images/"):
		vals["{id}"] = s.front.String()
	}
	for k, v := range extra {
		vals[k] = v
	}
	for k, v := range vals {
		pattern = strings.ReplaceAll(pattern, k, v)
	}
	return pattern
}

func count(t testing.TB, app *testenv.App, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := app.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func reasonID(t testing.TB, app *testenv.App, outcome string) string {
	t.Helper()
	var id uuid.UUID
	if err := app.Pool.QueryRow(context.Background(), "SELECT id FROM decision_reasons WHERE outcome = $1 AND active ORDER BY position LIMIT 1",
		outcome).Scan(&id); err != nil {
		t.Fatalf("no %s reason: %v", outcome, err)
	}
	return id.String()
}

// stateTables are the tables a case action changes. Sessions and the sign-in throttle are left
// out: every request touches them.
var stateTables = []string{"cases", "case_notes", "checks", "vendor_calls", "case_decisions", "document_decisions", "liveness_verdicts",
	"liveness_deliveries", "customers", "documents", "images", "audit_events", "users", "api_tokens", "app_settings", "vendor_settings",
	"decision_reasons"}

// rowOf is what fingerprint keeps of a row, where not all of it: a token's last use changes with
// every request it authenticates, refused or not.
var rowOf = map[string]string{"api_tokens": "(t.id, t.name, t.token_hash, t.revoked_at)::text"}

// fingerprint is a digest of every row of stateTables and the number of jobs, to prove that a
// refused request changed nothing.
func fingerprint(t testing.TB, app *testenv.App) string {
	t.Helper()
	var parts []string
	for _, tbl := range stateTables {
		row := "t::text"
		if r, ok := rowOf[tbl]; ok {
			row = r
		}
		var sum string
		if err := app.Pool.QueryRow(context.Background(),
			fmt.Sprintf("SELECT count(*)::text || ':' || coalesce(md5(string_agg(%s, '|' ORDER BY %s)), '') FROM %s t", row, row, tbl)).Scan(&sum); err != nil {
			t.Fatalf("fingerprint %s: %v", tbl, err)
		}
		parts = append(parts, tbl+"="+sum)
	}
	parts = append(parts, fmt.Sprintf("river_job=%d", count(t, app, "SELECT count(*) FROM river_job")))
	return strings.Join(parts, " ")
}

// diff names the tables whose part of two fingerprints differ.
func diff(a, b string) string {
	pa, pb := strings.Fields(a), strings.Fields(b)
	var out []string
	for i := range pa {
		if i < len(pb) && pa[i] != pb[i] {
			out = append(out, strings.SplitN(pa[i], "=", 2)[0])
		}
	}
	return strings.Join(out, ", ")
}

// flash returns the one-time message a response leaves for the next page ("kind: text"), or "".
func flash(res testenv.Response) string {
	for _, c := range (&http.Response{Header: res.Header}).Cookies() {
		if c.Name == "kycdesk_flash" && c.Value != "" {
			v, err := url.QueryUnescape(c.Value)
			if err != nil {
				return c.Value
			}
			return v
		}
	}
	return ""
}

// blobCount counts the files of the app's image store.
func blobCount(t testing.TB, app *testenv.App) int {
	t.Helper()
	dir := strings.TrimPrefix(app.Cfg.BlobURL, "file://")
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// inert checks that an HTML page runs nothing it was given: its only scripts are kycdesk's own
// files, no element carries an event-handler attribute, no link or form points at javascript:,
// and the raw markup holds none of the payloads unescaped. It returns the page's text.
func inert(t testing.TB, label, body string) string {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s: not HTML: %v", label, err)
	}
	doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		src := s.AttrOr("src", "")
		if !strings.HasPrefix(src, "/static/") || strings.TrimSpace(s.Text()) != "" {
			t.Errorf("%s: a script that is not kycdesk's own: src=%q text=%q", label, src, clip(s.Text()))
		}
	})
	doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			name := strings.ToLower(a.Key)
			val := strings.ToLower(strings.Join(strings.Fields(a.Val), ""))
			switch {
			case strings.HasPrefix(name, "on"):
				t.Errorf("%s: <%s> has an event handler %s=%q", label, goquery.NodeName(s), a.Key, clip(a.Val))
			case (name == "href" || name == "src" || name == "action" || name == "formaction" || name == "xlink:href" ||
				name == "data" || name == "srcdoc" || strings.HasPrefix(name, "hx-")) &&
				(strings.HasPrefix(val, "javascript:") || strings.HasPrefix(val, "vbscript:") || strings.HasPrefix(val, "data:text/html")):
				t.Errorf("%s: <%s %s=%q> runs script", label, goquery.NodeName(s), a.Key, clip(a.Val))
			}
		}
	})
	for _, sel := range []string{"iframe", "object", "embed", "base", "meta[http-equiv]", `img[src="x"]`} {
		if n := doc.Find(sel).Length(); n > 0 {
			t.Errorf("%s: %d unexpected <%s>", label, n, sel)
		}
	}
	for _, raw := range []string{"<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg onload", "<iframe"} {
		if strings.Contains(strings.ToLower(body), strings.ToLower(raw)) {
			t.Errorf("%s: the markup holds %q unescaped", label, raw)
		}
	}
	return doc.Text()
}

func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// matrix prints a table of rows × columns → cell with t.Logf, in a stable order.
type matrix struct {
	cols  []string
	rows  []string
	cells map[[2]string]string
}

func newMatrix(cols ...string) *matrix { return &matrix{cols: cols, cells: map[[2]string]string{}} }

func (m *matrix) set(row, col, v string) {
	if _, ok := m.cells[[2]string{row, ""}]; !ok {
		m.cells[[2]string{row, ""}] = ""
		m.rows = append(m.rows, row)
	}
	m.cells[[2]string{row, col}] = v
}

func (m *matrix) log(t testing.TB, title string) {
	t.Helper()
	w := 0
	for _, r := range m.rows {
		w = max(w, len(r))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%-*s", title, w, "")
	widths := make([]int, len(m.cols))
	for i, c := range m.cols {
		widths[i] = len(c)
		for _, r := range m.rows {
			widths[i] = max(widths[i], len(m.cells[[2]string{r, c}]))
		}
		fmt.Fprintf(&b, " | %-*s", widths[i], c)
	}
	b.WriteString("\n")
	for _, r := range m.rows {
		fmt.Fprintf(&b, "%-*s", w, r)
		for i, c := range m.cols {
			v := m.cells[[2]string{r, c}]
			if v == "" {
				v = "-"
			}
			fmt.Fprintf(&b, " | %-*s", widths[i], v)
		}
		b.WriteString("\n")
	}
	t.Log(b.String())
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// recorder is a testing.TB that keeps the errors reported to it, to test the checks themselves.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestInertCatchesPayloads shows that inert, which every page of the hostile-input tests passes
// through, does fail the markup it must fail, and passes kycdesk's own page furniture.
func TestInertCatchesPayloads(t *testing.T) {
	tests := []struct {
		name, body string
		bad        bool
	}{
		{"own script and escaped text", `<html><head><script src="/static/htmx.min.js?v=1"></script></head><body><p>&lt;script&gt;alert(1)&lt;/script&gt;</p><a href="/cases/1">x</a></body></html>`, false},
		{"inline script", `<p><script>alert(1)</script></p>`, true},
		{"third-party script", `<script src="https://evil.example/x.js"></script>`, true},
		{"event handler", `<div><img src=x onerror=alert(1)></div>`, true},
		{"handler on another element", `<p onmouseover="alert(1)">hi</p>`, true},
		{"javascript link", `<a href=" JavaScript:alert(1)">x</a>`, true},
		{"javascript form action", `<form action="javascript:alert(1)"></form>`, true},
		{"htmx request to javascript", `<div hx-get="javascript:alert(1)"></div>`, true},
		{"iframe", `<iframe src="/x"></iframe>`, true},
		{"svg onload", `<svg onload=alert(1)></svg>`, true},
	}
	for _, tt := range tests {
		r := &recorder{TB: t}
		inert(r, tt.name, tt.body)
		if got := len(r.errs) > 0; got != tt.bad {
			t.Errorf("%s: flagged %v (%q), want %v", tt.name, got, r.errs, tt.bad)
		}
	}
}
