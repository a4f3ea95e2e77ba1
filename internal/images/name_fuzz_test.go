package images

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzSanitizeName: whatever name an upload claims, the name kept and shown is never empty, is
// valid UTF-8 without control or invisible formatting characters, path separators or doubled
// spaces, is at most MaxNameRunes characters, and is its own sanitised form (a stored name shown
// again is not changed).
func FuzzSanitizeName(f *testing.F) {
	for _, s := range []string{"passport.jpg", "../../etc/passwd", `C:\Users\ana\id front.png`, "..", "", "evil\x00name\r\n.jpg",
		"selfie\u202Egpj.exe", "bad\xffutf8.jpg", strings.Repeat("x", 300) + ".jpeg", strings.Repeat("é", 150), " . ", "a/..", "…" + strings.Repeat(" ", 120) + ".png"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := SanitizeName(name)
		if got == "" || !utf8.ValidString(got) || utf8.RuneCountInString(got) > MaxNameRunes || strings.ContainsAny(got, `/\`) ||
			got != strings.Join(strings.Fields(got), " ") || got == "." || got == ".." {
			t.Fatalf("SanitizeName(%q) = %q", name, got)
		}
		if strings.ContainsFunc(got, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) {
			t.Fatalf("SanitizeName(%q) = %q keeps an invisible character", name, got)
		}
		if again := SanitizeName(got); again != got {
			t.Fatalf("SanitizeName(%q) = %q, sanitised again %q", name, got, again)
		}
	})
}
