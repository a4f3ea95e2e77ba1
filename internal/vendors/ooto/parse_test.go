package ooto

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"kycdesk/internal/vendors"
)

// pageSample is the page's successful response, verbatim.
const pageSample = `{
  "transactionId": "string",
  "result": {
    "comparison": {
      "similarity": 0,
      "same": true
    },  
    "face": {
      "liveness": {
        "score": 0,
        "fine": true
      },
      "deepfake": {
        "score": 0,
        "fine": true
      },
      "quality": {
        "age": 0,
        "gender": "string",
        "race": "string",
        "pitch": 0,
        "yaw": 0,
        "roll": 0,
        "uniformity": {
          "value": 0,
          "fine": true
        },
        "exposure": {
          "value": 0,
          "fine": true
        },
        "contrast": {
          "value": 0,
          "fine": true
        },
        "flare": {
          "score": 0,
          "fine": true
        },
        "blur": {
          "score": 0,
          "fine": true
        },
        "macroblocks": {
          "score": 0,
          "fine": true
        },
        "distortion": {
          "score": 0,
          "fine": true
        },
        "occlusion": {
          "score": 0,
          "fine": true
        },
        "emotion": {
          "score": 0,
          "fine": true
        },
        "left_eye_closed": {
          "score": 0,
          "fine": true
        },
        "right_eye_closed": {
          "score": 0,
          "fine": true
        },
        "crfiqa": {
          "score": 0,
          "fine": true
        }
      },
      "box": {
        "x": 0,
        "y": 0,
        "w": 0,
        "h": 0
      },
      "landmarks": [
        [
          0
        ]
      ]
    },
    "document": {
      "doc": "string",
      "ocr": {
        "countryName": "string",
        "countryName_local": "string",
        "dateOfBirth": "string",
        "dateOfIssue": "string",
        "dateOfExpiration": "string",
        "IDPlaceOfBirthCountry": "string",
        "givenNames": "string",
        "givenNames_local": "string",
        "surname": "string",
        "surname_local": "string",
        "identityCardNumber": "string",
        "issuingStateCode": "string",
        "sex": "string",
        "mrz": "string",
        "bookletNumber": "string",
        "citizenshipStatus": "string",
        "nationality": "string",
        "height_cm": 0,
        "weight_kg": 0,
        "eyes": "string"
      },
      "position": {
        "x": 0,
        "y": 0,
        "w": 0,
        "h": 0,
        "angle": 0
      },
      "portrait": {
        "x": 0,
        "y": 0,
        "w": 0,
        "h": 0,
        "angle": 0
      }
    }
  }
}`

// pageError is the page's error response, verbatim: code 5 with the text of code 201.
const pageError = `{
  "transactionId": "efb66e50-4c87-493d-b026-543dacdbe314",
  "result": {
    "status": "error",
    "code": 5,
    "info": "can not detect document"
  }
}`

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

func TestPageSample(t *testing.T) {
	res, err := interpret(resp(200), []byte(pageSample), BoxConvention{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != vendors.OutcomePass || res.TransactionID != "string" {
		t.Errorf("outcome %s id %q", res.Outcome, res.TransactionID)
	}
	f := res.Face
	if f == nil || f.Similarity == nil || *f.Similarity != 0 || f.Same == nil || !*f.Same ||
		f.Liveness == nil || *f.Liveness != 0 || f.LivenessFine == nil || !*f.LivenessFine ||
		f.Deepfake == nil || *f.Deepfake != 0 || f.DeepfakeFine == nil || !*f.DeepfakeFine || len(f.FailedQuality) != 0 {
		t.Fatalf("face %+v", f)
	}
	zero := vendors.Box{Side: "front"}
	if f.FaceBox == nil || f.FaceBox.Side != "selfie" || f.DocumentBox == nil || *f.DocumentBox != zero || f.PortraitBox == nil || *f.PortraitBox != zero {
		t.Errorf("boxes %+v %+v %+v", f.FaceBox, f.DocumentBox, f.PortraitBox)
	}
	want := map[vendors.FieldName]string{
		vendors.Surname: "string", vendors.GivenNames: "string", vendors.DateOfBirth: "string", vendors.Sex: "string",
		vendors.Nationality: "string", vendors.DocumentNumber: "string", vendors.IssueDate: "string",
		vendors.ExpiryDate: "string", vendors.IssuingCountry: "string", vendors.DocumentType: "string", vendors.MRZLine1: "string",
	}
	if got := fieldMap(res); !reflect.DeepEqual(got, want) {
		t.Errorf("fields\n got %v\nwant %v", got, want)
	}
	for k, v := range map[string]string{
		"document.ocr.countryName": "string", "document.ocr.countryName_local": "string", "document.ocr.surname_local": "string",
		"document.ocr.givenNames_local": "string", "document.ocr.IDPlaceOfBirthCountry": "string", "document.ocr.bookletNumber": "string",
		"document.ocr.citizenshipStatus": "string", "document.ocr.height_cm": "0", "document.ocr.weight_kg": "0", "document.ocr.eyes": "string",
		"face.quality.pitch": "0",
		"face.quality.blur":  "0", "face.quality.left_eye_closed": "0", "face.landmarks": "[[0]]",
	} {
		if res.Extra[k] != v {
			t.Errorf("extra %s = %q, want %q", k, res.Extra[k], v)
		}
	}
	for _, k := range []string{"face.quality.age", "face.quality.gender", "face.quality.race"} {
		if v, ok := res.Extra[k]; ok {
			t.Errorf("extra %s = %q: an estimate about the person is kept", k, v)
		}
	}
	flags := map[string]bool{}
	for _, fl := range res.Flags {
		flags[fl.Name] = fl.OK
	}
	for _, n := range []string{"same face", "liveness", "deepfake", "quality: blur", "quality: left_eye_closed", "quality: crfiqa"} {
		if ok, present := flags[n]; !present || !ok {
			t.Errorf("flag %q = %v, %v", n, ok, present)
		}
	}
}

func TestBothKeySpellings(t *testing.T) {
	for _, body := range []string{
		`{"transactionId":"t","result":{"comparison":{"similarity":0.9,"same":true},"face":{"liveness":{"score":0.9,"fine":true},"deepfake":{"score":0.1,"fine":true},
		  "quality":{"left_eye_closed":{"score":0.9,"fine":false},"right_eye_closed":{"score":0.1,"fine":true}},"landmarks":{"left_eye":[1,2],"nose_tip":[3,4]}}}}`,
		`{"transactionId":"t","result":{"comparison":{"similarity":0.9,"same":true},"face":{"liveness":{"score":0.9,"fine":true},"deepfake":{"score":0.1,"fine":true},
		  "quality":{"leftEyeClosed":{"score":0.9,"fine":false},"rightEyeClosed":{"score":0.1,"fine":true}},"landmarks":{"leftEye":[1,2],"noseTip":[3,4]}}}}`,
	} {
		res, err := interpret(resp(200), []byte(body), BoxConvention{})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Face.FailedQuality; len(got) != 1 || got[0] != "The left eye is closed." {
			t.Errorf("failed quality %v", got)
		}
		if res.Extra["face.quality.left_eye_closed"] != "0.9" || res.Extra["face.quality.right_eye_closed"] != "0.1" ||
			res.Extra["face.landmarks.left_eye"] != "[1,2]" || res.Extra["face.landmarks.nose_tip"] != "[3,4]" {
			t.Errorf("extra %v", res.Extra)
		}
		var flags []string
		for _, f := range res.Flags {
			flags = append(flags, fmt.Sprintf("%s=%v", f.Name, f.OK))
		}
		if !strings.Contains(strings.Join(flags, " "), "quality: left_eye_closed=false quality: right_eye_closed=true") {
			t.Errorf("flags %v", flags)
		}
		// A failed quality check alone does not change the verdict: the reviewer sees it.
		if res.Outcome != vendors.OutcomePass {
			t.Errorf("outcome %s", res.Outcome)
		}
	}
}

func TestOutcome(t *testing.T) {
	body := func(same, live, fake string) string {
		return fmt.Sprintf(`{"result":{"comparison":{"similarity":0.5%s},"face":{"liveness":{"score":0.4%s},"deepfake":{"score":0.2%s}}}}`, same, live, fake)
	}
	tests := []struct {
		name, same, live, fake string
		want                   vendors.Outcome
	}{
		{"all fine", `,"same":true`, `,"fine":true`, `,"fine":true`, vendors.OutcomePass},
		{"string booleans", `,"same":"true"`, `,"fine":"True"`, `,"fine":1`, vendors.OutcomePass},
		{"other person", `,"same":false`, `,"fine":true`, `,"fine":true`, vendors.OutcomeFail},
		{"other person, not live", `,"same":false`, `,"fine":false`, `,"fine":true`, vendors.OutcomeFail},
		{"not live", `,"same":true`, `,"fine":false`, `,"fine":true`, vendors.OutcomeReview},
		{"deepfake", `,"same":true`, `,"fine":true`, `,"fine":false`, vendors.OutcomeReview},
		{"no verdict on the match", ``, `,"fine":true`, `,"fine":true`, vendors.OutcomeReview},
		{"no liveness verdict", `,"same":true`, ``, `,"fine":true`, vendors.OutcomeReview},
	}
	for _, tt := range tests {
		res, err := interpret(resp(200), []byte(body(tt.same, tt.live, tt.fake)), BoxConvention{})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if res.Outcome != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, res.Outcome, tt.want)
		}
	}
}

func TestOCRMapping(t *testing.T) {
	body := `{"result":{"comparison":{"same":true},"document":{"doc":"Utopia passport","ocr":{
		"surname":{"value":"ERIKSSON","confidence":0.97},"givenNames":"ANNA MARIA","dateOfBirth":"1974-08-12","sex":"F",
		"nationality":"UTO","passportNumber":"L898902C3","personalNumber":"ZE184226B","dateOfIssue":"2007-04-15",
		"dateOfExpiry":"2012-04-15","countryName":"Utopia","issuingStateCode":"UTO",
		"mrz":"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408122F1204159ZE184226B<<<<<10"}}}}`
	res, err := interpret(resp(200), []byte(body), BoxConvention{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[vendors.FieldName]string{
		vendors.Surname: "ERIKSSON", vendors.GivenNames: "ANNA MARIA", vendors.DateOfBirth: "1974-08-12", vendors.Sex: "F",
		vendors.Nationality: "UTO", vendors.DocumentNumber: "L898902C3", vendors.PersonalNumber: "ZE184226B",
		vendors.IssueDate: "2007-04-15", vendors.ExpiryDate: "2012-04-15", vendors.IssuingCountry: "UTO",
		vendors.DocumentType: "Utopia passport",
		vendors.MRZLine1:     "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", vendors.MRZLine2: "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
	}
	if got := fieldMap(res); !reflect.DeepEqual(got, want) {
		t.Errorf("fields\n got %v\nwant %v", got, want)
	}
	if res.Extra["document.ocr.countryName"] != "Utopia" {
		t.Errorf("extra %v", res.Extra)
	}
	if c := res.Fields[0].Confidence; c == nil || *c != 0.97 {
		t.Errorf("surname confidence %v", c)
	}
	if res.Face.FaceBox != nil || res.Face.PortraitBox != nil {
		t.Errorf("boxes invented: %+v", res.Face)
	}
}

func TestErrorCodes(t *testing.T) {
	for _, code := range Codes() {
		for _, status := range []int{400, 200} {
			body := fmt.Sprintf(`{"transactionId":"x","result":{"status":"error","code":%d,"info":%q}}`, code, infos[code])
			_, err := interpret(resp(status), []byte(body), BoxConvention{})
			want, _ := Meaning(fmt.Sprint(code))
			if err == nil || err.Kind != vendors.Business || err.Code != fmt.Sprint(code) || err.Message != want || err.HTTPStatus != status {
				t.Errorf("code %d status %d: %+v", code, status, err)
			}
		}
	}
	// The page's example: code 5 with the words of 201. The code decides.
	_, err := interpret(resp(400), []byte(pageError), BoxConvention{})
	if err == nil || err.Code != "5" || err.Message != "No face was found in the selfie." {
		t.Errorf("page example: %+v", err)
	}
}

func TestFailures(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		kind     vendors.Kind
		code     string
		contains string
	}{
		{"undocumented code", 400, `{"result":{"status":"error","code":77,"info":"new thing"}}`, vendors.Business, "77", "new thing"},
		{"code as string", 400, `{"result":{"status":"error","code":"201"}}`, vendors.Business, "201", "No document"},
		{"401", 401, ``, vendors.Auth, "", "APP-ID"},
		{"403 with message", 403, `{"message":"Forbidden"}`, vendors.Auth, "", "Forbidden"},
		{"400 without the error shape", 400, `{"detail":"bad"}`, vendors.Invalid, "", "HTTP 400"},
		{"400 not JSON", 400, `Bad Request`, vendors.Invalid, "", "HTTP 400"},
		{"404", 404, `<html/>`, vendors.Invalid, "", "HTTP 404"},
		{"413", 413, ``, vendors.Invalid, "", "too large"},
		{"429", 429, ``, vendors.Transient, "", "rate"},
		{"500", 500, `{"result":{"status":"error","code":5}}`, vendors.Transient, "", "HTTP 500"},
		{"503", 503, ``, vendors.Transient, "", "HTTP 503"},
		{"200 html", 200, `<html>gateway</html>`, vendors.Transient, "", "JSON"},
		{"200 truncated", 200, `{"transactionId":"t","result":{"compar`, vendors.Transient, "", "JSON"},
		{"200 without result", 200, `{"transactionId":"t"}`, vendors.Transient, "", "no result"},
	}
	for _, tt := range tests {
		_, err := interpret(resp(tt.status), []byte(tt.body), BoxConvention{})
		if err == nil || err.Kind != tt.kind || err.Code != tt.code || !strings.Contains(err.Message, tt.contains) {
			t.Errorf("%s: %+v; want %s %q containing %q", tt.name, err, tt.kind, tt.code, tt.contains)
		}
	}
}

func TestMeaning(t *testing.T) {
	want := []int{1, 2, 3, 4, 5, 6, 8, 9, 201, 202, 203, 208, 209}
	if got := Codes(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Codes() = %v", got)
	}
	for _, c := range want {
		if m, ok := Meaning(fmt.Sprint(c)); !ok || m == "" || infos[c] == "" {
			t.Errorf("code %d: %q %v", c, m, ok)
		}
	}
	if m, _ := Meaning("5"); !strings.Contains(m, "face") {
		t.Errorf("5 = %q", m)
	}
	if m, _ := Meaning("201"); !strings.Contains(m, "document") {
		t.Errorf("201 = %q", m)
	}
	for _, c := range []string{"", "7", "200", "x", "5.5"} {
		if _, ok := Meaning(c); ok {
			t.Errorf("Meaning(%q) known", c)
		}
	}
	if QualityMeaning("leftEyeClosed") != QualityMeaning("left_eye_closed") || !strings.Contains(QualityMeaning("fooBar"), "foo_bar") {
		t.Error("quality meanings")
	}
}

func TestSnake(t *testing.T) {
	for in, want := range map[string]string{
		"leftEyeClosed": "left_eye_closed", "left_eye_closed": "left_eye_closed", "crfiqa": "crfiqa",
		"IDPlaceOfBirth": "idplace_of_birth", "height_cm": "height_cm", "Left Eye": "left_eye",
	} {
		if got := snake(in); got != want {
			t.Errorf("snake(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzInterpret(f *testing.F) {
	f.Add(200, []byte(pageSample))
	f.Add(400, []byte(pageError))
	f.Add(200, []byte(`{"result":{"face":{"quality":{"leftEyeClosed":{"score":"1","fine":"false"}},"landmarks":{"a":{"b":1}}},"document":{"ocr":{"mrz":["a","b"]},"portrait":{"box":{"x":1,"y":2,"w":3,"h":4}}}}}`))
	f.Add(403, []byte(`{"message":"x"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 {
			return
		}
		res, err := interpret(resp(status), body, BoxConvention{})
		if err == nil && (res.Face == nil || res.Outcome == "") {
			t.Fatalf("success without a face or outcome: %+v", res)
		}
		if err != nil && err.Kind == "" {
			t.Fatalf("error without kind: %+v", err)
		}
	})
}

// TestEstimatesAboutThePersonAreNotKept: OOTO's guesses of age, gender and race leave the stored
// answer, whatever the spelling of their names; the rest of it stays.
func TestEstimatesAboutThePersonAreNotKept(t *testing.T) {
	in := []byte(`{"transactionId":"t1","result":{"document":{"mrz":"P<UTOERIKSSON<<ANNA<&"},"face":{"quality":{"Age":34,"gender":"female","RACE":"x","pitch":2.1}}}}`)
	out := string(withoutEstimates(in))
	for _, s := range []string{"Age", "gender", "RACE", "female"} {
		if strings.Contains(out, s) {
			t.Errorf("%s kept: %s", s, out)
		}
	}
	if !strings.Contains(out, `"pitch":2.1`) || !strings.Contains(out, `"transactionId":"t1"`) || !strings.Contains(out, `P<UTOERIKSSON<<ANNA<&`) {
		t.Errorf("other members lost: %s", out)
	}
	if got := string(withoutEstimates([]byte("not json"))); got != "not json" {
		t.Errorf("a body that is not JSON changed: %q", got)
	}
}

// TestFaceVerdictInWords: a check's row says OOTO's verdict, not a bare outcome.
func TestFaceVerdictInWords(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	b := func(v bool) *bool { return &v }
	for _, tt := range []struct {
		face vendors.Face
		want string
	}{
		{vendors.Face{Similarity: f(0.31), Same: b(false), LivenessFine: b(true), DeepfakeFine: b(true)},
			"Not the same person (similarity 31%), a live person, no deepfake."},
		{vendors.Face{Similarity: f(0.87), Same: b(true), Liveness: f(0.2), LivenessFine: b(false), DeepfakeFine: b(true)},
			"The same person (similarity 87%), may not be a live person (liveness 20%), no deepfake."},
		{vendors.Face{}, "No verdict on the face match, no liveness verdict, no deepfake verdict."},
	} {
		if got := faceWords(&tt.face); got != tt.want {
			t.Errorf("faceWords = %q, want %q", got, tt.want)
		}
	}
}
