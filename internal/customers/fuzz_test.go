package customers

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"kycdesk/internal/apperr"
	"kycdesk/internal/db"
	"kycdesk/internal/normalize"
)

// fuzzNow is a fixed "now", so a run is repeatable.
var fuzzNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// postForm is a POST carrying body as a url-encoded form, read as the handlers read it.
func postForm(t *testing.T, body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/customers", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := r.ParseForm(); err != nil {
		return nil
	}
	return r
}

// storableText reports whether s can be written to a PostgreSQL text column and shown as it is:
// valid UTF-8, no control characters (line breaks only where allowed), no invisible format
// characters (bidi controls, zero-width spaces …) and a zero-width joiner or non-joiner only
// between letters or marks.
func storableText(s string, lines bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	rs := []rune(s)
	for i, r := range rs {
		if joiner(r) && (i == 0 || i == len(rs)-1 || !inWord(rs[i-1]) || !inWord(rs[i+1])) {
			return false
		}
		if (r == '\n' && lines) || !(unicode.IsControl(r) || invisible(r)) {
			continue
		}
		return false
	}
	return true
}

// tidy reports whether s has no leading, trailing or doubled spaces.
func tidy(s string) bool {
	return s == strings.Join(strings.Fields(s), " ")
}

var customerFields = map[string]bool{"external_ref": true, "given_names": true, "surname": true, "date_of_birth": true,
	"nationality": true, "residence_country": true, "email": true, "phone": true, "address": true}

// FuzzCustomerForm decodes the new-customer and edit-customer form as the handler does
// (formInput, then Normalise, as Service.Create and Update do) and asserts: every problem is
// reported under a field of the form with words; what is accepted satisfies the rules and can be
// stored and shown as it is; and accepted input normalises to itself, so saving an unchanged
// form changes nothing.
func FuzzCustomerForm(f *testing.F) {
	for _, v := range []url.Values{
		{"external_ref": {"crm:4411-a"}, "given_names": {"Anna  Maria"}, "surname": {" Eriksson "}, "date_of_birth": {"1974-08-12"},
			"nationality": {"swe"}, "residence_country": {"GBR"}, "email": {"anna@example.com"}, "phone": {"+44 (20) 7946-0018"},
			"address": {"1 High Street\r\n  London \r\n\r\nSW1A 1AA"}},
		{"surname": {"Ng"}},
		{"surname": {"O'Brien-Łukasiewicz"}, "given_names": {"Zoë"}, "date_of_birth": {"2026-03-02"}, "email": {"Anna <anna@example.com>"}},
		{"surname": {"<script>alert(1)</script>"}, "given_names": {"\"; DROP TABLE customers; --"}, "address": {"\u202egpj.exe"}},
		{"surname": {"Nul\x00byte"}, "given_names": {"bad\xffutf8"}, "address": {"a\tb\x01c"}},
		{"surname": {strings.Repeat("a", 199) + " b"}, "address": {strings.Repeat("x ", 200)}},
		{"surname": {"A"}, "date_of_birth": {"1899-12-31"}, "nationality": {"GB"}, "phone": {"12"}, "external_ref": {"a b"}},
		{"surname": {"B"}, "nationality": {"XYZ"}, "residence_country": {"XXA"}},
		{"surname": {"C"}, "nationality": {"d<<"}, "residence_country": {"Germany"}},
		{"surname": {"\u200b"}, "given_names": {"\u3164"}, "phone": {"+   ()"}},
		{"surname": {"\u200dX\u200d"}, "given_names": {"\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \ufeffAnn\u00ad"}, "phone": {"----"}},
		{"surname": {"Today"}, "date_of_birth": {"2026-03-01"}, "phone": {"+1 (0) 12"}},
	} {
		f.Add([]byte(v.Encode()))
	}
	f.Add([]byte("surname=%00&given_names=%ff%fe&address=%0d%0a%0d%0a&surname=second"))
	f.Add([]byte("surname=a;b&&=&%zz"))
	f.Fuzz(func(t *testing.T, body []byte) {
		r := postForm(t, body)
		if r == nil {
			return // the handler answers "The form could not be read."
		}
		in := formInput(r)
		errs := in.Normalise(fuzzNow)
		for k, msg := range errs {
			if !customerFields[k] || msg == "" {
				t.Fatalf("error %q: %q is not a field of the form", k, msg)
			}
		}
		if len(errs) > 0 {
			return
		}
		checkCustomer(t, in)
		again := in
		if errs := again.Normalise(fuzzNow); len(errs) > 0 || !equalInput(again, in) {
			t.Fatalf("accepted input does not normalise to itself: %+v → %+v %v", in, again, errs)
		}
	})
}

func equalInput(a, b Input) bool {
	if len(a.Documents) != len(b.Documents) {
		return false
	}
	for i := range a.Documents {
		if a.Documents[i] != b.Documents[i] {
			return false
		}
	}
	a.Documents, b.Documents = nil, nil
	return a.ExternalRef == b.ExternalRef && a.GivenNames == b.GivenNames && a.Surname == b.Surname && a.DateOfBirth == b.DateOfBirth &&
		a.Nationality == b.Nationality && a.ResidenceCountry == b.ResidenceCountry && a.Email == b.Email && a.Phone == b.Phone && a.Address == b.Address
}

// checkCustomer asserts the rules Normalise promises for accepted input.
func checkCustomer(t *testing.T, in Input) {
	t.Helper()
	for name, s := range map[string]string{"external_ref": in.ExternalRef, "given_names": in.GivenNames, "surname": in.Surname,
		"date_of_birth": in.DateOfBirth, "nationality": in.Nationality, "residence_country": in.ResidenceCountry, "email": in.Email,
		"phone": in.Phone} {
		if !storableText(s, false) {
			t.Fatalf("%s %q cannot be stored or shown as it is", name, s)
		}
	}
	if !storableText(in.Address, true) {
		t.Fatalf("address %q cannot be stored or shown as it is", in.Address)
	}
	if in.Surname == "" || !tidy(in.Surname) || !tidy(in.GivenNames) || utf8.RuneCountInString(in.Surname) > 200 || utf8.RuneCountInString(in.GivenNames) > 200 {
		t.Fatalf("names %q %q", in.GivenNames, in.Surname)
	}
	// A name shows: it has a letter that is not blank.
	if !hasLetter(in.Surname) || (in.GivenNames != "" && !hasLetter(in.GivenNames)) {
		t.Fatalf("names without a letter that shows: %q %q", in.GivenNames, in.Surname)
	}
	// The address's limit is on the whole (500 characters, refused beyond, never cut), not a line.
	if utf8.RuneCountInString(in.Address) > 500 {
		t.Fatalf("address of %d characters accepted", utf8.RuneCountInString(in.Address))
	}
	for _, l := range strings.Split(in.Address, "\n") {
		if in.Address != "" && (l == "" || !tidy(l)) {
			t.Fatalf("address line %q", l)
		}
	}
	if in.ExternalRef != "" && !refRe.MatchString(in.ExternalRef) {
		t.Fatalf("external ref %q", in.ExternalRef)
	}
	if in.DateOfBirth != "" {
		d, err := time.Parse("2006-01-02", in.DateOfBirth)
		// In the past: before today's date, not merely before this instant of it.
		if err != nil || d.Year() < 1900 || d.Format(time.DateOnly) >= fuzzNow.Format(time.DateOnly) {
			t.Fatalf("date of birth %q", in.DateOfBirth)
		}
	}
	// Accepted countries are the codes of the one list, stored as they read back.
	if c, problem := normalize.ParseCountryCode(in.Nationality); in.Nationality != "" && (problem != "" || c != in.Nationality) {
		t.Fatalf("nationality %q", in.Nationality)
	}
	if c, problem := normalize.ParseResidenceCode(in.ResidenceCountry); in.ResidenceCountry != "" && (problem != "" || c != in.ResidenceCountry) {
		t.Fatalf("country of residence %q", in.ResidenceCountry)
	}
	if in.Email != "" {
		if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email {
			t.Fatalf("email %q", in.Email)
		}
	}
	if in.Phone != "" {
		digits := 0
		for _, r := range in.Phone {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		if !phoneRe.MatchString(in.Phone) || digits < 4 || digits > 32 {
			t.Fatalf("phone %q (%d digits)", in.Phone, digits)
		}
	}
}

// FuzzDocumentForm decodes the add-document form's declared data (the browser form and the API's
// multipart fields) as AddDocument does and asserts the same: errors under the form's fields,
// accepted data within the rules, storable, and stable when normalised again.
func FuzzDocumentForm(f *testing.F) {
	for _, v := range []url.Values{
		{"type": {"passport"}, "issuing_country": {"gbr"}, "number": {" 123456789 "}, "issue_date": {"2020-01-31"}, "expiry_date": {"2030-01-30"}},
		{"type": {"national_id"}, "number": {"d23145890 <<"}, "expiry_date": {"2031-12-31"}},
		{"type": {"residence_permit"}, "issue_date": {"2030-01-01"}, "expiry_date": {"2030-01-01"}},
		{"type": {"visa"}, "number": {"A\x00B"}, "issuing_country": {"XX"}},
		{"type": {"passport"}, "issuing_country": {"ZZZ"}},
		{"type": {"passport"}, "issuing_country": {"D"}},
		{"type": {"other"}, "number": {strings.Repeat("9", 39) + " 9"}},
		{"type": {"passport"}, "issue_date": {"2099-01-01"}},
		{"type": {"passport"}, "issue_date": {"2026-03-02"}, "expiry_date": {"2036-03-01"}},
	} {
		f.Add([]byte(v.Encode()))
	}
	fields := map[string]bool{"type": true, "issuing_country": true, "number": true, "issue_date": true, "expiry_date": true}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := postForm(t, body)
		if r == nil {
			return
		}
		fv := r.PostFormValue
		d := DocumentInput{Type: fv("type"), IssuingCountry: fv("issuing_country"), Number: fv("number"), IssueDate: fv("issue_date"), ExpiryDate: fv("expiry_date")}
		errs := d.Normalise(fuzzNow)
		for k, msg := range errs {
			if !fields[k] || msg == "" {
				t.Fatalf("error %q: %q is not a field of the form", k, msg)
			}
		}
		if len(errs) > 0 {
			return
		}
		if c, problem := normalize.ParseCountryCode(d.IssuingCountry); !db.DocumentType(d.Type).Valid() ||
			(d.IssuingCountry != "" && (problem != "" || c != d.IssuingCountry)) ||
			(d.Number != "" && (!docNumRe.MatchString(d.Number) || !tidy(d.Number))) {
			t.Fatalf("accepted %+v", d)
		}
		issue, err1 := parseDate(d.IssueDate)
		expiry, err2 := parseDate(d.ExpiryDate)
		// Issued by now somewhere on earth: no later than the date in UTC+14.
		if !err1 || !err2 || (issue != nil && expiry != nil && !expiry.After(*issue)) ||
			(issue != nil && issue.Format(time.DateOnly) > fuzzNow.Add(14*time.Hour).Format(time.DateOnly)) {
			t.Fatalf("dates %q %q", d.IssueDate, d.ExpiryDate)
		}
		again := d
		if errs := again.Normalise(fuzzNow); len(errs) > 0 || again != d {
			t.Fatalf("accepted document does not normalise to itself: %+v → %+v %v", d, again, errs)
		}
	})
}

// multipartBody builds an upload with the given parts (field name, file name, data).
func multipartBody(parts [][3]string) ([]byte, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, p := range parts {
		if p[1] == "" {
			_ = w.WriteField(p[0], p[2])
			continue
		}
		fw, _ := w.CreateFormFile(p[0], p[1])
		_, _ = fw.Write([]byte(p[2]))
	}
	_ = w.Close()
	return b.Bytes(), w.Boundary()
}

// FuzzReadFiles reads an upload's files as the browser and API handlers do: a body that is not a
// readable multipart form is refused with a message under a field, never a panic or an internal
// error; what is read is only front, back and selfie files, each within the size limit.
func FuzzReadFiles(f *testing.F) {
	const maxFile = 1 << 10
	body, boundary := multipartBody([][3]string{{"front", "passport.jpg", "\xff\xd8\xff\xe0 jpeg"}, {"back", "back.png", "\x89PNG\r\n\x1a\n"},
		{"selfie", "me.jpg", "\xff\xd8"}, {"selfie", "me2.jpg", "\xff\xd8"}, {"type", "", "passport"}})
	f.Add(body, boundary)
	body, boundary = multipartBody([][3]string{{"front", "../../etc/passwd", strings.Repeat("A", maxFile+1)}})
	f.Add(body, boundary)
	body, boundary = multipartBody([][3]string{{"other", "x.exe", "MZ"}, {"front", "", ""}})
	f.Add(body, boundary)
	f.Add([]byte("--b\r\nContent-Disposition: form-data; name=\"front\"; filename=\"a\"\r\n\r\nxx"), "b")
	f.Add([]byte(""), "")
	f.Fuzz(func(t *testing.T, body []byte, boundary string) {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/customers/x/documents", bytes.NewReader(body))
		r.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
		files, err := ReadFiles(httptest.NewRecorder(), r, maxFile)
		if r.MultipartForm != nil {
			defer r.MultipartForm.RemoveAll()
		}
		if err != nil {
			ae, ok := apperr.As(err)
			if !ok || ae.Message == "" || (ae.Code == apperr.Invalid && len(ae.Fields) == 0) {
				t.Fatalf("refusal %v is not a message for the user", err)
			}
			return
		}
		for _, fl := range files {
			if fl.Kind != "front" && fl.Kind != "back" && fl.Kind != "selfie" {
				t.Fatalf("read a %q file", fl.Kind)
			}
			if len(fl.Data) > maxFile {
				t.Fatalf("read %d bytes with a %d byte limit", len(fl.Data), maxFile)
			}
		}
	})
}
