// Package normalize turns what people and vendors write into comparable forms: search keys that
// ignore case and accents, and (for the review workspace) canonical names, dates and countries.
// It is pure: no I/O, table-tested.
package normalize

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// special letters that decomposition does not reduce to ASCII.
var special = strings.NewReplacer("ß", "ss", "ẞ", "ss", "Æ", "ae", "æ", "ae", "Ø", "o", "ø", "o", "Œ", "oe", "œ", "oe",
	"Ł", "l", "ł", "l", "Đ", "d", "đ", "d", "Ð", "d", "ð", "d", "Þ", "th", "þ", "th", "ı", "i")

// Fold lower-cases s and removes accents and marks ("Müller" → "muller", "JOSÉ" → "jose").
//
// It runs for every queue page and every search, so it allocates only what it returns: ASCII
// text (most searches, most names) is only lower-cased, and other text goes through the
// normalisation forms' String methods rather than a transform chain, which allocates two 4 KB
// buffers per call.
func Fold(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	s = special.Replace(s)
	s = strings.Map(dropMarks, norm.NFD.String(s))
	return strings.ToLower(norm.NFC.String(s))
}

// dropMarks removes nonspacing marks (the accents NFD splits off); strings.Map turns invalid UTF-8
// into U+FFFD on the way.
func dropMarks(r rune) rune {
	if unicode.Is(unicode.Mn, r) {
		return -1
	}
	return r
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// SearchKey folds s and collapses every run of non-alphanumeric characters to one space, so
// "O'Brien-Smith" and "o brien smith" match, and so do "AB 123/45" and "ab 123 45".
func SearchKey(s string) string {
	s = Fold(s)
	var b strings.Builder
	b.Grow(len(s))
	space := true
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSpace(b.String())
}

// SearchText joins the searchable parts of a case (names, references, document numbers) into its
// search key. Document numbers are also kept without spaces, so "AB 123" is found as "ab123".
func SearchText(parts ...string) string {
	var keys []string
	for _, p := range parts {
		k := SearchKey(p)
		if k == "" {
			continue
		}
		keys = append(keys, k)
		if compact := strings.ReplaceAll(k, " ", ""); compact != k {
			keys = append(keys, compact)
		}
	}
	return strings.Join(keys, " | ")
}
