package apptenticate

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"kycdesk/internal/vendors"
)

// errRefreshRefused means the refresh token is no longer accepted: log in again.
var errRefreshRefused = errors.New("refresh token refused")

// token returns an access token that will outlive the call: the cached one, or a renewed one.
func (c *Client) token(ctx context.Context) (string, error) {
	if tok, ok := c.cached(); ok {
		return tok, nil
	}
	if err := c.acquire(ctx); err != nil {
		return "", err
	}
	defer c.release()
	// Whoever held the slot before us may already have renewed it.
	if tok, ok := c.cached(); ok {
		return tok, nil
	}
	c.mu.Lock()
	refresh, refreshOK := c.refresh, c.refresh != "" && c.now().Before(c.refreshExp)
	c.mu.Unlock()
	if refreshOK {
		tok, err := c.doRefresh(ctx, refresh)
		if err == nil {
			return tok, nil
		}
		if !errors.Is(err, errRefreshRefused) {
			return "", err
		}
	}
	return c.login(ctx)
}

func (c *Client) cached() (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.access != "" && c.now().Add(c.margin()).Before(c.accessExp) {
		return c.access, true
	}
	return "", false
}

// margin is the configured margin (the caller holds mu), cut down for a token that lives less than four margins so a
// short-lived token is still used for most of its life.
func (c *Client) margin() time.Duration {
	life := c.accessLife
	if m := c.cfg.RefreshMargin; m*4 <= life {
		return m
	}
	return life / 4
}

func (c *Client) acquire(ctx context.Context) error {
	select {
	case c.renewing <- struct{}{}:
		return nil
	case <-ctx.Done():
		return vendors.TransportError(vendors.Apptenticate, ctx.Err())
	}
}

func (c *Client) release() { <-c.renewing }

// invalidate drops an access token the vendor refused, unless another goroutine already replaced
// it: many checks can hold the same dead token, and only one renewal should follow.
func (c *Client) invalidate(stale string) {
	c.mu.Lock()
	if c.access == stale {
		c.access, c.accessExp = "", time.Time{}
	}
	c.mu.Unlock()
}

type tokenPair struct {
	Access  vendors.Text `json:"access"`
	Refresh vendors.Text `json:"refresh"`
	Detail  vendors.Text `json:"detail"`
	Code    vendors.Text `json:"code"`
}

// login posts the credentials. It must be called holding the renewal slot.
func (c *Client) login(ctx context.Context) (string, error) {
	form := url.Values{"username": {c.cfg.Username}, "password": {c.cfg.Password}}
	resp, pair, call, err := c.tokenCall(ctx, c.cfg.TokenPath, form)
	if err != nil {
		return "", err
	}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300 && pair.Access != "":
		c.store(string(pair.Access), string(pair.Refresh))
		c.rec.RecordCall(ctx, call)
		return string(pair.Access), nil
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		e := &vendors.Error{Vendor: vendors.Apptenticate, Kind: vendors.Transient, HTTPStatus: resp.StatusCode,
			Message: "The vendor's log-in answer carried no access token."}
		call.Meaning = e.Message
		c.rec.RecordCall(ctx, call)
		return "", e
	}
	e := vendors.StatusError(vendors.Apptenticate, resp, nil)
	if resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnauthorized {
		// 400 is DRF's answer to a blank username or password: a settings problem as well.
		e.Kind, e.Message = vendors.Auth, "The vendor refused the username and password."
	}
	if pair.Detail != "" {
		e.Message += " (" + string(pair.Detail) + ")"
	}
	e.Code = string(pair.Code)
	call.VendorCode, call.Meaning = e.Code, e.Message
	c.rec.RecordCall(ctx, call)
	return "", e
}

// doRefresh trades the refresh token for a new access token. A refusal (400/401, typically
// token_not_valid) returns errRefreshRefused so the caller logs in again. It must be called
// holding the renewal slot.
func (c *Client) doRefresh(ctx context.Context, refresh string) (string, error) {
	resp, pair, call, err := c.tokenCall(ctx, c.cfg.RefreshPath, url.Values{"refresh": {refresh}})
	if err != nil {
		return "", err
	}
	st := resp.StatusCode
	if st >= 200 && st < 300 && pair.Access != "" {
		next := string(pair.Refresh) // present when the vendor rotates refresh tokens
		if next == "" {
			next = refresh
		}
		c.store(string(pair.Access), next)
		c.rec.RecordCall(ctx, call)
		return string(pair.Access), nil
	}
	if st == http.StatusBadRequest || st == http.StatusUnauthorized || st == http.StatusForbidden || (st >= 200 && st < 300) {
		call.VendorCode = string(pair.Code)
		call.Meaning = "The refresh token was refused; logging in again."
		c.rec.RecordCall(ctx, call)
		c.mu.Lock()
		c.refresh, c.refreshExp = "", time.Time{}
		c.mu.Unlock()
		return "", errRefreshRefused
	}
	e := vendors.StatusError(vendors.Apptenticate, resp, nil)
	call.Meaning = e.Message
	c.rec.RecordCall(ctx, call)
	return "", e
}

// tokenCall posts a form to a token endpoint. Transport failures are recorded here; otherwise the
// caller completes and records the call.
func (c *Client) tokenCall(ctx context.Context, path string, form url.Values) (*http.Response, tokenPair, vendors.Call, error) {
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, tokenPair{}, vendors.Call{}, &vendors.Error{Vendor: vendors.Apptenticate, Kind: vendors.Invalid,
			Message: "The token address is not valid.", Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, body, call, verr := c.exchange(ctx, req, attemptFrom(ctx))
	if verr != nil {
		c.rec.RecordCall(ctx, call)
		return nil, tokenPair{}, call, verr
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		e := vendors.StatusError(vendors.Apptenticate, resp, body)
		call.Meaning = e.Message
		c.rec.RecordCall(ctx, call)
		return nil, tokenPair{}, call, e
	}
	var pair tokenPair
	if err := json.Unmarshal(body, &pair); err != nil && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		e := &vendors.Error{Vendor: vendors.Apptenticate, Kind: vendors.Transient, HTTPStatus: resp.StatusCode,
			Message: "The vendor's token answer was not readable JSON.", Err: err}
		call.Meaning = e.Message
		c.rec.RecordCall(ctx, call)
		return nil, tokenPair{}, call, e
	}
	return resp, pair, call, nil
}

// store keeps a new token pair with the expiry each token states. The tokens are credentials
// too: no call recorded from now on keeps them (a vendor may quote one).
func (c *Client) store(access, refresh string) {
	vendors.KeepSecret(c.rec, access, refresh)
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.accessLife = lifetime(access, now, c.cfg.AccessTTL)
	c.access, c.accessExp = access, now.Add(c.accessLife)
	if refresh != "" && refresh != c.refresh {
		// simplejwt's refresh token lives a day by default; without a readable expiry it is
		// simply tried, and a refusal leads to a log-in.
		c.refresh, c.refreshExp = refresh, now.Add(lifetime(refresh, now, 24*time.Hour))
	}
}

// lifetime reads how long a JWT lives from its claims, without verifying it (the client cannot:
// the key is the vendor's). With both iat and exp it takes exp−iat, which is immune to a skew
// between the vendor's clock and ours; with exp only, exp−now; otherwise fallback.
func lifetime(tok string, now time.Time, fallback time.Duration) time.Duration {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return fallback
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return fallback
	}
	var claims struct {
		Exp vendors.Num `json:"exp"`
		Iat vendors.Num `json:"iat"`
	}
	if json.Unmarshal(payload, &claims) != nil || !claims.Exp.Valid {
		return fallback
	}
	var d time.Duration
	if claims.Iat.Valid && claims.Exp.Value > claims.Iat.Value {
		d = time.Duration((claims.Exp.Value - claims.Iat.Value) * float64(time.Second))
	} else {
		d = time.Unix(int64(claims.Exp.Value), 0).Sub(now)
	}
	if d <= 0 || d > 30*24*time.Hour {
		return fallback
	}
	return d
}
