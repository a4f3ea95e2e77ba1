package liveness

import (
	"encoding/base64"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"kycdesk/internal/db"
	"kycdesk/internal/vendors/cynopsis"
)

// Form field names. They follow the request body's members one to one (snake_case), so the form
// and the contract can be read side by side.
const (
	FieldConclusion             = "conclusion"
	FieldLivenessResult         = "liveness_result"
	FieldFacialCheck            = "facial_check"
	FieldEyesClosed             = "eyes_closed"
	FieldEyesClosedConfidence   = "eyes_closed_confidence"
	FieldSunglasses             = "sunglasses"
	FieldSunglassesConfidence   = "sunglasses_confidence"
	FieldFaceOccluded           = "face_occluded"
	FieldFaceOccludedConfidence = "face_occluded_confidence"
	FieldLivenessConfidence     = "liveness_confidence"
	FieldReferenceImage         = "reference_image"
	FieldAuditImages            = "audit_images"
	FieldComment                = "comment"
	FieldSupersedes             = "supersedes"
)

// MaxCommentLength is the longest comment a verdict keeps (characters).
const MaxCommentLength = 2000

// MaxAuditImages bounds how many audit images one verdict sends: each travels as base64 in the
// one JSON body.
const MaxAuditImages = 6

// Detail is one face detail of a verdict: what the reviewer saw and how sure they are, in percent.
type Detail struct {
	Value      bool
	Confidence float64
}

// Input is a verdict as the reviewer entered it, validated.
type Input struct {
	Conclusion         bool
	LivenessResult     bool
	FacialCheck        bool
	EyesClosed         Detail
	Sunglasses         Detail
	FaceOccluded       Detail
	LivenessConfidence int
	ReferenceImage     uuid.UUID
	AuditImages        []uuid.UUID
	Comment            string
	// Supersedes is the verdict the reviewer saw as the newest when the form was made (nil: none).
	Supersedes *uuid.UUID
}

// choices names each yes/no field with what its message asks for.
var choices = []struct{ field, ask string }{
	{FieldConclusion, "Choose whether the liveness review passes or fails."},
	{FieldLivenessResult, "Choose whether the selfie shows a live person."},
	{FieldFacialCheck, "Choose whether the face matches the document portrait."},
	{FieldEyesClosed, "Choose whether the eyes are closed."},
	{FieldSunglasses, "Choose whether the person wears sunglasses."},
	{FieldFaceOccluded, "Choose whether the face is occluded."},
}

// ParseInput reads and validates the verdict form. allowed holds the images a verdict may name
// (the case's stored images that can be sent). Every problem is reported under its field's name;
// the Input is meaningful only when there is none.
func ParseInput(form url.Values, allowed map[uuid.UUID]bool) (Input, map[string]string) {
	errs := map[string]string{}
	var in Input
	bools := map[string]*bool{
		FieldConclusion: &in.Conclusion, FieldLivenessResult: &in.LivenessResult, FieldFacialCheck: &in.FacialCheck,
		FieldEyesClosed: &in.EyesClosed.Value, FieldSunglasses: &in.Sunglasses.Value, FieldFaceOccluded: &in.FaceOccluded.Value,
	}
	for _, c := range choices {
		switch strings.TrimSpace(form.Get(c.field)) {
		case "true":
			*bools[c.field] = true
		case "false":
			*bools[c.field] = false
		default:
			errs[c.field] = c.ask
		}
	}
	for field, dst := range map[string]*float64{FieldEyesClosedConfidence: &in.EyesClosed.Confidence,
		FieldSunglassesConfidence: &in.Sunglasses.Confidence, FieldFaceOccludedConfidence: &in.FaceOccluded.Confidence} {
		v, msg := percent(form.Get(field))
		if msg != "" {
			errs[field] = msg
			continue
		}
		*dst = v
	}
	if n, msg := wholePercent(form.Get(FieldLivenessConfidence)); msg != "" {
		errs[FieldLivenessConfidence] = msg
	} else {
		in.LivenessConfidence = n
	}
	ref := strings.TrimSpace(form.Get(FieldReferenceImage))
	if ref == "" {
		errs[FieldReferenceImage] = "Choose the reference image."
	} else if id, err := uuid.Parse(ref); err != nil || !allowed[id] {
		errs[FieldReferenceImage] = "Choose the reference image among this case's images."
	} else {
		in.ReferenceImage = id
	}
	seen := map[uuid.UUID]bool{}
	for _, s := range form[FieldAuditImages] {
		id, err := uuid.Parse(strings.TrimSpace(s))
		if err != nil || !allowed[id] {
			errs[FieldAuditImages] = "Choose audit images among this case's images."
			break
		}
		if !seen[id] {
			seen[id] = true
			in.AuditImages = append(in.AuditImages, id)
		}
	}
	if len(in.AuditImages) > MaxAuditImages && errs[FieldAuditImages] == "" {
		errs[FieldAuditImages] = fmt.Sprintf("Choose at most %d audit images.", MaxAuditImages)
	}
	// A pass that its own findings contradict is not sent to Artemis as it is.
	if errs[FieldConclusion] == "" && errs[FieldLivenessResult] == "" && in.Conclusion && !in.LivenessResult {
		errs[FieldConclusion] = "A liveness review cannot pass a selfie that is not of a live person: conclude fail, or correct the finding."
	}
	in.Comment = cleanComment(form.Get(FieldComment))
	if utf8.RuneCountInString(in.Comment) > MaxCommentLength {
		errs[FieldComment] = fmt.Sprintf("A comment can be at most %d characters.", MaxCommentLength)
	}
	if s := strings.TrimSpace(form.Get(FieldSupersedes)); s != "" {
		id, err := uuid.Parse(s)
		if err != nil {
			errs[FieldSupersedes] = "The form names an earlier verdict that does not exist: reload the page."
		} else {
			in.Supersedes = &id
		}
	}
	return in, errs
}

// cleanComment keeps a comment's words and line breaks, and drops what PostgreSQL refuses or a
// page cannot show: invalid UTF-8 becomes U+FFFD, control characters other than line breaks and
// tabs (NUL among them) are dropped.
func cleanComment(s string) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\r\n", "\n")
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			return -1
		}
		return r
	}, s))
}

// percent reads a confidence from 0 to 100, with at most two decimals kept; a trailing "%" is
// accepted.
func percent(s string) (float64, string) {
	const msg = "Enter a confidence from 0 to 100 (%)."
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	if s == "" {
		return 0, msg
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > 100 {
		return 0, msg
	}
	return math.Round(v*100) / 100, ""
}

// wholePercent reads an integer from 0 to 100 (liivenessConfidence is an integer in the contract).
func wholePercent(s string) (int, string) {
	const msg = "Enter a whole number from 0 to 100."
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 100 {
		return 0, msg
	}
	return n, ""
}

// Request builds the PUT body from a stored verdict and the bytes of its images (reference first,
// then the audit images in the verdict's order).
//
// Confidences: the contract gives faceDetails.*.confidence as a number and liivenessConfidence as
// an integer without a unit. The members mirror a face analysis whose confidences run from 0 to
// 100, and the cynopsis client already sends liivenessConfidence in percent, so every confidence
// is sent in percent: the face details as numbers with up to two decimals, the overall one as an
// integer.
func Request(v db.LivenessVerdict, reference []byte, audit [][]byte) cynopsis.LivenessRequest {
	detail := func(value bool, confidence float64) *cynopsis.FaceDetail {
		return &cynopsis.FaceDetail{Value: value, Confidence: confidence}
	}
	return cynopsis.LivenessRequest{
		Conclusion:     cynopsis.Bool(v.Conclusion),
		LivenessResult: cynopsis.Bool(v.LivenessResult),
		FacialCheck:    cynopsis.Bool(v.FacialCheck),
		FaceDetails: &cynopsis.FaceDetails{
			EyesClosed:   detail(v.EyesClosed, v.EyesClosedConfidence),
			Sunglasses:   detail(v.Sunglasses, v.SunglassesConfidence),
			FaceOccluded: detail(v.FaceOccluded, v.FaceOccludedConfidence),
		},
		LiivenessConfidence: cynopsis.Int64(int64(v.LivenessConfidence)),
		ReferenceImage:      EncodeImage(reference),
		AuditImages:         EncodeImages(audit),
	}
}

// EncodeImage is how an image travels in referenceImage.
//
// The contract types referenceImage and auditImages as plain strings and names no URL or id
// scheme. kycdesk's images are served only to signed-in staff, so an id or a URL of ours would
// mean nothing to Artemis; the image itself is sent: the standard base64 (RFC 4648, padded) of
// the upright display JPEG, whose metadata (EXIF, GPS) was stripped at upload, with no
// "data:…;base64," prefix, as the other Cynopsis-family and Argos bodies carry images.
func EncodeImage(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return base64.StdEncoding.EncodeToString(b)
}

// AuditImageSeparator joins several audit images into the one auditImages string. A comma never
// occurs in base64, so the list splits back unambiguously.
const AuditImageSeparator = ","

// EncodeImages is how the audit images travel in auditImages: each as EncodeImage, joined by
// AuditImageSeparator; "" (not sent) when there is none.
func EncodeImages(imgs [][]byte) string {
	parts := make([]string, 0, len(imgs))
	for _, b := range imgs {
		if s := EncodeImage(b); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, AuditImageSeparator)
}
