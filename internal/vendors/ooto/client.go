// Package ooto is the client for OOTO's document + selfie identify endpoint: one call compares
// the portrait on an identity document with a selfie, scores the selfie's liveness and deepfake
// likelihood, and reads the document.
//
// OOTO publishes no rate limits, so the client limits how many calls run at once (Concurrency);
// boxes come as {x, y, w, h, angle} and are turned into four corners as described on
// BoxConvention. Fake, beside the client, is the same vendor the demo simulator serves.
package ooto

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"kycdesk/internal/vendors"
)

// Defaults for Config fields left empty.
const (
	// DefaultPath is the identify endpoint; a newer page shows /api/v1.0/doc/compare.
	DefaultPath           = "/api/v1.0/doc/identify"
	DefaultConnectTimeout = 20 * time.Second
	DefaultReadTimeout    = 60 * time.Second
	DefaultConcurrency    = 4
)

// Config is one environment's settings.
type Config struct {
	BaseURL string // e.g. https://cloud.ooto-ai.com
	Path    string // DefaultPath when empty
	AppID   string // sent as the APP-ID header
	AppKey  string // sent as the APP-KEY header
	// ConnectTimeout bounds connecting (DefaultConnectTimeout when 0); ReadTimeout bounds waiting
	// for the answer once the request is sent (DefaultReadTimeout when 0). The whole call is
	// bounded by their sum.
	ConnectTimeout, ReadTimeout time.Duration
	// Concurrency is how many identify calls may be in flight at once from this client
	// (DefaultConcurrency when 0); further calls wait their turn.
	Concurrency int
	// Boxes says how OOTO's rectangles are read.
	Boxes BoxConvention
}

// Client calls OOTO. It is safe for concurrent use.
type Client struct {
	cfg      Config
	endpoint string
	hc       *http.Client
	rec      vendors.Recorder
	slots    chan struct{}
}

// New checks cfg and returns a client. When httpClient is nil the client builds one whose
// connection and answer waits follow ConnectTimeout and ReadTimeout; a given httpClient is used as
// is for connecting, and ReadTimeout and the overall deadline still bound every call. rec may be
// nil.
func New(cfg Config, httpClient *http.Client, rec vendors.Recorder) (*Client, error) {
	invalid := func(msg string) error {
		return &vendors.Error{Vendor: vendors.OOTO, Kind: vendors.Invalid, Message: msg}
	}
	u, err := url.Parse(strings.TrimSpace(cfg.BaseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.User != nil {
		return nil, invalid("The OOTO base URL must be an http(s) address such as https://cloud.ooto-ai.com.")
	}
	if cfg.AppID == "" || cfg.AppKey == "" {
		return nil, invalid("The OOTO APP-ID and APP-KEY are required.")
	}
	if cfg.Path == "" {
		cfg.Path = DefaultPath
	}
	if !strings.HasPrefix(cfg.Path, "/") {
		cfg.Path = "/" + cfg.Path
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if httpClient == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DialContext = (&net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext
		tr.TLSHandshakeTimeout = cfg.ConnectTimeout
		tr.ResponseHeaderTimeout = cfg.ReadTimeout
		httpClient = &http.Client{Transport: tr}
	}
	if rec == nil {
		rec = vendors.RecorderFunc(func(context.Context, vendors.Call) {})
	}
	return &Client{
		cfg: cfg, endpoint: strings.TrimRight(u.String(), "/") + cfg.Path, hc: httpClient, rec: rec,
		slots: make(chan struct{}, cfg.Concurrency),
	}, nil
}

// WithAttempt returns ctx carrying the job's attempt number (see vendors.WithAttempt).
func WithAttempt(ctx context.Context, attempt int) context.Context {
	return vendors.WithAttempt(ctx, attempt)
}

func attemptFrom(ctx context.Context) int { return vendors.AttemptFrom(ctx) }

// Response is one identify answer.
type Response struct {
	vendors.Result
	// Body is the vendor's answer, redacted, for the check's raw record.
	Body []byte
}

// Identify sends a document image and a selfie (each JPEG or PNG). The result's Face holds the
// match, liveness and deepfake scores and the boxes; its Outcome is pass when the faces match and
// both liveness and deepfake are fine, fail when the faces do not match, review otherwise. A
// documented refusal is a Business *vendors.Error whose Code is OOTO's and Message Meaning(code).
func (c *Client) Identify(ctx context.Context, doc, selfie []byte) (*Response, error) {
	body, contentType, err := form(doc, selfie)
	if err != nil {
		return nil, err
	}
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, vendors.TransportError(vendors.OOTO, ctx.Err())
	}
	defer func() { <-c.slots }()
	return c.post(ctx, body, contentType)
}

// TestConnection makes one real identify call with a pair of small generated grey images,
// because OOTO publishes no cheaper endpoint (no status or token call). It proves the host, the
// path and the APP-ID/APP-KEY: an Auth error means the credentials were refused, an Invalid error
// (404 and the like) a wrong address. Expect the engine to refuse the blank images with a
// documented code (no face, no document): that refusal counts as success, since only a working,
// authenticated engine can give it. The call may count as a transaction on the account.
func (c *Client) TestConnection(ctx context.Context) error {
	img, err := blankJPEG()
	if err != nil {
		return &vendors.Error{Vendor: vendors.OOTO, Kind: vendors.Invalid, Message: "The test image could not be made.", Err: err}
	}
	_, err = c.Identify(ctx, img, img)
	var ve *vendors.Error
	if errors.As(err, &ve) && ve.Kind == vendors.Business {
		return nil
	}
	return err
}

func blankJPEG() ([]byte, error) {
	img := image.NewGray(image.Rect(0, 0, 64, 64))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	img.Set(32, 32, color.Gray{Y: 40})
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// imageType names a JPEG or PNG by its first bytes, so the part carries the type OOTO checks.
func imageType(b []byte) (ext, mimeType string, ok bool) {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return "jpg", "image/jpeg", true
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "png", "image/png", true
	}
	return "", "", false
}

func form(doc, selfie []byte) ([]byte, string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range []struct {
		name, what string
		data       []byte
	}{{"doc", "document image", doc}, {"selfie", "selfie", selfie}} {
		if len(p.data) == 0 {
			return nil, "", &vendors.Error{Vendor: vendors.OOTO, Kind: vendors.Invalid, Message: fmt.Sprintf("The %s is missing.", p.what)}
		}
		ext, mt, ok := imageType(p.data)
		if !ok {
			return nil, "", &vendors.Error{Vendor: vendors.OOTO, Kind: vendors.Invalid, Message: fmt.Sprintf("The %s must be a JPEG or PNG image.", p.what)}
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename="%s.%s"`, p.name, p.name, ext))
		h.Set("Content-Type", mt)
		pw, err := w.CreatePart(h)
		if err == nil {
			_, err = pw.Write(p.data)
		}
		if err != nil {
			return nil, "", &vendors.Error{Vendor: vendors.OOTO, Kind: vendors.Invalid, Message: "The request could not be built.", Err: err}
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", &vendors.Error{Vendor: vendors.OOTO, Kind: vendors.Invalid, Message: "The request could not be built.", Err: err}
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}

// errReadTimeout ends a call whose answer, headers and body, took longer than ReadTimeout.
var errReadTimeout = errors.New("ooto: the answer took longer than the read timeout")

func (c *Client) post(ctx context.Context, body []byte, contentType string) (*Response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.ConnectTimeout+c.cfg.ReadTimeout)
	defer cancel()
	// ReadTimeout runs from the moment the request is written until the whole answer is read.
	// The transport's ResponseHeaderTimeout stops at the headers, so without this a vendor that
	// trickles its body held the call for ConnectTimeout+ReadTimeout (20 s more than the admin's
	// timeout), and a client given from outside had no read timeout at all.
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	var readTimer atomic.Pointer[time.Timer]
	defer func() {
		if t := readTimer.Load(); t != nil {
			t.Stop()
		}
	}()
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) {
		t := time.AfterFunc(c.cfg.ReadTimeout, func() { stop(errReadTimeout) })
		if old := readTimer.Swap(t); old != nil {
			old.Stop() // the transport wrote the request again on a new connection
		}
	}})
	timedOut := func() bool {
		return errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(context.Cause(ctx), errReadTimeout)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, &vendors.Error{Vendor: vendors.OOTO, Kind: vendors.Invalid, Message: "The OOTO address is not valid.", Err: err}
	}
	req.Header.Set("APP-ID", c.cfg.AppID)
	req.Header.Set("APP-KEY", c.cfg.AppKey)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")

	call := vendors.Call{Vendor: vendors.OOTO, Method: http.MethodPost, Endpoint: c.endpoint, StartedAt: time.Now(), Attempt: attemptFrom(ctx)}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		call.Latency = time.Since(start)
		ve := vendors.TransportError(vendors.OOTO, err)
		if timedOut() {
			ve.Message = "The vendor did not answer in time."
		}
		call.Err, call.Meaning = err.Error(), ve.Message
		c.rec.RecordCall(ctx, call)
		return nil, ve
	}
	defer resp.Body.Close()
	call.HTTPStatus = resp.StatusCode
	raw, err := vendors.ReadBody(vendors.OOTO, resp.Body, vendors.MaxBody)
	call.Latency = time.Since(start)
	if err != nil {
		var ve *vendors.Error
		if !errors.As(err, &ve) {
			ve = vendors.TransportError(vendors.OOTO, err)
		}
		ve.HTTPStatus = resp.StatusCode
		if timedOut() {
			ve.Message = "The vendor did not answer in time."
		}
		call.Err, call.Meaning = err.Error(), ve.Message
		c.rec.RecordCall(ctx, call)
		return nil, ve
	}
	call.Body = withoutEstimates(vendors.Redact(raw))
	res, perr := interpret(resp, raw, c.cfg.Boxes)
	if perr != nil {
		call.VendorCode, call.Meaning = perr.Code, perr.Message
		c.rec.RecordCall(ctx, call)
		return nil, perr
	}
	c.rec.RecordCall(ctx, call)
	return &Response{Result: res, Body: call.Body}, nil
}
