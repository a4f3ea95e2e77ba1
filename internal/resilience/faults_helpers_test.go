package resilience

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"

	"kycdesk/internal/audit"
	"kycdesk/internal/customers"
	"kycdesk/internal/db"
	"kycdesk/internal/specimen"
	"kycdesk/internal/testenv"
	"kycdesk/internal/vendors"
	"kycdesk/internal/vendorsettings"
)

// product is one vendor integration as a check uses it, and the simulator's name for its
// requests (faults queued under that name reach only this product's paths).
type product struct {
	vendor vendors.Name
	target string // simulator control name: cynopsis_ocr, artemis, apptenticate, argos, ooto
	label  string // as the table shows it
	// path, when set, limits the product's faults to requests whose path contains it.
	path string
}

var (
	pCynopsis     = product{vendors.CynopsisOCR, "cynopsis_ocr", "Cynopsis OCR", ""}
	pApptenticate = product{vendors.Apptenticate, "apptenticate", "Apptenticate", ""}
	pArgosSync    = product{vendors.Argos, "argos", "Argos sync", ""}
	pArgosAsync   = product{vendors.Argos, "argos", "Argos async", ""}
	pOOTO         = product{vendors.OOTO, "ooto", "OOTO", ""}
	// pArtemis' faults answer its first call, the customer's creation; pArtemisUpload's the
	// document upload that follows a creation that worked.
	pArtemis       = product{vendors.Artemis, "artemis", "Artemis (create)", ""}
	pArtemisUpload = product{vendors.Artemis, "artemis", "Artemis (upload)", "/document"}
)

// vendorTimeout is every vendor's configured timeout during the suite: short, so a timeout
// fault costs little, and the fault delays are several times longer.
const vendorTimeout = 2 * time.Second

// rawErrorText matches what Go's libraries say when something breaks, which must never reach a
// reviewer: the plain-words message is what the page shows.
var rawErrorText = regexp.MustCompile(`(?i)context deadline exceeded|context canceled|unexpected EOF|invalid character|` +
	`dial tcp|read tcp|write tcp|i/o timeout|Client\.Timeout|net/http:|connection reset by peer|broken pipe|` +
	`json: cannot|\bjson: |: EOF\b|awaiting headers|http2:|oauth2:|%!`)

// faultRow is one line of the printed table.
type faultRow struct {
	vendor, fault string
	retries       int
	final         string
	sees          string
	ok            bool
}

// faultSuite is the app under test, a reviewer signed in to it, and the table so far.
type faultSuite struct {
	t      *testing.T
	app    *testenv.App
	rev    *testenv.Client
	admin  testenv.User
	simURL string
	seed   uint64
	// concurrency is every vendor's concurrency limit as configure saves it.
	concurrency int

	mu   sync.Mutex
	rows []faultRow
}

func newFaultSuite(t *testing.T, app *testenv.App) *faultSuite {
	s := &faultSuite{t: t, app: app, admin: app.CreateUser(t, "admin"), simURL: app.URL + "/sim", seed: 880_000, concurrency: 4}
	s.rev = app.SignIn(t, app.CreateUser(t, "reviewer"))
	return s
}

func (s *faultSuite) add(r faultRow) {
	s.mu.Lock()
	s.rows = append(s.rows, r)
	s.mu.Unlock()
}

// table renders the rows: vendor | fault | retries | final state | what the reviewer sees | ok.
func (s *faultSuite) table() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "VENDOR\tFAULT\tRETRIES\tFINAL STATE\tWHAT THE REVIEWER SEES\tOK")
	for _, r := range s.rows {
		ok := "ok"
		if !r.ok {
			ok = "FAIL"
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\n", r.vendor, r.fault, r.retries, r.final, shorten(r.sees, 150), ok)
	}
	_ = w.Flush()
	return b.String()
}

// print writes the table to the test log and, under -v, to standard output.
func (s *faultSuite) print() {
	tab := s.table()
	s.t.Logf("vendor faults tried and their outcomes:\n%s", tab)
	if testing.Verbose() {
		fmt.Fprintf(os.Stdout, "\nVendor faults tried and their outcomes\n\n%s\n", tab)
	}
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// control sends a request to the simulator's control API and fails the test unless it is
// answered 200; it returns the JSON answer.
func (s *faultSuite) control(t *testing.T, method, path string, body any) map[string]any {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.simURL+"/_control/"+strings.TrimLeft(path, "/"), rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("simulator %s %s: %d %s", method, path, res.StatusCode, raw)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("simulator %s %s: %v", method, path, err)
	}
	return out
}

// configure saves explicit settings for every integration, pointing at base (the app's simulator
// unless a test points one elsewhere), with the suite's short timeout. Explicit settings, rather
// than the simulator standing in for unconfigured vendors, are what carry the timeout, and what
// the connection-refused faults change.
func (s *faultSuite) configure(t *testing.T, p vendors.Name, base, argosMode string) {
	t.Helper()
	sim := s.app.Server.Sim.Settings(base)
	var in vendorsettings.Input
	switch p {
	case vendors.CynopsisOCR:
		c := sim.Cynopsis
		in = vendorsettings.Input{Config: map[string]string{"auth_url": c.AuthURL, "token_path": c.TokenPath, "ocr_url": c.OCRURL,
			"ocr_path": c.OCRPath, "client_id": c.ClientID, "domain_id": strconv.FormatInt(c.DomainID, 10)},
			Secrets: map[string]string{"client_secret": c.ClientSecret}}
	case vendors.Artemis:
		c := sim.Artemis
		in = vendorsettings.Input{Config: map[string]string{"auth_url": c.AuthURL, "token_path": c.TokenPath, "artemis_url": c.ArtemisURL,
			"client_id": c.ClientID, "domain_id": strconv.FormatInt(c.DomainID, 10)},
			Secrets: map[string]string{"client_secret": c.ClientSecret}}
	case vendors.Apptenticate:
		c := sim.Apptenticate
		in = vendorsettings.Input{Config: map[string]string{"base_url": c.BaseURL, "token_path": c.TokenPath, "refresh_path": c.RefreshPath,
			"ocr_path": c.OCRPath, "username": c.Username, "device": "DESKTOP"},
			Secrets: map[string]string{"password": c.Password}}
	case vendors.Argos:
		c := sim.Argos
		in = vendorsettings.Input{Config: map[string]string{"base_url": c.BaseURL, "path": c.Path, "mode": argosMode},
			Secrets: map[string]string{"api_key": c.APIKey}}
	case vendors.OOTO:
		c := sim.OOTO
		in = vendorsettings.Input{Config: map[string]string{"base_url": c.BaseURL, "path": c.Path, "app_id": c.AppID},
			Secrets: map[string]string{"app_key": c.AppKey}}
	default:
		t.Fatalf("no settings for %s", p)
	}
	in.Enabled, in.TimeoutSeconds, in.Concurrency = true, int(vendorTimeout/time.Second), s.concurrency
	if _, err := s.app.Server.Settings.Save(context.Background(), audit.UserActor(s.admin.ID, s.admin.Email), p, "sandbox", in); err != nil {
		t.Fatalf("settings for %s: %v", p, err)
	}
}

// closedPort returns the base URL of a loopback port nothing listens on: a connection to it is
// refused at once.
func closedPort(t *testing.T) string {
	t.Helper()
	return "http://" + unusedAddr(t) + "/sim"
}

// demoDocument adds a customer with a specimen passport (front and selfie) through the customer
// service, as intake does, and returns the case and the document.
func (s *faultSuite) demoDocument(t *testing.T) (uuid.UUID, uuid.UUID) {
	t.Helper()
	s.mu.Lock()
	s.seed++
	seed := s.seed
	s.mu.Unlock()
	sp := specimen.Generate(seed, specimen.Options{})
	svc := s.app.Server.CustomerService()
	ctx := context.Background()
	o := customers.Origin{Actor: audit.System, Via: "test"}
	out, err := svc.Create(ctx, o, customers.Input{GivenNames: sp.GivenNames, Surname: sp.Surname, Nationality: sp.Nationality,
		ExternalRef: "fault-" + uuid.NewString()[:8]})
	if err != nil {
		t.Fatal(err)
	}
	files := []customers.File{{Kind: "front", Name: "f.jpg", Data: sp.Front}, {Kind: "selfie", Name: "s.jpg", Data: sp.Selfie}}
	doc, _, err := svc.AddDocument(ctx, o, out.Customer.ID, customers.DocumentInput{Type: "passport", IssuingCountry: sp.IssuingCountry,
		Number: sp.DocumentNumber}, files)
	if err != nil {
		t.Fatal(err)
	}
	return out.Case.ID, doc.ID
}

func panelPath(caseID, docID uuid.UUID) string {
	return "/cases/" + caseID.String() + "/documents/" + docID.String() + "/checks"
}

// request asks for checks as the reviewer's browser does (the panel's form, through htmx), and
// sends the same form a second time, as a double click would.
func (s *faultSuite) request(t *testing.T, caseID, docID uuid.UUID, names ...vendors.Name) {
	t.Helper()
	form := url.Values{"request_key": {"fault-" + uuid.NewString()}}
	for _, n := range names {
		form.Add("vendor", string(n))
	}
	// Checks run only on a case the reviewer holds (claiming it again changes nothing).
	if res := s.rev.PostForm(t, "/cases/"+caseID.String()+"/claim", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("claim: %d", res.Status)
	}
	for range 2 {
		res := s.rev.PostForm(t, panelPath(caseID, docID), form, "HX-Request", "true")
		if res.Status != http.StatusOK {
			t.Fatalf("request checks: %d %s", res.Status, shorten(res.Body, 300))
		}
	}
}

// panelRow is one check as the reviewer's panel shows it.
type panelRow struct {
	state string
	text  string // the row's text, spaces collapsed
}

// panel is the document's checks panel as the reviewer sees it: the page and each check's row.
type panel struct {
	html string
	rows map[string]panelRow // by check id
}

var spaces = regexp.MustCompile(`\s+`)

func (s *faultSuite) panel(t *testing.T, caseID, docID uuid.UUID) panel {
	t.Helper()
	res := s.rev.Get(t, panelPath(caseID, docID))
	if res.Status != http.StatusOK {
		t.Fatalf("checks panel: %d", res.Status)
	}
	p := panel{html: res.Body, rows: map[string]panelRow{}}
	res.Doc(t).Find("tr[data-check]").Each(func(_ int, sel *goquery.Selection) {
		id, _ := sel.Attr("data-check")
		st, _ := sel.Attr("data-state")
		var cells []string
		sel.Find("td").Each(func(i int, td *goquery.Selection) {
			if i == 4 || i == 5 { // when it was requested, and the "run again" button
				return
			}
			if c := strings.TrimSpace(spaces.ReplaceAllString(td.Text(), " ")); c != "" {
				cells = append(cells, c)
			}
		})
		p.rows[id] = panelRow{state: st, text: strings.Join(cells, " | ")}
	})
	return p
}

// seen is what the suite saw of one check while it ran: the panel row the first time it was
// retrying (or waiting for a callback), and when the next attempt was due then.
type seen struct {
	retrying  *panelRow
	reason    string // the check's reason when it was first seen retrying
	nextAt    *time.Time
	waiting   *panelRow
	refusedAt time.Time // when its settings were restored, for connection refused
}

// docRef is a document and the case it is on.
type docRef struct{ caseID, docID uuid.UUID }

// watch polls the documents' checks panels and their cases' checks until every check is final
// (or the deadline), calling each(check, row) on every poll. It returns the final checks by id.
func (s *faultSuite) watch(t *testing.T, docs []docRef, want int, deadline time.Duration, each func(db.Check, panelRow)) map[uuid.UUID]db.Check {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		var list []db.Check
		rows := map[string]panelRow{}
		for _, d := range docs {
			cs, err := db.New(s.app.Pool).ListCaseChecks(context.Background(), d.caseID)
			if err != nil {
				t.Fatal(err)
			}
			list = append(list, cs...)
			maps.Copy(rows, s.panel(t, d.caseID, d.docID).rows)
		}
		final := 0
		for _, c := range list {
			if each != nil {
				each(c, rows[c.ID.String()])
			}
			if c.State == db.CheckStateDone || c.State == db.CheckStateFailed {
				final++
			}
		}
		if len(list) >= want && final == len(list) {
			out := map[uuid.UUID]db.Check{}
			for _, c := range list {
				out[c.ID] = c
			}
			return out
		}
		if time.Now().After(end) {
			for _, c := range list {
				t.Logf("%s: %s after %d attempts: %s", c.Vendor, c.State, c.Attempts, c.Reason)
			}
			t.Fatalf("checks not final after %s: %d of %d", deadline, final, len(list))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// callsOf returns a check's vendor calls, oldest first.
func (s *faultSuite) callsOf(t *testing.T, caseID, checkID uuid.UUID) []db.ListCaseVendorCallsRow {
	t.Helper()
	all, err := db.New(s.app.Pool).ListCaseVendorCalls(context.Background(), &caseID)
	if err != nil {
		t.Fatal(err)
	}
	var out []db.ListCaseVendorCallsRow
	for _, k := range all {
		if k.CheckID != nil && *k.CheckID == checkID {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// finishes counts the check's final audit rows: check.done, check.refused, check.failed.
func (s *faultSuite) finishes(t *testing.T, checkID uuid.UUID) int {
	t.Helper()
	n := 0
	for _, a := range s.app.AuditActions(t, "check", checkID.String()) {
		if a == "check.done" || a == "check.refused" || a == "check.failed" {
			n++
		}
	}
	return n
}
