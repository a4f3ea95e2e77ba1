package vendors

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Redacted replaces a secret in what is stored of a vendor call.
const Redacted = "[redacted]"

// minSecret is the shortest value Secrets replaces: a shorter one would mangle ordinary text, and
// is no credential worth the name.
const minSecret = 4

// Secrets is the set of secret values of one vendor client: the credentials it was built with
// (API key, client secret, password) and the tokens it obtained from the vendor since. Redact
// removes secrets by the JSON key they are under; Secrets removes them by value, wherever they
// are (a vendor echoing a key in an error message, a token quoted in a transport error). Its
// Recorder is what every client built by the checks package records its calls through, so no
// call is stored with a secret of its vendor in it. Safe for concurrent use.
type Secrets struct {
	mu     sync.RWMutex
	kept   []string // the credentials, for good
	tokens []string // the latest tokens obtained, at most keptTokens
	values []string // each of them in every encoded form, longest first
}

// keptTokens is how many of the latest tokens a client obtained Secrets keeps: a client lives as
// long as its settings (Apptenticate's access token is renewed every five minutes), so its older
// tokens, expired long since, are let go rather than scanned for in every call forever.
const keptTokens = 8

// NewSecrets returns the set holding values (empty ones and very short ones are ignored).
func NewSecrets(values ...string) *Secrets {
	s := &Secrets{}
	s.Add(values...)
	return s
}

// Add puts values in the set for good, with the forms they take when they are quoted in a JSON
// string or a URL.
func (s *Secrets) Add(values ...string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kept = append(s.kept, values...)
	s.rebuild()
}

// addTokens puts tokens a client obtained in the set, letting the oldest go beyond keptTokens.
func (s *Secrets) addTokens(values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = append(s.tokens, values...)
	if n := len(s.tokens) - keptTokens; n > 0 {
		s.tokens = slices.Delete(s.tokens, 0, n)
	}
	s.rebuild()
}

// rebuild makes values from kept and tokens; s.mu is held.
func (s *Secrets) rebuild() {
	s.values = s.values[:0]
	for _, v := range slices.Concat(s.kept, s.tokens) {
		if len(v) < minSecret {
			continue
		}
		forms := []string{v, url.QueryEscape(v), url.PathEscape(v)}
		if b, err := MarshalText(v); err == nil {
			forms = append(forms, strings.Trim(string(b), `"`))
		}
		if b, err := json.Marshal(v); err == nil { // the HTML-escaped form encoding/json writes
			forms = append(forms, strings.Trim(string(b), `"`))
		}
		for _, f := range forms {
			if !slices.Contains(s.values, f) {
				s.values = append(s.values, f)
			}
		}
	}
	// Longest first, so a secret that contains another is replaced whole.
	slices.SortStableFunc(s.values, func(a, b string) int { return len(b) - len(a) })
}

// Scrub returns text with every secret replaced by Redacted.
func (s *Secrets) Scrub(text string) string {
	if s == nil || text == "" {
		return text
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, v := range s.values {
		if strings.Contains(text, v) {
			text = strings.ReplaceAll(text, v, Redacted)
		}
	}
	return text
}

// ScrubBytes is Scrub for a body.
func (s *Secrets) ScrubBytes(b []byte) []byte {
	if s == nil || len(b) == 0 {
		return b
	}
	out := s.Scrub(string(b))
	if out == string(b) {
		return b
	}
	return []byte(out)
}

// ScrubCall returns c with every secret removed from what is stored of it: its address, its
// code, its meaning, its error and its body.
func (s *Secrets) ScrubCall(c Call) Call {
	c.Endpoint = s.Scrub(c.Endpoint)
	c.VendorCode = s.Scrub(c.VendorCode)
	c.Meaning = s.Scrub(c.Meaning)
	c.Err = s.Scrub(c.Err)
	c.Body = s.ScrubBytes(c.Body)
	return c
}

// ScrubError returns err with every secret removed from what is shown and stored of it: a
// *Error's message and code, and the text of its cause. An error that holds none is returned as
// it is; one that does is a copy (a cause that held one keeps its text only).
func (s *Secrets) ScrubError(err error) error {
	if s == nil || err == nil {
		return err
	}
	var ve *Error
	if errors.As(err, &ve) {
		cp := *ve
		cp.Message, cp.Code = s.Scrub(ve.Message), s.Scrub(ve.Code)
		if ve.Err != nil {
			if text := ve.Err.Error(); s.Scrub(text) != text {
				cp.Err = errors.New(s.Scrub(text))
			}
		}
		if cp.Message == ve.Message && cp.Code == ve.Code && cp.Err == ve.Err {
			return err
		}
		return &cp
	}
	if text := err.Error(); s.Scrub(text) != text {
		return errors.New(s.Scrub(text))
	}
	return err
}

// Recorder returns a Recorder that hands rec every call with the secrets removed (ScrubCall); rec
// may be nil (the calls are then dropped). A client given it tells it the tokens it obtains
// through KeepSecret.
func (s *Secrets) Recorder(rec Recorder) Recorder { return &scrubbing{rec: rec, secrets: s} }

type scrubbing struct {
	rec     Recorder
	secrets *Secrets
}

func (r *scrubbing) RecordCall(ctx context.Context, c Call) {
	if r.rec != nil {
		r.rec.RecordCall(ctx, r.secrets.ScrubCall(c))
	}
}

func (r *scrubbing) keepSecret(values ...string) { r.secrets.addTokens(values...) }

// KeepSecret tells rec, when it is a Secrets' Recorder, of secret values a client obtained from
// the vendor (access and refresh tokens): they are removed from every call recorded after (the
// latest keptTokens of them). For any other Recorder it does nothing.
func KeepSecret(rec Recorder, values ...string) {
	if k, ok := rec.(interface{ keepSecret(...string) }); ok {
		k.keepSecret(values...)
	}
}
