package vendors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// MaxBody is the largest response body a client reads. Vendor answers are a few kilobytes; a larger
// one is a fault and is refused rather than buffered.
const MaxBody = 4 << 20

// ReadBody reads at most limit bytes of r. A longer body is a Transient error: a proxy or a broken
// vendor sent something that is not an answer.
func ReadBody(v Name, r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, &Error{Vendor: v, Kind: Transient, Message: "The vendor's answer was cut off.", Err: err}
	}
	if int64(len(b)) > limit {
		return nil, &Error{Vendor: v, Kind: Transient, Message: fmt.Sprintf("The vendor's answer was larger than %s and was refused.", size(limit))}
	}
	return b, nil
}

// secretKeys are JSON keys whose values never leave a client in a logged body, as secretKey
// compares them: access_token, accessToken and Access-Token are one key.
var secretKeys = map[string]bool{
	"accesstoken": true, "refreshtoken": true, "idtoken": true, "access": true, "refresh": true, "token": true,
	"clientsecret": true, "secret": true, "password": true, "apikey": true, "xapikey": true, "appkey": true,
	"authorization": true,
}

// secretKey reports whether a JSON key holds a secret, whatever its case and whether its words
// are joined by "_", "-", a space or nothing. A vendor may still echo a secret under another
// name, or in a message: Secrets removes those by value.
func secretKey(key string) bool {
	return secretKeys[strings.Map(func(r rune) rune {
		switch r {
		case '_', '-', ' ':
			return -1
		}
		return unicode.ToLower(r)
	}, key)]
}

// imageKeys hold base64 images; they are replaced by their length.
var imageKeys = map[string]bool{
	"idimage": true, "idbackimage": true, "image": true, "referenceimage": true, "auditimages": true,
	"doc": true, "selfie": true, "portrait": true, "face_image": true, "photo": true, "signature": true,
}

// Redact returns body with the values of secret keys (secretKey) and base64 images replaced, for
// storage and display. A body that is not JSON is kept as text, with long runs of base64 cut. A
// secret the vendor quotes elsewhere (in a message) is not found by its key: the clients record
// their calls through Secrets, which removes their secrets by value.
func Redact(body []byte) []byte {
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return redactText(body)
	}
	v = redactValue("", v)
	out, err := marshalText(v, "")
	if err != nil {
		return redactText(body)
	}
	return out
}

// marshalText encodes v as JSON with its text as it is: json.Marshal writes "<", ">" and "&" as
// \u003c, \u003e and \u0026 (for HTML), which turned an MRZ into P\u003cGBRELSWORTHIN\u003c\u003c…
// Pages escape for HTML themselves. indent "" writes it compact.
// MarshalText encodes v as JSON keeping its text as it is ("<" stays "<", not "\u003c"): how a
// vendor's answer is stored, so an MRZ reads as printed.
func MarshalText(v any) ([]byte, error) { return marshalText(v, "") }

func marshalText(v any, indent string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Pretty indents a JSON body for reading, its text as it is: a "<" shows as "<" (a body stored
// before Redact kept it so shows readably too). ok is false when body is not one JSON value. Keys
// come out sorted, as Redact stores them.
func Pretty(body []byte) (pretty string, ok bool) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", false
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", false
	}
	out, err := marshalText(v, "  ")
	if err != nil {
		return "", false
	}
	return string(out), true
}

func redactValue(key string, v any) any {
	if v != nil && secretKey(key) {
		return Redacted // whatever it holds: a string, or an object of credentials
	}
	lk := strings.ToLower(strings.ReplaceAll(key, " ", ""))
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = redactValue(k, x)
		}
		return t
	case []any:
		for i, x := range t {
			t[i] = redactValue(key, x)
		}
		return t
	case string:
		if imageKeys[lk] && len(t) > 64 || looksLikeBase64Blob(t) {
			return "[image " + strconv.Itoa(len(t)) + " bytes of base64 removed]"
		}
		return t
	default:
		return v
	}
}

func looksLikeBase64Blob(s string) bool {
	if len(s) < 512 {
		return false
	}
	if strings.HasPrefix(s, "data:") {
		return true
	}
	for _, r := range s[:512] {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '/' || r == '=') {
			return false
		}
	}
	return true
}

func redactText(b []byte) []byte {
	const keep = 64 << 10
	if len(b) > keep {
		b = append(append([]byte{}, b[:keep]...), []byte("… [cut]")...)
	}
	return b
}

// StatusError classifies an HTTP status that carried no documented business error.
func StatusError(v Name, resp *http.Response, body []byte) *Error {
	e := &Error{Vendor: v, HTTPStatus: resp.StatusCode}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		e.Kind, e.Message = Transient, "The vendor is rate limiting requests."
		e.RetryAfter = RetryAfter(resp.Header.Get("Retry-After"))
	case resp.StatusCode >= 500:
		e.Kind, e.Message = Transient, fmt.Sprintf("The vendor's service failed (HTTP %d).", resp.StatusCode)
		e.RetryAfter = RetryAfter(resp.Header.Get("Retry-After")) // a 503 may say when to come back
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		e.Kind, e.Message = Auth, "The vendor refused the credentials."
	case resp.StatusCode == http.StatusRequestEntityTooLarge:
		e.Kind, e.Message = Invalid, "The vendor refused the image as too large."
	default:
		e.Kind, e.Message = Invalid, fmt.Sprintf("The vendor refused the request (HTTP %d).", resp.StatusCode)
	}
	return e
}

// RetryAfter parses a Retry-After header (seconds or HTTP date); zero when absent or unreadable.
func RetryAfter(h string) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.Atoi(h); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// TransportError wraps an error from http.Client.Do: always Transient.
func TransportError(v Name, err error) *Error {
	msg := "The vendor could not be reached."
	var te interface{ Timeout() bool }
	if errors.As(err, &te) && te.Timeout() {
		msg = "The vendor did not answer in time."
	}
	return &Error{Vendor: v, Kind: Transient, Message: msg, Err: err}
}

// size says a byte count as people read it: "4 MB", "512 KB", "1500 bytes".
func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
