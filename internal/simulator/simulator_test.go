package simulator

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"kycdesk/internal/specimen"
	"kycdesk/internal/vendors"
	"kycdesk/internal/vendors/apptenticate"
	"kycdesk/internal/vendors/argos"
	"kycdesk/internal/vendors/cynopsis"
	"kycdesk/internal/vendors/ooto"
)

// env is a simulator mounted under /sim on a test server, as the app mounts it.
type env struct {
	sim  *Simulator
	ts   *httptest.Server
	base string
	set  Settings
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	if opts.CallbackDelay == 0 {
		opts.CallbackDelay = 20 * time.Millisecond
	}
	sim := New(opts)
	mux := http.NewServeMux()
	mux.Handle("/sim/", http.StripPrefix("/sim", sim.Handler()))
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	t.Cleanup(sim.Close)
	return &env{sim: sim, ts: ts, base: ts.URL + "/sim", set: sim.Settings(ts.URL + "/sim")}
}

// ctl calls a control endpoint and decodes its JSON answer.
func (e *env) ctl(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.base+ControlPrefix+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: Content-Type %q, body %s", method, path, ct, raw)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: answer is not a JSON object: %s", method, path, raw)
	}
	return resp.StatusCode, out
}

func (e *env) mustCtl(t *testing.T, method, path, body string) map[string]any {
	t.Helper()
	st, out := e.ctl(t, method, path, body)
	if st != http.StatusOK {
		t.Fatalf("%s %s %s: status %d, %v", method, path, body, st, out)
	}
	return out
}

func (e *env) cynopsis(t *testing.T, cfg cynopsis.Config) *cynopsis.Client {
	t.Helper()
	c, err := cynopsis.New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) apptenticate(t *testing.T) *apptenticate.Client {
	t.Helper()
	c, err := apptenticate.New(e.set.Apptenticate, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) argos(t *testing.T, cfg argos.Config) *argos.Client {
	t.Helper()
	c, err := argos.New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) ooto(t *testing.T) *ooto.Client {
	t.Helper()
	c, err := ooto.New(e.set.OOTO, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// specimens are generated once per seed and options: drawing one takes a while.
var specimens sync.Map

type specKey struct {
	seed uint64
	opts specimen.Scenario
	doc  specimen.DocumentType
}

func spec(t *testing.T, seed uint64, sc specimen.Scenario) specimen.Specimen {
	return specOf(t, seed, sc, specimen.Passport)
}

func specOf(t *testing.T, seed uint64, sc specimen.Scenario, doc specimen.DocumentType) specimen.Specimen {
	t.Helper()
	k := specKey{seed, sc, doc}
	if v, ok := specimens.Load(k); ok {
		return v.(specimen.Specimen)
	}
	sp := specimen.Generate(seed, specimen.Options{Scenario: sc, DocumentType: doc})
	specimens.Store(k, sp)
	return sp
}

func value(res *vendors.Result, name vendors.FieldName) string {
	for _, f := range res.Fields {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

func vendorError(t *testing.T, err error) *vendors.Error {
	t.Helper()
	var ve *vendors.Error
	if !errors.As(err, &ve) {
		t.Fatalf("want a *vendors.Error, got %v", err)
	}
	return ve
}

func argosRequest(sp specimen.Specimen) argos.Request {
	idType := argos.Passport
	if sp.DocumentType == specimen.NationalID {
		idType = argos.GovernmentID
	}
	return argos.Request{Front: sp.Front, Back: sp.Back, IssuingCountry: sp.IssuingCountry, IDType: idType}
}

func apptenticateRequest(sp specimen.Specimen) apptenticate.Request {
	return apptenticate.Request{Front: sp.Front, Back: sp.Back, DocumentType: apptenticate.DocumentTypeFor(string(sp.DocumentType)), ReturnID: true}
}

func TestCynopsisOCRReadsTheSpecimen(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.cynopsis(t, e.set.Cynopsis)
	ctx := context.Background()
	cases := []struct {
		name  string
		sc    specimen.Scenario
		field vendors.FieldName
		want  func(sp specimen.Specimen) string
	}{
		{"clean surname", specimen.Clean, vendors.Surname, func(sp specimen.Specimen) string { return sp.Subject().Surname }},
		{"clean document number", specimen.Clean, vendors.DocumentNumber, func(sp specimen.Specimen) string { return sp.DocumentNumber }},
		{"misread surname", specimen.CynopsisMisreadsSurname, vendors.Surname, func(sp specimen.Specimen) string {
			return sp.Subject().Misreads[vendors.CynopsisOCR][vendors.Surname]
		}},
		{"disagreeing document number", specimen.VendorsDisagree, vendors.DocumentNumber, func(sp specimen.Specimen) string {
			return sp.Subject().Misreads[vendors.CynopsisOCR][vendors.DocumentNumber]
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sp := spec(t, 7001, tc.sc)
			want := tc.want(sp)
			if want == "" {
				t.Fatal("the specimen gives no expected value")
			}
			res, raw, err := c.OCR(ctx, sp.Front, sp.Back, "front.jpg", "")
			if err != nil {
				t.Fatalf("OCR: %v", err)
			}
			if got := value(res, tc.field); got != want {
				t.Errorf("%s = %q, want %q", tc.field, got, want)
			}
			if res.Outcome != vendors.OutcomePass {
				t.Errorf("outcome %q, want pass (%s)", res.Outcome, res.Reason)
			}
			if len(raw) == 0 {
				t.Error("no raw body returned")
			}
		})
	}
	if tc := spec(t, 7001, specimen.CynopsisMisreadsSurname); tc.Subject().Misreads[vendors.CynopsisOCR][vendors.Surname] == tc.Subject().Surname {
		t.Error("the misread surname equals the printed one; the scenario shows nothing")
	}
}

// TestScenarioChecksOnCynopsis holds the documentation of tampered_mrz and expired_document to
// what Cynopsis answers.
func TestScenarioChecksOnCynopsis(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.cynopsis(t, e.set.Cynopsis)
	flag := func(res *vendors.Result, name string) (bool, bool) {
		for _, f := range res.Flags {
			if f.Name == name {
				return f.OK, true
			}
		}
		return false, false
	}
	cases := []struct {
		sc        specimen.Scenario
		hashesOK  bool
		wantState string
	}{
		{specimen.Clean, true, "VALID"},
		{specimen.TamperedMRZ, false, "VALID"},
		{specimen.ExpiredDocument, true, "EXPIRED"},
	}
	for _, tc := range cases {
		t.Run(tc.sc.String(), func(t *testing.T) {
			res, _, err := c.OCR(context.Background(), spec(t, 7300, tc.sc).Front, nil, "", "")
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"document number hash", "final hash"} {
				if ok, found := flag(res, name); !found || ok != tc.hashesOK {
					t.Errorf("flag %q: %v (found %v), want %v", name, ok, found, tc.hashesOK)
				}
			}
			if got := res.Extra["docver_check.document.state"]; got != tc.wantState {
				t.Errorf("docver document state %q, want %q", got, tc.wantState)
			}
		})
	}
}

func TestArtemisCustomerDocumentAndLiveness(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.cynopsis(t, e.set.Artemis)
	ctx := context.Background()
	sp := specOf(t, 7002, specimen.Clean, specimen.NationalID)
	cid, err := c.CreateCustomer(ctx, cynopsis.CustomerRequest{ProfileReferenceID: "case-7002", Type: cynopsis.CustomerIndividual,
		Particular: &cynopsis.Particular{FirstName: sp.GivenNames, LastName: sp.Surname, DateOfBirth: sp.DateOfBirth.Format("2006-01-02")}})
	if err != nil || cid <= 0 {
		t.Fatalf("CreateCustomer: %d, %v", cid, err)
	}
	did, err := c.UploadDocument(ctx, cid, cynopsis.DocumentRequest{Type: cynopsis.DocNationalID, Number: sp.DocumentNumber,
		Authenticity: cynopsis.AuthenticityOriginal, IssueDate: sp.IssueDate.Format("2006-01-02"), ExpiryDate: sp.ExpiryDate.Format("2006-01-02")},
		sp.Front, sp.Back)
	if err != nil || did <= 0 {
		t.Fatalf("UploadDocument: %d, %v", did, err)
	}
	live, same := 0.97, true
	req := cynopsis.LivenessFromFace(&vendors.Face{Liveness: &live, LivenessFine: &same, Same: &same}, "", "")
	doc, err := c.PutLiveness(ctx, cid, did, req)
	if err != nil {
		t.Fatalf("PutLiveness: %v", err)
	}
	if doc.ID != did || doc.CustomerID != cid || doc.Number != sp.DocumentNumber {
		t.Errorf("liveness answer: id %d customer %d number %q, want %d %d %q", doc.ID, doc.CustomerID, doc.Number, did, cid, sp.DocumentNumber)
	}
	var stored map[string]any
	if err := json.Unmarshal(doc.Liveness, &stored); err != nil || stored["liivenessConfidence"] == nil {
		t.Errorf("liveness block %s lacks liivenessConfidence", doc.Liveness)
	}
	// A second customer with the same reference is the documented 409.
	_, err = c.CreateCustomer(ctx, cynopsis.CustomerRequest{ProfileReferenceID: "case-7002", Type: cynopsis.CustomerIndividual})
	if !errors.Is(err, cynopsis.ErrDuplicateCustomer) {
		t.Errorf("second customer: %v, want ErrDuplicateCustomer", err)
	}

	// The request log shows the contract's field names, and the liveness body's member names.
	list, _ := e.sim.Requests("artemis")
	var sawDocument, sawLiveness bool
	for _, r := range list {
		for _, f := range r.Fields {
			if f.Name == "document" && f.Kind == "json" && contains(f.Keys, "showExpiryNotification") {
				sawDocument = true
			}
			if f.Name == "liivenessConfidence" {
				sawLiveness = true
			}
		}
	}
	if !sawDocument || !sawLiveness {
		t.Errorf("request log misses the document part (%v) or the liveness member (%v): %+v", sawDocument, sawLiveness, list)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestApptenticateReadsTheSpecimen(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.apptenticate(t)
	ctx := context.Background()

	sp := spec(t, 7003, specimen.Clean)
	res, err := c.OCR(ctx, apptenticateRequest(sp))
	if err != nil {
		t.Fatalf("OCR: %v", err)
	}
	if got, want := value(&res.Result, vendors.Surname), sp.Subject().Surname; got != want {
		t.Errorf("surname %q, want %q", got, want)
	}
	if got, want := value(&res.Result, vendors.ExpiryDate), sp.ExpiryDate.Format("2006-01-02"); got != want {
		t.Errorf("expiry %q, want %q", got, want)
	}

	id := specOf(t, 7004, specimen.Clean, specimen.NationalID)
	res, err = c.OCR(ctx, apptenticateRequest(id))
	if err != nil {
		t.Fatalf("OCR of an ID card: %v", err)
	}
	if got, want := value(&res.Result, vendors.DocumentNumber), id.DocumentNumber; got != want {
		t.Errorf("document number %q, want %q", got, want)
	}

	for sc, code := range map[specimen.Scenario]string{specimen.ApptenticateBlurry: "826", specimen.ApptenticateCropped: "821"} {
		_, err := c.OCR(ctx, apptenticateRequest(spec(t, 7003, sc)))
		ve := vendorError(t, err)
		if ve.Kind != vendors.Business || ve.Code != code {
			t.Errorf("%s: %s %q, want business %s", sc, ve.Kind, ve.Code, code)
		}
	}
}

func TestArgosSynchronous(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.argos(t, e.set.Argos)
	ctx := context.Background()

	sp := spec(t, 7005, specimen.Clean)
	rec, err := c.Recognize(ctx, argosRequest(sp))
	if err != nil {
		t.Fatalf("Recognize: %v", err)
	}
	if rec.Pending || rec.Result == nil || rec.TransactionID == "" {
		t.Fatalf("want a synchronous result with a transaction id, got %+v", rec)
	}
	if got, want := value(rec.Result, vendors.Surname), sp.Subject().Surname; got != want {
		t.Errorf("surname %q, want %q", got, want)
	}

	mis := spec(t, 7005, specimen.ArgosMisreadsExpiry)
	rec, err = c.Recognize(ctx, argosRequest(mis))
	if err != nil {
		t.Fatalf("Recognize: %v", err)
	}
	want := mis.Subject().Misreads[vendors.Argos][vendors.ExpiryDate]
	if got := value(rec.Result, vendors.ExpiryDate); got != want || want == mis.ExpiryDate.Format("2006-01-02") {
		t.Errorf("expiry %q, want the misread %q (printed %s)", got, want, mis.ExpiryDate.Format("2006-01-02"))
	}
	if rec.Result.Outcome != vendors.OutcomeReview {
		t.Errorf("outcome %q, want review for a misread field", rec.Result.Outcome)
	}

	_, err = c.Recognize(ctx, argosRequest(spec(t, 7005, specimen.ArgosProcessingError)))
	if ve := vendorError(t, err); ve.Kind != vendors.Transient || ve.Code != "1003" {
		t.Errorf("processing error scenario: %s %q, want transient 1003", ve.Kind, ve.Code)
	}
}

// receiver is the app's callback endpoint as a test sees it.
type receiver struct {
	ts     *httptest.Server
	bodies chan []byte
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{bodies: make(chan []byte, 16)}
	r.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.bodies <- b
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.ts.Close)
	return r
}

func (r *receiver) url() string { return r.ts.URL + "/callbacks/argos/" + argos.NewCallbackToken() }

func (r *receiver) wait(t *testing.T, d time.Duration) ([]byte, bool) {
	t.Helper()
	select {
	case b := <-r.bodies:
		return b, true
	case <-time.After(d):
		return nil, false
	}
}

func TestArgosAsynchronousCallbacks(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.argos(t, e.set.Argos)
	rcv := newReceiver(t)
	ctx := context.Background()
	sp := spec(t, 7006, specimen.Clean)

	send := func(sp specimen.Specimen) argos.Recognition {
		t.Helper()
		req := argosRequest(sp)
		req.CallbackURL = rcv.url()
		rec, err := c.Recognize(ctx, req)
		if err != nil {
			t.Fatalf("Recognize: %v", err)
		}
		if !rec.Pending || rec.TransactionID == "" {
			t.Fatalf("want a pending recognition, got %+v", rec)
		}
		return rec
	}

	t.Run("normal", func(t *testing.T) {
		rec := send(sp)
		body, ok := rcv.wait(t, 5*time.Second)
		if !ok {
			t.Fatal("no callback")
		}
		cb, err := argos.ParseCallback(body)
		if err != nil || cb.Result == nil {
			t.Fatalf("ParseCallback: %+v, %v", cb, err)
		}
		if cb.TransactionID != rec.TransactionID {
			t.Errorf("callback for %q, want %q", cb.TransactionID, rec.TransactionID)
		}
		if got, want := value(cb.Result, vendors.Surname), sp.Subject().Surname; got != want {
			t.Errorf("surname %q, want %q", got, want)
		}
	})

	t.Run("failure in the callback", func(t *testing.T) {
		send(spec(t, 7006, specimen.ArgosUnrecognised))
		body, ok := rcv.wait(t, 5*time.Second)
		if !ok {
			t.Fatal("no callback")
		}
		cb, err := argos.ParseCallback(body)
		if err != nil || cb.Err == nil || cb.Err.Code != "1011" {
			t.Fatalf("want a 1011 failure callback, got %+v, %v", cb, err)
		}
	})

	t.Run("twice", func(t *testing.T) {
		out := e.mustCtl(t, "POST", "/argos/callbacks", `{"mode": "twice", "delay": "10ms"}`)
		if out["mode"] != "twice" || out["delay"] != "10ms" {
			t.Errorf("callbacks state %v", out)
		}
		rec := send(sp)
		for i := range 2 {
			body, ok := rcv.wait(t, 5*time.Second)
			if !ok {
				t.Fatalf("callback %d did not come", i+1)
			}
			cb, err := argos.ParseCallback(body)
			if err != nil || cb.TransactionID != rec.TransactionID {
				t.Errorf("callback %d: %+v, %v", i+1, cb, err)
			}
		}
		if _, extra := rcv.wait(t, 200*time.Millisecond); extra {
			t.Error("a third callback came")
		}
	})

	t.Run("never", func(t *testing.T) {
		e.mustCtl(t, "POST", "/argos/callbacks", `{"mode": "never"}`)
		send(sp)
		if _, came := rcv.wait(t, 300*time.Millisecond); came {
			t.Error("a callback came in never mode")
		}
		e.mustCtl(t, "POST", "/argos/callbacks", `{"mode": "normal"}`)
		send(sp)
		if _, came := rcv.wait(t, 5*time.Second); !came {
			t.Error("no callback after switching back to normal")
		}
	})

	t.Run("listed without the token", func(t *testing.T) {
		out := e.mustCtl(t, "GET", "/argos/callbacks", "")
		sent, _ := out["sent"].([]any)
		if len(sent) < 4 {
			t.Fatalf("want the callbacks sent listed, got %v", out)
		}
		for _, s := range sent {
			u := s.(map[string]any)["url"].(string)
			if !strings.HasSuffix(u, "/callbacks/argos/[token]") {
				t.Errorf("callback URL listed as %q, want its token masked", u)
			}
		}
	})
}

func TestCloseStopsPendingCallbacks(t *testing.T) {
	e := newEnv(t, Options{CallbackDelay: 300 * time.Millisecond})
	c := e.argos(t, e.set.Argos)
	rcv := newReceiver(t)
	req := argosRequest(spec(t, 7007, specimen.Clean))
	req.CallbackURL = rcv.url()
	if _, err := c.Recognize(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { e.sim.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not return")
	}
	if _, came := rcv.wait(t, 600*time.Millisecond); came {
		t.Error("a callback came after Close")
	}
}

func TestOOTOIdentify(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.ooto(t)
	ctx := context.Background()

	sp := spec(t, 7008, specimen.Clean)
	res, err := c.Identify(ctx, sp.Front, sp.Selfie)
	if err != nil {
		t.Fatalf("Identify: %v", err)
	}
	f := res.Face
	if f == nil || f.Same == nil || !*f.Same || f.Liveness == nil || *f.Liveness != 0.97 {
		t.Fatalf("want a match with liveness 0.97, got %+v", f)
	}
	if res.Outcome != vendors.OutcomePass {
		t.Errorf("outcome %q, want pass", res.Outcome)
	}
	if got, want := value(&res.Result, vendors.Surname), sp.Subject().Surname; got != want {
		t.Errorf("surname %q, want %q", got, want)
	}
	if f.PortraitBox == nil {
		t.Error("no portrait box")
	}

	mm := spec(t, 7008, specimen.FaceMismatch)
	res, err = c.Identify(ctx, mm.Front, mm.Selfie)
	if err != nil {
		t.Fatalf("Identify: %v", err)
	}
	if res.Face.Same == nil || *res.Face.Same || res.Outcome != vendors.OutcomeFail {
		t.Errorf("face mismatch: same %v outcome %q, want false and fail", res.Face.Same, res.Outcome)
	}

	low := spec(t, 7008, specimen.LowLiveness)
	res, err = c.Identify(ctx, low.Front, low.Selfie)
	if err != nil {
		t.Fatalf("Identify: %v", err)
	}
	if res.Face.Liveness == nil || *res.Face.Liveness != 0.18 || res.Face.LivenessFine == nil || *res.Face.LivenessFine {
		t.Errorf("low liveness: %v fine %v", res.Face.Liveness, res.Face.LivenessFine)
	}

	nf := spec(t, 7008, specimen.OOTONoFace)
	_, err = c.Identify(ctx, nf.Front, nf.Selfie)
	if ve := vendorError(t, err); ve.Kind != vendors.Business || ve.Code != "5" {
		t.Errorf("no face scenario: %s %q, want business 5", ve.Kind, ve.Code)
	}
}

// calls runs one real call per integration against e, for the tests that must reach every vendor.
func calls(t *testing.T, e *env) map[string]func() error {
	sp := spec(t, 7100, specimen.Clean)
	ocr := e.cynopsis(t, e.set.Cynopsis)
	art := e.cynopsis(t, e.set.Artemis)
	app := e.apptenticate(t)
	arg := e.argos(t, e.set.Argos)
	oo := e.ooto(t)
	ctx := context.Background()
	n := 0
	return map[string]func() error{
		"cynopsis_ocr": func() error { _, _, err := ocr.OCR(ctx, sp.Front, nil, "", ""); return err },
		"artemis": func() error {
			n++
			_, err := art.CreateCustomer(ctx, cynopsis.CustomerRequest{ProfileReferenceID: fmt.Sprintf("calls-%d-%d", time.Now().UnixNano(), n), Type: cynopsis.CustomerIndividual})
			return err
		},
		"apptenticate": func() error { _, err := app.OCR(ctx, apptenticateRequest(sp)); return err },
		"argos":        func() error { _, err := arg.Recognize(ctx, argosRequest(sp)); return err },
		"ooto":         func() error { _, err := oo.Identify(ctx, sp.Front, sp.Selfie); return err },
	}
}

func TestInjectedStatusFaultIsTransient(t *testing.T) {
	e := newEnv(t, Options{})
	for name, call := range calls(t, e) {
		t.Run(name, func(t *testing.T) {
			if err := call(); err != nil {
				t.Fatalf("call before the fault: %v", err)
			}
			out := e.mustCtl(t, "POST", "/"+name+"/faults", `{"kind": "status", "status": 503, "body": "{\"message\":\"down\"}"}`)
			if q := out["queued"].(map[string]any); q["status"] != float64(503) || q["count"] != float64(1) {
				t.Errorf("queued %v", q)
			}
			ve := vendorError(t, call())
			if ve.Kind != vendors.Transient || ve.HTTPStatus != http.StatusServiceUnavailable {
				t.Errorf("got %s HTTP %d (%v), want transient 503", ve.Kind, ve.HTTPStatus, ve)
			}
			if err := call(); err != nil {
				t.Errorf("the fault applied to more than one request: %v", err)
			}
		})
	}
}

func TestFaultsLimitedToOneCynopsisProduct(t *testing.T) {
	e := newEnv(t, Options{})
	c := calls(t, e)
	e.mustCtl(t, "POST", "/artemis/faults", `{"kind": "status", "status": 502, "count": 2}`)
	if err := c["cynopsis_ocr"](); err != nil {
		t.Fatalf("OCR hit by an Artemis fault: %v", err)
	}
	if ve := vendorError(t, c["artemis"]()); ve.HTTPStatus != http.StatusBadGateway {
		t.Errorf("Artemis: HTTP %d, want 502", ve.HTTPStatus)
	}
	e.mustCtl(t, "DELETE", "/artemis/faults", "")
	if err := c["artemis"](); err != nil {
		t.Errorf("fault not cleared: %v", err)
	}
}

func TestRetryAfterAndDelayFaults(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.ooto(t)
	sp := spec(t, 7101, specimen.Clean)
	e.mustCtl(t, "POST", "/ooto/faults", `{"kind": "status", "status": 429, "retry_after": 7}`)
	_, err := c.Identify(context.Background(), sp.Front, sp.Selfie)
	if ve := vendorError(t, err); ve.Kind != vendors.Transient || ve.RetryAfter != 7*time.Second {
		t.Errorf("429: %s retry after %s, want transient 7s", ve.Kind, ve.RetryAfter)
	}

	// A delay longer than the client's timeout is a timeout; the delay is typed as a string.
	cfg := e.set.Argos
	cfg.Timeout = 150 * time.Millisecond
	arg := e.argos(t, cfg)
	out := e.mustCtl(t, "POST", "/argos/faults", `{"kind": "delay", "delay": "2s"}`)
	if d := out["queued"].(map[string]any)["delay"]; d != "2s" {
		t.Errorf("queued delay %v, want \"2s\"", d)
	}
	start := time.Now()
	_, err = arg.Recognize(context.Background(), argosRequest(sp))
	if ve := vendorError(t, err); ve.Kind != vendors.Transient {
		t.Errorf("timeout: %s, want transient", ve.Kind)
	}
	if time.Since(start) > time.Second {
		t.Errorf("the client waited %s; its timeout is 150ms", time.Since(start))
	}
	// Nanoseconds work too.
	e.mustCtl(t, "POST", "/argos/faults", `{"kind": "delay", "delay": 50000000}`)
	start = time.Now()
	if _, err := e.argos(t, e.set.Argos).Recognize(context.Background(), argosRequest(sp)); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 50*time.Millisecond {
		t.Errorf("answered in %s despite a 50ms delay", el)
	}
}

func TestHangupFaultIsRecorded(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.ooto(t)
	sp := spec(t, 7102, specimen.Clean)
	e.mustCtl(t, "POST", "/ooto/faults", `{"kind": "hangup"}`)
	_, err := c.Identify(context.Background(), sp.Front, sp.Selfie)
	if ve := vendorError(t, err); ve.Kind != vendors.Transient {
		t.Errorf("hangup: %s, want transient", ve.Kind)
	}
	// The handler records the request after the connection is gone, so the client may be first.
	var list []Request
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if list, _ = e.sim.Requests("ooto"); len(list) > 0 {
			break
		}
	}
	if len(list) != 1 || list[0].Status != 0 {
		t.Errorf("want one request recorded with status 0, got %+v", list)
	}
}

func TestExpiredTokens(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	sp := spec(t, 7103, specimen.Clean)

	t.Run("cynopsis", func(t *testing.T) {
		c := e.cynopsis(t, e.set.Cynopsis)
		for i := range 3 {
			if i == 1 {
				e.mustCtl(t, "POST", "/cynopsis/expire-tokens", "")
			}
			if _, _, err := c.OCR(ctx, sp.Front, nil, "", ""); err != nil {
				t.Fatalf("OCR %d: %v", i+1, err)
			}
		}
		if n := e.sim.Cynopsis.TokensIssued(); n != 2 {
			t.Errorf("%d tokens issued, want 2 (one more after the expiry)", n)
		}
		unauthorized := 0
		list, _ := e.sim.Requests("cynopsis_ocr")
		for _, r := range list {
			if r.Status == http.StatusUnauthorized {
				unauthorized++
			}
		}
		if unauthorized != 1 {
			t.Errorf("%d answers were 401, want exactly the one after the expiry", unauthorized)
		}
	})

	t.Run("apptenticate refresh", func(t *testing.T) {
		c := e.apptenticate(t)
		if _, err := c.OCR(ctx, apptenticateRequest(sp)); err != nil {
			t.Fatal(err)
		}
		e.mustCtl(t, "POST", "/apptenticate/expire-tokens", "")
		if _, err := c.OCR(ctx, apptenticateRequest(sp)); err != nil {
			t.Fatalf("OCR after expiry: %v", err)
		}
		if l, r := e.sim.Apptenticate.Logins(), e.sim.Apptenticate.Refreshes(); l != 1 || r != 1 {
			t.Errorf("%d log-ins and %d refreshes, want 1 and 1", l, r)
		}
	})

	t.Run("apptenticate full log-in", func(t *testing.T) {
		c := e.apptenticate(t)
		if _, err := c.OCR(ctx, apptenticateRequest(sp)); err != nil {
			t.Fatal(err)
		}
		before := e.sim.Apptenticate.Logins()
		if out := e.mustCtl(t, "POST", "/apptenticate/refuse-refresh", `{"refuse": true}`); out["refuse"] != true {
			t.Errorf("refuse-refresh answered %v", out)
		}
		e.mustCtl(t, "POST", "/apptenticate/expire-tokens", "")
		if _, err := c.OCR(ctx, apptenticateRequest(sp)); err != nil {
			t.Fatalf("OCR after expiry with refresh refused: %v", err)
		}
		if got := e.sim.Apptenticate.Logins(); got != before+1 {
			t.Errorf("%d log-ins, want %d", got, before+1)
		}
	})
}

func TestRequestsListingHasNoSecretsOrImages(t *testing.T) {
	e := newEnv(t, Options{})
	c := calls(t, e)
	for name, call := range c {
		if err := call(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// Run the Apptenticate refresh too, so a refresh token crosses the wire.
	e.mustCtl(t, "POST", "/apptenticate/expire-tokens", "")
	if err := c["apptenticate"](); err != nil {
		t.Fatal(err)
	}

	resp, err := http.Get(e.base + ControlPrefix + "/requests")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	sp := spec(t, 7100, specimen.Clean)
	for _, secret := range []string{CynopsisClientSecret, ApptenticatePassword, ArgosAPIKey, OOTOAppKey, "Bearer ", "eyJ"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the request list contains %q", secret)
		}
	}
	if b64 := base64.StdEncoding.EncodeToString(sp.Front)[:64]; bytes.Contains(raw, []byte(b64)) {
		t.Error("the request list contains the base64 image")
	}
	if bytes.Contains(raw, sp.Front[:64]) || bytes.Contains(raw, []byte("JFIF")) {
		t.Error("the request list contains image bytes")
	}

	var out struct {
		Requests []Request `json:"requests"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"cynopsis":     {"grant_type", "client_id", "client_secret"},
		"cynopsis_ocr": {"file0"},
		"artemis":      {"profileReferenceId", "type"},
		"apptenticate": {"username", "password", "refresh", "frontside", "document_type", "return_id", "device"},
		"argos":        {"idImage", "issuingCountry", "idType"},
		"ooto":         {"doc", "selfie"},
	}
	seen := map[string]map[string]bool{}
	for _, r := range out.Requests {
		if seen[r.Vendor] == nil {
			seen[r.Vendor] = map[string]bool{}
		}
		for _, f := range r.Fields {
			seen[r.Vendor][f.Name] = true
		}
		for _, h := range []string{"Authorization", "X-Api-Key", "App-Key"} {
			if v := r.Header.Get(h); v != "" && v != "[redacted]" {
				t.Errorf("%s header %s = %q", r.Vendor, h, v)
			}
		}
	}
	for v, names := range want {
		for _, n := range names {
			if !seen[v][n] {
				t.Errorf("%s: field %q not listed (saw %v)", v, n, seen[v])
			}
		}
	}
	if h := out.Requests[len(out.Requests)-1].Header; h.Get("Authorization") != "[redacted]" {
		t.Errorf("the Authorization header should be listed as redacted, got %q", h.Get("Authorization"))
	}

	// Filtering by vendor.
	for _, name := range []string{"argos", "ooto", "apptenticate", "artemis", "cynopsis_ocr", "cynopsis"} {
		list := e.mustCtl(t, "GET", "/requests?vendor="+name, "")["requests"].([]any)
		if len(list) == 0 {
			t.Errorf("%s: no requests listed", name)
		}
		for _, r := range list {
			got := r.(map[string]any)["vendor"].(string)
			ok := got == name || (strings.HasPrefix(name, "cynopsis") || name == "artemis") && got == "cynopsis" ||
				name == "cynopsis" && (got == "cynopsis_ocr" || got == "artemis")
			if !ok {
				t.Errorf("vendor=%s listed a %s request", name, got)
			}
		}
	}
}

func TestReset(t *testing.T) {
	e := newEnv(t, Options{})
	c := calls(t, e)
	if err := c["argos"](); err != nil {
		t.Fatal(err)
	}
	e.mustCtl(t, "POST", "/argos/faults", `{"kind": "status", "status": 500, "count": 5}`)
	e.mustCtl(t, "POST", "/ooto/override", `{"error": "201", "count": -1}`)
	e.mustCtl(t, "POST", "/apptenticate/latency", `{"latency": "1s"}`)
	e.mustCtl(t, "POST", "/argos/callbacks", `{"mode": "never"}`)
	e.mustCtl(t, "POST", "/reset", "")

	if list := e.mustCtl(t, "GET", "/requests", "")["requests"].([]any); len(list) != 0 {
		t.Errorf("%d requests listed after reset", len(list))
	}
	for name, call := range c {
		start := time.Now()
		if err := call(); err != nil {
			t.Errorf("%s after reset: %v", name, err)
		}
		if name == "apptenticate" && time.Since(start) > 800*time.Millisecond {
			t.Errorf("apptenticate latency survived the reset")
		}
	}
	if out := e.mustCtl(t, "GET", "/ooto/override", ""); out["override"] != nil {
		t.Errorf("override survived the reset: %v", out)
	}
	if out := e.mustCtl(t, "GET", "/argos/callbacks", ""); out["mode"] != "normal" {
		t.Errorf("callback mode after reset: %v", out["mode"])
	}
}

func TestLatency(t *testing.T) {
	e := newEnv(t, Options{})
	c := calls(t, e)
	out := e.mustCtl(t, "POST", "/ooto/latency", `{"latency": "200ms"}`)
	if out["latency"] != "200ms" {
		t.Errorf("latency answered %v", out)
	}
	start := time.Now()
	if err := c["ooto"](); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 200*time.Millisecond {
		t.Errorf("answered in %s with 200ms latency", el)
	}
	// Every request waits, even one the fake refuses at once; other vendors do not.
	timed := func(path string) time.Duration {
		start := time.Now()
		resp, err := http.Get(e.base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return time.Since(start)
	}
	if el := timed(OOTOPrefix + "/nowhere"); el < 200*time.Millisecond {
		t.Errorf("a 404 from ooto came in %s with 200ms latency", el)
	}
	if el := timed(ArgosPrefix + "/nowhere"); el >= 200*time.Millisecond {
		t.Errorf("argos slowed by ooto's latency: %s", el)
	}
	if out := e.mustCtl(t, "DELETE", "/ooto/latency", ""); out["latency"] != "0s" {
		t.Errorf("latency after DELETE: %v", out)
	}
}

func TestOverrideCountsAndUnknownImages(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.ooto(t)
	ctx := context.Background()
	sp := spec(t, 7104, specimen.Clean)

	e.mustCtl(t, "POST", "/ooto/override", `{"same_face": false, "liveness": 0.2, "count": 2}`)
	for i := range 3 {
		res, err := c.Identify(ctx, sp.Front, sp.Selfie)
		if err != nil {
			t.Fatal(err)
		}
		overridden := i < 2
		if same := *res.Face.Same; same == overridden {
			t.Errorf("call %d: same %v", i+1, same)
		}
		if overridden && *res.Face.Liveness != 0.2 {
			t.Errorf("call %d: liveness %v, want 0.2", i+1, *res.Face.Liveness)
		}
	}

	// An image that is no specimen still gets the forced code.
	e.mustCtl(t, "POST", "/argos/override", `{"error": "1001"}`)
	_, err := e.argos(t, e.set.Argos).Recognize(ctx, argosRequest(specimen.Specimen{Front: unknownJPEG(t), IssuingCountry: "MYS"}))
	if ve := vendorError(t, err); ve.Code != "1001" {
		t.Errorf("unknown image with a forced code: %v", ve)
	}
	e.mustCtl(t, "POST", "/cynopsis_ocr/override", `{"misreads": {"surname": "NOBODY"}}`)
	res, _, err := e.cynopsis(t, e.set.Cynopsis).OCR(ctx, unknownJPEG(t), nil, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := value(res, vendors.Surname); got != "NOBODY" {
		t.Errorf("surname %q, want the forced misread", got)
	}
}

// unknownJPEG is a JPEG that is not a specimen: a grey card with a dark square.
func unknownJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 640, 400))
	for i := range img.Pix {
		img.Pix[i] = 180
	}
	for y := 100; y < 300; y++ {
		for x := 50; x < 200; x++ {
			img.SetGray(x, y, color.Gray{Y: 40})
		}
	}
	b, err := specimen.EncodeJPEG(img, 80)
	if err != nil {
		t.Fatal(err)
	}
	if _, known := specimen.Identify(b); known {
		t.Fatal("the plain image is recognised as a specimen")
	}
	return b
}

// TestEveryDocumentedCodeCanBeTriggered drives each code trigger's control request and the real
// client, so the documentation cannot promise a code the simulator does not give.
func TestEveryDocumentedCodeCanBeTriggered(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	sp := spec(t, 7105, specimen.Clean)
	ocr := e.cynopsis(t, e.set.Cynopsis)
	app := e.apptenticate(t)
	arg := e.argos(t, e.set.Argos)
	oo := e.ooto(t)
	n := 0
	for _, tr := range Triggers() {
		if tr.Code == "" || !strings.Contains(tr.Control, "/override ") {
			continue
		}
		n++
		t.Run(string(tr.Vendor)+"_"+tr.Code, func(t *testing.T) {
			method, rest, _ := strings.Cut(tr.Control, " ")
			path, body, _ := strings.Cut(strings.TrimPrefix(rest, ControlPrefix), " ")
			e.mustCtl(t, method, path, body)
			var code string
			switch tr.Vendor {
			case vendors.CynopsisOCR:
				res, _, err := ocr.OCR(ctx, sp.Front, nil, "", "")
				if tr.Code == "FAILURE" {
					if ve := vendorError(t, err); ve.Kind != vendors.Business {
						t.Errorf("task failure: %v, want a business error", ve)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				code = res.Code
				if want := map[bool]vendors.Outcome{true: vendors.OutcomeReview, false: vendors.OutcomeFail}[tr.Code[0] == '6']; res.Outcome != want {
					t.Errorf("outcome %q, want %q", res.Outcome, want)
				}
			case vendors.Apptenticate:
				_, err := app.OCR(ctx, apptenticateRequest(sp))
				code = vendorError(t, err).Code
			case vendors.Argos:
				_, err := arg.Recognize(ctx, argosRequest(sp))
				code = vendorError(t, err).Code
			case vendors.OOTO:
				_, err := oo.Identify(ctx, sp.Front, sp.Selfie)
				code = vendorError(t, err).Code
			default:
				t.Fatalf("no client for %s", tr.Vendor)
			}
			if code != tr.Code {
				t.Errorf("got code %q, want %q", code, tr.Code)
			}
		})
	}
	if n < 50 {
		t.Errorf("only %d code triggers; the catalogues have more", n)
	}
}

func TestScenariosMatchTheSpecimens(t *testing.T) {
	docs := Scenarios()
	if len(docs) != len(specimen.Scenarios()) {
		t.Fatalf("%d scenario docs for %d scenarios", len(docs), len(specimen.Scenarios()))
	}
	for _, d := range docs {
		if d.Name != d.Scenario.String() || d.Effect == "" || strings.Contains(d.Effect, "No simulator behaviour") {
			t.Errorf("%s: undocumented or misnamed: %+v", d.Scenario, d)
		}
		if !strings.Contains(Documentation, d.Name) {
			t.Errorf("Documentation does not mention %s", d.Name)
		}
		sp := specimen.Generate(7200, specimen.Options{Scenario: d.Scenario})
		sub := sp.Subject()
		if d.Code != "" {
			if len(d.Vendors) != 1 || sub.Errors[d.Vendors[0]] != d.Code {
				t.Errorf("%s: documented as %v code %s, specimen errors %v", d.Name, d.Vendors, d.Code, sub.Errors)
			}
		} else if len(sub.Errors) > 0 {
			t.Errorf("%s: specimen has errors %v the documentation does not give", d.Name, sub.Errors)
		}
		for v := range sub.Misreads {
			if !containsName(d.Vendors, v) {
				t.Errorf("%s: %s misreads but is not listed", d.Name, v)
			}
		}
	}
	for _, tr := range Triggers() {
		if tr.Control == "" && tr.How == "" || tr.Answer == "" {
			t.Errorf("trigger without a way or an answer: %+v", tr)
		}
	}
}

func containsName(list []vendors.Name, n vendors.Name) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}

func TestSettingsBuildEveryClient(t *testing.T) {
	sim := New(Options{})
	defer sim.Close()
	st := sim.Settings("http://127.0.0.1:8080/sim/")
	if st.Cynopsis.OCRURL != "http://127.0.0.1:8080/sim/cynopsis" || st.Cynopsis.ArtemisURL != "" || st.Artemis.ArtemisURL != "http://127.0.0.1:8080/sim/cynopsis" {
		t.Errorf("cynopsis settings %+v / %+v", st.Cynopsis, st.Artemis)
	}
	for _, name := range []vendors.Name{vendors.CynopsisOCR, vendors.Artemis, vendors.Apptenticate, vendors.Argos, vendors.OOTO} {
		cfg, ok := st.For(name)
		if !ok {
			t.Fatalf("no settings for %s", name)
		}
		var err error
		switch c := cfg.(type) {
		case cynopsis.Config:
			_, err = cynopsis.New(c, nil, nil)
		case apptenticate.Config:
			_, err = apptenticate.New(c, nil, nil)
		case argos.Config:
			_, err = argos.New(c, nil, nil)
		case ooto.Config:
			_, err = ooto.New(c, nil, nil)
		default:
			t.Fatalf("%s: settings of type %T", name, cfg)
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, ok := st.For("nobody"); ok {
		t.Error("settings for an unknown vendor")
	}
}

func TestControlErrors(t *testing.T) {
	e := newEnv(t, Options{})
	cases := []struct {
		method, path, body string
		status             int
		says               string
	}{
		{"POST", "/nobody/faults", `{"kind": "malformed"}`, 404, "not a simulated vendor"},
		{"GET", "/requests?vendor=nobody", "", 404, "not a simulated vendor"},
		{"POST", "/argos/faults", `{"kind": "status", "status": 503`, 400, "not valid JSON"},
		{"POST", "/argos/faults", `{"kind": "status", "stauts": 503}`, 400, "unknown field"},
		{"POST", "/argos/faults", ``, 400, "empty"},
		{"POST", "/argos/faults", `{"kind": "explode"}`, 400, "not one of"},
		{"POST", "/argos/faults", `{"kind": "status"}`, 400, "between 100 and 599"},
		{"POST", "/argos/faults", `{"kind": "delay", "delay": "soon"}`, 400, "not a duration"},
		{"POST", "/argos/faults", `{"kind": "delay"}`, 400, "needs a \"delay\""},
		{"POST", "/argos/faults", `{"kind": "status", "status": 429, "retry_after": "later"}`, 400, "retry_after"},
		{"GET", "/argos/faults", "", 405, "takes POST or DELETE"},
		{"POST", "/argos/expire-tokens", "", 404, "no tokens"},
		{"POST", "/ooto/callbacks", `{"mode": "never"}`, 404, "Only argos"},
		{"POST", "/argos/callbacks", `{"mode": "sometimes"}`, 400, "not one of"},
		{"POST", "/argos/callbacks", `{"delay": "-1s"}`, 400, "more than 0"},
		{"POST", "/ooto/refuse-refresh", `{"refuse": true}`, 404, "Only apptenticate"},
		{"POST", "/apptenticate/refuse-refresh", `{}`, 400, "required"},
		{"POST", "/artemis/override", `{"error": "409"}`, 400, "reads no images"},
		{"POST", "/argos/override", `{}`, 400, "at least one"},
		{"POST", "/argos/override", `{"misreads": {"surnam": "X"}}`, 400, "not a canonical field"},
		{"POST", "/argos/override", `{"liveness": 0.5}`, 400, "only change OOTO"},
		{"POST", "/ooto/override", `{"liveness": 2}`, 400, "between 0 and 1"},
		{"POST", "/ooto/override", `{"error": "5", "count": -2}`, 400, "count"},
		{"POST", "/ooto/latency", `{}`, 400, "required"},
		{"POST", "/ooto/latency", `{"latency": "1h"}`, 400, "between 0 and"},
		{"POST", "/ooto/teleport", `{}`, 404, "No control"},
		{"GET", "/reset", "", 405, "takes POST"},
		{"GET", "/a/b/c", "", 404, "No control endpoint"},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path+" "+tc.body, func(t *testing.T) {
			st, out := e.ctl(t, tc.method, tc.path, tc.body)
			msg, _ := out["error"].(string)
			if st != tc.status || !strings.Contains(msg, tc.says) {
				t.Errorf("status %d %q, want %d with %q", st, msg, tc.status, tc.says)
			}
		})
	}

	// Outside the control endpoints and the vendors: a JSON 404 too.
	resp, err := http.Get(e.base + "/nowhere")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("unknown path: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestControlIndex(t *testing.T) {
	e := newEnv(t, Options{})
	out := e.mustCtl(t, "GET", "/", "")
	if out["documentation"] != Documentation {
		t.Error("the index does not carry the documentation")
	}
	for _, v := range []string{CynopsisClientID, CynopsisClientSecret, strconv.FormatInt(CynopsisDomainID, 10), ApptenticateUsername,
		ApptenticatePassword, ArgosAPIKey, OOTOAppID, OOTOAppKey} {
		if !strings.Contains(Documentation, v) {
			t.Errorf("Documentation does not give the credential %q", v)
		}
	}
	if tr, _ := out["triggers"].([]any); len(tr) != len(Triggers()) {
		t.Errorf("%d triggers in the index, want %d", len(tr), len(Triggers()))
	}
	if sc, _ := e.mustCtl(t, "GET", "/scenarios", "")["scenarios"].([]any); len(sc) != len(specimen.Scenarios()) {
		t.Errorf("%d scenarios listed", len(sc))
	}
}

func TestDurationJSON(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{`"3s"`, 3 * time.Second, false},
		{`"300ms"`, 300 * time.Millisecond, false},
		{`" 2m "`, 2 * time.Minute, false},
		{`1500000000`, 1500 * time.Millisecond, false},
		{`0`, 0, false},
		{`"soon"`, 0, true},
		{`1.5`, 0, true},
		{`true`, 0, true},
		{`"3"`, 0, true},
	}
	for _, tc := range cases {
		var d Duration
		err := json.Unmarshal([]byte(tc.in), &d)
		if (err != nil) != tc.bad || !tc.bad && time.Duration(d) != tc.want {
			t.Errorf("%s: %v, %v; want %v (error %v)", tc.in, time.Duration(d), err, tc.want, tc.bad)
		}
	}
	b, _ := json.Marshal(Duration(1500 * time.Millisecond))
	if string(b) != `"1.5s"` {
		t.Errorf("marshalled as %s", b)
	}
}

func TestMaskURL(t *testing.T) {
	cases := map[string]string{
		"http://127.0.0.1:8080/callbacks/argos/AbCdEfGhIjKlMnOpQrStUv": "http://127.0.0.1:8080/callbacks/argos/[token]",
		"https://app.example/cb?token=secret":                          "https://app.example/cb?[query removed]",
		"http://h/a/b":                                                 "http://h/a/b",
	}
	for in, want := range cases {
		if got := maskURL(in); got != want {
			t.Errorf("maskURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestControlsAnswerOnlyOnThisMachine: the controls (faults, overrides, the log of what kycdesk
// sent) refuse a request from another machine, and one a proxy on this machine forwarded.
func TestControlsAnswerOnlyOnThisMachine(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	for _, tt := range []struct {
		remote, forwarded string
		want              int
	}{{"127.0.0.1:5000", "", http.StatusOK}, {"[::1]:5000", "", http.StatusOK}, {"192.0.2.7:5000", "127.0.0.1", http.StatusForbidden},
		{"192.0.2.7:5000", "", http.StatusForbidden}, {"127.0.0.1:5000", "192.0.2.7", http.StatusForbidden}} {
		for _, path := range []string{ControlPrefix + "/", ControlPrefix + "/requests"} {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.RemoteAddr = tt.remote
			if tt.forwarded != "" {
				req.Header.Set("X-Forwarded-For", tt.forwarded)
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Errorf("GET %s from %s (forwarded for %q) = %d, want %d", path, tt.remote, tt.forwarded, rec.Code, tt.want)
			}
		}
	}
	// The vendors themselves still answer anyone (they check their own credentials).
	req := httptest.NewRequest(http.MethodPost, "/argos/api/v1/recognize", nil)
	req.RemoteAddr = "192.0.2.7:5000"
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code == http.StatusForbidden && strings.Contains(rec.Body.String(), "loopback") {
		t.Errorf("a vendor path was refused as a control: %s", rec.Body.String())
	}
}
