package cynopsis

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"kycdesk/internal/vendors"
)

// Routes of the fake, as FakeRequest.Route and Counts name them.
const (
	RouteToken       = "POST /oauth/token"
	RouteOCR         = "POST /service/v2/ocr"
	RouteCustomer    = "POST /api/customer"
	RouteDocument    = "POST /api/customer/{customerId}/document"
	RouteLiveness    = "PUT /api/customer/{customerId}/document/{documentId}/liveness"
	RouteDocumentOCR = "PUT /api/customer/{customerId}/document/{documentId}/ocr"
)

// DefaultTokenTTL is the token lifetime the fake issues, as Cynopsis documents (28800 s).
const DefaultTokenTTL = 8 * time.Hour

// fakeMaxBody bounds what the fake reads from one request; more gets 413.
const fakeMaxBody = 32 << 20

// fakeKeepRequests bounds the request history a long-running simulator keeps; Counts is not bounded.
const fakeKeepRequests = 500

// Fake is Cynopsis (token server, OCR and IDV v2, Artemis) for tests and the demo simulator. It
// enforces the contract strictly: a form-encoded client-credentials grant with the id and secret in
// the body, a known unexpired Bearer token, the domain header equal to the configured domain id,
// the exact multipart field names, and a liveness body with no unknown member (so a client that
// spells liivenessConfidence "livenessConfidence" is refused with 400).
//
// A second customer with the same profileReferenceId gets 409 with a Spring error body. Document
// records carry ISO timestamps, customers serialized Java Dates; SetJavaDates switches documents to
// Java Dates too.
//
// OCR answers are derived from the front image through the Identifier: the Subject's data, with
// Misreads[vendors.CynopsisOCR] applied; Errors[vendors.CynopsisOCR] set to a docver reasonCode makes
// the docver verdict declined (1xx, 5xx) or resubmission_requested (6xx) with that code; set to
// "FAILURE" or "FAILURE: words" it makes the task fail (with those words as the description), and
// set to anything else it makes the task fail with that value as the error code. An image the
// Identifier does not know gets a plausible generic reading.
//
// Mount it under any prefix with http.StripPrefix. It is safe for concurrent use.
type Fake struct {
	// Faults is consulted first on every request.
	Faults vendors.Faults

	clientID, clientSecret string
	domainID               int64
	identify               vendors.Identifier

	mu        sync.Mutex
	ttl       time.Duration
	ocrPath   string
	javaDates bool
	tokens    map[string]time.Time
	issued    int
	nextID    int64
	customers map[int64]*fakeCustomer
	byRef     map[string]int64
	documents map[int64]*fakeDocument
	requests  []FakeRequest
	counts    map[string]int
	now       func() time.Time
}

// FakeRequest is one request the fake received and what it answered.
type FakeRequest struct {
	At     time.Time
	Method string
	Path   string
	// Route is one of the Route constants, or "METHOD path" for a path the fake does not serve.
	Route string
	// Header is the request's headers without Authorization.
	Header http.Header
	// Form is the token request's form, client_secret replaced by "[redacted]".
	Form url.Values
	// JSON is the decoded JSON body (or nil), Body the raw JSON body.
	JSON any
	Body []byte
	// Parts are the multipart parts in the order received.
	Parts []FakePart
	// Status is what the fake answered; 0 when an injected fault answered (Faulted).
	Status  int
	Faulted bool
}

// FakePart is one multipart part the fake received.
type FakePart struct {
	Name, FileName, ContentType string
	Size                        int
	// JSON is the decoded content of a JSON part.
	JSON any
}

type fakeCustomer struct {
	ID                 int64
	ProfileReferenceID string
	ReferenceID        string
	Type               string
	Particular         json.RawMessage
	CreatedAt          time.Time
}

type fakeDocument struct {
	ID, CustomerID             int64
	Type, Number, Authenticity string
	IssueDate, ExpiryDate      string
	ShowExpiryNotification     bool
	FrontName, BackName        string
	HasBack                    bool
	DocverPerformed            bool
	Liveness                   map[string]any
	OCR                        json.RawMessage
	CreatedAt, UpdatedAt       time.Time
}

// NewFake returns a fake accepting clientID and clientSecret for domainID, reading documents with
// id (nil: every image gets a generic reading).
func NewFake(clientID, clientSecret string, domainID int64, id vendors.Identifier) *Fake {
	return &Fake{
		clientID: clientID, clientSecret: clientSecret, domainID: domainID, identify: id,
		ttl: DefaultTokenTTL, ocrPath: DefaultOCRPath, nextID: 1000,
		tokens: map[string]time.Time{}, customers: map[int64]*fakeCustomer{}, byRef: map[string]int64{},
		documents: map[int64]*fakeDocument{}, counts: map[string]int{}, now: time.Now,
	}
}

// SetTokenTTL sets the lifetime of tokens issued from now on (sent as expires_in).
func (f *Fake) SetTokenTTL(d time.Duration) {
	f.mu.Lock()
	f.ttl = d
	f.mu.Unlock()
}

// SetOCRPath sets the OCR path the fake serves (DefaultOCRPath by default).
func (f *Fake) SetOCRPath(p string) {
	f.mu.Lock()
	f.ocrPath = "/" + strings.Trim(p, "/")
	f.mu.Unlock()
}

// SetJavaDates makes document records carry createdAt/updatedAt as serialized Java Date objects.
func (f *Fake) SetJavaDates(on bool) {
	f.mu.Lock()
	f.javaDates = on
	f.mu.Unlock()
}

// ExpireTokens makes every token issued so far expired: the next service call gets 401.
func (f *Fake) ExpireTokens() {
	f.mu.Lock()
	for t := range f.tokens {
		f.tokens[t] = time.Time{}
	}
	f.mu.Unlock()
}

// TokensIssued is how many tokens the fake has issued.
func (f *Fake) TokensIssued() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.issued
}

// Requests returns the requests received, oldest first (the most recent 500).
func (f *Fake) Requests() []FakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]FakeRequest(nil), f.requests...)
}

// RequestsTo returns the requests received on one route, oldest first.
func (f *Fake) RequestsTo(route string) []FakeRequest {
	var out []FakeRequest
	for _, r := range f.Requests() {
		if r.Route == route {
			out = append(out, r)
		}
	}
	return out
}

// Counts returns how many requests each route received, faulted ones included.
func (f *Fake) Counts() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.counts))
	for k, v := range f.counts {
		out[k] = v
	}
	return out
}

// Count returns how many requests route received.
func (f *Fake) Count(route string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[route]
}

// ResetRequests forgets the requests and counters, keeping tokens and records.
func (f *Fake) ResetRequests() {
	f.mu.Lock()
	f.requests, f.counts = nil, map[string]int{}
	f.mu.Unlock()
}

// CustomerByReference returns the Artemis id of the customer with profileReferenceID, for tests.
func (f *Fake) CustomerByReference(profileReferenceID string) (int64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, ok := f.byRef[profileReferenceID]
	return id, ok
}

// ServeHTTP answers one request.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.Faults.Serve(w, r) {
		f.record(&FakeRequest{Method: r.Method, Path: r.URL.Path, Route: f.route(r), Header: headerCopy(r.Header), Faulted: true})
		return
	}
	rec := &FakeRequest{Method: r.Method, Path: r.URL.Path, Route: f.route(r), Header: headerCopy(r.Header)}
	sw := &statusWriter{ResponseWriter: w}
	r.Body = http.MaxBytesReader(sw, r.Body, fakeMaxBody)
	f.serve(sw, r, rec)
	rec.Status = sw.status
	f.record(rec)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func headerCopy(h http.Header) http.Header {
	c := h.Clone()
	c.Del("Authorization")
	return c
}

func (f *Fake) record(r *FakeRequest) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r.At = f.now()
	f.counts[r.Route]++
	f.requests = append(f.requests, *r)
	if n := len(f.requests) - fakeKeepRequests; n > 0 {
		f.requests = append([]FakeRequest(nil), f.requests[n:]...)
	}
}

// route names the request's route from its method and path.
func (f *Fake) route(r *http.Request) string {
	f.mu.Lock()
	ocrPath := f.ocrPath
	f.mu.Unlock()
	p := strings.TrimRight(r.URL.Path, "/")
	seg := strings.Split(strings.TrimPrefix(p, "/"), "/")
	switch {
	case r.Method == http.MethodPost && p == "/oauth/token":
		return RouteToken
	case r.Method == http.MethodPost && p == ocrPath:
		return RouteOCR
	case r.Method == http.MethodPost && p == "/api/customer":
		return RouteCustomer
	case r.Method == http.MethodPost && len(seg) == 4 && seg[0] == "api" && seg[1] == "customer" && seg[3] == "document":
		return RouteDocument
	case r.Method == http.MethodPut && len(seg) == 6 && seg[0] == "api" && seg[1] == "customer" && seg[3] == "document" && seg[5] == "liveness":
		return RouteLiveness
	case r.Method == http.MethodPut && len(seg) == 6 && seg[0] == "api" && seg[1] == "customer" && seg[3] == "document" && seg[5] == "ocr":
		return RouteDocumentOCR
	}
	return r.Method + " " + r.URL.Path
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request, rec *FakeRequest) {
	switch rec.Route {
	case RouteToken:
		f.serveToken(w, r, rec)
		return
	case RouteOCR, RouteCustomer, RouteDocument, RouteLiveness, RouteDocumentOCR:
	default:
		known := []string{"/oauth/token", f.ocrPathNow(), "/api/customer"}
		for _, k := range known {
			if strings.TrimRight(r.URL.Path, "/") == k {
				writeSpring(w, r, http.StatusMethodNotAllowed, fmt.Sprintf("Request method '%s' is not supported", r.Method))
				return
			}
		}
		writeSpring(w, r, http.StatusNotFound, "No endpoint "+r.Method+" "+r.URL.Path)
		return
	}
	if !f.authorised(w, r) {
		return
	}
	if !f.domainOK(w, r, rec.Route == RouteOCR) {
		return
	}
	switch rec.Route {
	case RouteOCR:
		f.serveOCR(w, r, rec)
	case RouteCustomer:
		f.serveCustomer(w, r, rec)
	case RouteDocument:
		f.serveDocument(w, r, rec)
	case RouteLiveness:
		f.serveLiveness(w, r, rec)
	case RouteDocumentOCR:
		f.serveDocumentOCR(w, r, rec)
	}
}

func (f *Fake) ocrPathNow() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ocrPath
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeSpring answers with a Spring Boot error body, as Artemis does [assumed].
func writeSpring(w http.ResponseWriter, r *http.Request, status int, msg string) {
	writeJSON(w, status, map[string]any{
		"timestamp": time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		"status":    status, "error": http.StatusText(status), "message": msg, "path": r.URL.Path,
	})
}

// mediaType is the request's Content-Type without parameters; "" when unreadable.
func mediaType(r *http.Request) string {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return mt
}

func readAll(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeSpring(w, r, http.StatusRequestEntityTooLarge, "Maximum upload size exceeded")
		} else {
			writeSpring(w, r, http.StatusBadRequest, "The request body could not be read")
		}
		return nil, false
	}
	return b, true
}

func (f *Fake) serveToken(w http.ResponseWriter, r *http.Request, rec *FakeRequest) {
	if mt := mediaType(r); mt != "application/x-www-form-urlencoded" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request",
			"error_description": "the token request must be application/x-www-form-urlencoded"})
		return
	}
	body, ok := readAll(w, r)
	if !ok {
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "unreadable form"})
		return
	}
	rec.Form = url.Values{}
	for k, v := range form {
		rec.Form[k] = append([]string(nil), v...)
	}
	if rec.Form.Has("client_secret") {
		rec.Form.Set("client_secret", "[redacted]")
	}
	if form.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	// The contract puts the credentials in the form body; Basic auth alone is refused.
	if !equal(form.Get("client_id"), f.clientID) || !equal(form.Get("client_secret"), f.clientSecret) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	tok := randomHex(24)
	f.mu.Lock()
	ttl := f.ttl
	now := f.now()
	for t, exp := range f.tokens {
		if !now.Before(exp) {
			delete(f.tokens, t)
		}
	}
	f.tokens[tok] = now.Add(ttl)
	f.issued++
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok, "token_type": "Bearer", "expires_in": int64(ttl / time.Second), "scope": "read write",
	})
}

func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (f *Fake) authorised(w http.ResponseWriter, r *http.Request) bool {
	h := r.Header.Get("Authorization")
	tok, found := strings.CutPrefix(h, "Bearer ")
	if !found {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized",
			"error_description": "Full authentication is required to access this resource"})
		return false
	}
	f.mu.Lock()
	exp, known := f.tokens[strings.TrimSpace(tok)]
	now := f.now()
	f.mu.Unlock()
	if !known || !now.Before(exp) {
		desc := "Invalid access token"
		if known {
			desc = "Access token expired"
		}
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": desc})
		return false
	}
	return true
}

// domainOK checks the domain header; header names are case-insensitive, so X-Domain-Id and
// X-Domain-ID are the same header here.
func (f *Fake) domainOK(w http.ResponseWriter, r *http.Request, ocr bool) bool {
	name := ArtemisDomainHeader
	if ocr {
		name = OCRDomainHeader
	}
	v := strings.TrimSpace(r.Header.Get(name))
	if v == "" {
		if ocr {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "description": name + " header is required"})
		} else {
			writeSpring(w, r, http.StatusBadRequest, "Required request header '"+name+"' for method parameter type Long is not present")
		}
		return false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		if ocr {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "description": name + " must be an integer"})
		} else {
			writeSpring(w, r, http.StatusBadRequest, "Failed to convert value of type 'java.lang.String' to required type 'java.lang.Long'; For input string: \""+v+"\"")
		}
		return false
	}
	if n != f.domainID {
		if ocr {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "access_denied", "description": "the client has no access to domain " + v})
		} else {
			writeSpring(w, r, http.StatusForbidden, "Access to domain "+v+" is denied")
		}
		return false
	}
	return true
}

// readParts reads a multipart/form-data body, recording each part. It answers 400 itself when the
// body is not multipart or a part name is not in allowed.
func readParts(w http.ResponseWriter, r *http.Request, rec *FakeRequest, allowed map[string]bool, ocrStyle bool) (map[string][]byte, map[string]FakePart, bool) {
	fail := func(status int, msg string) {
		if ocrStyle {
			writeJSON(w, status, map[string]string{"error": "invalid_request", "description": msg})
		} else {
			writeSpring(w, r, status, msg)
		}
	}
	if mt := mediaType(r); mt != "multipart/form-data" {
		fail(http.StatusUnsupportedMediaType, "Content-Type must be multipart/form-data")
		return nil, nil, false
	}
	mr, err := r.MultipartReader()
	if err != nil {
		fail(http.StatusBadRequest, "the multipart body could not be read")
		return nil, nil, false
	}
	data := map[string][]byte{}
	parts := map[string]FakePart{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				fail(http.StatusRequestEntityTooLarge, "Maximum upload size exceeded")
			} else {
				fail(http.StatusBadRequest, "the multipart body could not be read")
			}
			return nil, nil, false
		}
		b, err := io.ReadAll(p)
		if err != nil {
			fail(http.StatusBadRequest, "a multipart part could not be read")
			return nil, nil, false
		}
		fp := FakePart{Name: p.FormName(), FileName: p.FileName(), ContentType: p.Header.Get("Content-Type"), Size: len(b)}
		if mt, _, _ := mime.ParseMediaType(fp.ContentType); mt == "application/json" {
			var v any
			if json.Unmarshal(b, &v) == nil {
				fp.JSON = v
			}
		}
		rec.Parts = append(rec.Parts, fp)
		if !allowed[fp.Name] {
			fail(http.StatusBadRequest, fmt.Sprintf("unexpected multipart field %q", fp.Name))
			return nil, nil, false
		}
		if _, dup := data[fp.Name]; dup {
			fail(http.StatusBadRequest, fmt.Sprintf("multipart field %q sent twice", fp.Name))
			return nil, nil, false
		}
		data[fp.Name], parts[fp.Name] = b, fp
	}
	return data, parts, true
}

func (f *Fake) serveOCR(w http.ResponseWriter, r *http.Request, rec *FakeRequest) {
	data, parts, ok := readParts(w, r, rec, map[string]bool{"file0": true, "file1": true}, true)
	if !ok {
		return
	}
	front := data["file0"]
	if len(front) == 0 || parts["file0"].FileName == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "description": "file0 is required and must be a file"})
		return
	}
	if p, has := parts["file1"]; has && (len(data["file1"]) == 0 || p.FileName == "") {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "description": "file1 must be a file"})
		return
	}
	writeJSON(w, http.StatusCreated, f.ocrAnswer(front))
}

// ocrAnswer is the 201 body for a front image.
func (f *Fake) ocrAnswer(front []byte) map[string]any {
	sub, known := vendors.Subject{}, false
	if f.identify != nil {
		sub, known = f.identify(front)
	}
	if !known {
		sub = genericSubject(front)
	}
	taskID := uuid.NewString()
	if e := strings.TrimSpace(sub.Errors[vendors.CynopsisOCR]); e != "" {
		if Meaning(e) == "" {
			desc := "The document could not be read."
			if _, after, found := strings.Cut(e, ":"); found && strings.TrimSpace(after) != "" {
				desc = strings.TrimSpace(after)
			}
			code := "ocr_failed"
			if !strings.HasPrefix(strings.ToUpper(e), "FAILURE") {
				code = e
			}
			return map[string]any{"task_id": taskID, "status_task": "FAILURE", "result": nil, "error": code, "description": desc}
		}
	}
	return map[string]any{"task_id": taskID, "status_task": "SUCCESS", "result": fakeOCRResult(sub, f.now())}
}

func (f *Fake) serveCustomer(w http.ResponseWriter, r *http.Request, rec *FakeRequest) {
	if mt := mediaType(r); mt != "application/json" {
		writeSpring(w, r, http.StatusUnsupportedMediaType, "Content-Type '"+r.Header.Get("Content-Type")+"' is not supported")
		return
	}
	body, ok := readAll(w, r)
	if !ok {
		return
	}
	rec.Body = body
	var in struct {
		ProfileReferenceID *string         `json:"profileReferenceId"`
		ReferenceID        *string         `json:"referenceId"`
		Type               *string         `json:"type"`
		Particular         json.RawMessage `json:"particular"`
	}
	var generic any
	if err := json.Unmarshal(body, &generic); err != nil {
		writeSpring(w, r, http.StatusBadRequest, "JSON parse error: "+err.Error())
		return
	}
	rec.JSON = generic
	if err := json.Unmarshal(body, &in); err != nil {
		writeSpring(w, r, http.StatusBadRequest, "JSON parse error: "+err.Error())
		return
	}
	switch {
	case in.ProfileReferenceID == nil || strings.TrimSpace(*in.ProfileReferenceID) == "":
		writeSpring(w, r, http.StatusBadRequest, "profileReferenceId must not be blank")
		return
	case in.Type == nil || (*in.Type != CustomerIndividual && *in.Type != CustomerCorporate):
		writeSpring(w, r, http.StatusBadRequest, "type must be one of INDIVIDUAL, CORPORATE")
		return
	}
	if p := bytes.TrimSpace(in.Particular); len(p) > 0 && string(p) != "null" && p[0] != '{' {
		writeSpring(w, r, http.StatusBadRequest, "particular must be an object")
		return
	}
	f.mu.Lock()
	if _, dup := f.byRef[*in.ProfileReferenceID]; dup {
		f.mu.Unlock()
		writeSpring(w, r, http.StatusConflict, fmt.Sprintf("Customer with profileReferenceId '%s' already exists", *in.ProfileReferenceID))
		return
	}
	f.nextID++
	c := &fakeCustomer{ID: f.nextID, ProfileReferenceID: *in.ProfileReferenceID, Type: *in.Type,
		Particular: append(json.RawMessage(nil), in.Particular...), CreatedAt: f.now()}
	if in.ReferenceID != nil {
		c.ReferenceID = *in.ReferenceID
	}
	f.customers[c.ID], f.byRef[c.ProfileReferenceID] = c, c.ID
	f.mu.Unlock()
	particular := any(map[string]any{})
	if len(c.Particular) > 0 && string(bytes.TrimSpace(c.Particular)) != "null" {
		particular = c.Particular
	}
	writeJSON(w, http.StatusCreated, map[string]any{
		"id": c.ID, "profileId": c.ID + 500000, "profileReferenceId": c.ProfileReferenceID, "referenceId": c.ReferenceID,
		"type": c.Type, "status": "DRAFT", "active": true, "particular": particular, "other": map[string]any{},
		"forms": map[string]any{}, "notes": map[string]any{}, "riskRating": nil,
		"createdAt": javaDate(c.CreatedAt), "updatedAt": javaDate(c.CreatedAt), "createdBy": fakeUser, "updatedBy": fakeUser,
	})
}

// fakeUser is the API user the fake's records are created by.
var fakeUser = map[string]any{"id": 7, "email": "api@kycdesk.example", "firstName": "API", "lastName": "User", "fullName": "API User"}

// javaDate serializes t as Jackson writes a java.util.Date bean: years since 1900, months from 0.
func javaDate(t time.Time) map[string]any {
	t = t.UTC()
	return map[string]any{
		"date": t.Day(), "day": int(t.Weekday()), "hours": t.Hour(), "minutes": t.Minute(), "month": int(t.Month()) - 1,
		"nanos": t.Nanosecond(), "seconds": t.Second(), "time": t.UnixMilli(), "timezoneOffset": 0, "year": t.Year() - 1900,
	}
}

func pathIDs(p string) (int64, int64) {
	seg := strings.Split(strings.Trim(p, "/"), "/")
	var c, d int64 = -1, -1
	if len(seg) >= 3 {
		if n, err := strconv.ParseInt(seg[2], 10, 64); err == nil {
			c = n
		}
	}
	if len(seg) >= 5 {
		if n, err := strconv.ParseInt(seg[4], 10, 64); err == nil {
			d = n
		}
	}
	return c, d
}

func (f *Fake) serveDocument(w http.ResponseWriter, r *http.Request, rec *FakeRequest) {
	cid, _ := pathIDs(r.URL.Path)
	f.mu.Lock()
	_, known := f.customers[cid]
	f.mu.Unlock()
	if !known {
		writeSpring(w, r, http.StatusNotFound, fmt.Sprintf("Customer %s not found", strings.Split(strings.Trim(r.URL.Path, "/"), "/")[2]))
		return
	}
	data, parts, ok := readParts(w, r, rec, map[string]bool{"front": true, "back": true, "document": true}, false)
	if !ok {
		return
	}
	if len(data["front"]) == 0 || parts["front"].FileName == "" {
		writeSpring(w, r, http.StatusBadRequest, "Required part 'front' is not present")
		return
	}
	if p, has := parts["back"]; has && (len(data["back"]) == 0 || p.FileName == "") {
		writeSpring(w, r, http.StatusBadRequest, "Part 'back' must be a file")
		return
	}
	meta, has := parts["document"]
	if !has {
		writeSpring(w, r, http.StatusBadRequest, "Required part 'document' is not present")
		return
	}
	if mt, _, _ := mime.ParseMediaType(meta.ContentType); mt != "application/json" {
		writeSpring(w, r, http.StatusUnsupportedMediaType, "Content-Type '"+meta.ContentType+"' is not supported for part 'document'")
		return
	}
	var in struct {
		Type                   *string `json:"type"`
		Number                 *string `json:"number"`
		Authenticity           *string `json:"authenticity"`
		IssueDate              *string `json:"issueDate"`
		ExpiryDate             *string `json:"expiryDate"`
		ShowExpiryNotification *bool   `json:"showExpiryNotification"`
	}
	if err := strictDecode(data["document"], &in); err != nil {
		writeSpring(w, r, http.StatusBadRequest, "JSON parse error in part 'document': "+err.Error())
		return
	}
	if in.Type == nil {
		writeSpring(w, r, http.StatusBadRequest, "document.type must not be null")
		return
	}
	switch *in.Type {
	case DocNationalID, DocPassport, DocDrivingLicense, DocOthers:
	default:
		writeSpring(w, r, http.StatusBadRequest, "document.type must be one of NATIONAL_ID, PASSPORT, DRIVING_LICENSE, OTHERS")
		return
	}
	for _, d := range []*string{in.IssueDate, in.ExpiryDate} {
		if d != nil && *d != "" && !isDateOrEmpty(*d) {
			writeSpring(w, r, http.StatusBadRequest, "dates must be written yyyy-MM-dd")
			return
		}
	}
	now := f.now()
	d := &fakeDocument{CustomerID: cid, Type: *in.Type, Authenticity: AuthenticityOriginal,
		FrontName: parts["front"].FileName, BackName: parts["back"].FileName, HasBack: len(data["back"]) > 0,
		CreatedAt: now, UpdatedAt: now}
	if in.Number != nil {
		d.Number = *in.Number
	}
	if in.Authenticity != nil {
		d.Authenticity = *in.Authenticity
	}
	if in.IssueDate != nil {
		d.IssueDate = *in.IssueDate
	}
	if in.ExpiryDate != nil {
		d.ExpiryDate = *in.ExpiryDate
	}
	if in.ShowExpiryNotification != nil {
		d.ShowExpiryNotification = *in.ShowExpiryNotification
	}
	f.mu.Lock()
	f.nextID++
	d.ID = f.nextID
	f.documents[d.ID] = d
	out := f.documentJSON(d)
	f.mu.Unlock()
	writeJSON(w, http.StatusCreated, out)
}

// strictDecode decodes exactly one JSON object into v, refusing members v does not have.
func strictDecode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err != io.EOF {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

// documentJSON is the document record as Artemis returns it. Call with f.mu held.
func (f *Fake) documentJSON(d *fakeDocument) map[string]any {
	stamp := func(t time.Time) any {
		if f.javaDates {
			return javaDate(t)
		}
		return t.UTC().Format(time.RFC3339)
	}
	liveness := map[string]any{}
	for k, v := range d.Liveness {
		liveness[k] = v
	}
	status := "NOT_PERFORMED"
	if d.DocverPerformed {
		status = "PERFORMED"
	}
	date := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	back := any(nil)
	if d.HasBack {
		back = fmt.Sprintf("customer/%d/document/%d/back", d.CustomerID, d.ID)
	}
	return map[string]any{
		"id": d.ID, "customerId": d.CustomerID, "type": d.Type, "number": d.Number, "authenticity": d.Authenticity,
		"frontName": d.FrontName, "backName": d.BackName, "issueDate": date(d.IssueDate), "expiryDate": date(d.ExpiryDate),
		"showExpiryNotification": d.ShowExpiryNotification,
		"front":                  fmt.Sprintf("customer/%d/document/%d/front", d.CustomerID, d.ID), "back": back,
		"docverCheckStatus": status, "faceCompare": map[string]any{}, "liveness": liveness, "other": map[string]any{},
		"allowedDocumentFormat": true, "createdAt": stamp(d.CreatedAt), "updatedAt": stamp(d.UpdatedAt),
		"createdBy": fakeUser, "updatedBy": fakeUser,
	}
}

// fakeLiveness is LivenessResultRequestDto exactly as the page spells it; decoding refuses any
// other member, so "livenessConfidence" is a 400.
type fakeLiveness struct {
	Conclusion  *bool   `json:"conclusion"`
	AuditImages *string `json:"auditImages"`
	FaceDetails *struct {
		EyesClosed   *fakeFaceDetail `json:"eyesClosed"`
		Sunglasses   *fakeFaceDetail `json:"sunglasses"`
		FaceOccluded *fakeFaceDetail `json:"faceOccluded"`
	} `json:"faceDetails"`
	FacialCheck         *bool   `json:"facialCheck"`
	LivenessResult      *bool   `json:"livenessResult"`
	ReferenceImage      *string `json:"referenceImage"`
	LiivenessConfidence *int64  `json:"liivenessConfidence"`
}

type fakeFaceDetail struct {
	Value      *bool    `json:"value"`
	Confidence *float64 `json:"confidence"`
}

// lookupDocument finds the document of the path, answering 404 itself when there is none.
func (f *Fake) lookupDocument(w http.ResponseWriter, r *http.Request) (*fakeDocument, bool) {
	cid, did := pathIDs(r.URL.Path)
	f.mu.Lock()
	_, cok := f.customers[cid]
	d, dok := f.documents[did]
	f.mu.Unlock()
	seg := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if !cok {
		writeSpring(w, r, http.StatusNotFound, "Customer "+seg[2]+" not found")
		return nil, false
	}
	if !dok || d.CustomerID != cid {
		writeSpring(w, r, http.StatusNotFound, "Document "+seg[4]+" not found for customer "+seg[2])
		return nil, false
	}
	return d, true
}

func (f *Fake) serveLiveness(w http.ResponseWriter, r *http.Request, rec *FakeRequest) {
	if mt := mediaType(r); mt != "application/json" {
		writeSpring(w, r, http.StatusUnsupportedMediaType, "Content-Type '"+r.Header.Get("Content-Type")+"' is not supported")
		return
	}
	body, ok := readAll(w, r)
	if !ok {
		return
	}
	rec.Body = body
	var generic any
	if json.Unmarshal(body, &generic) == nil {
		rec.JSON = generic
	}
	var in fakeLiveness
	if err := strictDecode(body, &in); err != nil {
		writeSpring(w, r, http.StatusBadRequest, "JSON parse error: "+err.Error())
		return
	}
	d, ok := f.lookupDocument(w, r)
	if !ok {
		return
	}
	stored, _ := generic.(map[string]any)
	f.mu.Lock()
	d.Liveness = stored
	d.UpdatedAt = f.now()
	out := f.documentJSON(d)
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (f *Fake) serveDocumentOCR(w http.ResponseWriter, r *http.Request, rec *FakeRequest) {
	if mt := mediaType(r); mt != "application/json" {
		writeSpring(w, r, http.StatusUnsupportedMediaType, "Content-Type '"+r.Header.Get("Content-Type")+"' is not supported")
		return
	}
	body, ok := readAll(w, r)
	if !ok {
		return
	}
	rec.Body = body
	var in map[string]json.RawMessage
	if err := json.Unmarshal(body, &in); err != nil || in == nil {
		writeSpring(w, r, http.StatusBadRequest, "JSON parse error: the body must be an OCR v2 result object")
		return
	}
	var generic any
	_ = json.Unmarshal(body, &generic)
	rec.JSON = generic
	if _, has := in["result"]; !has {
		writeSpring(w, r, http.StatusBadRequest, "result must not be null")
		return
	}
	d, ok := f.lookupDocument(w, r)
	if !ok {
		return
	}
	f.mu.Lock()
	d.OCR = append(json.RawMessage(nil), body...)
	d.DocverPerformed = true
	d.UpdatedAt = f.now()
	out := f.documentJSON(d)
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}
