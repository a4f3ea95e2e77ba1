package intake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"kycdesk/internal/db"
	"kycdesk/internal/images"
	"kycdesk/internal/intake"
	"kycdesk/internal/normalize"
	"kycdesk/internal/specimen"
	"kycdesk/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

type apiErr struct {
	Error struct {
		Message string `json:"message"`
		Fields  []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"fields"`
	} `json:"error"`
}

func decodeErr(t *testing.T, r testenv.Response) apiErr {
	t.Helper()
	var e apiErr
	if err := json.Unmarshal([]byte(r.Body), &e); err != nil {
		t.Fatalf("error body is not JSON: %q", r.Body)
	}
	if strings.Contains(r.Body, "goroutine") || strings.Contains(r.Body, ".go:") {
		t.Fatalf("stack trace in an error: %s", r.Body)
	}
	return e
}

func fieldMsg(e apiErr, field string) string {
	for _, f := range e.Error.Fields {
		if f.Field == field {
			return f.Message
		}
	}
	return ""
}

func TestCreateCustomerValidationAndIdempotency(t *testing.T) {
	app := testenv.NewApp(t)
	token := app.CreateAPIToken(t, "onboarding")
	c := app.NewClient()
	post := func(body string, header ...string) testenv.Response {
		return c.API(t, "POST", "/api/v1/customers", token, "application/json", []byte(body), header...)
	}
	for body, field := range map[string]string{
		`{"surname": ""}`: "surname",
		`{"surname": "X", "nationality": "Malaysia"}`:       "nationality",
		`{"surname": "X", "date_of_birth": "31/12/1980"}`:   "date_of_birth",
		`{"surname": "X", "email": "nope"}`:                 "email",
		`{"surname": "X", "colour": "blue"}`:                "colour",
		`{"surname": 42}`:                                   "surname",
		`{"surname": "X", "documents": [{"type": "visa"}]}`: "documents[0].type",
		// Too long is refused on the field, never stored cut.
		`{"surname": "` + strings.Repeat("W", 201) + `"}`:                                                 "surname",
		`{"surname": "X", "address": "` + strings.Repeat("a", 501) + `"}`:                                 "address",
		`{"surname": "X", "documents": [{"type": "other", "number": "` + strings.Repeat("7", 41) + `"}]}`: "documents[0].number",
	} {
		r := post(body)
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%s: %d %s", body, r.Status, r.Body)
		}
		if msg := fieldMsg(decodeErr(t, r), field); msg == "" {
			t.Errorf("%s: no message for %s: %s", body, field, r.Body)
		}
	}
	if r := c.API(t, "POST", "/api/v1/customers", token, "text/plain", []byte(`{"surname": "X"}`)); r.Status != http.StatusUnsupportedMediaType ||
		!strings.Contains(decodeErr(t, r).Error.Message, "application/json") {
		t.Fatalf("JSON sent as text/plain: %d %s", r.Status, r.Body)
	}
	if r := post(`{"surname": `); r.Status != http.StatusUnprocessableEntity || !strings.Contains(decodeErr(t, r).Error.Message, "JSON") {
		t.Fatalf("broken JSON: %d %s", r.Status, r.Body)
	}

	body := `{"external_ref": "onb-123", "given_names": "Anna Maria", "surname": "Eriksson", "date_of_birth": "1974-08-12",
		"nationality": "utO", "email": "anna@example.com", "documents": [{"type": "passport", "issuing_country": "UTO", "number": "L898902C3", "expiry_date": "2032-04-15"}]}`
	// Sent five times at once with one key: one customer, one answer.
	var wg sync.WaitGroup
	res := make([]testenv.Response, 5)
	for i := range res {
		wg.Add(1)
		go func() { defer wg.Done(); res[i] = post(body, "Idempotency-Key", "k-1") }()
	}
	wg.Wait()
	var first map[string]any
	for i, r := range res {
		if r.Status != http.StatusCreated {
			t.Fatalf("attempt %d: %d %s", i, r.Status, r.Body)
		}
		var got map[string]any
		_ = json.Unmarshal([]byte(r.Body), &got)
		if first == nil {
			first = got
		} else if got["id"] != first["id"] {
			t.Fatalf("two customers for one key: %v %v", got["id"], first["id"])
		}
	}
	var n int
	_ = app.Pool.QueryRow(context.Background(), "SELECT count(*) FROM customers").Scan(&n)
	if n != 1 {
		t.Fatalf("%d customers after five sends with one key", n)
	}
	if first["nationality"] != "UTO" || len(first["cases"].([]any)) != 1 || len(first["documents"].([]any)) != 1 {
		t.Fatalf("answer: %v", first)
	}
	// The same key with another body is refused; without a key the duplicate reference is refused.
	if r := post(strings.Replace(body, "Eriksson", "Other", 1), "Idempotency-Key", "k-1"); r.Status != http.StatusUnprocessableEntity ||
		fieldMsg(decodeErr(t, r), "Idempotency-Key") == "" {
		t.Fatalf("key reuse: %d %s", r.Status, r.Body)
	}
	if r := post(body); r.Status != http.StatusUnprocessableEntity || fieldMsg(decodeErr(t, r), "external_ref") == "" {
		t.Fatalf("duplicate reference: %d %s", r.Status, r.Body)
	}
	// Two keys: which would a repeat match? Refused, and nothing is created.
	two, err := http.NewRequest("POST", app.URL+"/api/v1/customers", strings.NewReader(`{"surname": "Twokeys"}`))
	if err != nil {
		t.Fatal(err)
	}
	two.Header.Set("Authorization", "Bearer "+token)
	two.Header.Set("Content-Type", "application/json")
	two.Header.Add("Idempotency-Key", "k-a")
	two.Header.Add("Idempotency-Key", "k-b")
	if r := c.Do(t, two); r.Status != http.StatusUnprocessableEntity || !strings.Contains(fieldMsg(decodeErr(t, r), "Idempotency-Key"), "one Idempotency-Key") {
		t.Fatalf("two keys: %d %s", r.Status, r.Body)
	}
	var twokeys int
	if err := app.Pool.QueryRow(context.Background(), "SELECT count(*) FROM customers WHERE surname = 'Twokeys'").Scan(&twokeys); err != nil || twokeys != 0 {
		t.Fatalf("two keys created %d customers (%v)", twokeys, err)
	}
	// Read back the case's status and decision, and find by reference.
	caseID := first["cases"].([]any)[0].(map[string]any)["id"].(string)
	r := c.API(t, "GET", "/api/v1/cases/"+caseID, token, "", nil)
	var cj map[string]any
	_ = json.Unmarshal([]byte(r.Body), &cj)
	if r.Status != http.StatusOK || cj["status"] != "new" || cj["decision"] != nil {
		t.Fatalf("case: %d %s", r.Status, r.Body)
	}
	if r := c.API(t, "GET", "/api/v1/customers?external_ref=onb-123", token, "", nil); r.Status != http.StatusOK || !strings.Contains(r.Body, first["id"].(string)) {
		t.Fatalf("find: %d", r.Status)
	}
	if r := c.API(t, "GET", "/api/v1/cases/not-a-uuid", token, "", nil); r.Status != http.StatusNotFound {
		t.Fatalf("bad id: %d", r.Status)
	}
	// The audit log names the token.
	var actor string
	_ = app.Pool.QueryRow(context.Background(), "SELECT actor_label FROM audit_events WHERE action = 'customer.create'").Scan(&actor)
	if actor != "api-token:onboarding" {
		t.Fatalf("actor %q", actor)
	}
}

func multipartBody(t *testing.T, fields map[string]string, files map[string][]byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	for name, data := range files {
		kind, _, _ := strings.Cut(name, ":")
		fw, err := mw.CreateFormFile(kind, name[len(kind)+1:])
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(data)
	}
	_ = mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

func TestAddDocumentWithImages(t *testing.T) {
	app := testenv.NewApp(t)
	token := app.CreateAPIToken(t, "onboarding")
	c := app.NewClient()
	r := c.API(t, "POST", "/api/v1/customers", token, "application/json", []byte(`{"surname": "Specimen", "external_ref": "doc-1"}`))
	var cust map[string]any
	_ = json.Unmarshal([]byte(r.Body), &cust)
	id := cust["id"].(string)
	sp := specimen.Generate(42, specimen.Options{DocumentType: specimen.Passport})

	var bomb bytes.Buffer
	_ = png.Encode(&bomb, image.NewGray(image.Rect(0, 0, 1, 1)))
	html := []byte("<html><script>alert(1)</script></html>")
	for name, files := range map[string]map[string][]byte{
		"html renamed": {"front:passport.jpg": html},
		"empty":        {"front:empty.png": {}},
	} {
		body, ct := multipartBody(t, map[string]string{"type": "passport"}, files)
		r := c.API(t, "POST", "/api/v1/customers/"+id+"/documents", token, ct, body)
		if r.Status != http.StatusUnprocessableEntity || fieldMsg(decodeErr(t, r), "front") == "" {
			t.Fatalf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	var docs int
	_ = app.Pool.QueryRow(context.Background(), "SELECT count(*) FROM documents").Scan(&docs)
	if docs != 0 {
		t.Fatal("a refused upload left a document behind")
	}
	body, ct := multipartBody(t, map[string]string{"type": "passport", "issuing_country": "UTO", "number": sp.DocumentNumber},
		map[string][]byte{"front:front.jpg": sp.Front, "selfie:selfie.jpg": sp.Selfie})
	r = c.API(t, "POST", "/api/v1/customers/"+id+"/documents", token, ct, body, "Idempotency-Key", "doc-k")
	if r.Status != http.StatusCreated {
		t.Fatalf("add document: %d %s", r.Status, r.Body)
	}
	var doc map[string]any
	_ = json.Unmarshal([]byte(r.Body), &doc)
	if imgs := doc["images"].([]any); len(imgs) != 2 {
		t.Fatalf("images: %v", imgs)
	}
	// The same fields and files sent again, as a client retrying does: another multipart boundary.
	body2, ct2 := multipartBody(t, map[string]string{"type": "passport", "issuing_country": "UTO", "number": sp.DocumentNumber},
		map[string][]byte{"front:front.jpg": sp.Front, "selfie:selfie.jpg": sp.Selfie})
	if ct2 == ct {
		t.Fatal("the test wants a new boundary")
	}
	again := c.API(t, "POST", "/api/v1/customers/"+id+"/documents", token, ct2, body2, "Idempotency-Key", "doc-k")
	if again.Status != http.StatusCreated || again.Header.Get("Idempotent-Replayed") != "true" || again.Body != r.Body {
		t.Fatalf("replay: %d %q %s", again.Status, again.Header.Get("Idempotent-Replayed"), again.Body)
	}
	// Another file under the same key is another request: refused on the key.
	other, ct3 := multipartBody(t, map[string]string{"type": "passport", "issuing_country": "UTO", "number": sp.DocumentNumber},
		map[string][]byte{"front:front.jpg": sp.Selfie, "selfie:selfie.jpg": sp.Selfie})
	if r := c.API(t, "POST", "/api/v1/customers/"+id+"/documents", token, ct3, other, "Idempotency-Key", "doc-k"); r.Status != http.StatusUnprocessableEntity ||
		fieldMsg(decodeErr(t, r), "Idempotency-Key") == "" {
		t.Fatalf("same key, other file: %d %s", r.Status, r.Body)
	}
	_ = app.Pool.QueryRow(context.Background(), "SELECT count(*) FROM documents").Scan(&docs)
	if docs != 1 {
		t.Fatalf("%d documents after a replay", docs)
	}

	// Staff see the images on the case page; each look at an original is audited.
	rev := app.CreateUser(t, "reviewer")
	bc := app.SignIn(t, rev)
	imgID := doc["images"].([]any)[0].(map[string]any)["id"].(string)
	orig := bc.Get(t, "/images/"+imgID+"/original")
	if orig.Status != http.StatusOK || orig.Header.Get("Content-Type") != "image/jpeg" || !strings.Contains(orig.Header.Get("Cache-Control"), "private") ||
		!bytes.Equal([]byte(orig.Body), sp.Front) {
		t.Fatalf("original: %d %s", orig.Status, orig.Header.Get("Content-Type"))
	}
	if !strings.HasPrefix(orig.Header.Get("Content-Disposition"), "inline; filename=\"front-") {
		t.Fatalf("disposition %q", orig.Header.Get("Content-Disposition"))
	}
	if th := bc.Get(t, "/images/"+imgID+"/thumb"); th.Status != http.StatusOK {
		t.Fatalf("thumb: %d", th.Status)
	}
	if got := app.AuditActions(t, "image", imgID); len(got) == 0 || got[0] != "image.view" {
		t.Fatalf("view not audited: %v", got)
	}
	if r := app.NewClient().Get(t, "/images/"+imgID+"/original"); r.Status != http.StatusSeeOther {
		t.Fatalf("signed-out image: %d", r.Status)
	}
	if r := bc.Get(t, "/images/"+imgID+"/..%2F..%2Fetc"); r.Status != http.StatusNotFound {
		t.Fatalf("bad variant: %d", r.Status)
	}
	_ = url.Values{}
	_ = color.White
}

func TestTokensAreManagedByAdmins(t *testing.T) {
	app := testenv.NewApp(t)
	admin := app.SignIn(t, app.CreateUser(t, "admin"))
	if r := admin.PostForm(t, "/admin/api-tokens", url.Values{"name": {""}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("empty name: %d", r.Status)
	}
	r := admin.PostForm(t, "/admin/api-tokens", url.Values{"name": {"onboarding-app"}})
	secret := strings.TrimSpace(r.Doc(t).Find("#new-token").Text())
	if !strings.HasPrefix(secret, "kyc_") {
		t.Fatalf("token not shown: %q", secret)
	}
	var stored []byte
	_ = app.Pool.QueryRow(context.Background(), "SELECT token_hash FROM api_tokens").Scan(&stored)
	if bytes.Contains(stored, []byte(secret)) || len(stored) != 32 {
		t.Fatal("token stored in clear")
	}
	api := app.NewClient()
	if r := api.API(t, "GET", "/api/v1/customers?external_ref=x", secret, "", nil); r.Status != http.StatusNotFound {
		t.Fatalf("new token refused: %d", r.Status)
	}
	list := admin.Get(t, "/admin/api-tokens")
	if strings.Contains(list.Body, secret) {
		t.Fatal("the list shows the token's value")
	}
	row := list.Doc(t).Find(`tr[data-token="onboarding-app"] td`)
	if strings.TrimSpace(row.Eq(3).Text()) == "never" {
		t.Fatal("last use not shown")
	}
	if by := strings.TrimSpace(row.Eq(2).Text()); by != "Admin Tester" {
		t.Fatalf("created by %q, want the admin", by)
	}
	var id string
	_ = app.Pool.QueryRow(context.Background(), "SELECT id FROM api_tokens").Scan(&id)
	if r := admin.PostForm(t, "/admin/api-tokens/"+id+"/revoke", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", r.Status)
	}
	if r := api.API(t, "GET", "/api/v1/customers?external_ref=x", secret, "", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("revoked token works: %d", r.Status)
	}
	// The audit log names a token by its name: a second token may not take it, in any case, even
	// once the first is revoked.
	// Nor one that only looks different by an invisible character.
	for _, name := range []string{"Onboarding-App", "onboarding-app\u200b", "\ufeffonboarding\u2060-app"} {
		r = admin.PostForm(t, "/admin/api-tokens", url.Values{"name": {name}})
		if msg := r.Doc(t).Find("#name-error").Text(); r.Status != http.StatusUnprocessableEntity || !strings.Contains(msg, "already named") {
			t.Fatalf("a second token named %q: %d %q", name, r.Status, msg)
		}
	}
	var tokens int
	if err := app.Pool.QueryRow(context.Background(), "SELECT count(*) FROM api_tokens").Scan(&tokens); err != nil || tokens != 1 {
		t.Fatalf("%d tokens after a refused name (%v)", tokens, err)
	}
	if r := app.NewClient().Get(t, "/api/v1/openapi.json"); r.Status != http.StatusOK || !strings.Contains(r.Body, `"openapi": "3.1.0"`) {
		t.Fatalf("openapi: %d", r.Status)
	}
}

// TestDocumentItsChecksAndItsAnswerLandTogether: with automatic checks on, the document, its
// checks and the answer remembered for its Idempotency-Key are one transaction. When the answer
// cannot be saved, nothing is left; the retry then creates everything once.
func TestDocumentItsChecksAndItsAnswerLandTogether(t *testing.T) {
	ctx := context.Background()
	app := testenv.NewApp(t)
	q := db.New(app.Pool)
	if err := q.SetAppSetting(ctx, db.SetAppSettingParams{Key: "checks.auto_run", Value: []byte("true")}); err != nil {
		t.Fatal(err)
	}
	if err := q.SetAppSetting(ctx, db.SetAppSettingParams{Key: "checks.defaults", Value: []byte(`{"passport": ["ooto", "argos"]}`)}); err != nil {
		t.Fatal(err)
	}
	token := app.CreateAPIToken(t, "onboarding")
	c := app.NewClient()
	r := c.API(t, "POST", "/api/v1/customers", token, "application/json", []byte(`{"surname": "Specimen", "external_ref": "atomic-1"}`))
	var cust map[string]any
	_ = json.Unmarshal([]byte(r.Body), &cust)
	id, _ := cust["id"].(string)
	sp := specimen.Generate(43, specimen.Options{DocumentType: specimen.Passport})
	body, ct := multipartBody(t, map[string]string{"type": "passport", "issuing_country": "UTO", "number": sp.DocumentNumber},
		map[string][]byte{"front:front.jpg": sp.Front, "selfie:selfie.jpg": sp.Selfie})
	count := func() (docs, checks, answers int) {
		t.Helper()
		if err := app.Pool.QueryRow(ctx, "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM checks), (SELECT count(*) FROM idempotency_keys WHERE key = 'atomic-doc')").
			Scan(&docs, &checks, &answers); err != nil {
			t.Fatal(err)
		}
		return
	}

	// The answer cannot be saved: as if the server died between the document and its answer.
	if _, err := app.Pool.Exec(ctx, `CREATE FUNCTION refuse_answer() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no answers today'; END $$;
		CREATE TRIGGER refuse_answer BEFORE INSERT ON idempotency_keys FOR EACH ROW EXECUTE FUNCTION refuse_answer()`); err != nil {
		t.Fatal(err)
	}
	if r := c.API(t, "POST", "/api/v1/customers/"+id+"/documents", token, ct, body, "Idempotency-Key", "atomic-doc"); r.Status != http.StatusInternalServerError {
		t.Fatalf("with the answer refused: %d %s", r.Status, r.Body)
	}
	if d, k, a := count(); d != 0 || k != 0 || a != 0 {
		t.Fatalf("a failed request left %d documents, %d checks, %d answers", d, k, a)
	}

	if _, err := app.Pool.Exec(ctx, "DROP TRIGGER refuse_answer ON idempotency_keys"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if r := c.API(t, "POST", "/api/v1/customers/"+id+"/documents", token, ct, body, "Idempotency-Key", "atomic-doc"); r.Status != http.StatusCreated {
			t.Fatalf("retry: %d %s", r.Status, r.Body)
		}
	}
	if d, k, a := count(); d != 1 || k != 2 || a != 1 {
		t.Fatalf("after the retries: %d documents, %d checks, %d answers; want 1, 2, 1", d, k, a)
	}
}

// TestDocumentEndsTheWaitForResubmission: a document sent through the API for a customer whose
// case awaits resubmission moves the case back to work in the document's transaction: to new
// when nobody holds it, to in review when a reviewer does. The move's audit row names the token
// and the document; a request that fails leaves the case waiting, and a replay moves nothing.
func TestDocumentEndsTheWaitForResubmission(t *testing.T) {
	ctx := context.Background()
	app := testenv.NewApp(t)
	q := db.New(app.Pool)
	token := app.CreateAPIToken(t, "onboarding")
	api := app.NewClient()
	rev := app.CreateUser(t, "reviewer")
	rc := app.SignIn(t, rev)
	var reason string
	reasons, err := q.ListActiveReasons(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reasons {
		if r.Outcome == "request_resubmission" {
			reason = r.ID.String()
			break
		}
	}
	// A customer through the API, whose case a reviewer sends back for a resubmission.
	awaiting := func(ref string) (customerID, caseID string) {
		t.Helper()
		r := api.API(t, "POST", "/api/v1/customers", token, "application/json", []byte(`{"surname": "Resubmit", "external_ref": "`+ref+`"}`))
		var cust struct {
			ID    string
			Cases []struct{ ID string }
		}
		if err := json.Unmarshal([]byte(r.Body), &cust); err != nil || len(cust.Cases) != 1 {
			t.Fatalf("customer: %d %s", r.Status, r.Body)
		}
		path := "/cases/" + cust.Cases[0].ID
		if r := rc.PostForm(t, path+"/claim", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("claim: %d", r.Status)
		}
		if r := rc.PostForm(t, path+"/decision", url.Values{"outcome": {"request_resubmission"}, "reason": {reason}, "comment": {"Send the back too."}}); r.Status != http.StatusSeeOther {
			t.Fatalf("request resubmission: %d %s", r.Status, r.Body)
		}
		return cust.ID, cust.Cases[0].ID
	}
	state := func(caseID string) (status string, assignee *string, arrivals []string) {
		t.Helper()
		if err := app.Pool.QueryRow(ctx, "SELECT status::text, assignee_id::text FROM cases WHERE id = $1", caseID).Scan(&status, &assignee); err != nil {
			t.Fatal(err)
		}
		rows, err := app.Pool.Query(ctx, `SELECT actor_label || ' ' || (after->>'from') || '→' || (after->>'to') || ' ' || (after->>'document_id') || ' ' || (after->>'via')
			FROM audit_events WHERE case_id = $1 AND action = 'case.document_arrived' ORDER BY id`, caseID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var a string
			_ = rows.Scan(&a)
			arrivals = append(arrivals, a)
		}
		return status, assignee, arrivals
	}
	sp := specimen.Generate(44, specimen.Options{DocumentType: specimen.Passport})
	send := func(customerID, key string) testenv.Response {
		t.Helper()
		body, ct := multipartBody(t, map[string]string{"type": "passport", "issuing_country": "UTO", "number": sp.DocumentNumber},
			map[string][]byte{"front:front.jpg": sp.Front})
		return api.API(t, "POST", "/api/v1/customers/"+customerID+"/documents", token, ct, body, "Idempotency-Key", key)
	}

	// Nobody holds the case. A request that fails (its answer cannot be saved) moves nothing.
	custID, caseID := awaiting("resubmit-1")
	if _, err := app.Pool.Exec(ctx, `CREATE FUNCTION refuse_answer() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no answers today'; END $$;
		CREATE TRIGGER refuse_answer BEFORE INSERT ON idempotency_keys FOR EACH ROW EXECUTE FUNCTION refuse_answer()`); err != nil {
		t.Fatal(err)
	}
	if r := send(custID, "resubmit-doc-1"); r.Status != http.StatusInternalServerError {
		t.Fatalf("with the answer refused: %d %s", r.Status, r.Body)
	}
	if status, _, moves := state(caseID); status != "awaiting_resubmission" || len(moves) != 0 {
		t.Fatalf("a failed upload left the case %s with %d moves", status, len(moves))
	}
	if _, err := app.Pool.Exec(ctx, "DROP TRIGGER refuse_answer ON idempotency_keys"); err != nil {
		t.Fatal(err)
	}
	r := send(custID, "resubmit-doc-1")
	if r.Status != http.StatusCreated {
		t.Fatalf("document: %d %s", r.Status, r.Body)
	}
	var doc struct{ ID string }
	_ = json.Unmarshal([]byte(r.Body), &doc)
	status, assignee, moves := state(caseID)
	if status != "new" || assignee != nil {
		t.Fatalf("unassigned case after the document: %s %v, want new and unassigned", status, assignee)
	}
	if want := "api-token:onboarding awaiting_resubmission→new " + doc.ID + " api:onboarding"; len(moves) != 1 || moves[0] != want {
		t.Fatalf("audit rows of the move: %q, want %q", moves, want)
	}
	if r := send(custID, "resubmit-doc-1"); r.Status != http.StatusCreated || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d", r.Status)
	}
	if _, _, moves := state(caseID); len(moves) != 1 {
		t.Fatalf("a replay moved the case again: %q", moves)
	}
	var cj struct{ Status string }
	if r := api.API(t, "GET", "/api/v1/cases/"+caseID, token, "", nil); json.Unmarshal([]byte(r.Body), &cj) != nil || cj.Status != "new" {
		t.Fatalf("the API reports the case as %q", cj.Status)
	}
	tl := rc.Get(t, "/cases/"+caseID).Doc(t).Find("#timeline li").Text()
	if want := "moved the case from awaiting resubmission to new: a document arrived while it awaited the customer's resubmission (sent through the intake API)"; !strings.Contains(tl, want) {
		t.Errorf("timeline lacks %q:\n%s", want, tl)
	}

	// The reviewer holds the case (claiming kept it awaiting): in review, still theirs.
	custID, caseID = awaiting("resubmit-2")
	if r := rc.PostForm(t, "/cases/"+caseID+"/claim", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("claim: %d", r.Status)
	}
	if status, _, _ := state(caseID); status != "awaiting_resubmission" {
		t.Fatalf("claimed awaiting case: %s", status)
	}
	if r := send(custID, "resubmit-doc-2"); r.Status != http.StatusCreated {
		t.Fatalf("document: %d %s", r.Status, r.Body)
	}
	status, assignee, moves = state(caseID)
	if status != "in_review" || assignee == nil || *assignee != rev.ID.String() {
		t.Fatalf("held case after the document: %s %v, want in review with its holder", status, assignee)
	}
	if len(moves) != 1 || !strings.Contains(moves[0], "awaiting_resubmission→in_review") {
		t.Fatalf("audit rows of the move: %q", moves)
	}
	var drift int
	if err := app.Pool.QueryRow(ctx, `SELECT count(*) FROM case_status_counts k
		WHERE k.n <> (SELECT count(*) FROM cases c WHERE c.status = k.status)`).Scan(&drift); err != nil || drift != 0 {
		t.Fatalf("status counters drifted: %d %v", drift, err)
	}
}

// TestEveryShapeProblemAtOnce: misnamed members (a different case included) and wrongly typed
// values are all reported in one answer, each by its exact path.
func TestEveryShapeProblemAtOnce(t *testing.T) {
	app := testenv.NewApp(t)
	token := app.CreateAPIToken(t, "onboarding")
	c := app.NewClient()
	r := c.API(t, "POST", "/api/v1/customers", token, "application/json",
		[]byte(`{"first_name":"A","last_name":"B","Surname":"C","phone":5,"documents":[{"type":"passport"},{"type":"other","number":7}]}`))
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	e := decodeErr(t, r)
	for field, want := range map[string]string{"first_name": "Unknown field", "last_name": "Unknown field", "Surname": "Unknown field",
		"phone": "Expected a string", "documents[1].number": "Expected a string"} {
		if msg := fieldMsg(e, field); !strings.Contains(msg, want) {
			t.Errorf("%s: %q, want %q (all: %s)", field, msg, want, r.Body)
		}
	}
	if len(e.Error.Fields) != 5 {
		t.Errorf("%d field errors, want 5: %s", len(e.Error.Fields), r.Body)
	}
}

// The authorization scheme's name is case-insensitive; anything but a bearer token is refused.
func TestBearerSchemeInAnyCase(t *testing.T) {
	app := testenv.NewApp(t)
	token := app.CreateAPIToken(t, "onboarding")
	c := app.NewClient()
	for auth, want := range map[string]int{"bearer " + token: http.StatusNotFound, "BEARER " + token: http.StatusNotFound,
		"Basic " + token: http.StatusUnauthorized, token: http.StatusUnauthorized} {
		if r := c.API(t, "GET", "/api/v1/customers?external_ref=nobody", "", "", nil, "Authorization", auth); r.Status != want {
			t.Errorf("%.12s…: %d, want %d", auth, r.Status, want)
		}
	}
}

// A method an API address does not answer gets the API's error shape.
func TestMethodNotAllowedInTheAPIShape(t *testing.T) {
	app := testenv.NewApp(t)
	token := app.CreateAPIToken(t, "onboarding")
	r := app.NewClient().API(t, "DELETE", "/api/v1/customers", token, "", nil)
	if r.Status != http.StatusMethodNotAllowed || !strings.Contains(decodeErr(t, r).Error.Message, "DELETE") {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
}

// TestCountryCodesAreRealOnes: a nationality, a country of residence and an issuing country are
// checked against the list of codes (ISO 3166-1 alpha-3 and ICAO 9303's), not only for their
// shape, in the customer's JSON and in a document's form alike; each refusal is on its field and
// says why, and names the code to use when the value names a country another way.
func TestCountryCodesAreRealOnes(t *testing.T) {
	app := testenv.NewApp(t)
	token := app.CreateAPIToken(t, "onboarding")
	c := app.NewClient()
	post := func(body string) testenv.Response {
		return c.API(t, "POST", "/api/v1/customers", token, "application/json", []byte(body))
	}
	r := post(`{"surname": "X", "nationality": "XYZ", "residence_country": "XXA", "documents": [{"type": "passport", "issuing_country": "UK"}]}`)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("unknown codes: %d %s", r.Status, r.Body)
	}
	e := decodeErr(t, r)
	for field, want := range map[string]string{
		"nationality":                  "XYZ is not a country code (ISO 3166-1 alpha-3",
		"residence_country":            "XXA (Stateless person) is not a country one lives in.",
		"documents[0].issuing_country": "UK is not a country code (ISO 3166-1 alpha-3): for United Kingdom of Great Britain and Northern Ireland, use GBR.",
	} {
		if msg := fieldMsg(e, field); !strings.Contains(msg, want) {
			t.Errorf("%s: %q, want %q", field, msg, want)
		}
	}
	var n int
	_ = app.Pool.QueryRow(context.Background(), "SELECT count(*) FROM customers").Scan(&n)
	if n != 0 {
		t.Fatal("a refused customer was stored")
	}

	// ICAO's codes, any case, and Germany's MRZ code D, stored as DEU.
	r = post(`{"surname": "Y", "external_ref": "codes-1", "nationality": "d", "residence_country": "rks",
		"documents": [{"type": "passport", "issuing_country": "GBD"}, {"type": "other", "issuing_country": "xxa"}]}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("real codes: %d %s", r.Status, r.Body)
	}
	var cust intake.CustomerJSON
	_ = json.Unmarshal([]byte(r.Body), &cust)
	var issuers []string
	for _, d := range cust.Documents {
		issuers = append(issuers, d.IssuingCountry)
	}
	slices.Sort(issuers) // the documents of one request share their creation time: any order
	if cust.Nationality != "DEU" || cust.ResidenceCountry != "RKS" || !slices.Equal(issuers, []string{"GBD", "XXA"}) {
		t.Fatalf("stored as %+v", cust)
	}

	// A document's multipart form, as the API takes it.
	sp := specimen.Generate(44, specimen.Options{DocumentType: specimen.Passport})
	body, ct := multipartBody(t, map[string]string{"type": "passport", "issuing_country": "ZZZ", "number": sp.DocumentNumber},
		map[string][]byte{"front:front.jpg": sp.Front})
	r = c.API(t, "POST", "/api/v1/customers/"+cust.ID.String()+"/documents", token, ct, body)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(fieldMsg(decodeErr(t, r), "issuing_country"), "ZZZ is not a country code") {
		t.Fatalf("unknown issuing country: %d %s", r.Status, r.Body)
	}
}

// tinyPNG is a w × h image, as a careless client or a thumbnail sends.
func tinyPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestUploadsTooSmallOrAPassportsBack: a selfie or a document side too small to read is refused
// on its field, naming the file and its size; a passport's back is refused on the back field.
// Nothing is stored either way; a national ID keeps its back.
func TestUploadsTooSmallOrAPassportsBack(t *testing.T) {
	app := testenv.NewApp(t)
	token := app.CreateAPIToken(t, "onboarding")
	c := app.NewClient()
	r := c.API(t, "POST", "/api/v1/customers", token, "application/json", []byte(`{"surname": "Specimen", "external_ref": "small-1"}`))
	var cust intake.CustomerJSON
	_ = json.Unmarshal([]byte(r.Body), &cust)
	passport := specimen.Generate(45, specimen.Options{DocumentType: specimen.Passport})
	card := specimen.Generate(46, specimen.Options{DocumentType: specimen.NationalID})
	send := func(fields map[string]string, files map[string][]byte) testenv.Response {
		body, ct := multipartBody(t, fields, files)
		return c.API(t, "POST", "/api/v1/customers/"+cust.ID.String()+"/documents", token, ct, body)
	}
	for name, tc := range map[string]struct {
		fields       map[string]string
		files        map[string][]byte
		field, want  string
		notInMessage string
	}{
		"10 × 10 selfie": {map[string]string{"type": "passport"}, map[string][]byte{"front:front.jpg": passport.Front, "selfie:selfie.jpg": tinyPNG(t, 10, 10)},
			"selfie", "selfie.jpg: the image is 10 × 10 pixels; an image must be at least 320 pixels on its shortest side", ""},
		"a thumbnail as the front": {map[string]string{"type": "national_id"}, map[string][]byte{"front:id.png": tinyPNG(t, 300, 190), "back:back.jpg": card.Back},
			"front", "id.png: the image is 300 × 190 pixels; an image must be at least 320 pixels", ""},
		"a passport's back": {map[string]string{"type": "passport"}, map[string][]byte{"front:front.jpg": passport.Front, "back:back.jpg": card.Back},
			"back", "A passport has no back side; send the data page as front.", ""},
		// The back is refused for being a passport's, not for its size.
		"a passport's tiny back": {map[string]string{"type": "passport"}, map[string][]byte{"front:front.jpg": passport.Front, "back:b.png": tinyPNG(t, 5, 5)},
			"back", "A passport has no back side", "pixels"},
	} {
		r := send(tc.fields, tc.files)
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%s: %d %s", name, r.Status, r.Body)
		}
		msg := fieldMsg(decodeErr(t, r), tc.field)
		if !strings.Contains(msg, tc.want) || (tc.notInMessage != "" && strings.Contains(msg, tc.notInMessage)) {
			t.Errorf("%s: %s: %q, want %q", name, tc.field, msg, tc.want)
		}
	}
	var docs, imgs int
	_ = app.Pool.QueryRow(context.Background(), "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM images)").Scan(&docs, &imgs)
	if docs != 0 || imgs != 0 {
		t.Fatalf("refused uploads left %d documents and %d images", docs, imgs)
	}

	// A national ID has a back; a passport is its data page and a selfie.
	if r := send(map[string]string{"type": "national_id"}, map[string][]byte{"front:front.jpg": card.Front, "back:back.jpg": card.Back}); r.Status != http.StatusCreated {
		t.Fatalf("national ID with its back: %d %s", r.Status, r.Body)
	}
	if r := send(map[string]string{"type": "passport"}, map[string][]byte{"front:front.jpg": passport.Front, "selfie:selfie.jpg": passport.Selfie}); r.Status != http.StatusCreated {
		t.Fatalf("passport: %d %s", r.Status, r.Body)
	}
}

// TestOpenAPISaysTheRules: the served description lists the country codes the API takes (the
// same list it checks by) and says what it refuses of images.
func TestOpenAPISaysTheRules(t *testing.T) {
	app := testenv.NewApp(t)
	r := app.NewClient().Get(t, "/api/v1/openapi.json")
	if r.Status != http.StatusOK || strings.Contains(r.Body, "x-kycdesk-codes") {
		t.Fatalf("openapi: %d", r.Status)
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Enum  []string `json:"enum"`
				Names []string `json:"x-enum-descriptions"`
			} `json:"schemas"`
		} `json:"components"`
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal([]byte(r.Body), &doc); err != nil {
		t.Fatalf("the served file is not JSON: %v", err)
	}
	for schema, list := range map[string][]normalize.Country{"CountryCode": normalize.CountryCodes(), "ResidenceCode": normalize.ResidenceCodes()} {
		s := doc.Components.Schemas[schema]
		if len(s.Enum) != len(list)+1 || len(s.Names) != len(s.Enum) || s.Enum[0] != "" {
			t.Fatalf("%s: %d codes and %d names for %d in the list", schema, len(s.Enum), len(s.Names), len(list))
		}
		for i, c := range list {
			if s.Enum[i+1] != c.Alpha3 || s.Names[i+1] != c.Name {
				t.Fatalf("%s: %q (%q), want %s (%s)", schema, s.Enum[i+1], s.Names[i+1], c.Alpha3, c.Name)
			}
		}
	}
	if !slices.Contains(doc.Components.Schemas["CountryCode"].Enum, "XXA") || slices.Contains(doc.Components.Schemas["ResidenceCode"].Enum, "XXA") {
		t.Error("XXA is a nationality, not a country of residence")
	}
	upload := string(doc.Paths["/customers/{id}/documents"]["post"])
	for _, want := range []string{fmt.Sprintf("at least %d pixels on the shortest side", images.DefaultMinSide), "A passport has no back side",
		"#/components/schemas/CountryCode"} {
		if !strings.Contains(upload, want) {
			t.Errorf("the upload's description does not say %q", want)
		}
	}
}

// rejectCase has a reviewer claim case id and reject it (no four-eyes rule applies).
func rejectCase(t *testing.T, app *testenv.App, rc *testenv.Client, caseID string) {
	t.Helper()
	ctx := context.Background()
	// No four-eyes rule: the rejection is final (a rule left out of the setting is on).
	rules := `{"always": false, "override_negative": false, "flags": false, "escalated": false, "no_checks": false}`
	if err := db.New(app.Pool).SetAppSetting(ctx, db.SetAppSettingParams{Key: "four_eyes.rules", Value: []byte(rules)}); err != nil {
		t.Fatal(err)
	}
	var reason string
	if err := app.Pool.QueryRow(ctx, "SELECT id::text FROM decision_reasons WHERE outcome = 'reject' AND active LIMIT 1").Scan(&reason); err != nil {
		t.Fatal(err)
	}
	if r := rc.PostForm(t, "/cases/"+caseID+"/claim", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("claim: %d", r.Status)
	}
	if r := rc.PostForm(t, "/cases/"+caseID+"/decision", url.Values{"outcome": {"reject"}, "reason": {reason}, "comment": {"Forged."}}); r.Status != http.StatusSeeOther {
		t.Fatalf("reject: %d %s", r.Status, r.Body)
	}
	var status string
	if err := app.Pool.QueryRow(ctx, "SELECT status::text FROM cases WHERE id = $1", caseID).Scan(&status); err != nil || status != "rejected" {
		t.Fatalf("the case is %q after its rejection (%v)", status, err)
	}
}

// TestDocumentAfterADecisionOpensACase: a document sent through the API for a customer whose case
// was rejected opens a new case (201 with its case_id): new, unassigned, counted in the queue's
// New tab, audited as case.create after the earlier case (before the document's own row), with the
// automatic checks on it. The new case's timeline says why and links to the earlier case, which
// links to the later one. A second document joins the same case.
func TestDocumentAfterADecisionOpensACase(t *testing.T) {
	ctx := context.Background()
	app := testenv.NewApp(t)
	q := db.New(app.Pool)
	if err := q.SetAppSetting(ctx, db.SetAppSettingParams{Key: "checks.auto_run", Value: []byte("true")}); err != nil {
		t.Fatal(err)
	}
	if err := q.SetAppSetting(ctx, db.SetAppSettingParams{Key: "checks.defaults", Value: []byte(`{"passport": ["ooto", "argos"]}`)}); err != nil {
		t.Fatal(err)
	}
	token := app.CreateAPIToken(t, "onboarding")
	api := app.NewClient()
	rc := app.SignIn(t, app.CreateUser(t, "reviewer"))
	r := api.API(t, "POST", "/api/v1/customers", token, "application/json", []byte(`{"surname": "Again", "external_ref": "again-1"}`))
	var cust struct {
		ID    string
		Cases []struct{ ID string }
	}
	if err := json.Unmarshal([]byte(r.Body), &cust); err != nil || len(cust.Cases) != 1 {
		t.Fatalf("customer: %d %s", r.Status, r.Body)
	}
	first := cust.Cases[0].ID
	rejectCase(t, app, rc, first)
	newTab := func() string {
		t.Helper()
		return strings.TrimSpace(rc.Get(t, "/cases").Doc(t).Find(`nav.tabs a[data-status="new"] .count`).Text())
	}
	if n := newTab(); n != "0" {
		t.Fatalf("the New tab counts %s before the document", n)
	}

	send := func(seed uint64) (docID, caseID string) {
		t.Helper()
		sp := specimen.Generate(seed, specimen.Options{DocumentType: specimen.Passport})
		body, ct := multipartBody(t, map[string]string{"type": "passport", "issuing_country": "UTO", "number": sp.DocumentNumber},
			map[string][]byte{"front:front.jpg": sp.Front})
		r := api.API(t, "POST", "/api/v1/customers/"+cust.ID+"/documents", token, ct, body)
		var doc struct {
			ID     string
			CaseID *string `json:"case_id"`
		}
		if err := json.Unmarshal([]byte(r.Body), &doc); err != nil || r.Status != http.StatusCreated || doc.CaseID == nil {
			t.Fatalf("document: %d %s", r.Status, r.Body)
		}
		return doc.ID, *doc.CaseID
	}
	docID, second := send(45)
	if second == first {
		t.Fatal("the document joined the rejected case")
	}
	var status string
	var assignee *string
	if err := app.Pool.QueryRow(ctx, "SELECT status::text, assignee_id::text FROM cases WHERE id = $1", second).Scan(&status, &assignee); err != nil {
		t.Fatal(err)
	}
	if status != "new" || assignee != nil {
		t.Fatalf("the new case is %s, assigned to %v; want new and unassigned", status, assignee)
	}
	if n := newTab(); n != "1" {
		t.Fatalf("the New tab counts %s after the document, want 1", n)
	}
	var cj struct{ Status string }
	if r := api.API(t, "GET", "/api/v1/cases/"+second, token, "", nil); json.Unmarshal([]byte(r.Body), &cj) != nil || cj.Status != "new" {
		t.Fatalf("the API reports the new case as %q", cj.Status)
	}
	// Audited: the case's opening, then the document, on the new case.
	var actions []string
	var after struct {
		Status        string `json:"status"`
		CustomerID    string `json:"customer_id"`
		DocumentID    string `json:"document_id"`
		Via           string `json:"via"`
		ReopenedAfter string `json:"reopened_after"`
	}
	rows, err := app.Pool.Query(ctx, "SELECT action, after FROM audit_events WHERE case_id = $1 AND action IN ('case.create', 'document.add') ORDER BY id", second)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var a string
		var raw []byte
		if err := rows.Scan(&a, &raw); err != nil {
			t.Fatal(err)
		}
		actions = append(actions, a)
		if a == "case.create" {
			_ = json.Unmarshal(raw, &after)
		}
	}
	rows.Close()
	if strings.Join(actions, ",") != "case.create,document.add" {
		t.Fatalf("audit rows of the new case: %v, want case.create then document.add", actions)
	}
	if after.Status != "new" || after.CustomerID != cust.ID || after.DocumentID != docID || after.Via != "api:onboarding" || after.ReopenedAfter != first {
		t.Fatalf("case.create says %+v", after)
	}
	// The automatic checks run on the new case.
	var checks int
	if err := app.Pool.QueryRow(ctx, "SELECT count(*) FROM checks WHERE case_id = $1 AND document_id = $2", second, docID).Scan(&checks); err != nil || checks != 2 {
		t.Fatalf("%d checks on the new case, want 2 (%v)", checks, err)
	}

	// The new case says why it was opened and links to the earlier one, which links to it.
	page := rc.Get(t, "/cases/"+second).Doc(t)
	var opened string
	page.Find("#timeline li").Each(func(_ int, s *goquery.Selection) {
		if strings.Contains(s.Text(), "opened the case") {
			opened = strings.Join(strings.Fields(s.Text()), " ")
			if s.Find(`a[href="/cases/`+first+`"]`).Length() != 1 {
				t.Error("the opening does not link to the earlier case")
			}
		}
	})
	if want := "opened the case: a document arrived (sent through the intake API) after the customer's earlier case was rejected (open the earlier case)"; !strings.Contains(opened, want) {
		t.Errorf("the timeline says %q, want %q", opened, want)
	}
	if page.Find("#later-case").Length() != 0 {
		t.Error("the open case points to a later case")
	}
	earlier := rc.Get(t, "/cases/"+first).Doc(t)
	if earlier.Find(`#later-case a[href="/cases/`+second+`"]`).Length() != 1 {
		t.Errorf("the rejected case does not link to the later one: %q", earlier.Find("#later-case").Text())
	}

	// A second document joins the open case.
	if _, again := send(46); again != second {
		t.Fatalf("the second document joined %s, want %s", again, second)
	}
	var cases, opens int
	if err := app.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM cases WHERE customer_id = $1),
		(SELECT count(*) FROM audit_events WHERE action = 'case.create' AND case_id = $2)`, cust.ID, second).Scan(&cases, &opens); err != nil {
		t.Fatal(err)
	}
	if cases != 2 || opens != 1 {
		t.Fatalf("%d cases and %d openings after the second document, want 2 and 1", cases, opens)
	}
	var drift int
	if err := app.Pool.QueryRow(ctx, `SELECT count(*) FROM case_status_counts k
		WHERE k.n <> (SELECT count(*) FROM cases c WHERE c.status = k.status)`).Scan(&drift); err != nil || drift != 0 {
		t.Fatalf("status counters drifted: %d %v", drift, err)
	}

	// Re-verified again: each decided case links to the customer's next case, not the newest.
	rejectCase(t, app, rc, second)
	if _, third := send(47); third == second || third == first {
		t.Fatalf("the third document joined the decided case %s", third)
	} else {
		for _, l := range [][2]string{{first, second}, {second, third}} {
			page := rc.Get(t, "/cases/"+l[0]).Doc(t)
			if page.Find(`#later-case a[href="/cases/`+l[1]+`"]`).Length() != 1 {
				t.Errorf("case %s links to %q, want its next case %s", l[0], page.Find("#later-case a").AttrOr("href", ""), l[1])
			}
		}
	}
}

// TestRacingDocumentsOpenOneCase: documents arriving at the same moment for a customer whose case
// was decided open one case between them; each answers 201 with that case.
func TestRacingDocumentsOpenOneCase(t *testing.T) {
	ctx := context.Background()
	app := testenv.NewApp(t)
	token := app.CreateAPIToken(t, "onboarding")
	api := app.NewClient()
	const customers, racers = 4, 3
	for i := range customers {
		r := api.API(t, "POST", "/api/v1/customers", token, "application/json", []byte(fmt.Sprintf(`{"surname": "Race", "external_ref": "race-%d"}`, i)))
		var cust struct{ ID string }
		if err := json.Unmarshal([]byte(r.Body), &cust); err != nil || cust.ID == "" {
			t.Fatalf("customer: %d %s", r.Status, r.Body)
		}
		// Decided, as a rejection leaves it (the status counters follow through their trigger).
		if _, err := app.Pool.Exec(ctx, "UPDATE cases SET status = 'rejected', decided_at = now() WHERE customer_id = $1", cust.ID); err != nil {
			t.Fatal(err)
		}
		bodies := make([][]byte, racers)
		types := make([]string, racers)
		for k := range racers {
			sp := specimen.Generate(uint64(100+10*i+k), specimen.Options{DocumentType: specimen.Passport})
			bodies[k], types[k] = multipartBody(t, map[string]string{"type": "passport", "issuing_country": "UTO", "number": sp.DocumentNumber},
				map[string][]byte{"front:front.jpg": sp.Front})
		}
		start := make(chan struct{})
		got := make([]testenv.Response, racers)
		var wg sync.WaitGroup
		for k := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				got[k] = api.API(t, "POST", "/api/v1/customers/"+cust.ID+"/documents", token, types[k], bodies[k])
			}()
		}
		close(start)
		wg.Wait()
		seen := map[string]bool{}
		for k, r := range got {
			var doc struct {
				CaseID string `json:"case_id"`
			}
			if err := json.Unmarshal([]byte(r.Body), &doc); err != nil || r.Status != http.StatusCreated || doc.CaseID == "" {
				t.Fatalf("customer %d, document %d: %d %s", i, k, r.Status, r.Body)
			}
			seen[doc.CaseID] = true
		}
		var open, opened int
		if err := app.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM cases WHERE customer_id = $1 AND status = 'new'),
			(SELECT count(*) FROM audit_events e JOIN cases c ON c.id = e.case_id WHERE c.customer_id = $1 AND e.action = 'case.create' AND e.after ? 'document_id')`,
			cust.ID).Scan(&open, &opened); err != nil {
			t.Fatal(err)
		}
		if len(seen) != 1 || open != 1 || opened != 1 {
			t.Fatalf("customer %d: the documents joined %d cases; %d open, %d opened by a document; want 1 each", i, len(seen), open, opened)
		}
	}
}

// TestCustomerCasesSayTheirDecision: a customer's list of cases (GET /customers/{id}) says each
// decided case's decision as GET /cases/{id} does, so that the onboarding front end reading a
// re-verified customer sees why the earlier case was rejected, not null.
func TestCustomerCasesSayTheirDecision(t *testing.T) {
	app := testenv.NewApp(t)
	token := app.CreateAPIToken(t, "onboarding")
	api := app.NewClient()
	rc := app.SignIn(t, app.CreateUser(t, "reviewer"))
	r := api.API(t, "POST", "/api/v1/customers", token, "application/json", []byte(`{"surname": "Decided", "external_ref": "decided-1"}`))
	type caseJSON struct {
		ID       string
		Status   string
		Decision *struct {
			Outcome   string
			Reason    string
			DecidedAt string `json:"decided_at"`
		}
	}
	var cust struct {
		ID    string
		Cases []caseJSON
	}
	if err := json.Unmarshal([]byte(r.Body), &cust); err != nil || len(cust.Cases) != 1 {
		t.Fatalf("customer: %d %s", r.Status, r.Body)
	}
	first := cust.Cases[0].ID
	rejectCase(t, app, rc, first)

	var one caseJSON
	if r := api.API(t, "GET", "/api/v1/cases/"+first, token, "", nil); json.Unmarshal([]byte(r.Body), &one) != nil || one.Decision == nil {
		t.Fatalf("GET /cases/{id}: %d %s", r.Status, r.Body)
	}
	r = api.API(t, "GET", "/api/v1/customers/"+cust.ID, token, "", nil)
	if err := json.Unmarshal([]byte(r.Body), &cust); err != nil || len(cust.Cases) != 1 {
		t.Fatalf("GET /customers/{id}: %d %s", r.Status, r.Body)
	}
	got := cust.Cases[0]
	if got.Status != "rejected" || got.Decision == nil || *got.Decision != *one.Decision {
		t.Fatalf("the customer's case says %s with decision %+v; GET /cases/{id} says %+v", got.Status, got.Decision, one.Decision)
	}
}
