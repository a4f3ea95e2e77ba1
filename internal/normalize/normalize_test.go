package normalize

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

func TestSearchKey(t *testing.T) {
	cases := map[string]string{
		"Müller":        "muller",
		"JOSÉ  María":   "jose maria",
		"O'Brien-Smith": "o brien smith",
		"Łukasz Żółć":   "lukasz zolc",
		"Straße":        "strasse",
		"  AB 123/45  ": "ab 123 45",
		"Ærøskøbing":    "aeroskobing",
		"":              "",
		"<script>":      "script",
		"İstanbul":      "istanbul",
	}
	for in, want := range cases {
		if got := SearchKey(in); got != want {
			t.Errorf("SearchKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSearchText(t *testing.T) {
	got := SearchText("Anna María", "Eriksson", "REF-001", "L898 902C3")
	want := "anna maria | annamaria | eriksson | ref 001 | ref001 | l898 902c3 | l898902c3"
	if got != want {
		t.Fatalf("got %q", got)
	}
}

// foldChain is how Fold was first written, with a transform chain; Fold must give the same.
func foldChain(s string) string {
	s = special.Replace(s)
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

func TestFold(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"wohrm", "wohrm"},
		{"WÖHRM", "wohrm"},
		{"Wöhrm", "wohrm"},
		{"Nguyễn Văn Thắng", "nguyen van thang"},
		{"Ægir Ødegård", "aegir odegard"},
		{"Straße", "strasse"},
		{"Łódź", "lodz"},
		{"İstanbul", "istanbul"},
		{"Çağrı", "cagri"},
		{"한국어", "한국어"},
		{"e\u0301\u0301\u0301", "e"},
		{"a\xffb", "a\ufffdb"}, // invalid UTF-8 comes out as U+FFFD
		{"x" + strings.Repeat("\u0300", 40) + "y", "xy"},
	} {
		if got := Fold(tc.in); got != tc.want {
			t.Errorf("Fold(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if ref := foldChain(tc.in); ref != tc.want {
			t.Errorf("the transform chain folds %q to %q, the table says %q", tc.in, ref, tc.want)
		}
	}
}

// FuzzFold checks Fold against the transform chain it replaced, and that a search key holds no
// upper case, no double space and no space at either end.
func FuzzFold(f *testing.F) {
	for _, s := range []string{"", "Müller", "JOSÉ  María", "Æ ß Œ", "a\xffb", "e\u0301\u0301", "x" + strings.Repeat("\u0300", 40),
		"ǅungla", "ﬁne", "Ω Å K"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Fold(s), foldChain(s); got != want {
			t.Fatalf("Fold(%q) = %q, the transform chain gives %q", s, got, want)
		}
		k := SearchKey(s)
		if strings.Contains(k, "  ") || strings.TrimSpace(k) != k || !utf8.ValidString(k) {
			t.Fatalf("SearchKey(%q) = %q", s, k)
		}
	})
}

func BenchmarkSearchKey(b *testing.B) {
	for _, s := range []string{"", "wohrm", "Wöhrm", "Nguyễn Văn Thắng"} {
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				SearchKey(s)
			}
		})
	}
}
