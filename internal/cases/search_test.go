package cases

import (
	"net/url"
	"testing"

	"github.com/google/uuid"
)

// TestSearchHasNoControlCharacters: the search the queue and the export read has no control
// character (a NUL would make PostgreSQL refuse the export's audit row): each is dropped, or a
// space where it separates words.
func TestSearchHasNoControlCharacters(t *testing.T) {
	for _, tc := range []struct{ q, want string }{
		{"\x00", ""},
		{"Ngu\x00yễn", "Nguyễn"},
		{"Anna\tMaria\r\nKowalska", "Anna Maria  Kowalska"},
		{"\x1b[31mred\x7f\u0085x\u009b", "[31mred x"},
		{"bad \xff", "bad \uFFFD"},
	} {
		f, errs := ParseFilter(url.Values{"q": {tc.q}}, uuid.Nil)
		if len(errs) > 0 || f.Search != tc.want {
			t.Errorf("q=%q: search %q %v, want %q", tc.q, f.Search, errs, tc.want)
		}
	}
}
