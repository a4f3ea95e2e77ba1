package argos

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"kycdesk/internal/vendors"
)

const testKey = "test-key-123"

// rect is a box with corners clockwise from top-left.
func rect(x0, y0, x1, y1 float64) vendors.Box {
	return vendors.Box{Side: "front", Corners: [4]vendors.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}}
}

// specimen is the ICAO "Utopia" passport holder as a fake's Subject, drawn on a 1400×1000 image.
func specimen() vendors.Subject {
	return vendors.Subject{
		Surname: "ERIKSSON", GivenNames: "ANNA MARIA", DateOfBirth: "1974-08-12", Sex: "F", Nationality: "UTO",
		DocumentNumber: "L898902C3", PersonalNumber: "ZE184226B", IssueDate: "2002-04-16", ExpiryDate: "2012-04-15",
		IssuingCountry: "UTO", DocumentType: "passport",
		MRZ: []string{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"},
		Boxes: map[vendors.FieldName]vendors.Box{
			vendors.Surname:        rect(500, 150, 900, 200),
			vendors.GivenNames:     rect(500, 230, 1000, 280),
			vendors.DateOfBirth:    rect(500, 310, 800, 360),
			vendors.DocumentNumber: rect(1000, 80, 1350, 130),
			vendors.ExpiryDate:     rect(500, 470, 800, 520),
			vendors.MRZLine1:       rect(40, 860, 1360, 910),
			vendors.MRZLine2:       rect(40, 920, 1360, 970),
		},
		Width: 1400, Height: 1000,
	}
}

// always is an Identifier that reads sub off any image.
func always(sub vendors.Subject) vendors.Identifier {
	return func([]byte) (vendors.Subject, bool) { return sub, true }
}

func encodeJPEG(t testing.TB, img image.Image, q int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeGIF(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gif.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// plain is a w×h image with a gradient, small when encoded.
func plain(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	return img
}

// noise is a w×h opaque image of random pixels: it does not compress, so it makes large files.
func noise(w, h int) image.Image {
	r := rand.New(rand.NewPCG(1, 2))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		v := r.Uint32()
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(v), uint8(v>>8), uint8(v>>16), 255
	}
	return img
}

func smallJPEG(t testing.TB) []byte { return encodeJPEG(t, plain(140, 100), 85) }

// recorder collects vendor calls.
type recorder struct {
	mu    sync.Mutex
	calls []vendors.Call
}

func (r *recorder) RecordCall(_ context.Context, c vendors.Call) {
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
}

func (r *recorder) all() []vendors.Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]vendors.Call(nil), r.calls...)
}

// fakeServer starts a Fake behind httptest and a client for it.
func fakeServer(t *testing.T, id vendors.Identifier) (*Fake, *Client, *recorder) {
	t.Helper()
	f := NewFake(testKey, id)
	srv := httptest.NewServer(f)
	t.Cleanup(func() { f.Close(); srv.Close() })
	rec := &recorder{}
	c, err := New(Config{BaseURL: srv.URL, APIKey: testKey, Timeout: 5 * time.Second}, srv.Client(), rec)
	if err != nil {
		t.Fatal(err)
	}
	return f, c, rec
}

// stubServer answers every request with handler and returns a client for it.
func stubServer(t *testing.T, handler http.HandlerFunc) (*Client, *recorder) {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	rec := &recorder{}
	c, err := New(Config{BaseURL: srv.URL, APIKey: testKey, Timeout: 2 * time.Second}, srv.Client(), rec)
	if err != nil {
		t.Fatal(err)
	}
	return c, rec
}

func sampleBody(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/sample_response.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func ptr[T any](v T) *T { return &v }

// sentCallbacks waits until the fake has recorded n callbacks (it records after the receiver
// answered, so a test that saw the callback arrive may be a moment early) and returns them.
func sentCallbacks(t *testing.T, f *Fake, n int) []SentCallback {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(f.Callbacks()) < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	return f.Callbacks()
}
