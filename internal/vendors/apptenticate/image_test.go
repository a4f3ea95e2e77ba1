package apptenticate

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"testing"
)

// noisePNG is an incompressible PNG of about w*h*3 bytes: the worst case for the re-encoder.
func noisePNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(r.IntN(256))
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func plainJPEG(t testing.TB, w, h int, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPrepareImageSmallJPEGUnchanged(t *testing.T) {
	in := plainJPEG(t, 640, 400, color.RGBA{10, 20, 30, 255})
	out, err := PrepareImage(in, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Data, in) || out.Scale != 1 || out.Quality != 0 || out.Width != 640 || out.Height != 400 {
		t.Errorf("small JPEG changed: scale %v quality %d %dx%d", out.Scale, out.Quality, out.Width, out.Height)
	}
}

func TestPrepareImagePNGBecomesJPEG(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 300, 200)) // fully transparent
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	out, err := PrepareImage(buf.Bytes(), 0)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := jpeg.Decode(bytes.NewReader(out.Data))
	if err != nil {
		t.Fatalf("not a JPEG: %v", err)
	}
	// Transparent pixels are flattened onto white, not black.
	if r, g, b, _ := dec.At(10, 10).RGBA(); r < 0xF000 || g < 0xF000 || b < 0xF000 {
		t.Errorf("transparent pixel became %v, want white", dec.At(10, 10))
	}
	if out.Scale != 1 || out.Quality != qualities[0] {
		t.Errorf("scale %v quality %d", out.Scale, out.Quality)
	}
}

func TestPrepareImageLargePNGDownscaled(t *testing.T) {
	in := noisePNG(t, 1400, 1000)
	if len(in) < 4_000_000 {
		t.Fatalf("fixture is only %d bytes", len(in))
	}
	// Noise defeats JPEG, so a limit of 500 kB needs downscaling after the quality ladder.
	const limit = 500_000
	out, err := PrepareImage(in, limit)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Data) >= limit {
		t.Fatalf("sent %d bytes", len(out.Data))
	}
	if out.Scale >= 1 || out.Width >= 1400 {
		t.Errorf("not downscaled: scale %v width %d", out.Scale, out.Width)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(out.Data))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != out.Width || cfg.Height != out.Height {
		t.Errorf("reported %dx%d, JPEG is %dx%d", out.Width, out.Height, cfg.Width, cfg.Height)
	}
	if out.OriginalWidth != 1400 || out.OriginalHeight != 1000 {
		t.Errorf("original %dx%d", out.OriginalWidth, out.OriginalHeight)
	}
	// Not cropped: the aspect ratio is kept, and Scale maps sent pixels back to the original.
	if got := float64(out.Width) / out.Scale; got < 1399 || got > 1401 {
		t.Errorf("width/scale = %v, want 1400", got)
	}
	if r := float64(out.Width) / float64(out.Height); r < 1.39 || r > 1.41 {
		t.Errorf("aspect ratio %v, want 1.4", r)
	}
}

func TestPrepareImageOversizedJPEGReencoded(t *testing.T) {
	img, _ := png.Decode(bytes.NewReader(noisePNG(t, 1200, 900)))
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	if buf.Len() < 1_000_000 {
		t.Fatalf("fixture only %d bytes", buf.Len())
	}
	out, err := PrepareImage(buf.Bytes(), 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Data) >= 1_000_000 || out.Quality == 0 {
		t.Errorf("sent %d bytes at quality %d", len(out.Data), out.Quality)
	}
}

func TestPrepareImageRefusals(t *testing.T) {
	tests := map[string][]byte{
		"empty":     nil,
		"gif":       []byte("GIF89a\x01\x00\x01\x00"),
		"text":      []byte("hello"),
		"bad jpeg":  {0xFF, 0xD8, 0xFF, 0xE0, 0, 0},
		"bad png":   []byte("\x89PNG\r\n\x1a\nnot really"),
		"too small": noisePNG(t, 330, 330), // cannot fit 1 kB without going under minSide
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := PrepareImage(in, 1000); err == nil {
				t.Error("accepted")
			}
		})
	}
}
