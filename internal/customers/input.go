// Package customers is the intake of KYC subjects: a customer's declared data, their documents and
// the images of those documents, whether entered by staff in the browser or pushed by an
// onboarding front end through the API. Creating a customer opens their case.
package customers

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"kycdesk/internal/db"
	"kycdesk/internal/normalize"
)

// Input is a customer's declared data. The same names are the form fields and the API's JSON keys.
type Input struct {
	ExternalRef      string          `json:"external_ref"`
	GivenNames       string          `json:"given_names"`
	Surname          string          `json:"surname"`
	DateOfBirth      string          `json:"date_of_birth"`     // YYYY-MM-DD
	Nationality      string          `json:"nationality"`       // normalize.ParseCountryCode
	ResidenceCountry string          `json:"residence_country"` // normalize.ParseResidenceCode
	Email            string          `json:"email"`
	Phone            string          `json:"phone"`
	Address          string          `json:"address"`
	Documents        []DocumentInput `json:"documents,omitempty"` // declared documents (API)
}

// DocumentInput is a document as declared.
type DocumentInput struct {
	Type           string `json:"type"`            // passport, national_id, driving_licence, residence_permit, other
	IssuingCountry string `json:"issuing_country"` // normalize.ParseCountryCode
	Number         string `json:"number"`
	IssueDate      string `json:"issue_date"`
	ExpiryDate     string `json:"expiry_date"`
}

// DocumentTypes lists the document types with their names in words.
var DocumentTypes = []struct{ Value, Label string }{
	{"passport", "Passport"}, {"national_id", "National ID"}, {"driving_licence", "Driving licence"},
	{"residence_permit", "Residence permit"}, {"other", "Other"},
}

// DocumentTypeLabel is a document type in words.
func DocumentTypeLabel(t db.DocumentType) string {
	for _, d := range DocumentTypes {
		if d.Value == string(t) {
			return d.Label
		}
	}
	return string(t)
}

var (
	phoneRe  = regexp.MustCompile(`^\+?[0-9 ()./-]{4,32}$`)
	refRe    = regexp.MustCompile(`^[A-Za-z0-9._:/-]{1,100}$`)
	docNumRe = regexp.MustCompile(`^[A-Za-z0-9 <./-]{1,40}$`)
)

// clean makes one line of text fit to store and show: invalid UTF-8 becomes U+FFFD, spaces of any
// kind one space, control characters (NUL included, which PostgreSQL refuses) and invisible
// format characters (invisible) are dropped. Nothing is cut: a value longer than its field allows
// is refused (longer), never shortened without a word.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	var prev rune // the last rune kept
	for i, r := range s {
		switch {
		case unicode.IsSpace(r):
			r = ' '
		case unicode.IsControl(r):
			continue
		case joiner(r):
			// Kept only inside a word, where it shapes how the word is written.
			next, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):])
			if !inWord(prev) || !inWord(next) {
				continue
			}
		case invisible(r):
			continue
		}
		b.WriteRune(r)
		prev = r
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// invisible reports the format characters (Unicode category Cf) but the zero-width joiner and
// non-joiner: zero-width spaces, the bidi embedding, override and isolate controls, which make
// text read in another order than it is stored ("\u202egpj.exe" shows as "exe.jpg"), the
// direction marks, the byte order mark, the soft hyphen, tags. They show nothing, so a name made
// of them looks empty, and two names that read alike would differ.
func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) && !joiner(r)
}

// joiner reports the zero-width non-joiner and joiner, part of how words of some scripts are
// written (Persian "می‌خواهم", conjuncts of Indic scripts): clean keeps them between letters.
func joiner(r rune) bool { return r == '\u200c' || r == '\u200d' }

// inWord reports a letter or a mark (the vowel signs and viramas a joiner follows in Indic
// scripts).
func inWord(r rune) bool { return unicode.In(r, unicode.L, unicode.M) }

// visibleLetter reports a letter that shows: not one of the Hangul fillers, letters by category
// that show as blank space (U+3164 is a favourite invisible name).
func visibleLetter(r rune) bool {
	switch r {
	case '\u115f', '\u1160', '\u3164', '\uffa0':
		return false
	}
	return unicode.IsLetter(r)
}

// hasLetter reports whether a name has a letter that shows.
func hasLetter(s string) bool { return strings.ContainsFunc(s, visibleLetter) }

// longer reports a value over max characters, with the message a field shows.
func longer(s string, max int) (string, bool) {
	if utf8.RuneCountInString(s) > max {
		return fmt.Sprintf("Use at most %d characters (this has %d).", max, utf8.RuneCountInString(s)), true
	}
	return "", false
}

// cleanText keeps line breaks (addresses) but trims each line and removes control characters.
func cleanText(s string) string {
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if l = clean(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// today is the date of now (UTC), as parseDate reads dates: midnight UTC.
func today(now time.Time) time.Time {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// latestToday is the latest date it is anywhere at now: the date of now in UTC+14. A document
// issued "today" where it was issued is not in the future, whatever the date in UTC.
func latestToday(now time.Time) time.Time {
	return today(now.Add(14 * time.Hour))
}

// validPhone reports a phone number of 4 to 32 digits, with spaces and + ( ) . / - between them:
// the separators alone ("+ ()", "----") are no number.
func validPhone(s string) bool {
	digits := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	return phoneRe.MatchString(s) && digits >= 4 && digits <= 32
}

// parseDate reads YYYY-MM-DD; "" is no date.
func parseDate(s string) (*time.Time, bool) {
	if s == "" {
		return nil, true
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return nil, false
	}
	return &t, true
}

// countryField reads a country code in place with parse (normalize.ParseCountryCode or
// ParseResidenceCode: the one list the forms, the API and the queue share). An empty field stays
// empty; a refused one keeps its text, trimmed and upper-cased, beside its message.
func countryField(v *string, field string, parse func(string) (string, string), errs map[string]string) {
	*v = strings.TrimSpace(*v)
	if *v == "" {
		return
	}
	code, problem := parse(*v)
	if problem != "" {
		errs[field] = problem
		*v = strings.ToUpper(*v)
		return
	}
	*v = code
}

// Normalise trims and upper-cases what needs it, in place, and returns field errors keyed by the
// field's name (documents as documents[0].number).
func (in *Input) Normalise(now time.Time) map[string]string {
	errs := map[string]string{}
	in.ExternalRef = strings.TrimSpace(in.ExternalRef)
	in.GivenNames = clean(in.GivenNames)
	in.Surname = clean(in.Surname)
	in.DateOfBirth = strings.TrimSpace(in.DateOfBirth)
	in.Email = strings.TrimSpace(in.Email)
	in.Phone = strings.TrimSpace(in.Phone)
	in.Address = cleanText(in.Address)
	for field, v := range map[string]struct {
		s   string
		max int
	}{"given_names": {in.GivenNames, 200}, "surname": {in.Surname, 200}, "address": {in.Address, 500}} {
		if msg, long := longer(v.s, v.max); long {
			errs[field] = msg
		}
	}

	if in.ExternalRef != "" && !refRe.MatchString(in.ExternalRef) {
		errs["external_ref"] = "Use up to 100 letters, digits and . _ : / -"
	}
	if in.Surname == "" {
		errs["surname"] = "Enter the surname."
	} else if !hasLetter(in.Surname) {
		errs["surname"] = "Enter the surname in letters: this has none."
	}
	if in.GivenNames != "" && !hasLetter(in.GivenNames) {
		errs["given_names"] = "Enter the given names in letters (this has none), or leave the field empty."
	}
	if dob, ok := parseDate(in.DateOfBirth); !ok {
		errs["date_of_birth"] = "Use a date like 1980-12-31."
	} else if dob != nil && (!dob.Before(today(now)) || dob.Year() < 1900) {
		// Today is not in the past: a date of birth is before it. How old a customer must be
		// is a reviewer's flag (the minimum age), not a refusal here.
		errs["date_of_birth"] = "The date of birth must be in the past (before today, from 1900 on)."
	}
	countryField(&in.Nationality, "nationality", normalize.ParseCountryCode, errs)
	countryField(&in.ResidenceCountry, "residence_country", normalize.ParseResidenceCode, errs)
	if in.Email != "" {
		if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email || len(in.Email) > 320 {
			errs["email"] = "Enter a valid email address, like name@example.com."
		}
	}
	if in.Phone != "" && !validPhone(in.Phone) {
		errs["phone"] = "Use 4 to 32 digits, spaces and + ( ) . / - only."
	}
	if len(in.Documents) > 10 {
		errs["documents"] = "Declare at most 10 documents at once."
	}
	for i := range in.Documents {
		for k, v := range in.Documents[i].Normalise(now) {
			errs[fmt.Sprintf("documents[%d].%s", i, k)] = v
		}
	}
	return errs
}

// Normalise checks a document's declared data in place and returns field errors. now is when:
// a document is not issued after it.
func (d *DocumentInput) Normalise(now time.Time) map[string]string {
	errs := map[string]string{}
	d.Type = strings.TrimSpace(d.Type)
	d.Number = strings.ToUpper(clean(d.Number))
	d.IssueDate = strings.TrimSpace(d.IssueDate)
	d.ExpiryDate = strings.TrimSpace(d.ExpiryDate)
	if !db.DocumentType(d.Type).Valid() {
		errs["type"] = "Choose passport, national_id, driving_licence, residence_permit or other."
	}
	countryField(&d.IssuingCountry, "issuing_country", normalize.ParseCountryCode, errs)
	if d.Number != "" && !docNumRe.MatchString(d.Number) {
		errs["number"] = "Use letters, digits, spaces and < . / - only (at most 40)."
	}
	issue, ok1 := parseDate(d.IssueDate)
	if !ok1 {
		errs["issue_date"] = "Use a date like 2020-12-31."
	} else if issue != nil && issue.After(latestToday(now)) {
		errs["issue_date"] = "The issue date cannot be in the future."
	}
	expiry, ok2 := parseDate(d.ExpiryDate)
	if !ok2 {
		errs["expiry_date"] = "Use a date like 2030-12-31."
	}
	if issue != nil && expiry != nil && !expiry.After(*issue) {
		errs["expiry_date"] = "The expiry date must be after the issue date."
	}
	return errs
}
