package intake

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"kycdesk/internal/apperr"
)

// What is refused in any text the API is sent: PostgreSQL stores neither (a NUL or a byte
// sequence that is not UTF-8 in a query parameter failed the request with a 500), and decoding
// would otherwise turn them into something else without a word (encoding/json reads bytes that
// are not UTF-8 and unpaired surrogate escapes as U+FFFD; the customer's fields drop a NUL).
const (
	notUTF8 = "Send text in UTF-8: this value holds bytes that are not UTF-8."
	hasNUL  = "Remove the NUL character (U+0000): it is not text."
	badEsc  = "This value holds an unpaired surrogate escape (\\ud800 to \\udfff), which is not a character: send text in UTF-8."
)

// textProblem says what is wrong with s as text, "" when nothing is.
func textProblem(s string) string {
	if !utf8.ValidString(s) {
		return notUTF8
	}
	if strings.IndexByte(s, 0) >= 0 {
		return hasNUL
	}
	return ""
}

// fieldName is a name the client sent, fit to name a field in an answer.
func fieldName(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", `\u0000`)
}

// requestText refuses, each on its field (422), a path id or query parameter (its name or its
// value) that is not text: every API handler reads its request through it first.
func requestText(r *http.Request) error {
	errs := map[string]string{}
	if rc := chi.RouteContext(r.Context()); rc != nil {
		for i, k := range rc.URLParams.Keys {
			if i < len(rc.URLParams.Values) {
				// The router reads an escaped path as sent ("%ff") when Go's escaping of it differs.
				v := rc.URLParams.Values[i]
				if u, err := url.PathUnescape(v); err == nil {
					v = u
				}
				if msg := textProblem(v); msg != "" {
					errs[k] = msg
				}
			}
		}
	}
	for k, vs := range r.URL.Query() {
		if msg := textProblem(k); msg != "" {
			errs[fieldName(k)] = "The name of this query parameter is not text. " + msg
			continue
		}
		for _, v := range vs {
			if msg := textProblem(v); msg != "" {
				errs[k] = msg
			}
		}
	}
	return apperr.Fields(errs)
}

// jsonStringProblem says what is wrong with raw, one JSON string token as sent, as text: bytes
// that are not UTF-8, an escaped NUL (\u0000), or an unpaired surrogate escape. "" when nothing is.
func jsonStringProblem(raw []byte) string {
	if !utf8.Valid(raw) {
		return notUTF8
	}
	if bytes.IndexByte(raw, 0) >= 0 {
		return hasNUL
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' || i+1 >= len(raw) {
			continue
		}
		if raw[i+1] != 'u' {
			i++ // \" \\ \n …: the escaped character is not an escape itself
			continue
		}
		r, ok := hex4(raw, i+2)
		if !ok {
			return "" // not valid JSON: the decoder says so
		}
		switch {
		case r == 0:
			return hasNUL
		case r >= 0xD800 && r < 0xDC00: // high surrogate: a low one must follow
			if i+12 > len(raw) || raw[i+6] != '\\' || raw[i+7] != 'u' {
				return badEsc
			}
			lo, ok := hex4(raw, i+8)
			if !ok || lo < 0xDC00 || lo >= 0xE000 {
				return badEsc
			}
			i += 11
		case r >= 0xDC00 && r < 0xE000:
			return badEsc
		default:
			i += 5
		}
	}
	return ""
}

// hex4 reads the four hex digits of a \u escape at raw[at:].
func hex4(raw []byte, at int) (rune, bool) {
	if at+4 > len(raw) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(raw[at:at+4]), 16, 32)
	return rune(n), err == nil
}
