package customers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"kycdesk/internal/apperr"
	"kycdesk/internal/audit"
	"kycdesk/internal/cases"
	"kycdesk/internal/customers"
	"kycdesk/internal/db"
	"kycdesk/internal/specimen"
	"kycdesk/internal/testenv"
)

// docImages is the kinds (sorted) of the images of each of the customer's documents, by document id.
func docImages(t *testing.T, app *testenv.App, customerID uuid.UUID) (docs []db.Document, kinds map[uuid.UUID][]string) {
	t.Helper()
	q := db.New(app.Pool)
	docs, err := q.ListCustomerDocuments(context.Background(), customerID)
	if err != nil {
		t.Fatal(err)
	}
	imgs, err := q.ListCustomerImages(context.Background(), customerID)
	if err != nil {
		t.Fatal(err)
	}
	kinds = map[uuid.UUID][]string{}
	for _, im := range imgs {
		if im.DocumentID != nil {
			kinds[*im.DocumentID] = append(kinds[*im.DocumentID], string(im.Kind))
		}
	}
	for _, k := range kinds {
		slices.Sort(k) // images of one transaction share their creation time
	}
	return docs, kinds
}

// auditOf is the before and after of the audit rows of action on subject, oldest first.
func auditOf(t *testing.T, app *testenv.App, action, subjectID string) (befores, afters []map[string]any) {
	t.Helper()
	rows, err := app.Pool.Query(context.Background(), "SELECT coalesce(before, 'null'), coalesce(after, 'null') FROM audit_events WHERE action = $1 AND subject_id = $2 ORDER BY id", action, subjectID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var b, a []byte
		if err := rows.Scan(&b, &a); err != nil {
			t.Fatal(err)
		}
		var bm, am map[string]any
		_ = json.Unmarshal(b, &bm)
		_ = json.Unmarshal(a, &am)
		befores, afters = append(befores, bm), append(afters, am)
	}
	return befores, afters
}

// TestImagesJoinTheDeclaredDocument: images sent for a document the customer declared (same
// type, issuing country and number as the app compares numbers) go to that document, a side it
// has no image of yet, rather than making a second, imageless twin of it. The join is audited as
// document.images_added, with what was sent and the dates before and after (a date the document
// was declared without is filled in); its images are audited with it. A side sent again is a
// resubmission (a new document), and so are dates that differ from the declared ones, a document
// a reviewer or a vendor has touched, and anything for a customer whose cases are all decided.
func TestImagesJoinTheDeclaredDocument(t *testing.T) {
	ctx := context.Background()
	app := testenv.NewApp(t)
	svc := app.Server.CustomerService()
	api := customers.Origin{Actor: audit.System, Via: "api:test"}
	out, err := svc.Create(ctx, api, customers.Input{Surname: "Declared", ExternalRef: "declared-1", Documents: []customers.DocumentInput{
		{Type: "passport", IssuingCountry: "GBR", Number: "123456789"},
		{Type: "national_id", IssuingCountry: "UTO", Number: "D23145890", IssueDate: "2020-01-01"},
		{Type: "driving_licence", IssuingCountry: "UTO", Number: "DL-1", IssueDate: "2019-05-01"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	cid := out.Customer.ID
	passport, card, licence := out.Documents[0], out.Documents[1], out.Documents[2]
	sp := specimen.Generate(61, specimen.Options{DocumentType: specimen.Passport})
	id := specimen.Generate(62, specimen.Options{DocumentType: specimen.NationalID})
	send := func(d customers.DocumentInput, files ...customers.File) customers.Added {
		t.Helper()
		a, err := svc.AddDocumentToCase(ctx, api, cid, d, files, nil)
		if err != nil {
			t.Fatalf("%+v: %v", d, err)
		}
		return a
	}
	front := customers.File{Kind: "front", Name: "front.jpg", Data: sp.Front}
	selfie := customers.File{Kind: "selfie", Name: "selfie.jpg", Data: sp.Selfie}

	// The tester's case: the declared passport's data page, its number typed with spaces and the
	// country in lower case, and its expiry date, which the declaration lacked.
	a := send(customers.DocumentInput{Type: "passport", IssuingCountry: "gbr", Number: " 123 456 789 ", ExpiryDate: "2031-02-28"}, front, selfie)
	if !a.Joined || a.Document.ID != passport.ID || a.CaseID != out.Case.ID || a.Opened {
		t.Fatalf("the passport's images went to %s (joined %v), want the declared %s", a.Document.ID, a.Joined, passport.ID)
	}
	if a.Document.ExpiryDate == nil || a.Document.ExpiryDate.Format("2006-01-02") != "2031-02-28" || a.Document.Number != "123456789" {
		t.Fatalf("the declared passport reads %+v: its expiry date is filled in, its number stays as declared", a.Document)
	}
	if len(a.Images) != 2 {
		t.Fatalf("%d images added, want 2", len(a.Images))
	}
	docs, kinds := docImages(t, app, cid)
	if len(docs) != 3 || strings.Join(kinds[passport.ID], ",") != "front,selfie" {
		t.Fatalf("%d documents, the passport's images %v; want 3 documents, the passport with front and selfie", len(docs), kinds[passport.ID])
	}
	if got := app.AuditActions(t, "document", passport.ID.String()); strings.Join(got, ",") != "document.images_added" {
		t.Fatalf("the passport's audit rows: %v", got)
	}
	befores, afters := auditOf(t, app, "document.images_added", passport.ID.String())
	if befores[0]["expiry_date"] != "" || afters[0]["expiry_date"] != "2031-02-28" || afters[0]["via"] != "api:test" ||
		afters[0]["customer_id"] != cid.String() || afters[0]["document"].(map[string]any)["number"] != "123 456 789" {
		t.Fatalf("document.images_added: before %v after %v", befores[0], afters[0])
	}
	evs, err := db.New(app.Pool).ListAuditEventsForSubject(ctx, db.ListAuditEventsForSubjectParams{SubjectType: "document", SubjectID: passport.ID.String(), MaxRows: 10})
	if err != nil || len(evs) != 1 {
		t.Fatalf("%d audit rows: %v", len(evs), err)
	}
	if got, want := cases.Describe(evs[0]), "sent images of a document the case already had, and its expiry date 2031-02-28 (sent through the intake API)"; got != want {
		t.Errorf("the timeline says %q, want %q", got, want)
	}
	for _, im := range a.Images {
		_, after := auditOf(t, app, "image.upload", im.ID.String())
		if len(after) != 1 || after[0]["document_id"] != passport.ID.String() {
			t.Fatalf("image %s audited as %v", im.ID, after)
		}
	}

	// The data page again: the passport has one, so this is a new passport (a resubmission), and
	// the declared one keeps its image.
	again := send(customers.DocumentInput{Type: "passport", IssuingCountry: "GBR", Number: "123456789"}, front)
	if again.Joined || again.Document.ID == passport.ID {
		t.Fatal("a second data page joined the passport that has one")
	}
	if got := app.AuditActions(t, "document", again.Document.ID.String()); strings.Join(got, ",") != "document.add" {
		t.Fatalf("the resubmitted passport's audit rows: %v", got)
	}

	// A national ID's front, then its back on its own: both join the declared card, whose issue
	// date the front repeats.
	card1 := send(customers.DocumentInput{Type: "national_id", IssuingCountry: "UTO", Number: "d23145890", IssueDate: "2020-01-01"},
		customers.File{Kind: "front", Name: "front.jpg", Data: id.Front})
	card2 := send(customers.DocumentInput{Type: "national_id", IssuingCountry: "UTO", Number: "D23145890"},
		customers.File{Kind: "back", Name: "back.jpg", Data: id.Back})
	if !card1.Joined || !card2.Joined || card1.Document.ID != card.ID || card2.Document.ID != card.ID {
		t.Fatalf("the card's sides went to %s and %s, want both to %s", card1.Document.ID, card2.Document.ID, card.ID)
	}
	// Another issue date: another issue of the licence (it keeps its number), so a new document.
	lic := send(customers.DocumentInput{Type: "driving_licence", IssuingCountry: "UTO", Number: "DL-1", IssueDate: "2024-05-01"},
		customers.File{Kind: "front", Name: "front.jpg", Data: id.Front})
	if lic.Joined || lic.Document.ID == licence.ID {
		t.Fatal("a licence issued on another date joined the declared one")
	}
	// Another country, another number: new documents.
	for _, d := range []customers.DocumentInput{{Type: "passport", IssuingCountry: "UTO", Number: "123456789"}, {Type: "passport", IssuingCountry: "GBR", Number: "123456780"}} {
		if a := send(d, customers.File{Kind: "selfie", Name: "s.jpg", Data: sp.Selfie}); a.Joined {
			t.Fatalf("%+v joined %s", d, a.Document.ID)
		}
	}
	docs, kinds = docImages(t, app, cid)
	if len(docs) != 7 {
		t.Fatalf("%d documents, want the 3 declared and 4 new ones", len(docs))
	}
	if strings.Join(kinds[card.ID], ",") != "back,front" || len(kinds[licence.ID]) != 0 {
		t.Fatalf("the card has %v, the declared licence %v", kinds[card.ID], kinds[licence.ID])
	}
}

// TestTouchedOrDecidedDocumentsAreNotJoined: a declared document a vendor check has been asked
// for (or decided, or given a verdict) stays as it was checked: images sent for it make a new
// document. So does a document of a decided case: the images open a new case with a new
// document, and the decided case's document keeps none.
func TestTouchedOrDecidedDocumentsAreNotJoined(t *testing.T) {
	ctx := context.Background()
	app := testenv.NewApp(t)
	svc := app.Server.CustomerService()
	api := customers.Origin{Actor: audit.System, Via: "api:test"}
	sp := specimen.Generate(63, specimen.Options{DocumentType: specimen.Passport})
	front := []customers.File{{Kind: "front", Name: "front.jpg", Data: sp.Front}}
	declared := customers.DocumentInput{Type: "passport", IssuingCountry: "GBR", Number: "123456789"}
	create := func(ref string) customers.Created {
		out, err := svc.Create(ctx, api, customers.Input{Surname: "Touched", ExternalRef: ref, Documents: []customers.DocumentInput{declared}})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	checked := create("touched-1")
	if _, err := db.New(app.Pool).CreateCheck(ctx, db.CreateCheckParams{CaseID: checked.Case.ID, DocumentID: checked.Documents[0].ID,
		Vendor: "argos", Kind: "recognition", RequestKey: "k", RequestedVia: "test"}); err != nil {
		t.Fatal(err)
	}
	a, err := svc.AddDocumentToCase(ctx, api, checked.Customer.ID, declared, front, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Joined || a.Document.ID == checked.Documents[0].ID {
		t.Fatal("images joined a document a check was asked for")
	}

	decided := create("touched-2")
	app.Exec(t, "UPDATE cases SET status = 'rejected', decided_at = now() WHERE id = $1", decided.Case.ID)
	a, err = svc.AddDocumentToCase(ctx, api, decided.Customer.ID, declared, front, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Joined || !a.Opened || a.Document.ID == decided.Documents[0].ID {
		t.Fatalf("a decided customer's images: joined %v, opened %v", a.Joined, a.Opened)
	}
	if _, kinds := docImages(t, app, decided.Customer.ID); len(kinds[decided.Documents[0].ID]) != 0 {
		t.Fatal("the decided case's document got images")
	}
}

// TestJoinLandsWithItsWorkOrNotAtAll: the join, its images, its filled-in date and its audit rows
// are one transaction: work done after it that fails leaves the declared document as it was.
func TestJoinLandsWithItsWorkOrNotAtAll(t *testing.T) {
	ctx := context.Background()
	app := testenv.NewApp(t)
	svc := app.Server.CustomerService()
	api := customers.Origin{Actor: audit.System, Via: "api:test"}
	out, err := svc.Create(ctx, api, customers.Input{Surname: "Atomic", Documents: []customers.DocumentInput{{Type: "passport", IssuingCountry: "GBR", Number: "123456789"}}})
	if err != nil {
		t.Fatal(err)
	}
	sp := specimen.Generate(64, specimen.Options{DocumentType: specimen.Passport})
	_, err = svc.AddDocumentToCase(ctx, api, out.Customer.ID, customers.DocumentInput{Type: "passport", IssuingCountry: "GBR", Number: "123456789", ExpiryDate: "2031-01-01"},
		[]customers.File{{Kind: "front", Name: "front.jpg", Data: sp.Front}}, func(*db.Queries, pgx.Tx, customers.Added) error {
			return apperr.New(apperr.Conflict, "no")
		})
	if err == nil {
		t.Fatal("the failing work did not fail the join")
	}
	docs, kinds := docImages(t, app, out.Customer.ID)
	if len(docs) != 1 || docs[0].ExpiryDate != nil || len(kinds[docs[0].ID]) != 0 || len(app.AuditActions(t, "document", docs[0].ID.String())) != 0 {
		t.Fatalf("a failed join left %d documents, expiry %v, images %v", len(docs), docs[0].ExpiryDate, kinds[docs[0].ID])
	}
}

// TestCasePageShowsTheDeclaredDocumentWithItsImage: through the case page's upload form, staff
// sending the declared passport's data page give it to that passport: the page shows one
// passport, with its image, and the flash says where the image went.
func TestCasePageShowsTheDeclaredDocumentWithItsImage(t *testing.T) {
	app := testenv.NewApp(t)
	c := app.SignIn(t, app.CreateUser(t, "reviewer"))
	out, err := app.Server.CustomerService().Create(context.Background(), customers.Origin{Actor: audit.System, Via: "api:test"},
		customers.Input{Surname: "Declared", Documents: []customers.DocumentInput{{Type: "passport", IssuingCountry: "GBR", Number: "123456789"}}})
	if err != nil {
		t.Fatal(err)
	}
	casePath := "/cases/" + out.Case.ID.String()
	if c.Get(t, casePath).Doc(t).Find("#doc-"+out.Documents[0].ID.String()+" .empty").Length() != 1 {
		t.Fatal("before: the declared passport does not say it has no image")
	}
	sp := specimen.Generate(65, specimen.Options{DocumentType: specimen.Passport})
	r := postUpload(t, app, c, out.Customer.ID.String(), map[string]string{"type": "passport", "issuing_country": "GBR", "number": "123456789"},
		[][3]any{{"front", "page.jpg", sp.Front}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("upload: %d", r.Status)
	}
	page := c.Get(t, casePath).Doc(t)
	if n := page.Find("section.document").Length(); n != 1 {
		t.Fatalf("the case page shows %d documents, want the one passport", n)
	}
	panel := page.Find("#doc-" + out.Documents[0].ID.String())
	if panel.Find(".empty").Length() != 0 || panel.Find("img").Length() == 0 {
		t.Fatal("the declared passport still shows no image")
	}
	if got := page.Find(".flash").Text(); !strings.Contains(got, "1 image(s) were added to the passport 123456789 GBR already on the case") {
		t.Errorf("the flash says %q", got)
	}
}
