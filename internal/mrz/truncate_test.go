package mrz

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// nameFormats are the formats whose zones hold a name, with their name field's width.
var nameFormats = []struct {
	format Format
	code   string
	width  int
}{{TD1, "I", 30}, {TD2, "I", 31}, {TD3, "P", 39}, {MRVA, "V", 39}, {MRVB, "V", 31}}

// TestTruncatedNamesProperty writes zones for many invented names, most of them too long for the
// name field, and checks each against the ICAO 9303 truncation rules (see checkNameField).
func TestTruncatedNamesProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(9303, 3))
	word := func(minLen, maxLen int) string {
		b := make([]byte, minLen+r.IntN(maxLen-minLen+1))
		for i := range b {
			b[i] = byte('A' + r.IntN(26))
		}
		return string(b)
	}
	truncated := 0
	for i := 0; i < 4000; i++ {
		// A surname of one to three components, the first of two letters or more; given names
		// of none to six, some of them initials.
		surname := word(2, 18)
		for n := r.IntN(3); n > 0; n-- {
			surname += []string{" ", "-"}[r.IntN(2)] + word(1, 12)
		}
		var given []string
		for n := r.IntN(7); n > 0; n-- {
			if r.IntN(6) == 0 {
				given = append(given, word(1, 1))
			} else {
				given = append(given, word(2, 12))
			}
		}
		for _, nf := range nameFormats {
			if checkNameField(t, nf.format, nf.code, surname, strings.Join(given, " ")) {
				truncated++
			}
		}
		if t.Failed() {
			return
		}
	}
	if truncated < 5000 {
		t.Errorf("only %d of 20000 zones needed a truncated name: the generator does not test much", truncated)
	}
}

// FuzzNameField writes zones for arbitrary names; whatever can be transliterated must obey the
// truncation rules and give a valid zone.
func FuzzNameField(f *testing.F) {
	f.Add("Eriksson", "Anna Maria", uint8(0))
	f.Add("Vandenberghe-Oosterlinck", "Anna Maria Christina Louise", uint8(1))
	f.Add("Nilavadhanananda", "Chayapa Dejthamrong Krasuang", uint8(2))
	f.Add("X", "A B C D E F G H I J K L M N O P Q R S T", uint8(3))
	f.Add("Núñez de la Peña y Villanueva", "José María", uint8(4))
	f.Fuzz(func(t *testing.T, surname, given string, which uint8) {
		nf := nameFormats[int(which)%len(nameFormats)]
		if _, err := nameField(surname, given, nf.width); err != nil {
			return // not a name the zone can hold (another script, empty surname)
		}
		checkNameField(t, nf.format, nf.code, surname, given)
	})
}

// checkNameField generates a zone with the name and checks its name field: a name that fits is
// written whole; a name that does not is cut so that the field is full and ends in a letter (short
// only when no layout can fill it exactly, see bestTruncatedLength), holds no "<<<" and no more than
// one "<<", reads back as the start of each of the name's components, keeps the whole surname
// whenever there is room for it and a given name's first letters, and the zone's check digits hold.
// It reports whether the name was truncated.
func checkNameField(t *testing.T, f Format, code, surname, given string) bool {
	t.Helper()
	d := Data{DocumentCode: code, IssuingState: "UTO", Nationality: "UTO", Surname: surname, GivenNames: given,
		DocumentNumber: "L898902C3", BirthDate: date(1974, 8, 12), Sex: "F", ExpiryDate: date(2031, 4, 15)}
	lines, err := Generate(f, d)
	if err != nil {
		t.Fatalf("Generate(%s, %q, %q): %v", f, surname, given, err)
	}
	m, err := ParseAt(strings.Join(lines, "\n"), now)
	if err != nil || !m.Valid() {
		t.Fatalf("the zone for %q, %q does not validate: %v %+v %q\n%s", surname, given, err, m.Failed(), m.Problems, strings.Join(lines, "\n"))
	}
	field := lines[0][5:]
	if f == TD1 {
		field = lines[2]
	}
	width := len(field)
	sn, _ := transliterate(surname)
	gn, _ := transliterate(given)
	primary, secondary := components(sn), components(gn)
	full := sn
	if gn != "" {
		full += "<<" + gn
	}
	content := strings.TrimRight(field, "<")
	where := func() string { return string(f) + " name field " + field + " for " + full }
	if len(full) <= width {
		if content != full || m.Surname != strings.Join(primary, " ") || m.GivenNames != strings.Join(secondary, " ") {
			t.Errorf("%s: a name that fits must be written whole (read back %q / %q)", where(), m.Surname, m.GivenNames)
		}
		return false
	}
	if want := bestTruncatedLength(primary, secondary, width); len(content) != want {
		t.Errorf("%s: truncated name takes %d characters, want %d (a truncated name fills the field and ends in a letter)", where(), len(content), want)
	}
	if strings.Contains(content, "<<<") || strings.Count(content, "<<") > 1 || strings.HasPrefix(content, "<") {
		t.Errorf("%s: empty name component", where())
	}
	gotP, gotS := strings.Fields(m.Surname), strings.Fields(m.GivenNames)
	if !prefixes(gotP, primary) || !prefixes(gotS, secondary) || len(gotP) == 0 || (len(gotS) > 0 && len(gotP) != len(primary)) {
		t.Errorf("%s: read back as %q / %q, which is not the start of %q / %q", where(), m.Surname, m.GivenNames, primary, secondary)
	}
	if len(sn)+3 <= width && len(secondary) > 0 && len(secondary[0]) >= 2 && m.Surname != strings.Join(primary, " ") {
		t.Errorf("%s: the surname is cut although it fits with a given name's first letters", where())
	}
	return true
}

func components(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '<' })
}

// prefixes reports whether got is at most as many components as want, each non-empty and the
// start of the one in its place.
func prefixes(got, want []string) bool {
	if len(got) > len(want) {
		return false
	}
	for i, g := range got {
		if g == "" || !strings.HasPrefix(want[i], g) {
			return false
		}
	}
	return true
}

// bestTruncatedLength is, independently of truncateName, the longest a truncated name can be
// within width: it keeps the name's first k components (surname first, "<<" before the first
// given name, '<' between the others), each cut to between one letter and all of it, so for each
// k the lengths it can take run without a gap from its shortest to its longest.
func bestTruncatedLength(primary, secondary []string, width int) int {
	items := append(append([]string{}, primary...), secondary...)
	best, lo, hi := 0, 0, 0
	for k, it := range items {
		sep := 1
		switch {
		case k == 0:
			sep = 0
		case k == len(primary):
			sep = 2
		}
		lo, hi = lo+sep+1, hi+sep+len(it)
		if lo > width {
			break
		}
		best = max(best, min(hi, width))
	}
	return best
}

func TestBestTruncatedLength(t *testing.T) {
	tests := []struct {
		primary, secondary []string
		width, want        int
	}{
		{[]string{"ERIKSSON"}, []string{"ANNA", "MARIA"}, 15, 15},
		{[]string{"X"}, []string{"A", "B", "C"}, 7, 6}, // X<<A<B<C: 1, 4, 6 or 8 characters
		{[]string{"X"}, []string{"A", "B", "C"}, 6, 6},
		{[]string{"XY"}, []string{"A"}, 3, 2}, // XY or X<<A, nothing of 3
	}
	for _, tt := range tests {
		if got := bestTruncatedLength(tt.primary, tt.secondary, tt.width); got != tt.want {
			t.Errorf("bestTruncatedLength(%q, %q, %d) = %d, want %d", tt.primary, tt.secondary, tt.width, got, tt.want)
		}
	}
}
