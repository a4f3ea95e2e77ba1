package apptenticate

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"kycdesk/internal/vendors"
)

func resp(status int) *http.Response {
	return &http.Response{StatusCode: status, Header: http.Header{}}
}

func fieldMap(r vendors.Result) map[vendors.FieldName]string {
	m := map[vendors.FieldName]string{}
	for _, f := range r.Fields {
		m[f.Name] = f.Value
	}
	return m
}

func TestInterpretSuccessMapping(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		wantID    string
		want      map[vendors.FieldName]string
		wantExtra map[string]string
	}{
		{
			name:   "assumed envelope with snake case keys",
			body:   `{"valid": true, "id": 391, "data": {"surname": "ERIKSSON", "given_names": "ANNA MARIA", "date_of_birth": "1974-08-12", "sex": "F", "nationality": "UTO", "document_number": "L898902C3", "personal_number": "ZE184226B", "issue_date": "2007-04-15", "expiry_date": "2012-04-15", "issuing_country": "UTO", "address": "1 Main St", "mrz": "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10", "score": 97}}`,
			wantID: "391",
			want: map[vendors.FieldName]string{
				vendors.Surname: "ERIKSSON", vendors.GivenNames: "ANNA MARIA", vendors.DateOfBirth: "1974-08-12",
				vendors.Sex: "F", vendors.Nationality: "UTO", vendors.DocumentNumber: "L898902C3",
				vendors.PersonalNumber: "ZE184226B", vendors.IssueDate: "2007-04-15", vendors.ExpiryDate: "2012-04-15",
				vendors.IssuingCountry: "UTO", vendors.Address: "1 Main St",
				vendors.MRZLine1: "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
				vendors.MRZLine2: "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
			},
			wantExtra: map[string]string{"score": "97"},
		},
		{
			name:      "fields under result instead of data",
			body:      `{"valid": true, "id": 12, "result": {"apellidos": "GONZALEZ", "nombres": "MARIA JOSE", "document_number": "A1"}, "score": 90}`,
			wantID:    "12",
			want:      map[vendors.FieldName]string{vendors.Surname: "GONZALEZ", vendors.GivenNames: "MARIA JOSE", vendors.DocumentNumber: "A1"},
			wantExtra: map[string]string{"score": "90"},
		},
		{
			name: "fields under ocr",
			body: `{"valid": true, "ocr": {"last_name": "LEE", "first_name": "MIN"}}`,
			want: map[vendors.FieldName]string{vendors.Surname: "LEE", vendors.GivenNames: "MIN"},
		},
		{
			name: "other spellings, case and spacing",
			body: `{"valid": "True", "data": {"Last Name": "LEE", "First_Name": "MIN", "birthDate": "1990-01-02", "Gender": "M", "Expiration Date": "2030-05-06", "Country": "MYS", "DOCUMENT-NUMBER": "A123", "mrz_line1": "L1", "mrz_line2": "L2"}}`,
			want: map[vendors.FieldName]string{
				vendors.Surname: "LEE", vendors.GivenNames: "MIN", vendors.DateOfBirth: "1990-01-02", vendors.Sex: "M",
				vendors.ExpiryDate: "2030-05-06", vendors.IssuingCountry: "MYS", vendors.DocumentNumber: "A123",
				vendors.MRZLine1: "L1", vendors.MRZLine2: "L2",
			},
		},
		{
			name:   "fields at the top level, mrz as an array, Spanish keys",
			body:   `{"valid": true, "id": "7", "apellidos": "GONZALEZ", "nombres": "MARIA JOSE", "fecha_nacimiento": "1980-03-04", "rut": "12.345.678-5", "mrz": ["I<CHL", "8003", "GONZALEZ<<MARIA"]}`,
			wantID: "7",
			want: map[vendors.FieldName]string{
				vendors.Surname: "GONZALEZ", vendors.GivenNames: "MARIA JOSE", vendors.DateOfBirth: "1980-03-04",
				vendors.PersonalNumber: "12.345.678-5", vendors.MRZLine1: "I<CHL", vendors.MRZLine2: "8003", vendors.MRZLine3: "GONZALEZ<<MARIA",
			},
		},
		{
			name: "values with confidence, run-together TD1 mrz, nested extra",
			body: `{"valid": true, "data": {"name": {"value": "ANNA", "confidence": 93}, "surname": {"value": "ERIKSSON", "score": 0.8}, "mrz": "` +
				strings.Repeat("A", 30) + strings.Repeat("B", 30) + strings.Repeat("C", 30) + `", "checks": {"photo": "ok", "list": [1, 2]}}, "elapsed": 1.5}`,
			want: map[vendors.FieldName]string{
				vendors.GivenNames: "ANNA", vendors.Surname: "ERIKSSON",
				vendors.MRZLine1: strings.Repeat("A", 30), vendors.MRZLine2: strings.Repeat("B", 30), vendors.MRZLine3: strings.Repeat("C", 30),
			},
			wantExtra: map[string]string{"checks.photo": "ok", "checks.list": "1, 2", "elapsed": "1.5"},
		},
		{
			name:      "valid missing: a 200 without an error code passed",
			body:      `{"data": {"surname": "X", "first_name": "Y", "name": "Y Z"}}`,
			want:      map[vendors.FieldName]string{vendors.Surname: "X", vendors.GivenNames: "Y"},
			wantExtra: map[string]string{"name": "Y Z"},
		},
		{
			name:      "base64 portrait is summarised, not kept",
			body:      `{"valid": true, "data": {"photo": "` + strings.Repeat("QUJD", 200) + `"}}`,
			want:      map[vendors.FieldName]string{},
			wantExtra: map[string]string{"photo": "[image: 800 characters of base64 not kept]"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := interpret(resp(200), []byte(tt.body))
			if err != nil {
				t.Fatalf("interpret: %v", err)
			}
			if res.Outcome != vendors.OutcomePass {
				t.Errorf("outcome = %q, want pass", res.Outcome)
			}
			if res.TransactionID != tt.wantID {
				t.Errorf("transaction id = %q, want %q", res.TransactionID, tt.wantID)
			}
			got := fieldMap(res)
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("field %s = %q, want %q", k, got[k], v)
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("fields = %v, want %v", got, tt.want)
			}
			for k, v := range tt.wantExtra {
				if res.Extra[k] != v {
					t.Errorf("extra %s = %q, want %q (extra %v)", k, res.Extra[k], v, res.Extra)
				}
			}
			if len(res.Extra) != len(tt.wantExtra) {
				t.Errorf("extra = %v, want %v", res.Extra, tt.wantExtra)
			}
		})
	}
}

func TestInterpretConfidence(t *testing.T) {
	res, err := interpret(resp(200), []byte(`{"valid": true, "data": {"surname": {"value": "A", "confidence": 93}, "given_names": {"value": "B", "score": 0.5}}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Fields {
		if f.Confidence == nil {
			t.Fatalf("%s has no confidence", f.Name)
		}
		want := map[vendors.FieldName]float64{vendors.Surname: 0.93, vendors.GivenNames: 0.5}[f.Name]
		if *f.Confidence != want {
			t.Errorf("%s confidence = %v, want %v", f.Name, *f.Confidence, want)
		}
	}
}

func TestInterpretRefusalEachCodeEitherStatus(t *testing.T) {
	for _, code := range Codes() {
		for _, status := range []int{200, 400} {
			t.Run(fmt.Sprintf("%d/%d", code, status), func(t *testing.T) {
				body := fmt.Sprintf(`{"valid": false, "error_code": %d, "error": %q, "id": 391}`, code, vendorTexts[code])
				_, err := interpret(resp(status), []byte(body))
				if err == nil {
					t.Fatal("no error")
				}
				want, _ := Meaning(fmt.Sprint(code))
				if err.Kind != vendors.Business || err.Code != fmt.Sprint(code) || err.Message != want || err.HTTPStatus != status {
					t.Errorf("got %+v, want Business %d %q", err, code, want)
				}
			})
		}
	}
}

func TestInterpretFailures(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		kind     vendors.Kind
		code     string
		contains string
	}{
		{"undocumented refusal keeps the vendor's words", 200, `{"valid": false, "error_code": 900, "error": "Something new"}`, vendors.Business, "900", "Something new"},
		{"valid false without a code", 400, `{"valid": "false"}`, vendors.Business, "", "without saying why"},
		{"error code as a string without valid", 200, `{"error_code": "826"}`, vendors.Business, "826", "blurry"},
		{"DRF field error", 400, `{"frontside": ["This field is required."]}`, vendors.Invalid, "frontside", "frontside: This field is required."},
		{"DRF detail", 400, `{"detail": "JSON parse error"}`, vendors.Invalid, "", "JSON parse error"},
		{"DRF choice error as plain string", 400, `{"document_type": "\"x\" is not a valid choice."}`, vendors.Invalid, "document_type", "not a valid choice"},
		{"401 after retry", 401, `{"detail": "Given token not valid for any token type", "code": "token_not_valid"}`, vendors.Auth, "token_not_valid", "Given token"},
		{"403", 403, `{"detail": "You do not have permission to perform this action."}`, vendors.Auth, "", "permission"},
		{"500", 500, `{"valid": false, "error_code": 818}`, vendors.Transient, "", "failed"},
		{"502 html", 502, `<html>Bad gateway</html>`, vendors.Transient, "", "HTTP 502"},
		{"429", 429, ``, vendors.Transient, "", "rate limiting"},
		{"200 not JSON", 200, `<html>oops</html>`, vendors.Transient, "", "not readable JSON"},
		{"200 truncated", 200, `{"valid": true, "data": {"surn`, vendors.Transient, "", "not readable JSON"},
		{"200 array", 200, `[1,2]`, vendors.Transient, "", "not readable JSON"},
		{"200 empty", 200, ``, vendors.Transient, "", "not readable JSON"},
		{"404 html", 404, `<html>Not found</html>`, vendors.Invalid, "", "HTTP 404"},
		{"413", 413, ``, vendors.Invalid, "", "too large"},
		{"200 saying nothing", 200, `{}`, vendors.Invalid, "", "neither whether"},
		{"200 with only an id", 200, `{"id": 77}`, vendors.Invalid, "", "neither whether"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := interpret(resp(tt.status), []byte(tt.body))
			if err == nil {
				t.Fatal("no error")
			}
			if err.Kind != tt.kind || err.Code != tt.code || !strings.Contains(err.Message, tt.contains) {
				t.Errorf("got kind %s code %q message %q; want %s %q containing %q", err.Kind, err.Code, err.Message, tt.kind, tt.code, tt.contains)
			}
		})
	}
}

func TestMeaning(t *testing.T) {
	if got := Codes(); len(got) != 12 || got[0] != 818 || got[11] != 829 {
		t.Fatalf("Codes() = %v", got)
	}
	for _, c := range Codes() {
		if m, ok := Meaning(fmt.Sprint(c)); !ok || m == "" {
			t.Errorf("no meaning for %d", c)
		}
		if vendorTexts[c] == "" {
			t.Errorf("no vendor text for %d", c)
		}
	}
	if m, ok := Meaning("826.0"); !ok || !strings.Contains(m, "blurry") {
		t.Errorf("826.0 = %q %v", m, ok)
	}
	for _, c := range []string{"", "817", "830", "abc", "826.5"} {
		if _, ok := Meaning(c); ok {
			t.Errorf("Meaning(%q) known", c)
		}
	}
}

func FuzzInterpret(f *testing.F) {
	f.Add(200, []byte(`{"valid": true, "id": 1, "data": {"surname": "A", "mrz": ["x", "y"]}}`))
	f.Add(400, []byte(`{"valid": false, "error_code": 826, "error": "blurry", "id": 2}`))
	f.Add(400, []byte(`{"frontside": ["This field is required."]}`))
	f.Add(200, []byte(`{"valid": true, "data": {"a": {"b": [{"c": null}]}, "mrz": {"l1": 1}}}`))
	f.Add(401, []byte(`{"detail": "x", "code": "token_not_valid"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 {
			return
		}
		res, err := interpret(resp(status), body)
		if err == nil && res.Outcome != vendors.OutcomePass {
			t.Fatalf("success without pass outcome: %+v", res)
		}
		if err != nil && err.Kind == "" {
			t.Fatalf("error without kind: %+v", err)
		}
	})
}
