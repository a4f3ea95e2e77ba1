package normalize

import (
	"strconv"
	"strings"
	"time"
	"unicode"
)

// DateRole says what a date is, which decides the century of a two-digit year.
type DateRole int

// Date roles.
const (
	// DateAny: a two-digit year is put within fifty years after now.
	DateAny DateRole = iota
	// DateBirth and DateIssue: a two-digit year is put in the latest century that does not place
	// the date after now (a birth or issue date is never in the future).
	DateBirth
	DateIssue
	// DateExpiry: a two-digit year is 20xx unless that is more than fifty years after now, as ICAO
	// 9303 readers do.
	DateExpiry
)

// months maps month names and abbreviations to their number: English, and the forms French,
// Spanish, German, Italian and Portuguese documents print beside or instead of English ones
// ("12 DEC/DÉC 1992"). Keys are folded.
var months = map[string]time.Month{
	"jan": 1, "january": 1, "janv": 1, "janvier": 1, "ene": 1, "enero": 1, "januar": 1, "jaen": 1, "gen": 1, "gennaio": 1, "janeiro": 1,
	"feb": 2, "february": 2, "fev": 2, "fevr": 2, "fevrier": 2, "febrero": 2, "februar": 2, "febbraio": 2, "fevereiro": 2,
	"mar": 3, "march": 3, "mars": 3, "marzo": 3, "marz": 3, "mrz": 3, "marco": 3,
	"apr": 4, "april": 4, "avr": 4, "avril": 4, "abr": 4, "abril": 4, "aprile": 4,
	"may": 5, "mai": 5, "mayo": 5, "maggio": 5, "maio": 5, "mag": 5,
	"jun": 6, "june": 6, "juin": 6, "junio": 6, "juni": 6, "giu": 6, "giugno": 6, "junho": 6,
	"jul": 7, "july": 7, "juil": 7, "juillet": 7, "julio": 7, "juli": 7, "lug": 7, "luglio": 7, "julho": 7,
	"aug": 8, "august": 8, "aout": 8, "ago": 8, "agosto": 8,
	"sep": 9, "sept": 9, "september": 9, "septembre": 9, "septiembre": 9, "set": 9, "settembre": 9, "setembro": 9,
	"oct": 10, "october": 10, "octobre": 10, "octubre": 10, "okt": 10, "oktober": 10, "ott": 10, "ottobre": 10, "out": 10, "outubro": 10,
	"nov": 11, "november": 11, "novembre": 11, "noviembre": 11, "novembro": 11,
	"dec": 12, "december": 12, "decembre": 12, "dic": 12, "diciembre": 12, "dez": 12, "dezember": 12, "dicembre": 12, "dezembro": 12,
}

// ParseDate reads a date as documents, vendors and people write it: ISO 8601 ("1992-12-12",
// "1992-12-12T00:00:00Z": the date as written, the time ignored), DD/MM/YYYY, DD.MM.YYYY and
// DD-MM-YYYY (MM/DD/YYYY when the first number cannot be a day-month order, e.g. 12/25/1992),
// YYYY/MM/DD, YYYYMMDD, the MRZ's YYMMDD, and month names ("12 DEC 1992", "Dec 12, 1992",
// "12 DÉC/DEC 92"). Two-digit years take their century from role and now. It returns midnight
// UTC and false when s is not a calendar date.
func ParseDate(s string, role DateRole, now time.Time) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	// ISO with a time part: the date as written.
	if len(s) > 10 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == ' ' || s[10] == 't') {
		s = s[:10]
	}
	var nums []string
	var month time.Month
	words := 0
	for _, tok := range strings.FieldsFunc(Fold(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		switch {
		case isDigits(tok):
			nums = append(nums, tok)
		case isAlpha(tok):
			m, ok := months[tok]
			if !ok {
				return time.Time{}, false
			}
			if month != 0 && m != month {
				return time.Time{}, false // two different month names
			}
			month = m
			words++
		default:
			return time.Time{}, false // "12dec1992" and other run-together forms are not dates we trust
		}
	}
	if month != 0 {
		return wordDate(nums, month, role, now)
	}
	switch len(nums) {
	case 1:
		n := nums[0]
		switch len(n) {
		case 8: // YYYYMMDD
			return mk(atoi(n[:4]), atoi(n[4:6]), atoi(n[6:]))
		case 6: // YYMMDD, as the MRZ writes it
			return twoDigit(atoi(n[:2]), atoi(n[2:4]), atoi(n[4:]), role, now)
		}
	case 3:
		a, b, c := nums[0], nums[1], nums[2]
		if len(a) == 4 && len(b) <= 2 && len(c) <= 2 { // YYYY-MM-DD, YYYY/MM/DD
			return mk(atoi(a), atoi(b), atoi(c))
		}
		if len(a) > 2 || len(b) > 2 || (len(c) != 4 && len(c) != 2) {
			return time.Time{}, false
		}
		d, m := atoi(a), atoi(b)
		if m > 12 && d <= 12 { // the American order, when the European one cannot be
			d, m = m, d
		}
		if len(c) == 2 {
			return twoDigit(atoi(c), m, d, role, now)
		}
		return mk(atoi(c), m, d)
	}
	return time.Time{}, false
}

// wordDate reads the numbers around a month name: a day and a year, in either order.
func wordDate(nums []string, month time.Month, role DateRole, now time.Time) (time.Time, bool) {
	if len(nums) != 2 {
		return time.Time{}, false
	}
	day, year := nums[0], nums[1]
	if len(day) == 4 || (len(day) == 2 && len(year) <= 2 && atoi(year) >= 1 && atoi(year) <= 31 && atoi(day) > 31) {
		day, year = year, day
	}
	if len(day) > 2 {
		return time.Time{}, false
	}
	switch len(year) {
	case 4:
		return mk(atoi(year), int(month), atoi(day))
	case 2:
		return twoDigit(atoi(year), int(month), atoi(day), role, now)
	}
	return time.Time{}, false
}

// twoDigit resolves a two-digit year by role.
func twoDigit(yy, m, d int, role DateRole, now time.Time) (time.Time, bool) {
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	century := now.Year() / 100 * 100
	t, ok := mk(century+yy, m, d)
	if !ok {
		return t, false
	}
	switch role {
	case DateBirth, DateIssue:
		if t.After(today) {
			return mk(century-100+yy, m, d)
		}
	default:
		if t.After(today.AddDate(50, 0, 0)) {
			return mk(century-100+yy, m, d)
		}
		if role == DateAny && t.Before(today.AddDate(-50, 0, 0)) {
			return mk(century+100+yy, m, d)
		}
	}
	return t, true
}

// mk makes a calendar date, refusing 31 February and the like.
func mk(y, m, d int) (time.Time, bool) {
	if y < 1 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func isAlpha(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return s != ""
}

// Expired reports whether a document with this expiry date has expired on now's day. A document
// is valid through its expiry date, so it expires the day after.
func Expired(expiry, now time.Time) bool {
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	e := time.Date(expiry.Year(), expiry.Month(), expiry.Day(), 0, 0, 0, 0, time.UTC)
	return e.Before(today)
}

// Age is the age in whole years on now's day of somebody born on dob. Somebody born on 29
// February turns a year older on 1 March in common years.
func Age(dob, now time.Time) int {
	years := now.Year() - dob.Year()
	if now.Month() < dob.Month() || (now.Month() == dob.Month() && now.Day() < dob.Day()) {
		years--
	}
	return years
}
