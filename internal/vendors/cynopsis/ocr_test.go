package cynopsis

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"kycdesk/internal/vendors"
)

func TestOCRRequestOnTheWire(t *testing.T) {
	e := newEnv(t, nil, nil)
	if _, _, err := e.client.OCR(ctx(t), image("front"), image("back"), "passport-front.jpg", ""); err != nil {
		t.Fatal(err)
	}
	reqs := e.fake.RequestsTo(RouteOCR)
	if len(reqs) != 1 {
		t.Fatalf("OCR requests = %d", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != "/service/v2/ocr" || r.Status != http.StatusCreated {
		t.Errorf("%s %s answered %d", r.Method, r.Path, r.Status)
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data; boundary=") {
		t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
	}
	want := []FakePart{
		{Name: "file0", FileName: "passport-front.jpg", ContentType: "image/jpeg", Size: len(image("front"))},
		{Name: "file1", FileName: "back.jpg", ContentType: "image/jpeg", Size: len(image("back"))},
	}
	if !reflect.DeepEqual(r.Parts, want) {
		t.Errorf("parts %+v, want %+v", r.Parts, want)
	}
	var wire wireRequest
	for _, w := range e.wire.all() {
		if w.Path == "/ocr/service/v2/ocr" {
			wire = w
		}
	}
	if got := wire.Header["X-Domain-Id"]; len(got) != 1 || got[0] != "42" {
		t.Errorf("X-Domain-Id on the wire = %v (headers %v)", got, wire.Header)
	}
	if _, has := wire.Header["X-Domain-ID"]; has {
		t.Error("OCR sent Artemis' spelling X-Domain-ID")
	}
	if got := wire.Header["Authorization"]; len(got) != 1 || !strings.HasPrefix(got[0], "Bearer ") || len(got[0]) < 20 {
		t.Errorf("Authorization = %v", got)
	}

	// Without a back image only file0 is sent.
	if _, _, err := e.client.OCR(ctx(t), image("front2"), nil, "", ""); err != nil {
		t.Fatal(err)
	}
	reqs = e.fake.RequestsTo(RouteOCR)
	if parts := reqs[1].Parts; len(parts) != 1 || parts[0].Name != "file0" || parts[0].FileName != "front.jpg" {
		t.Errorf("parts without back: %+v", parts)
	}
}

func TestOCRNeedsAFrontImage(t *testing.T) {
	e := newEnv(t, nil, nil)
	_, _, err := e.client.OCR(ctx(t), nil, image("back"), "", "")
	if ve := mustVendorError(t, err); ve.Kind != vendors.Invalid {
		t.Errorf("kind %s", ve.Kind)
	}
	if len(e.calls.all()) != 0 {
		t.Error("a call was made without a front image")
	}
}

// TestOCRSampleFromThePage feeds the page's sample answer, verbatim, through a real exchange.
func TestOCRSampleFromThePage(t *testing.T) {
	sample := readFixture(t, "ocr_sample.json")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/oauth/token" {
			_, _ = w.Write([]byte(`{"access_token":"t","token_type":"Bearer","expires_in":28800,"scope":"read"}`))
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(sample)
	}))
	defer srv.Close()
	calls := &callLog{}
	c, err := New(Config{AuthURL: srv.URL, OCRURL: srv.URL, ClientID: "a", ClientSecret: "b", DomainID: 1}, srv.Client(), calls)
	if err != nil {
		t.Fatal(err)
	}
	res, raw, err := c.OCR(ctx(t), image("f"), nil, "", "")
	if err != nil {
		t.Fatal(err)
	}
	checkSample(t, res)
	var rawJSON map[string]any
	if err := json.Unmarshal(raw, &rawJSON); err != nil || rawJSON["task_id"] != "b1259f10-1c4e-42d2-b96e-7f553d87c345" {
		t.Errorf("raw body not returned: %v %s", err, raw)
	}
	ocrCall := calls.all()[1]
	if ocrCall.HTTPStatus != 201 || ocrCall.VendorCode != "100" || ocrCall.Meaning != "All document features match specimen." {
		t.Errorf("OCR call recorded as %+v", ocrCall)
	}
}

func checkSample(t *testing.T, res *vendors.Result) {
	t.Helper()
	want := map[vendors.FieldName]string{
		vendors.Surname: "LEE", vendors.GivenNames: "MICHAEL", vendors.FullName: "MICHAEL LEE",
		vendors.DateOfBirth: "1983-11-19", vendors.Sex: "M", vendors.Nationality: "MALAYSIAN",
		vendors.DocumentNumber: "A0123456", vendors.PersonalNumber: "S3344556D", vendors.IssueDate: "2023-01-05",
		vendors.ExpiryDate: "2028-12-31", vendors.IssuingCountry: "MALAYSIA", vendors.Address: "123 JURONG WEST, SINGAPORE",
		vendors.DocumentType: "PASSPORT", vendors.MRZLine1: "IDMYS3344556D8301196M2812319<<<<<<<<<<<<<<04",
	}
	got := map[vendors.FieldName]string{}
	for _, f := range res.Fields {
		got[f.Name] = f.Value
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields\n got %v\nwant %v", got, want)
	}
	// Fields come in the review workspace's order.
	last := -1
	for _, f := range res.Fields {
		i := indexOf(vendors.CanonicalFields, f.Name)
		if i <= last {
			t.Errorf("field %s out of canonical order", f.Name)
		}
		last = i
	}
	if res.Outcome != vendors.OutcomePass || res.Code != "100" || res.Reason != "All document features match specimen." ||
		res.TransactionID != "b1259f10-1c4e-42d2-b96e-7f553d87c345" {
		t.Errorf("outcome %s code %q reason %q tx %q", res.Outcome, res.Code, res.Reason, res.TransactionID)
	}
	wantExtra := map[string]string{
		"passport_number": "E8573920N", "passport_expiry_date": "2028-12-10", "full_name2": "LEE MICHAEL",
		"race": "ASIAN", "domicile": "SINGAPORE", "country_of_birth": "MALAYSIA", "profession": "ENGINEER",
		"identifier": "U0987654", "employer": "Acme Corp", "status": "UNCERTAIN",
		"document_type_name": "INTERNATIONAL PASSPORT", "docver_check.status": "approved",
		"docver_check.document.country": "MY", "docver_check.person.addresses": "123 JURONG WEST, SINGAPORE",
		"docver_check.comments": "Verified by automated system.", "docver_check.code": "8899",
		"docver_check.person.pepSanctionMatch": "false",
	}
	for k, v := range wantExtra {
		if res.Extra[k] != v {
			t.Errorf("Extra[%q] = %q, want %q", k, res.Extra[k], v)
		}
	}
	for _, k := range []string{"birth date", "expiry date", "optional_data", "last_name", "final hash", "ignored_fields", "docver_check.recommendation"} {
		if _, has := res.Extra[k]; has {
			t.Errorf("Extra has %q, which is a canonical field, a flag, a duplicate or empty", k)
		}
	}
	if len(res.Flags) != 11 {
		t.Errorf("flags %d, want 11: %+v", len(res.Flags), res.Flags)
	}
	for _, f := range res.Flags {
		if !f.OK {
			t.Errorf("flag %q not OK", f.Name)
		}
	}
}

func indexOf(list []vendors.FieldName, n vendors.FieldName) int {
	for i, x := range list {
		if x == n {
			return i
		}
	}
	return -1
}

func TestParseOCRSample(t *testing.T) {
	res, err := ParseOCR(readFixture(t, "ocr_sample.json"))
	if err != nil {
		t.Fatal(err)
	}
	checkSample(t, res)
}

func TestParseOCRFailure(t *testing.T) {
	tests := []struct {
		name, body, code, words string
	}{
		{"error and description", `{"task_id":"t1","status_task":"FAILURE","error":"invalid_image","description":"The image is too blurry"}`,
			"invalid_image", "Cynopsis could not read the document: The image is too blurry."},
		{"sentence in error", `{"task_id":"t1","status_task":"FAILURE","error":"No document found in image"}`,
			"", "Cynopsis could not read the document: No document found in image."},
		{"result is the exception text", `{"task_id":"t1","status_task":"FAILURE","result":"ValueError: cannot decode image"}`,
			"", "Cynopsis could not read the document: ValueError: cannot decode image."},
		{"nothing said", `{"status_task":"failure"}`, "", "Cynopsis could not read the document."},
		{"no status, error only", `{"error":"bad_request","description":"file0 missing"}`, "bad_request", "Cynopsis could not read the document: file0 missing."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ParseOCR([]byte(tt.body))
			if res != nil {
				t.Errorf("result with a failure: %+v", res)
			}
			ve := mustVendorError(t, err)
			if ve.Kind != vendors.Business || ve.Code != tt.code || ve.Message != tt.words {
				t.Errorf("got %s code %q message %q", ve.Kind, ve.Code, ve.Message)
			}
		})
	}
}

// TestParseOCRUnreadableIsTransient: a body that cannot be read (a proxy's page, a cut answer) is
// retried; a readable answer without a result is not, since each call is a new task at Cynopsis.
func TestParseOCRUnreadableIsTransient(t *testing.T) {
	for _, body := range []string{``, `null`, `[]`, `"text"`, `{"result": [unterminated`, `<html></html>`} {
		res, err := ParseOCR([]byte(body))
		if res != nil {
			t.Errorf("%s: result %+v", body, res)
		}
		if ve := mustVendorError(t, err); ve.Kind != vendors.Transient {
			t.Errorf("%s: kind %s", body, ve.Kind)
		}
	}
	for _, body := range []string{`{"task_id":"x","status_task":"SUCCESS"}`, `{"task_id":"x","status_task":"SUCCESS","result":null}`,
		`{"task_id":"x","status_task":"PENDING"}`, `{"task_id":"x"}`} {
		res, err := ParseOCR([]byte(body))
		if ve := mustVendorError(t, err); res != nil || ve.Kind != vendors.Invalid || vendors.Retryable(err) {
			t.Errorf("%s: result %+v, kind %s", body, res, ve.Kind)
		}
	}
}

func TestDocverStatuses(t *testing.T) {
	tests := []struct {
		docver  string
		outcome vendors.Outcome
		code    string
		reason  string
	}{
		{`{"status":"approved","reasonCode":null}`, vendors.OutcomePass, "", "Cynopsis approved the document."},
		{`{"status":"declined","reasonCode":508,"reason":"tampered"}`, vendors.OutcomeFail, "508", "The document appears to have been tampered with."},
		{`{"status":"declined","reasonCode":"105"}`, vendors.OutcomeFail, "105", "Suspicious behaviour was detected during the verification."},
		{`{"status":"declined"}`, vendors.OutcomeFail, "", "Cynopsis declined the document."},
		{`{"status":"declined","reasonCode":999,"reason":"Something new"}`, vendors.OutcomeFail, "999", "Something new."},
		{`{"status":"resubmission_requested","reasonCode":620}`, vendors.OutcomeReview, "620", "The document has expired."},
		{`{"status":"resubmission_requested","reason_code":"634"}`, vendors.OutcomeReview, "634", "The home address could not be read."},
		{`{"status":"APPROVED"}`, vendors.OutcomePass, "", "Cynopsis approved the document."},
		{`{"status":"expired"}`, vendors.OutcomeReview, "", `Cynopsis gave the document verification status "expired", which needs a reviewer.`},
		{`{"status":"review"}`, vendors.OutcomeReview, "", `Cynopsis gave the document verification status "review", which needs a reviewer.`},
		{`{}`, vendors.OutcomeReview, "", "Cynopsis sent a document verification without a status."},
		{`null`, vendors.OutcomeReview, "", "Cynopsis read the document but sent no document verification verdict."},
		{`"approved"`, vendors.OutcomeReview, "", "Cynopsis read the document but sent no document verification verdict."},
	}
	for _, tt := range tests {
		t.Run(tt.docver, func(t *testing.T) {
			body := `{"task_id":"t","status_task":"SUCCESS","result":{"last_name":"LEE","docver_check":` + tt.docver + `}}`
			res, err := ParseOCR([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != tt.outcome || res.Code != tt.code || res.Reason != tt.reason {
				t.Errorf("got %s %q %q, want %s %q %q", res.Outcome, res.Code, res.Reason, tt.outcome, tt.code, tt.reason)
			}
		})
	}
	res, _ := ParseOCR([]byte(`{"status_task":"SUCCESS","result":{"last_name":"LEE"}}`))
	if res.Outcome != vendors.OutcomeReview {
		t.Errorf("no docver_check: outcome %s, want review", res.Outcome)
	}
}

func TestParseOCRTolerance(t *testing.T) {
	tests := []struct {
		name   string
		result string
		fields map[vendors.FieldName]string
		extra  map[string]string
		flags  []vendors.Flag
	}{
		{
			name:   "keys with spaces only",
			result: `{"birth date":"1990-02-03","expiry date":"2030-01-01","document number":"X1"}`,
			fields: map[vendors.FieldName]string{vendors.DateOfBirth: "1990-02-03", vendors.ExpiryDate: "2030-01-01", vendors.DocumentNumber: "X1"},
		},
		{
			name:   "nulls, empties and absences",
			result: `{"last_name":null,"first_name":"","full_name":"  ANNA  ","optional_data":null,"address":null,"gender":"F"}`,
			fields: map[vendors.FieldName]string{vendors.FullName: "ANNA", vendors.Sex: "F"},
		},
		{
			name:   "passport number when document number is empty",
			result: `{"document_number":"","passport_number":"E1","passport_expiry_date":"2031-05-05"}`,
			fields: map[vendors.FieldName]string{vendors.DocumentNumber: "E1", vendors.ExpiryDate: "2031-05-05"},
		},
		{
			name:   "differing alternates stay in Extra",
			result: `{"date_of_birth":"1990-02-03","birth date":"1990-02-04"}`,
			fields: map[vendors.FieldName]string{vendors.DateOfBirth: "1990-02-03"},
			extra:  map[string]string{"birth date": "1990-02-04"},
		},
		{
			name:   "string booleans and odd flags",
			result: `{"final hash":"false","valid country code":"True","birth_date_hash":true,"document number format":"maybe"}`,
			flags:  []vendors.Flag{{Name: "birth_date_hash", OK: true}, {Name: "final hash", OK: false}, {Name: "valid country code", OK: true}},
			extra:  map[string]string{"document number format": "maybe"},
		},
		{
			name:   "numbers, lists and the dataCheck block",
			result: `{"age":42,"ignored_fields":["race","employer"],"missing_fields":["address"],"dataCheck":{"mrz":{"valid":false},"dates":["ok"]}}`,
			extra: map[string]string{"age": "42", "ignored_fields": "race; employer", "missing_fields": "address",
				"dataCheck.mrz.valid": "false", "dataCheck.dates": "ok"},
		},
		{
			name:   "mrz in two lines",
			result: `{"mrz_raw_string":"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408122F1204159ZE184226B<<<<<10"}`,
			fields: map[vendors.FieldName]string{
				vendors.MRZLine1: "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
				vendors.MRZLine2: "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
			},
		},
		{
			name:   "numbers where strings are expected",
			result: `{"document_number":12345,"personal_id_number":9.5}`,
			fields: map[vendors.FieldName]string{vendors.DocumentNumber: "12345", vendors.PersonalNumber: "9.5"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ParseOCR([]byte(`{"task_id":"t","status_task":"SUCCESS","result":` + tt.result + `}`))
			if err != nil {
				t.Fatal(err)
			}
			got := map[vendors.FieldName]string{}
			for _, f := range res.Fields {
				got[f.Name] = f.Value
			}
			if tt.fields == nil {
				tt.fields = map[vendors.FieldName]string{}
			}
			if !reflect.DeepEqual(got, tt.fields) {
				t.Errorf("fields %v, want %v", got, tt.fields)
			}
			for k, v := range tt.extra {
				if res.Extra[k] != v {
					t.Errorf("Extra[%q] = %q, want %q (extra %v)", k, res.Extra[k], v, res.Extra)
				}
			}
			if tt.flags != nil && !reflect.DeepEqual(res.Flags, tt.flags) {
				t.Errorf("flags %+v, want %+v", res.Flags, tt.flags)
			}
		})
	}
}

func TestParseOCRResultEncodedAsString(t *testing.T) {
	res, err := ParseOCR([]byte(`{"task_id":"t","status_task":"SUCCESS","result":"{\"last_name\":\"LEE\"}"}`))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := field(res, vendors.Surname); v != "LEE" {
		t.Errorf("surname %q", v)
	}
}

func TestSplitMRZ(t *testing.T) {
	td3a, td3b := "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
	td1 := []string{"I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"}
	td2a, td2b := strings.Repeat("A", 36), strings.Repeat("B", 36)
	tests := []struct {
		in   string
		want []string
	}{
		{td3a + td3b, []string{td3a, td3b}},
		{strings.Join(td1, ""), td1},
		{td2a + td2b, []string{td2a, td2b}},
		{td3a + "\n" + td3b, []string{td3a, td3b}},
		{td3a + "\r\n" + td3b + "\n", []string{td3a, td3b}},
		{td3a + " " + td3b, []string{td3a, td3b}},
		{"  " + td3a + td3b + "  ", []string{td3a, td3b}},
		{"IDMYS3344556D8301196M2812319<<<<<<<<<<<<<<04", []string{"IDMYS3344556D8301196M2812319<<<<<<<<<<<<<<04"}},
		{"SHORT", []string{"SHORT"}},
		{"", nil},
	}
	for _, tt := range tests {
		if got := SplitMRZ(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SplitMRZ(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestOCRAnswerDerivedFromTheImage(t *testing.T) {
	base := vendors.Subject{
		Surname: "ERIKSSON", GivenNames: "ANNA MARIA", DateOfBirth: "1974-08-12", Sex: "F", Nationality: "MYS",
		DocumentNumber: "L898902C3", IssueDate: "2020-04-16", ExpiryDate: "2030-04-15", IssuingCountry: "MYS",
		DocumentType: "passport", Address: "1 MAIN ROAD",
	}
	base.MRZ = td3(base)
	subjects := map[string]vendors.Subject{}
	add := func(tag string, edit func(*vendors.Subject)) {
		s := base
		if edit != nil {
			edit(&s)
		}
		subjects[tag] = s
	}
	add("clean", nil)
	add("misread", func(s *vendors.Subject) {
		s.Misreads = map[vendors.Name]map[vendors.FieldName]string{
			vendors.CynopsisOCR: {vendors.ExpiryDate: "2031-01-01"},
			vendors.Argos:       {vendors.Surname: "WRONG"},
		}
	})
	add("declined", func(s *vendors.Subject) { s.Errors = map[vendors.Name]string{vendors.CynopsisOCR: "508"} })
	add("resubmit", func(s *vendors.Subject) { s.Errors = map[vendors.Name]string{vendors.CynopsisOCR: "620"} })
	add("failure", func(s *vendors.Subject) {
		s.Errors = map[vendors.Name]string{vendors.CynopsisOCR: "FAILURE: The image is blurry"}
	})
	add("other vendor error", func(s *vendors.Subject) { s.Errors = map[vendors.Name]string{vendors.Apptenticate: "826"} })
	identify := func(img []byte) (vendors.Subject, bool) {
		tag := string(bytes.TrimPrefix(img, jpeg))
		s, ok := subjects[tag]
		return s, ok
	}
	e := newEnv(t, identify, nil)

	res, _, err := e.client.OCR(ctx(t), image("clean"), nil, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != vendors.OutcomePass {
		t.Errorf("clean: outcome %s", res.Outcome)
	}
	for name, want := range map[vendors.FieldName]string{
		vendors.Surname: "ERIKSSON", vendors.GivenNames: "ANNA MARIA", vendors.FullName: "ANNA MARIA ERIKSSON",
		vendors.Nationality: "MALAYSIAN", vendors.IssuingCountry: "MALAYSIA", vendors.DocumentType: "PASSPORT",
		vendors.ExpiryDate: "2030-04-15", vendors.MRZLine1: base.MRZ[0], vendors.MRZLine2: base.MRZ[1],
	} {
		if got, _ := field(res, name); got != want {
			t.Errorf("clean: %s = %q, want %q", name, got, want)
		}
	}
	for _, f := range res.Flags {
		if !f.OK {
			t.Errorf("clean: flag %q false for a valid MRZ", f.Name)
		}
	}
	if len(res.Flags) != 11 {
		t.Errorf("clean: %d flags", len(res.Flags))
	}

	res, _, _ = e.client.OCR(ctx(t), image("misread"), nil, "", "")
	if v, _ := field(res, vendors.ExpiryDate); v != "2031-01-01" {
		t.Errorf("misread expiry %q", v)
	}
	if v, _ := field(res, vendors.Surname); v != "ERIKSSON" {
		t.Errorf("another vendor's misread leaked: surname %q", v)
	}

	res, _, _ = e.client.OCR(ctx(t), image("declined"), nil, "", "")
	if res.Outcome != vendors.OutcomeFail || res.Code != "508" || res.Reason != Meaning("508") {
		t.Errorf("declined: %s %q %q", res.Outcome, res.Code, res.Reason)
	}
	res, _, _ = e.client.OCR(ctx(t), image("resubmit"), nil, "", "")
	if res.Outcome != vendors.OutcomeReview || res.Code != "620" || res.Extra["docver_check.status"] != DocverResubmissionRequested {
		t.Errorf("resubmit: %s %q %v", res.Outcome, res.Code, res.Extra["docver_check.status"])
	}
	_, raw, err := e.client.OCR(ctx(t), image("failure"), nil, "", "")
	ve := mustVendorError(t, err)
	if ve.Kind != vendors.Business || ve.Message != "Cynopsis could not read the document: The image is blurry." || !bytes.Contains(raw, []byte("FAILURE")) {
		t.Errorf("failure: %s %q %s", ve.Kind, ve.Message, raw)
	}
	if res, _, err = e.client.OCR(ctx(t), image("other vendor error"), nil, "", ""); err != nil || res.Outcome != vendors.OutcomePass {
		t.Errorf("another vendor's error leaked: %v", err)
	}

	// An image nobody knows gets a generic reading with a valid MRZ.
	res, _, err = e.client.OCR(ctx(t), image("unknown"), nil, "", "")
	if err != nil || res.Outcome != vendors.OutcomePass {
		t.Fatalf("generic: %v %+v", err, res)
	}
	if v, _ := field(res, vendors.Surname); v == "" {
		t.Error("generic reading has no surname")
	}
	for _, f := range res.Flags {
		if !f.OK {
			t.Errorf("generic: flag %q false", f.Name)
		}
	}
}

func TestMRZFlags(t *testing.T) {
	td3 := []string{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"}
	td1 := []string{"I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"}
	for _, lines := range [][]string{td3, td1} {
		for k, v := range mrzFlags(lines) {
			if v != "true" {
				t.Errorf("%v: %s = %s", lines, k, v)
			}
		}
	}
	bad := []string{td3[0], strings.Replace(td3[1], "7408122", "7408132", 1)}
	flags := mrzFlags(bad)
	if flags["birth date hash"] != "false" || flags["final hash"] != "false" || flags["document number hash"] != "true" {
		t.Errorf("mutated birth date: %v", flags)
	}
	if mrzFlags([]string{"IDMYS3344556D8301196M2812319<<<<<<<<<<<<<<04"}) != nil {
		t.Error("flags computed for a one-line MRZ")
	}
}

func FuzzParseOCR(f *testing.F) {
	f.Add(readFixture(f, "ocr_sample.json"))
	f.Add([]byte(`{"task_id":"t","status_task":"FAILURE","error":"x","description":"y"}`))
	f.Add([]byte(`{"status_task":"SUCCESS","result":{"docver_check":{"status":"declined","reasonCode":"508"},"mrz_raw_string":"` + strings.Repeat("<", 90) + `"}}`))
	f.Add([]byte(`{"status_task":"SUCCESS","result":"{\"a\":{\"b\":[[[1]]]}}"}`))
	f.Add([]byte(`{"result": [unterminated`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := ParseOCR(body)
		if err != nil {
			var ve *vendors.Error
			if !errors.As(err, &ve) || ve.Message == "" {
				t.Fatalf("error %v is not a vendor error with words", err)
			}
			if res != nil {
				t.Fatal("result and error both returned")
			}
			return
		}
		switch res.Outcome {
		case vendors.OutcomePass, vendors.OutcomeFail, vendors.OutcomeReview:
		default:
			t.Fatalf("outcome %q", res.Outcome)
		}
		if res.Reason == "" {
			t.Fatal("no reason")
		}
		for _, fl := range res.Fields {
			if fl.Value == "" {
				t.Fatalf("empty field %s", fl.Name)
			}
		}
	})
}
