package security_test

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"testing"

	"kycdesk/internal/customers"
	"kycdesk/internal/specimen"
	"kycdesk/internal/testenv"
)

func pngChunk(kind string, data []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(out, kind...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(append([]byte(kind), data...)))
}

// pngOf is a PNG of w × h 8-bit grey pixels whose image data is idat (already compressed).
func pngOf(w, h uint32, idat []byte) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 0, 0, 0, 0) // 8-bit grey, deflate, no filter, no interlace
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, pngChunk("IHDR", ihdr)...)
	out = append(out, pngChunk("IDAT", idat)...)
	return append(out, pngChunk("IEND", nil)...)
}

// decompressionBomb is a complete, valid PNG of side × side black pixels: its deflated data is a
// few tens of kilobytes, its pixels side² bytes.
func decompressionBomb(t testing.TB, side uint32) []byte {
	t.Helper()
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	row := make([]byte, side+1) // filter byte 0 and a row of zeros
	for range side {
		if _, err := zw.Write(row); err != nil {
			t.Fatal(err)
		}
	}
	_ = zw.Close()
	return pngOf(side, side, z.Bytes())
}

// jpegSized is a valid JPEG whose frame header is rewritten to claim w × h pixels.
func jpegSized(t testing.TB, jpg []byte, w, h uint16) []byte {
	t.Helper()
	out := append([]byte{}, jpg...)
	for i := 2; i+9 < len(out); {
		if out[i] != 0xFF {
			t.Fatal("not a JPEG segment")
		}
		marker, n := out[i+1], int(binary.BigEndian.Uint16(out[i+2:]))
		if marker == 0xC0 || marker == 0xC2 {
			binary.BigEndian.PutUint16(out[i+5:], h)
			binary.BigEndian.PutUint16(out[i+7:], w)
			return out
		}
		i += 2 + n
	}
	t.Fatal("no frame header")
	return nil
}

// tinyPNG is a complete 10 × 10 PNG: valid, and too small to show anyone anything.
func tinyPNG(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 10, 10))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withComment inserts a JPEG comment segment holding text right after the start marker.
func withComment(jpg []byte, text string) []byte {
	seg := []byte{0xFF, 0xFE}
	seg = binary.BigEndian.AppendUint16(seg, uint16(len(text)+2))
	seg = append(seg, text...)
	return append(append(append([]byte{}, jpg[:2]...), seg...), jpg[2:]...)
}

func zipOf(t testing.TB, name string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create(name)
	_, _ = w.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// upload is one file sent as the front image of a new document.
type upload struct {
	name     string // what the test calls it
	file     string // the file name sent
	ctype    string // the part's declared Content-Type
	data     []byte
	refused  string // a word of the reason the field's error must give; "" for files accepted
	tooLarge bool   // refused as a whole request (413) rather than by field
	docType  string // the document's type; "" for a passport
}

// multipartUpload is a document form with one front file sent with a declared content type.
func multipartUpload(u upload, number string) (string, []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	docType := u.docType
	if docType == "" {
		docType = "passport"
	}
	_ = mw.WriteField("type", docType)
	_ = mw.WriteField("issuing_country", "GBR")
	_ = mw.WriteField("number", number)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="front"; filename=%q`, u.file))
	h.Set("Content-Type", u.ctype)
	pw, _ := mw.CreatePart(h)
	_, _ = pw.Write(u.data)
	_ = mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

// TestHostileFiles sends files that lie about their type, polyglots, an oversized file,
// decompression bombs, an image too small to read and an empty file as a document's front image, through the browser's upload
// form and through the intake API. Each refused file is refused with a message on the field (422
// with the form's error, or a JSON error naming the field) and leaves nothing behind: no document,
// no image row, no blob, no audit row. The polyglots that are valid images (a JPEG with HTML after
// its end, a JPEG whose comment holds a script) are accepted by design (phones append data to
// their JPEGs); for them the test shows that what is kept is harmless: the original is only ever
// served as an image with nosniff and a sandbox policy, and the images kycdesk derives and sends
// on are re-encoded pixels without the payload. A PDF with scripts, actions or embedded files is
// refused; a plain one is accepted as an "other" document's side, and refused for an identity
// document.
func TestHostileFiles(t *testing.T) {
	app := testenv.NewApp(t)
	rev := app.CreateUser(t, "reviewer")
	c := app.SignIn(t, rev)
	token := app.CreateAPIToken(t, "files")
	s := newSubject(t, app, 41, customers.Input{ExternalRef: "files-1"})
	if res := c.PostForm(t, s.casePath()+"/claim", url.Values{}); res.Status != http.StatusSeeOther {
		t.Fatalf("claim: %d", res.Status)
	}

	jpg := specimen.Generate(42, specimen.Options{}).Front
	var gifBuf bytes.Buffer
	pal := image.NewPaletted(image.Rect(0, 0, 4, 4), []color.Color{color.Black, color.White})
	if err := gif.Encode(&gifBuf, pal, nil); err != nil {
		t.Fatal(err)
	}
	script := []byte("<html><body><script>alert(document.cookie)</script></body></html>")
	uploads := []upload{
		{name: "PNG header, .jpg name, no image", file: "photo.jpg", ctype: "image/jpeg",
			data: append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte("not an image "), 50)...), refused: "damaged"},
		{name: "HTML sent as image/jpeg", file: "photo.jpg", ctype: "image/jpeg", data: script, refused: "not a JPEG"},
		{name: "SVG with a script, .png name", file: "photo.png", ctype: "image/png",
			data: []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>`), refused: "not a JPEG"},
		{name: "HTML then a JPEG", file: "photo.jpg", ctype: "image/jpeg", data: append(append([]byte{}, script...), jpg...), refused: "not a JPEG"},
		{name: "GIFAR (GIF + JAR)", file: "photo.gif", ctype: "image/gif",
			data: append(gifBuf.Bytes(), zipOf(t, "META-INF/MANIFEST.MF", []byte("Manifest-Version: 1.0\n"))...), refused: "not a JPEG"},
		{name: "PDF sent as image/jpeg, cut short", file: "scan.jpg", ctype: "image/jpeg", docType: "other", data: []byte("%PDF-1.4\n1 0 obj << >> endobj\n"),
			refused: "incomplete"},
		{name: "truncated JPEG", file: "photo.jpg", ctype: "image/jpeg", data: jpg[:len(jpg)/2], refused: "damaged"},
		{name: "empty file", file: "photo.jpg", ctype: "image/jpeg", data: nil, refused: "empty"},
		{name: "oversized file (10 MB + 1)", file: "big.jpg", ctype: "image/jpeg", data: append(append([]byte{}, jpg...),
			make([]byte, int(app.Cfg.MaxUploadBytes)+1-len(jpg))...), refused: "larger than"},
		{name: "PNG claiming 60000 × 60000 pixels", file: "bomb.png", ctype: "image/png",
			data: pngOf(60000, 60000, []byte{0x78, 0x9c, 0x63, 0x60, 0x18, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01}), refused: "pixels"},
		{name: "PNG decompression bomb (8000 × 8000 zeros)", file: "bomb.png", ctype: "image/png", data: decompressionBomb(t, 8000), refused: "pixels"},
		{name: "JPEG claiming 65000 × 65000 pixels", file: "bomb.jpg", ctype: "image/jpeg", data: jpegSized(t, jpg, 65000, 65000), refused: "pixels"},
		{name: "PNG of 10 × 10 pixels", file: "tiny.png", ctype: "image/png", data: tinyPNG(t), refused: "at least 320 pixels on its shortest side"},
		{name: "JPEG + HTML after its end (accepted)", file: "poly.jpg", ctype: "image/jpeg", data: append(append([]byte{}, jpg...), script...)},
		{name: "JPEG with a script comment (accepted)", file: "poly2.jpg", ctype: "image/jpeg", data: withComment(jpg, string(script))},
		{name: "PDF with JavaScript", file: "doc.pdf", ctype: "application/pdf", docType: "other",
			data: []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"), refused: "active content"},
		{name: "plain PDF as an other document (accepted)", file: "doc.pdf", ctype: "application/pdf", docType: "other",
			data: []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")},
		{name: "plain PDF as a passport", file: "doc.pdf", ctype: "application/pdf",
			data: []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"), refused: "only as the front or back of an"},
	}
	stored := func() string {
		return fmt.Sprintf("documents=%d images=%d blobs=%d audit=%d",
			count(t, app, "SELECT count(*) FROM documents WHERE customer_id = $1", s.customerID),
			count(t, app, "SELECT count(*) FROM images WHERE customer_id = $1", s.customerID), blobCount(t, app),
			count(t, app, "SELECT count(*) FROM audit_events"))
	}
	m := newMatrix("browser form", "intake API")
	for i, u := range uploads {
		for _, route := range []string{"browser form", "intake API"} {
			number := fmt.Sprintf("N%d%s", i, map[string]string{"browser form": "B", "intake API": "A"}[route])
			ctype, body := multipartUpload(u, number)
			before := stored()
			var res testenv.Response
			if route == "browser form" {
				res = postMultipart(t, c, app.URL, "/customers/"+s.customerID.String()+"/documents", ctype, body)
			} else {
				res = app.NewClient().API(t, "POST", "/api/v1/customers/"+s.customerID.String()+"/documents", token, ctype, body)
			}
			after := stored()
			if u.refused == "" {
				m.set(u.name, route, fmt.Sprintf("%d accepted", res.Status))
				if res.Status != http.StatusSeeOther && res.Status != http.StatusCreated {
					t.Errorf("%s via %s: %d %s", u.name, route, res.Status, clip(res.Body))
				}
				continue
			}
			var msg string
			if route == "browser form" {
				if res.Status == http.StatusUnprocessableEntity {
					msg = res.Doc(t).Find("#front-error").Text()
					if msg == "" {
						t.Logf("%s: %s", u.name, res.Doc(t).Find("main").Text())
					}
					inert(t, u.name, res.Body)
				}
			} else if res.Status == http.StatusUnprocessableEntity {
				var e struct {
					Error struct {
						Message string `json:"message"`
						Fields  []struct{ Field, Message string }
					} `json:"error"`
				}
				if err := json.Unmarshal([]byte(res.Body), &e); err != nil {
					t.Errorf("%s via API: not a JSON error: %s", u.name, clip(res.Body))
				}
				for _, f := range e.Error.Fields {
					if f.Field == "front" {
						msg = f.Message
					}
				}
			}
			m.set(u.name, route, fmt.Sprintf("%d %q", res.Status, clip(msg)))
			if res.Status != http.StatusUnprocessableEntity || !strings.Contains(msg, u.refused) {
				t.Errorf("%s via %s: %d, front error %q, want 422 with %q", u.name, route, res.Status, msg, u.refused)
			}
			if after != before {
				t.Errorf("%s via %s left something behind: %s → %s", u.name, route, before, after)
			}
		}
	}
	m.log(t, "Hostile file × upload route → status and the field's message")

	// What was accepted is served as what it is, and never as a page.
	rows, err := app.Pool.Query(t.Context(), "SELECT id::text, content_type, has_thumb FROM images WHERE customer_id = $1 AND file_name <> ALL($2)",
		s.customerID, []string{"front.jpg", "selfie.jpg"})
	if err != nil {
		t.Fatal(err)
	}
	type kept struct {
		id, ctype string
		thumb     bool
	}
	var all []kept
	for rows.Next() {
		var k kept
		_ = rows.Scan(&k.id, &k.ctype, &k.thumb)
		all = append(all, k)
	}
	rows.Close()
	if len(all) != 6 {
		t.Fatalf("%d accepted polyglot images, want 6", len(all))
	}
	for _, k := range all {
		variants := []string{"original", "display", "thumb"}
		if !k.thumb {
			variants = []string{"original"}
		}
		for _, v := range variants {
			res := c.Get(t, "/images/"+k.id+"/"+v)
			h := res.Header
			want := "image/jpeg"
			if v == "original" {
				want = k.ctype
			}
			if res.Status != http.StatusOK || h.Get("Content-Type") != want || h.Get("X-Content-Type-Options") != "nosniff" ||
				!strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
				t.Errorf("image %s %s: %d %q nosniff=%q csp=%q", k.id, v, res.Status, h.Get("Content-Type"), h.Get("X-Content-Type-Options"), h.Get("Content-Security-Policy"))
			}
			if v != "original" && (strings.Contains(res.Body, "<script") || strings.Contains(res.Body, "<html")) {
				t.Errorf("the %s image derived from %s still holds the payload", v, k.id)
			}
		}
	}
}

// bigReader yields n bytes of b repeated, without holding them.
type bigReader struct {
	b    []byte
	n, i int64
}

func (r *bigReader) Read(p []byte) (int, error) {
	if r.i >= r.n {
		return 0, io.EOF
	}
	k := 0
	for k < len(p) && r.i < r.n {
		c := copy(p[k:], r.b[r.i%int64(len(r.b)):])
		if int64(c) > r.n-r.i {
			c = int(r.n - r.i)
		}
		k += c
		r.i += int64(c)
	}
	return k, nil
}
