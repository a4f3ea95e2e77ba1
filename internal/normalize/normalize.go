// Package normalize turns what people and vendors write into comparable forms: search keys that
// ignore case and accents, and (for the review workspace) canonical names, dates and countries.
// It is pure: no I/O, table-tested.
package normalize

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// special letters that decomposition does not reduce to ASCII.
var special = strings.NewReplacer("ß", "ss", "ẞ", "ss", "Æ", "ae", "æ", "ae", "Ø", "o", "ø", "o", "Œ", "oe", "œ", "oe",
	"Ł", "l", "ł", "l", "Đ", "d", "đ", "d", "Ð", "d", "ð", "d", "Þ", "th", "þ", "th", "ı", "i")

// Fold lower-cases s and removes accents and marks ("Müller" → "muller", "JOSÉ" → "jose").
func Fold(s string) string {
	s = special.Replace(s)
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

// SearchKey folds s and collapses every run of non-alphanumeric characters to one space, so
// "O'Brien-Smith" and "o brien smith" match, and so do "AB 123/45" and "ab 123 45".
func SearchKey(s string) string {
	s = Fold(s)
	var b strings.Builder
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
