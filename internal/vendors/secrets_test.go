package vendors

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestRedactKnowsTheSecretKeysUnderAnyName: a secret is redacted under each spelling vendors and
// frameworks give its key (camelCase, snake_case, kebab-case, any case), and an object held by
// such a key (an authorization block) is redacted whole; other keys are kept.
func TestRedactKnowsTheSecretKeysUnderAnyName(t *testing.T) {
	for _, key := range []string{"accessToken", "access_token", "AccessToken", "id_token", "idToken", "refresh", "refresh_token",
		"refreshToken", "authorization", "Authorization", "secret", "client_secret", "clientSecret", "password", "Password",
		"apiKey", "api_key", "API-Key", "x-api-key", "X-API-KEY", "app-key", "APP-KEY", "app_key", "token", "access"} {
		got := string(Redact([]byte(`{"outer": {"` + key + `": "v4lue-xyz"}, "kept": "visible"}`)))
		if strings.Contains(got, "v4lue-xyz") || !strings.Contains(got, `"`+key+`":"[redacted]"`) || !strings.Contains(got, `"kept":"visible"`) {
			t.Errorf("%s: %s", key, got)
		}
	}
	got := string(Redact([]byte(`{"Authorization": {"scheme": "Bearer", "credentials": "c-123456"}, "tokens": ["t-123456"], "token_type": "Bearer"}`)))
	if strings.Contains(got, "c-123456") || !strings.Contains(got, `"token_type":"Bearer"`) {
		t.Errorf("an object under a secret key: %s", got)
	}
}

// TestSecretsAreRemovedByValue: a secret is removed wherever it appears in what is stored of a
// call (in a message, quoted in JSON, URL-encoded in an address, in an error), and in an error's
// words; a token the client obtained is removed from the calls recorded after KeepSecret; values
// too short to be credentials are left alone.
func TestSecretsAreRemovedByValue(t *testing.T) {
	const key, odd = "k3y-4bc/d+e", `p"w<rd&1`
	s := NewSecrets(key, odd, "ab", "")
	var got []Call
	rec := s.Recorder(RecorderFunc(func(_ context.Context, c Call) { got = append(got, c) }))
	rec.RecordCall(context.Background(), Call{
		Endpoint:   "https://vendor.example/check/k3y-4bc%2Fd%2Be",
		VendorCode: key,
		Meaning:    "Refused: your key was " + key + " and your password " + odd + "; ab stays",
		Err:        `Post "https://vendor.example/?key=k3y-4bc%2Fd%2Be": EOF`,
		Body:       Redact([]byte(`{"message": "key ` + key + `", "note": "p\"w\u003crd\u00261"}`)),
	})
	c := got[0]
	all := strings.Join([]string{c.Endpoint, c.VendorCode, c.Meaning, c.Err, string(c.Body)}, "\n")
	for _, s := range []string{key, "k3y-4bc%2Fd%2Be", odd, `p\"w<rd&1`} {
		if strings.Contains(all, s) {
			t.Errorf("%q kept in:\n%s", s, all)
		}
	}
	if !strings.Contains(c.Meaning, "your key was [redacted]") || !strings.Contains(c.Meaning, "ab stays") {
		t.Errorf("meaning %q", c.Meaning)
	}

	KeepSecret(rec, "tok-obtained-1234")
	rec.RecordCall(context.Background(), Call{Body: []byte(`{"detail": "Bearer tok-obtained-1234 expired"}`)})
	if b := string(got[1].Body); strings.Contains(b, "tok-obtained-1234") {
		t.Errorf("an obtained token kept: %s", b)
	}
	KeepSecret(RecorderFunc(func(context.Context, Call) {}), "x") // any other Recorder: nothing happens
	// A long-lived client obtains a token every few minutes: only the latest are kept, the
	// credentials for good.
	for i := range 1000 {
		KeepSecret(rec, fmt.Sprintf("tok-renewed-%04d", i))
	}
	if n := len(s.values); n > 5*(keptTokens+2) {
		t.Errorf("%d values scanned for after 1000 tokens", n)
	}
	rec.RecordCall(context.Background(), Call{Body: []byte(`{"detail": "tok-renewed-0999 ` + key + `"}`)})
	if b := string(got[2].Body); strings.Contains(b, "tok-renewed-0999") || strings.Contains(b, key) {
		t.Errorf("the latest token or a credential kept: %s", b)
	}

	ve := &Error{Vendor: Argos, Kind: Invalid, Code: key, Message: "It said: " + key, Err: errors.New("body: " + key)}
	err := s.ScrubError(fmt.Errorf("check: %w", ve))
	var out *Error
	if !errors.As(err, &out) || out.Kind != Invalid || strings.Contains(out.Message+out.Code+out.Err.Error(), key) {
		t.Errorf("scrubbed error %v", err)
	}
	if ve.Message != "It said: "+key {
		t.Error("the original error was changed")
	}
	plain := errors.New("nothing secret")
	if s.ScrubError(plain) != plain || s.ScrubError(nil) != nil {
		t.Error("an error without a secret is not returned as it is")
	}
	var none *Secrets
	if none.Scrub(key) != key || none.ScrubCall(Call{Meaning: key}).Meaning != key {
		t.Error("a nil Secrets changes text")
	}
}
