package cynopsis

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"kycdesk/internal/vendors"
)

// TestLivenessBodyMatchesTheContract serialises a full request and compares it, member by member,
// with the page's example body. It fails if a tag drifts, e.g. to "livenessConfidence".
func TestLivenessBodyMatchesTheContract(t *testing.T) {
	detail := &FaceDetail{Value: false, Confidence: 123}
	req := LivenessRequest{
		Conclusion: Bool(true), AuditImages: "<string>",
		FaceDetails: &FaceDetails{EyesClosed: detail, Sunglasses: detail, FaceOccluded: detail},
		FacialCheck: Bool(true), LivenessResult: Bool(true), ReferenceImage: "<string>", LiivenessConfidence: Int64(123),
	}
	got, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var gotV, wantV map[string]any
	if err := json.Unmarshal(got, &gotV); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(readFixture(t, "liveness_request_example.json"), &wantV); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotV, wantV) {
		t.Errorf("liveness body\n got %s\nwant the page's example %v", got, wantV)
	}
	if _, ok := gotV["liivenessConfidence"]; !ok {
		t.Error(`"liivenessConfidence" (two i's) is not sent`)
	}
	if _, ok := gotV["livenessConfidence"]; ok {
		t.Error(`the contract's spelling was "fixed" to "livenessConfidence"`)
	}
	keys := make([]string, 0, len(gotV))
	for k := range gotV {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	want := []string{"auditImages", "conclusion", "faceDetails", "facialCheck", "liivenessConfidence", "livenessResult", "referenceImage"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("members %v, want %v", keys, want)
	}
}

func TestLivenessBodyZeroValues(t *testing.T) {
	tests := []struct {
		name string
		req  LivenessRequest
		want string
	}{
		{"nothing known sends nothing", LivenessRequest{}, `{}`},
		{"false conclusion is sent", LivenessRequest{Conclusion: Bool(false)}, `{"conclusion":false}`},
		{"false checks and zero confidence are sent",
			LivenessRequest{FacialCheck: Bool(false), LivenessResult: Bool(false), LiivenessConfidence: Int64(0)},
			`{"facialCheck":false,"livenessResult":false,"liivenessConfidence":0}`},
		{"a face detail sends both members",
			LivenessRequest{FaceDetails: &FaceDetails{Sunglasses: &FaceDetail{}}},
			`{"faceDetails":{"sunglasses":{"value":false,"confidence":0}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := json.Marshal(tt.req)
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestLivenessFromFace(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name string
		face *vendors.Face
		want string
	}{
		{"nil", nil, `{"referenceImage":"REF"}`},
		{"live and same", &vendors.Face{Same: Bool(true), LivenessFine: Bool(true), Liveness: f(0.934)},
			`{"conclusion":true,"facialCheck":true,"livenessResult":true,"referenceImage":"REF","liivenessConfidence":93}`},
		{"live, other person", &vendors.Face{Same: Bool(false), LivenessFine: Bool(true), Liveness: f(0.9)},
			`{"conclusion":false,"facialCheck":false,"livenessResult":true,"referenceImage":"REF","liivenessConfidence":90}`},
		{"spoof, match unknown", &vendors.Face{LivenessFine: Bool(false), Liveness: f(0.1)},
			`{"conclusion":false,"livenessResult":false,"referenceImage":"REF","liivenessConfidence":10}`},
		{"live, match unknown", &vendors.Face{LivenessFine: Bool(true)},
			`{"livenessResult":true,"referenceImage":"REF"}`},
		{"score out of range", &vendors.Face{Liveness: f(1.7)}, `{"referenceImage":"REF","liivenessConfidence":100}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := json.Marshal(LivenessFromFace(tt.face, "REF", ""))
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestDocumentTypeFor(t *testing.T) {
	for kind, want := range map[string]string{
		"passport": DocPassport, "national_id": DocNationalID, "driving_licence": DocDrivingLicense,
		"residence_permit": DocOthers, "other": DocOthers, "": DocOthers, " Passport ": DocPassport,
	} {
		if got := DocumentTypeFor(kind); got != want {
			t.Errorf("DocumentTypeFor(%q) = %q, want %q", kind, got, want)
		}
	}
}

// artemisFlow creates a customer and a document through the fake.
func artemisFlow(t *testing.T, e *env) (int64, int64) {
	t.Helper()
	cid, err := e.client.CreateCustomer(ctx(t), CustomerRequest{
		ProfileReferenceID: "case-0001",
		Particular:         &Particular{FirstName: "ANNA MARIA", LastName: "ERIKSSON", DateOfBirth: "1974-08-12", Nationality: "UTO", Gender: "F"},
	})
	if err != nil {
		t.Fatalf("CreateCustomer: %v", err)
	}
	did, err := e.client.UploadDocument(ctx(t), cid, DocumentRequest{
		Type: DocPassport, Number: "L898902C3", IssueDate: "2020-04-16", ExpiryDate: "2030-04-15",
	}, image("front"), image("back"))
	if err != nil {
		t.Fatalf("UploadDocument: %v", err)
	}
	return cid, did
}

func TestArtemisRequestsOnTheWire(t *testing.T) {
	e := newEnv(t, nil, nil)
	cid, did := artemisFlow(t, e)

	cust := e.fake.RequestsTo(RouteCustomer)
	if len(cust) != 1 || cust[0].Path != "/api/customer" || cust[0].Status != http.StatusCreated {
		t.Fatalf("customer requests %+v", cust)
	}
	if ct := cust[0].Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("customer Content-Type %q", ct)
	}
	wantCustomer := map[string]any{
		"profileReferenceId": "case-0001", "type": "INDIVIDUAL",
		"particular": map[string]any{"firstName": "ANNA MARIA", "lastName": "ERIKSSON", "dateOfBirth": "1974-08-12", "nationality": "UTO", "gender": "F"},
	}
	if !reflect.DeepEqual(cust[0].JSON, wantCustomer) {
		t.Errorf("customer body %v, want %v", cust[0].JSON, wantCustomer)
	}
	if got, ok := e.fake.CustomerByReference("case-0001"); !ok || got != cid {
		t.Errorf("customer id %d, fake has %d", cid, got)
	}

	docs := e.fake.RequestsTo(RouteDocument)
	if len(docs) != 1 || docs[0].Status != http.StatusCreated {
		t.Fatalf("document requests %+v", docs)
	}
	if docs[0].Path != "/api/customer/"+itoa(cid)+"/document" {
		t.Errorf("document path %s", docs[0].Path)
	}
	parts := docs[0].Parts
	if len(parts) != 3 || parts[0].Name != "front" || parts[0].FileName == "" || parts[0].ContentType != "image/jpeg" ||
		parts[1].Name != "back" || parts[1].FileName == "" || parts[2].Name != "document" || parts[2].ContentType != "application/json" {
		t.Fatalf("document parts %+v", parts)
	}
	wantDoc := map[string]any{"type": "PASSPORT", "number": "L898902C3", "authenticity": "ORIGINAL",
		"issueDate": "2020-04-16", "expiryDate": "2030-04-15", "showExpiryNotification": false}
	if !reflect.DeepEqual(parts[2].JSON, wantDoc) {
		t.Errorf("document part %v, want %v", parts[2].JSON, wantDoc)
	}

	resp, err := e.client.PutLiveness(ctx(t), cid, did, LivenessRequest{
		Conclusion: Bool(false), FacialCheck: Bool(true), LivenessResult: Bool(false), LiivenessConfidence: Int64(12),
		FaceDetails: &FaceDetails{EyesClosed: &FaceDetail{Value: true, Confidence: 88.5}},
	})
	if err != nil {
		t.Fatalf("PutLiveness: %v", err)
	}
	puts := e.fake.RequestsTo(RouteLiveness)
	if len(puts) != 1 {
		t.Fatalf("liveness PUTs = %d, want exactly 1", len(puts))
	}
	p := puts[0]
	if p.Method != http.MethodPut || p.Path != "/api/customer/"+itoa(cid)+"/document/"+itoa(did)+"/liveness" ||
		p.Header.Get("Content-Type") != "application/json" || p.Status != http.StatusOK {
		t.Errorf("liveness request %s %s %q → %d", p.Method, p.Path, p.Header.Get("Content-Type"), p.Status)
	}
	wantBody := `{"conclusion":false,"faceDetails":{"eyesClosed":{"value":true,"confidence":88.5}},"facialCheck":true,"livenessResult":false,"liivenessConfidence":12}`
	if string(p.Body) != wantBody {
		t.Errorf("liveness body\n got %s\nwant %s", p.Body, wantBody)
	}
	if resp.ID != did || resp.CustomerID != cid || resp.Type != DocPassport || resp.Number != "L898902C3" ||
		resp.DocverCheckStatus != "NOT_PERFORMED" || !resp.CreatedAt.Valid || !resp.IssueDate.Valid ||
		resp.IssueDate.Time.Format("2006-01-02") != "2020-04-16" || resp.CreatedBy == nil || resp.CreatedBy.Email == "" {
		t.Errorf("liveness response %+v", resp)
	}
	var liveness map[string]any
	if err := json.Unmarshal(resp.Liveness, &liveness); err != nil || liveness["conclusion"] != false {
		t.Errorf("liveness echoed %s (%v)", resp.Liveness, err)
	}

	// Every Artemis call carries X-Domain-ID spelled as the Artemis page spells it.
	n := 0
	for _, w := range e.wire.all() {
		if !strings.HasPrefix(w.Path, "/artemis/") {
			continue
		}
		n++
		if got := w.Header["X-Domain-ID"]; len(got) != 1 || got[0] != "42" {
			t.Errorf("%s %s: X-Domain-ID = %v (headers %v)", w.Method, w.Path, got, w.Header)
		}
		if _, has := w.Header["X-Domain-Id"]; has {
			t.Errorf("%s: sent the OCR spelling X-Domain-Id", w.Path)
		}
	}
	if n != 3 {
		t.Errorf("Artemis requests on the wire %d, want 3", n)
	}
	for _, c := range e.calls.all() {
		if c.Vendor == vendors.Artemis && !strings.HasSuffix(c.Endpoint, "/oauth/token") && c.HTTPStatus >= 200 && c.HTTPStatus < 300 && !strings.HasPrefix(c.Meaning, "Artemis") {
			t.Errorf("Artemis call recorded without meaning: %+v", c)
		}
	}
}

func TestPutOCRPushesTheAnswer(t *testing.T) {
	e := newEnv(t, nil, nil)
	cid, did := artemisFlow(t, e)
	_, raw, err := e.client.OCR(ctx(t), image("front"), nil, "", "")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := e.client.PutOCR(ctx(t), cid, did, raw)
	if err != nil {
		t.Fatal(err)
	}
	if doc.DocverCheckStatus != "PERFORMED" {
		t.Errorf("docverCheckStatus %q", doc.DocverCheckStatus)
	}
	reqs := e.fake.RequestsTo(RouteDocumentOCR)
	if len(reqs) != 1 || !json.Valid(reqs[0].Body) {
		t.Fatalf("OCR pushes %+v", reqs)
	}
	if _, err := e.client.PutOCR(ctx(t), cid, did, json.RawMessage(`[1]`)); err == nil {
		t.Error("a non-object OCR answer was pushed")
	}
}

func TestDuplicateCustomerIsRecognised(t *testing.T) {
	e := newEnv(t, nil, nil)
	first, err := e.client.CreateCustomer(ctx(t), CustomerRequest{ProfileReferenceID: "case-7"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.client.CreateCustomer(ctx(t), CustomerRequest{ProfileReferenceID: "case-7"})
	if !errors.Is(err, ErrDuplicateCustomer) {
		t.Fatalf("second create: %v, want ErrDuplicateCustomer", err)
	}
	ve := mustVendorError(t, err)
	if ve.Kind != vendors.Business || ve.HTTPStatus != http.StatusConflict || vendors.Retryable(err) || !strings.Contains(ve.Message, `"case-7"`) {
		t.Errorf("duplicate: %s %d %q", ve.Kind, ve.HTTPStatus, ve.Message)
	}
	if id, _ := e.fake.CustomerByReference("case-7"); id != first {
		t.Error("the fake replaced the first customer")
	}

	// Artemis may also answer a duplicate with a 400 saying so.
	e.fake.Faults.Inject(vendors.Fault{Kind: vendors.FaultStatus, Status: 400, PathContains: "/api/customer",
		Body: `{"timestamp":"2024-01-01T00:00:00Z","status":400,"error":"Bad Request","message":"Profile reference ID already exists","path":"/api/customer"}`})
	if _, err := e.client.CreateCustomer(ctx(t), CustomerRequest{ProfileReferenceID: "case-8"}); !errors.Is(err, ErrDuplicateCustomer) {
		t.Errorf("400 already exists: %v", err)
	}
}

func TestArtemisClientErrorsCarrySpringMessage(t *testing.T) {
	e := newEnv(t, nil, nil)
	cid, did := artemisFlow(t, e)
	_, err := e.client.PutLiveness(ctx(t), cid, did+100, LivenessRequest{Conclusion: Bool(true)})
	ve := mustVendorError(t, err)
	if ve.Kind != vendors.Invalid || ve.HTTPStatus != 404 || vendors.Retryable(err) || ve.Code != "" ||
		!strings.Contains(ve.Message, "Document "+itoa(did+100)+" not found for customer "+itoa(cid)+".") {
		t.Errorf("got %s %d code %q message %q", ve.Kind, ve.HTTPStatus, ve.Code, ve.Message)
	}
	if n := e.fake.Count(RouteLiveness); n != 1 {
		t.Errorf("liveness PUTs %d, want 1 (no retry)", n)
	}

	e.fake.Faults.Inject(vendors.Fault{Kind: vendors.FaultStatus, Status: 503, PathContains: "/liveness"})
	if _, err := e.client.PutLiveness(ctx(t), cid, did, LivenessRequest{}); !vendors.Retryable(err) {
		t.Errorf("503 on liveness: %v, want transient", err)
	}
	e.fake.Faults.Inject(vendors.Fault{Kind: vendors.FaultMalformed, PathContains: "/liveness"})
	if _, err := e.client.PutLiveness(ctx(t), cid, did, LivenessRequest{}); !vendors.Retryable(err) {
		t.Errorf("malformed liveness answer: %v, want transient", err)
	}
	// A 2xx with no body at all is a delivery, without the record.
	for _, status := range []int{http.StatusOK, http.StatusNoContent} {
		e.fake.Faults.Inject(vendors.Fault{Kind: vendors.FaultStatus, Status: status, PathContains: "/liveness"})
		if got, err := e.client.PutLiveness(ctx(t), cid, did, LivenessRequest{}); err != nil || got != nil {
			t.Errorf("%d without a body: %+v, %v; want delivered without a record", status, got, err)
		}
	}
}

// TestArtemisAnswerWithoutAnIDIsNotRetried: a readable 2xx without the new record's id is not
// sent again (the customer would be refused as a duplicate, the document made twice); an
// unreadable one (a proxy's page, a cut body) is.
func TestArtemisAnswerWithoutAnIDIsNotRetried(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.fake.Faults.Inject(vendors.Fault{Kind: vendors.FaultStatus, Status: 201, Body: `{"profileReferenceId":"case-9"}`, PathContains: "/customer"})
	_, err := e.client.CreateCustomer(ctx(t), CustomerRequest{ProfileReferenceID: "case-9"})
	if ve := mustVendorError(t, err); ve.Kind != vendors.Invalid || vendors.Retryable(err) {
		t.Errorf("customer created without an id: %s %q", ve.Kind, ve.Message)
	}
	e.fake.Faults.Inject(vendors.Fault{Kind: vendors.FaultMalformed, PathContains: "/customer"})
	if _, err := e.client.CreateCustomer(ctx(t), CustomerRequest{ProfileReferenceID: "case-10"}); !vendors.Retryable(err) {
		t.Errorf("an unreadable answer to the customer creation: %v, want transient", err)
	}
	cid, err := e.client.CreateCustomer(ctx(t), CustomerRequest{ProfileReferenceID: "case-11"})
	if err != nil {
		t.Fatal(err)
	}
	e.fake.Faults.Inject(vendors.Fault{Kind: vendors.FaultStatus, Status: 200, Body: `{"type":"PASSPORT"}`, PathContains: "/document"})
	_, err = e.client.UploadDocument(ctx(t), cid, DocumentRequest{Type: DocPassport, Number: "L898902C3"}, image("front"), nil)
	if ve := mustVendorError(t, err); ve.Kind != vendors.Invalid || vendors.Retryable(err) {
		t.Errorf("document uploaded without an id: %s %q", ve.Kind, ve.Message)
	}
}

func TestArtemisRequestValidation(t *testing.T) {
	e := newEnv(t, nil, nil)
	c := ctx(t)
	checks := []struct {
		name string
		err  error
	}{
		{"no reference", func() error { _, err := e.client.CreateCustomer(c, CustomerRequest{}); return err }()},
		{"bad type", func() error {
			_, err := e.client.CreateCustomer(c, CustomerRequest{ProfileReferenceID: "x", Type: "PERSON"})
			return err
		}()},
		{"bad birth date", func() error {
			_, err := e.client.CreateCustomer(c, CustomerRequest{ProfileReferenceID: "x", Particular: &Particular{DateOfBirth: "12/08/1974"}})
			return err
		}()},
		{"no customer", func() error {
			_, err := e.client.UploadDocument(c, 0, DocumentRequest{Type: DocPassport}, jpeg, nil)
			return err
		}()},
		{"no front", func() error {
			_, err := e.client.UploadDocument(c, 5, DocumentRequest{Type: DocPassport}, nil, nil)
			return err
		}()},
		{"bad doc type", func() error {
			_, err := e.client.UploadDocument(c, 5, DocumentRequest{Type: "ID_CARD"}, jpeg, nil)
			return err
		}()},
		{"bad expiry", func() error {
			_, err := e.client.UploadDocument(c, 5, DocumentRequest{Type: DocPassport, ExpiryDate: "2030-13-01"}, jpeg, nil)
			return err
		}()},
		{"no ids", func() error { _, err := e.client.PutLiveness(c, 0, 0, LivenessRequest{}); return err }()},
	}
	for _, ch := range checks {
		if ve := mustVendorError(t, ch.err); ve.Kind != vendors.Invalid {
			t.Errorf("%s: kind %s", ch.name, ve.Kind)
		}
	}
	if len(e.calls.all()) != 0 {
		t.Errorf("invalid requests were sent: %+v", e.calls.all())
	}

	ocrOnly := newEnv(t, nil, func(c *Config) { c.ArtemisURL = "" })
	if _, err := ocrOnly.client.CreateCustomer(c, CustomerRequest{ProfileReferenceID: "x"}); mustVendorError(t, err).Kind != vendors.Invalid {
		t.Error("Artemis call without an Artemis URL")
	}
	artemisOnly := newEnv(t, nil, func(c *Config) { c.OCRURL = "" })
	if _, _, err := artemisOnly.client.OCR(c, jpeg, nil, "", ""); mustVendorError(t, err).Kind != vendors.Invalid {
		t.Error("OCR call without an OCR URL")
	}
}

func TestJavaDatesInTheLivenessResponse(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.fake.SetJavaDates(true)
	cid, did := artemisFlow(t, e)
	before := time.Now().Add(-time.Minute)
	resp, err := e.client.PutLiveness(ctx(t), cid, did, LivenessRequest{Conclusion: Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	reqs := e.fake.RequestsTo(RouteLiveness)
	if len(reqs) != 1 {
		t.Fatal("no liveness request")
	}
	if !resp.CreatedAt.Valid || !resp.UpdatedAt.Valid || resp.UpdatedAt.Time.Before(before) || resp.UpdatedAt.Time.After(time.Now().Add(time.Minute)) {
		t.Errorf("Java dates not read: created %+v updated %+v", resp.CreatedAt, resp.UpdatedAt)
	}
}

func TestParseDocument(t *testing.T) {
	page, err := ParseDocument(readFixture(t, "liveness_response_example.json"))
	if err != nil {
		t.Fatal(err)
	}
	if page.ID != 123 || page.CustomerID != 123 || !page.CreatedAt.Valid ||
		page.CreatedAt.Time != time.Date(2023, 11, 7, 5, 31, 56, 0, time.UTC) ||
		page.IssueDate.Time != time.Date(2023, 12, 25, 0, 0, 0, 0, time.UTC) ||
		page.ShowExpiryNotification == nil || !*page.ShowExpiryNotification || page.CreatedBy == nil || page.CreatedBy.ID != 123 {
		t.Errorf("page example read as %+v", page)
	}

	java := `{"id":"77","customerId":5,"type":"PASSPORT","docverCheckStatus":"PERFORMED",
		"createdAt":{"date":7,"day":2,"hours":5,"minutes":31,"month":10,"nanos":0,"seconds":56,"time":1699335116000,"timezoneOffset":0,"year":123},
		"updatedAt":{"year":124,"month":0,"date":5,"hours":1,"minutes":2,"seconds":3},
		"issueDate":"2023-12-25","expiryDate":null,"showExpiryNotification":"false",
		"createdBy":"not an object","liveness":{"conclusion":true},"faceCompare":null,"allowedDocumentFormat":1}`
	d, err := ParseDocument([]byte(java))
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != 77 || d.CustomerID != 5 || d.DocverCheckStatus != "PERFORMED" {
		t.Errorf("ids %d %d status %q", d.ID, d.CustomerID, d.DocverCheckStatus)
	}
	if d.CreatedAt.Time != time.Date(2023, 11, 7, 5, 31, 56, 0, time.UTC) {
		t.Errorf("createdAt %v", d.CreatedAt)
	}
	if d.UpdatedAt.Time != time.Date(2024, 1, 5, 1, 2, 3, 0, time.UTC) {
		t.Errorf("updatedAt %v", d.UpdatedAt)
	}
	if d.ExpiryDate.Valid || d.ShowExpiryNotification == nil || *d.ShowExpiryNotification || d.CreatedBy != nil ||
		d.FaceCompare != nil || string(d.Liveness) != `{"conclusion":true}` || d.AllowedDocumentFormat == nil || !*d.AllowedDocumentFormat {
		t.Errorf("document %+v", d)
	}

	for _, bad := range []string{``, `[]`, `<html>`, `{"id":`} {
		if _, err := ParseDocument([]byte(bad)); mustVendorError(t, err).Kind != vendors.Transient {
			t.Errorf("%q: not transient", bad)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestArtemisPathIsConfiguration: the API's path under the Artemis URL is a setting, and a PUT
// answered without the document record is not taken for delivered.
func TestArtemisPathIsConfiguration(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	putBody := `{"id":9,"customerId":7}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.Method+" "+r.URL.Path)
		body := putBody
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/oauth/token":
			_, _ = io.WriteString(w, `{"access_token":"t","token_type":"Bearer","expires_in":3600}`)
		case r.Method == http.MethodPost:
			_, _ = io.WriteString(w, `{"id":7,"profileReferenceId":"case-1","type":"INDIVIDUAL"}`)
		default:
			_, _ = io.WriteString(w, body)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{AuthURL: srv.URL, ArtemisURL: srv.URL + "/gw/", ArtemisPath: "v2/artemis-api/", ClientID: "id", ClientSecret: "s",
		DomainID: 1, Timeout: 5 * time.Second}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateCustomer(ctx(t), CustomerRequest{ProfileReferenceID: "case-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutLiveness(ctx(t), 7, 9, LivenessRequest{Conclusion: Bool(true)}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	putBody = `{}`
	mu.Unlock()
	if _, err := c.PutLiveness(ctx(t), 7, 9, LivenessRequest{Conclusion: Bool(true)}); !vendors.Retryable(err) {
		t.Errorf("a PUT answered with {}: %v, want a transient error", err)
	}
	want := []string{"POST /oauth/token", "POST /gw/v2/artemis-api/customer", "PUT /gw/v2/artemis-api/customer/7/document/9/liveness",
		"PUT /gw/v2/artemis-api/customer/7/document/9/liveness"}
	if fmt.Sprint(paths) != fmt.Sprint(want) {
		t.Errorf("requests %v, want %v", paths, want)
	}
}
