package ooto

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"kycdesk/internal/vendors"
)

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

func hash(b []byte) string { return fmt.Sprintf("%x", sha256.Sum256(b)) }

func identifier(subjects map[string]vendors.Subject) vendors.Identifier {
	return func(img []byte) (vendors.Subject, bool) {
		s, ok := subjects[hash(img)]
		return s, ok
	}
}

func solid(w, h int, c color.Color) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, c)
		}
	}
	return img
}

func jpg(t testing.TB, w, h int, c color.Color) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, solid(w, h, c), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func pngImg(t testing.TB, w, h int, c color.Color) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, solid(w, h, c)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type env struct {
	fake   *Fake
	srv    *httptest.Server
	client *Client
	rec    *calls
}

func setup(t *testing.T, id vendors.Identifier, tweak func(*Config)) *env {
	t.Helper()
	fake := NewFake("app-1", "key-1", id)
	mux := http.NewServeMux()
	mux.Handle("/sim/ooto/", fake)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	cfg := Config{BaseURL: srv.URL + "/sim/ooto", AppID: "app-1", AppKey: "key-1", ConnectTimeout: time.Second, ReadTimeout: 5 * time.Second}
	if tweak != nil {
		tweak(&cfg)
	}
	rec := &calls{}
	c, err := New(cfg, srv.Client(), rec)
	if err != nil {
		t.Fatal(err)
	}
	return &env{fake: fake, srv: srv, client: c, rec: rec}
}

func TestNewValidatesConfig(t *testing.T) {
	ok := Config{BaseURL: "https://cloud.ooto-ai.com", AppID: "a", AppKey: "k"}
	for name, mut := range map[string]func(*Config){
		"no url": func(c *Config) { c.BaseURL = "" }, "relative url": func(c *Config) { c.BaseURL = "cloud.ooto-ai.com" },
		"query": func(c *Config) { c.BaseURL = "https://x?key=1" }, "no app id": func(c *Config) { c.AppID = "" },
		"no app key": func(c *Config) { c.AppKey = "" },
	} {
		cfg := ok
		mut(&cfg)
		if _, err := New(cfg, nil, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c, err := New(ok, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.endpoint != "https://cloud.ooto-ai.com/api/v1.0/doc/identify" || c.cfg.ConnectTimeout != 20*time.Second ||
		c.cfg.ReadTimeout != 60*time.Second || cap(c.slots) != DefaultConcurrency {
		t.Errorf("defaults: %s %+v", c.endpoint, c.cfg)
	}
	c, _ = New(Config{BaseURL: "https://x/", Path: "api/v1.0/doc/compare", AppID: "a", AppKey: "k"}, nil, nil)
	if c.endpoint != "https://x/api/v1.0/doc/compare" {
		t.Errorf("endpoint %s", c.endpoint)
	}
}

func TestExactRequest(t *testing.T) {
	e := setup(t, nil, nil)
	doc, selfie := jpg(t, 640, 400, color.Gray{100}), pngImg(t, 300, 400, color.Gray{150})
	if _, err := e.client.Identify(context.Background(), doc, selfie); err != nil {
		t.Fatal(err)
	}
	reqs := e.fake.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/sim/ooto/api/v1.0/doc/identify" || r.Header.Get("APP-ID") != "app-1" || r.Header.Get("APP-KEY") != "key-1" ||
		!strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data; boundary=") {
		t.Errorf("request %s %s %v", r.Method, r.Path, r.Header)
	}
	// The header names go on the wire exactly as the page spells them.
	if _, ok := r.Header["App-Id"]; !ok {
		t.Errorf("APP-ID header missing: %v", r.Header)
	}
	want := map[string]FakeFile{
		"doc":    {Filename: "doc.jpg", ContentType: "image/jpeg", Size: len(doc), Format: "jpeg", Width: 640, Height: 400},
		"selfie": {Filename: "selfie.png", ContentType: "image/png", Size: len(selfie), Format: "png", Width: 300, Height: 400},
	}
	if fmt.Sprint(r.Files) != fmt.Sprint(want) || len(r.Fields) != 0 {
		t.Errorf("files %+v fields %v", r.Files, r.Fields)
	}
	if r.Status != 200 {
		t.Errorf("status %d", r.Status)
	}
	cs := e.rec.all()
	if len(cs) != 1 || cs[0].Vendor != vendors.OOTO || cs[0].HTTPStatus != 200 || cs[0].Attempt != 1 || len(cs[0].Body) == 0 ||
		cs[0].Endpoint != e.srv.URL+"/sim/ooto/api/v1.0/doc/identify" {
		t.Errorf("calls %+v", cs)
	}
	// The fake answers with estimates of age, gender and race, as OOTO does: none is kept.
	if len(cs) == 1 && (strings.Contains(string(cs[0].Body), `"race"`) || strings.Contains(string(cs[0].Body), `"gender"`)) {
		t.Errorf("the call log keeps OOTO's estimates about the person: %s", cs[0].Body)
	}
}

func TestLocalRefusals(t *testing.T) {
	e := setup(t, nil, nil)
	good := jpg(t, 10, 10, color.Black)
	for name, pair := range map[string][2][]byte{
		"no doc": {nil, good}, "no selfie": {good, nil}, "GIF doc": {[]byte("GIF89a..."), good}, "text selfie": {good, []byte("hello")},
	} {
		_, err := e.client.Identify(context.Background(), pair[0], pair[1])
		var ve *vendors.Error
		if !errors.As(err, &ve) || ve.Kind != vendors.Invalid {
			t.Errorf("%s: %v", name, err)
		}
	}
	if len(e.fake.Requests()) != 0 {
		t.Error("a refused request reached the vendor")
	}
}

func TestAnswersFromSubject(t *testing.T) {
	docSame, docOther := jpg(t, 1000, 700, color.Gray{90}), jpg(t, 500, 350, color.Gray{91})
	selfie := jpg(t, 400, 600, color.Gray{200})
	portrait := Rect{X: 60, Y: 180, W: 260, H: 340, Angle: 3}.Box("front", BoxConvention{})
	subjects := map[string]vendors.Subject{
		hash(docSame): {Surname: "TAN", GivenNames: "WEI LING", DocumentNumber: "A1", SameFace: true, Liveness: 0.91,
			Portrait: &portrait, Width: 1000, Height: 700, DocumentType: "passport",
			MRZ:      []string{"P<MYSTAN<<WEI<LING<<<<<<<<<<<<<<<<<<<<<<<<<<", "A123456780MYS8802299F3001011<<<<<<<<<<<<<<02"},
			Misreads: map[vendors.Name]map[vendors.FieldName]string{vendors.OOTO: {vendors.DocumentNumber: "A7"}}},
		// The document image was downscaled by half after the subject was drawn: the portrait follows.
		hash(docOther): {Surname: "LIM", SameFace: false, Liveness: 0.2, Portrait: &portrait, Width: 1000, Height: 700},
	}
	e := setup(t, identifier(subjects), nil)

	res, err := e.client.Identify(context.Background(), docSame, selfie)
	if err != nil {
		t.Fatal(err)
	}
	f := res.Face
	if res.Outcome != vendors.OutcomePass || *f.Similarity < 0.75 || !*f.Same || *f.Liveness != 0.91 || !*f.LivenessFine || !*f.DeepfakeFine {
		t.Errorf("same person: %s %+v", res.Outcome, f)
	}
	if !near(f.PortraitBox.Corners, portrait.Corners) || f.PortraitBox.Side != "front" {
		t.Errorf("portrait %v, want %v", f.PortraitBox.Corners, portrait.Corners)
	}
	if want := (Rect{W: 1000, H: 700}).Box("front", BoxConvention{}); *f.DocumentBox != want {
		t.Errorf("document box %v", f.DocumentBox)
	}
	if f.FaceBox == nil || f.FaceBox.Side != "selfie" || f.FaceBox.Corners[0] != (vendors.Point{X: 120, Y: 120}) || f.FaceBox.Corners[2] != (vendors.Point{X: 280, Y: 420}) {
		t.Errorf("face box %+v", f.FaceBox)
	}
	got := fieldMap(res.Result)
	if got[vendors.Surname] != "TAN" || got[vendors.GivenNames] != "WEI LING" || got[vendors.DocumentNumber] != "A7" ||
		got[vendors.DocumentType] != "passport" || got[vendors.MRZLine2] != "A123456780MYS8802299F3001011<<<<<<<<<<<<<<02" {
		t.Errorf("fields %v", got)
	}

	res, err = e.client.Identify(context.Background(), docOther, selfie)
	if err != nil {
		t.Fatal(err)
	}
	f = res.Face
	if res.Outcome != vendors.OutcomeFail || *f.Similarity >= 0.75 || *f.Same || *f.LivenessFine {
		t.Errorf("other person: %s %+v", res.Outcome, f)
	}
	half := portrait
	for i := range half.Corners {
		half.Corners[i].X /= 2
		half.Corners[i].Y /= 2
	}
	if !near(f.PortraitBox.Corners, half.Corners) {
		t.Errorf("rescaled portrait %v, want %v", f.PortraitBox.Corners, half.Corners)
	}

	// Unknown images: a generic matching answer.
	res, err = e.client.Identify(context.Background(), jpg(t, 50, 50, color.White), selfie)
	if err != nil || res.Outcome != vendors.OutcomePass || fieldMap(res.Result)[vendors.Surname] != "ERIKSSON" {
		t.Errorf("generic: %v %+v", err, res)
	}
}

func TestFakeSpellingsAndConventions(t *testing.T) {
	doc, selfie := jpg(t, 800, 500, color.Gray{90}), jpg(t, 400, 600, color.Gray{200})
	portrait := Rect{X: 60, Y: 180, W: 260, H: 340, Angle: -12}.Box("front", BoxConvention{})
	id := identifier(map[string]vendors.Subject{hash(doc): {SameFace: true, Liveness: 0.3, Portrait: &portrait, Width: 800, Height: 500}})
	conv := BoxConvention{XYIsCenter: true, Radians: true, CounterClockwise: true}
	e := setup(t, id, func(c *Config) { c.Boxes = conv })
	e.fake.Boxes, e.fake.CamelCase = conv, true
	res, err := e.client.Identify(context.Background(), doc, selfie)
	if err != nil {
		t.Fatal(err)
	}
	if !near(res.Face.PortraitBox.Corners, portrait.Corners) {
		t.Errorf("portrait %v, want %v", res.Face.PortraitBox.Corners, portrait.Corners)
	}
	if res.Outcome != vendors.OutcomeReview || *res.Face.LivenessFine {
		t.Errorf("not live: %s", res.Outcome)
	}
	if !strings.Contains(string(res.Body), `"leftEyeClosed"`) || res.Extra["face.quality.left_eye_closed"] == "" {
		t.Errorf("camel case not read: %s / %v", res.Body, res.Extra)
	}
}

func TestErrorFromSubjectEachCode(t *testing.T) {
	doc, selfie := jpg(t, 100, 100, color.Gray{1}), jpg(t, 100, 100, color.Gray{2})
	for _, code := range Codes() {
		e := setup(t, identifier(map[string]vendors.Subject{hash(doc): {Errors: map[vendors.Name]string{vendors.OOTO: fmt.Sprint(code)}}}), nil)
		_, err := e.client.Identify(context.Background(), doc, selfie)
		var ve *vendors.Error
		want, _ := Meaning(fmt.Sprint(code))
		if !errors.As(err, &ve) || ve.Kind != vendors.Business || ve.Code != fmt.Sprint(code) || ve.Message != want || ve.HTTPStatus != 400 {
			t.Errorf("code %d: %v", code, err)
			continue
		}
		c := e.rec.all()[0]
		if c.VendorCode != fmt.Sprint(code) || c.Meaning != want || !strings.Contains(string(c.Body), `"status":"error"`) {
			t.Errorf("code %d: call %+v", code, c)
		}
	}
}

func TestFakeImageChecks(t *testing.T) {
	fake := NewFake("a", "k", nil)
	good := jpg(t, 20, 20, color.Black)
	type part struct {
		name, filename, ct string
		data               []byte
	}
	send := func(parts ...part) (int, string) {
		var buf bytes.Buffer
		w := newMultipart(&buf)
		for _, p := range parts {
			w.file(p.name, p.filename, p.ct, p.data)
		}
		ct := w.close()
		r := httptest.NewRequest("POST", "/api/v1.0/doc/identify", &buf)
		r.Header.Set("Content-Type", ct)
		r.Header.Set("APP-ID", "a")
		r.Header.Set("APP-KEY", "k")
		rw := httptest.NewRecorder()
		fake.ServeHTTP(rw, r)
		return rw.Code, rw.Body.String()
	}
	tests := []struct {
		name  string
		parts []part
		code  int
	}{
		{"no selfie", []part{{"doc", "d.jpg", "image/jpeg", good}}, 1},
		{"misspelt doc", []part{{"document", "d.jpg", "image/jpeg", good}, {"selfie", "s.jpg", "image/jpeg", good}}, 1},
		{"doc as text", []part{{"doc", "", "", good}, {"selfie", "s.jpg", "image/jpeg", good}}, 1},
		{"octet-stream", []part{{"doc", "d.jpg", "application/octet-stream", good}, {"selfie", "s.jpg", "image/jpeg", good}}, 2},
		{"declared PNG, is JPEG", []part{{"doc", "d.png", "image/png", good}, {"selfie", "s.jpg", "image/jpeg", good}}, 2},
		{"empty", []part{{"doc", "d.jpg", "image/jpeg", nil}, {"selfie", "s.jpg", "image/jpeg", good}}, 3},
		{"garbage", []part{{"doc", "d.jpg", "image/jpeg", []byte("not an image")}, {"selfie", "s.jpg", "image/jpeg", good}}, 4},
	}
	for _, tt := range tests {
		st, body := send(tt.parts...)
		if st != 400 || !strings.Contains(body, fmt.Sprintf(`"code":%d,`, tt.code)) || !strings.Contains(body, `"status":"error"`) {
			t.Errorf("%s: %d %s", tt.name, st, body)
		}
	}
	if st, _ := send(part{"doc", "d.jpg", "image/jpeg", good}, part{"selfie", "s.jpg", "image/jpeg", good}); st != 200 {
		t.Errorf("good request: %d", st)
	}
}

func TestAuthFailures(t *testing.T) {
	doc := jpg(t, 20, 20, color.Black)
	for name, tweak := range map[string]func(*Config){
		"wrong key": func(c *Config) { c.AppKey = "nope" }, "wrong id": func(c *Config) { c.AppID = "nope" },
	} {
		e := setup(t, nil, tweak)
		_, err := e.client.Identify(context.Background(), doc, doc)
		var ve *vendors.Error
		if !errors.As(err, &ve) || ve.Kind != vendors.Auth || ve.HTTPStatus != 403 {
			t.Errorf("%s: %v", name, err)
		}
		if err := e.client.TestConnection(context.Background()); !errors.As(err, &ve) || ve.Kind != vendors.Auth {
			t.Errorf("%s: test connection %v", name, err)
		}
	}
	// Missing headers: the fake answers 401.
	r := httptest.NewRequest("POST", "/api/v1.0/doc/identify", nil)
	rw := httptest.NewRecorder()
	NewFake("a", "k", nil).ServeHTTP(rw, r)
	if rw.Code != 401 {
		t.Errorf("no headers: %d", rw.Code)
	}
	if _, err := interpret(&http.Response{StatusCode: 401}, rw.Body.Bytes(), BoxConvention{}); err == nil || err.Kind != vendors.Auth {
		t.Errorf("401 read as %v", err)
	}
}

func TestTestConnection(t *testing.T) {
	// A working engine matches nothing on grey squares: whatever it answers, 200 or a refusal,
	// the credentials were accepted.
	e := setup(t, nil, nil)
	if err := e.client.TestConnection(context.Background()); err != nil {
		t.Errorf("200: %v", err)
	}
	refuse := func([]byte) (vendors.Subject, bool) {
		return vendors.Subject{Errors: map[vendors.Name]string{vendors.OOTO: "5"}}, true
	}
	e = setup(t, refuse, nil)
	if err := e.client.TestConnection(context.Background()); err != nil {
		t.Errorf("refusal: %v", err)
	}
	e = setup(t, nil, func(c *Config) { c.Path = "/api/v9/nothing" })
	var ve *vendors.Error
	if err := e.client.TestConnection(context.Background()); !errors.As(err, &ve) || ve.Kind != vendors.Invalid || ve.HTTPStatus != 404 {
		t.Errorf("wrong path: %v", err)
	}
	e = setup(t, nil, nil)
	e.fake.Faults.Inject(vendors.Fault{Kind: vendors.FaultStatus, Status: 503})
	if err := e.client.TestConnection(context.Background()); !vendors.Retryable(err) {
		t.Errorf("503: %v", err)
	}
}

func TestConcurrencyLimit(t *testing.T) {
	e := setup(t, nil, func(c *Config) { c.Concurrency = 3 })
	e.fake.Faults.Inject(vendors.Fault{Kind: vendors.FaultDelay, Delay: 150 * time.Millisecond, Count: 12})
	doc := jpg(t, 20, 20, color.Black)
	var wg sync.WaitGroup
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.client.Identify(context.Background(), doc, doc); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := e.fake.MaxInFlight(); got != 3 {
		t.Errorf("max in flight at the vendor %d, want 3", got)
	}
	// A call waiting for its turn gives up with its context.
	e.fake.Faults.Inject(vendors.Fault{Kind: vendors.FaultDelay, Delay: time.Second, Count: 3})
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = e.client.Identify(context.Background(), doc, doc) }()
	}
	time.Sleep(100 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := e.client.Identify(ctx, doc, doc); !vendors.Retryable(err) {
		t.Errorf("waiting call: %v", err)
	}
	wg.Wait()
}

func TestTransientFailures(t *testing.T) {
	doc := jpg(t, 20, 20, color.Black)
	tests := map[string]vendors.Fault{
		"503":       {Kind: vendors.FaultStatus, Status: 503},
		"429":       {Kind: vendors.FaultStatus, Status: 429, RetryAfter: "3"},
		"timeout":   {Kind: vendors.FaultDelay, Delay: 2 * time.Second},
		"slow body": {Kind: vendors.FaultSlowBody, Delay: 3 * time.Second},
		"hang-up":   {Kind: vendors.FaultHangup},
		"malformed": {Kind: vendors.FaultMalformed},
		"truncated": {Kind: vendors.FaultTruncated},
		"html":      {Kind: vendors.FaultContentType},
		"oversized": {Kind: vendors.FaultHuge, Size: vendors.MaxBody + 1},
	}
	for name, ft := range tests {
		e := setup(t, nil, func(c *Config) { c.ConnectTimeout, c.ReadTimeout = 100*time.Millisecond, 400*time.Millisecond })
		e.fake.Faults.Inject(ft)
		_, err := e.client.Identify(context.Background(), doc, doc)
		var ve *vendors.Error
		if !errors.As(err, &ve) || ve.Kind != vendors.Transient {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if name == "429" && ve.RetryAfter != 3*time.Second {
			t.Errorf("retry after %v", ve.RetryAfter)
		}
		if c := e.rec.all(); len(c) != 1 || c[0].Meaning == "" {
			t.Errorf("%s: calls %+v", name, c)
		}
	}
}

// TestReadTimeoutCoversTheBody: an answer whose headers come at once and whose body trickles is
// cut at ReadTimeout, not left to run until the overall deadline (connect + read).
func TestReadTimeoutCoversTheBody(t *testing.T) {
	doc := jpg(t, 20, 20, color.Black)
	e := setup(t, nil, func(c *Config) { c.ConnectTimeout, c.ReadTimeout = 10*time.Second, 200*time.Millisecond })
	e.fake.Faults.Inject(vendors.Fault{Kind: vendors.FaultSlowBody, Delay: 2 * time.Second})
	_, err := e.client.Identify(context.Background(), doc, doc)
	var ve *vendors.Error
	if !errors.As(err, &ve) || ve.Kind != vendors.Transient || ve.Message != "The vendor did not answer in time." {
		t.Fatalf("slow body: %v", err)
	}
	if c := e.rec.all(); len(c) != 1 || c[0].Meaning != ve.Message {
		t.Errorf("calls %+v", c)
	}
}

func TestWithAttempt(t *testing.T) {
	e := setup(t, nil, nil)
	doc := jpg(t, 20, 20, color.Black)
	if _, err := e.client.Identify(WithAttempt(context.Background(), 4), doc, doc); err != nil {
		t.Fatal(err)
	}
	if c := e.rec.all(); c[0].Attempt != 4 {
		t.Errorf("attempt %d", c[0].Attempt)
	}
}
