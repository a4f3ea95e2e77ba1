package intake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"

	"kycdesk/internal/specimen"
	"kycdesk/internal/testenv"
)

// part is one part of a multipart body; file "" sends it as a form field.
type part struct{ name, file, data string }

// parts is a multipart body of exactly the parts given, in order (a name may repeat).
func parts(t *testing.T, ps ...part) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range ps {
		h := textproto.MIMEHeader{}
		if p.file != "" {
			h.Set("Content-Disposition", `form-data; name="`+p.name+`"; filename="`+p.file+`"`)
			h.Set("Content-Type", "application/octet-stream")
		} else {
			h.Set("Content-Disposition", `form-data; name="`+p.name+`"`)
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(p.data))
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}

// TestDocumentPartsAsDocumented: the document upload takes what its OpenAPI description says and
// nothing more, as the JSON endpoint refuses an unknown member: a second front or back, a field
// sent twice, a part of another name, or a file sent as a field is refused with 422 on that
// field, and nothing is stored (no document, image or blob). Several selfies are taken (an array
// there). A body that is not multipart says what is wrong with it, in words for a program's
// developer; a body of more parts than a document can have is too large.
func TestDocumentPartsAsDocumented(t *testing.T) {
	app := testenv.NewApp(t)
	token := app.CreateAPIToken(t, "onboarding")
	c := app.NewClient()
	r := c.API(t, "POST", "/api/v1/customers", token, "application/json", []byte(`{"surname": "Parts"}`))
	var cust map[string]any
	_ = json.Unmarshal([]byte(r.Body), &cust)
	path := "/api/v1/customers/" + cust["id"].(string) + "/documents"
	sp := specimen.Generate(49, specimen.Options{DocumentType: specimen.NationalID})
	front, back, selfie := string(sp.Front), string(sp.Back), string(sp.Selfie)
	typ := part{"type", "", "national_id"}

	for name, tc := range map[string]struct {
		parts []part
		field string
		want  string
	}{
		"two fronts":       {[]part{typ, {"front", "a.jpg", front}, {"front", "b.jpg", back}}, "front", "Send one front image: this body has 2."},
		"two backs":        {[]part{typ, {"front", "a.jpg", front}, {"back", "b.jpg", back}, {"back", "c.jpg", back}}, "back", "Send one back image"},
		"passport=@file":   {[]part{typ, {"passport", "front.jpg", front}}, "passport", "Unknown field."},
		"foo=bar":          {[]part{typ, {"front", "a.jpg", front}, {"foo", "", "bar"}}, "foo", "Unknown field."},
		"type twice":       {[]part{typ, {"type", "", "passport"}, {"front", "a.jpg", front}}, "type", "Send type once"},
		"front as a field": {[]part{typ, {"front", "", front}}, "front", "Send front as a file"},
		"number as a file": {[]part{typ, {"number", "n.txt", "L898902C3"}, {"front", "a.jpg", front}}, "number", "Send number as a form field"},
	} {
		body, ct := parts(t, tc.parts...)
		r := c.API(t, "POST", path, token, ct, body)
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%s: %d %s", name, r.Status, r.Body)
		}
		if msg := fieldMsg(decodeErr(t, r), tc.field); !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %s: %q, want %q", name, tc.field, msg, tc.want)
		}
	}

	good, goodCT := parts(t, typ, part{"front", "a.jpg", front})
	boundary := strings.TrimPrefix(goodCT, "multipart/form-data; boundary=")
	for name, tc := range map[string]struct {
		ct, body, want string
	}{
		"no closing boundary": {goodCT, strings.TrimSuffix(string(good), "--"+boundary+"--\r\n"), "it ends before its closing boundary"},
		"another boundary":    {"multipart/form-data; boundary=other", string(good), "no part starts with the boundary"},
		"no boundary":         {"multipart/form-data", string(good), "names no boundary"},
		"empty":               {goodCT, "", "the body is empty"},
		"a part without a name": {goodCT, "--" + boundary + "\r\nContent-Disposition: form-data\r\n\r\nx\r\n--" + boundary + "--\r\n",
			"part 1 has no name"},
		"a broken part header": {goodCT, "--" + boundary + "\r\nbroken\r\n\r\nx\r\n--" + boundary + "--\r\n", "part 1 cannot be read"},
	} {
		r := c.API(t, "POST", path, token, tc.ct, []byte(tc.body))
		msg := decodeErr(t, r).Error.Message
		if r.Status != http.StatusUnprocessableEntity || !strings.HasPrefix(msg, "The body is not valid multipart/form-data: ") ||
			!strings.Contains(msg, tc.want) || strings.Contains(msg, "Choose the files") {
			t.Errorf("%s: %d %q, want %q", name, r.Status, msg, tc.want)
		}
	}
	// A file too large is named with the other bad files of the body, each with its reason.
	huge := strings.Repeat("x", int(app.Cfg.MaxUploadBytes)+1)
	body, ct := parts(t, typ, part{"front", "notes.jpg", "plain text"}, part{"selfie", "huge.jpg", huge})
	if r := c.API(t, "POST", path, token, ct, body); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(fieldMsg(decodeErr(t, r), "selfie"), "huge.jpg: the file is larger than") ||
		!strings.Contains(fieldMsg(decodeErr(t, r), "front"), "notes.jpg: the file is not") {
		t.Errorf("a huge selfie beside a text front: %d %s", r.Status, r.Body)
	}
	many := []part{typ, {"front", "a.jpg", front}}
	for range 60 {
		many = append(many, part{"selfie", "s.jpg", "x"})
	}
	body, ct = parts(t, many...)
	if r := c.API(t, "POST", path, token, ct, body); r.Status != http.StatusRequestEntityTooLarge ||
		!strings.Contains(decodeErr(t, r).Error.Message, "more than 50 parts") {
		t.Errorf("62 parts: %d %s", r.Status, r.Body)
	}
	var docs, imgs int
	_ = app.Pool.QueryRow(context.Background(), "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM images)").Scan(&docs, &imgs)
	if docs != 0 || imgs != 0 || originals(t, app) != 0 {
		t.Fatalf("refused uploads left %d documents, %d images and %d blobs", docs, imgs, originals(t, app))
	}

	// As documented: one front, one back, selfies as many as sent.
	body, ct = parts(t, typ, part{"front", "a.jpg", front}, part{"back", "b.jpg", back}, part{"selfie", "s1.jpg", selfie},
		part{"selfie", "s2.jpg", string(specimen.Generate(50, specimen.Options{}).Selfie)})
	r = c.API(t, "POST", path, token, ct, body)
	var doc map[string]any
	_ = json.Unmarshal([]byte(r.Body), &doc)
	if r.Status != http.StatusCreated || len(doc["images"].([]any)) != 4 {
		t.Fatalf("front, back and two selfies: %d %s", r.Status, r.Body)
	}
}
