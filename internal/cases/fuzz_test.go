package cases

import (
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"kycdesk/internal/apperr"
)

var filterFields = map[string]bool{"status": true, "assignee": true, "outcome": true, "risk": true, "nationality": true, "from": true,
	"to": true, "sort": true}

// FuzzQueueFilter reads a queue view from a URL query as the queue page does and asserts: problems
// are reported under the filter's fields; the search text is valid UTF-8 of at most 200 bytes;
// the view's own links (Query) read back as the same view; and any page cursor is either ignored
// or read as a time and an id. (A cursor's extreme times need no check: pgx wraps them into
// PostgreSQL's range, which only shows another page.)
func FuzzQueueFilter(f *testing.F) {
	me := uuid.MustParse("3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c")
	cursor := encodeCursor(time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), me)
	for _, q := range []string{
		"status=new&assignee=me&outcome=fail&risk=yes&nationality=gbr&from=2026-01-01&to=2026-01-31&q=Eriksson&sort=activity&after=" + cursor,
		"status=in_review&assignee=" + me.String() + "&q=%C3%A9" + strings.Repeat("%C3%A9", 120),
		"assignee=none&from=2026-02-01&to=2026-01-01&q=++a%25_b%5C++",
		"status=nope&risk=maybe&sort=name&nationality=G1&from=31/01/2026&outcome=pass&outcome=fail",
		"after=" + encodeCursor(time.Date(294277, 1, 1, 0, 0, 0, 0, time.UTC), me),
		"after=LTkyMjMzNzIwMzY4NTQ3NzU4MDguM2YyYTFiMGMtOWQ4ZS00ZjdhLThiNmMtNWQ0ZTNmMmExYjBj",
		"q=%00%FF&after=%%%",
		"sort=activity&before=" + encodeCursor(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), me),
		"before=%%%&after=",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, query string) {
		v, err := url.ParseQuery(query)
		if err != nil {
			return // net/http drops what it cannot read; the page gets the rest
		}
		fl, errs := ParseFilter(v, me)
		for k, msg := range errs {
			if !filterFields[k] || msg == "" {
				t.Fatalf("error %q: %q", k, msg)
			}
		}
		if !utf8.ValidString(fl.Search) || len(fl.Search) > 200 || strings.IndexFunc(fl.Search, unicode.IsControl) >= 0 {
			t.Fatalf("search %q", fl.Search)
		}
		again, errs := ParseFilter(fl.Query(), me)
		if len(errs) > 0 || !sameFilter(again, fl) {
			t.Fatalf("the view's links read back differently: %+v → %+v %v", fl, again, errs)
		}
		for _, c := range []string{fl.After, fl.Before} {
			if at, id, ok := decodeCursor(c); ok && (at == nil || id == nil) {
				t.Fatalf("cursor %q accepted without a time and an id", c)
			}
		}
		if fl.After != "" && fl.Before != "" {
			t.Fatalf("both cursors kept: %q, %q", fl.After, fl.Before)
		}
	})
}

func sameFilter(a, b Filter) bool {
	eq := func(x, y *string) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	eqt := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	return a.Status == b.Status && a.Mine == b.Mine && a.Unassigned == b.Unassigned &&
		(a.AssigneeID == nil) == (b.AssigneeID == nil) && (a.AssigneeID == nil || *a.AssigneeID == *b.AssigneeID) &&
		eq(a.VendorOutcome, b.VendorOutcome) && (a.Risk == nil) == (b.Risk == nil) && (a.Risk == nil || *a.Risk == *b.Risk) &&
		eq(a.Nationality, b.Nationality) && eqt(a.CreatedFrom, b.CreatedFrom) && eqt(a.CreatedTo, b.CreatedTo) &&
		a.Search == b.Search && a.Sort == b.Sort
}

// FuzzNoteBody reads a case note as AddNote does and asserts: a refusal is under "body" in
// words; an accepted note is trimmed, within MaxNoteLength characters, storable (valid UTF-8, no
// control characters but line breaks and tabs) and unchanged when read again.
func FuzzNoteBody(f *testing.F) {
	for _, s := range []string{"  Called the customer.\r\nWill send a new selfie. ", "", " \r\n\t ", strings.Repeat("ß", MaxNoteLength+1),
		"<img src=x onerror=alert(1)>", "nul\x00 bad\xff esc\x1b[2J", "\u202eevil"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		note, err := noteBody(body)
		if err != nil {
			if apperr.FieldsOf(err)["body"] == "" {
				t.Fatalf("refusal %v is not under the note's field", err)
			}
			return
		}
		if note == "" || note != strings.TrimSpace(note) || utf8.RuneCountInString(note) > MaxNoteLength || !utf8.ValidString(note) ||
			strings.ContainsFunc(note, func(r rune) bool { return r != '\n' && r != '\t' && unicode.IsControl(r) }) {
			t.Fatalf("note %q cannot be stored as it is", note)
		}
		if again, err := noteBody(note); err != nil || again != note {
			t.Fatalf("note %q read again is %q (%v)", note, again, err)
		}
	})
}
