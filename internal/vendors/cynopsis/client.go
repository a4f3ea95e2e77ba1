// Package cynopsis is the client for the two Cynopsis products kycdesk uses, which share one
// OAuth2 client-credentials login: OCR and IDV v2 (read a document's fields and run document
// verification) and Artemis (the customer and document records that a liveness result is attached
// to).
//
// Every HTTP exchange, token fetches included, is reported to a vendors.Recorder as a vendor call,
// with its body capped and redacted. Failures are *vendors.Error values whose Kind tells a job
// whether to retry; the client itself never retries except once after a 401, with a fresh token,
// because neither an OCR task nor an Artemis record is safe to create twice.
//
// Fake, in fake.go, is a strict in-process implementation of the same contract for tests and for
// the demo simulator.
package cynopsis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"kycdesk/internal/vendors"
)

// Default paths and timeout, used when Config leaves them empty.
const (
	DefaultOCRPath     = "/service/v2/ocr"
	DefaultTokenPath   = "/oauth/token"
	DefaultArtemisPath = "/api"
	DefaultTimeout     = 60 * time.Second
)

// Header names exactly as each product's page spells them. Header names are case-insensitive in
// HTTP, but the pages differ and a strict gateway may not be, so each product gets its own spelling.
const (
	OCRDomainHeader     = "X-Domain-Id"
	ArtemisDomainHeader = "X-Domain-ID"
)

// Config is what an admin configures for Cynopsis, per environment (UAT or production).
type Config struct {
	// AuthURL is the base URL of the OAuth2 server, e.g. https://crm-demo.cynopsis.co.
	AuthURL string
	// TokenPath is appended to AuthURL; default /oauth/token.
	TokenPath string
	// OCRURL is the base URL of OCR and IDV v2, e.g. https://d1.cynopsis.co. Empty disables OCR.
	OCRURL string
	// OCRPath is appended to OCRURL; default /service/v2/ocr.
	OCRPath string
	// ArtemisURL is the base URL of Artemis, e.g. https://api1.artemisuat.cynopsis.co. Empty
	// disables the Artemis calls.
	ArtemisURL string
	// ArtemisPath is the API's path under ArtemisURL, before /customer…; default /api.
	ArtemisPath  string
	ClientID     string
	ClientSecret string
	// DomainID is the tenant id Cynopsis assigns; it is sent in the domain header on every call.
	DomainID int64
	// Timeout bounds each HTTP exchange, body included; default 60 s.
	Timeout time.Duration
}

// Client calls Cynopsis OCR and Artemis. It is safe for concurrent use.
type Client struct {
	cfg  Config
	http *http.Client
	rec  vendors.Recorder
	now  func() time.Time

	// sem serialises token fetches so that concurrent calls share one fetch.
	sem   chan struct{}
	mu    sync.Mutex
	token string
	// refreshAt is when the cached token is replaced, some time before it expires; zero means the
	// server gave no lifetime and the token is used until a 401.
	refreshAt time.Time
}

// New validates cfg and returns a client. httpClient may be nil (a default client is used); its
// Transport is used for every call, token fetches included. rec may be nil.
func New(cfg Config, httpClient *http.Client, rec vendors.Recorder) (*Client, error) {
	if cfg.TokenPath == "" {
		cfg.TokenPath = DefaultTokenPath
	}
	if cfg.OCRPath == "" {
		cfg.OCRPath = DefaultOCRPath
	}
	if cfg.ArtemisPath == "" {
		cfg.ArtemisPath = DefaultArtemisPath
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.AuthURL = strings.TrimRight(cfg.AuthURL, "/")
	cfg.OCRURL = strings.TrimRight(cfg.OCRURL, "/")
	cfg.ArtemisURL = strings.TrimRight(cfg.ArtemisURL, "/")
	cfg.ArtemisPath = "/" + strings.Trim(cfg.ArtemisPath, "/")
	if cfg.ArtemisPath == "/" {
		cfg.ArtemisPath = ""
	}
	if httpClient == nil {
		httpClient = &http.Client{}
	}
	if rec == nil {
		rec = vendors.RecorderFunc(func(context.Context, vendors.Call) {})
	}
	return &Client{cfg: cfg, http: httpClient, rec: rec, now: time.Now, sem: make(chan struct{}, 1)}, nil
}

func (cfg Config) validate() error {
	bad := func(msg string) error {
		return &vendors.Error{Vendor: vendors.CynopsisOCR, Kind: vendors.Invalid, Message: msg}
	}
	if p := urlProblem(cfg.AuthURL, true); p != "" {
		return bad("The Cynopsis auth URL " + p)
	}
	if p := urlProblem(cfg.OCRURL, false); p != "" {
		return bad("The Cynopsis OCR URL " + p)
	}
	if p := urlProblem(cfg.ArtemisURL, false); p != "" {
		return bad("The Artemis URL " + p)
	}
	switch {
	case cfg.OCRURL == "" && cfg.ArtemisURL == "":
		return bad("The Cynopsis settings need an OCR URL or an Artemis URL.")
	case strings.TrimSpace(cfg.ClientID) == "":
		return bad("The Cynopsis settings have no client ID.")
	case strings.TrimSpace(cfg.ClientSecret) == "":
		return bad("The Cynopsis settings have no client secret.")
	case cfg.DomainID <= 0:
		return bad("The Cynopsis domain ID must be a positive number.")
	case cfg.Timeout < 0:
		return bad("The Cynopsis timeout cannot be negative.")
	case !strings.HasPrefix(cfg.OCRPath, "/") || !strings.HasPrefix(cfg.TokenPath, "/"):
		return bad("The Cynopsis OCR and token paths must start with a slash.")
	}
	return nil
}

// urlProblem says what is wrong with a base URL, in words that follow its name; "" when nothing is.
func urlProblem(s string, required bool) string {
	if s == "" {
		if required {
			return "is missing."
		}
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "must be an http or https address such as https://crm-demo.cynopsis.co."
	}
	if u.RawQuery != "" || u.User != nil {
		return "must not carry a query string or credentials."
	}
	return ""
}

// WithAttempt returns ctx carrying the job's attempt number (see vendors.WithAttempt).
func WithAttempt(ctx context.Context, attempt int) context.Context {
	return vendors.WithAttempt(ctx, attempt)
}

func attemptFrom(ctx context.Context) int { return vendors.AttemptFrom(ctx) }

// TestConnection fetches a new access token, for the admin's "test connection" button. A nil error
// means the auth URL, client ID and secret work; the domain ID is only checked by a service call.
func (c *Client) TestConnection(ctx context.Context) error {
	product := vendors.CynopsisOCR
	if c.cfg.OCRURL == "" {
		product = vendors.Artemis
	}
	c.invalidate("")
	_, err := c.accessToken(ctx, product, attemptFrom(ctx))
	return err
}

// invalidate drops the cached token if it is still the one that was refused; "" drops any.
func (c *Client) invalidate(refused string) {
	c.mu.Lock()
	if refused == "" || c.token == refused {
		c.token, c.refreshAt = "", time.Time{}
	}
	c.mu.Unlock()
}

func (c *Client) cached() (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == "" || (!c.refreshAt.IsZero() && !c.now().Before(c.refreshAt)) {
		return "", false
	}
	return c.token, true
}

// accessToken returns the cached token or fetches a new one; concurrent callers share one fetch.
func (c *Client) accessToken(ctx context.Context, product vendors.Name, attempt int) (string, error) {
	if tok, ok := c.cached(); ok {
		return tok, nil
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return "", vendors.TransportError(product, ctx.Err())
	}
	defer func() { <-c.sem }()
	if tok, ok := c.cached(); ok {
		return tok, nil
	}
	tok, lifetime, err := c.fetchToken(ctx, product, attempt)
	if err != nil {
		return "", err
	}
	// A token is a credential too: no call recorded from now on keeps it (a vendor may quote it).
	vendors.KeepSecret(c.rec, tok)
	c.mu.Lock()
	c.token, c.refreshAt = tok, time.Time{}
	if lifetime > 0 {
		c.refreshAt = c.now().Add(lifetime - refreshMargin(lifetime))
	}
	c.mu.Unlock()
	return tok, nil
}

// refreshMargin is how long before expiry a token is replaced: a tenth of its life, at most five
// minutes, so a call never starts with a token about to lapse in flight.
func refreshMargin(lifetime time.Duration) time.Duration {
	return min(lifetime/10, 5*time.Minute)
}

// fetchToken runs the client-credentials grant with the client id and secret in the form body.
func (c *Client) fetchToken(ctx context.Context, product vendors.Name, attempt int) (string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	tt := &tokenTransport{c: c, base: c.http.Transport, product: product, attempt: attempt}
	if tt.base == nil {
		tt.base = http.DefaultTransport
	}
	hc := &http.Client{Transport: tt, CheckRedirect: c.http.CheckRedirect}
	cc := clientcredentials.Config{
		ClientID:     c.cfg.ClientID,
		ClientSecret: c.cfg.ClientSecret,
		TokenURL:     c.cfg.AuthURL + c.cfg.TokenPath,
		AuthStyle:    oauth2.AuthStyleInParams,
	}
	started := c.now()
	tok, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, hc))
	if err != nil {
		return "", 0, c.tokenError(ctx, product, tt, err)
	}
	var lifetime time.Duration
	if secs, ok := expiresIn(tok.Extra("expires_in")); ok && secs > 0 {
		lifetime = time.Duration(secs * float64(time.Second))
	} else if !tok.Expiry.IsZero() {
		lifetime = tok.Expiry.Sub(started)
	}
	return tok.AccessToken, lifetime, nil
}

func expiresIn(v any) (float64, bool) {
	switch t := v.(type) {
	case float64:
		return t, true
	case int64:
		return float64(t), true
	case int:
		return float64(t), true
	case json.Number:
		f, err := t.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
		return f, err == nil
	}
	return 0, false
}

// tokenError turns what the oauth2 package returned into a vendors.Error. The oauth2 package
// flattens transport errors into text, so the transport keeps the original.
func (c *Client) tokenError(ctx context.Context, product vendors.Name, tt *tokenTransport, err error) error {
	var ve *vendors.Error
	if errors.As(err, &ve) {
		return ve
	}
	if tt.err != nil {
		return vendors.TransportError(product, tt.err)
	}
	if ctx.Err() != nil {
		return vendors.TransportError(product, ctx.Err())
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		st := re.Response.StatusCode
		switch {
		case isCredentialError(re.ErrorCode) || st == http.StatusUnauthorized || st == http.StatusForbidden:
			return &vendors.Error{Vendor: product, Kind: vendors.Auth, HTTPStatus: st, Code: re.ErrorCode,
				Message: "Cynopsis refused the client ID or client secret. Check the Cynopsis settings.", Err: err}
		case st == http.StatusTooManyRequests || st >= 500:
			e := vendors.StatusError(product, re.Response, re.Body)
			e.Err = err
			return e
		case st >= 200 && st < 300:
			return &vendors.Error{Vendor: product, Kind: vendors.Auth, HTTPStatus: st, Code: re.ErrorCode,
				Message: "Cynopsis refused to issue an access token.", Err: err}
		default:
			return &vendors.Error{Vendor: product, Kind: vendors.Invalid, HTTPStatus: st, Code: re.ErrorCode,
				Message: fmt.Sprintf("Cynopsis refused the token request (HTTP %d).", st), Err: err}
		}
	}
	return &vendors.Error{Vendor: product, Kind: vendors.Transient,
		Message: "Cynopsis answered the token request with something that is not a token.", Err: err}
}

func isCredentialError(code string) bool {
	switch code {
	case "invalid_client", "unauthorized_client", "invalid_grant", "access_denied":
		return true
	}
	return false
}

// tokenTransport reports each token exchange as a vendor call and caps the body it lets the
// oauth2 package read.
type tokenTransport struct {
	c       *Client
	base    http.RoundTripper
	product vendors.Name
	attempt int
	err     error
}

func (t *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	call := vendors.Call{Vendor: t.product, Method: req.Method, Endpoint: endpoint(req.URL),
		StartedAt: t.c.now(), Attempt: t.attempt}
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		t.err = err
		call.Latency, call.Err = time.Since(start), err.Error()
		call.Meaning = "Cynopsis' token server could not be reached."
		t.c.rec.RecordCall(ctx, call)
		return nil, err
	}
	body, rerr := vendors.ReadBody(t.product, resp.Body, vendors.MaxBody)
	_ = resp.Body.Close()
	call.Latency, call.HTTPStatus = time.Since(start), resp.StatusCode
	if rerr != nil {
		call.Err = rerr.Error()
		call.Meaning = rerr.Error()
		t.c.rec.RecordCall(ctx, call)
		return nil, rerr
	}
	call.Body = vendors.Redact(body)
	var tj struct {
		Error       vendors.Text `json:"error"`
		Description vendors.Text `json:"error_description"`
		ExpiresIn   vendors.Num  `json:"expires_in"`
	}
	_ = json.Unmarshal(body, &tj)
	switch {
	case tj.Error != "":
		call.VendorCode = string(tj.Error)
		call.Meaning = "Cynopsis refused to issue an access token"
		if isCredentialError(string(tj.Error)) {
			call.Meaning = "Cynopsis refused the client ID or client secret"
		}
		if tj.Description != "" {
			call.Meaning += ": " + string(tj.Description)
		}
		call.Meaning += "."
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		call.Meaning = "Cynopsis issued an access token."
		if tj.ExpiresIn.Valid {
			call.Meaning = fmt.Sprintf("Cynopsis issued an access token valid for %s.",
				time.Duration(tj.ExpiresIn.Value*float64(time.Second)))
		}
	default:
		call.Meaning = fmt.Sprintf("Cynopsis' token server answered HTTP %d.", resp.StatusCode)
	}
	t.c.rec.RecordCall(ctx, call)
	resp.Body = readCloser{bytes.NewReader(forOAuth2(resp.Header, body))}
	return resp, nil
}

// forOAuth2 hands a token answer to the oauth2 package in the form that package reads, so that
// what Cynopsis sent is honoured: a JSON body is labelled JSON whatever its Content-Type says
// (the package reads text/plain as a form, and would find no token), and an expires_in that is
// not a whole number of seconds ("3600.5", 28800.0) is sent on as one (the package refuses
// anything else).
func forOAuth2(h http.Header, body []byte) []byte {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return body
	}
	h.Set("Content-Type", "application/json")
	var m map[string]json.RawMessage
	if json.Unmarshal(trimmed, &m) != nil {
		return body
	}
	raw, ok := m["expires_in"]
	if !ok {
		return body
	}
	var v any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if d.Decode(&v) != nil {
		return body
	}
	secs, ok := expiresIn(v)
	if !ok || secs <= 0 || secs > math.MaxInt32 {
		return body
	}
	whole := strconv.FormatInt(int64(secs), 10)
	if string(raw) == whole {
		return body
	}
	m["expires_in"] = json.RawMessage(whole)
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// endpoint is the URL as logged: no query string, no credentials.
func endpoint(u *url.URL) string {
	v := *u
	v.RawQuery, v.Fragment, v.User = "", "", nil
	return v.String()
}

// exchange is one service call: what to send and how to read the answer.
type exchange struct {
	product      vendors.Name
	method, url  string
	domainHeader string
	contentType  string
	body         []byte
	// handle reads an answer that is not a 401. It returns the vendor code and meaning recorded
	// with the call, and the error the call ends with.
	handle func(status int, h http.Header, body []byte) (code, meaning string, err error)
}

// do sends ex, fetching a token first, and on a 401 fetches one new token and sends it once more.
func (c *Client) do(ctx context.Context, ex exchange) error {
	base := attemptFrom(ctx)
	for i := range 2 {
		attempt := base + i
		tok, err := c.accessToken(ctx, ex.product, attempt)
		if err != nil {
			return err
		}
		unauthorized, err := c.send(ctx, ex, tok, attempt)
		if err != nil || !unauthorized {
			return err
		}
		c.invalidate(tok)
	}
	return &vendors.Error{Vendor: ex.product, Kind: vendors.Auth, HTTPStatus: http.StatusUnauthorized,
		Message: "Cynopsis refused a freshly issued access token. Check that the client may use this service and domain."}
}

// send makes one HTTP exchange and records it. It reports true when the answer was a 401.
func (c *Client) send(ctx context.Context, ex exchange, token string, attempt int) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, ex.method, ex.url, bytes.NewReader(ex.body))
	if err != nil {
		return false, &vendors.Error{Vendor: ex.product, Kind: vendors.Invalid, Message: "The request to Cynopsis could not be built.", Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	// Set directly, not with Header.Set, so the page's exact spelling goes on the wire.
	req.Header[ex.domainHeader] = []string{strconv.FormatInt(c.cfg.DomainID, 10)}
	req.Header.Set("Accept", "application/json")
	if ex.contentType != "" {
		req.Header.Set("Content-Type", ex.contentType)
	}
	call := vendors.Call{Vendor: ex.product, Method: ex.method, Endpoint: endpoint(req.URL), StartedAt: c.now(), Attempt: attempt}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		verr := vendors.TransportError(ex.product, err)
		call.Latency, call.Err, call.Meaning = time.Since(start), err.Error(), verr.Message
		c.rec.RecordCall(ctx, call)
		return false, verr
	}
	body, err := vendors.ReadBody(ex.product, resp.Body, vendors.MaxBody)
	_ = resp.Body.Close()
	call.Latency, call.HTTPStatus = time.Since(start), resp.StatusCode
	if err != nil {
		var ve *vendors.Error
		if errors.As(err, &ve) {
			ve.HTTPStatus = resp.StatusCode
			call.Meaning = ve.Message
		}
		call.Err = err.Error()
		c.rec.RecordCall(ctx, call)
		return false, err
	}
	call.Body = vendors.Redact(body)
	if resp.StatusCode == http.StatusUnauthorized {
		call.VendorCode, call.Meaning = errorCode(body), "Cynopsis refused the access token."
		c.rec.RecordCall(ctx, call)
		return true, nil
	}
	code, meaning, herr := ex.handle(resp.StatusCode, resp.Header, body)
	call.VendorCode, call.Meaning = code, meaning
	var ve *vendors.Error
	if errors.As(herr, &ve) && ve.HTTPStatus == 0 {
		ve.HTTPStatus = resp.StatusCode
	}
	if meaning == "" && ve != nil {
		call.Meaning = ve.Message
	}
	c.rec.RecordCall(ctx, call)
	return false, herr
}

// errorBody is the union of the error shapes Cynopsis services answer with: OAuth2
// ({error, error_description}), the OCR service ({error, description}) and Spring
// ({timestamp, status, error, message, path}).
type errorBody struct {
	Error            vendors.Text `json:"error"`
	ErrorDescription vendors.Text `json:"error_description"`
	Description      vendors.Text `json:"description"`
	Message          vendors.Text `json:"message"`
	Detail           vendors.Text `json:"detail"`
	Path             vendors.Text `json:"path"`
}

func parseErrorBody(body []byte) errorBody {
	var eb errorBody
	_ = json.Unmarshal(body, &eb)
	return eb
}

// message is the most specific human text in an error body.
func (eb errorBody) message() string {
	for _, s := range []vendors.Text{eb.Message, eb.Description, eb.ErrorDescription, eb.Detail} {
		if s != "" {
			return string(s)
		}
	}
	return ""
}

func errorCode(body []byte) string {
	return string(parseErrorBody(body).Error)
}

// httpError classifies an answer that is not a success and carries no documented business
// refusal: 429 and 5xx are Transient, 401/403 Auth, other 4xx Invalid with the vendor's message.
func httpError(product vendors.Name, status int, h http.Header, body []byte) (string, string, error) {
	eb := parseErrorBody(body)
	msg := eb.message()
	resp := &http.Response{StatusCode: status, Header: h}
	e := vendors.StatusError(product, resp, body)
	// Spring's "error" is the status text ("Bad Request"), not a code; OAuth2's is a token.
	if code := string(eb.Error); code != "" && !strings.ContainsAny(code, " \t") && !strings.EqualFold(code, http.StatusText(status)) {
		e.Code = code
	}
	if msg != "" && status < 500 && status != http.StatusTooManyRequests {
		e.Message = strings.TrimSuffix(e.Message, ".") + ": " + sentence(msg)
	}
	return e.Code, e.Message, e
}

// sentence trims s and ends it with a full stop, so vendor text reads as part of our message.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}
