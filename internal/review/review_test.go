package review_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"kycdesk/internal/audit"
	"kycdesk/internal/auth"
	"kycdesk/internal/checks"
	"kycdesk/internal/customers"
	"kycdesk/internal/db"
	"kycdesk/internal/demo"
	"kycdesk/internal/review"
	"kycdesk/internal/specimen"
	"kycdesk/internal/testenv"
	"kycdesk/internal/vendors"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// demoDoc finds the case and document of a demo customer ("demo-1001").
func demoDoc(t *testing.T, app *testenv.App, ref string) (uuid.UUID, uuid.UUID) {
	t.Helper()
	var caseID, docID uuid.UUID
	err := app.Pool.QueryRow(context.Background(), `SELECT c.id, d.id FROM cases c JOIN customers cu ON cu.id = c.customer_id
		JOIN documents d ON d.customer_id = cu.id WHERE cu.external_ref = $1`, ref).Scan(&caseID, &docID)
	if err != nil {
		t.Fatalf("demo case %s: %v", ref, err)
	}
	return caseID, docID
}

// runChecks runs the default vendors on a document and waits until they are all finished.
func runChecks(t *testing.T, app *testenv.App, caseID, docID uuid.UUID) {
	t.Helper()
	svc := &checks.Service{Pool: app.Pool, River: app.Server.River}
	if _, err := svc.Request(context.Background(), audit.System, nil, "test", caseID, docID, checks.DefaultSet, ""); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		list, err := db.New(app.Pool).ListCaseChecks(context.Background(), caseID)
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, c := range list {
			if c.State == db.CheckStateDone || c.State == db.CheckStateFailed {
				done++
			}
		}
		if len(list) > 0 && done == len(list) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("checks did not finish: %d of %d", done, len(list))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func seed(t *testing.T) *testenv.App {
	t.Helper()
	app := testenv.NewApp(t)
	if _, err := demo.EnsureCases(context.Background(), app.Server.CustomerService(), ""); err != nil {
		t.Fatal(err)
	}
	return app
}

func row(doc *goquery.Document, field vendors.FieldName) *goquery.Selection {
	return doc.Find(`#fields-table tbody tr[data-field="` + string(field) + `"]`)
}

func cell(r *goquery.Selection, source string) *goquery.Selection {
	return r.Find(`td[data-source="` + source + `"]`)
}

func TestWorkspaceAccess(t *testing.T) {
	app := seed(t)
	caseID, docID := demoDoc(t, app, "demo-1002")
	path := review.Href(caseID.String(), docID.String())
	if res := app.NewClient().Get(t, path); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/login") {
		t.Fatalf("signed out: %d %q", res.Status, res.Location)
	}
	for _, role := range []string{"reviewer", "manager", "admin"} {
		c := app.SignIn(t, app.CreateUser(t, role))
		res := c.Get(t, path)
		if res.Status != http.StatusOK {
			t.Fatalf("%s: %d", role, res.Status)
		}
		doc := res.Doc(t)
		if doc.Find("[data-review] [data-viewer]").Length() != 1 || doc.Find("#fields-table").Length() != 1 ||
			doc.Find("#mrz-panel").Length() != 1 || doc.Find("#face-panel").Length() != 1 || doc.Find("dialog#shortcuts").Length() != 1 {
			t.Errorf("%s: the workspace lacks a part", role)
		}
		// Only those who work cases get the next-case form.
		if got, want := doc.Find("#next-case-form").Length() == 1, role != "manager"; got != want {
			t.Errorf("%s: next-case form shown = %v", role, got)
		}
		// The decision panel sits in its slot, beside the evidence.
		if doc.Find("#decision-slot #decision").Length() != 1 {
			t.Errorf("%s: the decision panel is not in the workspace", role)
		}
	}
	// The case page links each document to its workspace.
	c := app.SignIn(t, app.CreateUser(t, "reviewer"))
	casePage := c.Get(t, "/cases/"+caseID.String()).Doc(t)
	if href, _ := casePage.Find("#doc-" + docID.String() + " [data-review-link]").Attr("href"); href != path {
		t.Errorf("case page review link = %q, want %q", href, path)
	}
	// A document of another customer, or ids that are not ids, are not found.
	_, otherDoc := demoDoc(t, app, "demo-1003")
	for _, p := range []string{review.Href(caseID.String(), otherDoc.String()), review.Href(caseID.String(), "nope"),
		review.Href(uuid.NewString(), docID.String())} {
		if res := c.Get(t, p); res.Status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, res.Status)
		}
	}
	// A typed zone from another site is refused like every other post.
	res := c.PostForm(t, path+"/mrz", url.Values{"mrz": {"x"}}, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	if res.Status != http.StatusForbidden {
		t.Errorf("cross-origin MRZ post: %d", res.Status)
	}
}

// TestArgosMisreadsExpiry: the demo case where Argos reads the expiry year wrongly. The expiry row
// is flagged, says which sources agree, and Argos' cell is the odd one out with its box and its
// low confidence; the rows where the vendors write values differently ("BRITISH", "UNITED
// KINGDOM", "PASSPORT") are not flagged.
func TestArgosMisreadsExpiry(t *testing.T) {
	app := seed(t)
	caseID, docID := demoDoc(t, app, "demo-1001")
	runChecks(t, app, caseID, docID)
	sp := specimen.Generate(1001, specimen.Options{Scenario: specimen.ArgosMisreadsExpiry})
	c := app.SignIn(t, app.CreateUser(t, "reviewer"))
	res := c.Get(t, review.Href(caseID.String(), docID.String()))
	if res.Status != http.StatusOK {
		t.Fatalf("%d", res.Status)
	}
	doc := res.Doc(t)
	var sources []string
	doc.Find("#fields-table thead th[data-source]").Each(func(_ int, s *goquery.Selection) {
		sources = append(sources, s.AttrOr("data-source", ""))
	})
	if strings.Join(sources, ",") != "cynopsis_ocr,apptenticate,argos,ooto,declared,mrz" {
		t.Fatalf("columns: %v", sources)
	}
	expiry := row(doc, vendors.ExpiryDate)
	if _, ok := expiry.Attr("data-mismatch"); !ok {
		t.Fatal("the expiry row is not flagged")
	}
	summary := expiry.Find("td.agree .sr-only").Text()
	want := sp.ExpiryDate.Format("2006-01-02")
	for _, s := range []string{"Cynopsis, Apptenticate, OOTO, Declared and MRZ agree on " + want, "Argos reads"} {
		if !strings.Contains(summary, s) {
			t.Errorf("expiry summary %q lacks %q", summary, s)
		}
	}
	if st := strings.TrimSpace(expiry.Find("td.agree [aria-hidden]").Text()); st != "≠ Argos" {
		t.Errorf("expiry status %q", st)
	}
	argos := cell(expiry, "argos")
	if !argos.HasClass("is-minority") || !argos.HasClass("is-low") || argos.Find(".conf-low").Length() != 1 {
		t.Errorf("Argos' expiry cell: class=%q", argos.AttrOr("class", ""))
	}
	btn := argos.Find("button.cell-btn")
	if btn.AttrOr("data-box", "") == "" || !strings.HasPrefix(btn.AttrOr("data-frame", ""), "img-") || btn.AttrOr("data-kind", "") != "mismatch" {
		t.Errorf("Argos' expiry cell has no box to draw: %v", btn.Nodes)
	}
	if cell(expiry, "mrz").HasClass("is-minority") || cell(expiry, "cynopsis_ocr").HasClass("is-minority") {
		t.Error("the majority is marked as the odd one out")
	}
	for _, f := range []vendors.FieldName{vendors.Surname, vendors.GivenNames, vendors.FullName, vendors.DateOfBirth, vendors.Sex,
		vendors.Nationality, vendors.DocumentNumber, vendors.IssuingCountry, vendors.DocumentType, vendors.IssueDate, vendors.MRZLine2} {
		r := row(doc, f)
		if r.Length() != 1 {
			t.Errorf("no %s row", f)
			continue
		}
		if _, bad := r.Attr("data-mismatch"); bad {
			t.Errorf("%s flagged: %s", f, r.AttrOr("title", ""))
		}
	}
	// Cynopsis writes the nationality as a word: the cell shows what the comparison made of it.
	if n := cell(row(doc, vendors.Nationality), "cynopsis_ocr").Find(".n").Text(); n != sp.Nationality {
		t.Errorf("Cynopsis nationality normalised to %q, want %q", n, sp.Nationality)
	}
	if chip := doc.Find("#review-chips").Text(); !strings.Contains(chip, "Expiry date mismatch") || !strings.Contains(chip, "MRZ valid") {
		t.Errorf("chips: %q", chip)
	}
	// The decision evidence gets the same finding.
	flags, err := review.Flags(context.Background(), db.New(app.Pool), caseID)
	if err != nil || strings.Join(flags, ",") != "mismatch:expiry_date" {
		t.Errorf("flags %v %v", flags, err)
	}
}

// TestTamperedMRZ: the demo passport whose zone carries a wrong document-number check digit. The
// MRZ panel shows the failing digit with the one expected, the vendors' own flags say the same,
// and a zone typed by the reviewer is parsed in its place without being stored.
func TestTamperedMRZ(t *testing.T) {
	app := seed(t)
	caseID, docID := demoDoc(t, app, "demo-1003")
	runChecks(t, app, caseID, docID)
	sp := specimen.Generate(1003, specimen.Options{Scenario: specimen.TamperedMRZ})
	c := app.SignIn(t, app.CreateUser(t, "reviewer"))
	path := review.Href(caseID.String(), docID.String())
	doc := c.Get(t, path+"?tab=mrz").Doc(t)
	if _, hidden := doc.Find("#panel-mrz").Attr("hidden"); hidden {
		t.Error("?tab=mrz does not open the MRZ panel")
	}
	bad := doc.Find(`#mrz-checks tr[data-ok="false"]`)
	if bad.Length() != 2 { // the document number's digit, and the composite over it
		t.Fatalf("%d failing check digits: %s", bad.Length(), doc.Find("#mrz-checks").Text())
	}
	first := bad.First()
	printed := sp.MRZ[1][9]
	line := sp.MRZ[1]
	if first.AttrOr("data-check", "") != "Document number" {
		t.Errorf("first failing check: %q", first.AttrOr("data-check", ""))
	}
	tds := first.Find("td")
	expected := byte('0' + (printed-'0'+9)%10) // the specimen adds one to the right digit
	if tds.Eq(2).Text() != string(printed) || tds.Eq(3).Text() != string(expected) {
		t.Errorf("found %q expected %q; want %c and %c (line %s)", tds.Eq(2).Text(), tds.Eq(3).Text(), printed, expected, line)
	}
	if v := doc.Find("#mrz-verdict").Text(); v != "check failed" {
		t.Errorf("verdict %q", v)
	}
	flags := doc.Find("#vendor-flags").Text()
	for _, s := range []string{"Document number check digit", "Composite check digit"} {
		if !strings.Contains(flags, s) {
			t.Errorf("vendor checklist lacks %q", s)
		}
	}
	if doc.Find("#vendor-flags .ci-bad").Length() < 2 {
		t.Error("Cynopsis' failed hashes are not marked")
	}
	// The reviewer types the zone as it should be: every digit passes, and the panel says whose.
	fixed := []string{sp.MRZ[0], line[:9] + string(expected) + line[10:]}
	res := c.PostForm(t, path+"/mrz", url.Values{"mrz": {strings.Join(fixed, "\n")}}, "HX-Request", "true")
	if res.Status != http.StatusOK {
		t.Fatalf("typed: %d", res.Status)
	}
	panel := res.Doc(t)
	if panel.Find("#mrz-verdict").Text() != "all check digits pass" || !strings.Contains(panel.Find(".mrz-source").Text(), "typed") {
		t.Errorf("typed zone: %q / %q", panel.Find("#mrz-verdict").Text(), panel.Find(".mrz-source").Text())
	}
	if panel.Find("#mrz-panel").Length() != 1 || panel.Find("html").Length() != 0 && panel.Find("header.topbar").Length() != 0 {
		t.Error("htmx did not get the panel alone")
	}
	if strings.TrimSpace(panel.Find("#mrz-text").Text()) != strings.Join(fixed, "\n") {
		t.Error("the typed zone is not kept in the textarea")
	}
	// Run together on one line, lower case, with spaces: still a zone.
	res = c.PostForm(t, path+"/mrz", url.Values{"mrz": {strings.ToLower(fixed[0] + " " + fixed[1])}}, "HX-Request", "true")
	if res.Doc(t).Find("#mrz-verdict").Text() != "all check digits pass" {
		t.Errorf("run-together zone not parsed: %s", res.Doc(t).Find("#mrz-panel").Text())
	}
	// Not a zone: 422 with the reason, and the vendors' zone still shown.
	res = c.PostForm(t, path+"/mrz", url.Values{"mrz": {"P<UTO<<<<"}}, "HX-Request", "true")
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Doc(t).Find("#mrz-error").Text(), "not a machine-readable zone") ||
		res.Doc(t).Find("#mrz-verdict").Text() != "check failed" {
		t.Errorf("bad zone: %d %q", res.Status, res.Doc(t).Find("#mrz-error").Text())
	}
	// Without htmx the form gets the whole workspace, on the MRZ panel.
	res = c.PostForm(t, path+"/mrz", url.Values{"mrz": {strings.Join(fixed, "\n")}})
	if res.Status != http.StatusOK || res.Doc(t).Find("header.topbar").Length() != 1 {
		t.Errorf("plain post: %d", res.Status)
	}
	if _, hidden := res.Doc(t).Find("#panel-mrz").Attr("hidden"); hidden {
		t.Error("plain post does not open the MRZ panel")
	}
	// Nothing was stored: the page still shows the vendors' failing zone.
	if doc := c.Get(t, path+"?tab=mrz").Doc(t); doc.Find("#mrz-verdict").Text() != "check failed" {
		t.Error("a typed zone was kept")
	}
	evFlags, err := review.Flags(context.Background(), db.New(app.Pool), caseID)
	if err != nil || !strings.Contains(strings.Join(evFlags, ","), "mrz_failure") {
		t.Errorf("flags %v %v", evFlags, err)
	}
}

// TestExpiredUnderAgeAndFace: the expired document and the under-age holder are flagged with the
// configured age, and the face panel shows the scores in words with the portrait cropped.
func TestExpiredUnderAgeAndFace(t *testing.T) {
	app := seed(t)
	c := app.SignIn(t, app.CreateUser(t, "reviewer"))
	caseID, docID := demoDoc(t, app, "demo-1006") // expired
	doc := c.Get(t, review.Href(caseID.String(), docID.String())).Doc(t)
	if chips := doc.Find("#review-chips").Text(); !strings.Contains(chips, "Expired on") {
		t.Errorf("expired document not flagged: %q", chips)
	}
	caseID, docID = demoDoc(t, app, "demo-1012") // under age
	doc = c.Get(t, review.Href(caseID.String(), docID.String())).Doc(t)
	if chips := doc.Find("#review-chips").Text(); !strings.Contains(chips, "Under 18") {
		t.Errorf("under-age holder not flagged: %q", chips)
	}
	if _, err := app.Pool.Exec(context.Background(), `INSERT INTO app_settings (key, value) VALUES ('review.min_age', '9')
		ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`); err != nil {
		t.Fatal(err)
	}
	doc = c.Get(t, review.Href(caseID.String(), docID.String())).Doc(t)
	if chips := doc.Find("#review-chips").Text(); strings.Contains(chips, "Under") {
		t.Errorf("min age 9 still flags: %q", chips)
	}
	// Face mismatch demo: the scores in words and the portrait box.
	caseID, docID = demoDoc(t, app, "demo-1004")
	runChecks(t, app, caseID, docID)
	doc = c.Get(t, review.Href(caseID.String(), docID.String())+"?tab=face").Doc(t)
	scores := doc.Find("#face-scores").Text()
	for _, s := range []string{"Similarity", "not the same person", "Liveness", "Deepfake"} {
		if !strings.Contains(scores, s) {
			t.Errorf("face scores lack %q: %s", s, scores)
		}
	}
	if box := doc.Find("#portrait-crop").AttrOr("data-box", ""); strings.Count(box, ",") != 3 {
		t.Errorf("portrait not cropped: %q", box)
	}
	if chips := doc.Find("#review-chips").Text(); !strings.Contains(chips, "Similarity: not the same person") {
		t.Errorf("face mismatch not in the chips: %q", chips)
	}
}

// TestNavigationPendingAndSlot: a customer with two documents gets previous/next links; a check
// still running shows the indicator, whose poll asks for a reload once the check is done; the
// decision panel's owner fills the slot through Handler.Decision; the low-confidence threshold is
// the admin's.
func TestNavigationPendingAndSlot(t *testing.T) {
	app := seed(t)
	ctx := context.Background()
	caseID, firstDoc := demoDoc(t, app, "demo-1002")
	q := db.New(app.Pool)
	cs, err := q.GetCase(ctx, caseID)
	if err != nil {
		t.Fatal(err)
	}
	sp := specimen.Generate(77, specimen.Options{DocumentType: specimen.NationalID})
	second, _, err := app.Server.CustomerService().AddDocument(ctx, customers.Origin{Actor: audit.System, Via: "test"}, cs.CustomerID,
		customers.DocumentInput{Type: "national_id", IssuingCountry: sp.IssuingCountry, Number: sp.DocumentNumber},
		[]customers.File{{Kind: "front", Name: "f.jpg", Data: sp.Front}, {Kind: "back", Name: "b.jpg", Data: sp.Back}})
	if err != nil {
		t.Fatal(err)
	}
	c := app.SignIn(t, app.CreateUser(t, "reviewer"))
	doc := c.Get(t, review.Href(caseID.String(), firstDoc.String())).Doc(t)
	if href, _ := doc.Find("#next-document").Attr("href"); href != review.Href(caseID.String(), second.ID.String()) {
		t.Errorf("next document %q", href)
	}
	if doc.Find("#prev-document").Length() != 0 || !strings.Contains(doc.Find(".review-docnav").Text(), "Document 1 of 2") {
		t.Error("the first document has no previous one")
	}
	doc = c.Get(t, review.Href(caseID.String(), second.ID.String())).Doc(t)
	if href, _ := doc.Find("#prev-document").Attr("href"); href != review.Href(caseID.String(), firstDoc.String()) {
		t.Errorf("previous document %q", href)
	}
	if doc.Find(`[data-review]`).AttrOr("data-frame-back", "") == "" || doc.Find(`[data-review]`).AttrOr("data-frame-selfie", "x") != "" {
		t.Error("the ID card has a back and no selfie")
	}

	// A check that has not run yet (no job behind it, so it stays queued).
	chk, err := q.CreateCheck(ctx, db.CreateCheckParams{CaseID: caseID, DocumentID: firstDoc, Vendor: "argos", Kind: "recognition",
		RequestKey: "pending-test", RequestedVia: "test"})
	if err != nil {
		t.Fatal(err)
	}
	path := review.Href(caseID.String(), firstDoc.String())
	doc = c.Get(t, path).Doc(t)
	if !strings.Contains(doc.Find("#review-pending").Text(), "1 running") {
		t.Errorf("no running indicator: %q", doc.Find(".review-actions").Text())
	}
	res := c.Get(t, path+"?panel=pending")
	if res.Status != http.StatusOK || res.Doc(t).Find("header.topbar").Length() != 1 {
		t.Error("without htmx the pending panel is the whole page")
	}
	req, _ := http.NewRequest("GET", app.URL+path+"?panel=pending", nil)
	req.Header.Set("HX-Request", "true")
	res = c.Do(t, req)
	if res.Status != http.StatusOK || res.Header.Get("HX-Refresh") != "" || !strings.Contains(res.Body, "review-pending") {
		t.Errorf("pending poll: %d %q", res.Status, res.Header.Get("HX-Refresh"))
	}
	if _, err := app.Pool.Exec(ctx, "UPDATE checks SET state = 'failed', finished_at = now() WHERE id = $1", chk.ID); err != nil {
		t.Fatal(err)
	}
	res = c.Do(t, req)
	if res.Header.Get("HX-Refresh") != "true" {
		t.Error("the poll does not ask for a reload once the checks are done")
	}

	// The decision slot, filled by whoever sets Handler.Decision.
	var gotCase uuid.UUID
	h := &review.Handler{Pool: app.Pool, R: app.Server.R, Decision: func(ctx context.Context, c db.Case, documentID uuid.UUID, p *auth.Principal) (templ.Component, error) {
		gotCase = c.ID
		return templ.Raw(`<div id="the-decision-panel">decide ` + p.Email + `</div>`), nil
	}}
	u := app.CreateUser(t, "reviewer")
	router := chi.NewRouter()
	router.Get("/cases/{id}/documents/{doc}/review", func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(auth.WithPrincipal(r.Context(), &auth.Principal{UserID: u.ID, Email: u.Email, Role: auth.Reviewer}))
		app.Server.R.Wrap(h.Show)(w, r)
	})
	rec := httptest.NewRecorder()
	router.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	slot, err := goquery.NewDocumentFromReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusOK || slot.Find("#decision-slot #the-decision-panel").Text() != "decide "+u.Email || gotCase != caseID {
		t.Errorf("decision slot: %d %q", rec.Code, slot.Find("#decision-slot").Text())
	}
}

func TestLowConfidenceThreshold(t *testing.T) {
	app := seed(t)
	caseID, docID := demoDoc(t, app, "demo-1001")
	runChecks(t, app, caseID, docID)
	c := app.SignIn(t, app.CreateUser(t, "reviewer"))
	path := review.Href(caseID.String(), docID.String())
	low := func() int { return c.Get(t, path).Doc(t).Find("#fields-table td.is-low").Length() }
	if n := low(); n == 0 {
		t.Fatal("nothing under the default threshold of 60%")
	}
	for _, v := range []string{"0.3", `"0.3"`} {
		if _, err := app.Pool.Exec(context.Background(), `INSERT INTO app_settings (key, value) VALUES ('review.low_confidence', $1)
			ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, v); err != nil {
			t.Fatal(err)
		}
		if n := low(); n != 0 {
			t.Errorf("threshold %s: %d low cells", v, n)
		}
	}
	if _, err := app.Pool.Exec(context.Background(), `UPDATE app_settings SET value = '0.95' WHERE key = 'review.low_confidence'`); err != nil {
		t.Fatal(err)
	}
	if doc := c.Get(t, path).Doc(t); !strings.Contains(doc.Find(".fields-legend").Text(), "under 95%") || low() < 5 {
		t.Error("threshold 0.95 not applied")
	}
}

// TestVendorRefusalStaysInTheWorkspace: the demo case whose image Apptenticate refuses as too
// blurry (826). The comparison keeps Apptenticate's column, empty, marked refused with the reason;
// the header's first finding says Apptenticate refused the document; the refusal is a flag the
// decision's evidence carries (see the decisions package).
func TestVendorRefusalStaysInTheWorkspace(t *testing.T) {
	app := seed(t)
	caseID, docID := demoDoc(t, app, "demo-1008")
	runChecks(t, app, caseID, docID)
	c := app.SignIn(t, app.CreateUser(t, "reviewer"))
	doc := c.Get(t, review.Href(caseID.String(), docID.String())).Doc(t)
	var sources []string
	doc.Find("#fields-table thead th[data-source]").Each(func(_ int, s *goquery.Selection) {
		sources = append(sources, s.AttrOr("data-source", ""))
	})
	if strings.Join(sources, ",") != "cynopsis_ocr,apptenticate,argos,ooto,declared,mrz" {
		t.Fatalf("columns: %v", sources)
	}
	head := doc.Find(`#fields-table thead th[data-source="apptenticate"]`)
	if head.Find(`[data-note="refused"]`).Length() != 1 || !strings.Contains(head.AttrOr("title", ""), "826") ||
		!strings.Contains(strings.ToLower(head.AttrOr("title", "")), "blurry") {
		t.Errorf("Apptenticate's column head: %q title %q", head.Text(), head.AttrOr("title", ""))
	}
	if cell(row(doc, vendors.Surname), "apptenticate").Find(".muted").Length() != 1 {
		t.Error("Apptenticate's refused column holds values")
	}
	if doc.Find(`#review-fields [data-ended="apptenticate"]`).Length() != 1 {
		t.Error("the comparison does not say why Apptenticate's column is empty")
	}
	first := doc.Find("#review-chips li a").First()
	if first.Text() != "Apptenticate refused the document" || !strings.Contains(first.AttrOr("class", ""), "bad") {
		t.Errorf("the header's first finding: %q (%s); all: %q", first.Text(), first.AttrOr("class", ""), doc.Find("#review-chips").Text())
	}
}
