package mrz

import (
	"reflect"
	"strings"
	"testing"
)

// FuzzParse requires that Parse never panics and that a zone it accepts reads the same again from
// its own normalised lines, so what is stored can always be re-validated.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		utoTD3L1 + "\n" + utoTD3L2,
		utoTD1L1 + "\n" + utoTD1L2 + "\n" + utoTD1L3,
		"I<UTOD23145890<7349<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\n" + utoTD1L3,
		cynopsisSample,
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		m, err := ParseAt(text, now)
		if err != nil {
			if m != nil {
				t.Fatalf("ParseAt returned both %+v and %v", m, err)
			}
			return
		}
		again, err := ParseAt(strings.Join(m.Lines, "\n"), now)
		if err != nil {
			t.Fatalf("re-parsing %q: %v", m.Lines, err)
		}
		if !reflect.DeepEqual(m, again) {
			t.Fatalf("re-parse differs:\n%+v\n%+v", m, again)
		}
		m.Valid()
	})
}
