package users

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"kycdesk/internal/apperr"
	"kycdesk/internal/db"
)

// FuzzNewUserForm decodes the admin's new-user form as the handler does and validates it: a
// refusal names fields of the form; an accepted user has a lower-case address that parses as
// itself, a one-line name of at most 120 characters that can be stored and shown as it is (no
// control characters), a known role and setup, and validates to itself again.
func FuzzNewUserForm(f *testing.F) {
	for _, v := range []url.Values{
		{"email": {" Ana.Silva@Example.com "}, "name": {"  Ana   Silva "}, "role": {"reviewer"}, "setup": {"link"}},
		{"email": {"bob@example.com"}, "name": {"Bob"}, "role": {"admin"}, "setup": {"password"}},
		{"email": {"Ana <ana@example.com>"}, "name": {strings.Repeat("ñ", 121)}, "role": {"root"}, "setup": {"given"}},
		{"email": {"nul@example.com"}, "name": {"Nul\x00Byte"}, "role": {"manager"}, "setup": {"link"}},
		{"email": {"x@example.com"}, "name": {"\u202eevil\x1b[2J"}, "role": {"manager"}, "setup": {"link"}},
	} {
		f.Add([]byte(v.Encode()))
	}
	fields := map[string]bool{"email": true, "name": true, "role": true, "setup": true, "password": true}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/admin/users", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if r.ParseForm() != nil {
			return
		}
		in, err := Validate(NewUser{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Role: r.PostFormValue("role"),
			Setup: Setup(r.PostFormValue("setup"))})
		if err != nil {
			ae, ok := apperr.As(err)
			if !ok || len(ae.Fields) == 0 {
				t.Fatalf("refusal %v names no field", err)
			}
			for k, msg := range ae.Fields {
				if !fields[k] || msg == "" {
					t.Fatalf("error %q: %q", k, msg)
				}
			}
			return
		}
		if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email || in.Email != strings.ToLower(in.Email) {
			t.Fatalf("email %q", in.Email)
		}
		if in.Name == "" || utf8.RuneCountInString(in.Name) > 120 || !utf8.ValidString(in.Name) || in.Name != strings.Join(strings.Fields(in.Name), " ") ||
			strings.ContainsFunc(in.Name+in.Email, unicode.IsControl) {
			t.Fatalf("name %q or email %q cannot be stored and shown as it is", in.Name, in.Email)
		}
		if !db.UserRole(in.Role).Valid() || (in.Setup != SetupLink && in.Setup != SetupPassword) {
			t.Fatalf("role %q setup %q", in.Role, in.Setup)
		}
		if again, err := Validate(in); err != nil || again != in {
			t.Fatalf("validated again: %+v %v", again, err)
		}
	})
}
