package mrz

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Data is what a zone is written from.
type Data struct {
	// DocumentCode is "P" for a passport, "I" or "ID" for an identity card, "V" for a visa; one or
	// two letters.
	DocumentCode string
	// IssuingState and Nationality are the three-letter codes to print ("UTO", "D").
	IssuingState string
	Nationality  string
	Surname      string
	GivenNames   string
	// DocumentNumber may be longer than nine characters on TD1 and TD2 only.
	DocumentNumber string
	// BirthDate and ExpiryDate print as "<<<<<<" when zero (unknown).
	BirthDate  time.Time
	ExpiryDate time.Time
	// Sex is "M", "F", or anything else for unspecified ('<').
	Sex string
	// PersonalNumber is TD3's personal number (at most 14 characters).
	PersonalNumber string
	// OptionalData1 is TD1's line-1 optional field, or the optional field of TD2 and visas;
	// OptionalData2 is TD1's line-2 optional field.
	OptionalData1 string
	OptionalData2 string
}

// GenerateTD3 writes a passport zone. See Generate.
func GenerateTD3(d Data) ([]string, error) { return Generate(TD3, d) }

// GenerateTD1 writes an identity card zone. See Generate.
func GenerateTD1(d Data) ([]string, error) { return Generate(TD1, d) }

// GenerateTD2 writes a TD2 zone. See Generate.
func GenerateTD2(d Data) ([]string, error) { return Generate(TD2, d) }

// Generate writes the lines of a zone of format f with every check digit computed. Names are
// transliterated to A–Z the ICAO way (diacritics dropped, Ä→AE, ß→SS, hyphens and spaces to '<',
// apostrophes removed) and truncated to fit as ICAO 9303 says: given names are cut first, the
// surname only when it alone leaves no room, and a cut name fills its field and ends in a letter
// (see truncateName). A field that does not fit its place, or holds characters that cannot be
// written, is an error; nothing is silently cut except names.
func Generate(f Format, d Data) ([]string, error) {
	code, err := field("document code", d.DocumentCode, 2)
	if err != nil {
		return nil, err
	}
	if code == "" {
		return nil, fmt.Errorf("mrz: document code is empty")
	}
	issuer, err := field("issuing state", d.IssuingState, 3)
	if err != nil {
		return nil, err
	}
	nat, err := field("nationality", d.Nationality, 3)
	if err != nil {
		return nil, err
	}
	number, err := field("document number", d.DocumentNumber, 0)
	if err != nil {
		return nil, err
	}
	birth, expiry := yymmdd(d.BirthDate), yymmdd(d.ExpiryDate)
	sex := "<"
	if s := strings.ToUpper(strings.TrimSpace(d.Sex)); s == "M" || s == "F" {
		sex = s
	}
	_, width := f.Shape()
	if width == 0 {
		return nil, fmt.Errorf("mrz: unknown format %q", f)
	}
	if (f == MRVA || f == MRVB) && code[0] != 'V' {
		return nil, fmt.Errorf("mrz: a visa's document code starts with V, not %q", code)
	}
	if (f == TD1 || f == TD2 || f == TD3) && code[0] == 'V' {
		return nil, fmt.Errorf("mrz: document code %q is a visa's; use MRV-A or MRV-B", code)
	}

	switch f {
	case TD1:
		name, err := nameField(d.Surname, d.GivenNames, 30)
		if err != nil {
			return nil, err
		}
		num9, numCheck, opt1, err := longNumber(number, d.OptionalData1, 15)
		if err != nil {
			return nil, err
		}
		opt2, err := field("optional data 2", d.OptionalData2, 11)
		if err != nil {
			return nil, err
		}
		l1 := pad(code, 2) + pad(issuer, 3) + num9 + numCheck + opt1
		l2 := birth + digit(birth) + sex + expiry + digit(expiry) + pad(nat, 3) + pad(opt2, 11)
		l2 += digit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
		return []string{l1, l2, name}, nil

	case TD2, TD3, MRVA, MRVB:
		name, err := nameField(d.Surname, d.GivenNames, width-5)
		if err != nil {
			return nil, err
		}
		l1 := pad(code, 2) + pad(issuer, 3) + name
		var num9, numCheck, opt string
		switch f {
		case TD2:
			num9, numCheck, opt, err = longNumber(number, d.OptionalData1, 7)
		default:
			if len(number) > 9 {
				err = fmt.Errorf("mrz: document number %q is longer than 9 characters, which %s cannot hold", number, f)
			}
			num9, numCheck = pad(number, 9), digit(pad(number, 9))
		}
		if err != nil {
			return nil, err
		}
		l2 := num9 + numCheck + pad(nat, 3) + birth + digit(birth) + sex + expiry + digit(expiry)
		switch f {
		case TD3:
			pn, err := field("personal number", d.PersonalNumber, 14)
			if err != nil {
				return nil, err
			}
			check := "<"
			if pn != "" {
				check = digit(pad(pn, 14))
			}
			l2 += pad(pn, 14) + check
			l2 += digit(l2[0:10] + l2[13:20] + l2[21:43])
		case TD2:
			l2 += opt
			l2 += digit(l2[0:10] + l2[13:20] + l2[21:35])
		default:
			o, err := field("optional data", d.OptionalData1, width-28)
			if err != nil {
				return nil, err
			}
			l2 += pad(o, width-28)
		}
		return []string{l1, l2}, nil
	}
	return nil, fmt.Errorf("mrz: unknown format %q", f)
}

// longNumber lays out the document number of TD1/TD2: nine characters and a check digit, or, for a
// longer number, its first nine characters, '<', and in the optional field the rest of the number,
// the whole number's check digit and a '<' before any optional data.
func longNumber(number, optional string, optWidth int) (num9, check, opt string, err error) {
	o, err := field("optional data", optional, optWidth)
	if err != nil {
		return "", "", "", err
	}
	if len(number) <= 9 {
		return pad(number, 9), digit(pad(number, 9)), pad(o, optWidth), nil
	}
	cont := number[9:] + digit(number)
	if o != "" || len(cont) < optWidth {
		cont += "<"
	}
	if len(cont)+len(o) > optWidth {
		return "", "", "", fmt.Errorf("mrz: document number %q and optional data %q do not fit", number, o)
	}
	return number[:9], "<", pad(cont+o, optWidth), nil
}

// field upper-cases a value, turns spaces and hyphens into '<', and refuses characters outside the
// MRZ set or a value longer than max (0 = no limit).
func field(name, v string, max int) (string, error) {
	v = strings.ToUpper(strings.TrimSpace(v))
	v = strings.NewReplacer(" ", "<", "-", "<").Replace(v)
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c == '<') {
			return "", fmt.Errorf("mrz: %s %q: %w", name, v, ErrCharacter)
		}
	}
	if max > 0 && len(v) > max {
		return "", fmt.Errorf("mrz: %s %q is longer than %d characters", name, v, max)
	}
	return v, nil
}

// special holds the ICAO 9303 part 3 transliterations that are not a letter plus a diacritic.
var special = strings.NewReplacer(
	"Ä", "AE", "Ö", "OE", "Ü", "UE", "ß", "SS", "ẞ", "SS", "Æ", "AE", "Ø", "OE", "Å", "AA", "Œ", "OE",
	"Þ", "TH", "Ð", "D", "Đ", "D", "Ł", "L", "Ĳ", "IJ", "Ŋ", "N", "Ħ", "H", "ı", "I",
)

// transliterate turns a name into MRZ characters.
func transliterate(s string) (string, error) {
	s = special.Replace(strings.ToUpper(strings.TrimSpace(s)))
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r), r == '\'', r == '’', r == '.':
			// Marks and apostrophes are dropped, as ICAO prints O'NEILL as ONEILL.
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r)
		case r == ' ', r == '-', r == ',', r == '<':
			b.WriteByte('<')
		default:
			return "", fmt.Errorf("mrz: name %q: %q cannot be transliterated: %w", s, r, ErrCharacter)
		}
	}
	// Runs of separators become one, so "ANNA  MARIA" stays two components.
	parts := strings.FieldsFunc(b.String(), func(r rune) bool { return r == '<' })
	return strings.Join(parts, "<"), nil
}

// nameField writes surname and given names into a name field of width characters. A name that
// does not fit is truncated the ICAO 9303 part 3 way (see truncateName).
func nameField(surname, given string, width int) (string, error) {
	sn, err := transliterate(surname)
	if err != nil {
		return "", err
	}
	gn, err := transliterate(given)
	if err != nil {
		return "", err
	}
	if sn == "" {
		return "", fmt.Errorf("mrz: surname is empty")
	}
	full := sn
	if gn != "" {
		full += "<<" + gn
	}
	if len(full) <= width {
		return pad(full, width), nil
	}
	var secondary []string
	if gn != "" {
		secondary = strings.Split(gn, "<")
	}
	return truncateName(strings.Split(sn, "<"), secondary, width), nil
}

// truncateName writes a name too long for its field of width characters, following ICAO 9303
// part 3: a truncated name fills the whole field and its last character is a letter, never a
// filler (that is how a reader knows the name may be cut); names are cut character by character
// from the end, so the given names go first and the surname is cut only when it alone leaves no
// room; and no component is left empty (no "<<<", no "<<" with nothing after it).
//
// Among the layouts that obey this, it keeps the most of the earliest components: the surname's
// first component as long as it can be, then the next one, and so on. A plain cut that would end
// on a separator ("ANNA<|MARIA") therefore becomes "ANN<M": the field stays full and ends in a
// letter, and every component written is the start of the real one. Only a name made almost
// entirely of one-letter components can fail to fill the field exactly; it is then written one
// character short, with a filler last, as the nearest thing.
func truncateName(primary, secondary []string, width int) string {
	items := append(append([]string{}, primary...), secondary...)
	sep := func(i int) string {
		switch {
		case i == 0:
			return ""
		case i == len(primary):
			return "<<"
		default:
			return "<"
		}
	}
	// fills reports whether items i… can take exactly r more characters, each item written being
	// 1 to all of its letters after its separator; r == 0 stops before item i.
	memo := map[[2]int]bool{}
	var fills func(i, r int) bool
	fills = func(i, r int) bool {
		if r == 0 {
			return true
		}
		if i == len(items) {
			return false
		}
		key := [2]int{i, r}
		if ok, seen := memo[key]; seen {
			return ok
		}
		ok := false
		for l := 1; l <= len(items[i]) && len(sep(i))+l <= r && !ok; l++ {
			ok = fills(i+1, r-len(sep(i))-l)
		}
		memo[key] = ok
		return ok
	}
	w := width
	for w > 1 && !fills(0, w) {
		w--
	}
	var b strings.Builder
	for i, r := 0, w; r > 0; i++ {
		for l := min(len(items[i]), r-len(sep(i))); l >= 1; l-- {
			if c := len(sep(i)) + l; fills(i+1, r-c) {
				b.WriteString(sep(i) + items[i][:l])
				r -= c
				break
			}
		}
	}
	return pad(b.String(), width)
}

func yymmdd(t time.Time) string {
	if t.IsZero() {
		return "<<<<<<"
	}
	return t.Format("060102")
}

func pad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat("<", n-len(s))
}

// digit is CheckDigit for strings already known to hold only MRZ characters.
func digit(s string) string {
	d, err := CheckDigit(s)
	if err != nil {
		return "<"
	}
	return string(d)
}
