package cynopsis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"kycdesk/internal/vendors"
)

// Customer types Artemis knows.
const (
	CustomerIndividual = "INDIVIDUAL"
	CustomerCorporate  = "CORPORATE"
)

// Artemis document types.
const (
	DocNationalID     = "NATIONAL_ID"
	DocPassport       = "PASSPORT"
	DocDrivingLicense = "DRIVING_LICENSE"
	DocOthers         = "OTHERS"
)

// AuthenticityOriginal is the only authenticity value the contract names.
const AuthenticityOriginal = "ORIGINAL"

// ErrDuplicateCustomer is wrapped by the error CreateCustomer returns when Artemis already holds a
// customer with the same profileReferenceId. Artemis documents no way to look a customer up by that
// reference, so a caller that crashed after creating one keeps the customer id it got the first
// time; this error tells it that the first create did happen.
var ErrDuplicateCustomer = errors.New("artemis already has a customer with this profileReferenceId")

// CustomerRequest is the body of POST /api/customer.
type CustomerRequest struct {
	// ProfileReferenceID is our unique reference for the customer (the case's customer id);
	// Artemis refuses a second customer with the same one.
	ProfileReferenceID string `json:"profileReferenceId"`
	// ReferenceID is an optional second reference.
	ReferenceID string `json:"referenceId,omitempty"`
	// Type is CustomerIndividual (the default when empty) or CustomerCorporate.
	Type       string      `json:"type"`
	Active     *bool       `json:"active,omitempty"`
	Particular *Particular `json:"particular,omitempty"`
}

// Particular is the customer's personal data. The published schema shows it only as an object;
// the key names follow the person block Cynopsis sends in docver results (firstName, lastName,
// dateOfBirth, nationality, gender) [inferred].
type Particular struct {
	FirstName          string `json:"firstName,omitempty"`
	LastName           string `json:"lastName,omitempty"`
	DateOfBirth        string `json:"dateOfBirth,omitempty"` // YYYY-MM-DD
	Nationality        string `json:"nationality,omitempty"`
	Gender             string `json:"gender,omitempty"`
	CountryOfResidence string `json:"countryOfResidence,omitempty"`
	Address            string `json:"address,omitempty"`
	Email              string `json:"email,omitempty"`
	Phone              string `json:"phone,omitempty"`
}

// DocumentRequest is the "document" JSON part of POST /api/customer/{customerId}/document.
type DocumentRequest struct {
	// Type is DocNationalID, DocPassport, DocDrivingLicense or DocOthers.
	Type   string `json:"type"`
	Number string `json:"number,omitempty"`
	// Authenticity defaults to AuthenticityOriginal.
	Authenticity string `json:"authenticity"`
	IssueDate    string `json:"issueDate,omitempty"`  // YYYY-MM-DD
	ExpiryDate   string `json:"expiryDate,omitempty"` // YYYY-MM-DD
	// ShowExpiryNotification is always sent: false is a choice, not an absence.
	ShowExpiryNotification bool `json:"showExpiryNotification"`
}

// DocumentTypeFor maps a kycdesk document kind ("passport", "national_id", "driving_licence",
// "residence_permit", "other") to the Artemis type; Artemis has no residence permit type.
func DocumentTypeFor(kind string) string {
	switch strings.ToLower(strings.TrimSpace(kind)) {
	case "passport":
		return DocPassport
	case "national_id", "id_card":
		return DocNationalID
	case "driving_licence", "driving_license", "drivers_license":
		return DocDrivingLicense
	}
	return DocOthers
}

// LivenessRequest is the body of PUT …/document/{documentId}/liveness (LivenessResultRequestDto).
// Every field is optional in the schema. Booleans and the confidence are pointers so that false and
// 0 are sent when set and nothing is sent when unknown. The JSON names are the contract's,
// misspelling included: liivenessConfidence has two i's and must be sent so.
type LivenessRequest struct {
	Conclusion  *bool        `json:"conclusion,omitempty"`
	AuditImages string       `json:"auditImages,omitempty"`
	FaceDetails *FaceDetails `json:"faceDetails,omitempty"`
	FacialCheck *bool        `json:"facialCheck,omitempty"`
	// LivenessResult is whether the selfie came from a live person.
	LivenessResult *bool `json:"livenessResult,omitempty"`
	// ReferenceImage and AuditImages are strings in the schema; we send base64 images.
	ReferenceImage string `json:"referenceImage,omitempty"`
	// LiivenessConfidence is an integer; we send the liveness score in percent (0–100).
	LiivenessConfidence *int64 `json:"liivenessConfidence,omitempty"`
}

// FaceDetails is AresLivenessFaceDetailsDto.
type FaceDetails struct {
	EyesClosed   *FaceDetail `json:"eyesClosed,omitempty"`
	Sunglasses   *FaceDetail `json:"sunglasses,omitempty"`
	FaceOccluded *FaceDetail `json:"faceOccluded,omitempty"`
}

// FaceDetail is one observation about the selfie; both members are always sent.
type FaceDetail struct {
	Value      bool    `json:"value"`
	Confidence float64 `json:"confidence"`
}

// Bool returns a pointer to b, for the optional fields of LivenessRequest.
func Bool(b bool) *bool { return &b }

// Int64 returns a pointer to n, for LivenessRequest.LiivenessConfidence.
func Int64(n int64) *int64 { return &n }

// LivenessFromFace builds the liveness PUT from a face vendor's result: livenessResult is the
// vendor's liveness verdict, facialCheck its face-match verdict, conclusion true only when both
// are true, and the confidence the liveness score (0–1) in percent. Unknown parts are left unsent.
func LivenessFromFace(f *vendors.Face, referenceImage, auditImages string) LivenessRequest {
	req := LivenessRequest{ReferenceImage: referenceImage, AuditImages: auditImages}
	if f == nil {
		return req
	}
	req.LivenessResult = f.LivenessFine
	req.FacialCheck = f.Same
	switch {
	case f.LivenessFine != nil && f.Same != nil:
		req.Conclusion = Bool(*f.LivenessFine && *f.Same)
	case f.LivenessFine != nil && !*f.LivenessFine, f.Same != nil && !*f.Same:
		req.Conclusion = Bool(false)
	}
	if f.Liveness != nil && !math.IsNaN(*f.Liveness) {
		req.LiivenessConfidence = Int64(int64(math.Round(math.Max(0, math.Min(1, *f.Liveness)) * 100)))
	}
	return req
}

// UserInfo is who created or last changed an Artemis record.
type UserInfo struct {
	ID        int64  `json:"id"`
	Email     string `json:"email,omitempty"`
	FirstName string `json:"firstName,omitempty"`
	LastName  string `json:"lastName,omitempty"`
	FullName  string `json:"fullName,omitempty"`
}

// Document is an Artemis document record, as the document and liveness endpoints return it.
type Document struct {
	ID                     int64
	CustomerID             int64
	Type                   string
	Number                 string
	Authenticity           string
	FrontName, BackName    string
	Front, Back            string
	IssueDate, ExpiryDate  vendors.Time
	ShowExpiryNotification *bool
	// DocverCheckStatus is PERFORMED or NOT_PERFORMED.
	DocverCheckStatus     string
	AllowedDocumentFormat *bool
	// FaceCompare, Liveness and Other are free-form objects, kept as sent.
	FaceCompare, Liveness, Other json.RawMessage
	CreatedAt, UpdatedAt         vendors.Time
	CreatedBy, UpdatedBy         *UserInfo
}

// LivenessResponse is what PutLiveness returns: the updated document record.
type LivenessResponse = Document

// id decodes an int64 id sent as a number or a string; anything else is 0.
type id int64

func (v *id) UnmarshalJSON(data []byte) error {
	*v = 0
	s := strings.Trim(strings.TrimSpace(string(data)), `"`)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*v = id(n)
	} else if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<63 {
		*v = id(f)
	}
	return nil
}

type wireUser struct {
	ID        id           `json:"id"`
	Email     vendors.Text `json:"email"`
	FirstName vendors.Text `json:"firstName"`
	LastName  vendors.Text `json:"lastName"`
	FullName  vendors.Text `json:"fullName"`
}

func (u *wireUser) user() *UserInfo {
	// A member of the wrong type still leaves an allocated, empty user behind.
	if u == nil || *u == (wireUser{}) {
		return nil
	}
	return &UserInfo{ID: int64(u.ID), Email: string(u.Email), FirstName: string(u.FirstName),
		LastName: string(u.LastName), FullName: string(u.FullName)}
}

type wireDocument struct {
	ID                     id              `json:"id"`
	CustomerID             id              `json:"customerId"`
	Type                   vendors.Text    `json:"type"`
	Number                 vendors.Text    `json:"number"`
	Authenticity           vendors.Text    `json:"authenticity"`
	FrontName              vendors.Text    `json:"frontName"`
	BackName               vendors.Text    `json:"backName"`
	Front                  vendors.Text    `json:"front"`
	Back                   vendors.Text    `json:"back"`
	IssueDate              vendors.Time    `json:"issueDate"`
	ExpiryDate             vendors.Time    `json:"expiryDate"`
	ShowExpiryNotification vendors.Bool    `json:"showExpiryNotification"`
	DocverCheckStatus      vendors.Text    `json:"docverCheckStatus"`
	AllowedDocumentFormat  vendors.Bool    `json:"allowedDocumentFormat"`
	FaceCompare            json.RawMessage `json:"faceCompare"`
	Liveness               json.RawMessage `json:"liveness"`
	Other                  json.RawMessage `json:"other"`
	CreatedAt              vendors.Time    `json:"createdAt"`
	UpdatedAt              vendors.Time    `json:"updatedAt"`
	CreatedBy              *wireUser       `json:"createdBy"`
	UpdatedBy              *wireUser       `json:"updatedBy"`
}

// decodeTolerant unmarshals body into v, ignoring members of an unexpected type; only a body that
// is not a JSON object fails.
func decodeTolerant(body []byte, v any) error {
	b := bytes.TrimSpace(body)
	if len(b) == 0 || b[0] != '{' {
		return errors.New("not a JSON object")
	}
	err := json.Unmarshal(b, v)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return nil
	}
	return err
}

// ParseDocument reads an Artemis document record. Timestamps may be ISO strings or serialized
// Java Date objects; ids may be numbers or strings.
func ParseDocument(body []byte) (*Document, error) {
	var w wireDocument
	if err := decodeTolerant(body, &w); err != nil {
		return nil, &vendors.Error{Vendor: vendors.Artemis, Kind: vendors.Transient,
			Message: "Artemis answered with something that is not a document record.", Err: err}
	}
	return &Document{
		ID: int64(w.ID), CustomerID: int64(w.CustomerID), Type: string(w.Type), Number: string(w.Number),
		Authenticity: string(w.Authenticity), FrontName: string(w.FrontName), BackName: string(w.BackName),
		Front: string(w.Front), Back: string(w.Back), IssueDate: w.IssueDate, ExpiryDate: w.ExpiryDate,
		ShowExpiryNotification: w.ShowExpiryNotification.Ptr(), DocverCheckStatus: string(w.DocverCheckStatus),
		AllowedDocumentFormat: w.AllowedDocumentFormat.Ptr(), FaceCompare: rawOrNil(w.FaceCompare),
		Liveness: rawOrNil(w.Liveness), Other: rawOrNil(w.Other), CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt,
		CreatedBy: w.CreatedBy.user(), UpdatedBy: w.UpdatedBy.user(),
	}, nil
}

func rawOrNil(r json.RawMessage) json.RawMessage {
	if len(bytes.TrimSpace(r)) == 0 || string(bytes.TrimSpace(r)) == "null" {
		return nil
	}
	return r
}

func (c *Client) artemisURL(format string, args ...any) (string, error) {
	if c.cfg.ArtemisURL == "" {
		return "", &vendors.Error{Vendor: vendors.Artemis, Kind: vendors.Invalid, Message: "Artemis is not configured: the settings have no Artemis URL."}
	}
	return c.cfg.ArtemisURL + c.cfg.ArtemisPath + fmt.Sprintf(format, args...), nil
}

func invalid(msg string) error {
	return &vendors.Error{Vendor: vendors.Artemis, Kind: vendors.Invalid, Message: msg}
}

// CreateCustomer creates an Artemis customer and returns its id. A second create with the same
// ProfileReferenceID fails with an error wrapping ErrDuplicateCustomer.
func (c *Client) CreateCustomer(ctx context.Context, req CustomerRequest) (int64, error) {
	u, err := c.artemisURL("/customer")
	if err != nil {
		return 0, err
	}
	req.ProfileReferenceID = strings.TrimSpace(req.ProfileReferenceID)
	if req.ProfileReferenceID == "" {
		return 0, invalid("An Artemis customer needs a profile reference.")
	}
	if req.Type == "" {
		req.Type = CustomerIndividual
	}
	if req.Type != CustomerIndividual && req.Type != CustomerCorporate {
		return 0, invalid(fmt.Sprintf("Artemis has no customer type %q.", req.Type))
	}
	if req.Particular != nil && !isDateOrEmpty(req.Particular.DateOfBirth) {
		return 0, invalid("The date of birth sent to Artemis must be written YYYY-MM-DD.")
	}
	body, err := json.Marshal(req)
	if err != nil {
		return 0, &vendors.Error{Vendor: vendors.Artemis, Kind: vendors.Invalid, Message: "The customer could not be encoded for Artemis.", Err: err}
	}
	var customerID int64
	err = c.do(ctx, exchange{
		product: vendors.Artemis, method: http.MethodPost, url: u, domainHeader: ArtemisDomainHeader,
		contentType: "application/json", body: body,
		handle: func(status int, h http.Header, b []byte) (string, string, error) {
			if status >= 200 && status < 300 {
				var w struct {
					ID id `json:"id"`
				}
				if err := decodeTolerant(b, &w); err != nil {
					return "", "", &vendors.Error{Vendor: vendors.Artemis, Kind: vendors.Transient,
						Message: "Artemis answered the customer creation with something that is not readable (no customer id).", Err: err}
				}
				if w.ID <= 0 {
					// Readable, and without an id: the customer may well exist now, so sending it
					// again would only be refused as a duplicate.
					return "", "", &vendors.Error{Vendor: vendors.Artemis, Kind: vendors.Invalid,
						Message: "Artemis answered the customer creation without a customer id."}
				}
				customerID = int64(w.ID)
				return "", fmt.Sprintf("Artemis created customer %d.", customerID), nil
			}
			if isDuplicate(status, b) {
				msg := parseErrorBody(b).message()
				e := &vendors.Error{Vendor: vendors.Artemis, Kind: vendors.Business, HTTPStatus: status, Code: "duplicate_customer",
					Message: fmt.Sprintf("Artemis already has a customer with the profile reference %q.", req.ProfileReferenceID),
					Err:     fmt.Errorf("%w: %s", ErrDuplicateCustomer, msg)}
				return e.Code, e.Message, e
			}
			return httpError(vendors.Artemis, status, h, b)
		},
	})
	return customerID, err
}

// isDuplicate recognises Artemis' answer to a second customer with the same profileReferenceId:
// 409, or a 400/422 whose message says the reference exists.
func isDuplicate(status int, body []byte) bool {
	if status == http.StatusConflict {
		return true
	}
	if status != http.StatusBadRequest && status != http.StatusUnprocessableEntity {
		return false
	}
	m := strings.ToLower(parseErrorBody(body).message())
	return strings.Contains(m, "already exist") || strings.Contains(m, "duplicate") || strings.Contains(m, "unique")
}

// UploadDocument adds a document with its front image (required) and back image (optional) to an
// Artemis customer and returns the document id.
func (c *Client) UploadDocument(ctx context.Context, customerID int64, doc DocumentRequest, front, back []byte) (int64, error) {
	d, err := c.uploadDocument(ctx, customerID, doc, front, back)
	if err != nil {
		return 0, err
	}
	return d.ID, nil
}

func (c *Client) uploadDocument(ctx context.Context, customerID int64, doc DocumentRequest, front, back []byte) (*Document, error) {
	u, err := c.artemisURL("/customer/%d/document", customerID)
	if err != nil {
		return nil, err
	}
	switch {
	case customerID <= 0:
		return nil, invalid("An Artemis document needs the Artemis customer id.")
	case len(front) == 0:
		return nil, invalid("The front image is missing; Artemis needs it.")
	case doc.Type != DocNationalID && doc.Type != DocPassport && doc.Type != DocDrivingLicense && doc.Type != DocOthers:
		return nil, invalid(fmt.Sprintf("Artemis has no document type %q.", doc.Type))
	case !isDateOrEmpty(doc.IssueDate) || !isDateOrEmpty(doc.ExpiryDate):
		return nil, invalid("Document dates sent to Artemis must be written YYYY-MM-DD.")
	}
	if doc.Authenticity == "" {
		doc.Authenticity = AuthenticityOriginal
	}
	meta, err := json.Marshal(doc)
	if err != nil {
		return nil, &vendors.Error{Vendor: vendors.Artemis, Kind: vendors.Invalid, Message: "The document could not be encoded for Artemis.", Err: err}
	}
	parts := []formPart{{name: "front", filename: fileName("", "front", front), data: front}}
	if len(back) > 0 {
		parts = append(parts, formPart{name: "back", filename: fileName("", "back", back), data: back})
	}
	parts = append(parts, formPart{name: "document", contentType: "application/json", data: meta})
	body, ct, err := multipartBody(parts)
	if err != nil {
		return nil, &vendors.Error{Vendor: vendors.Artemis, Kind: vendors.Invalid, Message: "The document could not be packed for Artemis.", Err: err}
	}
	var out *Document
	err = c.do(ctx, exchange{
		product: vendors.Artemis, method: http.MethodPost, url: u, domainHeader: ArtemisDomainHeader,
		contentType: ct, body: body,
		handle: func(status int, h http.Header, b []byte) (string, string, error) {
			if status < 200 || status >= 300 {
				return httpError(vendors.Artemis, status, h, b)
			}
			d, err := ParseDocument(b)
			if err == nil && d.ID <= 0 {
				// Readable, and without an id: sending it again would make a second document.
				err = &vendors.Error{Vendor: vendors.Artemis, Kind: vendors.Invalid, Message: "Artemis answered the document upload without a document id."}
			}
			if err != nil {
				return "", "", err
			}
			out = d
			return "", fmt.Sprintf("Artemis stored document %d for customer %d.", d.ID, customerID), nil
		},
	})
	return out, err
}

// PutLiveness records a liveness result on an Artemis document and returns the updated record.
func (c *Client) PutLiveness(ctx context.Context, customerID, documentID int64, req LivenessRequest) (*LivenessResponse, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, &vendors.Error{Vendor: vendors.Artemis, Kind: vendors.Invalid, Message: "The liveness result could not be encoded for Artemis.", Err: err}
	}
	return c.putDocument(ctx, customerID, documentID, "liveness", body, "Artemis recorded the liveness result on document %d.")
}

// PutOCR pushes an OCR and IDV v2 answer (the body OCR returned) onto an Artemis document and
// returns the updated record (nil when Artemis answered 2xx with no body).
func (c *Client) PutOCR(ctx context.Context, customerID, documentID int64, ocrAnswer json.RawMessage) (*Document, error) {
	b := bytes.TrimSpace(ocrAnswer)
	if len(b) == 0 || b[0] != '{' || !json.Valid(b) {
		return nil, invalid("The OCR answer to push to Artemis is not a JSON object.")
	}
	return c.putDocument(ctx, customerID, documentID, "ocr", b, "Artemis recorded the OCR result on document %d.")
}

func (c *Client) putDocument(ctx context.Context, customerID, documentID int64, what string, body []byte, done string) (*Document, error) {
	u, err := c.artemisURL("/customer/%d/document/%d/%s", customerID, documentID, what)
	if err != nil {
		return nil, err
	}
	if customerID <= 0 || documentID <= 0 {
		return nil, invalid("Artemis needs both the customer id and the document id.")
	}
	var out *Document
	err = c.do(ctx, exchange{
		product: vendors.Artemis, method: http.MethodPut, url: u, domainHeader: ArtemisDomainHeader,
		contentType: "application/json", body: body,
		handle: func(status int, h http.Header, b []byte) (string, string, error) {
			if status < 200 || status >= 300 {
				return httpError(vendors.Artemis, status, h, b)
			}
			// Success is the document record coming back, not the status alone; a 2xx with no body
			// at all (204, or Spring's ok().build()) did nothing wrong either: delivered, no record.
			if len(bytes.TrimSpace(b)) == 0 {
				return "", fmt.Sprintf(done, documentID) + " (no record came back)", nil
			}
			d, err := ParseDocument(b)
			if err == nil && d.ID <= 0 {
				err = &vendors.Error{Vendor: vendors.Artemis, Kind: vendors.Transient, Message: "Artemis answered without the document record."}
			}
			if err != nil {
				return "", "", err
			}
			out = d
			return "", fmt.Sprintf(done, documentID), nil
		},
	})
	return out, err
}

func isDateOrEmpty(s string) bool {
	if s == "" {
		return true
	}
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}
