package images

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestProcessRejects(t *testing.T) {
	smallPNG := encodePNG(t, photoImage(400, 400, 1))
	jpg := encodeJPEGT(t, photoImage(480, 360, 2), 85)
	tiny := encodeJPEGT(t, photoImage(10, 10, 3), 85)
	strip := encodePNG(t, photoImage(2000, 319, 4))

	var gifBuf bytes.Buffer
	if err := gif.Encode(&gifBuf, quadImage(16, 16), nil); err != nil {
		t.Fatal(err)
	}
	apng := pngInsertAfterIHDR(encodePNG(t, quadImage(8, 8)),
		pngChunk("acTL", []byte{0, 0, 0, 1, 0, 0, 0, 0}))
	badCRC := append([]byte{}, smallPNG...)
	badCRC[len(badCRC)-20] ^= 0xFF // inside the last IDAT

	webp := []byte("RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00\x30\x01\x00\x9d\x01\x2a\x01\x00\x01\x00\x01\x40\x25\xa4\x00\x03\x70\x00\xfe\xfb\x94\x00\x00")

	tests := []struct {
		name     string
		file     string
		data     []byte
		lim      Limits
		code     RejectCode
		contains string
	}{
		{"zero bytes", "passport.jpg", nil, DefaultLimits(), RejectEmpty, "the file is empty"},
		{"too big", "selfie.png", smallPNG, Limits{MaxBytes: 1000}, RejectTooLarge, "more than the 1000 bytes limit"},
		{"html renamed jpg", "passport.jpg", []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"),
			DefaultLimits(), RejectType, "(it looks like text/html)"},
		{"gif", "front.gif", gifBuf.Bytes(), DefaultLimits(), RejectType, "(it looks like image/gif)"},
		{"gif renamed png", "front.png", gifBuf.Bytes(), DefaultLimits(), RejectType, "image/gif"},
		{"webp", "front.jpg", webp, DefaultLimits(), RejectType, "image/webp"},
		{"svg", "front.jpg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>`),
			DefaultLimits(), RejectType, "image/svg+xml"},
		{"elf executable", "id.jpg", append([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 64)...),
			DefaultLimits(), RejectType, "not a JPEG or PNG image"},
		{"windows executable", "id.png", append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00"), make([]byte, 128)...),
			DefaultLimits(), RejectType, "not a JPEG or PNG image"},
		{"zip holding a jpeg", "id.jpg", zipWith(t, "id.jpg", jpg), DefaultLimits(), RejectType, "application/zip"},
		{"animated png", "selfie.png", apng, DefaultLimits(), RejectAnimated, "animated PNG"},
		{"png bomb header", "bomb.png", pngBomb(50000, 50000), DefaultLimits(), RejectTooManyPixels,
			"the image is 50000 × 50000 pixels (2500 megapixels), more than the 40 megapixel limit"},
		{"over a small pixel limit", "front.png", smallPNG, Limits{MaxPixels: 5000}, RejectTooManyPixels, "400 × 400 pixels"},
		// Under the pixel limit, but 8 bytes a pixel: 305 MB to decode from a few hundred bytes.
		{"16-bit png bomb", "bomb.png", pngBombOf(6320, 6320, 16), DefaultLimits(), RejectTooManyPixels,
			"the image is 6320 × 6320 pixels and would take 304.7 MB of memory to read, more than the 256 MB limit"},
		{"progressive jpeg of 20 megapixels", "front.jpg", progressiveJPEGHeader(5000, 4000), DefaultLimits(), RejectTooManyPixels,
			"5000 × 4000 pixels and would take 286.1 MB"},
		// Too small to read, however many bytes: refused from the header, before decoding.
		{"10 × 10 selfie", "selfie.jpg", tiny, DefaultLimits(), RejectTooSmall,
			"the image is 10 × 10 pixels; an image must be at least 320 pixels on its shortest side"},
		{"a long thin strip", "front.png", strip, DefaultLimits(), RejectTooSmall, "2000 × 319 pixels"},
		{"under a larger minimum", "front.jpg", jpg, Limits{MinSide: 400}, RejectTooSmall, "at least 400 pixels on its shortest side"},
		{"tiny in a damaged file", "front.png", pngBomb(10, 10), DefaultLimits(), RejectTooSmall, "10 × 10 pixels"},
		{"png with zero width", "front.png", pngBomb(0, 10), DefaultLimits(), RejectDamaged, "damaged or incomplete"},
		{"truncated jpeg", "front.jpg", jpg[:len(jpg)/2], DefaultLimits(), RejectDamaged, "the JPEG image is damaged or incomplete"},
		{"jpeg without its end", "front.jpg", jpg[:len(jpg)-2], DefaultLimits(), RejectDamaged, "damaged or incomplete"},
		{"truncated png", "front.png", smallPNG[:len(smallPNG)-30], DefaultLimits(), RejectDamaged, "the PNG image is damaged or incomplete"},
		{"png with a bad checksum", "front.png", badCRC, DefaultLimits(), RejectDamaged, "damaged"},
		{"jpeg magic then html", "front.jpg", []byte("\xff\xd8\xff\xe0<html><script>alert(1)</script></html>"),
			DefaultLimits(), RejectDamaged, "damaged or incomplete"},
		{"jpeg header then html", "front.jpg", append(append([]byte{}, jpg[:200]...), "<html><body>hi</body></html>"...),
			DefaultLimits(), RejectDamaged, "damaged or incomplete"},
		{"pdf not allowed", "statement.pdf", []byte(minimalPDF), DefaultLimits(), RejectPDF, "PDF files are not accepted"},
		{"pdf without end marker", "statement.pdf", []byte(minimalPDF[:len(minimalPDF)-7]),
			Limits{AllowPDF: true}, RejectDamagedPDF, "incomplete"},
		{"pdf header not at the start", "statement.pdf", []byte("\n" + minimalPDF),
			Limits{AllowPDF: true}, RejectDamagedPDF, "does not start with a PDF header"},
		{"pdf with javascript", "statement.pdf", []byte(activePDFWith("<< /S /JavaScript /JS (app.alert(1)) >>", false)),
			Limits{AllowPDF: true}, RejectDamagedPDF, "active content (/JavaScript"},
		{"pdf with an escaped name", "statement.pdf", []byte(activePDFWith("<< /S /J#61vaScript >>", false)),
			Limits{AllowPDF: true}, RejectDamagedPDF, "active content (/JavaScript"},
		{"pdf launching a program", "statement.pdf", []byte(activePDFWith("<< /S /Launch /F (calc.exe) >>", false)),
			Limits{AllowPDF: true}, RejectDamagedPDF, "active content (/Launch"},
		{"pdf with javascript in a compressed object stream", "statement.pdf", []byte(activePDFWith("<< /S /JavaScript /JS (app.alert(1)) >>", true)),
			Limits{AllowPDF: true}, RejectDamagedPDF, "active content (/JavaScript"},
		{"html with pdf allowed", "x.pdf", []byte("<html></html>"), Limits{AllowPDF: true}, RejectType,
			"not a JPEG or PNG image or a PDF (it looks like text/html)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up, err := Process(tt.file, tt.data, tt.lim)
			if err == nil {
				t.Fatalf("accepted (%s %dx%d), want refusal %s", up.ContentType, up.Width, up.Height, tt.code)
			}
			var re *RejectError
			if !errors.As(err, &re) {
				t.Fatalf("error %T %v is not a *RejectError", err, err)
			}
			if re.Code != tt.code {
				t.Errorf("Code = %s, want %s (%v)", re.Code, tt.code, err)
			}
			if !strings.Contains(re.Reason, tt.contains) {
				t.Errorf("Reason %q does not contain %q", re.Reason, tt.contains)
			}
			if want := SanitizeName(tt.file) + ": "; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("Error() %q does not start with %q", err.Error(), want)
			}
		})
	}
}

func TestRejectErrorWording(t *testing.T) {
	_, err := Process("C:\\Users\\ana\\passport.jpg", []byte("<html><body>x</body></html>"), DefaultLimits())
	if got, want := err.Error(), "passport.jpg: the file is not a JPEG or PNG image (it looks like text/html)"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	_, err = Process("C:\\fakepath\\selfie.jpg", encodeJPEGT(t, photoImage(10, 10, 1), 90), DefaultLimits())
	if got, want := err.Error(), "selfie.jpg: the image is 10 × 10 pixels; an image must be at least 320 pixels on its shortest side"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	_, err = Process("../../etc/passwd", nil, DefaultLimits())
	if got, want := err.Error(), "passwd: the file is empty"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	big := make([]byte, 12_900_000)
	copy(big, "\xff\xd8\xff")
	_, err = Process("scan.jpg", big, DefaultLimits())
	if got, want := err.Error(), "scan.jpg: the file is 12.3 MB, more than the 10 MB limit"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestPNGBombAllocatesNothing proves the pixel budget is checked from the
// header: decoding 50000 × 50000 RGBA would need 10 GB.
func TestPNGBombAllocatesNothing(t *testing.T) {
	bomb := pngBomb(50000, 50000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Process("bomb.png", bomb, DefaultLimits())
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("bomb accepted")
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("refusing the bomb allocated %d bytes", n)
	}
}

// Decodings share DecodeBudget: an upload waits for its share, and gives up when its request
// ends meanwhile, with the request's error rather than a refusal of the file.
func TestDecodingWaitsForItsShareOfTheBudget(t *testing.T) {
	if !decoding.TryAcquire(DecodeBudget) {
		t.Fatal("the budget is in use")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := ProcessContext(ctx, "front.png", encodePNG(t, quadImage(400, 400)), DefaultLimits())
	var re *RejectError
	if !errors.Is(err, context.DeadlineExceeded) || errors.As(err, &re) {
		t.Errorf("with the budget taken: %v, want the context's deadline", err)
	}
	decoding.Release(DecodeBudget)
	if _, err := ProcessContext(context.Background(), "front.png", encodePNG(t, quadImage(400, 400)), DefaultLimits()); err != nil {
		t.Errorf("with the budget free: %v", err)
	}
	// The share is given back: the whole budget is free again.
	if !decoding.TryAcquire(DecodeBudget) {
		t.Fatal("a decoding kept its share")
	}
	decoding.Release(DecodeBudget)
}

func TestProcessAccepts(t *testing.T) {
	jpg := encodeJPEGT(t, photoImage(640, 480, 3), 90)
	opaquePNG := encodePNG(t, photoImage(480, 320, 4))

	// Fully transparent left half: a JPEG has no alpha, and transparent
	// must come out white, not black.
	alpha := image.NewNRGBA(image.Rect(0, 0, 400, 320))
	for y := range 320 {
		for x := range 400 {
			if x >= 200 {
				alpha.SetNRGBA(x, y, color.NRGBA{10, 10, 10, 255})
			}
		}
	}
	alphaPNG := encodePNG(t, alpha)

	gray := image.NewGray(image.Rect(0, 0, 320, 448))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i)
	}
	grayJPEG := encodeJPEGT(t, gray, 90)

	// A phone "motion photo" or a deliberate polyglot: a valid JPEG with a
	// zip after its end. It decodes completely, so it is accepted; the
	// original is kept as is and the derived images hold pixels only.
	polyglot := append(append([]byte{}, jpg...), zipWith(t, "payload.html", []byte("<script>alert(1)</script>"))...)

	tests := []struct {
		name        string
		data        []byte
		lim         Limits
		contentType string
		w, h        int
	}{
		{"jpeg", jpg, DefaultLimits(), TypeJPEG, 640, 480},
		{"png, exactly the shortest side", opaquePNG, DefaultLimits(), TypePNG, 480, 320},
		{"png with alpha", alphaPNG, DefaultLimits(), TypePNG, 400, 320},
		{"grayscale jpeg", grayJPEG, DefaultLimits(), TypeJPEG, 320, 448},
		{"jpeg followed by zip", polyglot, DefaultLimits(), TypeJPEG, 640, 480},
		{"exactly the pixel limit", opaquePNG, Limits{MaxPixels: 480 * 320}, TypePNG, 480, 320},
		{"exactly the size limit", opaquePNG, Limits{MaxBytes: int64(len(opaquePNG))}, TypePNG, 480, 320},
		{"a smaller minimum", encodePNG(t, photoImage(64, 48, 5)), Limits{MinSide: 48}, TypePNG, 64, 48},
		{"pdf allowed", []byte(minimalPDF), Limits{AllowPDF: true}, TypePDF, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up, err := Process("doc/"+tt.name, tt.data, tt.lim)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(tt.data)
			if up.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("SHA256 = %s", up.SHA256)
			}
			if up.ContentType != tt.contentType || up.Size != int64(len(tt.data)) || up.Width != tt.w || up.Height != tt.h {
				t.Errorf("got %s %d bytes %dx%d, want %s %d bytes %dx%d",
					up.ContentType, up.Size, up.Width, up.Height, tt.contentType, len(tt.data), tt.w, tt.h)
			}
			if !bytes.Equal(up.Original, tt.data) {
				t.Error("Original differs from the upload")
			}
			if up.SafeName != tt.name {
				t.Errorf("SafeName = %q, want %q", up.SafeName, tt.name)
			}
			if tt.contentType == TypePDF {
				if up.Display != nil || up.Thumb != nil || up.Orientation != 0 {
					t.Errorf("PDF got derived images or orientation %d", up.Orientation)
				}
				return
			}
			if up.Orientation != 1 {
				t.Errorf("Orientation = %d, want 1", up.Orientation)
			}
			for what, b := range map[string][]byte{"display": up.Display, "thumb": up.Thumb} {
				assertNoMetadata(t, what, b)
				if bytes.Contains(b, []byte("PK\x03\x04")) || bytes.Contains(b, []byte("<script>")) {
					t.Errorf("%s carries bytes of the original beyond its pixels", what)
				}
			}
			if got := decodeJPEGT(t, "display", up.Display).Bounds().Size(); got != image.Pt(tt.w, tt.h) {
				t.Errorf("display is %v, want %dx%d", got, tt.w, tt.h)
			}
			if got := decodeJPEGT(t, "thumb", up.Thumb).Bounds().Size(); max(got.X, got.Y) > ThumbMaxSide {
				t.Errorf("thumb is %v", got)
			}
		})
	}

	up, err := Process("alpha.png", alphaPNG, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	disp := decodeJPEGT(t, "display", up.Display)
	if c := disp.At(50, 160); !near(c, color.RGBA{255, 255, 255, 255}, 8) {
		t.Errorf("transparent area became %v, want white", c)
	}
	if c := disp.At(350, 160); !near(c, color.RGBA{10, 10, 10, 255}, 12) {
		t.Errorf("opaque area became %v, want near black", c)
	}
}

func TestDerivedSizes(t *testing.T) {
	tests := []struct {
		w, h           int
		dispW, dispH   int
		thumbW, thumbH int
	}{
		{3000, 2000, 2400, 1600, 320, 213},
		{1000, 4000, 600, 2400, 80, 320},
		{2400, 2400, 2400, 2400, 320, 320},
		{2401, 10, 2400, 10, 320, 1},
		{640, 480, 640, 480, 320, 240},
		{200, 100, 200, 100, 200, 100},
		{1, 1, 1, 1, 1, 1},
	}
	for _, tt := range tests {
		data := encodePNG(t, image.NewGray(image.Rect(0, 0, tt.w, tt.h)))
		// How the derived images are sized is under test, for thin and tiny
		// images too: no shortest side here.
		up, err := Process("scan.png", data, Limits{MinSide: 1})
		if err != nil {
			t.Fatalf("%dx%d: %v", tt.w, tt.h, err)
		}
		if up.Width != tt.w || up.Height != tt.h {
			t.Errorf("%dx%d: Width/Height %dx%d", tt.w, tt.h, up.Width, up.Height)
		}
		d := decodeJPEGT(t, "display", up.Display).Bounds().Size()
		th := decodeJPEGT(t, "thumb", up.Thumb).Bounds().Size()
		if d != image.Pt(tt.dispW, tt.dispH) || th != image.Pt(tt.thumbW, tt.thumbH) {
			t.Errorf("%dx%d: display %v thumb %v, want %dx%d and %dx%d",
				tt.w, tt.h, d, th, tt.dispW, tt.dispH, tt.thumbW, tt.thumbH)
		}
	}
}

// TestProcessEXIFOrientation builds real JPEGs carrying an APP1 EXIF
// segment with each orientation and checks the upright result by the
// colour of its corners.
func TestProcessEXIFOrientation(t *testing.T) {
	stored := encodeJPEGT(t, quadImage(640, 320), 95)
	// Corners of the upright image (top left, top right, bottom left,
	// bottom right) for a stored image with red, green / blue, white.
	tests := []struct {
		o       uint16
		corners [4]color.RGBA
	}{
		{1, [4]color.RGBA{red, green, blue, white}},
		{2, [4]color.RGBA{green, red, white, blue}},
		{3, [4]color.RGBA{white, blue, green, red}},
		{4, [4]color.RGBA{blue, white, red, green}},
		{5, [4]color.RGBA{red, blue, green, white}},
		{6, [4]color.RGBA{blue, red, white, green}},
		{7, [4]color.RGBA{white, green, blue, red}},
		{8, [4]color.RGBA{green, white, red, blue}},
	}
	for _, bo := range []byteOrder{binary.BigEndian, binary.LittleEndian} {
		for _, tt := range tests {
			data := withAPP1(stored, tiffOrientationBlock(bo, tt.o))
			up, err := Process("selfie.jpg", data, DefaultLimits())
			if err != nil {
				t.Fatalf("orientation %d: %v", tt.o, err)
			}
			if up.Orientation != int(tt.o) {
				t.Errorf("%v orientation %d: Orientation = %d", bo, tt.o, up.Orientation)
			}
			wantW, wantH := 640, 320
			if tt.o >= 5 {
				wantW, wantH = 320, 640
			}
			if up.Width != wantW || up.Height != wantH {
				t.Errorf("orientation %d: %dx%d, want %dx%d", tt.o, up.Width, up.Height, wantW, wantH)
			}
			if !bytes.Equal(up.Original, data) || !bytes.Contains(up.Original, []byte("Exif\x00\x00")) {
				t.Error("the original must be kept byte for byte, EXIF included")
			}
			for what, b := range map[string][]byte{"display": up.Display, "thumb": up.Thumb} {
				assertNoMetadata(t, what, b)
				img := decodeJPEGT(t, what, b)
				sz := img.Bounds().Size()
				wantSize := image.Pt(wantW, wantH)
				if what == "thumb" {
					wantSize = image.Pt(wantW/2, wantH/2) // longest side ThumbMaxSide
				}
				if sz != wantSize {
					t.Errorf("orientation %d: %s is %v", tt.o, what, sz)
				}
				pts := [4]image.Point{{4, 4}, {sz.X - 5, 4}, {4, sz.Y - 5}, {sz.X - 5, sz.Y - 5}}
				for i, p := range pts {
					if c := img.At(p.X, p.Y); !near(c, tt.corners[i], 40) {
						t.Errorf("orientation %d: %s corner %d at %v is %v, want %v", tt.o, what, i, p, c, tt.corners[i])
					}
				}
			}
		}
	}
}

func TestProcessPNGEXIFOrientation(t *testing.T) {
	p := encodePNG(t, quadImage(640, 320))
	data := pngInsertAfterIHDR(p, pngChunk("eXIf", tiffOrientationBlock(binary.BigEndian, 6)))
	up, err := Process("selfie.png", data, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if up.Orientation != 6 || up.Width != 320 || up.Height != 640 {
		t.Errorf("got orientation %d %dx%d, want 6 320x640", up.Orientation, up.Width, up.Height)
	}
}

// TestProcessBrokenEXIF: broken metadata costs the orientation, never the
// upload, and never hangs or exhausts memory (goexif alone loops forever
// on an IFD cycle and allocates 8 GB for the count overflow).
func TestProcessBrokenEXIF(t *testing.T) {
	le := binary.LittleEndian
	hdr := func() []byte { return le.AppendUint32([]byte("II*\x00"), 8) }
	entry := func(b []byte, tag, typ uint16, count, val uint32) []byte {
		b = le.AppendUint16(b, tag)
		b = le.AppendUint16(b, typ)
		b = le.AppendUint32(b, count)
		return le.AppendUint32(b, val)
	}

	cycle := hdr()
	cycle = le.AppendUint16(cycle, 0)
	cycle = le.AppendUint32(cycle, 14) // IFD0 -> IFD at 14
	cycle = le.AppendUint16(cycle, 0)
	cycle = le.AppendUint32(cycle, 8) // -> back to IFD0

	overflow := hdr()
	overflow = le.AppendUint16(overflow, 1)
	overflow = entry(overflow, 0x112, 4, 0x40000001, 6) // 4 × count wraps to 4
	overflow = le.AppendUint32(overflow, 0)

	subCycle := hdr()
	subCycle = le.AppendUint16(subCycle, 2)
	subCycle = entry(subCycle, 0x112, 3, 1, 6)
	subCycle = entry(subCycle, 0x8769, 4, 1, 8) // Exif sub-IFD is IFD0 itself
	subCycle = le.AppendUint32(subCycle, 0)

	negative := hdr()
	negative = le.AppendUint16(negative, 0xFFFF) // read as -1 by goexif
	negative = le.AppendUint32(negative, 8)

	outside := hdr()
	outside = le.AppendUint16(outside, 1)
	outside = entry(outside, 0x010F, 2, 500, 4000) // ASCII value beyond the block
	outside = le.AppendUint32(outside, 0)

	ascii := hdr()
	ascii = le.AppendUint16(ascii, 1)
	ascii = entry(ascii, 0x112, 2, 2, '6')
	ascii = le.AppendUint32(ascii, 0)

	tests := []struct {
		name        string
		tiff        []byte
		safe        bool
		orientation int
	}{
		{"ifd cycle", cycle, false, 1},
		{"count overflow", overflow, false, 1},
		{"negative tag count", negative, false, 1},
		{"value outside the block", outside, false, 1},
		{"truncated", tiffOrientationBlock(binary.LittleEndian, 6)[:13], false, 1},
		{"not tiff", []byte("garbage garbage garbage"), false, 1},
		{"orientation out of range", tiffOrientationBlock(binary.LittleEndian, 9), true, 1},
		{"orientation zero", tiffOrientationBlock(binary.LittleEndian, 0), true, 1},
		{"orientation as text", ascii, true, 1},
		// goexif reads sub-directories once without following them further,
		// so a pointer back at IFD0 is harmless and the orientation stands.
		{"sub-ifd pointing at ifd0", subCycle, true, 6},
	}
	stored := encodeJPEGT(t, quadImage(640, 320), 90)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := safeTIFF(tt.tiff); got != tt.safe {
				t.Errorf("safeTIFF = %v, want %v", got, tt.safe)
			}
			up, err := Process("front.jpg", withAPP1(stored, tt.tiff), DefaultLimits())
			if err != nil {
				t.Fatalf("broken EXIF refused the photo: %v", err)
			}
			if up.Orientation != tt.orientation {
				t.Errorf("orientation %d, want %d", up.Orientation, tt.orientation)
			}
		})
	}

	// An APP1 that is not EXIF (XMP) and an EXIF APP1 after an XMP one.
	xmp := append([]byte("http://ns.adobe.com/xap/1.0/\x00"), "<x:xmpmeta/>"...)
	seg := binary.BigEndian.AppendUint16([]byte{0xFF, 0xE1}, uint16(len(xmp)+2))
	seg = append(seg, xmp...)
	withXMP := append(append(append([]byte{}, stored[:2]...), seg...), stored[2:]...)
	if got := jpegOrientation(withXMP); got != 1 {
		t.Errorf("XMP only: orientation %d", got)
	}
	both := withAPP1(withXMP, tiffOrientationBlock(binary.BigEndian, 8))
	both = append(append(append([]byte{}, both[:2]...), seg...), both[2:]...)
	if got := jpegOrientation(both); got != 8 {
		t.Errorf("XMP then EXIF: orientation %d, want 8", got)
	}
}

// TestOrient checks each EXIF orientation pixel by pixel on a 3 × 2 image
// against the upright images written out by hand.
func TestOrient(t *testing.T) {
	// Stored image:  a b c
	//                d e f
	src := image.NewRGBA(image.Rect(0, 0, 3, 2))
	for i := range 6 {
		src.SetRGBA(i%3, i/3, color.RGBA{uint8('a' + i), 0, 0, 255})
	}
	tests := []struct {
		o    int
		want []string
	}{
		{1, []string{"abc", "def"}},
		{2, []string{"cba", "fed"}},
		{3, []string{"fed", "cba"}},
		{4, []string{"def", "abc"}},
		{5, []string{"ad", "be", "cf"}},
		{6, []string{"da", "eb", "fc"}},
		{7, []string{"fc", "eb", "da"}},
		{8, []string{"cf", "be", "ad"}},
		{0, []string{"abc", "def"}},
		{9, []string{"abc", "def"}},
	}
	for _, tt := range tests {
		got := orient(src, tt.o)
		var rows []string
		b := got.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			var row []byte
			for x := b.Min.X; x < b.Max.X; x++ {
				row = append(row, got.RGBAAt(x, y).R)
			}
			rows = append(rows, string(row))
		}
		if strings.Join(rows, "/") != strings.Join(tt.want, "/") {
			t.Errorf("orientation %d: got %v, want %v", tt.o, rows, tt.want)
		}
	}
}

func TestSanitizeName(t *testing.T) {
	long := strings.Repeat("x", 300) + ".jpeg"
	tests := []struct{ in, want string }{
		{"passport.jpg", "passport.jpg"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\ana\Desktop\id front.png`, "id front.png"},
		{"/var/tmp/", "unnamed file"},
		{"..", "unnamed file"},
		{"", "unnamed file"},
		{"evil\x00name\r\n.jpg", "evilname .jpg"},
		{"\x1b[31mred\x1b[0m.png", "[31mred[0m.png"},
		{"selfie\u202Egpj.exe", "selfiegpj.exe"},
		{"zero\u200bwidth.jpg", "zerowidth.jpg"},
		{"  tabs\tand   spaces .jpg ", "tabs and spaces .jpg"},
		{"bad\xffutf8.jpg", "bad\uFFFDutf8.jpg"},
		{"Reisepass_Müller_µ.jpg", "Reisepass_Müller_µ.jpg"},
		{long, strings.Repeat("x", MaxNameRunes-6) + "….jpeg"},
		{strings.Repeat("é", 150), strings.Repeat("é", MaxNameRunes-1) + "…"},
	}
	for _, tt := range tests {
		got := SanitizeName(tt.in)
		if got != tt.want {
			t.Errorf("SanitizeName(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if n := len([]rune(got)); n > MaxNameRunes {
			t.Errorf("SanitizeName(%q) has %d runes", tt.in, n)
		}
	}
}

func TestLimitsDefaults(t *testing.T) {
	d := DefaultLimits()
	if d.MaxBytes != 10<<20 || d.MaxPixels != 40_000_000 || d.MinSide != 320 || d.AllowPDF {
		t.Errorf("DefaultLimits() = %+v", d)
	}
	if z := (Limits{}).withDefaults(); z.MaxBytes != d.MaxBytes || z.MaxPixels != d.MaxPixels || z.MinSide != d.MinSide {
		t.Errorf("zero Limits resolve to %+v", z)
	}
	if got := (Limits{}).MinImageSide(); got != 320 {
		t.Errorf("MinImageSide of zero Limits = %d", got)
	}
	if got := (Limits{MinSide: 500}).MinImageSide(); got != 500 {
		t.Errorf("MinImageSide = %d, want 500", got)
	}
}
