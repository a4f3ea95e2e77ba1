package apptenticate

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"kycdesk/internal/vendors"
)

// fakeMaxBody bounds what the fake reads of one request: two 2 MB images and the form.
const fakeMaxBody = 16 << 20

// maxRecorded is how many requests the fake remembers; the simulator runs for days.
const maxRecorded = 500

// Fake is an ID Reader Plus that answers from the images it receives. It implements the token
// endpoints (log-in, refresh) and the OCR endpoint, matching each by the end of the request path
// so it can be mounted under any prefix.
//
// Assumed behaviours, honoured here and configurable: a proof-of-life refusal (valid:false) is
// answered with RefusalStatus, 200 by default (the page shows the body only; the client decides
// on the body either way); input errors are DRF-style 400 bodies; fields the endpoint does not
// know are refused, so a misspelt field name shows up in tests instead of being ignored.
//
// Set the exported fields before serving; use the methods while serving.
type Fake struct {
	Username, Password string
	// AccessTTL is the access token's life (DefaultAccessTTL when 0); RefreshTTL the refresh
	// token's (one day when 0).
	AccessTTL, RefreshTTL time.Duration
	// RefusalStatus is the HTTP status of valid:false answers (200 when 0).
	RefusalStatus int
	// MaxImageBytes is the largest image accepted (MaxImageBytes when 0).
	MaxImageBytes int
	// Identify recognises the document on the front image; nil or unknown gives a generic reading.
	Identify vendors.Identifier
	// Now is the fake's clock (time.Now when nil), so tests can expire tokens without sleeping.
	Now func() time.Time
	// Paths, matched as suffixes of the request path (the defaults when empty).
	TokenPath, RefreshPath, OCRPath string
	// AuthScheme is the expected word before the token ("Bearer" when empty).
	AuthScheme string
	// Faults are consulted first on every request.
	Faults vendors.Faults

	refuseRefresh atomic.Bool
	key           []byte

	mu        sync.Mutex
	access    map[string]time.Time
	refresh   map[string]time.Time
	requests  []FakeRequest
	logins    int
	refreshes int
	nextID    int
}

// NewFake returns a fake that accepts username and password.
func NewFake(username, password string, id vendors.Identifier) *Fake {
	return &Fake{Username: username, Password: password, Identify: id}
}

// FakeRequest is one request as the fake saw it.
type FakeRequest struct {
	Method string
	Path   string
	Header http.Header
	// Form holds the text fields (token forms and the OCR's text fields).
	Form map[string]string
	// Files holds the file parts by field name.
	Files map[string]FakeFile
	// Status is what the fake answered (0 when a fault answered).
	Status int
}

// FakeFile is one uploaded file.
type FakeFile struct {
	Filename    string
	ContentType string
	Size        int
	JPEG        bool // decodes as a JPEG
	Width       int
	Height      int
}

// RefuseRefresh makes every refresh answer 401 token_not_valid (on) or work again (off).
func (f *Fake) RefuseRefresh(on bool) { f.refuseRefresh.Store(on) }

// ExpireTokens makes every access token issued so far expired, as if five minutes had passed;
// refresh tokens stay valid.
func (f *Fake) ExpireTokens() {
	f.mu.Lock()
	for k := range f.access {
		f.access[k] = time.Time{}
	}
	f.mu.Unlock()
}

// Requests returns the requests received (the latest maxRecorded), oldest first.
func (f *Fake) Requests() []FakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]FakeRequest(nil), f.requests...)
}

// Logins returns how many successful log-ins the fake answered.
func (f *Fake) Logins() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins
}

// Refreshes returns how many refresh requests the fake received, refused ones included.
func (f *Fake) Refreshes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refreshes
}

func (f *Fake) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// ServeHTTP answers one request.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.Faults.Serve(w, r) {
		f.record(FakeRequest{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone()})
		return
	}
	rec := FakeRequest{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Form: map[string]string{}, Files: map[string]FakeFile{}}
	status, body := f.route(r, &rec)
	rec.Status = status
	f.record(rec)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (f *Fake) record(rec FakeRequest) {
	f.mu.Lock()
	f.requests = append(f.requests, rec)
	if len(f.requests) > maxRecorded {
		f.requests = append([]FakeRequest(nil), f.requests[len(f.requests)-maxRecorded:]...)
	}
	f.mu.Unlock()
}

type obj = map[string]any

func (f *Fake) route(r *http.Request, rec *FakeRequest) (int, any) {
	p := r.URL.Path
	var h func(*http.Request, *FakeRequest) (int, any)
	switch {
	case strings.HasSuffix(p, orDefault(f.RefreshPath, DefaultRefreshPath)):
		h = f.serveRefresh
	case strings.HasSuffix(p, orDefault(f.TokenPath, DefaultTokenPath)):
		h = f.serveLogin
	case strings.HasSuffix(p, orDefault(f.OCRPath, DefaultOCRPath)):
		h = f.serveOCR
	default:
		return http.StatusNotFound, obj{"detail": "Not found."}
	}
	if r.Method != http.MethodPost {
		return http.StatusMethodNotAllowed, obj{"detail": fmt.Sprintf("Method %q not allowed.", r.Method)}
	}
	return h(r, rec)
}

// readForm reads a urlencoded or multipart token form (DRF's form parsers); other bodies are 415.
func readForm(r *http.Request, rec *FakeRequest) (url.Values, int, any) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" && mt != "multipart/form-data" {
		return nil, http.StatusUnsupportedMediaType, obj{"detail": fmt.Sprintf("Unsupported media type %q in request.", r.Header.Get("Content-Type"))}
	}
	r.Body = http.MaxBytesReader(nil, r.Body, 1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil && err != http.ErrNotMultipart {
		return nil, http.StatusBadRequest, obj{"detail": "Malformed form: " + err.Error()}
	}
	for k, v := range r.PostForm {
		rec.Form[k] = strings.Join(v, ",")
	}
	return r.PostForm, 0, nil
}

func required(form url.Values, names ...string) (int, any) {
	errs := obj{}
	for _, n := range names {
		if strings.TrimSpace(form.Get(n)) == "" {
			if _, sent := form[n]; sent {
				errs[n] = []string{"This field may not be blank."}
			} else {
				errs[n] = []string{"This field is required."}
			}
		}
	}
	if len(errs) > 0 {
		return http.StatusBadRequest, errs
	}
	return 0, nil
}

func (f *Fake) serveLogin(r *http.Request, rec *FakeRequest) (int, any) {
	form, st, body := readForm(r, rec)
	if st != 0 {
		return st, body
	}
	if st, body := required(form, "username", "password"); st != 0 {
		return st, body
	}
	if form.Get("username") != f.Username || form.Get("password") != f.Password {
		return http.StatusUnauthorized, obj{"detail": "No active account found with the given credentials"}
	}
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logins++
	return http.StatusOK, obj{"refresh": f.issueLocked("refresh", now), "access": f.issueLocked("access", now)}
}

var tokenInvalid = obj{"detail": "Token is invalid or expired", "code": "token_not_valid"}

func (f *Fake) serveRefresh(r *http.Request, rec *FakeRequest) (int, any) {
	f.mu.Lock()
	f.refreshes++
	f.mu.Unlock()
	form, st, body := readForm(r, rec)
	if st != 0 {
		return st, body
	}
	if st, body := required(form, "refresh"); st != 0 {
		return st, body
	}
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	exp, ok := f.refresh[form.Get("refresh")]
	if f.refuseRefresh.Load() || !ok || !now.Before(exp) {
		return http.StatusUnauthorized, tokenInvalid
	}
	return http.StatusOK, obj{"access": f.issueLocked("access", now)}
}

// issueLocked makes a JWT-shaped token (HS256 over the fake's own key) carrying iat and exp, as
// simplejwt does, and remembers it. f.mu must be held.
func (f *Fake) issueLocked(kind string, now time.Time) string {
	if f.key == nil {
		f.key = make([]byte, 32)
		_, _ = rand.Read(f.key)
		f.access, f.refresh = map[string]time.Time{}, map[string]time.Time{}
	}
	ttl, store := f.AccessTTL, f.access
	if ttl <= 0 {
		ttl = DefaultAccessTTL
	}
	if kind == "refresh" {
		ttl, store = f.RefreshTTL, f.refresh
		if ttl <= 0 {
			ttl = 24 * time.Hour
		}
	}
	jti := make([]byte, 16)
	_, _ = rand.Read(jti)
	exp := now.Add(ttl)
	claims, _ := json.Marshal(obj{"token_type": kind, "exp": exp.Unix(), "iat": now.Unix(), "jti": hex.EncodeToString(jti), "user_id": 1})
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(claims)
	m := hmac.New(sha256.New, f.key)
	m.Write([]byte(signing))
	tok := signing + "." + enc.EncodeToString(m.Sum(nil))
	store[tok] = exp
	return tok
}

// authorised checks the Authorization header as simplejwt does.
func (f *Fake) authorised(r *http.Request) (int, any) {
	scheme := orDefault(f.AuthScheme, "Bearer")
	h := r.Header.Get("Authorization")
	if h == "" {
		return http.StatusUnauthorized, obj{"detail": "Authentication credentials were not provided."}
	}
	word, tok, ok := strings.Cut(h, " ")
	if !ok || word != scheme || tok == "" {
		return http.StatusUnauthorized, obj{"detail": "Authorization header must contain two space-delimited values", "code": "bad_authorization_header"}
	}
	now := f.now()
	f.mu.Lock()
	exp, known := f.access[tok]
	f.mu.Unlock()
	if !known || !now.Before(exp) {
		return http.StatusUnauthorized, obj{
			"detail": "Given token not valid for any token type", "code": "token_not_valid",
			"messages": []obj{{"token_class": "AccessToken", "token_type": "access", "message": "Token is invalid or expired"}},
		}
	}
	return 0, nil
}

var ocrText = map[string]bool{"document_type": true, "document_id": true, "return_id": true, "device": true}
var ocrFiles = map[string]bool{"frontside": true, "backside": true}

func (f *Fake) serveOCR(r *http.Request, rec *FakeRequest) (int, any) {
	if st, body := f.authorised(r); st != 0 {
		return st, body
	}
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" || params["boundary"] == "" {
		return http.StatusUnsupportedMediaType, obj{"detail": fmt.Sprintf("Unsupported media type %q in request.", r.Header.Get("Content-Type"))}
	}
	limit := f.MaxImageBytes
	if limit <= 0 {
		limit = MaxImageBytes
	}
	mr := multipart.NewReader(http.MaxBytesReader(nil, r.Body, fakeMaxBody), params["boundary"])
	images := map[string][]byte{}
	errs := obj{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return http.StatusBadRequest, obj{"detail": "Multipart form parse error - " + err.Error()}
		}
		name := part.FormName()
		data, err := io.ReadAll(part)
		if err != nil {
			return http.StatusBadRequest, obj{"detail": "Multipart form parse error - " + err.Error()}
		}
		switch {
		case ocrFiles[name]:
			if part.FileName() == "" {
				errs[name] = []string{"The submitted data was not a file. Check the encoding type on the form."}
				continue
			}
			ff := FakeFile{Filename: part.FileName(), ContentType: part.Header.Get("Content-Type"), Size: len(data)}
			if bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}) {
				if cfg, err := jpeg.DecodeConfig(bytes.NewReader(data)); err == nil {
					ff.JPEG, ff.Width, ff.Height = true, cfg.Width, cfg.Height
				}
			}
			rec.Files[name] = ff
			switch {
			case len(data) == 0:
				errs[name] = []string{"The submitted file is empty."}
			case !ff.JPEG:
				errs[name] = []string{"Upload a valid image. The image must be a JPG file."}
			case len(data) > limit:
				errs[name] = []string{fmt.Sprintf("The image must not exceed 2 MB (%d bytes received).", len(data))}
			default:
				images[name] = data
			}
		case ocrText[name]:
			if part.FileName() != "" {
				errs[name] = []string{"Expected a text value, received a file."}
				continue
			}
			rec.Form[name] = string(data)
		default:
			errs[name] = []string{"Unknown field."}
		}
	}
	if _, sent := rec.Files["frontside"]; !sent && errs["frontside"] == nil {
		errs["frontside"] = []string{"This field is required."}
	}
	docType, sentType := rec.Form["document_type"]
	switch {
	case !sentType:
		errs["document_type"] = []string{"This field is required."}
	case docType != Passport && docType != IdentificationCard && docType != PassportPlus:
		errs["document_type"] = []string{fmt.Sprintf("%q is not a valid choice.", docType)}
	case docType == IdentificationCard:
		if _, sent := rec.Files["backside"]; !sent && errs["backside"] == nil {
			errs["backside"] = []string{"This field is required."}
		}
	}
	if d, sent := rec.Form["device"]; sent && !validDevice(d) {
		errs["device"] = []string{fmt.Sprintf("%q is not a valid choice.", d)}
	}
	returnID := false
	if v, sent := rec.Form["return_id"]; sent {
		switch v {
		case "True", "true", "1":
			returnID = true
		case "False", "false", "0":
		default:
			errs["return_id"] = []string{"Must be a valid boolean."}
		}
	}
	if len(errs) > 0 {
		return http.StatusBadRequest, errs
	}

	f.mu.Lock()
	f.nextID++
	id := f.nextID
	f.mu.Unlock()

	var subj vendors.Subject
	known := false
	if f.Identify != nil {
		subj, known = f.Identify(images["frontside"])
	}
	if code := subj.Errors[vendors.Apptenticate]; known && code != "" {
		status := f.RefusalStatus
		if status == 0 {
			status = http.StatusOK
		}
		var codeJSON any = code
		n, err := strconv.Atoi(code)
		if err == nil {
			codeJSON = n
		}
		text := vendorTexts[n]
		if text == "" {
			text = "Document liveness check failed."
		}
		return status, obj{"valid": false, "error_code": codeJSON, "error": text, "id": id}
	}
	if !known {
		subj = genericSubject()
	}
	out := obj{"valid": true, "data": fakeData(subj, docType, rec.Form["document_id"])}
	if returnID {
		out["id"] = id
	}
	return http.StatusOK, out
}

// genericSubject is the ICAO 9303 "Utopia" specimen, read when the image is not a known one.
func genericSubject() vendors.Subject {
	return vendors.Subject{
		Surname: "ERIKSSON", GivenNames: "ANNA MARIA", DateOfBirth: "1974-08-12", Sex: "F",
		Nationality: "UTO", DocumentNumber: "L898902C3", PersonalNumber: "ZE184226B",
		IssueDate: "2007-04-15", ExpiryDate: "2012-04-15", IssuingCountry: "UTO", DocumentType: "passport",
		MRZ: []string{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"},
	}
}

// fakeData is the fake's version of the unpublished success body: the key names are one plausible
// spelling among those the client accepts.
func fakeData(s vendors.Subject, docType, documentID string) obj {
	mis := s.Misreads[vendors.Apptenticate]
	val := func(n vendors.FieldName, v string) string {
		if m, ok := mis[n]; ok {
			return m
		}
		return v
	}
	d := obj{
		"document_type":   docType,
		"last_name":       val(vendors.Surname, s.Surname),
		"first_name":      val(vendors.GivenNames, s.GivenNames),
		"birth_date":      val(vendors.DateOfBirth, s.DateOfBirth),
		"gender":          val(vendors.Sex, s.Sex),
		"nationality":     val(vendors.Nationality, s.Nationality),
		"document_number": val(vendors.DocumentNumber, s.DocumentNumber),
		"expiration_date": val(vendors.ExpiryDate, s.ExpiryDate),
		"country":         val(vendors.IssuingCountry, s.IssuingCountry),
	}
	for k, v := range map[string]string{
		"personal_number": val(vendors.PersonalNumber, s.PersonalNumber),
		"issue_date":      val(vendors.IssueDate, s.IssueDate),
		"address":         val(vendors.Address, s.Address),
	} {
		if v != "" {
			d[k] = v
		}
	}
	var mrz []string
	for i, l := range s.MRZ {
		if i < len(mrzFields) {
			l = val(mrzFields[i], l)
		}
		mrz = append(mrz, l)
	}
	if len(mrz) > 0 {
		d["mrz"] = mrz
	}
	if documentID != "" {
		d["passport_code"] = documentID
	}
	return d
}
