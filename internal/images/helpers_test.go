package images

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"strconv"
	"testing"
)

// Colours of the four quadrants of quadImage, far enough apart to survive
// JPEG compression and scaling.
var (
	red   = color.RGBA{220, 20, 20, 255}
	green = color.RGBA{20, 200, 20, 255}
	blue  = color.RGBA{20, 20, 220, 255}
	white = color.RGBA{250, 250, 250, 255}
)

// quadImage is w × h with red, green, blue and white quadrants (top left,
// top right, bottom left, bottom right), so any turn or mirror shows.
func quadImage(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := red
			switch {
			case x >= w/2 && y < h/2:
				c = green
			case x < w/2 && y >= h/2:
				c = blue
			case x >= w/2 && y >= h/2:
				c = white
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// photoImage looks like a photo to an encoder: smooth gradients plus noise,
// so JPEG sizes and decode times are realistic.
func photoImage(w, h int, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 7))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			n := uint8(rng.IntN(24))
			img.SetRGBA(x, y, color.RGBA{
				R: uint8(x*200/w) + n,
				G: uint8(y*200/h) + n,
				B: uint8((x+y)*100/(w+h)) + n,
				A: 255,
			})
		}
	}
	return img
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodeJPEGT(t testing.TB, img image.Image, q int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// byteOrder reads and appends.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// tiffOrientationBlock is a minimal EXIF TIFF block: IFD0 with only the
// Orientation tag (SHORT, count 1).
func tiffOrientationBlock(bo byteOrder, orientation uint16) []byte {
	b := make([]byte, 0, 26)
	if bo == binary.LittleEndian {
		b = append(b, 'I', 'I')
	} else {
		b = append(b, 'M', 'M')
	}
	b = bo.AppendUint16(b, 42)
	b = bo.AppendUint32(b, 8)     // IFD0 offset
	b = bo.AppendUint16(b, 1)     // one entry
	b = bo.AppendUint16(b, 0x112) // Orientation
	b = bo.AppendUint16(b, 3)     // SHORT
	b = bo.AppendUint32(b, 1)     // count
	b = bo.AppendUint16(b, orientation)
	b = bo.AppendUint16(b, 0) // padding of the 4-byte value field
	b = bo.AppendUint32(b, 0) // no next IFD
	return b
}

// withAPP1 inserts an APP1 segment "Exif\0\0"+tiff right after the SOI.
func withAPP1(jpg, tiff []byte) []byte {
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1}
	seg = binary.BigEndian.AppendUint16(seg, uint16(len(payload)+2))
	seg = append(seg, payload...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// pngChunk encodes one PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, typ...)
	c = append(c, data...)
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	return binary.BigEndian.AppendUint32(c, crc.Sum32())
}

// pngInsertAfterIHDR inserts chunks between IHDR and the rest of a PNG.
func pngInsertAfterIHDR(p []byte, chunks ...[]byte) []byte {
	const ihdrEnd = 8 + 8 + 13 + 4
	out := append([]byte{}, p[:ihdrEnd]...)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return append(out, p[ihdrEnd:]...)
}

// pngBomb is a complete, tiny PNG whose header declares w × h pixels: a
// valid IHDR (correct CRC), one small IDAT and IEND. Decoding it would
// allocate w × h × 4 bytes before noticing the data is short.
func pngBomb(w, h uint32) []byte { return pngBombOf(w, h, 8) }

// pngBombOf is pngBomb with depth bits per RGBA sample (8 or 16).
func pngBombOf(w, h uint32, depth byte) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, depth, 6, 0, 0, 0) // RGBA, deflate, no filter, no interlace
	// A short zlib stream of zeros, as a bomb would carry.
	idat := []byte{0x78, 0x9c, 0x63, 0x60, 0x18, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01}
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, pngChunk("IHDR", ihdr)...)
	out = append(out, pngChunk("IDAT", idat)...)
	return append(out, pngChunk("IEND", nil)...)
}

// jpegSegments lists the markers of a JPEG up to the first scan.
func jpegSegments(t testing.TB, jpg []byte) []byte {
	t.Helper()
	if len(jpg) < 2 || jpg[0] != 0xFF || jpg[1] != 0xD8 {
		t.Fatalf("not a JPEG: % x", jpg[:min(len(jpg), 4)])
	}
	var markers []byte
	for i := 2; i+4 <= len(jpg); {
		if jpg[i] != 0xFF {
			t.Fatalf("bad marker at %d", i)
		}
		m := jpg[i+1]
		markers = append(markers, m)
		if m == 0xDA {
			return markers
		}
		i += 2 + int(binary.BigEndian.Uint16(jpg[i+2:]))
	}
	t.Fatal("no scan found")
	return nil
}

// assertNoMetadata fails if a derived JPEG holds any APPn or COM segment.
func assertNoMetadata(t testing.TB, what string, jpg []byte) {
	t.Helper()
	for _, m := range jpegSegments(t, jpg) {
		if (m >= 0xE0 && m <= 0xEF) || m == 0xFE {
			t.Errorf("%s carries segment FF %02X; derived images must have no metadata", what, m)
		}
	}
}

func zipWith(t testing.TB, name string, content []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decodeJPEGT(t testing.TB, what string, b []byte) image.Image {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s does not decode as JPEG: %v", what, err)
	}
	return img
}

// near reports whether c is within tol of want in each channel.
func near(c color.Color, want color.RGBA, tol int) bool {
	r, g, b, _ := c.RGBA()
	d := func(a uint32, b uint8) bool {
		v := int(a>>8) - int(b)
		return v >= -tol && v <= tol
	}
	return d(r, want.R) && d(g, want.G) && d(b, want.B)
}

const minimalPDF = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" +
	"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n" +
	"trailer\n<< /Root 1 0 R >>\n%%EOF\n"

// activePDFWith is minimalPDF with an /OpenAction dictionary, as it is or inside a Flate stream.
func activePDFWith(action string, compressed bool) string {
	obj := action
	if compressed {
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		_, _ = zw.Write([]byte("3 0 " + action))
		_ = zw.Close()
		obj = "<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length " + strconv.Itoa(z.Len()) + " >>\nstream\n" + z.String() + "\nendstream"
	}
	return "%PDF-1.5\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >>\nendobj\n" +
		"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n" +
		"4 0 obj\n" + obj + "\nendobj\n" +
		"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
}

// progressiveJPEGHeader is the start of a progressive (SOF2) YCbCr JPEG of w × h, up to an empty
// first scan: enough for its header to be read, not to decode.
func progressiveJPEGHeader(w, h uint16) []byte {
	sof := []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0}
	out := []byte{0xFF, 0xD8, 0xFF, 0xC2, 0, byte(2 + len(sof))}
	out = append(out, sof...)
	return append(out, 0xFF, 0xDA, 0, 12, 3, 1, 0, 2, 0, 3, 0, 0, 63, 0, 0xFF, 0xD9)
}
