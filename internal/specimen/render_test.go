package specimen

import (
	"fmt"
	"image"
	"os"
	"path/filepath"
	"testing"
)

// TestRenderPNG writes one specimen of each kind as PNG, to $SPECIMEN_OUT when set (to look at
// them) or to a temporary directory, and checks the encoded sizes stay within vendor limits.
func TestRenderPNG(t *testing.T) {
	dir := os.Getenv("SPECIMEN_OUT")
	if dir == "" {
		dir = t.TempDir()
	}
	for _, tc := range []struct {
		name string
		seed uint64
		opts Options
	}{
		{"passport", 15, Options{}},
		{"passport_sgp", 1, Options{}},
		{"national_id", 11, Options{DocumentType: NationalID}},
		{"national_id_deu", 2, Options{DocumentType: NationalID}},
		{"other_face", 1, Options{Scenario: FaceMismatch}},
	} {
		s := Generate(tc.seed, tc.opts)
		write := func(side string, jpg []byte) {
			if jpg == nil {
				return
			}
			if len(jpg) > 1<<20 {
				t.Errorf("%s %s is %d bytes, want under 1 MB", tc.name, side, len(jpg))
			}
			var pngBytes []byte
			var err error
			switch side {
			case "front":
				pngBytes, err = EncodePNG(s.FrontImage)
			case "back":
				pngBytes, err = EncodePNG(s.BackImage)
			case "selfie":
				pngBytes, err = EncodePNG(s.SelfieImage)
			}
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, fmt.Sprintf("%s_%s.png", tc.name, side))
			if err := os.WriteFile(p, pngBytes, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: JPEG %d bytes", p, len(jpg))
		}
		write("front", s.Front)
		write("back", s.Back)
		write("selfie", s.Selfie)
	}
}

// TestFaceSheet draws the portraits of many seeds side by side, to check the faces vary and look
// right; with SPECIMEN_OUT set the sheet is kept.
func TestFaceSheet(t *testing.T) {
	const n, cols, w, h = 16, 8, 150, 200
	cv := newCanvas(cols*w, (n+cols-1)/cols*h*2)
	for i := range n {
		p := newPerson(uint64(i+100), Options{})
		x, y := i%cols*w, i/cols*h*2
		drawPortrait(cv, image.Rect(x, y, x+w, y+h), p.face, [3]uint8{228, 233, 240}, [3]uint8{200, 208, 220})
		drawPortrait(cv, image.Rect(x, y+h, x+w, y+2*h), p.otherFace, [3]uint8{240, 228, 228}, [3]uint8{220, 200, 200})
		if p.face == p.otherFace {
			t.Errorf("seed %d: the other face is the same face", i+100)
		}
	}
	dir := os.Getenv("SPECIMEN_OUT")
	if dir == "" {
		return
	}
	b, err := EncodePNG(cv.img)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "faces.png"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}
