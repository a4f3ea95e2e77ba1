// Package mrz reads, validates and writes the machine-readable zone (MRZ) of travel documents as
// ICAO Doc 9303 defines it: TD1 identity cards (3×30), TD2 cards (2×36), TD3 passports (2×44) and
// the MRV-A (2×44) and MRV-B (2×36) visas.
//
// The MRZ is a source of fields in its own right: its check digits say whether what a vendor's OCR
// read off the zone is self-consistent, so a reviewer can tell a misread from a tampered document.
// Parse never trusts a vendor's own "hash" flags; it recomputes every check digit and keeps the
// expected and found digit so the review workspace can show exactly which one failed.
//
// Country codes are kept exactly as printed (three letters, "D" for Germany); turning them into
// ISO 3166 codes or names is the job of the normalisation package.
package mrz

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Format is the layout of a machine-readable zone.
type Format string

// The layouts ICAO 9303 defines.
const (
	TD1  Format = "TD1"   // identity card, 3 lines of 30
	TD2  Format = "TD2"   // card or older passport, 2 lines of 36
	TD3  Format = "TD3"   // passport, 2 lines of 44
	MRVA Format = "MRV-A" // visa, 2 lines of 44, first character V
	MRVB Format = "MRV-B" // visa, 2 lines of 36, first character V
)

// Shape returns the number of lines and the line length of the format, (0, 0) for an unknown one.
func (f Format) Shape() (lines, length int) {
	switch f {
	case TD1:
		return 3, 30
	case TD2, MRVB:
		return 2, 36
	case TD3, MRVA:
		return 2, 44
	}
	return 0, 0
}

// Errors returned (wrapped) by Parse, so callers can tell a zone of the wrong shape from one with
// characters no MRZ can hold.
var (
	ErrShape     = errors.New("not the shape of a machine-readable zone")
	ErrCharacter = errors.New("character not allowed in a machine-readable zone")
)

// Check names, as shown to reviewers.
const (
	CheckDocumentNumber = "document number"
	CheckBirthDate      = "date of birth"
	CheckExpiryDate     = "expiry date"
	CheckPersonalNumber = "personal number"
	CheckComposite      = "composite"
)

// Check is one check digit of the zone, recomputed.
type Check struct {
	// Name says which field the digit protects, e.g. "expiry date" or "composite".
	Name string
	// Field is the characters the digit is computed over, as printed.
	Field string
	// Expected is the digit the field's characters give ('0' to '9').
	Expected byte
	// Found is the character printed in the check digit's position.
	Found byte
	OK    bool
}

// Date is a YYMMDD date of the zone.
type Date struct {
	// Raw is the six characters as printed; "<<<<<<" when the date is unknown.
	Raw string
	// Time is the date at midnight UTC with the century resolved, zero when the date is unknown,
	// partly unknown or not a calendar date.
	Time time.Time
}

// Known reports whether the date was printed in full and is a calendar date.
func (d Date) Known() bool { return !d.Time.IsZero() }

// String returns the date as YYYY-MM-DD, or "" when it is not known.
func (d Date) String() string {
	if !d.Known() {
		return ""
	}
	return d.Time.Format(time.DateOnly)
}

// MRZ is a parsed machine-readable zone. Text values have fillers removed and name components
// joined with spaces; the Lines keep the zone exactly as read (normalised to upper case).
type MRZ struct {
	Format Format
	// DocumentCode is the one or two letter code ("P", "I", "ID", "V", "AC"), filler removed.
	DocumentCode   string
	IssuingState   string
	DocumentNumber string // including a TD1/TD2 long number's continuation
	Nationality    string
	BirthDate      Date
	// Sex is "M", "F" or "X" (the zone's '<', unspecified).
	Sex        string
	ExpiryDate Date
	// OptionalData1 is the first optional field (TD1 line 1 after a long number's continuation,
	// TD2 and visas line 2); OptionalData2 is TD1's line 2 optional field.
	OptionalData1 string
	OptionalData2 string
	// PersonalNumber is TD3's personal number field.
	PersonalNumber string
	Surname        string
	GivenNames     string
	Lines          []string
	Checks         []Check
	// Problems lists what is wrong besides check digits: a date that is not a calendar date,
	// a sex that is not M, F or '<'.
	Problems []string
}

// Valid reports whether every check digit matches and nothing else is wrong.
func (m *MRZ) Valid() bool {
	if m == nil || len(m.Problems) > 0 {
		return false
	}
	for _, c := range m.Checks {
		if !c.OK {
			return false
		}
	}
	return true
}

// Failed returns the checks that did not pass.
func (m *MRZ) Failed() []Check {
	var out []Check
	for _, c := range m.Checks {
		if !c.OK {
			out = append(out, c)
		}
	}
	return out
}

// Parse reads a machine-readable zone, resolving date centuries against the current time.
// See ParseAt.
func Parse(text string) (*MRZ, error) {
	return ParseAt(text, time.Now())
}

// ParseAt reads a machine-readable zone: two or three lines separated by line breaks, or the lines
// run together (88, 72 or 90 characters). Surrounding whitespace, spaces inside lines and lower
// case are tolerated, since OCR output and pasted text carry them. now resolves two-digit years:
// a birth date is put in the latest century that does not place it after now, an expiry date in
// 20xx unless that is more than 50 years after now.
//
// An error means the text is not a zone at all (wrong line count or length, bad characters);
// a zone whose check digits fail is returned without error, with Valid false.
func ParseAt(text string, now time.Time) (*MRZ, error) {
	lines, err := splitLines(text)
	if err != nil {
		return nil, err
	}
	m := &MRZ{Lines: lines}
	switch {
	case !sameLength(lines):
		return nil, fmt.Errorf("%w: %s", ErrShape, describeShape(lines))
	case len(lines) == 3 && len(lines[0]) == 30:
		m.Format = TD1
		parseTD1(m, now)
	case len(lines) == 2 && len(lines[0]) == 44:
		m.Format = TD3
		if lines[0][0] == 'V' {
			m.Format = MRVA
		}
		parseTwoLine(m, now)
	case len(lines) == 2 && len(lines[0]) == 36:
		m.Format = TD2
		if lines[0][0] == 'V' {
			m.Format = MRVB
		}
		parseTwoLine(m, now)
	default:
		return nil, fmt.Errorf("%w: %s", ErrShape, describeShape(lines))
	}
	return m, nil
}

// SplitLines cuts a zone given as one text into its lines: at line breaks or, when it is a single
// run of 88, 72 or 90 characters, at the ICAO widths (2×44, 2×36, 3×30). Spaces are dropped and
// letters upper-cased; the characters are not checked.
func SplitLines(text string) []string {
	var lines []string
	for _, l := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' }) {
		l = strings.Map(func(r rune) rune {
			switch r {
			case ' ', '\t', '\v', '\f', '\u00a0':
				return -1
			}
			if r >= 'a' && r <= 'z' {
				return r - 'a' + 'A'
			}
			return r
		}, l)
		if l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 1 {
		switch n := len(lines[0]); n {
		case 88, 72:
			lines = []string{lines[0][:n/2], lines[0][n/2:]}
		case 90:
			lines = []string{lines[0][:30], lines[0][30:60], lines[0][60:]}
		}
	}
	return lines
}

// splitLines normalises text into the zone's lines (SplitLines) and checks that they hold only
// MRZ characters.
func splitLines(text string) ([]string, error) {
	lines := SplitLines(text)
	if len(lines) == 0 {
		return nil, fmt.Errorf("%w: the text is empty", ErrShape)
	}
	for i, l := range lines {
		for j, r := range l {
			if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r == '<') {
				return nil, fmt.Errorf("%w: %q at line %d position %d", ErrCharacter, r, i+1, j+1)
			}
		}
	}
	return lines, nil
}

func sameLength(lines []string) bool {
	for _, l := range lines {
		if len(l) != len(lines[0]) {
			return false
		}
	}
	return true
}

func describeShape(lines []string) string {
	lens := make([]string, len(lines))
	for i, l := range lines {
		lens[i] = fmt.Sprint(len(l))
	}
	switch {
	case !sameLength(lines):
		return fmt.Sprintf("the lines have different lengths (%s)", strings.Join(lens, ", "))
	case len(lines) == 1:
		return fmt.Sprintf("one line of %s characters; a zone has 2 lines of 44 or 36, or 3 lines of 30", lens[0])
	case len(lines[0]) == 30:
		return fmt.Sprintf("%d lines of 30 characters; a TD1 zone has 3", len(lines))
	case len(lines[0]) == 44 || len(lines[0]) == 36:
		return fmt.Sprintf("%d lines of %s characters; a zone of that width has 2", len(lines), lens[0])
	default:
		return fmt.Sprintf("%d lines of %s characters; a zone has 2 lines of 44 or 36, or 3 lines of 30", len(lines), lens[0])
	}
}

// parseTD1 reads an identity card zone (ICAO 9303 part 5).
func parseTD1(m *MRZ, now time.Time) {
	l1, l2, l3 := m.Lines[0], m.Lines[1], m.Lines[2]
	m.letters("document code", l1[0:2])
	m.letters("issuing state", l1[2:5])
	m.letters("nationality", l2[15:18])
	m.letters("name", l3)
	m.DocumentCode = trimFiller(l1[0:2])
	m.IssuingState = trimFiller(l1[2:5])
	m.docNumber(l1[5:14], l1[14], l1[15:30], func(rest string) { m.OptionalData1 = rest })
	m.BirthDate = m.date(CheckBirthDate, l2[0:6], l2[6], now, true)
	m.sex(l2[7])
	m.ExpiryDate = m.date(CheckExpiryDate, l2[8:14], l2[14], now, false)
	m.Nationality = trimFiller(l2[15:18])
	m.OptionalData2 = trimFiller(l2[18:29])
	m.addCheck(CheckComposite, l1[5:30]+l2[0:7]+l2[8:15]+l2[18:29], l2[29], false)
	m.names(l3)
}

// parseTwoLine reads TD2, TD3 and visa zones, which share line 2 up to position 28.
func parseTwoLine(m *MRZ, now time.Time) {
	l1, l2 := m.Lines[0], m.Lines[1]
	m.letters("document code", l1[0:2])
	m.letters("issuing state", l1[2:5])
	m.letters("name", l1[5:])
	m.letters("nationality", l2[10:13])
	m.DocumentCode = trimFiller(l1[0:2])
	m.IssuingState = trimFiller(l1[2:5])
	m.names(l1[5:])
	switch m.Format {
	case TD2:
		m.docNumber(l2[0:9], l2[9], l2[28:35], func(rest string) { m.OptionalData1 = rest })
	default:
		m.docNumber(l2[0:9], l2[9], "", nil)
	}
	m.Nationality = trimFiller(l2[10:13])
	m.BirthDate = m.date(CheckBirthDate, l2[13:19], l2[19], now, true)
	m.sex(l2[20])
	m.ExpiryDate = m.date(CheckExpiryDate, l2[21:27], l2[27], now, false)
	switch m.Format {
	case TD3:
		m.PersonalNumber = trimFiller(l2[28:42])
		m.addCheck(CheckPersonalNumber, l2[28:42], l2[42], true)
		m.addCheck(CheckComposite, l2[0:10]+l2[13:20]+l2[21:43], l2[43], false)
	case TD2:
		m.addCheck(CheckComposite, l2[0:10]+l2[13:20]+l2[21:35], l2[35], false)
	case MRVA, MRVB:
		m.OptionalData1 = trimFiller(l2[28:])
	}
}

// docNumber reads the document number and its check digit. On TD1 and TD2 a number longer than
// nine characters leaves '<' in the check digit's place and continues in the optional field,
// followed by the whole number's check digit and a filler; setOptional receives what follows.
func (m *MRZ) docNumber(first string, check byte, optional string, setOptional func(string)) {
	if check == '<' && setOptional != nil && !strings.Contains(first, "<") {
		if cont, rest, _ := strings.Cut(optional, "<"); len(cont) >= 2 {
			number := first + cont[:len(cont)-1]
			m.DocumentNumber = number
			m.addCheck(CheckDocumentNumber, number, cont[len(cont)-1], false)
			setOptional(trimFiller(rest))
			return
		}
	}
	m.DocumentNumber = trimFiller(first)
	m.addCheck(CheckDocumentNumber, first, check, false)
	if setOptional != nil {
		setOptional(trimFiller(optional))
	}
}

func (m *MRZ) date(name, raw string, check byte, now time.Time, birth bool) Date {
	m.addCheck(name, raw, check, false) // an unknown date's fillers count 0: its check digit is '0'

	d := Date{Raw: raw}
	if raw == "<<<<<<" || strings.ContainsRune(raw, '<') && onlyDigitsAndFiller(raw) {
		return d // unknown or partly unknown: allowed by ICAO 9303 part 3
	}
	t, ok := resolveDate(raw, now, birth)
	if !ok {
		m.Problems = append(m.Problems, fmt.Sprintf("%s %q is not a calendar date", name, raw))
		return d
	}
	d.Time = t
	return d
}

func onlyDigitsAndFiller(s string) bool {
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] == '<') {
			return false
		}
	}
	return true
}

// resolveDate turns YYMMDD into a date. Birth dates take the latest century not after now;
// expiry dates take 20xx unless that is more than 50 years ahead (a 19xx document long expired).
func resolveDate(raw string, now time.Time, birth bool) (time.Time, bool) {
	if len(raw) != 6 {
		return time.Time{}, false
	}
	var n [3]int
	for i := range 3 {
		a, b := raw[2*i], raw[2*i+1]
		if a < '0' || a > '9' || b < '0' || b > '9' {
			return time.Time{}, false
		}
		n[i] = int(a-'0')*10 + int(b-'0')
	}
	yy, mm, dd := n[0], n[1], n[2]
	if mm < 1 || mm > 12 || dd < 1 || dd > 31 {
		return time.Time{}, false
	}
	mk := func(century int) (time.Time, bool) {
		t := time.Date(century+yy, time.Month(mm), dd, 0, 0, 0, 0, time.UTC)
		return t, t.Day() == dd // 310230 rolls over into March: not a date
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	t, ok := mk(2000)
	if !ok {
		return time.Time{}, false
	}
	if birth && t.After(today) || !birth && t.After(today.AddDate(50, 0, 0)) {
		t, ok = mk(1900)
	}
	return t, ok
}

// letters reports a digit in a field of letters and fillers (codes, states, names): an OCR
// reading 'O' as '0' there changes no check digit, so the characters are the only guard.
func (m *MRZ) letters(name, field string) {
	if i := strings.IndexAny(field, "0123456789"); i >= 0 {
		m.Problems = append(m.Problems, fmt.Sprintf("%s %q holds a digit (%q), where only letters and '<' belong", name, strings.TrimRight(field, "<"), field[i]))
	}
}

func (m *MRZ) sex(c byte) {
	switch c {
	case 'M', 'F':
		m.Sex = string(c)
	case '<', 'X':
		m.Sex = "X"
	default:
		m.Sex = string(c)
		m.Problems = append(m.Problems, fmt.Sprintf("sex %q is not M, F or <", c))
	}
}

// names splits the name field: primary identifier, "<<", secondary identifier, components by '<'.
func (m *MRZ) names(field string) {
	field = strings.TrimRight(field, "<")
	primary, secondary, _ := strings.Cut(field, "<<")
	m.Surname = joinComponents(primary)
	m.GivenNames = joinComponents(secondary)
}

func joinComponents(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '<' }), " ")
}

func trimFiller(s string) string { return strings.Trim(s, "<") }

// addCheck recomputes a check digit. A field left empty may carry '<' instead of '0' where the
// standard allows it (the TD3 personal number); allowFillerCheck says so.
func (m *MRZ) addCheck(name, field string, found byte, allowFillerCheck bool) {
	exp, err := CheckDigit(field)
	c := Check{Name: name, Field: field, Expected: exp, Found: found}
	switch {
	case err != nil:
		c.OK = false
	case found == exp:
		c.OK = true
	case found == '<' && allowFillerCheck && strings.Trim(field, "<") == "":
		c.OK = true
	}
	m.Checks = append(m.Checks, c)
}
