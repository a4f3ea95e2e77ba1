package cynopsis

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"kycdesk/internal/vendors"
)

const (
	testClientID     = "kycdesk-client"
	testClientSecret = "s3cret-Value"
	testDomain       = int64(42)
)

// jpeg is the start of a JPEG file: enough for content sniffing.
var jpeg = append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00}, make([]byte, 64)...)

func image(tag string) []byte { return append(append([]byte(nil), jpeg...), tag...) }

// callLog is a vendors.Recorder keeping every call.
type callLog struct {
	mu    sync.Mutex
	calls []vendors.Call
}

func (l *callLog) RecordCall(_ context.Context, c vendors.Call) {
	l.mu.Lock()
	l.calls = append(l.calls, c)
	l.mu.Unlock()
}

func (l *callLog) all() []vendors.Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]vendors.Call(nil), l.calls...)
}

// wireRequest is a request as the client put it on the wire: header keys exactly as spelled.
type wireRequest struct {
	Method, Path string
	Header       map[string][]string
}

// wireLog is a transport that remembers each outgoing request's header map before Go's server
// side canonicalises the names.
type wireLog struct {
	base http.RoundTripper
	mu   sync.Mutex
	reqs []wireRequest
}

func (w *wireLog) RoundTrip(r *http.Request) (*http.Response, error) {
	h := map[string][]string{}
	for k, v := range r.Header {
		h[k] = append([]string(nil), v...)
	}
	w.mu.Lock()
	w.reqs = append(w.reqs, wireRequest{Method: r.Method, Path: r.URL.Path, Header: h})
	w.mu.Unlock()
	return w.base.RoundTrip(r)
}

func (w *wireLog) all() []wireRequest {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]wireRequest(nil), w.reqs...)
}

type env struct {
	fake   *Fake
	srv    *httptest.Server
	client *Client
	calls  *callLog
	wire   *wireLog
	cfg    Config
}

// newEnv serves the fake under three prefixes, as the simulator mounts it, and builds a client.
func newEnv(t *testing.T, id vendors.Identifier, edit func(*Config)) *env {
	t.Helper()
	fake := NewFake(testClientID, testClientSecret, testDomain, id)
	mux := http.NewServeMux()
	mux.Handle("/auth/", http.StripPrefix("/auth", fake))
	mux.Handle("/ocr/", http.StripPrefix("/ocr", fake))
	mux.Handle("/artemis/", http.StripPrefix("/artemis", fake))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	cfg := Config{
		AuthURL: srv.URL + "/auth", OCRURL: srv.URL + "/ocr", ArtemisURL: srv.URL + "/artemis/",
		ClientID: testClientID, ClientSecret: testClientSecret, DomainID: testDomain, Timeout: 5 * time.Second,
	}
	if edit != nil {
		edit(&cfg)
	}
	wire := &wireLog{base: http.DefaultTransport}
	calls := &callLog{}
	c, err := New(cfg, &http.Client{Transport: wire}, calls)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &env{fake: fake, srv: srv, client: c, calls: calls, wire: wire, cfg: cfg}
}

func mustVendorError(t *testing.T, err error) *vendors.Error {
	t.Helper()
	var ve *vendors.Error
	if !errors.As(err, &ve) {
		t.Fatalf("error %v (%T) is not a *vendors.Error", err, err)
	}
	return ve
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func field(r *vendors.Result, name vendors.FieldName) (string, bool) {
	for _, f := range r.Fields {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}
