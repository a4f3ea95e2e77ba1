// Package apptenticate is the client for Apptenticate's ID Reader Plus v3: document OCR with a
// document proof-of-life check, behind a JWT log-in (simplejwt style: a 5-minute access token and
// a refresh token).
//
// The client prepares the images itself (JPEG under 2 MB, see PrepareImage), keeps one token
// pair per client shared by every concurrent check, and decides on the answer's body rather than
// its HTTP status: a valid:false answer with an error code is a Business refusal whether it came
// as 200 or 400. The success body is not public; its assumed shape is documented on success.
//
// Fake, beside the client, is the same vendor the demo simulator serves.
package apptenticate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"time"

	"kycdesk/internal/vendors"
)

// Defaults for Config fields left empty.
const (
	DefaultTokenPath   = "/api/token/"
	DefaultRefreshPath = "/api/token/refresh/"
	DefaultOCRPath     = "/api/v3/ocr/"
	DefaultDevice      = "DESKTOP"
	DefaultTimeout     = 60 * time.Second
	// DefaultAccessTTL is the access token's documented life, assumed when the token carries no
	// readable expiry.
	DefaultAccessTTL = 5 * time.Minute
	// DefaultRefreshMargin renews the access token this long before it expires, so a call never
	// leaves with a token that dies on the way.
	DefaultRefreshMargin = 30 * time.Second
)

// Document types the OCR endpoint accepts. PassportPlus comes from the vendor's newer (v3.2)
// pages; the v3 page lists only the first two.
const (
	Passport           = "passport"
	IdentificationCard = "identification_card"
	PassportPlus       = "passport_plus"
)

// Devices the "device" field accepts.
var Devices = []string{"IOS", "ANDROID", "DESKTOP"}

// Config is one environment's settings.
type Config struct {
	BaseURL     string // e.g. https://api.apptenticate.com
	TokenPath   string // DefaultTokenPath when empty
	RefreshPath string // DefaultRefreshPath when empty
	OCRPath     string // DefaultOCRPath when empty; newer accounts use /api/v3.2/ocr/
	Username    string
	Password    string
	Device      string        // IOS, ANDROID or DESKTOP; DefaultDevice when empty
	Timeout     time.Duration // per HTTP call; DefaultTimeout when zero
	// AuthScheme is the word before the token in the Authorization header ("Bearer" when empty,
	// simplejwt's default).
	AuthScheme string
	// MaxImageBytes is the per-image limit the client meets before sending (MaxImageBytes when 0).
	MaxImageBytes int
	// AccessTTL is the access token's life when the token does not say (DefaultAccessTTL when 0).
	AccessTTL time.Duration
	// RefreshMargin: renew this long before expiry (DefaultRefreshMargin when 0).
	RefreshMargin time.Duration
}

// Client calls ID Reader Plus. It is safe for concurrent use: checks share one token pair and at
// most one log-in or refresh runs at a time.
type Client struct {
	cfg  Config
	base string
	hc   *http.Client
	rec  vendors.Recorder
	now  func() time.Time

	renewing chan struct{} // one slot: the goroutine holding it logs in or refreshes

	mu         sync.Mutex
	access     string
	accessExp  time.Time
	accessLife time.Duration
	refresh    string
	refreshExp time.Time
}

// New checks cfg and returns a client. httpClient may be nil (a plain client is used: every call
// carries its own deadline); rec may be nil.
func New(cfg Config, httpClient *http.Client, rec vendors.Recorder) (*Client, error) {
	invalid := func(msg string) error {
		return &vendors.Error{Vendor: vendors.Apptenticate, Kind: vendors.Invalid, Message: msg}
	}
	u, err := url.Parse(strings.TrimSpace(cfg.BaseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, invalid("The Apptenticate base URL must be an http(s) address such as https://api.apptenticate.com.")
	}
	if cfg.Username == "" || cfg.Password == "" {
		return nil, invalid("The Apptenticate username and password are required.")
	}
	if cfg.TokenPath == "" {
		cfg.TokenPath = DefaultTokenPath
	}
	if cfg.RefreshPath == "" {
		cfg.RefreshPath = DefaultRefreshPath
	}
	if cfg.OCRPath == "" {
		cfg.OCRPath = DefaultOCRPath
	}
	cfg.Device = strings.ToUpper(strings.TrimSpace(cfg.Device))
	if cfg.Device == "" {
		cfg.Device = DefaultDevice
	}
	if !validDevice(cfg.Device) {
		return nil, invalid(fmt.Sprintf("The Apptenticate device must be IOS, ANDROID or DESKTOP, not %q.", cfg.Device))
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.AuthScheme == "" {
		cfg.AuthScheme = "Bearer"
	}
	if cfg.MaxImageBytes <= 0 {
		cfg.MaxImageBytes = MaxImageBytes
	}
	if cfg.AccessTTL <= 0 {
		cfg.AccessTTL = DefaultAccessTTL
	}
	if cfg.RefreshMargin <= 0 {
		cfg.RefreshMargin = DefaultRefreshMargin
	}
	if httpClient == nil {
		httpClient = &http.Client{}
	}
	if rec == nil {
		rec = vendors.RecorderFunc(func(context.Context, vendors.Call) {})
	}
	return &Client{
		cfg: cfg, base: strings.TrimRight(u.String(), "/"), hc: httpClient, rec: rec, now: time.Now,
		renewing: make(chan struct{}, 1),
	}, nil
}

func validDevice(d string) bool {
	for _, v := range Devices {
		if d == v {
			return true
		}
	}
	return false
}

// TestConnection logs in with the configured credentials (always a fresh log-in, not a cached
// token) and keeps the tokens it gets. An Auth error means the credentials were refused.
func (c *Client) TestConnection(ctx context.Context) error {
	if err := c.acquire(ctx); err != nil {
		return err
	}
	defer c.release()
	_, err := c.login(ctx)
	return err
}

// WithAttempt returns ctx carrying the job's attempt number (see vendors.WithAttempt).
func WithAttempt(ctx context.Context, attempt int) context.Context {
	return vendors.WithAttempt(ctx, attempt)
}

func attemptFrom(ctx context.Context) int { return vendors.AttemptFrom(ctx) }

// Request is one document to read.
type Request struct {
	Front []byte // JPEG or PNG; required
	Back  []byte // JPEG or PNG; required for identification_card, not sent for a passport
	// DocumentType is "passport", "identification_card" or "passport_plus" (see DocumentTypeFor).
	DocumentType string
	// DocumentID is the vendor's passport code, sent only when set.
	DocumentID string
	// ReturnID asks the vendor to return its transaction id (sent as return_id=True).
	ReturnID bool
}

// DocumentTypeFor maps a kycdesk document type to the vendor's: a passport is read as one page,
// every card-shaped document (national ID, driving licence, residence permit, other) as an
// identification card with a front and a back.
func DocumentTypeFor(kind string) string {
	if kind == "passport" {
		return Passport
	}
	return IdentificationCard
}

// Response is a read document.
type Response struct {
	vendors.Result
	// Front and Back describe the images as sent (Back is zero when none was sent); their Scale
	// maps anything located on a sent image back to the original.
	Front, Back Image
	// Body is the vendor's answer, redacted, for the check's raw record.
	Body []byte
}

// OCR sends a document to ID Reader Plus. A proof-of-life refusal (codes 818–829) is a Business
// *vendors.Error whose Code is the vendor's and whose Message is Meaning(code).
func (c *Client) OCR(ctx context.Context, req Request) (*Response, error) {
	invalid := func(msg string, err error) error {
		return &vendors.Error{Vendor: vendors.Apptenticate, Kind: vendors.Invalid, Message: msg, Err: err}
	}
	switch req.DocumentType {
	case Passport, IdentificationCard, PassportPlus:
	default:
		return nil, invalid(fmt.Sprintf("The document type %q is not one ID Reader accepts (passport or identification_card).", req.DocumentType), nil)
	}
	if len(req.Front) == 0 {
		return nil, invalid("The front image is required.", nil)
	}
	if req.DocumentType == IdentificationCard && len(req.Back) == 0 {
		return nil, invalid("The back image is required to read an identification card.", nil)
	}
	out := &Response{}
	var err error
	if out.Front, err = PrepareImage(req.Front, c.cfg.MaxImageBytes); err != nil {
		return nil, invalid("The front image cannot be sent.", err)
	}
	if len(req.Back) > 0 && req.DocumentType == IdentificationCard {
		if out.Back, err = PrepareImage(req.Back, c.cfg.MaxImageBytes); err != nil {
			return nil, invalid("The back image cannot be sent.", err)
		}
	}
	payload, contentType, err := c.form(req, out.Front, out.Back)
	if err != nil {
		return nil, invalid("The request could not be built.", err)
	}

	endpoint := c.base + c.cfg.OCRPath
	first := attemptFrom(ctx)
	for attempt := first; ; attempt++ {
		tok, err := c.token(ctx)
		if err != nil {
			return nil, err
		}
		hreq, err := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(payload))
		if err != nil {
			return nil, invalid("The OCR address is not valid.", err)
		}
		hreq.Header.Set("Content-Type", contentType)
		hreq.Header.Set("Accept", "application/json")
		hreq.Header.Set("Authorization", c.cfg.AuthScheme+" "+tok)
		resp, body, call, verr := c.exchange(ctx, hreq, attempt)
		if verr != nil {
			c.rec.RecordCall(ctx, call)
			return nil, verr
		}
		// The access token died on the way (or the vendor revoked it): get another one and try
		// once more; a second 401 means the credentials themselves are refused.
		if resp.StatusCode == http.StatusUnauthorized && attempt == first {
			call.Meaning = "The access token was refused; renewing it and trying once more."
			c.rec.RecordCall(ctx, call)
			c.invalidate(tok)
			continue
		}
		res, perr := interpret(resp, body)
		if perr != nil {
			call.VendorCode, call.Meaning = perr.Code, perr.Message
			c.rec.RecordCall(ctx, call)
			return nil, perr
		}
		c.rec.RecordCall(ctx, call)
		out.Result = res
		out.Body = call.Body
		return out, nil
	}
}

// form builds the multipart body once, so a retry sends the same bytes.
func (c *Client) form(req Request, front, back Image) ([]byte, string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	file := func(name string, data []byte) error {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename="%s.jpg"`, name, name))
		h.Set("Content-Type", "image/jpeg")
		p, err := w.CreatePart(h)
		if err != nil {
			return err
		}
		_, err = p.Write(data)
		return err
	}
	if err := file("frontside", front.Data); err != nil {
		return nil, "", err
	}
	if len(back.Data) > 0 {
		if err := file("backside", back.Data); err != nil {
			return nil, "", err
		}
	}
	fields := [][2]string{{"document_type", req.DocumentType}}
	if req.ReturnID {
		fields = append(fields, [2]string{"return_id", "True"})
	}
	fields = append(fields, [2]string{"device", c.cfg.Device})
	if req.DocumentID != "" {
		fields = append(fields, [2]string{"document_id", req.DocumentID})
	}
	for _, f := range fields {
		if err := w.WriteField(f[0], f[1]); err != nil {
			return nil, "", err
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}

// exchange runs one HTTP call under the configured deadline and reads its capped body. The
// returned Call is complete except for the vendor code and meaning, which the caller adds once it
// has read the body; a transport failure or an unreadable body comes back as a Transient error
// with the call already describing it.
func (c *Client) exchange(ctx context.Context, req *http.Request, attempt int) (*http.Response, []byte, vendors.Call, *vendors.Error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req = req.WithContext(ctx)
	ep := *req.URL
	ep.RawQuery, ep.User = "", nil
	call := vendors.Call{Vendor: vendors.Apptenticate, Method: req.Method, Endpoint: ep.String(), StartedAt: c.now(), Attempt: attempt}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		call.Latency = time.Since(start)
		ve := vendors.TransportError(vendors.Apptenticate, err)
		call.Err, call.Meaning = err.Error(), ve.Message
		return nil, nil, call, ve
	}
	defer resp.Body.Close()
	call.HTTPStatus = resp.StatusCode
	body, err := vendors.ReadBody(vendors.Apptenticate, resp.Body, vendors.MaxBody)
	call.Latency = time.Since(start)
	if err != nil {
		var ve *vendors.Error
		if !errors.As(err, &ve) {
			ve = vendors.TransportError(vendors.Apptenticate, err)
		}
		ve.HTTPStatus = resp.StatusCode
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			ve.Message = "The vendor did not answer in time."
		}
		call.Err, call.Meaning = err.Error(), ve.Message
		return resp, nil, call, ve
	}
	call.Body = vendors.Redact(body)
	return resp, body, call, nil
}
