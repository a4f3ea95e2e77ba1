package liveness_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"

	"kycdesk/internal/audit"
	"kycdesk/internal/config"
	"kycdesk/internal/customers"
	"kycdesk/internal/db"
	"kycdesk/internal/images"
	"kycdesk/internal/liveness"
	"kycdesk/internal/simulator"
	"kycdesk/internal/specimen"
	"kycdesk/internal/testenv"
	"kycdesk/internal/vendors"
	"kycdesk/internal/vendors/cynopsis"
	"kycdesk/internal/vendorsettings"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// fixture is a case with one passport (front and selfie), claimed by a reviewer.
type fixture struct {
	app                *testenv.App
	caseID, docID      uuid.UUID
	customerID         uuid.UUID
	front, selfie      db.Image
	reviewer           testenv.User
	c                  *testenv.Client
	formPath, casePath string
}

func newFixture(t *testing.T, app *testenv.App, seed uint64) fixture {
	t.Helper()
	ctx := context.Background()
	sp := specimen.Generate(seed, specimen.Options{})
	svc := app.Server.CustomerService()
	o := customers.Origin{Actor: audit.System, Via: "test"}
	out, err := svc.Create(ctx, o, customers.Input{GivenNames: sp.GivenNames, Surname: sp.Surname, Nationality: sp.Nationality,
		ExternalRef: "lv-" + uuid.NewString()[:8]})
	if err != nil {
		t.Fatal(err)
	}
	doc, _, err := svc.AddDocument(ctx, o, out.Customer.ID, customers.DocumentInput{Type: "passport", IssuingCountry: sp.IssuingCountry,
		Number: sp.DocumentNumber}, []customers.File{{Kind: "front", Name: "f.jpg", Data: sp.Front}, {Kind: "selfie", Name: "s.jpg", Data: sp.Selfie}})
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{app: app, caseID: out.Case.ID, docID: doc.ID, customerID: out.Customer.ID}
	imgs, err := db.New(app.Pool).ListCustomerImages(ctx, out.Customer.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range imgs {
		switch im.Kind {
		case db.ImageKindFront:
			f.front = im
		case db.ImageKindSelfie:
			f.selfie = im
		}
	}
	f.reviewer = app.CreateUser(t, "reviewer")
	f.c = app.SignIn(t, f.reviewer)
	f.casePath = "/cases/" + f.caseID.String()
	f.formPath = f.casePath + "/documents/" + f.docID.String() + "/liveness"
	if res := f.c.PostForm(t, f.casePath+"/claim", url.Values{}); res.Status != http.StatusSeeOther {
		t.Fatalf("claim: %d", res.Status)
	}
	return f
}

// form is a complete verdict: a pass, the selfie as reference and the front as audit image.
func (f fixture) form(supersedes string) url.Values {
	return url.Values{
		"conclusion": {"true"}, "liveness_result": {"true"}, "facial_check": {"true"},
		"eyes_closed": {"false"}, "eyes_closed_confidence": {"96.5"},
		"sunglasses": {"false"}, "sunglasses_confidence": {"99"},
		"face_occluded": {"false"}, "face_occluded_confidence": {"97"},
		"liveness_confidence": {"93"}, "reference_image": {f.selfie.ID.String()}, "audit_images": {f.front.ID.String()},
		"comment": {"Blinked on the second frame."}, "supersedes": {supersedes},
	}
}

// record posts a verdict and returns its id.
func (f fixture) record(t *testing.T, form url.Values) uuid.UUID {
	t.Helper()
	res := f.c.PostForm(t, f.formPath, form)
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, f.casePath) {
		t.Fatalf("record: %d %s %.500s", res.Status, res.Location, res.Body)
	}
	var id uuid.UUID
	if err := f.app.Pool.QueryRow(context.Background(), "SELECT id FROM liveness_verdicts WHERE document_id = $1 ORDER BY seq DESC LIMIT 1", f.docID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func delivery(t *testing.T, app *testenv.App, verdictID uuid.UUID) db.GetLivenessDeliveryRow {
	t.Helper()
	row, err := db.New(app.Pool).GetLivenessDelivery(context.Background(), verdictID)
	if err != nil {
		t.Fatal(err)
	}
	return row
}

// wait polls until the delivery reaches a final state and checks it is want.
func wait(t *testing.T, app *testenv.App, verdictID uuid.UUID, want db.LivenessDeliveryState) db.LivenessDelivery {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		d := delivery(t, app, verdictID).LivenessDelivery
		switch d.State {
		case db.LivenessDeliveryStateDelivered, db.LivenessDeliveryStateFailed, db.LivenessDeliveryStateSuperseded:
			if d.State != want {
				t.Fatalf("delivery %s after %d attempts (%s), want %s", d.State, d.Attempts, d.LastError, want)
			}
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery still %s after %d attempts (%s)", d.State, d.Attempts, d.LastError)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func attempts(t *testing.T, app *testenv.App, verdictID uuid.UUID) []db.LivenessDeliveryAttempt {
	t.Helper()
	rows, err := app.Pool.Query(context.Background(), "SELECT attempt, outcome, http_status, error FROM liveness_delivery_attempts WHERE verdict_id = $1 ORDER BY id", verdictID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []db.LivenessDeliveryAttempt
	for rows.Next() {
		var a db.LivenessDeliveryAttempt
		if err := rows.Scan(&a.Attempt, &a.Outcome, &a.HttpStatus, &a.Error); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

func displayBytes(t *testing.T, app *testenv.App, im db.Image) []byte {
	t.Helper()
	key, err := images.DisplayKey(im.Sha256)
	if err != nil {
		t.Fatal(err)
	}
	rc, _, err := app.Server.Images.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// saveArtemis points the Artemis integration at base (the simulator's Cynopsis server or a proxy
// in front of it) with the given timeout, and concurrency (4 when not given).
func saveArtemis(t *testing.T, app *testenv.App, base string, timeoutSeconds int, concurrency ...int) {
	t.Helper()
	admin := app.CreateUser(t, "admin")
	n := 4
	if len(concurrency) > 0 {
		n = concurrency[0]
	}
	_, err := app.Server.Settings.Save(context.Background(), audit.UserActor(admin.ID, admin.Email), vendors.Artemis, "sandbox", vendorsettings.Input{
		Enabled: true, TimeoutSeconds: timeoutSeconds, Concurrency: n,
		Config: map[string]string{"auth_url": base, "token_path": cynopsis.DefaultTokenPath, "artemis_url": base,
			"client_id": simulator.CynopsisClientID, "domain_id": fmt.Sprint(simulator.CynopsisDomainID)},
		Secrets: map[string]string{"client_secret": simulator.CynopsisClientSecret}})
	if err != nil {
		t.Fatal(err)
	}
}

// exchange is one request through the recording proxy and the answer it got.
type exchange struct {
	Method, Path string
	Header       http.Header
	Body         []byte
	Status       int
	Answer       []byte
}

// recorder is a proxy in front of the simulator's Cynopsis server that keeps every exchange with
// its headers (Authorization included), as the vendor would see them.
type recorder struct {
	mu  sync.Mutex
	log []exchange
}

func (p *recorder) serve(target string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, err := http.NewRequestWithContext(r.Context(), r.Method, target+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req.Header = r.Header.Clone()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		answer, _ := io.ReadAll(res.Body)
		p.mu.Lock()
		p.log = append(p.log, exchange{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body, Status: res.StatusCode, Answer: answer})
		p.mu.Unlock()
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		_, _ = w.Write(answer)
	}
}

func (p *recorder) exchanges() []exchange {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]exchange(nil), p.log...)
}

// TestVerdictReachesArtemisExactlyAsTheContractSays records a verdict on a case with no Artemis
// records yet and checks, at the wire, the three calls the job makes and the liveness PUT to the
// letter: method, path with the stored ids, headers, and the body member by member.
func TestVerdictReachesArtemisExactlyAsTheContractSays(t *testing.T) {
	app := testenv.NewApp(t)
	rec := &recorder{}
	proxy := httptest.NewServer(rec.serve(app.URL + "/sim" + simulator.CynopsisPrefix))
	t.Cleanup(proxy.Close)
	saveArtemis(t, app, proxy.URL, 30)
	f := newFixture(t, app, 6001)

	// The review page shows the selfie, the document and the form.
	page := f.c.Get(t, f.formPath)
	if page.Status != http.StatusOK {
		t.Fatalf("review page: %d", page.Status)
	}
	doc := page.Doc(t)
	if doc.Find("#liveness-form").Length() != 1 || doc.Find("img[data-selfie]").Length() != 1 || doc.Find("img[data-front]").Length() != 1 {
		t.Fatalf("review page lacks the form or the images")
	}
	if v, _ := doc.Find(`input[name=reference_image][checked]`).Attr("value"); v != f.selfie.ID.String() {
		t.Errorf("the selfie is not the default reference image: %q", v)
	}

	id := f.record(t, f.form(""))
	d := wait(t, app, id, db.LivenessDeliveryStateDelivered)
	if d.Attempts != 1 || d.DeliveredAt == nil {
		t.Fatalf("delivered after %d attempts", d.Attempts)
	}
	var custArtemis, docArtemis *int64
	if err := app.Pool.QueryRow(context.Background(), "SELECT c.artemis_customer_id, d.artemis_document_id FROM documents d JOIN customers c ON c.id = d.customer_id WHERE d.id = $1",
		f.docID).Scan(&custArtemis, &docArtemis); err != nil || custArtemis == nil || docArtemis == nil {
		t.Fatalf("Artemis ids not stored: %v %v %v", custArtemis, docArtemis, err)
	}
	if *d.ArtemisCustomerID != *custArtemis || *d.ArtemisDocumentID != *docArtemis {
		t.Errorf("the delivery names other Artemis records than the ones stored")
	}

	var token string
	var puts []exchange
	for _, x := range rec.exchanges() {
		switch {
		case x.Method == "POST" && x.Path == "/oauth/token":
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			_ = json.Unmarshal(x.Answer, &tok)
			token = tok.AccessToken
		case x.Method == "POST" && x.Path == "/api/customer":
			var body map[string]any
			_ = json.Unmarshal(x.Body, &body)
			if body["profileReferenceId"] != f.customerID.String() || x.Status != http.StatusCreated {
				t.Errorf("customer creation: %d %s", x.Status, x.Body)
			}
		case x.Method == "POST" && x.Path == fmt.Sprintf("/api/customer/%d/document", *custArtemis):
			if x.Status != http.StatusCreated {
				t.Errorf("document upload: %d", x.Status)
			}
		case strings.HasSuffix(x.Path, "/liveness"):
			puts = append(puts, x)
		default:
			t.Errorf("unexpected call %s %s", x.Method, x.Path)
		}
	}
	if len(puts) != 1 {
		t.Fatalf("%d liveness calls, want exactly one", len(puts))
	}
	put := puts[0]
	if put.Method != http.MethodPut {
		t.Errorf("method %s, want PUT", put.Method)
	}
	if want := fmt.Sprintf("/api/customer/%d/document/%d/liveness", *custArtemis, *docArtemis); put.Path != want {
		t.Errorf("path %s, want %s", put.Path, want)
	}
	if token == "" || put.Header.Get("Authorization") != "Bearer "+token {
		t.Errorf("Authorization %q, want the Bearer token the token server issued", put.Header.Get("Authorization"))
	}
	if got := put.Header.Get("X-Domain-ID"); got != fmt.Sprint(simulator.CynopsisDomainID) {
		t.Errorf("X-Domain-ID %q", got)
	}
	if ct := put.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if put.Status != http.StatusOK {
		t.Errorf("Artemis answered %d: %s", put.Status, put.Answer)
	}
	body := liveness.CheckBody(t, put.Body)
	want := map[string]string{"conclusion": "true", "livenessResult": "true", "facialCheck": "true", "liivenessConfidence": "93",
		"faceDetails":    `{"eyesClosed":{"confidence":96.5,"value":false},"faceOccluded":{"confidence":97,"value":false},"sunglasses":{"confidence":99,"value":false}}`,
		"referenceImage": jsonString(base64.StdEncoding.EncodeToString(displayBytes(t, app, f.selfie))),
		"auditImages":    jsonString(base64.StdEncoding.EncodeToString(displayBytes(t, app, f.front)))}
	for k, w := range want {
		b, _ := json.Marshal(body[k])
		if string(b) != w {
			t.Errorf("%s = %.120s, want %.120s", k, b, w)
		}
	}
	// The simulator saw the same: one PUT, accepted, and one customer and one document.
	fake := app.Server.Sim.Cynopsis
	if n := len(fake.RequestsTo(cynopsis.RouteLiveness)); n != 1 {
		t.Errorf("the simulator received %d liveness PUTs", n)
	}
	if fake.Count(cynopsis.RouteCustomer) != 1 || fake.Count(cynopsis.RouteDocument) != 1 {
		t.Errorf("customers %d, documents %d created", fake.Count(cynopsis.RouteCustomer), fake.Count(cynopsis.RouteDocument))
	}

	// The case shows the delivery with Artemis' answer.
	cs := f.c.Get(t, f.casePath).Doc(t)
	row := cs.Find(fmt.Sprintf(`#liveness-%s tr[data-verdict="%s"]`, f.docID, id))
	if s, _ := row.Attr("data-state"); s != "delivered" {
		t.Fatalf("case page row state %q", s)
	}
	if got := strings.TrimSpace(row.Find("[data-artemis-document]").Text()); got != fmt.Sprint(*docArtemis) {
		t.Errorf("Artemis document on the page: %q", got)
	}
	if got := strings.TrimSpace(row.Find("[data-docver]").Text()); got != "NOT_PERFORMED" {
		t.Errorf("docverCheckStatus on the page: %q", got)
	}
	if liv := row.Find("[data-artemis-liveness]").Text(); !strings.Contains(liv, "liivenessConfidence") || strings.Contains(liv, body["referenceImage"].(string)[:64]) {
		t.Errorf("liveness block on the page: %.300s", liv)
	}
	if !strings.Contains(row.Text(), "API User") {
		t.Errorf("updatedBy missing: %q", row.Text())
	}
	// Audited, and on the case's timeline.
	if got := app.AuditActions(t, "liveness_verdict", id.String()); strings.Join(got, ",") != "liveness.delivered,liveness.verdict" {
		t.Errorf("audit: %v", got)
	}
	if !strings.Contains(cs.Find("#timeline").Text(), "recorded a liveness verdict") {
		t.Errorf("the verdict is not on the timeline")
	}
	// Delivered is final: nothing is sent again, even if the job is asked to run once more.
	time.Sleep(300 * time.Millisecond)
	if n := len(fake.RequestsTo(cynopsis.RouteLiveness)); n != 1 {
		t.Errorf("%d PUTs after delivery", n)
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestFailedPushesAreRetriedUntilDelivered: Artemis answers 503, then too slowly; the delivery is
// retried with backoff, each attempt and its error stays visible, and the third attempt delivers.
func TestFailedPushesAreRetriedUntilDelivered(t *testing.T) {
	liveness.RetryBase = 300 * time.Millisecond
	app := testenv.NewApp(t)
	saveArtemis(t, app, app.URL+"/sim"+simulator.CynopsisPrefix, 1)
	f := newFixture(t, app, 6002)
	fake := app.Server.Sim.Cynopsis
	fake.Faults.Inject(vendors.Fault{Kind: vendors.FaultStatus, Status: 503, Body: `{"status":503,"error":"Service Unavailable","message":"maintenance"}`, PathContains: "/liveness"})
	fake.Faults.Inject(vendors.Fault{Kind: vendors.FaultDelay, Delay: 3 * time.Second, PathContains: "/liveness"})
	id := f.record(t, f.form(""))

	// While it retries, the state says so with the time of the next attempt.
	sawRetrying := false
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		d := delivery(t, app, id).LivenessDelivery
		if d.State == db.LivenessDeliveryStateRetrying && d.NextAttemptAt != nil && d.LastError != "" {
			if !sawRetrying {
				panel := f.c.Get(t, f.formPath+"/panel").Doc(t)
				r := panel.Find(fmt.Sprintf(`tr[data-verdict="%s"]`, id))
				if s, _ := r.Attr("data-state"); s != "retrying" || r.Find("[data-next-attempt]").Length() != 1 || r.Find("[data-retry]").Length() != 1 {
					t.Errorf("retrying row: %q", r.Text())
				}
			}
			sawRetrying = true
		}
		if d.State == db.LivenessDeliveryStateDelivered {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	d := wait(t, app, id, db.LivenessDeliveryStateDelivered)
	if !sawRetrying {
		t.Error("the retrying state was never visible")
	}
	if d.Attempts != 3 {
		t.Fatalf("delivered after %d attempts, want 3", d.Attempts)
	}
	got := attempts(t, app, id)
	if len(got) != 3 {
		t.Fatalf("%d attempts recorded", len(got))
	}
	if got[0].Outcome != "retrying" || got[0].HttpStatus != 503 || !strings.Contains(got[0].Error, "503") {
		t.Errorf("attempt 1: %+v", got[0])
	}
	if got[1].Outcome != "retrying" || got[1].HttpStatus != 0 || !strings.Contains(got[1].Error, "in time") {
		t.Errorf("attempt 2: %+v", got[1])
	}
	if got[2].Outcome != "delivered" || got[2].HttpStatus != 200 {
		t.Errorf("attempt 3: %+v", got[2])
	}
	// The fake saw three PUTs and accepted one.
	accepted := 0
	for _, r := range fake.RequestsTo(cynopsis.RouteLiveness) {
		if r.Status == http.StatusOK {
			accepted++
		}
	}
	if n := len(fake.RequestsTo(cynopsis.RouteLiveness)); n != 3 || accepted != 1 {
		t.Errorf("PUTs: %d, accepted %d", n, accepted)
	}
	// The document's panel shows the history of attempts.
	hist := f.c.Get(t, f.formPath+"/panel").Doc(t).Find(fmt.Sprintf(`#liveness-%s [data-attempts] tr[data-attempt]`, f.docID))
	if hist.Length() != 3 || !strings.Contains(hist.Text(), "503") || !strings.Contains(hist.Text(), "did not answer in time") {
		t.Errorf("attempt history on the page: %q", hist.Text())
	}
}

// TestPushAcceptedWithoutARecordIsDelivered: Artemis answering the PUT with a 2xx and no body
// (204, or 200 from Spring's ok().build()) accepted the verdict, as the client says: the delivery
// is recorded as delivered, once, and says no record came back (it was retried as "no answer").
func TestPushAcceptedWithoutARecordIsDelivered(t *testing.T) {
	app := testenv.NewApp(t)
	saveArtemis(t, app, app.URL+"/sim"+simulator.CynopsisPrefix, 1)
	f := newFixture(t, app, 6012)
	fake := app.Server.Sim.Cynopsis
	fake.Faults.Inject(vendors.Fault{Kind: vendors.FaultStatus, Status: http.StatusNoContent, PathContains: "/liveness"})
	id := f.record(t, f.form(""))
	d := wait(t, app, id, db.LivenessDeliveryStateDelivered)
	if d.Attempts != 1 || d.ArtemisDocumentID == nil || *d.ArtemisDocumentID <= 0 {
		t.Errorf("delivery: %d attempts, Artemis document %v", d.Attempts, d.ArtemisDocumentID)
	}
	got := attempts(t, app, id)
	if len(got) != 1 || got[0].Outcome != "delivered" || !strings.Contains(got[0].Error, "without sending the document record") {
		t.Fatalf("attempts: %+v", got)
	}
	if n := len(fake.RequestsTo(cynopsis.RouteLiveness)); n != 1 {
		t.Errorf("PUTs: %d, want 1", n)
	}
	row := f.c.Get(t, f.formPath+"/panel").Doc(t).Find(fmt.Sprintf(`tr[data-verdict="%s"]`, id))
	if s, _ := row.Attr("data-state"); s != "delivered" {
		t.Errorf("the panel's row: state %q, %q", s, row.Text())
	}
	if actions := app.AuditActions(t, "liveness_verdict", id.String()); !slices.Contains(actions, "liveness.delivered") {
		t.Errorf("audit: %v", actions)
	}
}

// TestCrashBetweenCustomerAndDocumentCreatesNothingTwice kills the workers while the document
// upload is in flight, after the Artemis customer was created and its id stored: after the
// restart the job goes on from there, and Artemis holds one customer and one document.
func TestCrashBetweenCustomerAndDocumentCreatesNothingTwice(t *testing.T) {
	liveness.RetryBase = 100 * time.Millisecond
	app := testenv.NewApp(t)
	f := newFixture(t, app, 6003)
	fake := app.Server.Sim.Cynopsis
	fake.Faults.Inject(vendors.Fault{Kind: vendors.FaultDelay, Delay: 20 * time.Second, PathContains: "/document"})
	id := f.record(t, f.form(""))
	deadline := time.Now().Add(30 * time.Second)
	for {
		var cust *int64
		_ = app.Pool.QueryRow(context.Background(), "SELECT artemis_customer_id FROM customers WHERE id = $1", f.customerID).Scan(&cust)
		if cust != nil && fake.Count(cynopsis.RouteDocument) == 0 && len(fake.Requests()) > 0 {
			// The upload has not been answered yet (answers are counted when they are sent).
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the customer was never created")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // the upload is now waiting inside the fake
	if err := app.Server.CancelWorkers(); err != nil {
		t.Fatal(err)
	}
	if err := app.Server.StartWorkers(context.Background()); err != nil {
		t.Fatal(err)
	}
	d := wait(t, app, id, db.LivenessDeliveryStateDelivered)
	if d.Attempts != 2 {
		t.Errorf("delivered after %d attempts, want 2", d.Attempts)
	}
	if _, ok := fake.CustomerByReference(f.customerID.String()); !ok || fake.Count(cynopsis.RouteCustomer) != 1 {
		t.Errorf("customer creations: %d", fake.Count(cynopsis.RouteCustomer))
	}
	created := 0
	for _, r := range fake.RequestsTo(cynopsis.RouteDocument) {
		if r.Status == http.StatusCreated {
			created++
		}
	}
	if created != 1 {
		t.Errorf("%d documents created at Artemis, want 1", created)
	}
	puts := 0
	for _, r := range fake.RequestsTo(cynopsis.RouteLiveness) {
		if r.Status == http.StatusOK {
			puts++
		}
	}
	if puts != 1 {
		t.Errorf("%d liveness PUTs accepted, want 1", puts)
	}
	var delivered int
	_ = app.Pool.QueryRow(context.Background(), "SELECT count(*) FROM audit_events WHERE subject_id = $1 AND action = 'liveness.delivered'", id.String()).Scan(&delivered)
	if delivered != 1 {
		t.Errorf("delivered %d times", delivered)
	}
	if got := attempts(t, app, id); len(got) != 2 || got[0].Outcome != "retrying" {
		t.Errorf("attempts: %+v", got)
	}
}

// TestUploadFailureAfterCustomerCreatedCreatesNoSecondCustomer: the document upload fails once
// (503) after the customer was created; the retry uploads the document to the stored customer.
func TestUploadFailureAfterCustomerCreatedCreatesNoSecondCustomer(t *testing.T) {
	liveness.RetryBase = 100 * time.Millisecond
	app := testenv.NewApp(t)
	f := newFixture(t, app, 6004)
	fake := app.Server.Sim.Cynopsis
	fake.Faults.Inject(vendors.Fault{Kind: vendors.FaultStatus, Status: 503, Body: `{"status":503}`, PathContains: "/document"})
	id := f.record(t, f.form(""))
	d := wait(t, app, id, db.LivenessDeliveryStateDelivered)
	if d.Attempts != 2 || fake.Count(cynopsis.RouteCustomer) != 1 || fake.Count(cynopsis.RouteDocument) != 2 {
		t.Fatalf("attempts %d, customer calls %d, document calls %d", d.Attempts, fake.Count(cynopsis.RouteCustomer), fake.Count(cynopsis.RouteDocument))
	}
}

// TestBadFormsAreRefusedFieldByField: each bad field comes back with 422 and its message, and
// nothing is stored or sent.
func TestBadFormsAreRefusedFieldByField(t *testing.T) {
	app := testenv.NewApp(t)
	f := newFixture(t, app, 6005)
	stranger := newFixture(t, app, 6006)
	cases := []struct {
		field, value, message string
	}{
		{"conclusion", "", "passes or fails"},
		{"liveness_result", "maybe", "live person"},
		{"facial_check", "", "portrait"},
		{"eyes_closed", "", "eyes are closed"},
		{"eyes_closed_confidence", "101", "0 to 100"},
		{"sunglasses", "", "sunglasses"},
		{"sunglasses_confidence", "-3", "0 to 100"},
		{"face_occluded", "", "occluded"},
		{"face_occluded_confidence", "lots", "0 to 100"},
		{"liveness_confidence", "93.5", "whole number"},
		{"liveness_confidence", "1000", "whole number"},
		{"reference_image", "", "reference image"},
		{"reference_image", stranger.selfie.ID.String(), "this case's images"},
		{"audit_images", stranger.front.ID.String(), "this case's images"},
		{"comment", strings.Repeat("x", liveness.MaxCommentLength+1), "at most"},
	}
	for _, c := range cases {
		t.Run(c.field+"="+c.value[:min(len(c.value), 12)], func(t *testing.T) {
			form := f.form("")
			form.Set(c.field, c.value)
			res := f.c.PostForm(t, f.formPath, form)
			if res.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", res.Status)
			}
			doc := res.Doc(t)
			if msg := doc.Find("#" + c.field + "-error").Text(); !strings.Contains(msg, c.message) {
				t.Errorf("message %q, want %q", msg, c.message)
			}
			if doc.Find(".error").Length() != 1 {
				t.Errorf("%d field errors, want 1", doc.Find(".error").Length())
			}
			if !strings.Contains(doc.Find(".alert-error").Text(), "Nothing was stored or sent") {
				t.Errorf("no alert")
			}
			// The other answers are kept.
			if v, _ := doc.Find("#liveness_confidence").Attr("value"); c.field != "liveness_confidence" && v != "93" {
				t.Errorf("liveness confidence not kept: %q", v)
			}
		})
	}
	// An empty form names every required field.
	res := f.c.PostForm(t, f.formPath, url.Values{})
	if res.Status != http.StatusUnprocessableEntity || res.Doc(t).Find(".error").Length() != 11 {
		t.Errorf("empty form: %d, %d errors", res.Status, res.Doc(t).Find(".error").Length())
	}
	var n int
	_ = app.Pool.QueryRow(context.Background(), "SELECT (SELECT count(*) FROM liveness_verdicts) + (SELECT count(*) FROM river_job WHERE kind = 'liveness_push')").Scan(&n)
	if n != 0 || len(app.Server.Sim.Cynopsis.Requests()) != 0 {
		t.Fatalf("bad forms stored %d rows or sent %d requests", n, len(app.Server.Sim.Cynopsis.Requests()))
	}
}

// TestOnlyTheAssigneeRecordsAndManagersSeeWhatIsUndelivered: the assignee alone records or
// retries on a case; managers cannot record but list and retry undelivered verdicts; a refusal
// (4xx) fails at once with the vendor's message, and a corrected verdict that is delivered
// supersedes it.
func TestOnlyTheAssigneeRecordsAndManagersSeeWhatIsUndelivered(t *testing.T) {
	liveness.RetryBase = 100 * time.Millisecond
	app := testenv.NewApp(t)
	f := newFixture(t, app, 6007)
	other := app.SignIn(t, app.CreateUser(t, "reviewer"))
	manager := app.SignIn(t, app.CreateUser(t, "manager"))

	if res := other.PostForm(t, f.formPath, f.form("")); res.Status != http.StatusForbidden {
		t.Errorf("another reviewer: %d", res.Status)
	}
	if res := manager.PostForm(t, f.formPath, f.form("")); res.Status != http.StatusForbidden {
		t.Errorf("manager: %d", res.Status)
	}
	if res := app.NewClient().PostForm(t, f.formPath, f.form("")); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/login") {
		t.Errorf("signed out: %d %s", res.Status, res.Location)
	}
	// Another reviewer sees the page, without the form.
	page := other.Get(t, f.formPath)
	if page.Status != http.StatusOK || page.Doc(t).Find("#liveness-form").Length() != 0 || !strings.Contains(page.Doc(t).Find("#liveness-why").Text(), "assigned to someone else") {
		t.Errorf("another reviewer's page: %d", page.Status)
	}

	// Artemis refuses the first verdict (a 4xx): it fails at once, with Artemis' message.
	app.Server.Sim.Cynopsis.Faults.Inject(vendors.Fault{Kind: vendors.FaultStatus, Status: 400, PathContains: "/liveness",
		Body: `{"timestamp":"2026-01-01T00:00:00Z","status":400,"error":"Bad Request","message":"referenceImage is not a supported image","path":"/x"}`})
	first := f.record(t, f.form(""))
	d := wait(t, app, first, db.LivenessDeliveryStateFailed)
	if d.Attempts != 1 || d.HttpStatus != 400 || !strings.Contains(d.LastError, "referenceImage is not a supported image") {
		t.Fatalf("failed delivery: %d attempts, %d, %q", d.Attempts, d.HttpStatus, d.LastError)
	}
	time.Sleep(300 * time.Millisecond)
	if n := delivery(t, app, first).LivenessDelivery.Attempts; n != 1 {
		t.Fatalf("a 4xx was retried: %d attempts", n)
	}

	// Managers list it; reviewers may not.
	if res := f.c.Get(t, "/liveness/undelivered"); res.Status != http.StatusForbidden {
		t.Errorf("reviewer on the undelivered list: %d", res.Status)
	}
	list := manager.Get(t, "/liveness/undelivered")
	row := list.Doc(t).Find(fmt.Sprintf(`#undelivered-table tr[data-verdict="%s"]`, first))
	if list.Status != http.StatusOK || row.Length() != 1 || !strings.Contains(row.Text(), "referenceImage is not a supported image") || !strings.Contains(row.Text(), "HTTP 400") {
		t.Fatalf("undelivered list: %d %q", list.Status, row.Text())
	}
	if list.Doc(t).Find(`nav a[href="/liveness/undelivered"]`).Length() != 1 {
		t.Errorf("no navigation entry")
	}

	// Retry now: not by another reviewer; by a manager from the list, which delivers it.
	if res := other.PostForm(t, f.casePath+"/liveness/"+first.String()+"/retry", url.Values{}); res.Status != http.StatusForbidden {
		t.Errorf("another reviewer retried: %d", res.Status)
	}
	if res := manager.PostForm(t, "/liveness/undelivered/"+first.String()+"/retry", url.Values{}); res.Status != http.StatusSeeOther {
		t.Fatalf("manager retry: %d", res.Status)
	}
	wait(t, app, first, db.LivenessDeliveryStateDelivered)
	if got := app.AuditActions(t, "liveness_verdict", first.String()); strings.Join(got, ",") != "liveness.delivered,liveness.retry,liveness.failed,liveness.verdict" {
		t.Errorf("audit: %v", got)
	}
	// A delivered verdict cannot be retried.
	if res := f.c.PostForm(t, f.casePath+"/liveness/"+first.String()+"/retry", url.Values{}, "HX-Request", "true"); res.Status != http.StatusConflict {
		t.Errorf("retry of a delivered verdict: %d", res.Status)
	}

	// A correction must name the newest verdict; a stale form is refused.
	if res := f.c.PostForm(t, f.formPath, f.form("")); res.Status != http.StatusConflict {
		t.Errorf("stale correction: %d", res.Status)
	}
	form := f.form(first.String())
	form.Set("conclusion", "false")
	form.Set("liveness_result", "false")
	second := f.record(t, form)
	wait(t, app, second, db.LivenessDeliveryStateDelivered)
	v := delivery(t, app, second).LivenessVerdict
	if v.Supersedes == nil || *v.Supersedes != first {
		t.Errorf("supersedes %v", v.Supersedes)
	}
	// Both stay in the history, newest first; verdict rows cannot be changed.
	rows := f.c.Get(t, f.casePath).Doc(t).Find(fmt.Sprintf(`#liveness-%s tr[data-verdict]`, f.docID))
	if rows.Length() != 2 {
		t.Fatalf("%d verdict rows", rows.Length())
	}
	if id, _ := rows.First().Attr("data-verdict"); id != second.String() {
		t.Errorf("newest first: %s", id)
	}
	if _, err := app.Pool.Exec(context.Background(), "UPDATE liveness_verdicts SET conclusion = true WHERE id = $1", second); err == nil {
		t.Error("a verdict was changed")
	}
	// The fake keeps the last verdict it was sent.
	puts := app.Server.Sim.Cynopsis.RequestsTo(cynopsis.RouteLiveness)
	var last map[string]any
	_ = json.Unmarshal(puts[len(puts)-1].Body, &last)
	if last["conclusion"] != false {
		t.Errorf("the correction was not the last verdict sent: %v", last["conclusion"])
	}
}

// TestOlderUndeliveredVerdictIsSupersededByADeliveredCorrection: a verdict that failed is not sent
// after its correction reached Artemis (it would overwrite it), and leaves the undelivered list.
func TestOlderUndeliveredVerdictIsSupersededByADeliveredCorrection(t *testing.T) {
	liveness.RetryBase = 100 * time.Millisecond
	app := testenv.NewApp(t)
	f := newFixture(t, app, 6008)
	manager := app.SignIn(t, app.CreateUser(t, "manager"))
	app.Server.Sim.Cynopsis.Faults.Inject(vendors.Fault{Kind: vendors.FaultStatus, Status: 422, PathContains: "/liveness",
		Body: `{"status":422,"error":"Unprocessable Entity","message":"liveness already under review"}`})
	first := f.record(t, f.form(""))
	wait(t, app, first, db.LivenessDeliveryStateFailed)
	second := f.record(t, f.form(first.String()))
	wait(t, app, second, db.LivenessDeliveryStateDelivered)
	d := wait(t, app, first, db.LivenessDeliveryStateSuperseded)
	if !strings.Contains(d.LastError, "later verdict") {
		t.Errorf("superseded reason: %q", d.LastError)
	}
	if res := f.c.PostForm(t, f.casePath+"/liveness/"+first.String()+"/retry", url.Values{}, "HX-Request", "true"); res.Status != http.StatusConflict {
		t.Errorf("retry of a superseded verdict: %d", res.Status)
	}
	if manager.Get(t, "/liveness/undelivered").Doc(t).Find("#undelivered-empty").Length() != 1 {
		t.Errorf("the superseded verdict is still listed as undelivered")
	}
}

// TestRetryingVerdictIsNotSentAfterItsCorrection: a verdict waiting for its next attempt is
// corrected; once the correction is delivered, the first is never sent (it would overwrite the
// correction at Artemis).
func TestRetryingVerdictIsNotSentAfterItsCorrection(t *testing.T) {
	liveness.RetryBase = 1500 * time.Millisecond
	app := testenv.NewApp(t)
	f := newFixture(t, app, 6009)
	fake := app.Server.Sim.Cynopsis
	fake.Faults.Inject(vendors.Fault{Kind: vendors.FaultStatus, Status: 503, Body: `{"status":503}`, PathContains: "/liveness"})
	first := f.record(t, f.form(""))
	deadline := time.Now().Add(30 * time.Second)
	for delivery(t, app, first).LivenessDelivery.State != db.LivenessDeliveryStateRetrying {
		if time.Now().After(deadline) {
			t.Fatal("the first verdict never waited for a retry")
		}
		time.Sleep(10 * time.Millisecond)
	}
	form := f.form(first.String())
	form.Set("liveness_confidence", "12")
	second := f.record(t, form)
	wait(t, app, second, db.LivenessDeliveryStateDelivered)
	d := wait(t, app, first, db.LivenessDeliveryStateSuperseded)
	time.Sleep(2 * time.Second) // the first verdict's job wakes up, and sends nothing
	if d2 := delivery(t, app, first).LivenessDelivery; d2.Attempts != 1 || d2.State != db.LivenessDeliveryStateSuperseded || d.Attempts != 1 {
		t.Fatalf("first verdict: %s after %d attempts", d2.State, d2.Attempts)
	}
	var accepted []map[string]any
	for _, r := range fake.RequestsTo(cynopsis.RouteLiveness) {
		if r.Status == http.StatusOK {
			var b map[string]any
			_ = json.Unmarshal(r.Body, &b)
			accepted = append(accepted, b)
		}
	}
	if len(accepted) != 1 || fmt.Sprint(accepted[0]["liivenessConfidence"]) != "12" {
		t.Fatalf("accepted PUTs: %d", len(accepted))
	}
}

// TestExpiredTokenIsRenewedOnce: Artemis refuses an expired token with 401; the client fetches one
// new token and sends the verdict once more, within the same attempt.
func TestExpiredTokenIsRenewedOnce(t *testing.T) {
	app := testenv.NewApp(t)
	f := newFixture(t, app, 6010)
	fake := app.Server.Sim.Cynopsis
	first := f.record(t, f.form(""))
	wait(t, app, first, db.LivenessDeliveryStateDelivered)
	issued := fake.TokensIssued()
	fake.ExpireTokens()
	second := f.record(t, f.form(first.String()))
	if d := wait(t, app, second, db.LivenessDeliveryStateDelivered); d.Attempts != 1 {
		t.Errorf("delivered after %d attempts", d.Attempts)
	}
	if n := fake.TokensIssued() - issued; n != 1 {
		t.Errorf("%d new tokens, want 1", n)
	}
	var statuses []int
	for _, r := range fake.RequestsTo(cynopsis.RouteLiveness) {
		statuses = append(statuses, r.Status)
	}
	if fmt.Sprint(statuses) != "[200 401 200]" {
		t.Errorf("liveness PUT statuses %v", statuses)
	}
}

// TestArtemisCheckAndPushRacingCreateOneRecord: a reviewer runs the Artemis check and records a
// verdict at the same moment on a customer with no Artemis records; the two take turns, so
// Artemis holds one customer and one document, and both finish well.
func TestArtemisCheckAndPushRacingCreateOneRecord(t *testing.T) {
	liveness.RetryBase = 100 * time.Millisecond
	app := testenv.NewApp(t)
	f := newFixture(t, app, 6011)
	fake := app.Server.Sim.Cynopsis
	// The first creation is slow, so the other side arrives while it is in flight.
	fake.Faults.Inject(vendors.Fault{Kind: vendors.FaultDelay, Delay: time.Second, PathContains: "/api/customer"})
	done := make(chan struct{})
	go func() {
		defer close(done)
		res := f.c.PostForm(t, f.casePath+"/documents/"+f.docID.String()+"/checks", url.Values{"vendor": {string(vendors.Artemis)}}, "HX-Request", "true")
		if res.Status != http.StatusOK {
			t.Errorf("run the Artemis check: %d %.300s", res.Status, res.Body)
		}
	}()
	id := f.record(t, f.form(""))
	<-done
	wait(t, app, id, db.LivenessDeliveryStateDelivered)
	deadline := time.Now().Add(60 * time.Second)
	for {
		var state string
		var reason string
		if err := app.Pool.QueryRow(context.Background(), "SELECT state, reason FROM checks WHERE document_id = $1 AND vendor = 'artemis'", f.docID).Scan(&state, &reason); err != nil {
			t.Fatal(err)
		}
		if state == "done" {
			break
		}
		if state == "failed" || time.Now().After(deadline) {
			t.Fatalf("the Artemis check is %s: %v", state, reason)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := fake.Count(cynopsis.RouteCustomer); n != 1 {
		t.Errorf("%d Artemis customers created, want 1", n)
	}
	if n := fake.Count(cynopsis.RouteDocument); n != 1 {
		t.Errorf("%d Artemis documents created, want 1", n)
	}
}

// TestPushesKeepToArtemisConcurrency: with Artemis limited to one call at a time, verdicts of
// three customers and an Artemis check are sent one after the other, never together.
func TestPushesKeepToArtemisConcurrency(t *testing.T) {
	liveness.RetryBase = 100 * time.Millisecond
	app := testenv.NewApp(t)
	var inFlight, most atomic.Int32
	target := app.URL + "/sim" + simulator.CynopsisPrefix
	rec := &recorder{}
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(150 * time.Millisecond) // long enough for a second call to overlap
		}
		rec.serve(target)(w, r)
	}))
	t.Cleanup(proxy.Close)
	saveArtemis(t, app, proxy.URL, 30, 1)
	var fs []fixture
	for i := range 3 {
		fs = append(fs, newFixture(t, app, uint64(6020+i)))
	}
	// Everything is queued while the workers are stopped, so it all starts at once.
	if err := app.Server.CancelWorkers(); err != nil {
		t.Fatal(err)
	}
	var ids []uuid.UUID
	for _, f := range fs {
		ids = append(ids, f.record(t, f.form("")))
	}
	first := fs[0]
	if res := first.c.PostForm(t, first.casePath+"/documents/"+first.docID.String()+"/checks", url.Values{"vendor": {string(vendors.Artemis)}}, "HX-Request", "true"); res.Status != http.StatusOK {
		t.Fatalf("run the Artemis check: %d", res.Status)
	}
	if err := app.Server.StartWorkers(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		wait(t, app, id, db.LivenessDeliveryStateDelivered)
	}
	if m := most.Load(); m != 1 {
		t.Errorf("%d Artemis calls at once, want 1", m)
	}
	if n := len(rec.exchanges()); n < 9 {
		t.Errorf("only %d exchanges: the pushes did not run", n)
	}
}

// TestCustomersTurnsTakeNoPoolConnections: a push holds its customer's turn (a session lock)
// across its Artemis calls on a connection of its own, so more pushes at once than the
// background pool has connections all finish: were each turn held on a pool connection, every
// holder would wait for a second one to read its verdict and none would finish.
func TestCustomersTurnsTakeNoPoolConnections(t *testing.T) {
	app := testenv.NewApp(t, func(c *config.Config) { c.DBBackgroundConns = 2 })
	target := app.URL + "/sim" + simulator.CynopsisPrefix
	rec := &recorder{}
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			time.Sleep(150 * time.Millisecond) // the pushes overlap
		}
		rec.serve(target)(w, r)
	}))
	t.Cleanup(proxy.Close)
	saveArtemis(t, app, proxy.URL, 30, 6)
	var fs []fixture
	for i := range 5 {
		fs = append(fs, newFixture(t, app, uint64(6040+i)))
	}
	if err := app.Server.CancelWorkers(); err != nil {
		t.Fatal(err)
	}
	var ids []uuid.UUID
	for _, f := range fs {
		ids = append(ids, f.record(t, f.form("")))
	}
	if err := app.Server.StartWorkers(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		wait(t, app, id, db.LivenessDeliveryStateDelivered)
	}
}

// TestRefusedVerdictKeepsTheForm: a verdict sent after the case changed hands (a colleague claimed
// it, or nobody holds it) is not recorded, and the form comes back as it was typed, with what
// happened, instead of an error page that loses it.
func TestRefusedVerdictKeepsTheForm(t *testing.T) {
	app := testenv.NewApp(t)
	f := newFixture(t, app, 6040)
	other := app.SignIn(t, app.CreateUser(t, "reviewer"))
	form := f.form("")
	form.Set("conclusion", "false")
	form.Set("liveness_result", "false")
	form.Set("liveness_confidence", "17")
	form.Set("comment", "The selfie is a photo of a screen: moiré on the cheek.")
	kept := func(res testenv.Response, status int, why string) {
		t.Helper()
		doc := res.Doc(t)
		if res.Status != status || !strings.Contains(doc.Find("#liveness-refused").Text(), why) {
			t.Fatalf("refused verdict: %d %q, want %d %q", res.Status, doc.Find("#liveness-refused").Text(), status, why)
		}
		if doc.Find("#liveness-form").Length() != 1 || doc.Find("#liveness-comment").Text() != form.Get("comment") ||
			doc.Find("#conclusion-no[checked]").Length() != 1 || doc.Find("#liveness_result-no[checked]").Length() != 1 ||
			doc.Find("#liveness_confidence").AttrOr("value", "") != "17" ||
			doc.Find(`#audit-images input[value="`+f.front.ID.String()+`"][checked]`).Length() != 1 {
			t.Errorf("the form did not come back as typed: %q", doc.Find("#liveness-form").Text())
		}
		var n int
		_ = app.Pool.QueryRow(context.Background(), "SELECT count(*) FROM liveness_verdicts WHERE document_id = $1", f.docID).Scan(&n)
		if n != 0 {
			t.Fatalf("%d verdicts recorded", n)
		}
	}
	// A colleague claimed the case meanwhile.
	if res := f.c.PostForm(t, f.casePath+"/release", url.Values{}); res.Status != http.StatusSeeOther {
		t.Fatalf("release: %d", res.Status)
	}
	if res := other.PostForm(t, f.casePath+"/claim", url.Values{}); res.Status != http.StatusSeeOther {
		t.Fatalf("the colleague claims: %d", res.Status)
	}
	kept(f.c.PostForm(t, f.formPath, form), http.StatusForbidden, "assigned to someone else")
	// Nobody holds it.
	if res := other.PostForm(t, f.casePath+"/release", url.Values{}); res.Status != http.StatusSeeOther {
		t.Fatalf("the colleague releases: %d", res.Status)
	}
	kept(f.c.PostForm(t, f.formPath, form), http.StatusConflict, "Claim the case first")
	// Claimed again, the same form goes through.
	if res := f.c.PostForm(t, f.casePath+"/claim", url.Values{}); res.Status != http.StatusSeeOther {
		t.Fatalf("claim: %d", res.Status)
	}
	f.record(t, form)
}

// TestThePanelSaysWhatArtemisHolds: a correction Artemis refuses leaves the earlier verdict at
// Artemis; the panel says so on both rows, and the refused attempt shows the call it made with
// Artemis' answer one click away.
func TestThePanelSaysWhatArtemisHolds(t *testing.T) {
	app := testenv.NewApp(t)
	f := newFixture(t, app, 6011)
	panel := func() *goquery.Selection {
		t.Helper()
		return f.c.Get(t, f.casePath).Doc(t).Find("#liveness-" + f.docID.String())
	}
	if got := panel().Find("[data-artemis-holds]").Length(); got != 0 {
		t.Errorf("a panel without verdicts speaks of Artemis: %d", got)
	}
	first := f.record(t, f.form(""))
	wait(t, app, first, db.LivenessDeliveryStateDelivered)
	if id, _ := panel().Find("[data-artemis-holds]").Attr("data-artemis-holds"); id != first.String() {
		t.Fatalf("Artemis holds %q, want the first verdict", id)
	}

	app.Server.Sim.Cynopsis.Faults.Inject(vendors.Fault{Kind: vendors.FaultStatus, Status: 400, PathContains: "/liveness",
		Body: `{"timestamp":"2026-01-01T00:00:00Z","status":400,"error":"Bad Request","message":"referenceImage is not a supported image","path":"/x"}`})
	form := f.form(first.String())
	form.Set("conclusion", "false")
	form.Set("liveness_result", "false")
	second := f.record(t, form)
	wait(t, app, second, db.LivenessDeliveryStateFailed)

	p := panel()
	if id, _ := p.Find("[data-artemis-holds]").Attr("data-artemis-holds"); id != first.String() || !strings.Contains(p.Find("[data-artemis-holds]").Text(), "pass") {
		t.Errorf("after the refused correction Artemis holds %q (%q), want the first verdict", id, p.Find("[data-artemis-holds]").Text())
	}
	if p.Find(fmt.Sprintf(`tr[data-verdict="%s"] [data-held]`, first)).Length() != 1 {
		t.Error("the first verdict's row does not say Artemis holds it")
	}
	row := p.Find(fmt.Sprintf(`tr[data-verdict="%s"]`, second))
	if !strings.Contains(row.Find("[data-still-held]").Text(), "Artemis still holds") {
		t.Errorf("the refused verdict's row does not say what Artemis still holds: %q", row.Text())
	}
	// The first delivery's four calls (token, customer, document, PUT), then the refused PUT.
	calls := p.Find("[data-attempt-call]")
	call := calls.FilterFunction(func(_ int, s *goquery.Selection) bool { return strings.Contains(s.Text(), "HTTP 400") })
	link, _ := call.Find("a.raw-link").Attr("href")
	if calls.Length() != 5 || call.Length() != 1 || !strings.Contains(call.Text(), "PUT") || link == "" {
		t.Fatalf("the refused attempt's call: %d %q %q", call.Length(), call.Text(), link)
	}
	if raw := f.c.Get(t, link); raw.Status != http.StatusOK || !strings.Contains(raw.Body, "referenceImage is not a supported image") {
		t.Errorf("Artemis' answer: %d %s", raw.Status, raw.Body)
	}
}

// TestArtemisHoldsAcrossCases: the Artemis record is the document's, and the document carries into
// the customer's next case. The verdict delivered in the earlier case is what Artemis holds when
// the next case opens, and the next case's panel says so, and where it was recorded, before any
// verdict of its own; once a verdict of the next case is delivered, Artemis holds that one.
func TestArtemisHoldsAcrossCases(t *testing.T) {
	app := testenv.NewApp(t)
	ctx := context.Background()
	f := newFixture(t, app, 6021)
	first := f.record(t, f.form(""))
	wait(t, app, first, db.LivenessDeliveryStateDelivered)
	if _, err := app.Pool.Exec(ctx, "UPDATE cases SET status = 'approved', decided_at = now() WHERE id = $1", f.caseID); err != nil {
		t.Fatal(err)
	}
	next, err := db.New(app.Pool).CreateCase(ctx, db.CreateCaseParams{CustomerID: f.customerID})
	if err != nil {
		t.Fatal(err)
	}
	g := f
	g.caseID, g.casePath = next.ID, "/cases/"+next.ID.String()
	g.formPath = g.casePath + "/documents/" + f.docID.String() + "/liveness"
	if res := g.c.PostForm(t, g.casePath+"/claim", url.Values{}); res.Status != http.StatusSeeOther {
		t.Fatalf("claim the next case: %d", res.Status)
	}
	panel := func() *goquery.Selection {
		t.Helper()
		return g.c.Get(t, g.casePath).Doc(t).Find("#liveness-" + f.docID.String())
	}
	p := panel()
	holds := p.Find("[data-artemis-holds]")
	if id, _ := holds.Attr("data-artemis-holds"); id != first.String() || !strings.Contains(holds.Text(), "pass") ||
		!strings.Contains(strings.Join(strings.Fields(holds.Text()), " "), "in an earlier case") {
		t.Fatalf("the next case's panel: Artemis holds %q (%q), want the earlier case's verdict", id, holds.Text())
	}
	if !strings.Contains(p.Text(), "No liveness verdict on this document in this case.") {
		t.Errorf("the next case's panel does not say it has no verdict of its own: %q", p.Text())
	}

	form := g.form(first.String())
	form.Set("conclusion", "false")
	second := g.record(t, form)
	wait(t, app, second, db.LivenessDeliveryStateDelivered)
	p = panel()
	holds = p.Find("[data-artemis-holds]")
	if id, _ := holds.Attr("data-artemis-holds"); id != second.String() || strings.Contains(holds.Text(), "earlier case") {
		t.Errorf("after the next case's verdict was delivered Artemis holds %q (%q), want it", id, holds.Text())
	}
	if p.Find(fmt.Sprintf(`tr[data-verdict="%s"] [data-held]`, second)).Length() != 1 {
		t.Error("the next case's verdict's row does not say Artemis holds it")
	}
}
