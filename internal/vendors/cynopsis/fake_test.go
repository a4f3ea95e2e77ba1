package cynopsis

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"kycdesk/internal/vendors"
)

// rawEnv is the fake served bare, for requests written by hand.
type rawEnv struct {
	fake *Fake
	srv  *httptest.Server
	// auth is the prefix the token server is mounted under.
	auth string
}

func newRawEnv(t *testing.T) *rawEnv {
	t.Helper()
	f := NewFake(testClientID, testClientSecret, testDomain, nil)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return &rawEnv{fake: f, srv: srv}
}

func (e *rawEnv) do(t *testing.T, method, path string, header map[string]string, body []byte) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

func (e *rawEnv) token(t *testing.T) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {testClientID}, "client_secret": {testClientSecret}}
	st, out := e.do(t, "POST", e.auth+"/oauth/token", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, []byte(form.Encode()))
	if st != 200 {
		t.Fatalf("token: %d %v", st, out)
	}
	if out["token_type"] != "Bearer" || out["expires_in"] != float64(28800) || out["scope"] == nil {
		t.Errorf("token answer %v", out)
	}
	return out["access_token"].(string)
}

func TestFakeTokenEndpointIsStrict(t *testing.T) {
	e := newRawEnv(t)
	form := func(v url.Values) []byte { return []byte(v.Encode()) }
	formCT := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	good := url.Values{"grant_type": {"client_credentials"}, "client_id": {testClientID}, "client_secret": {testClientSecret}}
	tests := []struct {
		name   string
		header map[string]string
		body   []byte
		status int
		errStr string
	}{
		{"good", formCT, form(good), 200, ""},
		{"JSON body", map[string]string{"Content-Type": "application/json"}, []byte(`{"grant_type":"client_credentials"}`), 400, "invalid_request"},
		{"wrong grant", formCT, form(url.Values{"grant_type": {"password"}, "client_id": {testClientID}, "client_secret": {testClientSecret}}), 400, "unsupported_grant_type"},
		{"wrong secret", formCT, form(url.Values{"grant_type": {"client_credentials"}, "client_id": {testClientID}, "client_secret": {"nope"}}), 401, "invalid_client"},
		{"basic auth only", map[string]string{"Content-Type": "application/x-www-form-urlencoded",
			"Authorization": "Basic a3ljZGVzay1jbGllbnQ6czNjcmV0LVZhbHVl"}, form(url.Values{"grant_type": {"client_credentials"}}), 401, "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, out := e.do(t, "POST", "/oauth/token", tt.header, tt.body)
			if st != tt.status || (tt.errStr != "" && out["error"] != tt.errStr) {
				t.Errorf("got %d %v, want %d %s", st, out, tt.status, tt.errStr)
			}
		})
	}
	if e.fake.TokensIssued() != 1 {
		t.Errorf("tokens issued %d", e.fake.TokensIssued())
	}
	for _, r := range e.fake.RequestsTo(RouteToken) {
		if r.Form.Get("client_secret") == testClientSecret {
			t.Error("the fake recorded the client secret")
		}
		if r.Header.Get("Authorization") != "" {
			t.Error("the fake recorded an Authorization header")
		}
	}
}

func TestFakeServiceAuthAndDomain(t *testing.T) {
	e := newRawEnv(t)
	tok := e.token(t)
	body, ct := ocrBody(t, "file0")
	tests := []struct {
		name   string
		header map[string]string
		status int
	}{
		{"no token", map[string]string{"Content-Type": ct, "X-Domain-Id": "42"}, 401},
		{"unknown token", map[string]string{"Content-Type": ct, "X-Domain-Id": "42", "Authorization": "Bearer nope"}, 401},
		{"no domain", map[string]string{"Content-Type": ct, "Authorization": "Bearer " + tok}, 400},
		{"domain not a number", map[string]string{"Content-Type": ct, "Authorization": "Bearer " + tok, "X-Domain-Id": "abc"}, 400},
		{"other domain", map[string]string{"Content-Type": ct, "Authorization": "Bearer " + tok, "X-Domain-Id": "43"}, 403},
		{"good", map[string]string{"Content-Type": ct, "Authorization": "Bearer " + tok, "X-Domain-Id": "42"}, 201},
		{"Artemis spelling works too", map[string]string{"Content-Type": ct, "Authorization": "Bearer " + tok, "X-Domain-ID": "42"}, 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if st, out := e.do(t, "POST", "/service/v2/ocr", tt.header, body); st != tt.status {
				t.Errorf("got %d %v, want %d", st, out, tt.status)
			}
		})
	}
	e.fake.ExpireTokens()
	st, out := e.do(t, "POST", "/service/v2/ocr", map[string]string{"Content-Type": ct, "Authorization": "Bearer " + tok, "X-Domain-Id": "42"}, body)
	if st != 401 || out["error"] != "invalid_token" {
		t.Errorf("expired token: %d %v", st, out)
	}
}

func ocrBody(t *testing.T, names ...string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, n := range names {
		w, err := mw.CreateFormFile(n, n+".jpg")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(jpeg)
	}
	_ = mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

func TestFakeOCRFieldNamesAreExact(t *testing.T) {
	e := newRawEnv(t)
	tok := e.token(t)
	tests := []struct {
		names  []string
		status int
	}{
		{[]string{"file0"}, 201},
		{[]string{"file0", "file1"}, 201},
		{[]string{"file1"}, 400},
		{[]string{"front"}, 400},
		{[]string{"file0", "file2"}, 400},
		{[]string{"file0", "file0"}, 400},
		{[]string{"File0"}, 400},
	}
	for _, tt := range tests {
		body, ct := ocrBody(t, tt.names...)
		st, out := e.do(t, "POST", "/service/v2/ocr", map[string]string{"Content-Type": ct, "Authorization": "Bearer " + tok, "X-Domain-Id": "42"}, body)
		if st != tt.status {
			t.Errorf("%v: %d %v, want %d", tt.names, st, out, tt.status)
		}
	}
	// A form-encoded body is not multipart.
	st, _ := e.do(t, "POST", "/service/v2/ocr", map[string]string{"Content-Type": "application/x-www-form-urlencoded",
		"Authorization": "Bearer " + tok, "X-Domain-Id": "42"}, []byte("file0=abc"))
	if st != 415 {
		t.Errorf("form-encoded OCR: %d", st)
	}
}

func TestFakeLivenessRefusesUnknownMembers(t *testing.T) {
	e := newEnv(t, nil, nil)
	cid, did := artemisFlow(t, e)
	raw := &rawEnv{fake: e.fake, srv: e.srv, auth: "/auth"}
	tok := raw.token(t)
	path := "/artemis/api/customer/" + strconv.FormatInt(cid, 10) + "/document/" + strconv.FormatInt(did, 10) + "/liveness"
	h := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + tok, "X-Domain-ID": "42"}
	tests := []struct {
		name   string
		body   string
		status int
	}{
		{"the page's example, verbatim", string(readFixture(t, "liveness_request_example.json")), 200},
		{"empty object", `{}`, 200},
		{"misspelt client", `{"conclusion":true,"livenessConfidence":90}`, 400},
		{"unknown nested member", `{"faceDetails":{"eyesClosed":{"value":true,"confidence":1,"extra":1}}}`, 400},
		{"unknown face detail", `{"faceDetails":{"mask":{"value":true,"confidence":1}}}`, 400},
		{"string boolean", `{"conclusion":"false"}`, 400},
		{"fractional confidence", `{"liivenessConfidence":90.5}`, 400},
		{"trailing data", `{"conclusion":true}{}`, 400},
		{"not JSON", `conclusion=true`, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, out := raw.do(t, "PUT", path, h, []byte(tt.body))
			if st != tt.status {
				t.Errorf("got %d %v, want %d", st, out, tt.status)
			}
			if st == 400 && (out["status"] != float64(400) || out["error"] != "Bad Request" || out["message"] == "" || out["path"] == nil) {
				t.Errorf("400 body is not Spring style: %v", out)
			}
		})
	}
	st, _ := raw.do(t, "PUT", path, map[string]string{"Content-Type": "text/plain", "Authorization": "Bearer " + tok, "X-Domain-ID": "42"}, []byte(`{}`))
	if st != 415 {
		t.Errorf("text/plain liveness: %d", st)
	}
	st, _ = raw.do(t, "PUT", "/artemis/api/customer/999999/document/"+strconv.FormatInt(did, 10)+"/liveness", h, []byte(`{}`))
	if st != 404 {
		t.Errorf("unknown customer: %d", st)
	}
}

func TestFakeDocumentUploadIsStrict(t *testing.T) {
	e := newEnv(t, nil, nil)
	cid, err := e.client.CreateCustomer(ctx(t), CustomerRequest{ProfileReferenceID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	raw := &rawEnv{fake: e.fake, srv: e.srv, auth: "/auth"}
	tok := raw.token(t)
	type part struct{ name, file, ct, body string }
	build := func(parts ...part) ([]byte, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for _, p := range parts {
			h := make(map[string][]string)
			disp := `form-data; name="` + p.name + `"`
			if p.file != "" {
				disp += `; filename="` + p.file + `"`
			}
			h["Content-Disposition"] = []string{disp}
			if p.ct != "" {
				h["Content-Type"] = []string{p.ct}
			}
			w, _ := mw.CreatePart(h)
			_, _ = w.Write([]byte(p.body))
		}
		_ = mw.Close()
		return buf.Bytes(), mw.FormDataContentType()
	}
	front := part{"front", "f.jpg", "image/jpeg", string(jpeg)}
	doc := func(js string) part { return part{"document", "", "application/json", js} }
	tests := []struct {
		name   string
		parts  []part
		status int
	}{
		{"good", []part{front, doc(`{"type":"PASSPORT","number":"X1","authenticity":"ORIGINAL","showExpiryNotification":false}`)}, 201},
		{"no front", []part{doc(`{"type":"PASSPORT"}`)}, 400},
		{"no document", []part{front}, 400},
		{"document as text", []part{front, {"document", "", "text/plain", `{"type":"PASSPORT"}`}}, 415},
		{"unknown type", []part{front, doc(`{"type":"ID_CARD"}`)}, 400},
		{"unknown member", []part{front, doc(`{"type":"PASSPORT","expiry":"2030-01-01"}`)}, 400},
		{"bad date", []part{front, doc(`{"type":"PASSPORT","expiryDate":"01/01/2030"}`)}, 400},
		{"unknown part", []part{front, doc(`{"type":"PASSPORT"}`), {"selfie", "s.jpg", "image/jpeg", "x"}}, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, ct := build(tt.parts...)
			st, out := raw.do(t, "POST", "/artemis/api/customer/"+strconv.FormatInt(cid, 10)+"/document",
				map[string]string{"Content-Type": ct, "Authorization": "Bearer " + tok, "X-Domain-ID": "42"}, body)
			if st != tt.status {
				t.Errorf("got %d %v, want %d", st, out, tt.status)
			}
		})
	}
	body, ct := build(front, doc(`{"type":"PASSPORT"}`))
	if st, _ := raw.do(t, "POST", "/artemis/api/customer/424242/document",
		map[string]string{"Content-Type": ct, "Authorization": "Bearer " + tok, "X-Domain-ID": "42"}, body); st != 404 {
		t.Errorf("unknown customer: %d", st)
	}
}

func TestFakeRoutesAndFaults(t *testing.T) {
	e := newRawEnv(t)
	tok := e.token(t)
	h := map[string]string{"Authorization": "Bearer " + tok, "X-Domain-ID": "42"}
	if st, out := e.do(t, "GET", "/api/customer", h, nil); st != 405 || out["status"] != float64(405) {
		t.Errorf("GET /api/customer: %d %v", st, out)
	}
	if st, _ := e.do(t, "GET", "/nowhere", h, nil); st != 404 {
		t.Errorf("unknown path: %d", st)
	}
	e.fake.Faults.Inject(vendors.Fault{Kind: vendors.FaultStatus, Status: 418, Body: `{}`, PathContains: "/api/customer"})
	if st, _ := e.do(t, "POST", "/api/customer", h, []byte(`{}`)); st != 418 {
		t.Errorf("fault not served first: %d", st)
	}
	reqs := e.fake.RequestsTo(RouteCustomer)
	if len(reqs) != 1 || !reqs[0].Faulted || reqs[0].Status != 0 {
		t.Errorf("faulted request recorded as %+v", reqs)
	}
	if e.fake.Count(RouteCustomer) != 1 || e.fake.Counts()[RouteToken] != 1 {
		t.Errorf("counts %v", e.fake.Counts())
	}
	e.fake.ResetRequests()
	if len(e.fake.Requests()) != 0 || len(e.fake.Counts()) != 0 {
		t.Error("ResetRequests kept requests")
	}
}

func TestFakeCustomerValidation(t *testing.T) {
	e := newRawEnv(t)
	tok := e.token(t)
	h := map[string]string{"Authorization": "Bearer " + tok, "X-Domain-ID": "42", "Content-Type": "application/json"}
	tests := []struct {
		body   string
		status int
	}{
		{`{"profileReferenceId":"a","type":"INDIVIDUAL"}`, 201},
		{`{"profileReferenceId":"a","type":"INDIVIDUAL"}`, 409},
		{`{"profileReferenceId":"","type":"INDIVIDUAL"}`, 400},
		{`{"type":"INDIVIDUAL"}`, 400},
		{`{"profileReferenceId":"b"}`, 400},
		{`{"profileReferenceId":"b","type":"PERSON"}`, 400},
		{`{"profileReferenceId":"b","type":"CORPORATE","particular":[1]}`, 400},
		{`not json`, 400},
	}
	for _, tt := range tests {
		st, out := e.do(t, "POST", "/api/customer", h, []byte(tt.body))
		if st != tt.status {
			t.Errorf("%s: %d %v, want %d", tt.body, st, out, tt.status)
		}
		if st == 201 {
			if _, ok := out["createdAt"].(map[string]any); !ok {
				t.Errorf("customer createdAt is not a Java Date object: %v", out["createdAt"])
			}
		}
		if st == 409 && !strings.Contains(out["message"].(string), "already exists") {
			t.Errorf("409 message %v", out)
		}
	}
}

func TestCodes(t *testing.T) {
	codes := Codes()
	want := []string{"105", "112", "127", "504", "505", "508", "608", "609", "614", "615", "619", "620", "621",
		"625", "626", "627", "628", "629", "630", "631", "632", "633", "634"}
	if strings.Join(codes, ",") != strings.Join(want, ",") {
		t.Errorf("Codes() = %v, want %v", codes, want)
	}
	for _, c := range codes {
		m := Meaning(c)
		if m == "" || !strings.HasSuffix(m, ".") || m[0] < 'A' || m[0] > 'Z' {
			t.Errorf("Meaning(%s) = %q is not a sentence", c, m)
		}
	}
	for _, c := range []string{"", "100", "9001", "abc"} {
		if Meaning(c) != "" {
			t.Errorf("Meaning(%q) = %q for an undocumented code", c, Meaning(c))
		}
	}
	if Meaning(" 508 ") != Meaning("508") {
		t.Error("Meaning does not trim")
	}
	for code, status := range map[string]string{"105": DocverDeclined, "508": DocverDeclined, "608": DocverResubmissionRequested, "634": DocverResubmissionRequested} {
		if got := statusForCode(code); got != status {
			t.Errorf("statusForCode(%s) = %s", code, got)
		}
	}
}
