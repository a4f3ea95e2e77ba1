package intake_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kycdesk/internal/specimen"
	"kycdesk/internal/testenv"
)

// TestWhatIsNotTextIsRefused: a NUL or bytes that are not UTF-8, in a query parameter, a path id,
// a JSON string (raw, or escaped: \u0000, an unpaired surrogate), a document's form field or the
// Idempotency-Key, are refused with 422 in the API's error shape, on the field, and nothing is
// stored; never a 500 (PostgreSQL refuses such text), never stored changed.
func TestWhatIsNotTextIsRefused(t *testing.T) {
	app := testenv.NewApp(t)
	token := app.CreateAPIToken(t, "onboarding")
	c := app.NewClient()
	r := c.API(t, "POST", "/api/v1/customers", token, "application/json", []byte(`{"surname": "Specimen", "external_ref": "text-1"}`))
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var cust struct {
		ID    string `json:"id"`
		Cases []struct {
			ID string `json:"id"`
		} `json:"cases"`
	}
	_ = json.Unmarshal([]byte(r.Body), &cust)

	refused := func(what string, r testenv.Response, field string) {
		t.Helper()
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s, want 422", what, r.Status, r.Body)
			return
		}
		if msg := fieldMsg(decodeErr(t, r), field); msg == "" {
			t.Errorf("%s: no message on %q: %s", what, field, r.Body)
		}
	}
	get := func(path string) testenv.Response { return c.API(t, "GET", path, token, "", nil) }

	// Query parameters and path ids.
	refused("external_ref NUL", get("/api/v1/customers?external_ref=%00"), "external_ref")
	refused("external_ref NUL inside", get("/api/v1/customers?external_ref=text%001"), "external_ref")
	refused("external_ref not UTF-8", get("/api/v1/customers?external_ref=%ff%fe"), "external_ref")
	refused("another parameter", get("/api/v1/customers?external_ref=text-1&page=%00"), "page")
	refused("customer id NUL", get("/api/v1/customers/%00"), "id")
	refused("case id NUL", get("/api/v1/cases/%00"), "id")
	refused("document's customer id NUL", c.API(t, "POST", "/api/v1/customers/%00/documents", token, "multipart/form-data; boundary=x", []byte("--x--\r\n")), "id")
	refused("customer id not UTF-8", get("/api/v1/customers/%ff"), "id")
	refused("case id not UTF-8", get("/api/v1/cases/%C3%28"), "id")
	refused("document's customer id not UTF-8", c.API(t, "POST", "/api/v1/customers/%ff/documents", token, "multipart/form-data; boundary=x", []byte("--x--\r\n")), "id")
	if r := get("/api/v1/customers/" + cust.ID + "?x=%00"); r.Status >= 500 {
		t.Errorf("a NUL in an unknown parameter: %d", r.Status)
	}
	// A path id is the 36-character form only: uuid.Parse's other spellings name nothing.
	for _, id := range []string{"{" + cust.ID + "}", "urn:uuid:" + cust.ID, strings.ReplaceAll(cust.ID, "-", "")} {
		if r := get("/api/v1/customers/" + url.PathEscape(id)); r.Status != http.StatusNotFound {
			t.Errorf("customer %s: %d, want 404", id, r.Status)
		}
	}
	if r := get("/api/v1/customers/" + strings.ToUpper(cust.ID)); r.Status != http.StatusOK {
		t.Errorf("the id in capitals: %d", r.Status)
	}
	if r := get("/api/v1/customers?external_ref=text-1"); r.Status != http.StatusOK {
		t.Errorf("a good reference: %d %s", r.Status, r.Body)
	}

	// JSON strings.
	post := func(body string, header ...string) testenv.Response {
		return c.API(t, "POST", "/api/v1/customers", token, "application/json", []byte(body), header...)
	}
	for body, field := range map[string]string{
		`{"surname": "A\u0000B"}`:                                                 "surname",
		`{"surname": "X", "external_ref": "\u0000"}`:                              "external_ref",
		"{\"surname\": \"X\xff\"}":                                                "surname",
		`{"surname": "X", "address": "Main St \ud800"}`:                           "address",
		`{"surname": "X", "given_names": "\udc00"}`:                               "given_names",
		`{"surname": "X", "documents": [{"type": "other", "number": "7\u0000"}]}`: "documents[0].number",
	} {
		refused(body, post(body), field)
	}
	if r := post(`{"surname": "X", "given_names": "Zo\u00eb \ud83d\ude00", "external_ref": "text-2"}`); r.Status != http.StatusCreated {
		t.Errorf("escaped text (a surrogate pair included): %d %s", r.Status, r.Body)
	}
	refused("Idempotency-Key not UTF-8", post(`{"surname": "X"}`, "Idempotency-Key", "k\xff"), "Idempotency-Key")

	// A document's form fields.
	sp := specimen.Generate(44, specimen.Options{DocumentType: specimen.Passport})
	for field, value := range map[string]string{"number": "L89\x00", "issuing_country": "UT\xffO", "type": "passport\x00"} {
		fields := map[string]string{"type": "passport", "issuing_country": "UTO", "number": sp.DocumentNumber}
		fields[field] = value
		body, ct := multipartBody(t, fields, map[string][]byte{"front:front.jpg": sp.Front})
		refused("document "+field, c.API(t, "POST", "/api/v1/customers/"+cust.ID+"/documents", token, ct, body), field)
	}

	var customers, docs int
	_ = app.Pool.QueryRow(context.Background(), "SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM documents)").Scan(&customers, &docs)
	if customers != 2 || docs != 0 {
		t.Errorf("%d customers and %d documents stored, want the 2 good customers and no document", customers, docs)
	}
	if logs := app.Logs(); strings.Contains(logs, "invalid byte sequence") {
		t.Error("PostgreSQL was sent text it refuses")
	}
}
