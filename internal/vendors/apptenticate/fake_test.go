package apptenticate

import (
	"bytes"
	"encoding/json"
	"image/color"
	"mime/multipart"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"strings"
	"testing"
)

type part struct {
	name, filename, contentType string
	data                        []byte
}

func multipartBody(t *testing.T, parts []part) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		if p.filename == "" {
			if err := w.WriteField(p.name, string(p.data)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+p.name+`"; filename="`+p.filename+`"`)
		h.Set("Content-Type", p.contentType)
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = pw.Write(p.data)
	}
	_ = w.Close()
	return &buf, w.FormDataContentType()
}

func login(t *testing.T, fake *Fake) string {
	t.Helper()
	r := httptest.NewRequest("POST", "/api/token/", strings.NewReader(url.Values{"username": {"u"}, "password": {"p"}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	fake.ServeHTTP(w, r)
	var pair struct{ Access, Refresh string }
	if err := json.Unmarshal(w.Body.Bytes(), &pair); err != nil || pair.Access == "" || pair.Refresh == "" {
		t.Fatalf("log-in: %d %s", w.Code, w.Body)
	}
	return pair.Access
}

func TestFakeEnforcesTheContract(t *testing.T) {
	jpg := plainJPEG(t, 100, 80, color.Gray{128})
	png := noisePNG(t, 20, 20)
	big := append(append([]byte{}, jpg...), make([]byte, 2_000_001)...) // still decodes as a JPEG
	file := func(name string, data []byte) part { return part{name, name + ".jpg", "image/jpeg", data} }
	field := func(name, v string) part { return part{name: name, data: []byte(v)} }
	tests := []struct {
		name   string
		parts  []part
		status int
		want   string // a key:message fragment of the answer
	}{
		{"passport", []part{file("frontside", jpg), field("document_type", "passport")}, 200, `"valid":true`},
		{"id card", []part{file("frontside", jpg), file("backside", jpg), field("document_type", "identification_card"), field("device", "IOS"), field("return_id", "True")}, 200, `"id":`},
		{"no frontside", []part{field("document_type", "passport")}, 400, `"frontside":["This field is required."]`},
		{"misspelt frontside", []part{file("front", jpg), field("document_type", "passport")}, 400, `"front":["Unknown field."]`},
		{"frontside as text", []part{field("frontside", "abc"), field("document_type", "passport")}, 400, `not a file`},
		{"PNG", []part{file("frontside", png), field("document_type", "passport")}, 400, `must be a JPG`},
		{"over 2 MB", []part{file("frontside", big), field("document_type", "passport")}, 400, `must not exceed 2 MB`},
		{"no document_type", []part{file("frontside", jpg)}, 400, `"document_type":["This field is required."]`},
		{"bad document_type", []part{file("frontside", jpg), field("document_type", "id_card")}, 400, `is not a valid choice`},
		{"id card without back", []part{file("frontside", jpg), field("document_type", "identification_card")}, 400, `"backside":["This field is required."]`},
		{"bad device", []part{file("frontside", jpg), field("document_type", "passport"), field("device", "ios")}, 400, `"device"`},
		{"bad return_id", []part{file("frontside", jpg), field("document_type", "passport"), field("return_id", "yes please")}, 400, `"return_id"`},
	}
	fake := NewFake("u", "p", nil)
	tok := login(t, fake)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, ct := multipartBody(t, tt.parts)
			r := httptest.NewRequest("POST", "/api/v3/ocr/", body)
			r.Header.Set("Content-Type", ct)
			r.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			fake.ServeHTTP(w, r)
			if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.want) {
				t.Errorf("got %d %s; want %d with %s", w.Code, w.Body, tt.status, tt.want)
			}
		})
	}
}

func TestFakeAuth(t *testing.T) {
	fake := NewFake("u", "p", nil)
	do := func(path, ct, body, auth string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		r.Header.Set("Content-Type", ct)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		fake.ServeHTTP(w, r)
		return w
	}
	form := "application/x-www-form-urlencoded"
	if w := do("/api/token/", form, "username=u&password=x", ""); w.Code != 401 ||
		!strings.Contains(w.Body.String(), `"detail":"No active account found with the given credentials"`) {
		t.Errorf("bad password: %d %s", w.Code, w.Body)
	}
	if w := do("/api/token/", form, "username=u", ""); w.Code != 400 || !strings.Contains(w.Body.String(), `"password":["This field is required."]`) {
		t.Errorf("no password: %d %s", w.Code, w.Body)
	}
	if w := do("/api/token/", "application/json", `{"username":"u","password":"p"}`, ""); w.Code != 415 {
		t.Errorf("JSON log-in: %d", w.Code)
	}
	if w := do("/api/token/refresh/", form, "refresh=nope", ""); w.Code != 401 ||
		!strings.Contains(w.Body.String(), `"code":"token_not_valid"`) || !strings.Contains(w.Body.String(), `"detail":"Token is invalid or expired"`) {
		t.Errorf("bad refresh: %d %s", w.Code, w.Body)
	}
	w := do("/api/token/", form, "username=u&password=p", "")
	var pair struct{ Access, Refresh string }
	_ = json.Unmarshal(w.Body.Bytes(), &pair)
	if w := do("/api/token/refresh/", form, "refresh="+pair.Refresh, ""); w.Code != 200 || !strings.Contains(w.Body.String(), `"access"`) {
		t.Errorf("refresh: %d %s", w.Code, w.Body)
	}
	fake.RefuseRefresh(true)
	if w := do("/api/token/refresh/", form, "refresh="+pair.Refresh, ""); w.Code != 401 {
		t.Errorf("refused refresh: %d", w.Code)
	}
	if fake.Logins() != 1 || fake.Refreshes() != 3 {
		t.Errorf("logins %d refreshes %d", fake.Logins(), fake.Refreshes())
	}
	for name, auth := range map[string]string{
		"none": "", "wrong scheme": "JWT " + pair.Access, "unknown token": "Bearer abc", "refresh token": "Bearer " + pair.Refresh,
	} {
		if w := do("/api/v3/ocr/", "multipart/form-data; boundary=x", "", auth); w.Code != 401 {
			t.Errorf("%s: %d", name, w.Code)
		}
	}
	fake.ExpireTokens()
	if w := do("/api/v3/ocr/", "multipart/form-data; boundary=x", "", "Bearer "+pair.Access); w.Code != 401 ||
		!strings.Contains(w.Body.String(), "token_not_valid") {
		t.Errorf("expired: %d %s", w.Code, w.Body)
	}
	r := httptest.NewRequest("GET", "/api/v3/ocr/", nil)
	rw := httptest.NewRecorder()
	fake.ServeHTTP(rw, r)
	if rw.Code != 405 {
		t.Errorf("GET: %d", rw.Code)
	}
	r = httptest.NewRequest("POST", "/api/v2/ocr/", nil)
	rw = httptest.NewRecorder()
	fake.ServeHTTP(rw, r)
	if rw.Code != 404 {
		t.Errorf("unknown path: %d", rw.Code)
	}
}
