package cynopsis

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"kycdesk/internal/vendors"
)

// FuzzParseDocument: an Artemis document record (the answer to a document upload and to the
// liveness and OCR PUTs) never panics the parser; anything that is not a JSON object is a
// Transient vendor error with words, any JSON object is accepted whatever its members' types,
// and what is accepted can be encoded again (the liveness push logs it).
func FuzzParseDocument(f *testing.F) {
	f.Add(readFixture(f, "liveness_response_example.json"))
	for _, s := range []string{
		`{"id":"77","customerId":5,"createdAt":{"year":124,"month":0,"date":5,"hours":1,"minutes":2,"seconds":3},"createdBy":"x","liveness":{"conclusion":true}}`,
		`{"id":1.5e300,"customerId":-1,"issueDate":"31/12/2023","expiryDate":1699335116000,"showExpiryNotification":"yes"}`,
		`{"id":9223372036854775807,"createdAt":{"time":-9e18},"updatedAt":{"year":1e9,"month":-5}}`,
		`{"createdBy":{},"updatedBy":{"id":"abc"},"faceCompare":null,"other":[1,2]}`,
		`{"id":`, `[]`, `null`, ``, `<html>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := ParseDocument(body)
		if err != nil {
			var ve *vendors.Error
			if !errors.As(err, &ve) || ve.Kind != vendors.Transient || ve.Message == "" || ve.Vendor != vendors.Artemis {
				t.Fatalf("error %v is not a Transient Artemis error with words", err)
			}
			if d != nil {
				t.Fatal("a document and an error")
			}
			if b := bytes.TrimSpace(body); json.Valid(b) && len(b) > 0 && b[0] == '{' {
				t.Fatalf("a JSON object refused: %v", err)
			}
			return
		}
		if _, err := json.Marshal(d); err != nil {
			t.Fatalf("document cannot be encoded: %v", err)
		}
		for _, raw := range []json.RawMessage{d.FaceCompare, d.Liveness, d.Other} {
			if raw != nil && !json.Valid(raw) {
				t.Fatalf("kept %q, which is not JSON", raw)
			}
		}
		for _, u := range []*UserInfo{d.CreatedBy, d.UpdatedBy} {
			if u != nil && *u == (UserInfo{}) {
				t.Fatal("an empty user instead of none")
			}
		}
	})
}

// FuzzArtemisRefusal: any answer that is not a success is classified by its status alone (429
// and 5xx Transient, 401 and 403 Auth, other 4xx Invalid), carries words, and quotes the vendor's
// message only where it helps the user; the duplicate-customer test never panics on any body.
func FuzzArtemisRefusal(f *testing.F) {
	for _, c := range []struct {
		status int
		body   string
	}{
		{400, `{"timestamp":"2024-01-01T00:00:00Z","status":400,"error":"Bad Request","message":"profileReferenceId already exists","path":"/api/customer"}`},
		{404, `{"error":"not_found","error_description":"no such customer"}`},
		{409, ``},
		{422, `{"detail":"Duplicate entry"}`},
		{429, `{"message":"slow down"}`},
		{503, `<html>down</html>`},
		{401, `{"error":"invalid_token","message":7}`},
		{400, `{"message":["a","b"],"description":{"x":1}}`},
	} {
		f.Add(c.status, []byte(c.body))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 300 || status > 599 {
			return
		}
		_ = isDuplicate(status, body)
		code, msg, err := httpError(vendors.Artemis, status, http.Header{}, body)
		var ve *vendors.Error
		if !errors.As(err, &ve) {
			t.Fatalf("%T is not a vendor error", err)
		}
		want := vendors.Invalid
		switch {
		case status == http.StatusTooManyRequests || status >= 500:
			want = vendors.Transient
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			want = vendors.Auth
		}
		if ve.Kind != want || ve.HTTPStatus != status {
			t.Fatalf("HTTP %d classified %s (status %d)", status, ve.Kind, ve.HTTPStatus)
		}
		if msg == "" || msg != ve.Message || code != ve.Code {
			t.Fatalf("code %q message %q for %+v", code, msg, ve)
		}
		if strings.ContainsAny(code, " \t") {
			t.Fatalf("code %q is a phrase", code)
		}
	})
}

// FuzzParseArtemisCallback: a callback body, which anyone holding the URL can send, never panics
// the parser; what it accepts names a customer, and its words are short, single-line and free of
// control characters (they are stored and shown on the case timeline).
func FuzzParseArtemisCallback(f *testing.F) {
	for _, s := range []string{
		`{"customerId":4242,"customerReferenceId":"C-1","profileReferenceId":"0b4c7c1e-1111-4222-8333-444455556666","status":"CLEARED","riskRating":"LOW","action":"NONE","customerType":"INDIVIDUAL"}`,
		`{"customerId":"77","status":null}`, `{"profileReferenceId":"x","status":"REQUIRE_UPDATE\u0000"}`,
		`{"customerId":1e300}`, `{"customerId":-5}`, `{"status":["CLEARED"]}`, `[]`, `null`, ``, `{"customerId":`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		cb, err := ParseArtemisCallback(body)
		if err != nil {
			return
		}
		if cb.CustomerID <= 0 && cb.ProfileReferenceID == "" {
			t.Fatalf("accepted a callback naming no customer: %+v", cb)
		}
		for _, s := range []string{cb.CustomerReferenceID, cb.ProfileReferenceID, cb.Status, cb.RiskRating, cb.Action, cb.CustomerType} {
			if len([]rune(s)) > 200 || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Fatalf("a word kept as %q", s)
			}
		}
	})
}
