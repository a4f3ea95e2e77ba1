package customers_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"kycdesk/internal/audit"
	"kycdesk/internal/customers"
	"kycdesk/internal/specimen"
	"kycdesk/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestCustomerFormChecksCountryCodes: the new-customer form suggests the codes by name, refuses a
// code that is not one on its field with the reason (422), and shows back everything as typed.
func TestCustomerFormChecksCountryCodes(t *testing.T) {
	app := testenv.NewApp(t)
	c := app.SignIn(t, app.CreateUser(t, "reviewer"))

	page := c.Get(t, "/customers/new").Doc(t)
	if got := page.Find(`#country-codes option[value="DEU"]`).Text(); got != "Germany" {
		t.Errorf("the nationality list names DEU %q", got)
	}
	if page.Find(`#country-codes option[value="XXA"]`).Length() != 1 || page.Find(`#residence-codes option[value="XXA"]`).Length() != 0 {
		t.Error("XXA (stateless) is a nationality, not a country of residence")
	}
	if page.Find(`#nationality[list="country-codes"]`).Length() != 1 || page.Find(`#residence_country[list="residence-codes"]`).Length() != 1 {
		t.Error("the country fields do not suggest from their lists")
	}

	typed := url.Values{"given_names": {"Anna"}, "surname": {"Eriksson"}, "date_of_birth": {"1974-08-12"}, "nationality": {"xyz"},
		"residence_country": {"United Kingdom"}, "email": {"anna@example.com"}, "external_ref": {"form-1"}}
	r := c.PostForm(t, "/customers", typed)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("unknown codes: %d", r.Status)
	}
	doc := r.Doc(t)
	for sel, want := range map[string]string{
		"#nationality-error":       "xyz is not a country code (ISO 3166-1 alpha-3",
		"#residence_country-error": "United Kingdom is not a country code (ISO 3166-1 alpha-3): for United Kingdom of Great Britain and Northern Ireland, use GBR.",
	} {
		if got := doc.Find(sel).Text(); !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", sel, got, want)
		}
	}
	for field, want := range map[string]string{"nationality": "xyz", "residence_country": "United Kingdom", "surname": "Eriksson",
		"date_of_birth": "1974-08-12", "email": "anna@example.com", "external_ref": "form-1"} {
		if got := doc.Find("#"+field).AttrOr("value", ""); got != want {
			t.Errorf("%s shows %q, want %q as typed", field, got, want)
		}
	}

	typed.Set("nationality", "D")
	typed.Set("residence_country", "gbr")
	if r := c.PostForm(t, "/customers", typed); r.Status != http.StatusSeeOther {
		t.Fatalf("real codes: %d %s", r.Status, r.Doc(t).Find(".error").Text())
	}
	var nat, res string
	if err := app.Pool.QueryRow(context.Background(), "SELECT nationality, residence_country FROM customers WHERE external_ref = 'form-1'").Scan(&nat, &res); err != nil {
		t.Fatal(err)
	}
	if nat != "DEU" || res != "GBR" {
		t.Fatalf("stored %q %q, want DEU GBR", nat, res)
	}
}

// TestExistingExternalRefIsLinkedWithTheOtherErrors: an external reference another customer has
// is refused together with the form's other problems (not only once they are put right), and the
// message links to that customer's case. References are compared exactly: they are the client
// systems' ids, where case may tell two people apart, so "qa-0001" is not "QA-0001".
func TestExistingExternalRefIsLinkedWithTheOtherErrors(t *testing.T) {
	app := testenv.NewApp(t)
	c := app.SignIn(t, app.CreateUser(t, "reviewer"))
	out, err := app.Server.CustomerService().Create(context.Background(), customers.Origin{Actor: audit.System, Via: "test"},
		customers.Input{GivenNames: "Anna", Surname: "Berg", ExternalRef: "QA-0001"})
	if err != nil {
		t.Fatal(err)
	}
	r := c.PostForm(t, "/customers", url.Values{"external_ref": {" QA-0001 "}, "surname": {""}, "email": {"not an address"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a taken reference and other errors: %d", r.Status)
	}
	doc := r.Doc(t)
	if got := doc.Find("#external_ref-error").Text(); !strings.Contains(got, customers.ExternalRefExists) {
		t.Errorf("external_ref error %q, want %q with the others", got, customers.ExternalRefExists)
	}
	link := doc.Find("#external_ref-error a#external_ref-existing")
	if href := link.AttrOr("href", ""); href != "/cases/"+out.Case.ID.String() || !strings.Contains(link.Text(), "Berg, Anna") {
		t.Errorf("the message links to %q (%q), want the existing customer's case", href, link.Text())
	}
	for _, f := range []string{"surname", "email"} {
		if doc.Find("#"+f+"-error").Length() != 1 {
			t.Errorf("%s's error is not reported with the reference's", f)
		}
	}

	if r := c.PostForm(t, "/customers", url.Values{"external_ref": {"qa-0001"}, "surname": {"Other"}}); r.Status != http.StatusSeeOther {
		t.Errorf("qa-0001 beside QA-0001: %d, want created (references are case-sensitive ids)", r.Status)
	}
}

// pngOf is a w × h PNG.
func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// postUpload sends the add-document form as the browser does (multipart, same origin).
func postUpload(t *testing.T, app *testenv.App, c *testenv.Client, customerID string, fields map[string]string, files [][3]any) testenv.Response {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	for _, f := range files {
		fw, err := mw.CreateFormFile(f[0].(string), f[1].(string))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(f[2].([]byte))
	}
	_ = mw.Close()
	req, err := http.NewRequest("POST", app.URL+"/customers/"+customerID+"/documents", &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", app.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.Do(t, req)
}

// plainPDF is a PDF without active content.
const plainPDF = "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

// TestDocumentFormRefusals: through the browser's upload form, a passport's back, an image too
// small to read, an unknown issuing country and a PDF where a photo is needed are each refused on
// their field (422, the form again with what was typed), and nothing is stored. The case page's
// form marks the back slot as not a passport's and suggests the issuing countries.

func TestDocumentFormRefusals(t *testing.T) {
	app := testenv.NewApp(t)
	c := app.SignIn(t, app.CreateUser(t, "reviewer"))
	out, err := app.Server.CustomerService().Create(context.Background(), customers.Origin{Actor: audit.System, Via: "test"},
		customers.Input{Surname: "Eriksson", ExternalRef: "upload-1"})
	if err != nil {
		t.Fatal(err)
	}
	id := out.Customer.ID.String()

	casePage := c.Get(t, "/cases/"+out.Case.ID.String()).Doc(t)
	if casePage.Find(`#document-form [data-dropzone][data-not-for="passport"] input[name=back]`).Length() != 1 {
		t.Error("the case page's back slot is not marked as one a passport has not")
	}
	if casePage.Find(`#document-form [data-dropzone][data-not-for] input[name=front], #document-form [data-dropzone][data-not-for] input[name=selfie]`).Length() != 0 {
		t.Error("front or selfie marked as missing for some document type")
	}
	if casePage.Find(`#document-country-codes option[value="UTO"]`).Length() != 1 || casePage.Find(`#issuing_country[list="document-country-codes"]`).Length() != 1 {
		t.Error("the issuing country does not suggest the codes")
	}
	if accept := casePage.Find("#file-selfie").AttrOr("accept", ""); strings.Contains(accept, "pdf") || !strings.Contains(casePage.Find("#file-front").AttrOr("accept", ""), "pdf") {
		t.Errorf("the selfie's picker offers PDFs, or the front's does not: %q", accept)
	}
	if hint := casePage.Find("#document-form .form-actions").Text(); !strings.Contains(hint, "at least 320 pixels on their shortest side") {
		t.Errorf("the form does not say how small an image may be: %q", hint)
	}

	passport := specimen.Generate(51, specimen.Options{DocumentType: specimen.Passport})
	card := specimen.Generate(52, specimen.Options{DocumentType: specimen.NationalID})
	for name, tc := range map[string]struct {
		fields      map[string]string
		files       [][3]any
		field, want string
	}{
		"a passport's back": {map[string]string{"type": "passport", "issuing_country": "UTO", "number": passport.DocumentNumber},
			[][3]any{{"front", "page.jpg", passport.Front}, {"back", "back.jpg", card.Back}},
			"back", "A passport has no back side; send the data page as front."},
		"a 10 × 10 selfie": {map[string]string{"type": "passport", "issuing_country": "UTO", "number": passport.DocumentNumber},
			[][3]any{{"front", "page.jpg", passport.Front}, {"selfie", "selfie.jpg", pngOf(t, 10, 10)}},
			"selfie", "selfie.jpg: the image is 10 × 10 pixels; an image must be at least 320 pixels on its shortest side"},
		"a small back": {map[string]string{"type": "national_id", "issuing_country": "UTO", "number": card.DocumentNumber},
			[][3]any{{"front", "front.jpg", card.Front}, {"back", "back.png", pngOf(t, 640, 200)}},
			"back", "back.png: the image is 640 × 200 pixels"},
		"a PDF selfie": {map[string]string{"type": "other", "issuing_country": "UTO", "number": "CERT-1"},
			[][3]any{{"front", "letter.pdf", []byte(plainPDF)}, {"selfie", "selfie.pdf", []byte(plainPDF)}},
			"selfie", "selfie.pdf: " + customers.NoPDF},
		"a PDF passport": {map[string]string{"type": "passport", "issuing_country": "UTO", "number": passport.DocumentNumber},
			[][3]any{{"front", "page.pdf", []byte(plainPDF)}},
			"front", "page.pdf: " + customers.NoPDF},
		"an unknown issuing country": {map[string]string{"type": "passport", "issuing_country": "UTP", "number": passport.DocumentNumber},
			[][3]any{{"front", "page.jpg", passport.Front}},
			"issuing_country", "UTP is not a country code"},
	} {
		r := postUpload(t, app, c, id, tc.fields, tc.files)
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%s: %d", name, r.Status)
		}
		doc := r.Doc(t)
		if got := doc.Find("#" + tc.field + "-error").Text(); !strings.Contains(got, tc.want) {
			t.Errorf("%s: %s error %q, want %q", name, tc.field, got, tc.want)
		}
		if got := doc.Find("#doc-type option[selected]").AttrOr("value", ""); got != tc.fields["type"] {
			t.Errorf("%s: type shows %q, want %q as chosen", name, got, tc.fields["type"])
		}
		for _, f := range []string{"issuing_country", "number"} {
			if got := doc.Find("#"+f).AttrOr("value", ""); got != tc.fields[f] {
				t.Errorf("%s: %s shows %q, want %q as typed", name, f, got, tc.fields[f])
			}
		}
	}
	var docs, imgs int
	if err := app.Pool.QueryRow(context.Background(), "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM images)").Scan(&docs, &imgs); err != nil {
		t.Fatal(err)
	}
	if docs != 0 || imgs != 0 {
		t.Fatalf("refused uploads left %d documents and %d images", docs, imgs)
	}

	// A PDF letter as an "other" document's front is taken.
	if r := postUpload(t, app, c, id, map[string]string{"type": "other", "issuing_country": "UTO", "number": "CERT-1"},
		[][3]any{{"front", "letter.pdf", []byte(plainPDF)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("a PDF letter: %d %s", r.Status, r.Doc(t).Find(".error").Text())
	}
	// The same passport without its back, and a national ID with one, are taken.
	if r := postUpload(t, app, c, id, map[string]string{"type": "passport", "issuing_country": "uto", "number": passport.DocumentNumber},
		[][3]any{{"front", "page.jpg", passport.Front}, {"selfie", "selfie.jpg", passport.Selfie}}); r.Status != http.StatusSeeOther {
		t.Fatalf("passport: %d %s", r.Status, r.Doc(t).Find(".error").Text())
	}
	if r := postUpload(t, app, c, id, map[string]string{"type": "national_id", "issuing_country": "UTO", "number": card.DocumentNumber},
		[][3]any{{"front", "front.jpg", card.Front}, {"back", "back.jpg", card.Back}}); r.Status != http.StatusSeeOther {
		t.Fatalf("national ID: %d %s", r.Status, r.Doc(t).Find(".error").Text())
	}
	var backs int
	if err := app.Pool.QueryRow(context.Background(), "SELECT count(*) FROM images i JOIN documents d ON d.id = i.document_id WHERE i.kind = 'back' AND d.type = 'national_id'").Scan(&backs); err != nil {
		t.Fatal(err)
	}
	if backs != 1 {
		t.Fatalf("%d national ID backs stored, want 1", backs)
	}
}

// TestRefusedUploadNamesTheFilesToChooseAgain: when one file refuses an upload, nothing is
// stored and the form comes back with empty file inputs (a browser cannot refill them), so every
// other slot that was sent a file says which, and that it must be chosen again; the refused slot
// says what is wrong with its own file instead, and a slot sent nothing says nothing.
func TestRefusedUploadNamesTheFilesToChooseAgain(t *testing.T) {
	app := testenv.NewApp(t)
	c := app.SignIn(t, app.CreateUser(t, "reviewer"))
	out, err := app.Server.CustomerService().Create(context.Background(), customers.Origin{Actor: audit.System, Via: "test"},
		customers.Input{Surname: "Lindqvist", ExternalRef: "upload-2"})
	if err != nil {
		t.Fatal(err)
	}
	card := specimen.Generate(53, specimen.Options{DocumentType: specimen.NationalID})
	fields := map[string]string{"type": "national_id", "issuing_country": "UTO", "number": card.DocumentNumber}
	r := postUpload(t, app, c, out.Customer.ID.String(), fields,
		[][3]any{{"front", "front.png", pngOf(t, 10, 10)}, {"selfie", "selfie.jpg", card.Selfie}, {"selfie", "frame-2.jpg", card.Selfie}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a 10 × 10 front: %d", r.Status)
	}
	doc := r.Doc(t)
	if got := doc.Find("#front-error").Text(); !strings.Contains(got, "front.png") {
		t.Errorf("front's error: %q", got)
	}
	want := map[string]string{
		"front":  "",
		"back":   "",
		"selfie": "selfie.jpg and frame-2.jpg were not stored (nothing is until every file is right): choose them again.",
	}
	for slot, w := range want {
		note := doc.Find("#file-" + slot + "-not-stored")
		if got := strings.TrimSpace(note.Text()); got != w {
			t.Errorf("%s slot says %q, want %q", slot, got, w)
		}
		if w != "" && !note.Closest("[data-dropzone]").HasClass("has-warning") {
			t.Errorf("%s slot is not marked", slot)
		}
	}

	// One file sent, in a slot the refusal does not name: "it".
	r = postUpload(t, app, c, out.Customer.ID.String(), map[string]string{"type": "national_id", "issuing_country": "UTP", "number": card.DocumentNumber},
		[][3]any{{"front", "front.jpg", card.Front}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("an unknown issuing country: %d", r.Status)
	}
	if got, w := strings.TrimSpace(r.Doc(t).Find("#file-front-not-stored").Text()), "front.jpg was not stored (nothing is until every file is right): choose it again."; got != w {
		t.Errorf("front slot says %q, want %q", got, w)
	}
}

// TestOversizedFileHidesNoOtherRefusal: a file over the size limit is refused on its field
// together with every other bad file of the same upload (each named with its reason), not alone
// while the others are called fine; nothing is stored.
func TestOversizedFileHidesNoOtherRefusal(t *testing.T) {
	app := testenv.NewApp(t)
	c := app.SignIn(t, app.CreateUser(t, "reviewer"))
	out, err := app.Server.CustomerService().Create(context.Background(), customers.Origin{Actor: audit.System, Via: "test"},
		customers.Input{Surname: "Berg", ExternalRef: "upload-huge"})
	if err != nil {
		t.Fatal(err)
	}
	card := specimen.Generate(54, specimen.Options{DocumentType: specimen.NationalID})
	huge := append(append([]byte{}, card.Selfie...), make([]byte, 11<<20)...)
	r := postUpload(t, app, c, out.Customer.ID.String(), map[string]string{"type": "national_id", "issuing_country": "UTO", "number": card.DocumentNumber},
		[][3]any{{"front", "tiny.png", pngOf(t, 100, 100)}, {"back", "notes.jpg", []byte("just some text, not an image\n")},
			{"selfie", "selfie.jpg", card.Selfie}, {"selfie", "huge.jpg", huge}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("an upload with an oversized selfie: %d, want 422", r.Status)
	}
	doc := r.Doc(t)
	for slot, want := range map[string]string{
		"front":  "tiny.png: the image is 100 × 100 pixels",
		"back":   "notes.jpg: the file is not a JPEG",
		"selfie": "huge.jpg: the file is larger than 10 MB",
	} {
		if got := doc.Find("#" + slot + "-error").Text(); !strings.Contains(got, want) {
			t.Errorf("%s error %q, want %q", slot, got, want)
		}
		if got := doc.Find("#file-" + slot + "-not-stored").Text(); got != "" {
			t.Errorf("%s slot, refused, says %q as if its file were fine", slot, got)
		}
	}
	var docs, imgs int
	if err := app.Pool.QueryRow(context.Background(), "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM images)").Scan(&docs, &imgs); err != nil {
		t.Fatal(err)
	}
	if docs != 0 || imgs != 0 {
		t.Fatalf("a refused upload left %d documents and %d images", docs, imgs)
	}
}

// TestStaffUploadOnADecidedCustomerOpensACase: on the page of a customer's decided case, the upload
// form says beforehand that a document opens a new case; the upload goes to the new case (303),
// whose page says it was opened, and the decided case's page then links to it (and leaves the
// upload to it). Anyone who works cases may upload for a customer with no open case; a
// manager, who does not, is not offered the form.
func TestStaffUploadOnADecidedCustomerOpensACase(t *testing.T) {
	ctx := context.Background()
	app := testenv.NewApp(t)
	c := app.SignIn(t, app.CreateUser(t, "reviewer"))
	out, err := app.Server.CustomerService().Create(ctx, customers.Origin{Actor: audit.System, Via: "test"},
		customers.Input{Surname: "Nyberg", ExternalRef: "upload-3"})
	if err != nil {
		t.Fatal(err)
	}
	first := out.Case.ID.String()
	if _, err := app.Pool.Exec(ctx, "UPDATE cases SET status = 'approved', decided_at = now() WHERE id = $1", first); err != nil {
		t.Fatal(err)
	}
	page := c.Get(t, "/cases/"+first).Doc(t)
	if got := page.Find("#document-form #upload-opens-case").Text(); !strings.Contains(got, "adding a document opens a new case") {
		t.Errorf("the upload form of a decided customer says %q", got)
	}
	if page.Find("#later-case").Length() != 0 {
		t.Error("a customer's only case points to a later one")
	}
	if app.SignIn(t, app.CreateUser(t, "manager")).Get(t, "/cases/"+first).Doc(t).Find("#document-form").Length() != 0 {
		t.Error("a manager, who does not upload, is offered the upload form")
	}

	passport := specimen.Generate(53, specimen.Options{DocumentType: specimen.Passport})
	r := postUpload(t, app, c, out.Customer.ID.String(), map[string]string{"type": "passport", "issuing_country": "UTO", "number": passport.DocumentNumber},
		[][3]any{{"front", "page.jpg", passport.Front}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/cases/") || r.Location == "/cases/"+first {
		t.Fatalf("upload: %d to %q, want 303 to a new case", r.Status, r.Location)
	}
	second := strings.TrimPrefix(r.Location, "/cases/")
	var status, via string
	if err := app.Pool.QueryRow(ctx, `SELECT c.status::text, e.after->>'via' FROM cases c JOIN audit_events e ON e.case_id = c.id AND e.action = 'case.create'
		WHERE c.id = $1 AND c.customer_id = $2 AND e.after->>'reopened_after' = $3`, second, out.Customer.ID, first).Scan(&status, &via); err != nil {
		t.Fatalf("the new case and its opening: %v", err)
	}
	if status != "new" || via != "browser" {
		t.Fatalf("the new case is %s, opened via %s", status, via)
	}
	newPage := c.Get(t, r.Location).Doc(t)
	if got := newPage.Find(".flash").Text(); !strings.Contains(got, "a new case was opened") {
		t.Errorf("the flash says %q", got)
	}
	if got := strings.Join(strings.Fields(newPage.Find("#timeline").Text()), " "); !strings.Contains(got, "a document arrived (uploaded by staff) after the customer's earlier case was approved") {
		t.Errorf("the new case's timeline: %q", got)
	}
	if newPage.Find("#upload-opens-case, #later-case").Length() != 0 {
		t.Error("the open case says a document opens or joins another case")
	}
	page = c.Get(t, "/cases/"+first).Doc(t)
	if page.Find(`#later-case a[href="/cases/`+second+`"]`).Length() != 1 || page.Find("#document-form").Length() != 0 {
		t.Errorf("the decided case's page does not point to the new case, or offers an upload: %q", page.Find("#later-case").Text())
	}

	// A second upload joins the new case.
	card := specimen.Generate(54, specimen.Options{DocumentType: specimen.NationalID})
	if r := postUpload(t, app, c, out.Customer.ID.String(), map[string]string{"type": "national_id", "issuing_country": "UTO", "number": card.DocumentNumber},
		[][3]any{{"front", "front.jpg", card.Front}}); r.Status != http.StatusSeeOther || r.Location != "/cases/"+second {
		t.Fatalf("second upload: %d to %q, want /cases/%s", r.Status, r.Location, second)
	}
	if got := c.Get(t, "/cases/"+second).Doc(t).Find(".flash").Text(); strings.Contains(got, "new case") {
		t.Errorf("joining the open case says %q", got)
	}
}

// TestReopenedCaseListsItsOwnDocuments: once a document has opened a new case for a customer whose
// case was rejected, the new case's page shows its own document first and the earlier case's
// rejected passport after it, marked as not part of its evidence and not offered in its document
// decision; the rejected case's page and PDF report do not show the passport that came after it
// (and opened the new case) as one of its documents.
func TestReopenedCaseListsItsOwnDocuments(t *testing.T) {
	ctx := context.Background()
	app := testenv.NewApp(t)
	rev := app.SignIn(t, app.CreateUser(t, "reviewer"))
	mgr := app.SignIn(t, app.CreateUser(t, "manager"))
	out, err := app.Server.CustomerService().Create(ctx, customers.Origin{Actor: audit.System, Via: "test"},
		customers.Input{Surname: "Lindqvist", ExternalRef: "reopen-docs"})
	if err != nil {
		t.Fatal(err)
	}
	first := out.Case.ID.String()
	old := specimen.Generate(61, specimen.Options{DocumentType: specimen.Passport})
	if r := postUpload(t, app, rev, out.Customer.ID.String(), map[string]string{"type": "passport", "issuing_country": "UTO", "number": old.DocumentNumber},
		[][3]any{{"front", "old.jpg", old.Front}}); r.Status != http.StatusSeeOther || r.Location != "/cases/"+first {
		t.Fatalf("first upload: %d to %q", r.Status, r.Location)
	}
	if _, err := app.Pool.Exec(ctx, "UPDATE cases SET status = 'rejected', decided_at = now() WHERE id = $1", first); err != nil {
		t.Fatal(err)
	}
	renewed := specimen.Generate(62, specimen.Options{DocumentType: specimen.Passport})
	r := postUpload(t, app, rev, out.Customer.ID.String(), map[string]string{"type": "passport", "issuing_country": "UTO", "number": renewed.DocumentNumber},
		[][3]any{{"front", "new.jpg", renewed.Front}})
	if r.Status != http.StatusSeeOther || r.Location == "/cases/"+first {
		t.Fatalf("second upload: %d to %q, want a new case", r.Status, r.Location)
	}
	second := strings.TrimPrefix(r.Location, "/cases/")
	if r := rev.PostForm(t, "/cases/"+second+"/claim", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("claim: %d", r.Status)
	}

	var oldID, newID string
	if err := app.Pool.QueryRow(ctx, "SELECT (SELECT id::text FROM documents WHERE number = $1), (SELECT id::text FROM documents WHERE number = $2)",
		old.DocumentNumber, renewed.DocumentNumber).Scan(&oldID, &newID); err != nil {
		t.Fatal(err)
	}
	ids := func(page *goquery.Document) []string {
		return page.Find("section.document").Map(func(_ int, s *goquery.Selection) string {
			id, _ := s.Attr("id")
			return strings.TrimPrefix(id, "doc-")
		})
	}

	page := rev.Get(t, "/cases/"+second).Doc(t)
	if got := ids(page); !slices.Equal(got, []string{newID, oldID}) {
		t.Errorf("the new case shows documents %v, want its own %s, then the earlier %s", got, newID, oldID)
	}
	if page.Find("#doc-earlier-"+oldID).Length() != 1 || page.Find("#doc-earlier-"+newID).Length() != 0 {
		t.Error("the new case does not mark the earlier case's passport (and only it) as not its evidence")
	}
	if page.Find(`select[name=document] option[value="`+oldID+`"]`).Length() != 0 ||
		page.Find(`select[name=document] option[value="`+newID+`"]`).Length() != 1 {
		t.Error("the new case's document decision does not offer exactly its own document")
	}

	page = rev.Get(t, "/cases/"+first).Doc(t)
	if got := ids(page); !slices.Equal(got, []string{oldID}) {
		t.Errorf("the rejected case shows documents %v, want only its own %s", got, oldID)
	}
	if page.Find(".doc-earlier").Length() != 0 {
		t.Error("the rejected case marks its own document as an earlier case's")
	}
	res := mgr.Get(t, "/cases/"+first+"/report.pdf")
	if res.Status != http.StatusOK {
		t.Fatalf("report: %d", res.Status)
	}
	if text := testenv.PDFText(t, []byte(res.Body)); !strings.Contains(text, old.DocumentNumber) || strings.Contains(text, renewed.DocumentNumber) {
		t.Errorf("the rejected case's report: its passport %v, the later passport %v", strings.Contains(text, old.DocumentNumber),
			strings.Contains(text, renewed.DocumentNumber))
	} else if strings.Contains(text, "not part of this case's evidence") {
		t.Error("the rejected case's report marks its own passport as an earlier case's")
	}
	// The new case's report, as its page: its own passport first, the earlier one marked.
	res = mgr.Get(t, "/cases/"+second+"/report.pdf")
	if res.Status != http.StatusOK {
		t.Fatalf("report: %d", res.Status)
	}
	text := strings.Join(strings.Fields(testenv.PDFText(t, []byte(res.Body))), " ")
	own, earlier := strings.Index(text, renewed.DocumentNumber), strings.Index(text, old.DocumentNumber)
	mark := strings.Index(text, "not part of this case's evidence")
	if own < 0 || earlier < own || mark < earlier || strings.Count(text, "not part of this case's evidence") != 1 {
		t.Errorf("the new case's report: own passport at %d, the earlier one at %d, marked at %d (%d marks)", own, earlier, mark,
			strings.Count(text, "not part of this case's evidence"))
	}
}
