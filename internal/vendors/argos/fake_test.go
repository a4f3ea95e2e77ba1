package argos

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"kycdesk/internal/vendors"
)

// rawPost sends body to the fake as is and returns the status and decoded answer.
func rawPost(t *testing.T, h http.Handler, method, path string, header map[string]string, body string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	var out map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &out)
	return w.Code, out
}

func jsonBody(fields map[string]any) string {
	b, _ := json.Marshal(fields)
	return string(b)
}

func TestFakeEnforcesTheContract(t *testing.T) {
	f := NewFake(testKey, always(specimen()))
	f.SetMaxImageBytes(50_000)
	defer f.Close()
	img := base64.StdEncoding.EncodeToString(smallJPEG(t))
	good := func() map[string]any {
		return map[string]any{"idImage": img, "issuingCountry": "UTO", "idType": "passport"}
	}
	with := func(k string, v any) string {
		m := good()
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return jsonBody(m)
	}
	hdr := map[string]string{"x-api-key": testKey, "Content-Type": "application/json"}
	big := base64.StdEncoding.EncodeToString(encodePNG(t, noise(200, 200)))
	tests := []struct {
		name   string
		method string
		path   string
		header map[string]string
		body   string
		status int
		code   float64
	}{
		{"ok", "POST", "/modules/recognition", hdr, jsonBody(good()), 200, 0},
		{"under a prefix", "POST", "/sim/argos/modules/recognition", hdr, jsonBody(good()), 200, 0},
		{"no key", "POST", "/modules/recognition", map[string]string{"Content-Type": "application/json"}, jsonBody(good()), 403, 0},
		{"wrong key", "POST", "/modules/recognition", map[string]string{"x-api-key": "nope", "Content-Type": "application/json"}, jsonBody(good()), 403, 0},
		{"key as bearer", "POST", "/modules/recognition", map[string]string{"Authorization": "Bearer " + testKey, "Content-Type": "application/json"}, jsonBody(good()), 403, 0},
		{"form body", "POST", "/modules/recognition", map[string]string{"x-api-key": testKey, "Content-Type": "application/x-www-form-urlencoded"}, jsonBody(good()), 400, 1015},
		{"not JSON", "POST", "/modules/recognition", hdr, `idImage=x`, 400, 1015},
		{"GET", "GET", "/modules/recognition", hdr, ``, 405, 0},
		{"wrong path", "POST", "/modules/recognise", hdr, jsonBody(good()), 404, 0},
		{"no image", "POST", "/modules/recognition", hdr, with("idImage", nil), 400, 1005},
		{"empty image", "POST", "/modules/recognition", hdr, with("idImage", ""), 400, 1005},
		{"no country", "POST", "/modules/recognition", hdr, with("issuingCountry", nil), 400, 1006},
		{"no id type", "POST", "/modules/recognition", hdr, with("idType", nil), 400, 1014},
		{"alpha-2 country", "POST", "/modules/recognition", hdr, with("issuingCountry", "US"), 400, 1015},
		{"lower-case country", "POST", "/modules/recognition", hdr, with("issuingCountry", "uto"), 400, 1015},
		{"id type misspelt", "POST", "/modules/recognition", hdr, with("idType", "driving_license"), 400, 1015},
		{"callback not a URL", "POST", "/modules/recognition", hdr, with("callbackUrl", "callback"), 400, 1010},
		{"data-URI prefix", "POST", "/modules/recognition", hdr, with("idImage", "data:image/jpeg;base64,"+img), 400, 1013},
		{"MIME prefix without data:", "POST", "/modules/recognition", hdr, with("idImage", "image/jpeg;base64,"+img), 400, 1013},
		{"URL-safe base64", "POST", "/modules/recognition", hdr, with("idImage", strings.NewReplacer("+", "-", "/", "_").Replace(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xFB, 0xFF}, 30)))), 400, 1013},
		{"GIF", "POST", "/modules/recognition", hdr, with("idImage", base64.StdEncoding.EncodeToString(encodeGIF(t, plain(10, 10)))), 400, 1013},
		{"PDF back", "POST", "/modules/recognition", hdr, with("idBackImage", base64.StdEncoding.EncodeToString([]byte("%PDF-1.4 x"))), 400, 1013},
		{"image too large", "POST", "/modules/recognition", hdr, with("idImage", big), 413, 0},
		{"body too large", "POST", "/modules/recognition", hdr, with("idImage", strings.Repeat("A", 300_000)), 413, 0},
		{"country does not match the document", "POST", "/modules/recognition", hdr, with("issuingCountry", "USA"), 400, 1011},
		{"id type does not match the document", "POST", "/modules/recognition", hdr, with("idType", "government_id"), 400, 1011},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := rawPost(t, f, tt.method, tt.path, tt.header, tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %v", status, tt.status, out)
			}
			if tt.code != 0 && out["errorCode"] != tt.code {
				t.Errorf("errorCode %v, want %v (%v)", out["errorCode"], tt.code, out)
			}
			if tt.code != 0 && out["message"] == "" {
				t.Error("no message")
			}
		})
	}
	reqs := f.Requests()
	if len(reqs) != len(tests) {
		t.Fatalf("%d requests recorded, want %d", len(reqs), len(tests))
	}
	if reqs[0].Status != 200 || reqs[0].TransactionID == "" || reqs[0].Header.Get("x-api-key") != testKey {
		t.Errorf("record %+v", reqs[0])
	}
	if reqs[9].ErrorCode != "1005" {
		t.Errorf("record %+v", reqs[9])
	}
}

func TestFakeAnswersFromSubject(t *testing.T) {
	sub := specimen()
	sub.Misreads = map[vendors.Name]map[vendors.FieldName]string{
		vendors.Argos:        {vendors.DocumentNumber: "L898902C8"},
		vendors.Apptenticate: {vendors.Surname: "ERIKSON"},
	}
	f, c, _ := fakeServer(t, always(sub))

	// Sent at the specimen's own size: coordinates equal the Subject's boxes.
	full := encodeJPEG(t, plain(sub.Width, sub.Height), 80)
	rec, err := c.Recognize(ctx(t), Request{Front: full, IssuingCountry: "UTO", IDType: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	res := *rec.Result
	for name, box := range sub.Boxes {
		fl := fieldOf(res, name)
		if fl == nil || fl.Box == nil || fl.Box.Corners != box.Corners || fl.Confidence == nil {
			t.Errorf("%s: %+v, want box %v", name, fl, box.Corners)
		}
	}
	if fl := fieldOf(res, vendors.DocumentNumber); fl.Value != "L898902C8" || *fl.Confidence >= 0.7 {
		t.Errorf("Argos' misread not applied: %+v", fl)
	}
	if fl := fieldOf(res, vendors.Surname); fl.Value != "ERIKSSON" {
		t.Errorf("another vendor's misread applied: %+v", fl)
	}
	if res.Outcome != vendors.OutcomeReview {
		t.Errorf("a misread field should ask for review, got %s", res.Outcome)
	}
	if fl := fieldOf(res, vendors.PersonalNumber); fl == nil || fl.Value != "ZE184226B" {
		t.Errorf("personal number %+v", fl)
	}

	// The raw block as sent: integer corners, score 0–100, accepted, rotate.
	reqs := f.Requests()
	if len(reqs) != 1 {
		t.Fatal(reqs)
	}
	_, out := rawPost(t, f, "POST", "/modules/recognition", map[string]string{"x-api-key": testKey, "Content-Type": "application/json"},
		jsonBody(map[string]any{"idImage": base64.StdEncoding.EncodeToString(full), "issuingCountry": "UTO", "idType": "passport"}))
	if out["apiType"] != "id_recognition" || out["transactionId"] == "" {
		t.Errorf("envelope %v", out)
	}
	raw := out["result"].(map[string]any)["data"].(map[string]any)["raw"].(map[string]any)
	surname := raw["surname"].(map[string]any)
	if surname["value"] != "ERIKSSON" || surname["accepted"] != true || surname["coordinates"].(map[string]any)["third"].(map[string]any)["x"] != float64(900) {
		t.Errorf("raw surname %v", surname)
	}
	if raw["rotate"].(map[string]any)["value"] != "0" {
		t.Errorf("rotate %v", raw["rotate"])
	}
	ocr := out["result"].(map[string]any)["data"].(map[string]any)["ocr"].(map[string]any)
	for _, k := range []string{"ocr_fullName", "ocr_firstName", "ocr_middleName", "ocr_lastName", "ocr_gender", "ocr_nationality",
		"ocr_birthDate", "ocr_identityNumber", "ocr_issueDate", "ocr_expireDate", "ocr_version", "ocr_number", "full_mrz", "mrz_line1", "mrz_line2"} {
		if _, ok := ocr[k]; !ok {
			t.Errorf("ocr lacks %s", k)
		}
	}
	if ocr["ocr_firstName"] != "ANNA" || ocr["ocr_middleName"] != "MARIA" {
		t.Errorf("names %v %v", ocr["ocr_firstName"], ocr["ocr_middleName"])
	}
}

func TestFakeUnknownImageAndErrors(t *testing.T) {
	known := smallJPEG(t)
	id := func(img []byte) (vendors.Subject, bool) {
		if bytes.Equal(img, known) {
			s := specimen()
			s.Errors = map[vendors.Name]string{vendors.Argos: "1013", vendors.OOTO: "5"}
			return s, true
		}
		return vendors.Subject{}, false
	}
	_, c, _ := fakeServer(t, id)
	if _, err := c.Recognize(ctx(t), Request{Front: known, IssuingCountry: "UTO", IDType: "passport"}); err == nil || !strings.Contains(err.Error(), "1013") {
		t.Errorf("err = %v", err)
	}
	rec, err := c.Recognize(ctx(t), Request{Front: encodePNG(t, plain(300, 200)), IssuingCountry: "MYS", IDType: "government_id"})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Result.Outcome != vendors.OutcomeReview || fieldOf(*rec.Result, vendors.Surname) == nil || fieldOf(*rec.Result, vendors.Nationality).Value != "MYS" {
		t.Errorf("generic reading %+v", rec.Result)
	}
	for _, fl := range rec.Result.Fields {
		if fl.Box != nil {
			for _, p := range fl.Box.Corners {
				if p.X < 0 || p.X > 300 || p.Y < 0 || p.Y > 200 {
					t.Errorf("%s box outside the image: %+v", fl.Name, fl.Box)
				}
			}
		}
	}
	// A nil Identifier works too.
	_, c2, _ := fakeServer(t, nil)
	if _, err := c2.Recognize(ctx(t), Request{Front: smallJPEG(t), IssuingCountry: "USA", IDType: "visa"}); err != nil {
		t.Fatal(err)
	}
}

func TestFakeFaultsComeFirst(t *testing.T) {
	f := NewFake(testKey, nil)
	defer f.Close()
	f.Faults.Inject(vendors.Fault{Kind: vendors.FaultStatus, Status: 503, Body: `{"message":"down"}`})
	status, _ := rawPost(t, f, "POST", "/modules/recognition", nil, ``)
	if status != 503 {
		t.Errorf("status %d: the fault must answer before the key is checked", status)
	}
	if status, _ := rawPost(t, f, "POST", "/modules/recognition", nil, ``); status != 403 {
		t.Errorf("status %d after the fault was used", status)
	}
	if reqs := f.Requests(); len(reqs) != 2 || reqs[0].Status != 0 {
		t.Errorf("records %+v", reqs)
	}
}

func TestFakeConcurrent(t *testing.T) {
	f, c, _ := fakeServer(t, always(specimen()))
	f.SetCallbackDelay(time.Millisecond)
	r, srv := newReceiver(t)
	front := smallJPEG(t)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			req := Request{Front: front, IssuingCountry: "UTO", IDType: "passport"}
			if i%2 == 0 {
				req.CallbackURL = srv.URL + "/?token=" + r.token
			}
			if _, err := c.Recognize(ctx(t), req); err != nil {
				errs <- err
			}
			_ = f.Requests()
			_ = f.Callbacks()
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := 0; i < 10; i++ {
		r.wait(t)
	}
}

// Close drops callbacks still waiting and returns promptly.
func TestFakeCloseCancelsCallbacks(t *testing.T) {
	f := NewFake(testKey, nil)
	f.SetCallbackDelay(time.Hour)
	srv := httptest.NewServer(f)
	defer srv.Close()
	body := jsonBody(map[string]any{"idImage": base64.StdEncoding.EncodeToString(smallJPEG(t)), "issuingCountry": "USA", "idType": "passport", "callbackUrl": "http://127.0.0.1:1/cb"})
	req, _ := http.NewRequest("POST", srv.URL+"/modules/recognition", strings.NewReader(body))
	req.Header.Set("x-api-key", testKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"transactionId"`) || strings.Contains(string(b), `"result"`) {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	done := make(chan struct{})
	go func() { f.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Close waited for a callback an hour away")
	}
	if n := len(f.Callbacks()); n != 0 {
		t.Errorf("%d callbacks", n)
	}
}
