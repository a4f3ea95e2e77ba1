package argos

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"math"
	"testing"

	"kycdesk/internal/vendors"
)

func TestSniff(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"jpeg", encodeJPEG(t, plain(8, 8), 80), "jpeg"},
		{"png", encodePNG(t, plain(8, 8)), "png"},
		{"bmp header", append([]byte("BM"), make([]byte, 60)...), "bmp"},
		{"gif", encodeGIF(t, plain(8, 8)), ""},
		{"pdf", []byte("%PDF-1.7\n..."), ""},
		{"empty", nil, ""},
		{"short", []byte{0xFF, 0xD8}, ""},
	}
	for _, tt := range tests {
		if got := sniff(tt.b); got != tt.want {
			t.Errorf("%s: sniff = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestPrepareImage(t *testing.T) {
	small := smallJPEG(t)
	p, err := prepareImage(small, DefaultMaxImageBytes)
	if err != nil || !bytes.Equal(p.data, small) || p.reencoded || p.scale != (Scale{1, 1}) || p.width != 140 {
		t.Errorf("a small JPEG must go as is: %+v %v", p.info("front"), err)
	}

	// A format Argos does not take is re-encoded as JPEG at full size.
	p, err = prepareImage(encodeGIF(t, plain(300, 200)), DefaultMaxImageBytes)
	if err != nil || p.format != "jpeg" || sniff(p.data) != "jpeg" || !p.reencoded || p.scale != (Scale{1, 1}) {
		t.Errorf("gif: %+v %v", p.info("front"), err)
	}

	// A PNG over the limit is shrunk.
	big := encodePNG(t, noise(1500, 1000))
	p, err = prepareImage(big, 300_000)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.data) > 300_000 || p.format != "jpeg" || p.scale.X <= 1 || p.width >= 1500 {
		t.Errorf("shrunk: %+v scale %+v", p.info("front"), p.scale)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(p.data))
	if err != nil || cfg.Width != p.width || cfg.Height != p.height {
		t.Errorf("reported size %dx%d, actual %+v %v", p.width, p.height, cfg, err)
	}
	if math.Abs(float64(p.width)*p.scale.X-1500) > 0.001 || math.Abs(float64(p.height)*p.scale.Y-1000) > 0.001 {
		t.Errorf("scale %+v does not map %dx%d back to 1500x1000", p.scale, p.width, p.height)
	}

	if _, err := prepareImage([]byte("GIF89a garbage"), DefaultMaxImageBytes); err == nil {
		t.Error("an undecodable image must be refused")
	}
}

// A 5 MB photo is sent under the limit, and the boxes Argos returns on the smaller image come
// back in the photo's own pixels. The photo is noise, so that JPEG at full size cannot fit and
// the client must shrink it.
func TestDownscaleKeepsBoxesInOriginalPixels(t *testing.T) {
	sub := specimen()
	sub.Width, sub.Height = 1900, 1400
	photo := encodeJPEG(t, noise(sub.Width, sub.Height), 100)
	if len(photo) < 5_000_000 {
		t.Fatalf("test photo is only %d bytes", len(photo))
	}
	f, c, _ := fakeServer(t, always(sub))
	rec, err := c.Recognize(ctx(t), Request{Front: photo, IssuingCountry: "UTO", IDType: "passport"})
	if err != nil {
		t.Fatal(err)
	}

	reqs := f.Requests()
	var body struct{ IDImage string }
	if err := json.Unmarshal(reqs[len(reqs)-1].Body, &body); err != nil {
		t.Fatal(err)
	}
	sent, err := base64.StdEncoding.DecodeString(body.IDImage)
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) > DefaultMaxImageBytes || sniff(sent) != "jpeg" {
		t.Fatalf("sent %d bytes of %q", len(sent), sniff(sent))
	}
	cfg, _, _ := image.DecodeConfig(bytes.NewReader(sent))
	if cfg.Width >= sub.Width || rec.Scale.X <= 1 || !rec.Sent[0].Reencoded {
		t.Fatalf("sent %dx%d, scale %+v", cfg.Width, cfg.Height, rec.Scale)
	}

	// The fake rounds to whole pixels on the small image: allow that, magnified.
	tol := math.Ceil(rec.Scale.X) + 1
	for name, want := range sub.Boxes {
		f := fieldOf(*rec.Result, name)
		if f == nil || f.Box == nil {
			t.Errorf("%s: no box", name)
			continue
		}
		for i, p := range f.Box.Corners {
			if math.Abs(p.X-want.Corners[i].X) > tol || math.Abs(p.Y-want.Corners[i].Y) > tol {
				t.Errorf("%s corner %d = %+v, want %+v (±%v)", name, i, p, want.Corners[i], tol)
			}
		}
	}
	if f := fieldOf(*rec.Result, vendors.Surname); f == nil || f.Value != "ERIKSSON" {
		t.Errorf("surname %+v", f)
	}
}
