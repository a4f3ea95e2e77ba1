package liveness

import (
	"bytes"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// fuzzImages are the images the fuzzed verdicts may name; the fuzzer learns these ids from the
// seeds, and anything else must be refused.
var fuzzImages = []uuid.UUID{uuid.MustParse("0b6f9d5e-3c1a-4c55-9a3e-5f3e2a9d1c01"), uuid.MustParse("7d1e2f3a-4b5c-4d6e-8f70-819203a4b5c6")}

// formOf is the form that re-enters an accepted verdict, as the edit form shows a stored one.
func formOf(in Input) url.Values {
	b := strconv.FormatBool
	f := url.Values{
		FieldConclusion: {b(in.Conclusion)}, FieldLivenessResult: {b(in.LivenessResult)}, FieldFacialCheck: {b(in.FacialCheck)},
		FieldEyesClosed: {b(in.EyesClosed.Value)}, FieldEyesClosedConfidence: {pct(in.EyesClosed.Confidence)},
		FieldSunglasses: {b(in.Sunglasses.Value)}, FieldSunglassesConfidence: {pct(in.Sunglasses.Confidence)},
		FieldFaceOccluded: {b(in.FaceOccluded.Value)}, FieldFaceOccludedConfidence: {pct(in.FaceOccluded.Confidence)},
		FieldLivenessConfidence: {strconv.Itoa(in.LivenessConfidence)}, FieldReferenceImage: {in.ReferenceImage.String()},
		FieldComment: {in.Comment},
	}
	for _, id := range in.AuditImages {
		f.Add(FieldAuditImages, id.String())
	}
	if in.Supersedes != nil {
		f.Set(FieldSupersedes, in.Supersedes.String())
	}
	return f
}

var verdictFields = map[string]bool{FieldConclusion: true, FieldLivenessResult: true, FieldFacialCheck: true, FieldEyesClosed: true,
	FieldEyesClosedConfidence: true, FieldSunglasses: true, FieldSunglassesConfidence: true, FieldFaceOccluded: true,
	FieldFaceOccludedConfidence: true, FieldLivenessConfidence: true, FieldReferenceImage: true, FieldAuditImages: true,
	FieldComment: true, FieldSupersedes: true}

// FuzzParseInput decodes a posted verdict form (url-encoded, read as the handler reads it) and
// asserts: every problem is reported under a field of the form, in words; an accepted verdict
// keeps to the contract's ranges, names only the case's images, carries a comment PostgreSQL can
// store, and comes back the same when its edit form is posted again.
func FuzzParseInput(f *testing.F) {
	ref, other := fuzzImages[0], fuzzImages[1]
	f.Add([]byte(validForm(ref, other, other).Encode()))
	f.Add([]byte(validForm(other).Encode()))
	seeds := []map[string]string{
		{FieldEyesClosedConfidence: "99.999", FieldSunglassesConfidence: "12,5%", FieldLivenessConfidence: " 100% "},
		{FieldEyesClosedConfidence: "NaN", FieldSunglassesConfidence: "1e2", FieldFaceOccludedConfidence: "-0", FieldLivenessConfidence: "0x10"},
		{FieldComment: "nul\x00byte and bad\xffutf8"},
		{FieldSupersedes: "not-a-uuid"},
		{FieldComment: "\u202eevil\r\n<script>alert(1)</script>", FieldSupersedes: other.String(), FieldConclusion: "True"},
		{FieldReferenceImage: uuid.NewString(), FieldAuditImages: "../../etc/passwd"},
	}
	for _, s := range seeds {
		v := validForm(ref, other)
		for k, x := range s {
			v.Set(k, x)
		}
		f.Add([]byte(v.Encode()))
	}
	allowed := map[uuid.UUID]bool{ref: true, other: true}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/liveness", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if r.ParseForm() != nil {
			return // httpx.ParseForm refuses it with "The form could not be read."
		}
		in, errs := ParseInput(r.PostForm, allowed)
		for k, msg := range errs {
			if !verdictFields[k] || msg == "" {
				t.Fatalf("error %q: %q is not a field of the form", k, msg)
			}
		}
		if len(errs) > 0 {
			return
		}
		for _, d := range []Detail{in.EyesClosed, in.Sunglasses, in.FaceOccluded} {
			if math.IsNaN(d.Confidence) || d.Confidence < 0 || d.Confidence > 100 || math.Round(d.Confidence*100)/100 != d.Confidence {
				t.Fatalf("confidence %v", d.Confidence)
			}
		}
		if in.LivenessConfidence < 0 || in.LivenessConfidence > 100 {
			t.Fatalf("liveness confidence %d", in.LivenessConfidence)
		}
		if !allowed[in.ReferenceImage] || len(in.AuditImages) > MaxAuditImages {
			t.Fatalf("images %v %v", in.ReferenceImage, in.AuditImages)
		}
		seen := map[uuid.UUID]bool{}
		for _, id := range in.AuditImages {
			if !allowed[id] || seen[id] {
				t.Fatalf("audit images %v", in.AuditImages)
			}
			seen[id] = true
		}
		if !utf8.ValidString(in.Comment) || strings.ContainsFunc(in.Comment, func(r rune) bool { return r != '\n' && r != '\t' && unicode.IsControl(r) }) ||
			utf8.RuneCountInString(in.Comment) > MaxCommentLength || in.Comment != strings.TrimSpace(in.Comment) {
			t.Fatalf("comment %q cannot be stored as it is", in.Comment)
		}
		again, errs := ParseInput(formOf(in), allowed)
		if len(errs) > 0 || !reflect.DeepEqual(again, in) {
			t.Fatalf("the edit form does not give the verdict back: %+v → %+v %v", in, again, errs)
		}
	})
}
