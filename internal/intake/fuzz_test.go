package intake

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"kycdesk/internal/apperr"
	"kycdesk/internal/customers"
)

// FuzzDecodeCustomer decodes a POST /api/v1/customers body as CreateCustomer does (decodeJSON,
// then the customer service's Normalise) and asserts: a refusal is an *apperr.Error with words,
// and a field error names a field; a body accepted by both can be stored (no NUL, valid UTF-8,
// no control characters but the address's line breaks); and the customer the API would return,
// sent back as a new body, is accepted the same.
func FuzzDecodeCustomer(f *testing.F) {
	for _, s := range []string{
		`{"external_ref":"crm-1","given_names":"Anna Maria","surname":"Eriksson","date_of_birth":"1974-08-12","nationality":"SWE",
		  "residence_country":"gbr","email":"anna@example.com","phone":"+46 8 123 456","address":"1 High St\nLondon",
		  "documents":[{"type":"passport","issuing_country":"SWE","number":"l898902c3","issue_date":"2012-04-15","expiry_date":"2032-04-15"}]}`,
		`{"surname":"Ng"}`,
		`{"surname":"A\u0000B","given_names":"\ud800","address":"x\u001by\u202ez"}`,
		`{"surname":"A","documents":[{"type":"passport"},{"type":"visa","number":"<<<"}]}`,
		`{"surname":1}`, `{"surname":"A","extra":true}`, `{"surname":"A"} {"surname":"B"}`, `[{"surname":"A"}]`,
		`null`, ``, `{"surname":"A","documents":null}`, `{"SURNAME":"case"}`,
		`{"surname":"A","surname":"B"}`, `{"surname":"A","documents":[{"type":"passport","type":"other"}]}`, `{"surname":"A","sur\u006eame":"B"}`,
		`{"surname":"\u200b","phone":"----","documents":[{"type":"passport","issue_date":"2099-01-01"}]}`,
	} {
		f.Add([]byte(s))
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		var in customers.Input
		if err := decodeJSON(body, &in); err != nil {
			ae, ok := apperr.As(err)
			if !ok || ae.Code != apperr.Invalid || ae.Message == "" {
				t.Fatalf("refusal %v is not a message for the client", err)
			}
			if strings.Contains(ae.Message, "customers.") {
				t.Fatalf("message %q names a Go type", ae.Message)
			}
			for k, msg := range ae.Fields {
				if k == "" || msg == "" || strings.Contains(msg, "customers.") || strings.Contains(msg, "[]") {
					t.Fatalf("field error %q: %q", k, msg)
				}
			}
			return
		}
		// Decoding keeps one value per member: a body that sent one twice is refused, never read
		// as its last value.
		if !distinctMembers(body) {
			t.Fatalf("accepted %s, which sends a member twice", body)
		}
		if errs := in.Normalise(now); len(errs) > 0 {
			return
		}
		for _, s := range texts(in) {
			if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r != '\n' && unicode.IsControl(r) }) {
				t.Fatalf("accepted %q, which cannot be stored as it is", s)
			}
		}
		echo, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		var again customers.Input
		if err := decodeJSON(echo, &again); err != nil {
			t.Fatalf("the accepted customer sent back is refused: %v", err)
		}
		if errs := again.Normalise(now); len(errs) > 0 || !equal(again, in) {
			t.Fatalf("sent back: %+v → %+v %v", in, again, errs)
		}
	})
}

// distinctMembers reports whether no object in the JSON value raw has a member twice.
func distinctMembers(raw []byte) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return true
	}
	switch raw[0] {
	case '{':
		members, ok := objectMembers(raw)
		if !ok {
			return true // not an object: nothing to repeat
		}
		seen := map[string]bool{}
		for _, m := range members {
			if seen[m.name] || !distinctMembers(m.value) {
				return false
			}
			seen[m.name] = true
		}
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) == nil {
			for _, it := range items {
				if !distinctMembers(it) {
					return false
				}
			}
		}
	}
	return true
}

func texts(in customers.Input) []string {
	out := []string{in.ExternalRef, in.GivenNames, in.Surname, in.DateOfBirth, in.Nationality, in.ResidenceCountry, in.Email, in.Phone, in.Address}
	for _, d := range in.Documents {
		out = append(out, d.Type, d.IssuingCountry, d.Number, d.IssueDate, d.ExpiryDate)
	}
	return out
}

func equal(a, b customers.Input) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// FuzzTokenName: an accepted API token name is one line of at most 80 characters that can be
// stored and shown as it is, and reads back as itself.
func FuzzTokenName(f *testing.F) {
	for _, s := range []string{"  CRM   onboarding ", "", "\r\n\t", strings.Repeat("ø", 81), "nul\x00byte", "bad\xffutf8", "esc\x1b[2J"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, ok := tokenName(s)
		if !ok {
			return
		}
		if name == "" || utf8.RuneCountInString(name) > 80 || !utf8.ValidString(name) || name != strings.Join(strings.Fields(name), " ") ||
			strings.ContainsFunc(name, unicode.IsControl) {
			t.Fatalf("token name %q cannot be stored and shown as it is", name)
		}
		if again, ok := tokenName(name); !ok || again != name {
			t.Fatalf("token name %q read again is %q", name, again)
		}
	})
}
