// Package vendor holds what every vendor client shares: the canonical field set that results are
// normalised into, the record of one HTTP exchange (a vendor call), the error that tells a job
// whether a failure may be retried, and the helpers that cap and redact response bodies.
//
// The client packages below it (cynopsis, apptenticate, argos, ooto) know HTTP and their vendor's
// contract and nothing of the UI or the database; their fakes live beside them and are the same
// fakes the demo simulator serves.
package vendors

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Name identifies a vendor integration. The values are stored in the database: never rename one.
type Name string

// The five integrations.
const (
	CynopsisOCR  Name = "cynopsis_ocr"
	Artemis      Name = "artemis"
	Apptenticate Name = "apptenticate"
	Argos        Name = "argos"
	OOTO         Name = "ooto"
)

// FieldName is a canonical field that every source (vendor, MRZ, declaration) is normalised into.
type FieldName string

// The canonical field set. MRZ lines are kept as one field per line.
const (
	Surname        FieldName = "surname"
	GivenNames     FieldName = "given_names"
	FullName       FieldName = "full_name"
	DateOfBirth    FieldName = "date_of_birth"
	Sex            FieldName = "sex"
	Nationality    FieldName = "nationality"
	DocumentNumber FieldName = "document_number"
	PersonalNumber FieldName = "personal_number"
	IssueDate      FieldName = "issue_date"
	ExpiryDate     FieldName = "expiry_date"
	IssuingCountry FieldName = "issuing_country"
	Address        FieldName = "address"
	DocumentType   FieldName = "document_type"
	MRZLine1       FieldName = "mrz_line1"
	MRZLine2       FieldName = "mrz_line2"
	MRZLine3       FieldName = "mrz_line3"
)

// CanonicalFields lists the canonical fields in the order the review workspace shows them.
var CanonicalFields = []FieldName{
	Surname, GivenNames, FullName, DateOfBirth, Sex, Nationality, DocumentNumber, PersonalNumber,
	IssueDate, ExpiryDate, IssuingCountry, Address, DocumentType, MRZLine1, MRZLine2, MRZLine3,
}

// Point is a pixel position on the image that was sent to the vendor.
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Box is where a value was read on an image, in the pixels of the image that was sent. Vendors give
// either four corners (Argos) or a rectangle with an angle (OOTO); both are kept as four corners so
// the viewer draws one kind of shape.
type Box struct {
	Corners [4]Point `json:"corners"`
	// Side is the image the box is on: "front", "back" or "selfie".
	Side string `json:"side"`
}

// Field is one value read by one source for one canonical field.
type Field struct {
	Name FieldName `json:"name"`
	// Value is the value as the vendor gave it (trimmed); normalisation for comparison is done
	// by the review package, so the reviewer can still see what the vendor said.
	Value string `json:"value"`
	// Confidence is the vendor's confidence from 0 to 1 where given.
	Confidence *float64 `json:"confidence,omitempty"`
	Box        *Box     `json:"box,omitempty"`
}

// Outcome is a check's verdict in one word, the same for every vendor.
type Outcome string

// Outcomes. Review means the vendor answered but a human must look (e.g. docver "resubmission
// requested", Argos review_front).
const (
	OutcomePass   Outcome = "pass"
	OutcomeFail   Outcome = "fail"
	OutcomeReview Outcome = "review"
)

// Flag is one of a vendor's own check results (e.g. Cynopsis "final hash": "true").
type Flag struct {
	Name string `json:"name"`
	OK   bool   `json:"ok"`
}

// Face is the face-match and liveness part of a result (OOTO).
type Face struct {
	Similarity    *float64 `json:"similarity,omitempty"`
	Same          *bool    `json:"same,omitempty"`
	Liveness      *float64 `json:"liveness,omitempty"`
	LivenessFine  *bool    `json:"liveness_fine,omitempty"`
	Deepfake      *float64 `json:"deepfake,omitempty"`
	DeepfakeFine  *bool    `json:"deepfake_fine,omitempty"`
	FailedQuality []string `json:"failed_quality,omitempty"` // plain words, one per failed flag
	FaceBox       *Box     `json:"face_box,omitempty"`       // on the selfie
	DocumentBox   *Box     `json:"document_box,omitempty"`   // the document on the doc image
	PortraitBox   *Box     `json:"portrait_box,omitempty"`   // the portrait on the doc image
}

// Result is the normalised form of one vendor answer.
type Result struct {
	Outcome       Outcome `json:"outcome"`
	TransactionID string  `json:"transaction_id,omitempty"`
	Fields        []Field `json:"fields,omitempty"`
	// Extra keeps every value the vendor returned that has no canonical field, so nothing is dropped.
	Extra map[string]string `json:"extra,omitempty"`
	Flags []Flag            `json:"flags,omitempty"`
	Face  *Face             `json:"face,omitempty"`
	// Code and Reason are the vendor's status or reason code and its meaning in plain words
	// (e.g. docver reasonCode 508, "The document was tampered with").
	Code   string `json:"code,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Call is one HTTP exchange with a vendor, as logged per case.
type Call struct {
	Vendor     Name          `json:"vendor"`
	Method     string        `json:"method"`
	Endpoint   string        `json:"endpoint"` // URL without query string or secrets
	StartedAt  time.Time     `json:"started_at"`
	Latency    time.Duration `json:"latency"`
	HTTPStatus int           `json:"http_status"` // 0 when no response came
	VendorCode string        `json:"vendor_code,omitempty"`
	Meaning    string        `json:"meaning,omitempty"` // plain words for VendorCode or the failure
	Attempt    int           `json:"attempt"`
	// Body is the response body, capped and with secrets and image bytes redacted.
	Body []byte `json:"-"`
	// Err is the transport error in words when the call got no answer.
	Err string `json:"err,omitempty"`
}

// Recorder receives every call a client makes (token fetches included), as it happens. The
// context is the one the call was made with, so a shared client's calls can be attributed to the
// check that caused them.
type Recorder interface {
	RecordCall(ctx context.Context, c Call)
}

// RecorderFunc adapts a function to a Recorder.
type RecorderFunc func(context.Context, Call)

// RecordCall calls f.
func (f RecorderFunc) RecordCall(ctx context.Context, c Call) { f(ctx, c) }

type attemptKey struct{}

// WithAttempt returns ctx carrying the job's attempt number, which clients put on the calls they
// record.
func WithAttempt(ctx context.Context, attempt int) context.Context {
	return context.WithValue(ctx, attemptKey{}, attempt)
}

// AttemptFrom returns the attempt number ctx carries (1 when none).
func AttemptFrom(ctx context.Context) int {
	if n, ok := ctx.Value(attemptKey{}).(int); ok && n > 0 {
		return n
	}
	return 1
}

// Kind says what a failure means for a job: whether it may be retried.
type Kind string

// Kinds of failure.
const (
	// Transient: network error, timeout, 429, 5xx, truncated body. Retry with backoff.
	Transient Kind = "transient"
	// Business: the vendor answered with a documented refusal (bad image, unsupported document).
	// Do not retry; show the reason.
	Business Kind = "business"
	// Auth: credentials refused even after a fresh token. Do not retry until settings change.
	Auth Kind = "auth"
	// Invalid: the request could not be built (missing image, unsupported type) or the response
	// made no sense. Do not retry.
	Invalid Kind = "invalid"
)

// Error is the one error type vendor clients return.
type Error struct {
	Vendor     Name
	Kind       Kind
	HTTPStatus int
	Code       string // vendor error code, e.g. "818", "1003", "invalid_client"
	Message    string // plain words for a reviewer
	RetryAfter time.Duration
	Err        error
	// Refused is set on a Business error when the vendor examined the images and refused the
	// document itself (too blurry, cropped, not recognised, no face on the selfie …): a negative
	// result about the document, which a reviewer must weigh like a failed verdict. A refusal of
	// the request (a field missing, the account unavailable, an image kycdesk sent in the wrong
	// format) leaves it false: the check did not finish, and says why.
	Refused bool
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s: %s", e.Vendor, e.Message)
	if e.Code != "" {
		s = fmt.Sprintf("%s: %s (code %s)", e.Vendor, e.Message, e.Code)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether err is a vendor failure worth trying again.
func Retryable(err error) bool {
	var ve *Error
	if errors.As(err, &ve) {
		return ve.Kind == Transient
	}
	return false
}
