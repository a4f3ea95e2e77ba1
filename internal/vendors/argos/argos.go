// Package argos is the client for Argos Global ID Recognition (POST {host}/modules/recognition):
// it sends a document's front (and back) image with the issuing country and ID type, and
// normalises the answer into a vendors.Result whose fields carry Argos' score and the box where each
// value was read.
//
// The API works two ways. Without a callback URL the answer comes back in the same call. With one,
// Argos answers at once with only a transaction id and later POSTs the result to the callback URL;
// Recognize then returns a pending Recognition and the app's callback endpoint hands the body to
// ParseCallback. Callbacks are unsigned, so the callback URL must carry an unguessable token
// (NewCallbackToken, TokenEqual) and only known transaction ids may be accepted.
//
// Argos refuses images of 2 MB or more, so the client re-encodes a larger image as JPEG, smaller,
// before sending it, and maps the returned boxes back to the pixels of the image it was given.
//
// The client makes one attempt per call: a recognition may be billed, so retries are the job
// runner's decision (vendors.Retryable), and it passes the attempt number in Request.Attempt.
package argos

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"kycdesk/internal/vendors"
)

// Defaults for Config fields left zero.
const (
	DefaultPath    = "/modules/recognition"
	DefaultTimeout = 60 * time.Second
	// DefaultMaxImageBytes is the largest image the client sends: the 1 MB Argos recommends, well
	// under the "under 2MB" it enforces whichever megabyte it means. Larger images are re-encoded.
	DefaultMaxImageBytes = 1_000_000
	// VendorMaxImageBytes is the limit Argos enforces (413 above it), as the simulator applies it.
	VendorMaxImageBytes = 2_000_000
	// BothSidesMaxImageBytes is the largest of each image when both sides are sent: in base64 the
	// two then still make a request under VendorMaxImageBytes, should Argos' limit be the whole
	// request's.
	BothSidesMaxImageBytes = 700_000
)

// The ID types Argos accepts in idType.
const (
	GovernmentID                   = "government_id"
	Passport                       = "passport"
	DriversLicense                 = "drivers_license"
	ResidencePermit                = "residence_permit"
	VehicleRegistrationCertificate = "vehicle_registration_certificate"
	Visa                           = "visa"
	Aadhaar                        = "aadhaar"
	PANCard                        = "pancard"
)

var idTypes = []string{
	GovernmentID, Passport, DriversLicense, ResidencePermit, VehicleRegistrationCertificate, Visa, Aadhaar, PANCard,
}

// IDTypes lists the idType values Argos accepts, in the page's order.
func IDTypes() []string { return append([]string(nil), idTypes...) }

// ValidIDType reports whether s is one of the documented idType values (exact spelling).
func ValidIDType(s string) bool {
	for _, t := range idTypes {
		if s == t {
			return true
		}
	}
	return false
}

// IDTypeForDocument maps a document kind as kycdesk names it ("passport", "national_id",
// "driving_licence", "residence_permit") to Argos' idType. "other" has no Argos equivalent.
func IDTypeForDocument(kind string) (string, bool) {
	switch kind {
	case "passport":
		return Passport, true
	case "national_id":
		return GovernmentID, true
	case "driving_licence":
		return DriversLicense, true
	case "residence_permit":
		return ResidencePermit, true
	}
	return "", false
}

// ValidCountry reports whether s has the form of an ISO 3166-1 alpha-3 code: three upper-case
// letters. It does not check the code is assigned, so test specimens ("UTO") pass.
func ValidCountry(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// Config is what an admin configures for Argos, per environment.
type Config struct {
	// BaseURL is the scheme and host, e.g. https://idverify-api.argosidentity.com.
	BaseURL string
	// Path is the recognition path; DefaultPath when empty.
	Path string
	// APIKey is the workspace key sent in the x-api-key header.
	APIKey string
	// Timeout bounds one vendor call; DefaultTimeout when zero.
	Timeout time.Duration
	// MaxImageBytes is the largest image sent; larger ones are re-encoded as JPEG to fit.
	// DefaultMaxImageBytes when zero.
	MaxImageBytes int
}

// Client calls Argos Global ID Recognition. It is safe for concurrent use.
type Client struct {
	cfg      Config
	endpoint string
	http     *http.Client
	rec      vendors.Recorder
}

// New checks cfg and returns a client. httpClient may be nil (a plain client is used; every call
// is bounded by cfg.Timeout anyway) and so may rec.
func New(cfg Config, httpClient *http.Client, rec vendors.Recorder) (*Client, error) {
	if cfg.Path == "" {
		cfg.Path = DefaultPath
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxImageBytes <= 0 {
		cfg.MaxImageBytes = DefaultMaxImageBytes
	}
	u, err := url.Parse(strings.TrimSpace(cfg.BaseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &vendors.Error{Vendor: vendors.Argos, Kind: vendors.Invalid,
			Message: fmt.Sprintf("The Argos base URL %q is not an http(s) URL.", cfg.BaseURL), Err: err}
	}
	if strings.TrimSpace(cfg.APIKey) == "" {
		return nil, &vendors.Error{Vendor: vendors.Argos, Kind: vendors.Invalid, Message: "The Argos API key is not set."}
	}
	if httpClient == nil {
		httpClient = &http.Client{}
	}
	if rec == nil {
		rec = vendors.RecorderFunc(func(context.Context, vendors.Call) {})
	}
	endpoint := strings.TrimRight(u.Scheme+"://"+u.Host+u.Path, "/") + "/" + strings.TrimLeft(cfg.Path, "/")
	return &Client{cfg: cfg, endpoint: endpoint, http: httpClient, rec: rec}, nil
}

// Endpoint is the URL the client posts to.
func (c *Client) Endpoint() string { return c.endpoint }

// Request is one recognition of one document.
type Request struct {
	Front []byte // front image (required): JPEG, PNG or BMP as stored; anything decodable is re-encoded
	Back  []byte // back image, optional
	// IssuingCountry is the ISO 3166-1 alpha-3 code of the issuing country.
	IssuingCountry string
	// IDType is one of IDTypes().
	IDType string
	// CallbackURL switches to asynchronous mode when set: it must be an absolute http(s) URL that
	// carries an unguessable token (NewCallbackToken).
	CallbackURL string
	// Attempt is the job's attempt number, reported in the vendor call; 0 counts as 1.
	Attempt int
}

// Recognition is what Recognize returns.
type Recognition struct {
	// Pending is true in asynchronous mode: Argos accepted the request and will POST the result
	// to the callback URL. Result is nil; wait for the callback with TransactionID.
	Pending bool
	// TransactionID is Argos' id for the request; a callback carries the same id.
	TransactionID string
	// Result is the normalised answer in synchronous mode, with boxes already in the pixels of
	// the front image given in the Request.
	Result *vendors.Result
	// Scale maps boxes from the image sent back to the image given. Store it with a pending
	// check and apply it to the callback's result (Scale.Apply).
	Scale Scale
	// Sent describes the images actually sent, for the audit trail.
	Sent []SentImage
}

// SentImage describes one image as sent.
type SentImage struct {
	Side      string `json:"side"` // "front" or "back"
	Bytes     int    `json:"bytes"`
	Format    string `json:"format"` // "jpeg", "png" or "bmp"
	Reencoded bool   `json:"reencoded"`
	Width     int    `json:"width,omitempty"`
	Height    int    `json:"height,omitempty"`
}

// wireRequest is the JSON body, fields in the page's order. callbackUrl is omitted, not empty,
// in synchronous mode: its presence is what selects asynchronous processing.
type wireRequest struct {
	IDImage        string `json:"idImage"`
	IssuingCountry string `json:"issuingCountry"`
	IDType         string `json:"idType"`
	IDBackImage    string `json:"idBackImage,omitempty"`
	CallbackURL    string `json:"callbackUrl,omitempty"`
}

func invalid(msg string, err error) *vendors.Error {
	return &vendors.Error{Vendor: vendors.Argos, Kind: vendors.Invalid, Message: msg, Err: err}
}

// Recognize sends one document to Argos. In synchronous mode it returns the normalised result; in
// asynchronous mode (req.CallbackURL set) a pending Recognition with the transaction id.
// Failures are *vendors.Error.
func (c *Client) Recognize(ctx context.Context, req Request) (Recognition, error) {
	if len(req.Front) == 0 {
		return Recognition{}, invalid("The front image is missing.", nil)
	}
	if !ValidCountry(req.IssuingCountry) {
		return Recognition{}, invalid(fmt.Sprintf("The issuing country %q is not an ISO 3166-1 alpha-3 code (three capital letters).", req.IssuingCountry), nil)
	}
	if !ValidIDType(req.IDType) {
		return Recognition{}, invalid(fmt.Sprintf("The ID type %q is not one Argos accepts (%s).", req.IDType, strings.Join(idTypes, ", ")), nil)
	}
	async := req.CallbackURL != ""
	if async {
		u, err := url.Parse(req.CallbackURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Recognition{}, invalid("The callback URL is not an absolute http(s) URL.", err)
		}
	}

	// A passport or visa has no back to read: a back sent with one could only make Argos refuse it
	// (1012, "Fail to recognize back of an idCard").
	backSide := req.Back
	if req.IDType == Passport || req.IDType == Visa {
		backSide = nil
	}
	limit := c.cfg.MaxImageBytes
	if len(backSide) > 0 {
		limit = min(limit, BothSidesMaxImageBytes)
	}
	front, err := prepareImage(req.Front, limit)
	if err != nil {
		return Recognition{}, invalid("The front image cannot be sent to Argos.", err)
	}
	out := Recognition{Scale: front.scale, Sent: []SentImage{front.info("front")}}
	wire := wireRequest{
		IDImage:        base64.StdEncoding.EncodeToString(front.data),
		IssuingCountry: req.IssuingCountry,
		IDType:         req.IDType,
		CallbackURL:    req.CallbackURL,
	}
	if len(backSide) > 0 {
		back, err := prepareImage(backSide, limit)
		if err != nil {
			return Recognition{}, invalid("The back image cannot be sent to Argos.", err)
		}
		out.Sent = append(out.Sent, back.info("back"))
		wire.IDBackImage = base64.StdEncoding.EncodeToString(back.data)
	}
	body, err := json.Marshal(wire)
	if err != nil {
		return Recognition{}, invalid("The request could not be encoded.", err)
	}

	// The answer is read once, inside the call, so that whatever makes it unusable is said in the
	// call log as well as on the check.
	var env envelope
	var res *vendors.Result
	_, err = c.post(ctx, body, req.Attempt, func(b []byte) *vendors.Error {
		var err error
		if env, err = decodeEnvelope(b); err != nil {
			return asVendorError(err)
		}
		switch {
		case env.hasResult:
			r, err := env.toResult()
			if err != nil {
				return asVendorError(err)
			}
			res = &r
		case !async:
			return invalid("Argos answered without a result.", nil)
		case env.transactionID == "":
			return invalid("Argos accepted the request but sent no transaction id, so its callback could not be matched.", nil)
		}
		return nil
	})
	if err != nil {
		return Recognition{}, err
	}
	out.TransactionID = env.transactionID
	if res != nil {
		front.scale.Apply(res)
		out.Result = res
		return out, nil
	}
	out.Pending = true
	return out, nil
}

// asVendorError is err as the *vendors.Error it is, or an Invalid one wrapping it.
func asVendorError(err error) *vendors.Error {
	var ve *vendors.Error
	if errors.As(err, &ve) {
		return ve
	}
	return invalid("Argos' answer could not be read.", err)
}

// TestConnection proves what can be proved without sending a document: it posts an empty JSON
// object, which a working endpoint refuses with a documented 400 error code (1005 "idImage is
// required", or another from the catalogue). That answer shows the host and path are right and
// that the gateway accepted the key (a wrong key or an IP that is not allow-listed gets 403
// before the request reaches Argos). It does not prove that recognition works, that the
// workspace has quota, or that callbacks can reach the app. 1001 (workspace unavailable) is
// returned as the Business error it is; any other answer is an error that says what it shows.
func (c *Client) TestConnection(ctx context.Context) error {
	body, err := c.post(ctx, []byte(`{}`), 1, nil)
	if err == nil {
		// A 200 to an empty body would mean the endpoint is not Argos recognition.
		return invalid("Argos accepted an empty request, so this URL does not look like the recognition endpoint.", errors.New(string(vendors.Redact(body))))
	}
	var ve *vendors.Error
	if errors.As(err, &ve) && ve.Kind == vendors.Business && ve.Code != "1001" && Meaning(ve.Code) != "" {
		return nil
	}
	return err
}

// post sends one request and classifies the answer. It returns the body of a 2xx answer; every
// other outcome is a *vendors.Error.
func (c *Client) post(ctx context.Context, body []byte, attempt int, accept func([]byte) *vendors.Error) ([]byte, error) {
	if attempt <= 0 {
		attempt = 1
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	call := vendors.Call{Vendor: vendors.Argos, Method: http.MethodPost, Endpoint: c.endpoint, Attempt: attempt, StartedAt: time.Now()}
	record := func() {
		call.Latency = time.Since(call.StartedAt)
		c.rec.RecordCall(ctx, call)
	}

	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, invalid("The request could not be built.", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("x-api-key", c.cfg.APIKey)

	resp, err := c.http.Do(hreq)
	if err != nil {
		ve := vendors.TransportError(vendors.Argos, err)
		call.Err, call.Meaning = err.Error(), ve.Message
		record()
		return nil, ve
	}
	defer resp.Body.Close()
	call.HTTPStatus = resp.StatusCode
	respBody, rerr := vendors.ReadBody(vendors.Argos, resp.Body, vendors.MaxBody)
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if rerr != nil {
		// The call log says what the check says: "larger than 4 MB" or "cut off".
		var ve *vendors.Error
		if !errors.As(rerr, &ve) {
			ve = vendors.TransportError(vendors.Argos, rerr)
		}
		ve.HTTPStatus = resp.StatusCode
		call.Err, call.Meaning = rerr.Error(), ve.Message
		record()
		return nil, ve
	}
	call.Body = vendors.Redact(respBody)

	verr := classify(resp, respBody)
	if verr == nil && accept != nil {
		// A 2xx the caller cannot use (a proxy's page, an answer cut short, no result) is said so
		// in the call log too, not only by the check.
		if verr = accept(respBody); verr != nil {
			verr.HTTPStatus = resp.StatusCode
		}
	}
	if verr != nil {
		call.VendorCode, call.Meaning = verr.Code, verr.Message
	}
	record()
	if verr != nil {
		return nil, verr
	}
	return respBody, nil
}

// classify turns a non-success answer into an error; nil for a 2xx without an error code.
func classify(resp *http.Response, body []byte) *vendors.Error {
	var eb struct {
		ErrorCode vendors.Text `json:"errorCode"`
		Message   vendors.Text `json:"message"`
	}
	_ = json.Unmarshal(body, &eb)
	code := string(eb.ErrorCode)
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	if code != "" && (resp.StatusCode == http.StatusBadRequest || ok) {
		return codeError(code, string(eb.Message), resp.StatusCode)
	}
	if ok {
		return nil
	}
	e := vendors.StatusError(vendors.Argos, resp, body)
	switch resp.StatusCode {
	case http.StatusForbidden:
		e.Message = "Argos refused the API key, or this server's IP address is not on the workspace's allow-list."
		if strings.Contains(strings.ToLower(string(eb.Message)), "explicit deny") {
			e.Message = "Argos refused this server's IP address: it is not on the workspace's allow-list."
		}
	case http.StatusRequestEntityTooLarge:
		e.Message = "Argos refused the request: image too large."
	case http.StatusBadRequest:
		e.Message = "Argos refused the request as malformed."
		if m := string(eb.Message); m != "" {
			e.Message += " It said: " + truncate(m, 200)
		}
	}
	return e
}

// codeError builds the error for a documented (or undocumented) errorCode.
func codeError(code, message string, status int) *vendors.Error {
	e := &vendors.Error{Vendor: vendors.Argos, HTTPStatus: status, Code: code}
	if m := Meaning(code); m != "" {
		e.Kind, e.Message, e.Refused = vendors.Business, m, RefusesDocument(code)
		if Transient(code) {
			// Argos asks for the request again: retried with backoff, as a 5xx is.
			e.Kind = vendors.Transient
		}
		return e
	}
	e.Kind = vendors.Invalid
	e.Message = "Argos refused the request with an undocumented error code."
	if message != "" {
		e.Message += " It said: " + truncate(message, 200)
	}
	return e
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
