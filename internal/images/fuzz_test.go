package images

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"image/jpeg"
	"testing"
)

// FuzzProcess: Process never panics, every refusal is a *RejectError, and
// whatever it accepts is within the limits and self-consistent. The seeds
// in testdata/fuzz/FuzzProcess cover a PNG, a JPEG with EXIF, a PNG bomb
// header, hostile EXIF and a PDF; more are added here.
func FuzzProcess(f *testing.F) {
	f.Add(encodePNG(f, quadImage(6, 4)))
	f.Add(withAPP1(encodeJPEGT(f, quadImage(8, 8), 80), tiffOrientationBlock(binary.LittleEndian, 6)))
	f.Add(pngBomb(3000, 3000))
	f.Add([]byte(minimalPDF))

	// A small shortest side, so the seeds' small images still reach decoding.
	lim := Limits{MaxBytes: 1 << 20, MaxPixels: 1 << 20, MinSide: 4, AllowPDF: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		up, err := Process("fuzz.bin", data, lim)
		if err != nil {
			var re *RejectError
			if !errors.As(err, &re) {
				t.Fatalf("error is %T, not *RejectError: %v", err, err)
			}
			if re.File == "" || re.Reason == "" || re.Code == "" {
				t.Fatalf("incomplete RejectError %+v", re)
			}
			return
		}
		sum := sha256.Sum256(data)
		if up.SHA256 != hex.EncodeToString(sum[:]) || up.Size != int64(len(data)) || !bytes.Equal(up.Original, data) {
			t.Fatal("hash, size or original do not match the input")
		}
		if up.ContentType == TypePDF {
			if up.Display != nil || up.Thumb != nil || up.Width != 0 || up.Height != 0 {
				t.Fatal("PDF with derived images or dimensions")
			}
			return
		}
		if up.ContentType != TypeJPEG && up.ContentType != TypePNG {
			t.Fatalf("accepted %q", up.ContentType)
		}
		if int64(up.Width)*int64(up.Height) > lim.MaxPixels || min(up.Width, up.Height) < lim.MinSide {
			t.Fatalf("accepted %d × %d with a %d pixel limit and a %d pixel shortest side", up.Width, up.Height, lim.MaxPixels, lim.MinSide)
		}
		if up.Orientation < 1 || up.Orientation > 8 {
			t.Fatalf("orientation %d", up.Orientation)
		}
		for _, b := range [][]byte{up.Display, up.Thumb} {
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("derived image does not decode: %v", err)
			}
			if max(cfg.Width, cfg.Height) > DisplayMaxSide || cfg.Width > up.Width || cfg.Height > up.Height {
				t.Fatalf("derived image %dx%d for %dx%d", cfg.Width, cfg.Height, up.Width, up.Height)
			}
		}
	})
}

// BenchmarkProcess measures a typical phone photo: a 3000 × 2000 JPEG.
func BenchmarkProcess(b *testing.B) {
	data := encodeJPEGT(b, photoImage(3000, 2000, 9), 90)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Process("photo.jpg", data, DefaultLimits()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDerive isolates scaling and turning from decoding.
func BenchmarkDerive(b *testing.B) {
	img, err := jpeg.Decode(bytes.NewReader(encodeJPEGT(b, photoImage(3000, 2000, 9), 90)))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		d := derive(img, 6, DisplayMaxSide)
		_ = shrink(d, ThumbMaxSide)
	}
}
