package checks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/jpeg"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/image/draw"

	"kycdesk/internal/audit"
	"kycdesk/internal/checks"
	"kycdesk/internal/customers"
	"kycdesk/internal/db"
	"kycdesk/internal/simulator"
	"kycdesk/internal/specimen"
	"kycdesk/internal/testenv"
	"kycdesk/internal/vendors"
	"kycdesk/internal/vendorsettings"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// demoCase makes a customer with a specimen document and returns the case and document ids.
func demoCase(t *testing.T, app *testenv.App, seed uint64, opts specimen.Options) (uuid.UUID, uuid.UUID) {
	t.Helper()
	svc := app.Server.CustomerService()
	sp := specimen.Generate(seed, opts)
	ctx := context.Background()
	o := customers.Origin{Actor: audit.System, Via: "test"}
	out, err := svc.Create(ctx, o, customers.Input{GivenNames: sp.GivenNames, Surname: sp.Surname, Nationality: sp.Nationality, ExternalRef: "t-" + uuid.NewString()[:8]})
	if err != nil {
		t.Fatal(err)
	}
	typ := "passport"
	files := []customers.File{{Kind: "front", Name: "f.jpg", Data: sp.Front}, {Kind: "selfie", Name: "s.jpg", Data: sp.Selfie}}
	if sp.DocumentType == specimen.NationalID {
		typ = "national_id"
		files = append(files, customers.File{Kind: "back", Name: "b.jpg", Data: sp.Back})
	}
	doc, _, err := svc.AddDocument(ctx, o, out.Customer.ID, customers.DocumentInput{Type: typ, IssuingCountry: sp.IssuingCountry, Number: sp.DocumentNumber}, files)
	if err != nil {
		t.Fatal(err)
	}
	return out.Case.ID, doc.ID
}

// wait polls until every check of the case is finished and returns them by vendor.
func wait(t *testing.T, app *testenv.App, caseID uuid.UUID, n int) map[string]db.Check {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		list, err := db.New(app.Pool).ListCaseChecks(context.Background(), caseID)
		if err != nil {
			t.Fatal(err)
		}
		done := map[string]db.Check{}
		for _, c := range list {
			if c.State == db.CheckStateDone || c.State == db.CheckStateFailed {
				done[c.Vendor] = c
			}
		}
		if len(list) >= n && len(done) == len(list) {
			return done
		}
		if time.Now().After(deadline) {
			for _, c := range list {
				t.Logf("%s: %s %s", c.Vendor, c.State, c.Reason)
			}
			t.Fatalf("checks did not finish: %d of %d", len(done), len(list))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func result(t *testing.T, c db.Check) vendors.Result {
	var r vendors.Result
	if err := json.Unmarshal(c.Result, &r); err != nil {
		t.Fatalf("%s result: %v", c.Vendor, err)
	}
	return r
}

func field(r vendors.Result, name vendors.FieldName) string {
	for _, f := range r.Fields {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

func TestAllChecksRunAgainstTheSimulator(t *testing.T) {
	app := testenv.NewApp(t)
	rev := app.CreateUser(t, "reviewer")
	caseID, docID := demoCase(t, app, 2001, specimen.Options{DocumentType: specimen.NationalID, Scenario: specimen.ArgosMisreadsExpiry})
	c := app.SignIn(t, rev)
	claim(t, c, caseID)
	form := url.Values{"vendor": {"cynopsis_ocr", "apptenticate", "argos", "ooto", "artemis"}, "request_key": {"k1"}}
	path := "/cases/" + caseID.String() + "/documents/" + docID.String() + "/checks"
	res := c.PostForm(t, path, form, "HX-Request", "true")
	if res.Status != http.StatusOK || res.Doc(t).Find("tr[data-check]").Length() != 5 || res.Doc(t).Find("[hx-trigger='every 2s']").Length() != 1 {
		t.Fatalf("run: %d rows=%d", res.Status, res.Doc(t).Find("tr[data-check]").Length())
	}
	// The same form sent again creates nothing.
	c.PostForm(t, path, form, "HX-Request", "true")
	got := wait(t, app, caseID, 5)
	if len(got) != 5 {
		t.Fatalf("%d checks", len(got))
	}
	sp := specimen.Generate(2001, specimen.Options{DocumentType: specimen.NationalID, Scenario: specimen.ArgosMisreadsExpiry})
	for _, v := range []string{"cynopsis_ocr", "apptenticate", "argos"} {
		ck := got[v]
		if ck.State != db.CheckStateDone {
			t.Fatalf("%s: %s %s", v, ck.State, ck.Reason)
		}
		if s := field(result(t, ck), vendors.Surname); !strings.EqualFold(s, sp.Surname) && v != "cynopsis_ocr" {
			t.Errorf("%s read surname %q, want %q", v, s, sp.Surname)
		}
	}
	// Argos misreads the expiry date in this scenario, and its boxes are kept.
	ar := result(t, got["argos"])
	// The card's three-line zone, the third line from full_mrz.
	if l3 := field(ar, vendors.MRZLine3); len(sp.MRZ) != 3 || l3 != sp.MRZ[2] {
		t.Errorf("argos MRZ line 3 %q, want %q", l3, sp.MRZ)
	}
	if exp := field(ar, vendors.ExpiryDate); exp == sp.ExpiryDate.Format("2006-01-02") || exp == "" {
		t.Errorf("argos expiry %q: the scenario's misread is missing", exp)
	}
	boxes := 0
	for _, f := range ar.Fields {
		if f.Box != nil {
			boxes++
		}
	}
	if boxes == 0 {
		t.Error("argos result has no boxes")
	}
	if fc := result(t, got["ooto"]).Face; fc == nil || fc.Same == nil || !*fc.Same {
		t.Errorf("ooto face: %+v", fc)
	}
	var custArtemis, docArtemis *int64
	_ = app.Pool.QueryRow(context.Background(), "SELECT c.artemis_customer_id, d.artemis_document_id FROM documents d JOIN customers c ON c.id = d.customer_id WHERE d.id = $1", docID).Scan(&custArtemis, &docArtemis)
	if custArtemis == nil || docArtemis == nil {
		t.Fatal("Artemis ids not stored")
	}
	// Every call is logged per case, token fetches included.
	calls, _ := db.New(app.Pool).ListCaseVendorCalls(context.Background(), &caseID)
	seen := map[string]bool{}
	for _, k := range calls {
		seen[k.Vendor] = true
		if k.CheckID == nil {
			t.Errorf("call %s %s not tied to a check", k.Vendor, k.Endpoint)
		}
	}
	for _, v := range []string{"cynopsis_ocr", "apptenticate", "argos", "ooto", "artemis"} {
		if !seen[v] {
			t.Errorf("no vendor call logged for %s", v)
		}
	}
	// The raw response opens, without secrets.
	raw := c.Get(t, "/vendor-calls/"+itoa(calls[0].ID))
	if raw.Status != http.StatusOK || raw.Doc(t).Find("#raw-body").Length() != 1 {
		t.Fatalf("raw: %d", raw.Status)
	}
	for _, k := range calls {
		full, _ := db.New(app.Pool).GetVendorCall(context.Background(), k.ID)
		for _, secret := range []string{simulator.CynopsisClientSecret, simulator.ApptenticatePassword, simulator.ArgosAPIKey, simulator.OOTOAppKey} {
			if strings.Contains(string(full.Body), secret) {
				t.Fatalf("secret %q in a stored body of %s", secret, k.Endpoint)
			}
		}
	}
	// The case shows the worst outcome, and the panel no longer polls.
	cs, _ := db.New(app.Pool).GetCase(context.Background(), caseID)
	if cs.VendorOutcome == "none" || cs.VendorOutcome == "pass" {
		t.Errorf("case vendor outcome %q after a misread", cs.VendorOutcome)
	}
	panel := c.Get(t, path)
	if panel.Doc(t).Find("[hx-trigger]").Length() != 0 {
		t.Error("the finished panel still polls")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// claim has c take the case (again: claiming one's own case changes nothing).
func claim(t *testing.T, c *testenv.Client, caseID uuid.UUID) {
	t.Helper()
	if res := c.PostForm(t, "/cases/"+caseID.String()+"/claim", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("claim: %d", res.Status)
	}
}

// runChecks has c claim the case and run the named checks on the document.
func runChecks(t *testing.T, app *testenv.App, c *testenv.Client, caseID, docID uuid.UUID, names ...string) {
	t.Helper()
	claim(t, c, caseID)
	res := c.PostForm(t, "/cases/"+caseID.String()+"/documents/"+docID.String()+"/checks", url.Values{"vendor": names}, "HX-Request", "true")
	if res.Status != http.StatusOK {
		t.Fatalf("run checks: %d %s", res.Status, res.Body)
	}
}

func TestTransientFailuresAreRetriedAndRefusalsAreNot(t *testing.T) {
	checks.RetryBase = 100 * time.Millisecond
	app := testenv.NewApp(t)
	c := app.SignIn(t, app.CreateUser(t, "reviewer"))
	// Cynopsis answers 503 twice, then 429 with Retry-After, then normally.
	app.Server.Sim.Cynopsis.Faults.Inject(vendors.Fault{Kind: vendors.FaultStatus, Status: 503, Body: `{"error":"down"}`, Count: 2, PathContains: "/service/v2/ocr"})
	app.Server.Sim.Cynopsis.Faults.Inject(vendors.Fault{Kind: vendors.FaultStatus, Status: 429, RetryAfter: "1", Count: 1, PathContains: "/service/v2/ocr"})
	caseID, docID := demoCase(t, app, 3001, specimen.Options{Scenario: specimen.ApptenticateBlurry})
	runChecks(t, app, c, caseID, docID, "cynopsis_ocr", "apptenticate")
	got := wait(t, app, caseID, 2)
	ocr := got["cynopsis_ocr"]
	if ocr.State != db.CheckStateDone || ocr.Attempts != 4 {
		t.Fatalf("cynopsis: %s after %d attempts (%s)", ocr.State, ocr.Attempts, ocr.Reason)
	}
	calls, _ := db.New(app.Pool).ListCaseVendorCalls(context.Background(), &caseID)
	statuses := map[int32]int{}
	for _, k := range calls {
		if k.Vendor == "cynopsis_ocr" && strings.Contains(k.Endpoint, "/ocr") {
			statuses[k.HttpStatus]++
		}
	}
	if statuses[503] != 2 || statuses[429] != 1 || statuses[201] != 1 {
		t.Fatalf("OCR calls by status: %v", statuses)
	}
	// A documented refusal of the document ends the check at once, as a negative result (done,
	// fail, refused), in plain words, with the vendor's code; the case's outcome is a failure.
	ap := got["apptenticate"]
	if ap.State != db.CheckStateDone || ap.Outcome == nil || *ap.Outcome != "fail" || ap.Attempts != 1 || ap.Code != "826" ||
		!strings.Contains(strings.ToLower(ap.Reason), "blur") || ap.ErrorKind != checks.ErrorKindRefused {
		t.Fatalf("apptenticate: %s %v, %d attempts, code %q, %q (%s)", ap.State, ap.Outcome, ap.Attempts, ap.Code, ap.Reason, ap.ErrorKind)
	}
	if cs, _ := db.New(app.Pool).GetCase(context.Background(), caseID); cs.VendorOutcome != "fail" {
		t.Errorf("case outcome after a refusal of the document: %q, want fail", cs.VendorOutcome)
	}
	if acts := app.AuditActions(t, "check", ap.ID.String()); strings.Join(acts, ",") != "check.request,check.refused" && strings.Join(acts, ",") != "check.refused,check.request" {
		t.Errorf("audit rows of the refused check: %v", acts)
	}
	// The panel says so, and offers to run it again.
	panel := c.Get(t, "/cases/"+caseID.String()+"/documents/"+docID.String()+"/checks")
	row := panel.Doc(t).Find(`tr[data-vendor=apptenticate]`)
	if !strings.Contains(row.Find(".check-reason").Text(), "826") || row.Find("[data-refused]").Length() != 1 || row.Find("button").Length() != 1 {
		t.Fatalf("panel row: %q", row.Text())
	}

	// Argos 1003 (it could not process the data, "please retry") is retried as a 5xx is; when it
	// lasts, it is not a verdict on the document: the check did not finish, and the case needs a look.
	caseID, docID = demoCase(t, app, 3003, specimen.Options{Scenario: specimen.ArgosProcessingError})
	runChecks(t, app, c, caseID, docID, "argos")
	ar := wait(t, app, caseID, 1)["argos"]
	if ar.State != db.CheckStateFailed || ar.Outcome != nil || ar.Code != "1003" || ar.ErrorKind != "transient" ||
		ar.Attempts != checks.MaxAttempts || !strings.Contains(ar.Reason, "Gave up after") {
		t.Fatalf("argos 1003: %s %v code %q (%s), %d attempts: %s", ar.State, ar.Outcome, ar.Code, ar.ErrorKind, ar.Attempts, ar.Reason)
	}
	if cs, _ := db.New(app.Pool).GetCase(context.Background(), caseID); cs.VendorOutcome != "review" {
		t.Errorf("case outcome after a check that did not finish: %q, want review", cs.VendorOutcome)
	}
	row = c.Get(t, "/cases/"+caseID.String()+"/documents/"+docID.String()+"/checks").Doc(t).Find(`tr[data-vendor=argos]`)
	if row.Find("[data-refused]").Length() != 0 || !strings.Contains(row.Text(), "did not finish") {
		t.Fatalf("panel row of a check that did not finish: %q", row.Text())
	}
}

func TestArgosAsyncCallbacks(t *testing.T) {
	app := testenv.NewApp(t)
	admin := app.CreateUser(t, "admin")
	ctx := context.Background()
	sim := app.Server.Sim.Settings(app.URL + "/sim").Argos
	in := vendorsettingsInput(sim.BaseURL, sim.Path, sim.APIKey)
	in.Config["callback_wait_minutes"] = "3"
	if _, err := app.Server.Settings.Save(ctx, audit.UserActor(admin.ID, admin.Email), vendors.Argos, "sandbox", in); err != nil {
		t.Fatal(err)
	}
	app.Server.Sim.Argos.SetCallbackTwice(true)
	c := app.SignIn(t, app.CreateUser(t, "reviewer"))
	caseID, docID := demoCase(t, app, 3002, specimen.Options{})
	runChecks(t, app, c, caseID, docID, "argos")
	got := wait(t, app, caseID, 1)
	ar := got["argos"]
	if ar.State != db.CheckStateDone || ar.TransactionID == nil || field(result(t, ar), vendors.Surname) == "" {
		t.Fatalf("argos async: %s %v %s", ar.State, ar.TransactionID, ar.Reason)
	}
	if ar.CallbackDueAt == nil || ar.CallbackAcknowledgedAt == nil || ar.CallbackDueAt.Sub(*ar.CallbackAcknowledgedAt).Round(time.Second) != 3*time.Minute {
		t.Errorf("the callback wait is not the 3 minutes set: due %v, acknowledged %v", ar.CallbackDueAt, ar.CallbackAcknowledgedAt)
	}
	time.Sleep(700 * time.Millisecond)                                  // the second callback
	if n := len(app.AuditActions(t, "check", ar.ID.String())); n != 2 { // request + done, once
		t.Fatalf("audit rows for the check: %d (%v)", n, app.AuditActions(t, "check", ar.ID.String()))
	}
	// The callback is in the check's vendor calls beside the request, its body kept, its token not.
	var endpoint string
	var status int
	var cbBody []byte
	if err := app.Pool.QueryRow(ctx, "SELECT endpoint, http_status, body FROM vendor_calls WHERE check_id = $1 AND endpoint LIKE '%/callbacks/argos/%'",
		ar.ID).Scan(&endpoint, &status, &cbBody); err != nil {
		t.Fatalf("the callback is not in the vendor calls: %v", err)
	}
	if status != 200 || !strings.Contains(string(cbBody), *ar.TransactionID) || !strings.HasSuffix(endpoint, "/callbacks/argos/…") {
		t.Errorf("callback call: %s %d %.200s", endpoint, status, cbBody)
	}
	// A callback with a wrong token or an unknown transaction is refused.
	body := `{"statusCode":200,"apiType":"id_recognition","transactionId":"` + *ar.TransactionID + `","result":{}}`
	for _, path := range []string{"/callbacks/argos/not-the-token", "/callbacks/argos/x"} {
		res := app.NewClient().API(t, "POST", path, "", "application/json", []byte(body))
		if res.Status != http.StatusOK && res.Status != http.StatusNotFound {
			t.Fatalf("%s: %d", path, res.Status)
		}
	}
	unknown := app.NewClient().API(t, "POST", "/callbacks/argos/whatever", "", "application/json",
		[]byte(`{"statusCode":200,"apiType":"id_recognition","transactionId":"nope","result":{}}`))
	if unknown.Status != http.StatusNotFound {
		t.Fatalf("unknown transaction: %d", unknown.Status)
	}
}

func TestCancelledWorkersFinishEveryCheckExactlyOnce(t *testing.T) {
	checks.RetryBase = 100 * time.Millisecond
	app := testenv.NewApp(t)
	c := app.SignIn(t, app.CreateUser(t, "reviewer"))
	// Slow vendors, so the batch is mid-flight when the workers are cancelled.
	app.Server.Sim.OOTO.Faults.Inject(vendors.Fault{Kind: vendors.FaultDelay, Delay: 1500 * time.Millisecond, Count: 4})
	app.Server.Sim.Cynopsis.Faults.Inject(vendors.Fault{Kind: vendors.FaultDelay, Delay: 1500 * time.Millisecond, Count: 4, PathContains: "/service/v2/ocr"})
	var cases []uuid.UUID
	for i := 0; i < 4; i++ {
		caseID, docID := demoCase(t, app, uint64(3100+i), specimen.Options{})
		runChecks(t, app, c, caseID, docID, "cynopsis_ocr", "ooto", "argos")
		cases = append(cases, caseID)
	}
	time.Sleep(600 * time.Millisecond)
	if err := app.Server.CancelWorkers(); err != nil {
		t.Fatal(err)
	}
	if err := app.Server.StartWorkers(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, id := range cases {
		got := wait(t, app, id, 3)
		for v, ck := range got {
			if ck.State != db.CheckStateDone {
				t.Errorf("%s: %s %s", v, ck.State, ck.Reason)
			}
			var done int
			_ = app.Pool.QueryRow(context.Background(), "SELECT count(*) FROM audit_events WHERE subject_id = $1 AND action IN ('check.done','check.refused','check.failed')", ck.ID.String()).Scan(&done)
			if done != 1 {
				t.Errorf("%s completed %d times", v, done)
			}
		}
	}
}

func vendorsettingsInput(base, path, key string) vendorsettings.Input {
	return vendorsettings.Input{Enabled: true, Config: map[string]string{"base_url": base, "path": path, "mode": "async"},
		Secrets: map[string]string{"api_key": key}, TimeoutSeconds: 30, Concurrency: 4}
}

// TestCallWithoutAnswerStillShows: a vendor call that got no answer (no body at all) is listed,
// and the case page still renders.
func TestCallWithoutAnswerStillShows(t *testing.T) {
	checks.RetryBase = 50 * time.Millisecond
	app := testenv.NewApp(t)
	c := app.SignIn(t, app.CreateUser(t, "reviewer"))
	app.Server.Sim.OOTO.Faults.Inject(vendors.Fault{Kind: vendors.FaultHangup, Count: 1})
	caseID, docID := demoCase(t, app, 3201, specimen.Options{})
	runChecks(t, app, c, caseID, docID, "ooto")
	got := wait(t, app, caseID, 1)
	if got["ooto"].State != db.CheckStateDone || got["ooto"].Attempts != 2 {
		t.Fatalf("ooto: %s after %d attempts", got["ooto"].State, got["ooto"].Attempts)
	}
	page := c.Get(t, "/cases/"+caseID.String())
	if page.Status != http.StatusOK || page.Doc(t).Find(".calls-table tr[data-call]").Length() < 2 {
		t.Fatalf("case page: %d", page.Status)
	}
}

// TestArgosBoxesAreOnTheOriginalInBothModes: for a photo larger than the image kycdesk sends
// (its longest side is shrunk), a field's box lands on the same place of the original whether
// Argos answered at once or through its callback.
func TestArgosBoxesAreOnTheOriginalInBothModes(t *testing.T) {
	app := testenv.NewApp(t)
	admin := app.CreateUser(t, "admin")
	c := app.SignIn(t, app.CreateUser(t, "reviewer"))
	ctx := context.Background()
	sim := app.Server.Sim.Settings(app.URL + "/sim").Argos
	sp := specimen.Generate(3003, specimen.Options{})
	src, _, err := image.Decode(bytes.NewReader(sp.Front))
	if err != nil {
		t.Fatal(err)
	}
	b := src.Bounds()
	big := image.NewRGBA(image.Rect(0, 0, 3600, 3600*b.Dy()/b.Dx()))
	draw.CatmullRom.Scale(big, big.Bounds(), src, b, draw.Src, nil)
	var front bytes.Buffer
	if err := jpeg.Encode(&front, big, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	svc := app.Server.CustomerService()
	o := customers.Origin{Actor: audit.System, Via: "test"}
	surnameBox := func(mode string) vendors.Box {
		t.Helper()
		in := vendorsettingsInput(sim.BaseURL, sim.Path, sim.APIKey)
		in.Config["mode"] = mode
		if _, err := app.Server.Settings.Save(ctx, audit.UserActor(admin.ID, admin.Email), vendors.Argos, "sandbox", in); err != nil {
			t.Fatal(err)
		}
		out, err := svc.Create(ctx, o, customers.Input{GivenNames: sp.GivenNames, Surname: sp.Surname, Nationality: sp.Nationality, ExternalRef: "big-" + mode})
		if err != nil {
			t.Fatal(err)
		}
		doc, _, err := svc.AddDocument(ctx, o, out.Customer.ID, customers.DocumentInput{Type: "passport", IssuingCountry: sp.IssuingCountry, Number: sp.DocumentNumber},
			[]customers.File{{Kind: "front", Name: "f.jpg", Data: front.Bytes()}})
		if err != nil {
			t.Fatal(err)
		}
		runChecks(t, app, c, out.Case.ID, doc.ID, "argos")
		ar := wait(t, app, out.Case.ID, 1)["argos"]
		if ar.State != db.CheckStateDone || (mode == "async") != (ar.TransactionID != nil && ar.CallbackDueAt != nil) {
			t.Fatalf("%s: %s %s", mode, ar.State, ar.Reason)
		}
		for _, f := range result(t, ar).Fields {
			if f.Name == vendors.Surname && f.Box != nil {
				return *f.Box
			}
		}
		t.Fatalf("%s: no box for the surname", mode)
		return vendors.Box{}
	}
	sync, async := surnameBox("sync"), surnameBox("async")
	if sync.Corners[2].X < 2400*0.3 {
		t.Fatalf("the synchronous box %v is not on the 3600-pixel original", sync.Corners)
	}
	for i := range sync.Corners {
		if d := math.Hypot(sync.Corners[i].X-async.Corners[i].X, sync.Corners[i].Y-async.Corners[i].Y); d > 2 {
			t.Fatalf("corner %d: %v at once, %v through the callback", i, sync.Corners[i], async.Corners[i])
		}
	}
}

// TestArgosCallbackBeforeItsAcknowledgement: Argos may call back before its answer to the
// request (with the transaction id) reaches kycdesk; the callback is accepted and completes the
// check once the answer is stored.
func TestArgosCallbackBeforeItsAcknowledgement(t *testing.T) {
	app := testenv.NewApp(t)
	admin := app.CreateUser(t, "admin")
	ctx := context.Background()
	sim := app.Server.Sim.Settings(app.URL + "/sim").Argos
	if _, err := app.Server.Settings.Save(ctx, audit.UserActor(admin.ID, admin.Email), vendors.Argos, "sandbox", vendorsettingsInput(sim.BaseURL, sim.Path, sim.APIKey)); err != nil {
		t.Fatal(err)
	}
	app.Server.Sim.Argos.SetCallbackFirst(true)
	c := app.SignIn(t, app.CreateUser(t, "reviewer"))
	caseID, docID := demoCase(t, app, 3004, specimen.Options{})
	runChecks(t, app, c, caseID, docID, "argos")
	ar := wait(t, app, caseID, 1)["argos"]
	if ar.State != db.CheckStateDone || ar.TransactionID == nil || field(result(t, ar), vendors.Surname) == "" {
		t.Fatalf("argos: %s %v %s", ar.State, ar.TransactionID, ar.Reason)
	}
	sent := app.Server.Sim.Argos.Callbacks()
	if len(sent) != 1 || sent[0].Status != http.StatusAccepted {
		t.Fatalf("callbacks sent: %+v", sent)
	}
	// The finished check answers a replay as processed; its token no longer opens anything.
	replay := app.NewClient().API(t, "POST", strings.TrimPrefix(sent[0].URL, app.URL), "", "application/json", sent[0].Body)
	if replay.Status != http.StatusOK {
		t.Fatalf("replayed callback: %d %s", replay.Status, replay.Body)
	}
}

// TestRawCallShowsTheTextAsItIs: the raw response page shows an MRZ as "P<GBR…", both for a body
// stored by the current Redact and for one stored before it kept "<" as is ("P\u003cGBR…"), and a
// body that is not JSON as it came.
func TestRawCallShowsTheTextAsItIs(t *testing.T) {
	app := testenv.NewApp(t)
	c := app.SignIn(t, app.CreateUser(t, "reviewer"))
	mrz := "P<GBRELSWORTHIN<<EMIL<<<<<<<<<<<<<<<<<<<<<<<"
	for _, tc := range []struct{ name, body, want string }{
		{"stored now", string(vendors.Redact([]byte(`{"document": {"mrz_line1": "` + mrz + `"}}`))), `"mrz_line1": "` + mrz + `"`},
		{"stored escaped", `{"document":{"mrz_line1":"P\u003cGBRELSWORTHIN\u003c\u003cEMIL\u003c\u003c\u003c\u003c\u003c\u003c\u003c\u003c\u003c\u003c\u003c\u003c\u003c\u003c\u003c\u003c\u003c\u003c\u003c\u003c\u003c\u003c\u003c"}}`,
			`"mrz_line1": "` + mrz + `"`},
		{"not JSON", "<error>P<GBR & co</error>", "<error>P<GBR & co</error>"},
	} {
		var id int64
		if err := app.Pool.QueryRow(context.Background(), `INSERT INTO vendor_calls (vendor, method, endpoint, started_at, latency_ms, http_status, body)
			VALUES ('cynopsis_ocr', 'POST', 'https://ocr.example/v2/ocr', now(), 120, 200, $1) RETURNING id`, []byte(tc.body)).Scan(&id); err != nil {
			t.Fatal(err)
		}
		res := c.Get(t, "/vendor-calls/"+itoa(id))
		if res.Status != http.StatusOK {
			t.Fatalf("%s: %d", tc.name, res.Status)
		}
		got := res.Doc(t).Find("#raw-body").Text()
		if !strings.Contains(got, tc.want) || strings.Contains(got, `\u003c`) {
			t.Errorf("%s: the raw body reads\n%s\nwant it to hold %s", tc.name, got, tc.want)
		}
	}
}
