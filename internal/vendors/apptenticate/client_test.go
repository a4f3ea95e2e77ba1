package apptenticate

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"image/color"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"kycdesk/internal/vendors"
)

// clock is a settable clock shared by the client and the fake.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// calls collects recorded vendor calls.
type calls struct {
	mu sync.Mutex
	c  []vendors.Call
}

func (r *calls) RecordCall(_ context.Context, c vendors.Call) {
	r.mu.Lock()
	r.c = append(r.c, c)
	r.mu.Unlock()
}

func (r *calls) all() []vendors.Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]vendors.Call(nil), r.c...)
}

// identifier recognises test images by their hash.
func identifier(subjects map[string]vendors.Subject) vendors.Identifier {
	return func(img []byte) (vendors.Subject, bool) {
		s, ok := subjects[fmt.Sprintf("%x", sha256.Sum256(img))]
		return s, ok
	}
}

func hash(b []byte) string { return fmt.Sprintf("%x", sha256.Sum256(b)) }

type env struct {
	fake   *Fake
	srv    *httptest.Server
	client *Client
	rec    *calls
	clock  *clock
}

// setup serves the fake under a prefix, to prove it can be mounted so.
func setup(t *testing.T, id vendors.Identifier, tweak func(*Config)) *env {
	t.Helper()
	clk := &clock{t: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)}
	fake := NewFake("kyc", "s3cret", id)
	fake.Now = clk.Now
	mux := http.NewServeMux()
	mux.Handle("/sim/apptenticate/", fake)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	cfg := Config{BaseURL: srv.URL + "/sim/apptenticate", Username: "kyc", Password: "s3cret", Timeout: 5 * time.Second}
	if tweak != nil {
		tweak(&cfg)
	}
	rec := &calls{}
	c, err := New(cfg, srv.Client(), rec)
	if err != nil {
		t.Fatal(err)
	}
	c.now = clk.Now
	return &env{fake: fake, srv: srv, client: c, rec: rec, clock: clk}
}

var (
	front = func(t testing.TB) []byte { return plainJPEG(t, 800, 500, color.RGBA{200, 180, 160, 255}) }
	back  = func(t testing.TB) []byte { return plainJPEG(t, 800, 500, color.RGBA{100, 120, 140, 255}) }
)

func TestNewValidatesConfig(t *testing.T) {
	ok := Config{BaseURL: "https://api.apptenticate.com", Username: "u", Password: "p"}
	for name, mut := range map[string]func(*Config){
		"no url":      func(c *Config) { c.BaseURL = "" },
		"ftp url":     func(c *Config) { c.BaseURL = "ftp://x" },
		"no username": func(c *Config) { c.Username = "" },
		"no password": func(c *Config) { c.Password = "" },
		"bad device":  func(c *Config) { c.Device = "PHONE" },
	} {
		cfg := ok
		mut(&cfg)
		if _, err := New(cfg, nil, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c, err := New(Config{BaseURL: "https://api.apptenticate.com/", Username: "u", Password: "p", Device: "ios"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.cfg.Device != "IOS" || c.cfg.OCRPath != "/api/v3/ocr/" || c.cfg.TokenPath != "/api/token/" || c.cfg.RefreshPath != "/api/token/refresh/" {
		t.Errorf("defaults: %+v", c.cfg)
	}
}

func TestExactRequests(t *testing.T) {
	e := setup(t, nil, func(c *Config) { c.Device = "ANDROID" })
	f, b := front(t), back(t)
	if _, err := e.client.OCR(context.Background(), Request{Front: f, Back: b, DocumentType: IdentificationCard, ReturnID: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.OCR(context.Background(), Request{Front: f, Back: b, DocumentType: Passport, DocumentID: "UTO"}); err != nil {
		t.Fatal(err)
	}
	reqs := e.fake.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want log-in + 2 OCR: %+v", len(reqs), reqs)
	}
	login := reqs[0]
	if login.Method != "POST" || login.Path != "/sim/apptenticate/api/token/" ||
		login.Header.Get("Content-Type") != "application/x-www-form-urlencoded" ||
		login.Form["username"] != "kyc" || login.Form["password"] != "s3cret" || len(login.Form) != 2 {
		t.Errorf("log-in request: %+v", login)
	}
	card := reqs[1]
	if card.Path != "/sim/apptenticate/api/v3/ocr/" || !strings.HasPrefix(card.Header.Get("Authorization"), "Bearer ey") ||
		!strings.HasPrefix(card.Header.Get("Content-Type"), "multipart/form-data; boundary=") {
		t.Errorf("OCR request headers: %v", card.Header)
	}
	wantForm := map[string]string{"document_type": "identification_card", "return_id": "True", "device": "ANDROID"}
	if fmt.Sprint(card.Form) != fmt.Sprint(wantForm) {
		t.Errorf("card form = %v, want %v", card.Form, wantForm)
	}
	for _, name := range []string{"frontside", "backside"} {
		ff := card.Files[name]
		if !ff.JPEG || ff.ContentType != "image/jpeg" || ff.Filename != name+".jpg" || ff.Width != 800 {
			t.Errorf("%s = %+v", name, ff)
		}
	}
	pass := reqs[2]
	wantForm = map[string]string{"document_type": "passport", "device": "ANDROID", "document_id": "UTO"}
	if fmt.Sprint(pass.Form) != fmt.Sprint(wantForm) {
		t.Errorf("passport form = %v, want %v", pass.Form, wantForm)
	}
	// A passport is one page: a back image given with it is not sent.
	if _, sent := pass.Files["backside"]; sent || len(pass.Files) != 1 {
		t.Errorf("passport files = %v", pass.Files)
	}
	// The token is reused: one log-in for both calls.
	if e.fake.Logins() != 1 || card.Header.Get("Authorization") != pass.Header.Get("Authorization") {
		t.Errorf("logins %d", e.fake.Logins())
	}
}

func TestLocalRefusals(t *testing.T) {
	e := setup(t, nil, nil)
	for name, req := range map[string]Request{
		"no front":          {DocumentType: Passport},
		"id card, no back":  {Front: front(t), DocumentType: IdentificationCard},
		"unknown type":      {Front: front(t), DocumentType: "drivers_license"},
		"front is a GIF":    {Front: []byte("GIF89a...."), DocumentType: Passport},
		"back is not image": {Front: front(t), Back: []byte("x"), DocumentType: IdentificationCard},
	} {
		_, err := e.client.OCR(context.Background(), req)
		var ve *vendors.Error
		if !errors.As(err, &ve) || ve.Kind != vendors.Invalid {
			t.Errorf("%s: %v, want Invalid", name, err)
		}
	}
	if n := len(e.fake.Requests()); n != 0 {
		t.Errorf("%d requests reached the vendor", n)
	}
}

func TestSuccessFromSubject(t *testing.T) {
	f := front(t)
	subj := vendors.Subject{
		Surname: "TAN", GivenNames: "WEI LING", DateOfBirth: "1988-02-29", Sex: "F", Nationality: "MYS",
		DocumentNumber: "A12345678", IssueDate: "2020-01-01", ExpiryDate: "2030-01-01", IssuingCountry: "MYS",
		Address: "1 JALAN AMPANG", MRZ: []string{"P<MYSTAN<<WEI<LING<<<<<<<<<<<<<<<<<<<<<<<<<<", "A123456780MYS8802299F3001011<<<<<<<<<<<<<<02"},
		Misreads: map[vendors.Name]map[vendors.FieldName]string{vendors.Apptenticate: {vendors.ExpiryDate: "2031-01-01"}},
	}
	e := setup(t, identifier(map[string]vendors.Subject{hash(f): subj}), nil)
	res, err := e.client.OCR(context.Background(), Request{Front: f, DocumentType: Passport, ReturnID: true})
	if err != nil {
		t.Fatal(err)
	}
	got := fieldMap(res.Result)
	want := map[vendors.FieldName]string{
		vendors.Surname: "TAN", vendors.GivenNames: "WEI LING", vendors.DateOfBirth: "1988-02-29", vendors.Sex: "F",
		vendors.Nationality: "MYS", vendors.DocumentNumber: "A12345678", vendors.IssueDate: "2020-01-01",
		vendors.ExpiryDate: "2031-01-01", vendors.IssuingCountry: "MYS", vendors.Address: "1 JALAN AMPANG",
		vendors.DocumentType: "passport", vendors.MRZLine1: subj.MRZ[0], vendors.MRZLine2: subj.MRZ[1],
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("fields\n got %v\nwant %v", got, want)
	}
	if res.Outcome != vendors.OutcomePass || res.TransactionID != "1" || res.Front.Scale != 1 || len(res.Body) == 0 {
		t.Errorf("outcome %s id %q scale %v body %d", res.Outcome, res.TransactionID, res.Front.Scale, len(res.Body))
	}
}

func TestRefusalEachCode(t *testing.T) {
	f := front(t)
	for _, status := range []int{200, 400} {
		for _, code := range Codes() {
			t.Run(fmt.Sprintf("%d/%d", status, code), func(t *testing.T) {
				subj := vendors.Subject{Errors: map[vendors.Name]string{vendors.Apptenticate: fmt.Sprint(code)}}
				e := setup(t, identifier(map[string]vendors.Subject{hash(f): subj}), nil)
				e.fake.RefusalStatus = status
				_, err := e.client.OCR(context.Background(), Request{Front: f, DocumentType: Passport})
				var ve *vendors.Error
				if !errors.As(err, &ve) {
					t.Fatalf("err = %v", err)
				}
				want, _ := Meaning(fmt.Sprint(code))
				if ve.Kind != vendors.Business || ve.Code != fmt.Sprint(code) || ve.Message != want || ve.HTTPStatus != status {
					t.Errorf("got %+v", ve)
				}
				if vendors.Retryable(err) {
					t.Error("a refusal must not be retried")
				}
				cs := e.rec.all()
				last := cs[len(cs)-1]
				if last.VendorCode != fmt.Sprint(code) || last.Meaning != want || last.HTTPStatus != status ||
					!strings.Contains(string(last.Body), `"valid":false`) {
					t.Errorf("recorded call %+v body %s", last, last.Body)
				}
			})
		}
	}
}

// TestExpiryMidBatch runs many checks at once just after the access token expires: exactly one
// refresh must happen; and when the vendor then refuses refreshes, exactly one log-in.
func TestExpiryMidBatch(t *testing.T) {
	e := setup(t, nil, nil)
	f := front(t)
	ctx := context.Background()
	if _, err := e.client.OCR(ctx, Request{Front: f, DocumentType: Passport}); err != nil {
		t.Fatal(err)
	}
	batch := func() {
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := e.client.OCR(ctx, Request{Front: f, DocumentType: Passport}); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}

	e.clock.Add(4*time.Minute + 45*time.Second) // inside the 30 s margin
	batch()
	if e.fake.Refreshes() != 1 || e.fake.Logins() != 1 {
		t.Errorf("after expiry: %d refreshes, %d log-ins; want 1, 1", e.fake.Refreshes(), e.fake.Logins())
	}

	e.fake.RefuseRefresh(true)
	e.clock.Add(5 * time.Minute)
	batch()
	if e.fake.Refreshes() != 2 || e.fake.Logins() != 2 {
		t.Errorf("after refused refresh: %d refreshes, %d log-ins; want 2, 2", e.fake.Refreshes(), e.fake.Logins())
	}
	for _, r := range e.fake.Requests() {
		if strings.HasSuffix(r.Path, "/ocr/") && r.Status != 200 {
			t.Errorf("an OCR call got %d: the token was not renewed before use", r.Status)
		}
	}

	// The refresh token itself expiring (a day) leads straight to a log-in, without a refused refresh.
	e.fake.RefuseRefresh(false)
	e.clock.Add(25 * time.Hour)
	batch()
	if e.fake.Refreshes() != 2 || e.fake.Logins() != 3 {
		t.Errorf("after refresh expiry: %d refreshes, %d log-ins; want 2, 3", e.fake.Refreshes(), e.fake.Logins())
	}
}

// TestServiceUnauthorizedRetriesOnce: tokens revoked at the vendor while the client still
// believes them valid.
func TestServiceUnauthorizedRetriesOnce(t *testing.T) {
	e := setup(t, nil, nil)
	f := front(t)
	ctx := context.Background()
	if _, err := e.client.OCR(ctx, Request{Front: f, DocumentType: Passport}); err != nil {
		t.Fatal(err)
	}
	e.fake.ExpireTokens()
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.client.OCR(ctx, Request{Front: f, DocumentType: Passport}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if e.fake.Refreshes() != 1 || e.fake.Logins() != 1 {
		t.Errorf("%d refreshes, %d log-ins; want 1, 1", e.fake.Refreshes(), e.fake.Logins())
	}
	// A check that started after the refresh never saw the dead token; every one that did was
	// retried exactly once and succeeded.
	var refused, retried int
	for _, c := range e.rec.all() {
		if strings.HasSuffix(c.Endpoint, "/ocr/") && c.Attempt == 1 && c.HTTPStatus == 401 {
			refused++
		}
		if c.Attempt == 2 && c.HTTPStatus == 200 {
			retried++
		}
	}
	if refused == 0 || retried != refused {
		t.Errorf("%d refused on attempt 1, %d succeeded on attempt 2", refused, retried)
	}
}

func TestServiceUnauthorizedTwiceIsAuth(t *testing.T) {
	e := setup(t, nil, nil)
	e.fake.Faults.Inject(vendors.Fault{Kind: vendors.FaultStatus, Status: 401, Count: 2, PathContains: "/ocr/",
		Body: `{"detail":"Given token not valid for any token type","code":"token_not_valid"}`})
	_, err := e.client.OCR(context.Background(), Request{Front: front(t), DocumentType: Passport})
	var ve *vendors.Error
	if !errors.As(err, &ve) || ve.Kind != vendors.Auth {
		t.Fatalf("err = %v, want Auth", err)
	}
	ocr := 0
	for _, r := range e.fake.Requests() {
		if strings.HasSuffix(r.Path, "/ocr/") {
			ocr++
		}
	}
	if ocr != 2 {
		t.Errorf("%d OCR requests, want 2 (one retry)", ocr)
	}
}

func TestLoginRefused(t *testing.T) {
	e := setup(t, nil, func(c *Config) { c.Password = "wrong" })
	err := e.client.TestConnection(context.Background())
	var ve *vendors.Error
	if !errors.As(err, &ve) || ve.Kind != vendors.Auth || !strings.Contains(ve.Message, "No active account found with the given credentials") {
		t.Fatalf("err = %v", err)
	}
	cs := e.rec.all()
	if len(cs) != 1 || cs[0].HTTPStatus != 401 || !strings.HasSuffix(cs[0].Endpoint, "/api/token/") {
		t.Errorf("calls %+v", cs)
	}
}

func TestTestConnectionAndRedaction(t *testing.T) {
	e := setup(t, nil, nil)
	if err := e.client.TestConnection(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.fake.ExpireTokens()
	e.clock.Add(6 * time.Minute)
	if _, err := e.client.OCR(context.Background(), Request{Front: front(t), DocumentType: Passport}); err != nil {
		t.Fatal(err)
	}
	e.client.mu.Lock()
	access, refresh := e.client.access, e.client.refresh
	e.client.mu.Unlock()
	for _, c := range e.rec.all() {
		if strings.Contains(string(c.Body), access) || strings.Contains(string(c.Body), refresh) || strings.Contains(string(c.Body), "s3cret") {
			t.Errorf("call to %s leaks a secret: %s", c.Endpoint, c.Body)
		}
		if c.Vendor != vendors.Apptenticate || c.Method != "POST" || c.Attempt < 1 || c.StartedAt.IsZero() {
			t.Errorf("call %+v", c)
		}
	}
	var endpoints []string
	for _, c := range e.rec.all() {
		endpoints = append(endpoints, strings.TrimPrefix(c.Endpoint, e.srv.URL))
	}
	want := "[/sim/apptenticate/api/token/ /sim/apptenticate/api/token/refresh/ /sim/apptenticate/api/v3/ocr/]"
	if fmt.Sprint(endpoints) != want {
		t.Errorf("endpoints %v, want %s", endpoints, want)
	}
}

func TestLargePNGArrivesAsSmallJPEG(t *testing.T) {
	e := setup(t, nil, nil)
	in := noisePNG(t, 1600, 1100)
	if len(in) < 5_000_000 {
		t.Fatalf("fixture %d bytes, want ≥ 5 MB", len(in))
	}
	res, err := e.client.OCR(context.Background(), Request{Front: in, DocumentType: Passport})
	if err != nil {
		t.Fatal(err)
	}
	reqs := e.fake.Requests()
	ff := reqs[len(reqs)-1].Files["frontside"]
	if !ff.JPEG || ff.Size >= 2_000_000 || ff.Width != res.Front.Width {
		t.Errorf("fake received %+v", ff)
	}
	if res.Front.Scale <= 0 || res.Front.Scale > 1 || res.Front.OriginalWidth != 1600 ||
		int(float64(res.Front.OriginalWidth)*res.Front.Scale+0.5) != res.Front.Width {
		t.Errorf("front %dx%d from %dx%d at scale %v", res.Front.Width, res.Front.Height, res.Front.OriginalWidth, res.Front.OriginalHeight, res.Front.Scale)
	}
}

func TestVendorInputErrorIsInvalid(t *testing.T) {
	e := setup(t, nil, nil)
	e.fake.MaxImageBytes = 1000 // stricter than the client's limit: the vendor's 400 is shown
	_, err := e.client.OCR(context.Background(), Request{Front: front(t), DocumentType: Passport})
	var ve *vendors.Error
	if !errors.As(err, &ve) || ve.Kind != vendors.Invalid || ve.Code != "frontside" || !strings.Contains(ve.Message, "frontside: The image must not exceed 2 MB") {
		t.Fatalf("err = %v", err)
	}
}

func TestTransientFailures(t *testing.T) {
	tests := []struct {
		name  string
		fault vendors.Fault
	}{
		{"503", vendors.Fault{Kind: vendors.FaultStatus, Status: 503, Body: `{"detail":"down"}`}},
		{"500 with a refusal-like body", vendors.Fault{Kind: vendors.FaultStatus, Status: 500, Body: `{"valid":false,"error_code":818}`}},
		{"429", vendors.Fault{Kind: vendors.FaultStatus, Status: 429, RetryAfter: "7"}},
		{"timeout", vendors.Fault{Kind: vendors.FaultDelay, Delay: 2 * time.Second}},
		{"slow body", vendors.Fault{Kind: vendors.FaultSlowBody, Delay: 3 * time.Second}},
		{"hang-up", vendors.Fault{Kind: vendors.FaultHangup}},
		{"malformed", vendors.Fault{Kind: vendors.FaultMalformed}},
		{"truncated", vendors.Fault{Kind: vendors.FaultTruncated}},
		{"html", vendors.Fault{Kind: vendors.FaultContentType}},
		{"oversized", vendors.Fault{Kind: vendors.FaultHuge, Size: vendors.MaxBody + 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, nil, func(c *Config) { c.Timeout = 500 * time.Millisecond })
			if err := e.client.TestConnection(context.Background()); err != nil {
				t.Fatal(err)
			}
			ft := tt.fault
			ft.PathContains = "/ocr/"
			e.fake.Faults.Inject(ft)
			_, err := e.client.OCR(context.Background(), Request{Front: front(t), DocumentType: Passport})
			var ve *vendors.Error
			if !errors.As(err, &ve) || ve.Kind != vendors.Transient {
				t.Fatalf("err = %v, want Transient", err)
			}
			if tt.name == "429" && ve.RetryAfter != 7*time.Second {
				t.Errorf("retry after %v", ve.RetryAfter)
			}
			cs := e.rec.all()
			if last := cs[len(cs)-1]; last.Meaning == "" {
				t.Errorf("recorded call has no meaning: %+v", last)
			}
		})
	}
}

func TestTokenEndpointFailures(t *testing.T) {
	e := setup(t, nil, nil)
	e.fake.Faults.Inject(vendors.Fault{Kind: vendors.FaultStatus, Status: 502, PathContains: "/token/"})
	err := e.client.TestConnection(context.Background())
	if !vendors.Retryable(err) {
		t.Errorf("502 at log-in: %v, want Transient", err)
	}
	e.fake.Faults.Inject(vendors.Fault{Kind: vendors.FaultMalformed, PathContains: "/token/"})
	if err := e.client.TestConnection(context.Background()); !vendors.Retryable(err) {
		t.Errorf("malformed log-in answer: %v, want Transient", err)
	}
	e.fake.Faults.Inject(vendors.Fault{Kind: vendors.FaultStatus, Status: 200, Body: `{"refresh":"x"}`, PathContains: "/token/"})
	if err := e.client.TestConnection(context.Background()); !vendors.Retryable(err) {
		t.Errorf("log-in answer without access: %v, want Transient", err)
	}
	if err := e.client.TestConnection(context.Background()); err != nil {
		t.Errorf("after faults: %v", err)
	}
}

func TestWithAttempt(t *testing.T) {
	e := setup(t, nil, nil)
	ctx := WithAttempt(context.Background(), 3)
	if _, err := e.client.OCR(ctx, Request{Front: front(t), DocumentType: Passport}); err != nil {
		t.Fatal(err)
	}
	e.fake.ExpireTokens()
	if _, err := e.client.OCR(ctx, Request{Front: front(t), DocumentType: Passport}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range e.rec.all() {
		got = append(got, fmt.Sprintf("%s:%d:%d", c.Endpoint[strings.LastIndex(c.Endpoint[:len(c.Endpoint)-1], "/")+1:], c.HTTPStatus, c.Attempt))
	}
	want := "[token/:200:3 ocr/:200:3 ocr/:401:3 refresh/:200:3 ocr/:200:4]"
	if fmt.Sprint(got) != want {
		t.Errorf("calls %v, want %s", got, want)
	}
}

func TestContextCancelled(t *testing.T) {
	e := setup(t, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.client.OCR(ctx, Request{Front: front(t), DocumentType: Passport})
	if err == nil {
		t.Fatal("no error")
	}
}

func TestLifetime(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	enc := func(claims string) string {
		return "eyJhbGciOiJIUzI1NiJ9." + strings.TrimRight(b64(claims), "=") + ".sig"
	}
	tests := []struct {
		name string
		tok  string
		want time.Duration
	}{
		{"iat and exp: exp-iat, whatever our clock says", enc(`{"iat": 100, "exp": 400}`), 300 * time.Second},
		{"exp only", enc(fmt.Sprintf(`{"exp": %d}`, now.Unix()+120)), 120 * time.Second},
		{"no exp", enc(`{"iat": 1}`), time.Minute},
		{"exp in the past", enc(`{"exp": 5}`), time.Minute},
		{"not a JWT", "opaque-token", time.Minute},
		{"bad base64", "a.!!!.c", time.Minute},
		{"not JSON", "a." + b64("nope") + ".c", time.Minute},
	}
	for _, tt := range tests {
		if got := lifetime(tt.tok, now, time.Minute); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
