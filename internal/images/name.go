package images

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameRunes is the longest SanitizeName result, in characters.
const MaxNameRunes = 100

// unnamed stands in for a name that sanitises to nothing.
const unnamed = "unnamed file"

// SanitizeName makes an uploaded file name safe to show in messages and
// pages: it keeps only the last path component (browsers on Windows and
// hand-written API clients send full paths, attackers send "../"), drops
// control and invisible formatting characters (including the right-to-left
// override that makes "gpj.exe" read as "exe.jpg"), replaces invalid UTF-8,
// and shortens long names keeping the extension. It never returns "".
//
// The result is for display only; HTML escaping is still the template's job
// and storage keys never derive from it.
func SanitizeName(name string) string {
	name = strings.ToValidUTF8(name, "\uFFFD")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}

	var b strings.Builder
	b.Grow(len(name))
	for _, r := range name {
		switch {
		case unicode.IsSpace(r): // tabs and line breaks included
			b.WriteRune(' ')
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			continue
		default:
			b.WriteRune(r)
		}
	}
	name = strings.Join(strings.Fields(b.String()), " ")
	if name == "" || name == "." || name == ".." {
		return unnamed
	}
	return shorten(name, MaxNameRunes)
}

// shorten cuts name to at most limit runes, keeping a short extension so
// "very long ... name.jpg" still says what it is.
func shorten(name string, limit int) string {
	if utf8.RuneCountInString(name) <= limit {
		return name
	}
	ext := ""
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		if e := name[i:]; utf8.RuneCountInString(e) <= 10 {
			ext = e
			name = name[:i]
		}
	}
	keep := limit - utf8.RuneCountInString(ext) - 1
	runes := []rune(name)
	return strings.TrimSpace(string(runes[:keep])) + "…" + ext
}
