package liveness

import (
	"encoding/base64"
	"encoding/json"
	"image"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"kycdesk/internal/db"
	"kycdesk/internal/vendors"
)

func validForm(ref uuid.UUID, audit ...uuid.UUID) url.Values {
	f := url.Values{
		FieldConclusion: {"true"}, FieldLivenessResult: {"true"}, FieldFacialCheck: {"false"},
		FieldEyesClosed: {"false"}, FieldEyesClosedConfidence: {"97.5"},
		FieldSunglasses: {"true"}, FieldSunglassesConfidence: {"12"},
		FieldFaceOccluded: {"false"}, FieldFaceOccludedConfidence: {"0"},
		FieldLivenessConfidence: {"88"}, FieldReferenceImage: {ref.String()}, FieldComment: {"  Looked twice.\r\nFine.  "},
	}
	for _, a := range audit {
		f.Add(FieldAuditImages, a.String())
	}
	return f
}

func TestParseInput(t *testing.T) {
	ref, other, stranger := uuid.New(), uuid.New(), uuid.New()
	allowed := map[uuid.UUID]bool{ref: true, other: true}
	in, errs := ParseInput(validForm(ref, other, other), allowed)
	if len(errs) != 0 {
		t.Fatalf("valid form refused: %v", errs)
	}
	want := Input{Conclusion: true, LivenessResult: true, FacialCheck: false, EyesClosed: Detail{false, 97.5}, Sunglasses: Detail{true, 12},
		FaceOccluded: Detail{false, 0}, LivenessConfidence: 88, ReferenceImage: ref, AuditImages: []uuid.UUID{other}, Comment: "Looked twice.\nFine."}
	if !reflect.DeepEqual(in, want) {
		t.Fatalf("got %+v\nwant %+v", in, want)
	}
	long := strings.Repeat("é", MaxCommentLength+1)
	many := func() []string {
		var out []string
		for i := 0; i <= MaxAuditImages; i++ {
			id := uuid.New()
			allowed[id] = true
			out = append(out, id.String())
		}
		return out
	}()
	cases := []struct {
		name  string
		set   map[string][]string
		drop  []string
		field string
		msg   string
	}{
		{"conclusion missing", nil, []string{FieldConclusion}, FieldConclusion, "passes or fails"},
		{"conclusion not a boolean", map[string][]string{FieldConclusion: {"yes"}}, nil, FieldConclusion, "passes or fails"},
		{"liveness result missing", nil, []string{FieldLivenessResult}, FieldLivenessResult, "live person"},
		{"facial check missing", nil, []string{FieldFacialCheck}, FieldFacialCheck, "portrait"},
		{"eyes closed missing", nil, []string{FieldEyesClosed}, FieldEyesClosed, "eyes are closed"},
		{"sunglasses missing", nil, []string{FieldSunglasses}, FieldSunglasses, "sunglasses"},
		{"face occluded missing", nil, []string{FieldFaceOccluded}, FieldFaceOccluded, "occluded"},
		{"eyes closed confidence missing", nil, []string{FieldEyesClosedConfidence}, FieldEyesClosedConfidence, "0 to 100"},
		{"confidence above 100", map[string][]string{FieldSunglassesConfidence: {"100.5"}}, nil, FieldSunglassesConfidence, "0 to 100"},
		{"confidence below 0", map[string][]string{FieldFaceOccludedConfidence: {"-1"}}, nil, FieldFaceOccludedConfidence, "0 to 100"},
		{"confidence not a number", map[string][]string{FieldEyesClosedConfidence: {"high"}}, nil, FieldEyesClosedConfidence, "0 to 100"},
		{"confidence NaN", map[string][]string{FieldEyesClosedConfidence: {"NaN"}}, nil, FieldEyesClosedConfidence, "0 to 100"},
		{"liveness confidence missing", nil, []string{FieldLivenessConfidence}, FieldLivenessConfidence, "whole number"},
		{"liveness confidence decimal", map[string][]string{FieldLivenessConfidence: {"88.5"}}, nil, FieldLivenessConfidence, "whole number"},
		{"liveness confidence above 100", map[string][]string{FieldLivenessConfidence: {"101"}}, nil, FieldLivenessConfidence, "whole number"},
		{"reference missing", nil, []string{FieldReferenceImage}, FieldReferenceImage, "Choose the reference image"},
		{"reference of another case", map[string][]string{FieldReferenceImage: {stranger.String()}}, nil, FieldReferenceImage, "this case's images"},
		{"reference not an id", map[string][]string{FieldReferenceImage: {"../../etc/passwd"}}, nil, FieldReferenceImage, "this case's images"},
		{"audit image of another case", map[string][]string{FieldAuditImages: {stranger.String()}}, nil, FieldAuditImages, "this case's images"},
		{"too many audit images", map[string][]string{FieldAuditImages: many}, nil, FieldAuditImages, "at most"},
		{"comment too long", map[string][]string{FieldComment: {long}}, nil, FieldComment, "at most 2000"},
		{"supersedes not an id", map[string][]string{FieldSupersedes: {"x"}}, nil, FieldSupersedes, "reload"},
		{"pass for a selfie not live", map[string][]string{FieldLivenessResult: {"false"}}, nil, FieldConclusion, "not of a live person"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := validForm(ref)
			for k, v := range c.set {
				f[k] = v
			}
			for _, k := range c.drop {
				f.Del(k)
			}
			_, errs := ParseInput(f, allowed)
			if len(errs) != 1 || !strings.Contains(errs[c.field], c.msg) {
				t.Fatalf("errors %v, want only %s containing %q", errs, c.field, c.msg)
			}
		})
	}
	// Accepted spellings.
	for s, want := range map[string]float64{"50 %": 50, "33,333": 33.33, " 100 ": 100, "0.005": 0.01} {
		f := validForm(ref)
		f.Set(FieldEyesClosedConfidence, s)
		in, errs := ParseInput(f, allowed)
		if len(errs) != 0 || in.EyesClosed.Confidence != want {
			t.Errorf("%q: %v %v", s, in.EyesClosed.Confidence, errs)
		}
	}
	_, errs = ParseInput(url.Values{}, allowed)
	for _, f := range []string{FieldConclusion, FieldLivenessResult, FieldFacialCheck, FieldEyesClosed, FieldEyesClosedConfidence, FieldSunglasses,
		FieldSunglassesConfidence, FieldFaceOccluded, FieldFaceOccludedConfidence, FieldLivenessConfidence, FieldReferenceImage} {
		if errs[f] == "" {
			t.Errorf("empty form: no message for %s", f)
		}
	}
}

// contractBody is LivenessResultRequestDto as the published page writes it: every member, with
// its JSON type, the nested face details included. liivenessConfidence has two i's.
var contractBody = map[string]string{
	"conclusion":                          "boolean",
	"auditImages":                         "string",
	"faceDetails":                         "object",
	"faceDetails.eyesClosed":              "object",
	"faceDetails.eyesClosed.value":        "boolean",
	"faceDetails.eyesClosed.confidence":   "number",
	"faceDetails.sunglasses":              "object",
	"faceDetails.sunglasses.value":        "boolean",
	"faceDetails.sunglasses.confidence":   "number",
	"faceDetails.faceOccluded":            "object",
	"faceDetails.faceOccluded.value":      "boolean",
	"faceDetails.faceOccluded.confidence": "number",
	"facialCheck":                         "boolean",
	"livenessResult":                      "boolean",
	"referenceImage":                      "string",
	"liivenessConfidence":                 "integer",
}

// flatten lists a decoded JSON object's members by dotted path with their JSON types.
func flatten(prefix string, v any, out map[string]string) {
	m, _ := v.(map[string]any)
	for k, x := range m {
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		switch t := x.(type) {
		case map[string]any:
			out[path] = "object"
			flatten(path, t, out)
		case bool:
			out[path] = "boolean"
		case string:
			out[path] = "string"
		case json.Number:
			if _, err := t.Int64(); err == nil && !strings.ContainsAny(t.String(), ".eE") {
				out[path] = "integer"
			} else {
				out[path] = "number"
			}
		default:
			out[path] = "null or array"
		}
	}
}

// CheckBody compares a serialised liveness body with the contract member by member and returns
// the decoded body.
func checkBody(t *testing.T, body []byte) map[string]any {
	t.Helper()
	if strings.Contains(string(body), `"livenessConfidence"`) || !strings.Contains(string(body), `"liivenessConfidence"`) {
		t.Fatalf("the body must carry liivenessConfidence (two i's) and never livenessConfidence: %.300s", body)
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	flatten("", v, got)
	for k, typ := range contractBody {
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("member %s is not sent", k)
		case g != typ && !(typ == "number" && g == "integer"):
			t.Errorf("member %s is a %s, the contract says %s", k, g, typ)
		}
	}
	for k := range got {
		if _, ok := contractBody[k]; !ok {
			t.Errorf("member %s is not in the contract", k)
		}
	}
	return v
}

func TestRequestMatchesTheContract(t *testing.T) {
	ref, a1, a2 := []byte("\xff\xd8reference"), []byte("\xff\xd8audit one"), []byte("\xff\xd8audit two")
	v := db.LivenessVerdict{Conclusion: false, LivenessResult: true, FacialCheck: false, EyesClosed: true, EyesClosedConfidence: 91.25,
		Sunglasses: false, SunglassesConfidence: 0, FaceOccluded: false, FaceOccludedConfidence: 100, LivenessConfidence: 0}
	body, err := json.Marshal(Request(v, ref, [][]byte{a1, a2}))
	if err != nil {
		t.Fatal(err)
	}
	got := checkBody(t, body)
	// false and 0 are sent, not left out.
	want := map[string]string{"conclusion": "false", "livenessResult": "true", "facialCheck": "false", "liivenessConfidence": "0"}
	for k, w := range want {
		if s := jsonText(got[k]); s != w {
			t.Errorf("%s = %s, want %s", k, s, w)
		}
	}
	fd := got["faceDetails"].(map[string]any)
	for name, w := range map[string][2]string{"eyesClosed": {"true", "91.25"}, "sunglasses": {"false", "0"}, "faceOccluded": {"false", "100"}} {
		d := fd[name].(map[string]any)
		if jsonText(d["value"]) != w[0] || jsonText(d["confidence"]) != w[1] {
			t.Errorf("%s = %v, want %v", name, d, w)
		}
	}
	if r, _ := base64.StdEncoding.DecodeString(got["referenceImage"].(string)); string(r) != string(ref) {
		t.Errorf("referenceImage does not decode to the image")
	}
	parts := strings.Split(got["auditImages"].(string), AuditImageSeparator)
	if len(parts) != 2 {
		t.Fatalf("auditImages has %d images", len(parts))
	}
	for i, want := range [][]byte{a1, a2} {
		if b, _ := base64.StdEncoding.DecodeString(parts[i]); string(b) != string(want) {
			t.Errorf("audit image %d does not decode to the image", i)
		}
	}
	// Without audit images the member is left out rather than sent empty.
	body, _ = json.Marshal(Request(v, ref, nil))
	if strings.Contains(string(body), "auditImages") {
		t.Errorf("auditImages sent empty: %s", body)
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestCropRect(t *testing.T) {
	box := func(x, y, w, h float64) vendors.Box {
		return vendors.Box{Corners: [4]vendors.Point{{X: x, Y: y}, {X: x + w, Y: y}, {X: x + w, Y: y + h}, {X: x, Y: y + h}}}
	}
	display := image.Rect(0, 0, 1000, 600)
	cases := []struct {
		name   string
		box    vendors.Box
		stored int
		want   image.Rectangle
		ok     bool
	}{
		{"same size, margin added", box(100, 100, 200, 300), 1000, image.Rect(76, 64, 324, 436), true},
		{"display half the stored size", box(200, 200, 400, 600), 2000, image.Rect(76, 64, 324, 436), true},
		{"clamped to the image", box(-50, 500, 200, 300), 1000, image.Rect(0, 464, 174, 600), true},
		{"outside the image", box(2000, 2000, 10, 10), 1000, image.Rectangle{}, false},
		{"empty box", box(10, 10, 0, 0), 1000, image.Rectangle{}, false},
		{"no stored width", box(10, 10, 50, 50), 0, image.Rectangle{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := CropRect(c.box, c.stored, display)
			if ok != c.ok || got != c.want {
				t.Fatalf("got %v %v, want %v %v", got, ok, c.want, c.ok)
			}
		})
	}
}

func TestRetryDelay(t *testing.T) {
	defer func(b time.Duration) { RetryBase = b }(RetryBase)
	RetryBase = 2 * time.Second
	var got []string
	for a := 1; a <= 12; a++ {
		got = append(got, retryDelay(a, nil).String())
	}
	want := []string{"2s", "4s", "8s", "16s", "32s", "1m4s", "2m8s", "4m16s", "8m32s", "17m4s", "30m0s", "30m0s"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v", got)
	}
	if d := retryDelay(1, &vendors.Error{Kind: vendors.Transient, RetryAfter: 7 * time.Second}); d.String() != "7s" {
		t.Fatalf("Retry-After ignored: %s", d)
	}
}
