package intake_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"kycdesk/internal/db"
	"kycdesk/internal/intake"
	"kycdesk/internal/specimen"
	"kycdesk/internal/testenv"
)

// TestUploadJoinsTheDeclaredDocument: the tester's case. A customer created with a passport
// declared, then that passport's data page sent as the OpenAPI says ("add images with POST
// /customers/{id}/documents"): the image goes to the declared passport, the answer's id is that
// passport's (201, the same shape, its case), and the customer has one passport, with its image.
// The data page sent again is a resubmission: a second passport. Automatic checks run on each.
func TestUploadJoinsTheDeclaredDocument(t *testing.T) {
	ctx := context.Background()
	app := testenv.NewApp(t)
	q := db.New(app.Pool)
	// With automatic checks on, the joined passport gets them as a new one would.
	for k, v := range map[string]string{"checks.auto_run": "true", "checks.defaults": `{"passport": ["argos"]}`} {
		if err := q.SetAppSetting(ctx, db.SetAppSettingParams{Key: k, Value: []byte(v)}); err != nil {
			t.Fatal(err)
		}
	}
	checksOn := func(id uuid.UUID) int {
		t.Helper()
		var n int
		if err := app.Pool.QueryRow(ctx, "SELECT count(*) FROM checks WHERE document_id = $1", id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	token := app.CreateAPIToken(t, "onboarding")
	c := app.NewClient()
	r := c.API(t, "POST", "/api/v1/customers", token, "application/json",
		[]byte(`{"surname":"D","documents":[{"type":"passport","issuing_country":"GBR","number":"123456789"}]}`))
	var cust intake.CustomerJSON
	if err := json.Unmarshal([]byte(r.Body), &cust); err != nil || r.Status != http.StatusCreated || len(cust.Documents) != 1 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	declared := cust.Documents[0].ID
	sp := specimen.Generate(71, specimen.Options{DocumentType: specimen.Passport})
	send := func() intake.DocumentJSON {
		t.Helper()
		body, ct := multipartBody(t, map[string]string{"type": "passport", "issuing_country": "GBR", "number": "123456789"},
			map[string][]byte{"front:front.jpg": sp.Front})
		r := c.API(t, "POST", "/api/v1/customers/"+cust.ID.String()+"/documents", token, ct, body)
		var d intake.DocumentJSON
		if err := json.Unmarshal([]byte(r.Body), &d); err != nil || r.Status != http.StatusCreated {
			t.Fatalf("upload: %d %s", r.Status, r.Body)
		}
		return d
	}
	d := send()
	if d.ID != declared || d.CaseID == nil || *d.CaseID != cust.Cases[0].ID || len(d.Images) != 1 || d.Images[0].Kind != "front" {
		t.Fatalf("the answer: %+v; want the declared passport %s with its front, on case %s", d, declared, cust.Cases[0].ID)
	}
	get := func() intake.CustomerJSON {
		t.Helper()
		r := c.API(t, "GET", "/api/v1/customers/"+cust.ID.String(), token, "", nil)
		var got intake.CustomerJSON
		if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
			t.Fatalf("get: %d %s", r.Status, r.Body)
		}
		return got
	}
	if got := get(); len(got.Documents) != 1 || got.Documents[0].ID != declared || len(got.Documents[0].Images) != 1 {
		t.Fatalf("the customer's documents after the upload: %+v", got.Documents)
	}
	if n := checksOn(declared); n != 1 {
		t.Fatalf("%d checks on the joined passport, want its automatic one", n)
	}
	again := send()
	if again.ID == declared {
		t.Fatal("a second data page joined the passport that has one")
	}
	if got := get(); len(got.Documents) != 2 || len(got.Documents[0].Images) != 1 || len(got.Documents[1].Images) != 1 {
		t.Fatalf("after a resubmission: %+v", got.Documents)
	}
	if checksOn(declared) != 1 || checksOn(again.ID) != 1 {
		t.Fatalf("checks: %d on the declared passport, %d on the resubmitted one; want 1 each", checksOn(declared), checksOn(again.ID))
	}
}
