package cynopsis

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"kycdesk/internal/vendors"
)

func TestNewValidatesConfig(t *testing.T) {
	good := Config{AuthURL: "https://crm-demo.cynopsis.co", OCRURL: "https://d1.cynopsis.co",
		ClientID: "id", ClientSecret: "secret", DomainID: 7}
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"valid", func(*Config) {}, ""},
		{"artemis only", func(c *Config) { c.OCRURL, c.ArtemisURL = "", "https://api1.artemisuat.cynopsis.co" }, ""},
		{"no auth URL", func(c *Config) { c.AuthURL = "" }, "auth URL is missing"},
		{"auth URL not http", func(c *Config) { c.AuthURL = "ftp://x" }, "auth URL must be an http"},
		{"auth URL with query", func(c *Config) { c.AuthURL = "https://x/?a=1" }, "query string"},
		{"bad OCR URL", func(c *Config) { c.OCRURL = "d1.cynopsis.co" }, "OCR URL must be"},
		{"no product", func(c *Config) { c.OCRURL = "" }, "need an OCR URL or an Artemis URL"},
		{"no client id", func(c *Config) { c.ClientID = " " }, "no client ID"},
		{"no secret", func(c *Config) { c.ClientSecret = "" }, "no client secret"},
		{"no domain", func(c *Config) { c.DomainID = 0 }, "domain ID"},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, "timeout"},
		{"relative OCR path", func(c *Config) { c.OCRPath = "service/v2/ocr" }, "start with a slash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.edit(&cfg)
			c, err := New(cfg, nil, nil)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if c.cfg.OCRPath != DefaultOCRPath || c.cfg.TokenPath != DefaultTokenPath || c.cfg.Timeout != DefaultTimeout {
					t.Errorf("defaults not applied: %+v", c.cfg)
				}
				return
			}
			ve := mustVendorError(t, err)
			if ve.Kind != vendors.Invalid || !strings.Contains(ve.Message, tt.want) {
				t.Errorf("got %s %q, want Invalid containing %q", ve.Kind, ve.Message, tt.want)
			}
		})
	}
}

func TestTokenRequestIsFormEncodedWithCredentialsInBody(t *testing.T) {
	e := newEnv(t, nil, nil)
	if err := e.client.TestConnection(ctx(t)); err != nil {
		t.Fatalf("TestConnection: %v", err)
	}
	reqs := e.fake.RequestsTo(RouteToken)
	if len(reqs) != 1 {
		t.Fatalf("token requests = %d, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Path != "/oauth/token" || r.Method != http.MethodPost || r.Status != http.StatusOK {
		t.Errorf("token request %s %s answered %d", r.Method, r.Path, r.Status)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type = %q", ct)
	}
	if r.Form.Get("grant_type") != "client_credentials" || r.Form.Get("client_id") != testClientID || r.Form.Get("client_secret") != "[redacted]" {
		t.Errorf("form = %v", r.Form)
	}
	for _, w := range e.wire.all() {
		if _, has := w.Header["Authorization"]; has && w.Path == "/auth/oauth/token" {
			t.Errorf("credentials sent in an Authorization header as well: %v", w.Header)
		}
	}
	calls := e.calls.all()
	if len(calls) != 1 {
		t.Fatalf("recorded calls = %d, want 1", len(calls))
	}
	c := calls[0]
	if c.Vendor != vendors.CynopsisOCR || c.Method != http.MethodPost || c.Endpoint != e.srv.URL+"/auth/oauth/token" ||
		c.HTTPStatus != http.StatusOK || c.Attempt != 1 {
		t.Errorf("token call recorded as %+v", c)
	}
	if !bytes.Contains(c.Body, []byte(`"access_token":"[redacted]"`)) || !strings.Contains(c.Meaning, "8h0m0s") {
		t.Errorf("token call body %s meaning %q: token not redacted or lifetime missing", c.Body, c.Meaning)
	}
}

func TestBadCredentialsAreAnAuthErrorInPlainWords(t *testing.T) {
	e := newEnv(t, nil, func(c *Config) { c.ClientSecret = "wrong" })
	_, _, err := e.client.OCR(ctx(t), image("f"), nil, "", "")
	ve := mustVendorError(t, err)
	if ve.Kind != vendors.Auth || ve.Code != "invalid_client" || ve.HTTPStatus != http.StatusUnauthorized {
		t.Errorf("got kind %s code %q status %d", ve.Kind, ve.Code, ve.HTTPStatus)
	}
	if !strings.Contains(ve.Message, "client ID or client secret") {
		t.Errorf("message %q is not plain words about the credentials", ve.Message)
	}
	if vendors.Retryable(err) {
		t.Error("bad credentials must not be retried")
	}
	if n := e.fake.Count(RouteOCR); n != 0 {
		t.Errorf("OCR called %d times without a token", n)
	}
	calls := e.calls.all()
	if len(calls) != 1 || calls[0].VendorCode != "invalid_client" || !strings.Contains(calls[0].Meaning, "refused the client ID") {
		t.Errorf("token refusal recorded as %+v", calls)
	}
}

func TestTokenServerFailuresAreTransient(t *testing.T) {
	tests := []struct {
		name  string
		fault vendors.Fault
	}{
		{"503", vendors.Fault{Kind: vendors.FaultStatus, Status: 503, Body: `{"error":"unavailable"}`}},
		{"429", vendors.Fault{Kind: vendors.FaultStatus, Status: 429, RetryAfter: "3"}},
		{"malformed", vendors.Fault{Kind: vendors.FaultMalformed}},
		{"hangup", vendors.Fault{Kind: vendors.FaultHangup}},
		{"huge", vendors.Fault{Kind: vendors.FaultHuge, Size: vendors.MaxBody + 1024}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			tt.fault.PathContains = "/oauth/token"
			e.fake.Faults.Inject(tt.fault)
			err := e.client.TestConnection(ctx(t))
			ve := mustVendorError(t, err)
			if ve.Kind != vendors.Transient {
				t.Errorf("kind %s (%v), want transient", ve.Kind, err)
			}
			if len(e.calls.all()) == 0 {
				t.Error("the failed token fetch was not recorded")
			}
		})
	}
}

func TestUnauthorizedFetchesOneNewTokenAndRetriesOnce(t *testing.T) {
	e := newEnv(t, nil, nil)
	if _, _, err := e.client.OCR(ctx(t), image("a"), nil, "", ""); err != nil {
		t.Fatalf("first OCR: %v", err)
	}
	e.fake.ExpireTokens()
	res, _, err := e.client.OCR(WithAttempt(ctx(t), 3), image("b"), nil, "", "")
	if err != nil || res == nil {
		t.Fatalf("OCR after expiry: %v", err)
	}
	if got := e.fake.TokensIssued(); got != 2 {
		t.Errorf("tokens issued = %d, want 2", got)
	}
	ocr := e.fake.RequestsTo(RouteOCR)
	if len(ocr) != 3 || ocr[1].Status != http.StatusUnauthorized || ocr[2].Status != http.StatusCreated {
		t.Fatalf("OCR requests: %d, statuses %v", len(ocr), statuses(ocr))
	}
	var attempts []int
	for _, c := range e.calls.all()[2:] {
		attempts = append(attempts, c.Attempt)
	}
	// refused OCR call (3), new token (4), retried OCR call (4)
	if want := []int{3, 4, 4}; !equalInts(attempts, want) {
		t.Errorf("attempts recorded %v, want %v", attempts, want)
	}
}

func TestSecondUnauthorizedIsAnAuthErrorNotALoop(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.fake.Faults.Inject(vendors.Fault{Kind: vendors.FaultStatus, Status: 401, Body: `{"error":"invalid_token"}`, Count: 5, PathContains: "/service/v2/ocr"})
	_, _, err := e.client.OCR(ctx(t), image("a"), nil, "", "")
	ve := mustVendorError(t, err)
	if ve.Kind != vendors.Auth || ve.HTTPStatus != http.StatusUnauthorized {
		t.Errorf("got %s %d, want auth 401", ve.Kind, ve.HTTPStatus)
	}
	if e.fake.Count(RouteOCR) != 2 || e.fake.TokensIssued() != 2 {
		t.Errorf("OCR requests %d, tokens %d; want 2 and 2", e.fake.Count(RouteOCR), e.fake.TokensIssued())
	}
}

func TestTokenIsReusedAndRefreshedBeforeExpiry(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.fake.SetTokenTTL(time.Hour)
	var mu sync.Mutex
	now := time.Now()
	e.client.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	for i := range 3 {
		if _, _, err := e.client.OCR(ctx(t), image(string(rune('a'+i))), nil, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.fake.TokensIssued(); got != 1 {
		t.Fatalf("tokens issued for three calls = %d, want 1", got)
	}
	advance(50 * time.Minute) // expires_in 3600: still well inside the token's life
	if _, _, err := e.client.OCR(ctx(t), image("d"), nil, "", ""); err != nil {
		t.Fatal(err)
	}
	if got := e.fake.TokensIssued(); got != 1 {
		t.Fatalf("token replaced after 50 of 60 minutes: issued %d", got)
	}
	advance(6 * time.Minute) // within the last five minutes: replace before it lapses
	if _, _, err := e.client.OCR(ctx(t), image("e"), nil, "", ""); err != nil {
		t.Fatal(err)
	}
	if got := e.fake.TokensIssued(); got != 2 {
		t.Fatalf("tokens issued = %d, want a refresh before expiry", got)
	}
	for _, r := range e.fake.RequestsTo(RouteOCR) {
		if r.Status == http.StatusUnauthorized {
			t.Error("a call went out with an expired token")
		}
	}
}

func TestRefreshMargin(t *testing.T) {
	tests := []struct{ life, want time.Duration }{
		{8 * time.Hour, 5 * time.Minute},
		{time.Hour, 5 * time.Minute},
		{10 * time.Minute, time.Minute},
		{time.Second, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := refreshMargin(tt.life); got != tt.want {
			t.Errorf("refreshMargin(%s) = %s, want %s", tt.life, got, tt.want)
		}
	}
}

func TestConcurrentCallsShareOneToken(t *testing.T) {
	e := newEnv(t, nil, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := e.client.OCR(ctx(t), image(string(rune('a'+i))), nil, "", "")
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := e.fake.TokensIssued(); got != 1 {
		t.Errorf("tokens issued = %d, want 1", got)
	}
}

func TestServiceFailuresAreTransient(t *testing.T) {
	tests := []struct {
		name       string
		fault      vendors.Fault
		retryAfter time.Duration
	}{
		{"500", vendors.Fault{Kind: vendors.FaultStatus, Status: 500, Body: `{"error":"boom"}`}, 0},
		{"502 html", vendors.Fault{Kind: vendors.FaultStatus, Status: 502, Body: `<html>bad gateway</html>`}, 0},
		{"503", vendors.Fault{Kind: vendors.FaultStatus, Status: 503}, 0},
		{"429", vendors.Fault{Kind: vendors.FaultStatus, Status: 429, RetryAfter: "7"}, 7 * time.Second},
		{"timeout", vendors.Fault{Kind: vendors.FaultDelay, Delay: 3 * time.Second}, 0},
		{"slow body", vendors.Fault{Kind: vendors.FaultSlowBody, Delay: 3 * time.Second}, 0},
		{"hangup", vendors.Fault{Kind: vendors.FaultHangup}, 0},
		{"malformed JSON", vendors.Fault{Kind: vendors.FaultMalformed}, 0},
		{"truncated JSON", vendors.Fault{Kind: vendors.FaultTruncated}, 0},
		{"HTML page", vendors.Fault{Kind: vendors.FaultContentType}, 0},
		{"oversized body", vendors.Fault{Kind: vendors.FaultHuge, Size: vendors.MaxBody + 64<<10}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, func(c *Config) { c.Timeout = 500 * time.Millisecond })
			tt.fault.PathContains = "/service/v2/ocr"
			e.fake.Faults.Inject(tt.fault)
			res, _, err := e.client.OCR(ctx(t), image("x"), nil, "", "")
			if res != nil {
				t.Errorf("a result came back with a failure: %+v", res)
			}
			ve := mustVendorError(t, err)
			if ve.Kind != vendors.Transient || !vendors.Retryable(err) {
				t.Fatalf("kind %s (%v), want transient", ve.Kind, err)
			}
			if ve.RetryAfter != tt.retryAfter {
				t.Errorf("RetryAfter %s, want %s", ve.RetryAfter, tt.retryAfter)
			}
			if tt.name == "timeout" && !strings.Contains(ve.Message, "in time") {
				t.Errorf("timeout message %q", ve.Message)
			}
			calls := e.calls.all()
			last := calls[len(calls)-1]
			if last.Endpoint != e.srv.URL+"/ocr/service/v2/ocr" || last.Meaning == "" {
				t.Errorf("failed call recorded as %+v", last)
			}
			if len(last.Body) > 70<<10 {
				t.Errorf("recorded body of %d bytes is not capped", len(last.Body))
			}
		})
	}
}

func TestClientErrorsAreNotRetriedAndCarryTheMessage(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.fake.Faults.Inject(vendors.Fault{Kind: vendors.FaultStatus, Status: 400, PathContains: "/service/v2/ocr",
		Body: `{"error":"invalid_request","description":"file0 must be an image"}`})
	_, raw, err := e.client.OCR(ctx(t), image("x"), nil, "", "")
	ve := mustVendorError(t, err)
	if ve.Kind != vendors.Invalid || vendors.Retryable(err) || ve.HTTPStatus != 400 || ve.Code != "invalid_request" {
		t.Errorf("got %s status %d code %q", ve.Kind, ve.HTTPStatus, ve.Code)
	}
	if !strings.Contains(ve.Message, "file0 must be an image.") {
		t.Errorf("message %q lacks the vendor's words", ve.Message)
	}
	if !bytes.Contains(raw, []byte("file0 must be an image")) {
		t.Errorf("raw body not returned with the error: %s", raw)
	}
	if e.fake.Count(RouteOCR) != 1 {
		t.Errorf("OCR requests %d, want 1 (no retry)", e.fake.Count(RouteOCR))
	}
}

func TestForbiddenDomainIsAnAuthError(t *testing.T) {
	e := newEnv(t, nil, func(c *Config) { c.DomainID = 99 })
	_, _, err := e.client.OCR(ctx(t), image("x"), nil, "", "")
	ve := mustVendorError(t, err)
	if ve.Kind != vendors.Auth || ve.HTTPStatus != http.StatusForbidden || !strings.Contains(ve.Message, "domain 99") {
		t.Errorf("got %s %d %q", ve.Kind, ve.HTTPStatus, ve.Message)
	}
}

func TestCancelledContextIsTransient(t *testing.T) {
	e := newEnv(t, nil, nil)
	c, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := e.client.OCR(c, image("x"), nil, "", "")
	if ve := mustVendorError(t, err); ve.Kind != vendors.Transient {
		t.Errorf("kind %s", ve.Kind)
	}
}

func TestTokenAnswerWithoutTokenIsTransient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"token_type":"Bearer","expires_in":3600}`))
	}))
	defer srv.Close()
	c, err := New(Config{AuthURL: srv.URL, OCRURL: srv.URL, ClientID: "a", ClientSecret: "b", DomainID: 1}, srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if ve := mustVendorError(t, c.TestConnection(ctx(t))); ve.Kind != vendors.Transient {
		t.Errorf("kind %s: %v", ve.Kind, ve)
	}
}

func statuses(rs []FakeRequest) []int {
	var out []int
	for _, r := range rs {
		out = append(out, r.Status)
	}
	return out
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestConfigurableOCRPath(t *testing.T) {
	e := newEnv(t, nil, func(c *Config) { c.OCRPath = "/service/v3/ocr" })
	if _, _, err := e.client.OCR(ctx(t), image("x"), nil, "", ""); mustVendorError(t, err).HTTPStatus != http.StatusNotFound {
		t.Errorf("the fake answered a path it was not told to serve: %v", err)
	}
	e.fake.SetOCRPath("service/v3/ocr/")
	if _, _, err := e.client.OCR(ctx(t), image("x"), nil, "", ""); err != nil {
		t.Fatal(err)
	}
	if r := e.fake.RequestsTo(RouteOCR); len(r) != 1 || r[0].Path != "/service/v3/ocr" {
		t.Errorf("OCR requests %+v", r)
	}
}

func TestFormEncodedTokenAnswerLifetime(t *testing.T) {
	tokens := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tokens++
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		_, _ = w.Write([]byte("access_token=abc&token_type=bearer&expires_in=600"))
	}))
	defer srv.Close()
	c, err := New(Config{AuthURL: srv.URL, OCRURL: srv.URL, ClientID: "a", ClientSecret: "b", DomainID: 1}, srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c.now = func() time.Time { return start }
	tok, err := c.accessToken(ctx(t), vendors.CynopsisOCR, 1)
	if err != nil || tok != "abc" {
		t.Fatalf("token %q %v", tok, err)
	}
	if want := start.Add(600*time.Second - time.Minute); !c.refreshAt.Equal(want) {
		t.Errorf("refresh at %v, want %v", c.refreshAt, want)
	}
}

// TestTokenAnswerIsReadTolerantly: the lifetime Cynopsis sends is honoured however it is written
// (a fraction of a second, a quoted number), and a JSON answer is read as JSON whatever its
// Content-Type says; the oauth2 package alone refused the first and found no token in the last.
func TestTokenAnswerIsReadTolerantly(t *testing.T) {
	for _, tc := range []struct {
		ctype, body string
		life        time.Duration
	}{
		{"application/json", `{"access_token":"abc","token_type":"Bearer","expires_in":3600.5,"scope":"read write"}`, 3600 * time.Second},
		{"application/json;charset=UTF-8", `{"access_token":"abc","token_type":"Bearer","expires_in":28800.0}`, 28800 * time.Second},
		{"application/json", `{"access_token":"abc","token_type":"Bearer","expires_in":"1800.25"}`, 1800 * time.Second},
		{"text/plain", `{"access_token":"abc","token_type":"Bearer","expires_in":"600"}`, 600 * time.Second},
		{"text/plain;charset=UTF-8", ` {"access_token":"abc","token_type":"Bearer","expires_in":7200}`, 7200 * time.Second},
		{"application/json", `{"access_token":"abc","token_type":"Bearer","expires_in":3600}`, 3600 * time.Second},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", tc.ctype)
			_, _ = w.Write([]byte(tc.body))
		}))
		c, err := New(Config{AuthURL: srv.URL, OCRURL: srv.URL, ClientID: "a", ClientSecret: "b", DomainID: 1}, srv.Client(), nil)
		if err != nil {
			t.Fatal(err)
		}
		tok, life, err := c.fetchToken(ctx(t), vendors.CynopsisOCR, 1)
		if err != nil || tok != "abc" || life != tc.life {
			t.Errorf("%s %s: token %q, lifetime %s, %v; want abc, %s", tc.ctype, tc.body, tok, life, err, tc.life)
		}
		srv.Close()
	}
}

// Spring's "error" member is the status text, not a code; OAuth2's is a code.
func TestHTTPErrorCodeIsNotTheStatusText(t *testing.T) {
	for _, c := range []struct {
		status int
		body   string
		code   string
	}{
		{409, `{"status":409,"error":"Conflict","message":"Duplicate"}`, ""},
		{403, `{"status":403,"error":"Forbidden","message":"Access denied"}`, ""},
		{400, `{"status":400,"error":"Bad Request","message":"x"}`, ""},
		{401, `{"error":"invalid_client","error_description":"Bad client credentials"}`, "invalid_client"},
	} {
		code, _, _ := httpError(vendors.Artemis, c.status, http.Header{}, []byte(c.body))
		if code != c.code {
			t.Errorf("%d %s: code %q, want %q", c.status, c.body, code, c.code)
		}
	}
}
