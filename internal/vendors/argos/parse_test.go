package argos

import (
	"errors"
	"reflect"
	"testing"

	"kycdesk/internal/vendors"
)

func fieldOf(r vendors.Result, name vendors.FieldName) *vendors.Field {
	for i := range r.Fields {
		if r.Fields[i].Name == name {
			return &r.Fields[i]
		}
	}
	return nil
}

// The page's sample answer, verbatim: template placeholders and all.
func TestParseResultPageSample(t *testing.T) {
	res, err := ParseResult(sampleBody(t))
	if err != nil {
		t.Fatal(err)
	}
	if res.TransactionID != "e0nvom3caiis7" {
		t.Errorf("transaction id %q", res.TransactionID)
	}
	if res.Outcome != vendors.OutcomeReview || res.Reason == "" {
		t.Errorf("review_front true must give review with a reason, got %q %q", res.Outcome, res.Reason)
	}
	wantValues := map[vendors.FieldName]string{
		vendors.FullName:       "{{ocr_fullName}}",
		vendors.Surname:        "{{ocr_lastName}}",
		vendors.GivenNames:     "{{ocr_firstName}} {{ocr_middleName}}",
		vendors.Sex:            "{{ocr_gender}}",
		vendors.Nationality:    "{{ocr_nationality}}",
		vendors.DateOfBirth:    "{{ocr_birthDate}}",
		vendors.PersonalNumber: "{{ocr_identityNumber}}",
		vendors.DocumentNumber: "{{ocr_number}}",
		vendors.IssueDate:      "{{ocr_issueDate}}",
		vendors.ExpiryDate:     "{{ocr_expireDate}}",
		vendors.Address:        "ADDRESS 110, SOMEWHERE STREET",
		vendors.DocumentType:   "{{document_type}}",
		vendors.MRZLine1:       "{{mrz_line1}}",
		vendors.MRZLine2:       "{{mrz_line2}}",
	}
	if len(res.Fields) != len(wantValues) {
		t.Errorf("got %d fields, want %d: %+v", len(res.Fields), len(wantValues), res.Fields)
	}
	for name, v := range wantValues {
		f := fieldOf(res, name)
		if f == nil || f.Value != v {
			t.Errorf("%s = %+v, want %q", name, f, v)
		}
	}
	// Fields come in the review workspace's order.
	last := -1
	for _, f := range res.Fields {
		for i, n := range vendors.CanonicalFields {
			if n == f.Name {
				if i < last {
					t.Errorf("field %s out of canonical order", f.Name)
				}
				last = i
			}
		}
	}

	boxes := []struct {
		name    vendors.FieldName
		conf    float64
		corners [4]vendors.Point
	}{
		{vendors.FullName, 0.61, [4]vendors.Point{{X: 367, Y: 462}, {X: 1379, Y: 454}, {X: 1378, Y: 663}, {X: 375, Y: 669}}},
		{vendors.DocumentNumber, 0.95, [4]vendors.Point{{X: 248, Y: 698}, {X: 1423, Y: 691}, {X: 1421, Y: 861}, {X: 256, Y: 867}}},
		{vendors.Address, 0.89, [4]vendors.Point{{X: 95, Y: 221}, {X: 430, Y: 221}, {X: 430, Y: 258}, {X: 95, Y: 258}}},
	}
	for _, b := range boxes {
		f := fieldOf(res, b.name)
		if f == nil || f.Confidence == nil || *f.Confidence != b.conf {
			t.Errorf("%s confidence: %+v", b.name, f)
			continue
		}
		if f.Box == nil || f.Box.Side != "front" || f.Box.Corners != b.corners {
			t.Errorf("%s box = %+v, want %v", b.name, f.Box, b.corners)
		}
	}
	if f := fieldOf(res, vendors.Surname); f.Box != nil || f.Confidence != nil {
		t.Errorf("surname has no raw entry, so no box or confidence: %+v", f)
	}

	wantExtra := map[string]string{
		"raw.authority":                    "{{value}}",
		"raw.authority.score":              "4", // unmapped fields keep their score and box
		"raw.authority.coordinates":        "796,1460 1931,1461 1925,1641 799,1637",
		"raw.name_chn":                     "{{value}}",
		"raw.name_chn.score":               "61",
		"raw.name_chn.coordinates":         "367,462 1379,454 1378,663 375,669",
		"raw.name":                         "{{value}}", // differs from ocr_fullName: kept
		"raw.number":                       "{{value}}",
		"raw.rotate":                       "0",
		"ocr_version":                      "{{ocr_version}}",
		"full_mrz":                         "{{full_mrz}}",
		"raw.address.original_coordinates": "211,714 553,713 554,751 213,752",
	}
	if !reflect.DeepEqual(res.Extra, wantExtra) {
		t.Errorf("extra = %#v\nwant %#v", res.Extra, wantExtra)
	}
	wantFlags := []vendors.Flag{{Name: "number.accepted", OK: true}, {Name: "review_front", OK: false}, {Name: "review_back", OK: true}}
	if !reflect.DeepEqual(res.Flags, wantFlags) {
		t.Errorf("flags = %+v", res.Flags)
	}
}

func TestRawFieldName(t *testing.T) {
	tests := []struct {
		key  string
		want vendors.FieldName
		ok   bool
	}{
		{"name", vendors.FullName, true},
		{"number", vendors.DocumentNumber, true},
		{"address", vendors.Address, true},
		{"birth_date", vendors.DateOfBirth, true},
		{"birthDate", vendors.DateOfBirth, true},
		{"Date of Birth", vendors.DateOfBirth, true},
		{"expire_date", vendors.ExpiryDate, true},
		{"identity_number", vendors.PersonalNumber, true},
		{"gender", vendors.Sex, true},
		{"given_names", vendors.GivenNames, true},
		{"mrz_line2", vendors.MRZLine2, true},
		{"authority", "", false},
		{"name_chn", "", false},
		{"rotate", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := RawFieldName(tt.key)
		if got != tt.want || ok != tt.ok {
			t.Errorf("RawFieldName(%q) = %q, %v; want %q, %v", tt.key, got, ok, tt.want, tt.ok)
		}
	}
}

// Vendors drift: numbers as strings, booleans as strings, partial shapes. None of it may fail the
// whole answer.
func TestParseResultTolerant(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, r vendors.Result)
	}{
		{"string score and accepted", `{"transactionId":"t","result":{"data":{"raw":{"number":{"value":"X1","score":"88","accepted":"false","coordinates":{"first":{"x":"1","y":2},"second":{"x":3,"y":2},"third":{"x":3,"y":4},"fourth":{"x":1,"y":4}}}},"ocr":{}}}}`,
			func(t *testing.T, r vendors.Result) {
				f := fieldOf(r, vendors.DocumentNumber)
				if f == nil || f.Value != "X1" || f.Confidence == nil || *f.Confidence != 0.88 || f.Box == nil || f.Box.Corners[0] != (vendors.Point{X: 1, Y: 2}) {
					t.Errorf("field %+v", f)
				}
				if len(r.Flags) != 1 || r.Flags[0] != (vendors.Flag{Name: "number.accepted", OK: false}) {
					t.Errorf("flags %+v", r.Flags)
				}
				if r.Outcome != vendors.OutcomePass {
					t.Errorf("outcome %q", r.Outcome)
				}
			}},
		{"corner missing gives no box", `{"result":{"data":{"raw":{"address":{"value":"A","score":50,"coordinates":{"first":{"x":1,"y":2}}}}}}}`,
			func(t *testing.T, r vendors.Result) {
				f := fieldOf(r, vendors.Address)
				if f == nil || f.Box != nil || *f.Confidence != 0.5 {
					t.Errorf("field %+v", f)
				}
			}},
		{"non-finite numbers refused", `{"result":{"data":{"raw":{"address":{"value":"A","score":"NaN","coordinates":{"first":{"x":"Inf","y":2},"second":{"x":3,"y":2},"third":{"x":3,"y":4},"fourth":{"x":1,"y":4}}}}}}}`,
			func(t *testing.T, r vendors.Result) {
				f := fieldOf(r, vendors.Address)
				if f == nil || f.Box != nil || f.Confidence != nil {
					t.Errorf("field %+v", f)
				}
			}},
		{"score clamped", `{"result":{"data":{"raw":{"address":{"value":"A","score":140}}}}}`,
			func(t *testing.T, r vendors.Result) {
				if f := fieldOf(r, vendors.Address); f == nil || *f.Confidence != 1 {
					t.Errorf("field %+v", f)
				}
			}},
		{"nulls and wrong shapes", `{"transactionId":null,"result":{"data":{"raw":null,"ocr":"x"},"review_front":null}}`,
			func(t *testing.T, r vendors.Result) {
				if len(r.Fields) != 0 || r.Outcome != vendors.OutcomePass || r.TransactionID != "" {
					t.Errorf("result %+v", r)
				}
			}},
		{"review flags as strings", `{"result":{"data":{},"review_front":"false","review_back":"true"}}`,
			func(t *testing.T, r vendors.Result) {
				if r.Outcome != vendors.OutcomeReview {
					t.Errorf("outcome %q", r.Outcome)
				}
			}},
		{"raw value without ocr", `{"result":{"data":{"raw":{"expire_date":{"value":"2030-01-01","score":91}},"ocr":{"ocr_expireDate":""}}}}`,
			func(t *testing.T, r vendors.Result) {
				if f := fieldOf(r, vendors.ExpiryDate); f == nil || f.Value != "2030-01-01" {
					t.Errorf("field %+v", f)
				}
			}},
		{"bare raw value and rotation", `{"result":{"data":{"raw":{"authority":"CITY HALL","rotate":{"value":90}}}}}`,
			func(t *testing.T, r vendors.Result) {
				if r.Extra["raw.authority"] != "CITY HALL" || r.Extra["raw.rotate"] != "90" {
					t.Errorf("extra %+v", r.Extra)
				}
			}},
		{"two raw keys for one field", `{"result":{"data":{"raw":{"sex":{"value":"F","score":90},"gender":{"value":"FEMALE","score":70}}}}}`,
			func(t *testing.T, r vendors.Result) {
				f := fieldOf(r, vendors.Sex)
				if f == nil || f.Value != "FEMALE" || *f.Confidence != 0.7 || r.Extra["raw.sex"] != "F" {
					t.Errorf("field %+v extra %+v", f, r.Extra)
				}
			}},
		{"unknown ocr keys kept", `{"result":{"data":{"ocr":{"ocr_placeOfBirth":"UTOPIA","ocr_firstName":"ANNA"}}}}`,
			func(t *testing.T, r vendors.Result) {
				if r.Extra["ocr_placeOfBirth"] != "UTOPIA" || fieldOf(r, vendors.GivenNames).Value != "ANNA" {
					t.Errorf("result %+v", r)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseResult([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, r)
		})
	}
}

func TestParseResultErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		kind vendors.Kind
		code string
	}{
		{"not JSON", `<html>502</html>`, vendors.Transient, ""},
		{"truncated", `{"transactionId":"t-1","result":{"data":{"raw":{"na`, vendors.Transient, ""},
		{"array", `[1,2]`, vendors.Transient, ""},
		{"no result", `{"apiType":"id_recognition","transactionId":"x"}`, vendors.Invalid, ""},
		{"result not an object", `{"result":"done"}`, vendors.Invalid, ""},
		{"error code", `{"errorCode":1011,"message":"Fail to recognize idCard"}`, vendors.Business, "1011"},
		{"error code as text", `{"errorCode":"1013","message":"Invalid image format"}`, vendors.Business, "1013"},
		{"undocumented code", `{"errorCode":1999,"message":"new"}`, vendors.Invalid, "1999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseResult([]byte(tt.body))
			var ve *vendors.Error
			if !errors.As(err, &ve) || ve.Kind != tt.kind || ve.Code != tt.code || ve.Vendor != vendors.Argos {
				t.Fatalf("err = %#v, want kind %s code %q", err, tt.kind, tt.code)
			}
		})
	}
}

func TestScaleApply(t *testing.T) {
	extra := map[string]string{"raw.authority.coordinates": "10,20 30,20 30,40 10,40", "raw.x.coordinates": "garbage", "raw.authority": "MAYOR"}
	r := vendors.Result{Fields: []vendors.Field{
		{Name: vendors.Surname, Box: ptr(rect(10, 20, 30, 40))},
		{Name: vendors.Sex},
		{Name: vendors.FullName, Box: &vendors.Box{Side: "back", Corners: rect(1, 1, 2, 2).Corners}},
	}, Extra: extra}
	orig := r.Fields[0].Box
	Scale{X: 2, Y: 2.5}.Apply(&r)
	if got := r.Extra["raw.authority.coordinates"]; got != "20,50 60,50 60,100 20,100" || r.Extra["raw.authority"] != "MAYOR" {
		t.Errorf("an unmapped field's box %q", got)
	}
	if _, ok := r.Extra["raw.x.coordinates"]; ok || extra["raw.authority.coordinates"] != "10,20 30,20 30,40 10,40" {
		t.Errorf("unreadable coordinates kept, or the caller's map changed: %v %v", r.Extra, extra)
	}
	if got := r.Fields[0].Box.Corners; got != rect(20, 50, 60, 100).Corners {
		t.Errorf("front box %v", got)
	}
	if orig.Corners != rect(10, 20, 30, 40).Corners {
		t.Error("Apply must not change a box shared with the caller")
	}
	if r.Fields[2].Box.Corners != rect(1, 1, 2, 2).Corners {
		t.Error("only front boxes are scaled")
	}
	Scale{}.Apply(&r) // zero value is identity
	Scale{X: 1, Y: 1}.Apply(nil)
	if got := r.Fields[0].Box.Corners; got != rect(20, 50, 60, 100).Corners {
		t.Errorf("identity changed the box: %v", got)
	}
}

// An ID card's zone has three lines; Argos names two (mrz_line1, mrz_line2) and gives the whole
// zone in full_mrz, with line breaks or run together. The lines come from full_mrz then.
func TestFullMRZGivesTheThirdLine(t *testing.T) {
	l1, l2, l3 := "I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"
	for name, full := range map[string]string{"line breaks": l1 + `\n` + l2 + `\r\n` + l3, "run together": l1 + l2 + l3} {
		body := `{"apiType":"id_recognition","transactionId":"t1","result":{"data":{"ocr":{"mrz_line1":"` + l1 + `","mrz_line2":"` + l2 +
			`","full_mrz":"` + full + `"}}}}`
		res, err := ParseResult([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		for n, want := range map[vendors.FieldName]string{vendors.MRZLine1: l1, vendors.MRZLine2: l2, vendors.MRZLine3: l3} {
			if f := fieldOf(res, n); f == nil || f.Value != want {
				t.Errorf("%s: %s = %+v, want %q", name, n, f, want)
			}
		}
	}
	// A passport's two lines: the line keys stand, full_mrz adds nothing.
	p1, p2 := "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
	res, err := ParseResult([]byte(`{"transactionId":"t2","result":{"data":{"ocr":{"mrz_line1":"` + p1 + `","mrz_line2":"` + p2 +
		`","full_mrz":"` + p1 + p2 + `"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if fieldOf(res, vendors.MRZLine3) != nil || fieldOf(res, vendors.MRZLine1).Value != p1 || fieldOf(res, vendors.MRZLine2).Value != p2 {
		t.Errorf("passport lines: %+v", res.Fields)
	}
}
